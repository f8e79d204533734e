"""A stand-in for odoo-bin, for machines without Odoo: it takes the configuration the stack wrote, proves
the database answers to those credentials, records what it was given, and answers /web/health as Odoo 17
does (`{"status": "pass"}`)."""

from __future__ import annotations

import configparser
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg


class Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        found = self.path == "/web/health"
        body = b'{"status": "pass"}' if found else b"{}"
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write("fake odoo: " + format % args + "\n")


def main(args: list[str]) -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(args[args.index("-c") + 1])
    options = dict(parser["options"])
    with psycopg.connect(host=options["db_host"], port=options["db_port"], user=options["db_user"],
                         password=options["db_password"], dbname=options["db_name"]) as connection:
        connection.execute("SELECT 1")
    data_dir = Path(options["data_dir"])
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "fake-odoo.json").write_text(json.dumps({"args": args, "options": options}))
    server = ThreadingHTTPServer((options["http_interface"], int(options["http_port"])), Health)
    sys.stderr.write(f"fake odoo: serving on {options['http_interface']}:{options['http_port']}\n")
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
