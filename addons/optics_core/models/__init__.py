from . import glasses_order, prescription, product_template  # noqa: F401
