/** @odoo-module */

import { PaymentScreen } from "@point_of_sale/app/screens/payment_screen/payment_screen";
import { patch } from "@web/core/utils/patch";

// Right after the order is saved, the server fiscalizes it; an adapter that cannot be reached leaves it
// "to send" for the cron, and the receipt prints without fiscal data rather than blocking the sale.
patch(PaymentScreen.prototype, {
    async _postPushOrderResolve(order, order_server_ids) {
        if (this.pos.config.kkt_enabled && order_server_ids.length) {
            try {
                const [data] = await this.orm.call("pos.order", "kkt_fiscalize_for_receipt", [order_server_ids]);
                if (data) {
                    order.setFiscalData(data);
                }
            } catch (error) {
                console.warn("Fiscalizing the order failed; the server will retry", error);
            }
        }
        return super._postPushOrderResolve(...arguments);
    },
});
