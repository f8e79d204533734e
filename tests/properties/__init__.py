import pytest

# The property's module is imported by a fixture, not collected: its asserts explain a failure as a test's do.
pytest.register_assert_rewrite("tests.properties.openapi_property")
