"""Where a POS config's adapter is: its own URL, else the system parameter, `odoo.conf`, the environment.

Read at each call, never cached, so a changed parameter (or a test's fixture) applies to the next call.
"""

import os

from odoo.tools import config

from ..lib import AdapterClient

URL_PARAMETER = "optics_pos_ru54fz.adapter_url"
CONF_KEY = "kkt_adapter_url"  # what `opticserp up` writes into odoo.conf
ENV_VARIABLE = "KKT_ADAPTER_URL"


def adapter_url(env, own_url=None):
    """The adapter's URL for a POS config whose own is `own_url`; None when nothing says where it is."""
    return (own_url or env["ir.config_parameter"].sudo().get_param(URL_PARAMETER)
            or config.get(CONF_KEY) or os.environ.get(ENV_VARIABLE) or None)


def client_for(pos_config, timeout=10.0):
    """An `AdapterClient` for the config, or None when no URL is known."""
    pos_config = pos_config.sudo()
    url = adapter_url(pos_config.env, pos_config.kkt_adapter_url)
    if not url:
        return None
    return AdapterClient(url, token=pos_config.kkt_adapter_token or None, timeout=timeout)
