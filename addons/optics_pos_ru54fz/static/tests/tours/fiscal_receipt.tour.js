/** @odoo-module */

import * as ProductScreen from "@point_of_sale/../tests/tours/helpers/ProductScreenTourMethods";
import * as PaymentScreen from "@point_of_sale/../tests/tours/helpers/PaymentScreenTourMethods";
import * as ReceiptScreen from "@point_of_sale/../tests/tours/helpers/ReceiptScreenTourMethods";
import { registry } from "@web/core/registry";

// A sale at the till, as a cashier makes it: the receipt on screen carries what the register signed.
registry.category("web_tour.tours").add("optics_pos_ru54fz_fiscal_receipt", {
    test: true,
    url: "/pos/ui",
    steps: () =>
        [
            ProductScreen.addOrderline("Очки солнцезащитные", "1"),
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod("Bank"),
            PaymentScreen.clickValidate(),
            ReceiptScreen.receiptIsThere(),
            {
                content: "the receipt shows the fiscal document number and the fiscal sign",
                trigger: ".receipt-screen .pos-receipt-kkt div:contains('FD '):contains(' FP ')",
                isCheck: true,
            },
            {
                content: "the receipt shows the fiscal drive's serial number",
                trigger: ".receipt-screen .pos-receipt-kkt div:contains('FN ')",
                isCheck: true,
            },
            {
                content: "the receipt shows the QR code of the receipt (t, s, fn, i, fp, n)",
                trigger: ".receipt-screen .pos-receipt-kkt img.pos-receipt-qrcode[src*='fn%3D'][src*='fp%3D']",
                isCheck: true,
            },
        ].flat(),
});
