"""Frames and spectacle lenses are products with a few optical facts; everything else stays plain goods."""

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

# mm; 0 is "not given". The sizes printed on a frame's temple: lens width, bridge, temple length.
FRAME_SIZES = {"frame_lens_width": (30, 70), "frame_bridge": (10, 30), "frame_temple": (100, 160)}
OPTICS_FIELDS = ("optics_kind", "lens_index", "lens_design", "lens_coating", "frame_material", *FRAME_SIZES)


class ProductTemplate(models.Model):
    _inherit = "product.template"

    optics_kind = fields.Selection(
        [("frame", "Frame"), ("lens", "Spectacle lens")],
        "Optics",
        help="Empty: other goods (cases, cloths, solutions).",
    )
    lens_index = fields.Selection(
        [("1.50", "1.50"), ("1.56", "1.56"), ("1.60", "1.60"), ("1.67", "1.67"), ("1.74", "1.74")], "Refractive index"
    )
    lens_design = fields.Selection(
        [("single_vision", "Single vision"), ("bifocal", "Bifocal"), ("progressive", "Progressive")],
        "Lens design",
        help="Bifocal and progressive lenses need an addition in the prescription.",
    )
    lens_coating = fields.Char("Coating")
    frame_material = fields.Selection(
        [("metal", "Metal"), ("plastic", "Plastic"), ("titanium", "Titanium"), ("combined", "Combined")],
        "Frame material",
    )
    frame_lens_width = fields.Integer("Lens width (mm)")
    frame_bridge = fields.Integer("Bridge (mm)")
    frame_temple = fields.Integer("Temple length (mm)")

    @api.constrains("optics_kind", "lens_index", "lens_design")
    def _check_lens(self):
        for product in self.filtered(lambda p: p.optics_kind == "lens"):
            if not (product.lens_index and product.lens_design):
                raise ValidationError(
                    _("The spectacle lens %s needs a refractive index and a design.", product.display_name)
                )

    @api.constrains(*FRAME_SIZES)
    def _check_frame_sizes(self):
        for product in self:
            for name, (low, high) in FRAME_SIZES.items():
                size = product[name]
                if size and not low <= size <= high:
                    raise ValidationError(
                        _(
                            "%(field)s of %(product)s is %(size)s mm, not %(low)s..%(high)s mm.",
                            field=self._fields[name].string.removesuffix(" (mm)"),
                            product=product.display_name,
                            size=size,
                            low=low,
                            high=high,
                        )
                    )


class ProductProduct(models.Model):
    _inherit = "product.product"

    def write(self, vals):
        """A variant passes its template's fields on one at a time, and each is checked on its own: a lens's
        kind would arrive before its index and design and be refused. So the optics fields go to the
        templates together, in one write."""
        optics = {name: vals[name] for name in OPTICS_FIELDS if name in vals}
        if optics:
            self.product_tmpl_id.write(optics)
            vals = {name: value for name, value in vals.items() if name not in optics}
        return super().write(vals) if vals else True
