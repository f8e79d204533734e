"""Stand-ins for what developers do not have: the OFD, the Odoo API, a network fault proxy.

Each is an app factory plus a handle that runs it in-process (`OfdEmulator`, `OdooApiEmulator`,
`NetfaultProxy`), and a command in `emulators.cli` that runs it standalone.
"""
