#!/bin/sh
# Odoo's configuration from the environment (.env.dev, .env), then Odoo itself. admin_passwd and
# kkt_adapter_url exist only as config-file options, hence a file written at every start.
set -eu
conf=/var/lib/odoo/opticserp-odoo.conf
addons=""
# Odoo refuses an addons directory without a module in it.
if ls /mnt/extra-addons/*/__manifest__.py >/dev/null 2>&1; then
    addons="addons_path = /mnt/extra-addons"
fi
cat > "$conf" <<CONF
[options]
db_host = postgres
db_port = 5432
db_user = ${POSTGRES_USER}
db_password = ${POSTGRES_PASSWORD}
db_name = ${POSTGRES_DB}
dbfilter = ^${POSTGRES_DB}\$
admin_passwd = ${ODOO_ADMIN_PASSWORD}
http_interface = 0.0.0.0
http_port = 8069
workers = ${ODOO_WORKERS:-0}
max_cron_threads = 0
log_level = ${ODOO_LOG_LEVEL:-info}
data_dir = /var/lib/odoo
kkt_adapter_url = ${KKT_ADAPTER_URL}
${addons}
CONF
chmod 600 "$conf"
# Odoo installs `base` by itself only into a database it creates; PostgreSQL's image created this one.
if ! PGPASSWORD="$POSTGRES_PASSWORD" psql -h postgres -U "$POSTGRES_USER" -d "$POSTGRES_DB" -tAc \
        "SELECT 1 FROM ir_module_module LIMIT 1" >/dev/null 2>&1; then
    set -- -i base "$@"
fi
if [ -n "${ODOO_DEV_MODE:-}" ]; then
    exec odoo -c "$conf" --dev="${ODOO_DEV_MODE}" "$@"
fi
exec odoo -c "$conf" "$@"
