from . import test_glasses_receipts  # noqa: F401
