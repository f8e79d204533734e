from . import glasses_order  # noqa: F401
