"""The OFD emulator's web console over its real HTTP server: the pages, the JSON the page polls, the slip, the
receipt checker. (What a browser does with them, the script and the QR image, is for the browser tests.)"""

from __future__ import annotations

import base64
import re
import sqlite3
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from emulators.ofd import OfdEmulator
from emulators.ofd.console import feed
from fiscal.fn import Cashier, FiscalDrive, FnConfig, FnDocument, FnItem, FnReceipt
from tests.emulators.test_ofd_document_types import as_sent

FN = "9999078900012345"
OTHER_FN = "9999078900099999"
DRIVE_FN = "9999078900054321"
MSK = ZoneInfo("Europe/Moscow")


class Page(HTMLParser):
    """The elements of a page by id, and the text and attributes of those with a given class."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.by_id: dict[str, dict[str, Any]] = {}
        self.by_class: dict[str, list[dict[str, Any]]] = {}
        self._open: list[dict[str, Any]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = {"tag": tag, "attrs": dict(attrs), "text": ""}
        if "id" in element["attrs"]:
            self.by_id[element["attrs"]["id"]] = element
        for name in (element["attrs"].get("class") or "").split():
            self.by_class.setdefault(name, []).append(element)
        if tag not in ("img", "input", "meta", "link", "br"):
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        while self._open and self._open.pop()["tag"] != tag:
            pass

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element["text"] += data

    def text(self, element_id: str) -> str:
        return " ".join(self.by_id[element_id]["text"].split())

    def texts(self, class_name: str) -> list[str]:
        return [" ".join(e["text"].split()) for e in self.by_class.get(class_name, [])]

    def attrs(self, class_name: str, attribute: str) -> list[str | None]:
        return [e["attrs"].get(attribute) for e in self.by_class.get(class_name, [])]


def page(client: httpx.Client, url: str, **params: str) -> Page:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return Page(response.text)


def send(client: httpx.Client, document: dict[str, Any]) -> None:
    response = client.post("/ofd/v1/receipts", json=document)
    assert response.status_code == 200, response.text


def documents(client: httpx.Client, **filters: str) -> dict[str, Any]:
    response = client.get("/console/api/documents", params=filters)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def signed() -> dict[int, FnDocument]:
    """A register's documents as the fiscal drive model signs them, by type: registration, shift, a receipt."""
    moments = iter(datetime(2026, 11, 21, 10, 0, 17, tzinfo=MSK) + timedelta(minutes=n) for n in range(10))
    drive = FiscalDrive(FnConfig(fn_serial=DRIVE_FN, kkt_reg_number="0000000001012345"), b"key", lambda: next(moments))
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.executescript(FiscalDrive.SCHEMA)
    cashier = Cashier("Иванова И. И.", "500100732259")
    items = (FnItem("Оправа", 450000, "1.000", 450000, "22"), FnItem("Салфетка", 333, "0.500", 167, "10"))
    documents = [
        drive.register(conn),
        drive.open_shift(conn, cashier),
        drive.sell(conn, FnReceipt(1, items, 450167, cash=167, electronic=450000, cashier=cashier), "sale-1"),
    ]
    return {document.doc_type: document for document in documents}


@pytest.fixture
def register_life(ofd_client: httpx.Client, signed: dict[int, FnDocument]) -> FnDocument:
    """The drive's registration, shift opening and receipt, received by the OFD; the receipt."""
    for doc_type in (1, 2, 3):
        send(ofd_client, as_sent(signed[doc_type].tags))
    return signed[3]


def test_the_front_page_shows_its_heading_controls_and_the_mode(ofd_client: httpx.Client) -> None:
    front = page(ofd_client, "/")

    assert front.by_id["controls"]["tag"] == "section"
    assert front.text("mode") == "Mode: answering normally"
    assert {"fail-next", "fail-count", "fail-permanent", "answer-normally", "delay", "delay-seconds",
            "documents", "filter-fn", "filter-type", "filter-status", "sequences"} <= set(front.by_id)
    assert "<h1>OFD emulator</h1>" in ofd_client.get("/").text


@pytest.mark.parametrize(("arm", "body", "mode"), [
    ("set-failure", {"failure_count": 3}, "Mode: failing the next 3 requests"),
    ("set-failure", {"failure_count": 1}, "Mode: failing the next 1 request"),
    ("set-failure", {"permanent_failure": True}, "Mode: failing every request (permanent)"),
    ("set-delay", {"delay": 0.5}, "Mode: answering normally; response delay 0.5 s"),
])  # fmt: skip
@pytest.mark.opticserp_emulators(assert_all_failures_used=False)  # the console only shows what is armed
def test_the_mode_says_what_the_admin_endpoints_armed(ofd_client: httpx.Client, ofd: OfdEmulator, arm: str,
                                                      body: dict[str, Any], mode: str) -> None:
    # As the page's script posts them: from the emulator's own origin, which the admin guard lets through.
    armed = ofd_client.post(f"/ofd/v1/admin/{arm}", json=body, headers={"Origin": ofd.url,
                                                                         "Sec-Fetch-Site": "same-origin"})
    assert armed.status_code == 200, armed.text

    assert ofd_client.get("/console/api/mode").json()["text"] == mode
    assert documents(ofd_client)["mode"] == mode
    assert page(ofd_client, "/").text("mode") == mode


def test_answering_normally_again_clears_the_failures_but_keeps_the_delay(ofd_client: httpx.Client,
                                                                         ofd: OfdEmulator) -> None:
    own = {"Origin": ofd.url}
    ofd_client.post("/ofd/v1/admin/set-failure", json={"permanent_failure": True}, headers=own)
    ofd_client.post("/ofd/v1/admin/set-delay", json={"delay": 2}, headers=own)

    ofd_client.post("/ofd/v1/admin/set-success", json={}, headers=own)

    assert ofd_client.get("/console/api/mode").json()["text"] == "Mode: answering normally; response delay 2 s"


def test_a_received_receipt_is_a_row_linking_to_its_document(ofd_client: httpx.Client, make_receipt) -> None:
    send(ofd_client, make_receipt())

    front = page(ofd_client, "/")

    row = front.by_class["document"][0]
    wanted = {"data-fn": FN, "data-fd": "42", "data-type": "receipt", "data-status": "accepted"}
    assert row["attrs"].items() >= wanted.items()
    assert front.texts("operation") == ["sale"] and front.texts("total") == ["5000.00"]
    assert f'<a href="/documents/{FN}/42">42</a>' in ofd_client.get("/").text


def test_documents_are_listed_newest_first(ofd_client: httpx.Client, make_receipt) -> None:
    for fd in (7, 3, 5):
        send(ofd_client, make_receipt(fiscal_doc_number=fd))

    assert [d["fd"] for d in documents(ofd_client)["documents"]] == [5, 3, 7]
    assert page(ofd_client, "/").attrs("document", "data-fd") == ["5", "3", "7"]


def test_the_table_shows_the_newest_documents_only_up_to_its_limit(ofd_client: httpx.Client, make_receipt,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feed, "MAX_ROWS", 2)
    for fd in (1, 2, 3):
        send(ofd_client, make_receipt(fiscal_doc_number=fd))

    answer = documents(ofd_client)

    assert ([d["fd"] for d in answer["documents"]], answer["matching"]) == ([3, 2], 3)
    assert page(ofd_client, "/").attrs("document", "data-fd") == ["3", "2"]


def test_a_resent_document_is_one_row_marked_duplicate(ofd_client: httpx.Client, make_receipt) -> None:
    send(ofd_client, make_receipt())
    send(ofd_client, make_receipt())

    (row,) = documents(ofd_client)["documents"]

    assert (row["status"], row["times_received"]) == ("duplicate", 2)


def test_other_documents_are_listed_by_type_without_operation_or_total(ofd_client: httpx.Client,
                                                                       register_life: FnDocument) -> None:
    rows = documents(ofd_client)["documents"]

    assert [(r["type"], r["operation"], r["total"]) for r in rows] == [
        ("receipt", "sale", "4501.67"), ("open shift", "", ""), ("registration report", "", "")]


def test_filters_keep_only_the_matching_documents(ofd_client: httpx.Client, make_receipt,
                                                  register_life: FnDocument) -> None:
    send(ofd_client, make_receipt(fiscal_doc_number=1, fn_serial=OTHER_FN))
    send(ofd_client, make_receipt(fiscal_doc_number=1, fn_serial=OTHER_FN))

    assert {d["fn"] for d in documents(ofd_client, fn=OTHER_FN)["documents"]} == {OTHER_FN}
    assert [d["type"] for d in documents(ofd_client, fn=DRIVE_FN, type="receipt")["documents"]] == ["receipt"]
    assert [d["fn"] for d in documents(ofd_client, status="duplicate")["documents"]] == [OTHER_FN]
    assert page(ofd_client, "/", type="open shift").attrs("document", "data-type") == ["open shift"]


def test_the_fn_filter_offers_every_fn_seen_whatever_is_filtered(ofd_client: httpx.Client, make_receipt) -> None:
    send(ofd_client, make_receipt())
    send(ofd_client, make_receipt(fn_serial=OTHER_FN))

    assert documents(ofd_client, fn=FN)["fns"] == [FN, OTHER_FN]
    html = ofd_client.get("/", params={"fn": FN}).text
    assert f'<option value="{FN}" selected>' in html and f'<option value="{OTHER_FN}">' in html


def test_the_poll_carries_the_rows_as_the_page_renders_them(ofd_client: httpx.Client, make_receipt) -> None:
    send(ofd_client, make_receipt())

    polled = Page(documents(ofd_client)["rows_html"])

    assert polled.attrs("document", "data-fd") == ["42"]


def test_each_fns_sequence_lists_its_missing_numbers(ofd_client: httpx.Client, make_receipt) -> None:
    for fd in (1, 2, 5, 7):
        send(ofd_client, make_receipt(fiscal_doc_number=fd))
    send(ofd_client, make_receipt(fiscal_doc_number=1, fn_serial=OTHER_FN))

    front = page(ofd_client, "/")

    assert front.attrs("fn-sequence", "data-fn") == [FN, OTHER_FN]
    assert front.texts("missing") == ["3", "4", "6"]
    assert "1–7" in front.texts("fn-sequence")[0]
    assert Page(documents(ofd_client)["sequences_html"]).texts("missing") == ["3", "4", "6"]


def test_a_document_page_shows_every_tag_as_received(ofd_client: httpx.Client, make_receipt) -> None:
    send(ofd_client, make_receipt())

    html = ofd_client.get(f"/documents/{FN}/42").text
    shown = page(ofd_client, f"/documents/{FN}/42")

    assert re.search(r"<h1>Receipt FD 42, FN 9999078900012345</h1>", html)
    assert re.search(r"<th[^>]*>Tag</th><th[^>]*>Name</th><th[^>]*>Value</th>", html)
    tags = shown.attrs("tag", "data-tag")
    assert {"1041", "1040", "1077", "1012", "1054", "1020", "1059", "1030", "1079", "1023", "1043", "1199",
            "1031", "1081"} <= set(tags)
    assert "Очки солнцезащитные Ray-Ban" in shown.text("tags")


def test_an_unknown_document_is_a_404_page(ofd_client: httpx.Client) -> None:
    response = ofd_client.get(f"/documents/{FN}/404")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "The OFD has received no document FD 404 from FN 9999078900012345." in response.text


def test_a_shift_document_has_no_slip(ofd_client: httpx.Client, register_life: FnDocument) -> None:
    shown = page(ofd_client, f"/documents/{DRIVE_FN}/2")

    assert "slip" not in shown.by_id and "qr" not in shown.by_id
    assert "1038" in shown.attrs("tag", "data-tag")


def test_the_slip_shows_what_the_buyer_reads(ofd_client: httpx.Client, register_life: FnDocument) -> None:
    shown = page(ofd_client, f"/documents/{DRIVE_FN}/{register_life.fd}")

    slip = shown.text("slip")
    assert shown.texts("seller")[1] == f"INN {register_life.tags['user_inn']}"  # from the registration report
    assert shown.texts("slip-item") == ["Оправа 1 × 4500.00 = 4500.00 22%", "Салфетка 0.5 × 3.33 = 1.67 10%"]
    assert "VAT 22% 811.48" in slip and "VAT 10% 0.15" in slip
    assert shown.text("slip-total") == "4501.67"
    assert "Cash 1.67" in slip and "Card (electronic) 4500.00" in slip
    assert f"FD {register_life.fd}" in slip and f"FP {register_life.fiscal_sign}" in slip
    assert f"FN {DRIVE_FN}" in slip and "Shift 1" in slip and "21.11.2026 10:02" in slip


def test_the_slips_qr_string_is_the_one_the_adapter_answers(ofd_client: httpx.Client,
                                                            register_life: FnDocument) -> None:
    shown = page(ofd_client, f"/documents/{DRIVE_FN}/{register_life.fd}")

    # The adapter's `fiscal.qr` is the signed document's `qr` (kkt_adapter.drivers.answers.fiscal_data).
    assert shown.text("qr-string") == register_life.qr
    assert register_life.qr.startswith("t=20261121T100217&s=4501.67&")


def test_the_slips_qr_code_is_an_inline_png(ofd_client: httpx.Client, register_life: FnDocument) -> None:
    qr = page(ofd_client, f"/documents/{DRIVE_FN}/{register_life.fd}").by_id["qr"]["attrs"]

    assert qr["alt"] == "QR code of the receipt"
    prefix = "data:image/png;base64,"
    assert qr["src"].startswith(prefix)
    assert base64.b64decode(qr["src"][len(prefix):]).startswith(b"\x89PNG\r\n\x1a\n")


def fields(qr: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in qr.split("&"))


def verdict(client: httpx.Client, **given: str) -> tuple[str | None, str]:
    result = page(client, "/check", **given)
    return result.by_id["check-result"]["attrs"].get("data-verdict"), result.text("check-result")


def test_the_check_form_has_a_labelled_input_per_requisite(ofd_client: httpx.Client) -> None:
    html = ofd_client.get("/check").text
    form = Page(html)

    for name in ("t", "s", "fn", "i", "fp", "n", "qr"):
        assert f'<label for="check-{name}">' in html
        assert f"check-{name}" in form.by_id
    assert "check-submit" in form.by_id and "check-result" not in form.by_id


def test_a_receipt_the_ofd_holds_is_found(ofd_client: httpx.Client, register_life: FnDocument) -> None:
    found, sentence = verdict(ofd_client, **fields(register_life.qr))

    assert found == "found"
    assert sentence.startswith("The OFD holds this receipt: sale of 4501.67 rubles")


def test_a_pasted_qr_string_is_checked_too(ofd_client: httpx.Client, register_life: FnDocument) -> None:
    assert verdict(ofd_client, qr=register_life.qr)[0] == "found"


def test_the_time_to_the_minute_is_enough(ofd_client: httpx.Client, register_life: FnDocument) -> None:
    given = fields(register_life.qr) | {"t": "20261121T1002"}

    assert verdict(ofd_client, **given)[0] == "found"


def test_a_wrong_fiscal_sign_is_told_apart(ofd_client: httpx.Client, register_life: FnDocument) -> None:
    given = fields(register_life.qr) | {"fp": "1"}

    assert verdict(ofd_client, **given) == (
        "wrong_sign", f"The fiscal sign 1 is wrong for FD 3 of FN {DRIVE_FN}: the receipt is forged or mistyped.")


@pytest.mark.parametrize("changed", [{"i": "99"}, {"s": "1.00"}, {"n": "2"}, {"t": "20261121T1003"}, {"i": "2"}])
def test_requisites_the_ofd_does_not_hold_are_not_found(ofd_client: httpx.Client, register_life: FnDocument,
                                                        changed: dict[str, str]) -> None:
    assert verdict(ofd_client, **(fields(register_life.qr) | changed))[0] == "not_found"


@pytest.mark.parametrize(("changed", "field"), [({"fn": "123"}, "fn"), ({"s": "12,50"}, "s"), ({"t": ""}, "t"),
                                                ({"n": "5"}, "n")])
def test_invalid_input_is_refused_naming_the_field(ofd_client: httpx.Client, changed: dict[str, str],
                                                   field: str) -> None:
    given = {"t": "20261121T1002", "s": "1.00", "fn": FN, "i": "1", "fp": "1", "n": "1"} | changed

    found, sentence = verdict(ofd_client, **given)

    assert found == "invalid" and sentence.startswith(f"The field {field} ")


def test_the_console_is_not_part_of_the_openapi_document(ofd_client: httpx.Client) -> None:
    paths = ofd_client.get("/openapi.json").json()["paths"]

    assert not [path for path in paths if not path.startswith("/ofd/v1/")]


def test_every_asset_is_served_by_the_emulator_itself(ofd_client: httpx.Client, make_receipt) -> None:
    send(ofd_client, make_receipt())
    html = "".join(ofd_client.get(url).text for url in ("/", f"/documents/{FN}/42", "/check"))

    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert not [url for url in assets if url.startswith(("http:", "https:", "//"))]
    for url in ("/console/static/console.js", "/console/static/console.css"):
        assert ofd_client.get(url).status_code == 200


def test_every_page_links_the_others(ofd_client: httpx.Client, make_receipt) -> None:
    send(ofd_client, make_receipt())

    for url in ("/", f"/documents/{FN}/42", "/check"):
        nav = ofd_client.get(url).text.split("</nav>")[0]
        assert 'href="/"' in nav and 'href="/check"' in nav
