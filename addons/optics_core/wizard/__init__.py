from . import glasses_payment  # noqa: F401
