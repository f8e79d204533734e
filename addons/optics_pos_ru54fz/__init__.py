"""Odoo imports this package; the fiscal logic in `lib/` imports nothing of Odoo, so it is tested without it."""

from . import controllers, models  # noqa: F401  (Odoo loads what the package imports)
