/** @odoo-module */

import { Order } from "@point_of_sale/app/store/models";
import { qrCodeSrc } from "@point_of_sale/utils";
import { patch } from "@web/core/utils/patch";

const KKT_FIELDS = ["kkt_state", "kkt_fd_number", "kkt_fiscal_sign", "kkt_fn_serial", "kkt_datetime", "kkt_qr", "kkt_last_error"];

// The register's signature (FD, FP, FN, QR) travels with the order, so the receipt and a reprint show it.
patch(Order.prototype, {
    init_from_JSON(json) {
        super.init_from_JSON(...arguments);
        this.setFiscalData(json);
    },
    export_as_JSON() {
        const json = super.export_as_JSON(...arguments);
        for (const name of KKT_FIELDS) {
            json[name] = this[name] || false;
        }
        return json;
    },
    setFiscalData(data) {
        for (const name of KKT_FIELDS) {
            this[name] = data[name] || false;
        }
    },
    // Wait for the server's ids after payment, so the order is fiscalized before its receipt is shown.
    wait_for_push_order() {
        return this.pos.config.kkt_enabled || super.wait_for_push_order(...arguments);
    },
    export_for_printing() {
        const result = super.export_for_printing(...arguments);
        result.kkt = {
            state: this.kkt_state,
            fd: this.kkt_fd_number,
            fp: this.kkt_fiscal_sign,
            fn: this.kkt_fn_serial,
            datetime: this.kkt_datetime,
            qrSrc: this.kkt_qr ? qrCodeSrc(this.kkt_qr) : false,
            error: this.kkt_last_error,
        };
        return result;
    },
});
