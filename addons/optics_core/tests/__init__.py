from . import test_glasses_order, test_prescription  # noqa: F401
