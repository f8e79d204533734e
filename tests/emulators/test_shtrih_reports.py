"""FF38, the state of settlements report, and FFF2 (ours), the shift's counters read back: what a host gets."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from emulators.shtrih.register import ShtrihRegister
from fiscal.fn import FnConfig
from fiscal.shtrih import commands as c
from fiscal.shtrih.device_layouts import CashAmount, CloseCheck, PasswordOnly, Sale
from fiscal.shtrih.fn_layouts import CHUNK, FindDocument, ReadCounters


@pytest.fixture
async def register(tmp_path: Path) -> AsyncIterator[ShtrihRegister]:
    config = FnConfig(fn_serial="9999078900012345", kkt_reg_number="0000000001012345", auto_open_shift=False)
    register = ShtrihRegister(tmp_path / "register", fn_config=config, sign_key=b"key")
    await register.open()
    yield register
    await register.close()


async def ask(register: ShtrihRegister, code: int, message: Any = None) -> c.Answer:
    message = message if message is not None else PasswordOnly(30)
    return c.decode_answer(await register.execute(c.encode_request(code, message)))


async def counters(register: ShtrihRegister) -> dict[str, Any]:
    data, length = b"", None
    while length is None or len(data) < length:
        chunk = (await ask(register, c.READ_COUNTERS, ReadCounters(len(data)))).message
        assert len(chunk.chunk) <= CHUNK
        data, length = data + chunk.chunk, chunk.length
    result: dict[str, Any] = json.loads(data)
    return result


async def test_ff38_signs_a_state_report_and_answers_its_number_and_sign(register: ShtrihRegister) -> None:
    answer = await ask(register, c.FN_STATE_REPORT)
    found = (await ask(register, c.FN_FIND_DOCUMENT, FindDocument(answer.message.fd))).message

    assert answer.error == 0 and answer.message.fd == 2
    assert (found.doc_type, found.fiscal_sign, found.unsent_count) == (21, answer.message.fiscal_sign, 1)
    assert register.tape[-1].kind == "state_report"
    assert (await ask(register, c.FN_STATE_REPORT, PasswordOnly(1))).error == 0x4F  # an administrator's command


async def test_ff38_with_a_check_open_is_refused_0x4a(register: ShtrihRegister) -> None:
    await ask(register, c.OPEN_SHIFT, PasswordOnly(1))
    await ask(register, c.SALE, Sale(1000, 10000))
    assert (await ask(register, c.FN_STATE_REPORT)).error == 0x4A


async def test_fff2_reads_the_x_reports_counters_in_a_shift_and_the_drawer_outside_one(
        register: ShtrihRegister) -> None:
    closed = await counters(register)
    await ask(register, c.OPEN_SHIFT, PasswordOnly(1))
    await ask(register, c.SALE, Sale(2000, 15000, (1, 0, 0, 0), "Оправа"))
    await ask(register, c.CLOSE_CHECK, CloseCheck((30000, 0, 0, 0)))
    await ask(register, c.CASH_IN, CashAmount(5000))
    in_shift = await counters(register)

    assert (closed["shift_open"], closed["cash_in_drawer"], "shift_totals" in closed) == (False, 0, False)
    assert in_shift["shift_totals"]["sale"]["total"] == 30000
    assert (in_shift["cash_in"], in_shift["cash_in_count"], in_shift["cash_in_drawer"]) == (5000, 1, 35000)
    conn = sqlite3.connect(register.state_dir / "fn.db")
    try:
        assert in_shift == register.drive.x_report(conn)
    finally:
        conn.close()
