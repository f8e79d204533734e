# Odoo 17 configured from .env.dev / .env by docker/odoo/entrypoint.sh (see docker-compose.dev.yml).
FROM odoo:17.0
COPY docker/odoo/entrypoint.sh /usr/local/bin/opticserp-odoo
ENTRYPOINT ["/usr/local/bin/opticserp-odoo"]
