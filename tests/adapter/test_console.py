"""The adapter's own page at / and the read-only list of recent receipts its script reads."""

from __future__ import annotations

import httpx
import pytest

from pytest_opticserp import InProcessKktAdapter, eventually, http_client

TOKEN = "t0ken"
DOM_IDS = ["health", "breaker", "network", "pending", "synced", "dlq-count", "capacity", "fn", "shift", "unsent",
           "oldest-unsent", "receipts", "dlq", "last-action", "auth-needed", "token-form", "token"]


def without_token(adapter: InProcessKktAdapter, path: str, **kwargs) -> httpx.Response:
    return http_client.get(f"{adapter.url}{path}", **kwargs)


def test_the_page_shows_every_element_the_browser_tests_read(kkt_adapter_app: InProcessKktAdapter) -> None:
    page = kkt_adapter_app.client.get("/")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>KKT adapter</h1>" in page.text
    assert [name for name in DOM_IDS if f'id="{name}"' not in page.text] == []


def test_the_pages_script_and_style_are_served_by_the_adapter(kkt_adapter_app: InProcessKktAdapter) -> None:
    script = kkt_adapter_app.client.get("/console/static/adapter.js")
    style = kkt_adapter_app.client.get("/console/static/adapter.css")

    assert (script.status_code, style.status_code) == (200, 200)
    assert "/v1/kkt/receipts" in script.text and "/v1/kkt/dlq/" in script.text


def test_the_page_is_not_part_of_the_api_description(kkt_adapter_app: InProcessKktAdapter) -> None:
    paths = kkt_adapter_app.client.get("/openapi.json").json()["paths"]

    assert "/" not in paths
    assert "/v1/kkt/receipts" in paths


@pytest.mark.kkt_adapter(kkt_console="off")
def test_with_the_console_off_the_page_and_its_assets_answer_404(kkt_adapter_app: InProcessKktAdapter) -> None:
    answers = [kkt_adapter_app.client.get(path).status_code
               for path in ("/", "/console/static/adapter.js", "/console/static/adapter.css")]

    assert answers == [404, 404, 404]
    assert kkt_adapter_app.client.get("/v1/kkt/receipts").status_code == 200


@pytest.mark.kkt_adapter(kkt_api_token=TOKEN)
def test_with_a_token_the_page_loads_without_it_but_its_data_needs_it(kkt_adapter_app: InProcessKktAdapter) -> None:
    page = without_token(kkt_adapter_app, "/")
    script = without_token(kkt_adapter_app, "/console/static/adapter.js")
    data = without_token(kkt_adapter_app, "/v1/kkt/receipts")
    dlq = without_token(kkt_adapter_app, "/v1/kkt/dlq")
    with_it = without_token(kkt_adapter_app, "/v1/kkt/receipts", headers={"Authorization": f"Bearer {TOKEN}"})

    assert (page.status_code, script.status_code) == (200, 200)
    assert '<form id="token-form">' in page.text and 'data-token-required="true"' in page.text
    assert (data.status_code, dlq.status_code, with_it.status_code) == (401, 401, 200)


def test_without_a_token_the_page_does_not_ask_for_one(kkt_adapter_app: InProcessKktAdapter) -> None:
    page = kkt_adapter_app.client.get("/")

    assert '<form id="token-form" hidden>' in page.text


@pytest.mark.kkt_adapter(kkt_api_token=TOKEN)
def test_the_page_is_refused_under_a_host_name_not_on_the_allow_list(kkt_adapter_app: InProcessKktAdapter) -> None:
    page = without_token(kkt_adapter_app, "/", headers={"Host": "rebound.example"})
    script = without_token(kkt_adapter_app, "/console/static/adapter.js", headers={"Host": "rebound.example"})

    assert (page.status_code, script.status_code) == (400, 400)


def test_recent_receipts_are_listed_newest_first_with_their_requisites(kkt_adapter_app: InProcessKktAdapter) -> None:
    posted = [kkt_adapter_app.post_receipt().json() for _ in range(3)]

    answer = kkt_adapter_app.client.get("/v1/kkt/receipts", params={"limit": 2}).json()

    assert answer["count"] == 2
    assert [row["id"] for row in answer["receipts"]] == [posted[2]["receipt_id"], posted[1]["receipt_id"]]
    newest = answer["receipts"][0]
    assert newest["fiscal_doc_number"] == posted[2]["fiscal"]["fiscal_doc_number"]
    assert (newest["fn_serial"], newest["total"], newest["pos_id"], newest["operation"]) == (
        posted[2]["fiscal"]["fn_serial"], posted[2]["total"], "POS-001", "sale")
    assert set(newest) == {"id", "pos_id", "operation", "total", "fiscal_doc_number", "fn_serial", "status",
                           "attempts", "last_error", "created_at", "synced_at"}


def test_recent_receipts_show_when_the_ofd_has_them(kkt_adapter_app: InProcessKktAdapter) -> None:
    receipt_id = kkt_adapter_app.post_receipt().json()["receipt_id"]

    def listed() -> dict:
        return kkt_adapter_app.client.get("/v1/kkt/receipts").json()["receipts"][0]

    eventually(lambda: listed()["status"] == "synced", "the receipt listed as synced", listed)
    row = listed()
    assert row["id"] == receipt_id and row["synced_at"] is not None and row["last_error"] is None


def test_recent_receipts_show_a_dead_lettered_receipt_with_its_error(kkt_adapter_app: InProcessKktAdapter,
                                                                    ofd_emulator, monkeypatch) -> None:
    monkeypatch.setattr(ofd_emulator.state, "vat_codes",
                        {code: rate for code, rate in ofd_emulator.state.vat_codes.items() if code != 1})
    receipt_id = kkt_adapter_app.post_receipt().json()["receipt_id"]

    def listed() -> dict:
        return kkt_adapter_app.client.get("/v1/kkt/receipts").json()["receipts"][0]

    eventually(lambda: listed()["status"] == "dlq", "the receipt listed as dead-lettered", listed)
    row = listed()
    assert row["id"] == receipt_id and row["attempts"] >= 1 and row["last_error"]


@pytest.mark.parametrize("limit", [0, 201, "many"])
def test_a_limit_outside_1_to_200_is_refused_with_422(kkt_adapter_app: InProcessKktAdapter, limit) -> None:
    answer = kkt_adapter_app.client.get("/v1/kkt/receipts", params={"limit": limit})

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "limit"


def test_recent_receipts_list_at_most_20_by_default(kkt_adapter_app: InProcessKktAdapter) -> None:
    for _ in range(21):
        kkt_adapter_app.post_receipt()

    assert kkt_adapter_app.client.get("/v1/kkt/receipts").json()["count"] == 20
