"""POS terminals under load: realistic receipts to the KKT adapter, with buffer status and health reads.

    locust -f locustfiles/receipts.py --host http://127.0.0.1:8000 --headless -u 20 -r 20 -t 30s
    locust -f .../receipts.py --host ... --tags receipt      # receipts only (throughput runs)
    locust -f .../receipts.py --host ... --think-time 2      # a pause between a user's requests

Each receipt has a fresh idempotency key, so every POST is a new fiscal document. The mix is an optics
shop's: plain sales, multi-item sales over several VAT rates (22% included), split cash/card payments and
refunds. Totals are computed as the adapter checks them (price x quantity rounded half-up to the kopeck), so
any answer other than 200 "fiscalized" is a failure worth reporting. FastHttpUser (geventhttpclient) because
it costs Locust several times less CPU per request than HttpUser, which matters when Locust shares the
machine with what it measures.
"""

from __future__ import annotations

import itertools
import os
import random
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from locust import FastHttpUser, events, tag, task

KOPECK = Decimal("0.01")

# (name, price in rubles, VAT rate): frames and lenses at the standard 22%, medical optics at 10% or without
# VAT, and a few prices that include VAT (22/122) as some shops configure their registers.
CATALOG: tuple[tuple[str, str, Any], ...] = (
    ("Очки солнцезащитные Ray-Ban", "5000.00", 22),
    ("Оправа металлическая Silhouette", "12490.00", 22),
    ("Оправа детская пластиковая", "2350.50", 22),
    ("Линза очковая 1.6 асферическая", "3200.00", 10),
    ("Линза очковая фотохромная", "6875.25", 10),
    ("Контактные линзы Acuvue Oasys, 6 шт", "2190.00", "none"),
    ("Раствор для линз 360 мл", "649.90", 22),
    ("Футляр для очков", "450.00", "22/122"),
    ("Салфетка из микрофибры", "199.99", 20),
    ("Проверка зрения", "1500.00", "none"),
    ("Спрей для очков 30 мл", "315.40", 0),
    ("Шнурок для очков", "120.00", 22),
)
QUANTITIES = (1, 1, 1, 1, 2, 2, 3, 0.5)


@events.init_command_line_parser.add_listener
def _add_arguments(parser: Any) -> None:
    parser.add_argument("--think-time", type=float, default=0.0, env_var="LOCUST_THINK_TIME",
                        help="Seconds a user waits between requests (0: as fast as the server answers)")


def money(value: Decimal) -> Decimal:
    return value.quantize(KOPECK, rounding=ROUND_HALF_UP)


def item(rng: random.Random) -> dict[str, Any]:
    name, price, rate = rng.choice(CATALOG)
    quantity = rng.choice(QUANTITIES)
    return {"name": name, "quantity": quantity, "price": float(price), "tax_rate": rate}


def total_of(items: list[dict[str, Any]]) -> Decimal:
    return sum((money(Decimal(str(i["price"])) * Decimal(str(i["quantity"]))) for i in items), Decimal(0))


def build_receipt(rng: random.Random, pos_id: str) -> dict[str, Any]:
    """One receipt from the shop's mix: 55% sale, 15% multi-rate sale, 20% split payment, 10% refund."""
    kind = rng.choices(("sale", "multi", "split", "refund"), weights=(55, 15, 20, 10))[0]
    items = [item(rng) for _ in range(rng.randint(3, 6) if kind == "multi" else rng.randint(1, 2))]
    if kind == "multi":
        items[0]["tax_rate"] = 22  # a multi-rate receipt always carries the standard rate too
    total = total_of(items)
    body: dict[str, Any] = {"pos_id": pos_id, "items": items, "total": float(total)}
    if kind == "split" and total >= Decimal("2.00"):
        cash = money(total * Decimal(rng.randint(10, 90)) / 100)
        body["payments"] = [{"method": "cash", "amount": float(cash)},
                            {"method": "card", "amount": float(total - cash)}]
    else:
        body["payment_method"] = rng.choice(("card", "card", "cash"))
    if kind == "refund":
        body["type"] = "refund"
    return body


class PosTerminal(FastHttpUser):
    """A POS posting receipts; Odoo and monitors reading buffer status and health alongside."""

    _numbers = itertools.count(1)

    def on_start(self) -> None:
        self.pos_id = f"POS-{next(self._numbers):03d}"
        self.rng = random.Random()
        token = os.environ.get("KKT_API_TOKEN", "").strip()  # an adapter with KKT_API_TOKEN set asks for it
        self.auth = {"Authorization": f"Bearer {token}"} if token else {}

    def wait_time(self) -> float:
        options = self.environment.parsed_options
        return getattr(options, "think_time", 0.0) if options is not None else 0.0

    @tag("receipt")
    @task(10)
    def post_receipt(self) -> None:
        headers = {"X-Idempotency-Key": f"load-{uuid.uuid4()}", **self.auth}
        with self.client.post("/v1/kkt/receipt", json=build_receipt(self.rng, self.pos_id), headers=headers,
                              name="POST /v1/kkt/receipt", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
            elif response.json().get("status") != "fiscalized":
                response.failure(f"not fiscalized: {response.text[:200]}")

    @tag("status")
    @task(2)
    def buffer_status(self) -> None:
        self.client.get("/v1/kkt/buffer/status", name="GET /v1/kkt/buffer/status", headers=self.auth)

    @tag("health")
    @task(1)
    def health(self) -> None:
        self.client.get("/v1/health", name="GET /v1/health", headers=self.auth)
