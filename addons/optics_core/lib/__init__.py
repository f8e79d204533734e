"""The optics shop's rules in plain Python: no Odoo import here, so they are tested without Odoo.

`prescription`: what a spectacle prescription may hold (ranges, steps, the axis with the cylinder, the prism
with its base), the errors a shop assistant reads, and which lens designs a prescription allows.
"""

from .prescription import (
    FIELDS,
    Eye,
    Prescription,
    PrescriptionError,
    format_dioptre,
    lens_fits,
    needs_addition,
    problems,
    short_name,
    summary,
    validate,
)

__all__ = [
    "FIELDS",
    "Eye",
    "Prescription",
    "PrescriptionError",
    "format_dioptre",
    "lens_fits",
    "needs_addition",
    "problems",
    "short_name",
    "summary",
    "validate",
]
