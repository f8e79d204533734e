"""Odoo imports this package; the fiscal logic in `lib/` imports nothing of Odoo, so it is tested without it."""
