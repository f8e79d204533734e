"""A customer's spectacle prescription; its rules live in `lib.prescription`, the same ones the tests check."""

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..lib.prescription import FIELDS, Prescription, PrescriptionError, lens_fits, problems, short_name, summary

PRISM_BASES = [("in", "Base in"), ("out", "Base out"), ("up", "Base up"), ("down", "Base down")]
DIOPTRES = (5, 2)


class OpticsPrescription(models.Model):
    _name = "optics.prescription"
    _description = "Spectacle prescription"
    _order = "date desc, id desc"

    partner_id = fields.Many2one("res.partner", "Customer", required=True, index=True)
    date = fields.Date(required=True, default=fields.Date.context_today)
    optometrist = fields.Char()
    note = fields.Text()

    od_sphere = fields.Float("OD sphere (SPH)", digits=DIOPTRES)
    od_cylinder = fields.Float("OD cylinder (CYL)", digits=DIOPTRES)
    od_axis = fields.Integer("OD axis (AX)", help="Degrees, 1 to 180; only with a cylinder.")
    od_addition = fields.Float("OD addition (ADD)", digits=DIOPTRES, help="0: no addition.")
    od_prism = fields.Float("OD prism", digits=DIOPTRES, help="Prism dioptres.")
    od_prism_base = fields.Selection(PRISM_BASES, "OD prism base")

    os_sphere = fields.Float("OS sphere (SPH)", digits=DIOPTRES)
    os_cylinder = fields.Float("OS cylinder (CYL)", digits=DIOPTRES)
    os_axis = fields.Integer("OS axis (AX)", help="Degrees, 1 to 180; only with a cylinder.")
    os_addition = fields.Float("OS addition (ADD)", digits=DIOPTRES, help="0: no addition.")
    os_prism = fields.Float("OS prism", digits=DIOPTRES, help="Prism dioptres.")
    os_prism_base = fields.Selection(PRISM_BASES, "OS prism base")

    pd = fields.Float("PD (mm)", digits=(4, 1), help="Pupillary distance in millimetres.")

    @api.depends("partner_id.name", "date", *FIELDS)
    def _compute_display_name(self):
        for record in self:
            try:
                eyes = f"({summary(record._as_prescription())})"
            except PrescriptionError:
                eyes = ""
            words = [short_name(record.partner_id.name), record.date and fields.Date.to_string(record.date), eyes]
            record.display_name = " ".join(word for word in words if word)

    @api.constrains(*FIELDS)
    def _check_prescription(self):
        for record in self:
            try:
                found = problems(record._as_prescription())
            except PrescriptionError as exc:
                found = [exc]
            if found:
                raise ValidationError("\n".join(error.message for error in found))

    def lens_problem(self, lens_design):
        """Why lenses of `lens_design` cannot be made to this prescription (a sentence), or False."""
        self.ensure_one()
        return lens_fits(self._as_prescription(), lens_design) or False

    def _as_prescription(self):
        return Prescription.from_values({name: self[name] for name in FIELDS})
