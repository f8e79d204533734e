"""The POS bundle carries the receipt's fiscal block: the templates inherit cleanly, the patches transpile.

No browser runs here (no tour), so this is what can be checked server-side: the files are in
`point_of_sale._assets_pos`, the receipt extension's xpath applies to `point_of_sale.OrderReceipt`, and each
patch is an Odoo module the bundler turns into a `define`.
"""

from odoo.tests import TransactionCase, tagged

BUNDLE = "point_of_sale._assets_pos"


@tagged("post_install", "-at_install")
class TestPosAssets(TransactionCase):

    def bundle(self):
        return self.env["ir.qweb"]._get_asset_bundle(BUNDLE, css=False, js=True)

    def test_the_receipt_template_shows_fd_fp_fn_and_the_qr_code(self):
        templates = self.bundle().xml()
        self.assertIn("pos-receipt-kkt", templates)
        self.assertIn("props.data.kkt.qrSrc", templates)

    def test_the_patches_are_odoo_modules_in_the_pos_bundle(self):
        ours = {asset.url: asset.content for asset in self.bundle().javascripts if "optics_pos_ru54fz" in asset.url}
        self.assertEqual(sorted(ours), ["/optics_pos_ru54fz/static/src/app/order.js",
                                        "/optics_pos_ru54fz/static/src/app/payment_screen.js"])
        for url, content in ours.items():
            self.assertIn("odoo.define('@optics_pos_ru54fz/app/", content, url)
