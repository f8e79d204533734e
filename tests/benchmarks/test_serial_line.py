"""The serial register's line: what one receipt costs on the wire, and a noisy line that must lose no receipt.

The Shtrih-M emulator runs on a pty with the real `ShtrihRegister` and its fiscal drive; the adapter's `real`
driver talks to it through pyserial, as to a device. The emulated line paces the bytes of both directions at
its speed (emulators/shtrih/line.py), so a receipt cannot take less than its bytes' wire time; the figure is
how far above that the driver and the device stay (target: under 2x, issue 15). The bytes are the
emulator's counts, both directions, re-sends included.

The noisy line flips a random bit in 1% of the bytes the device sends (seeded). At that rate a 207-byte
frame (a chunk of a document read back, FFF1) arrives intact about one time in eight (0.99^210), so the
driver gets a retry budget to match (with the default, 5 re-asks per command, about half of those chunks fail).
The frame's LRC is a plain XOR, so two flips of the same bit in one frame pass it; a document read back whole
is checked against the device's CRC-32 and against what was just signed (its type, operation, total), so such
damage costs a re-read, never a wrong answer. Asserted: every receipt sold is signed once (none twice, none
lost), and every answer the driver gave is the FN's own document.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from emulators.shtrih.handle import ShtrihEmulator
from emulators.shtrih.line import wire_time
from emulators.shtrih.register import ShtrihRegister
from kkt_adapter.drivers.answers import fiscal_data
from kkt_adapter.drivers.base import FiscalData
from kkt_adapter.drivers.shtrih import LinkTimeouts, ShtrihDriver
from kkt_adapter.receipt import FiscalRequest
from tests.adapter.shtrih_register import SerialRegister, fn_config, item, receipt

BAUD = 115200
ROUNDS = 7
TARGET_RATIO = 2.0
NOISE_RATE, NOISE_SEED = 0.01, 15
NOISY_FRAMES = 1000
# A pty hands bytes over as they are written: no USB latency timer to wait out after a damaged frame.
NOISY_LINE_TIMEOUTS = LinkTimeouts(control=0.2, byte=0.3, answer=3.0, retries=50, quiet=0.005)
LENSES_AND_CASE = (item("Линзы", 480000, "2.000", rate="10"), item("Футляр", 50000, rate="none"))


def three_items(n: int) -> FiscalRequest:
    """A frame, lenses and a case, at three VAT rates; the frame's price (so the total) says which sale it is."""
    return receipt(item(f"Оправа {n}", 1250000 + n), *LENSES_AND_CASE)


StartRegister = Callable[[int], SerialRegister]
OpenDriver = Callable[..., Awaitable[ShtrihDriver]]


@pytest.fixture
def start_register(tmp_path: Path) -> Iterator[StartRegister]:
    """The emulator at `baud` (0 = as fast as the pty) on the real register, print delay 0."""
    started: list[ShtrihEmulator] = []

    def start(baud: int) -> SerialRegister:
        state_dir = tmp_path / "register"
        emulator = ShtrihEmulator(
            lambda: ShtrihRegister(state_dir, fn_config=fn_config(), sign_key=b"key", print_delay=0.0),
            link=tmp_path / "kkt", tcp_port=None, baud=baud)
        started.append(emulator.start())
        return SerialRegister(emulator, state_dir)

    yield start
    for emulator in started:
        emulator.stop()


@pytest.fixture
async def open_driver(tmp_path: Path) -> AsyncIterator[OpenDriver]:
    drivers: list[ShtrihDriver] = []

    async def open_(register: SerialRegister, timeouts: LinkTimeouts | None = None) -> ShtrihDriver:
        driver = ShtrihDriver(register.url, journal_path=tmp_path / "journal.db", baudrate=BAUD,
                              link_timeouts=timeouts)
        drivers.append(driver)
        await driver.open()
        return driver

    yield open_
    for driver in drivers:
        await driver.close()


async def test_one_receipt_of_three_items_at_115200_baud_takes_under_twice_its_wire_time(
        start_register: StartRegister, open_driver: OpenDriver, opticserp_report_figure) -> None:
    """Median of several receipts after a warm-up, each against the bytes it exchanged (they vary by a byte or
    two with the document's contents)."""
    register = start_register(BAUD)
    driver = await open_driver(register)
    emulator = register.emulator
    await driver.fiscalize(three_items(0), "warm-up")  # opens the shift, learns the register's zone

    seconds, device_bytes, host_bytes, commands = [], [], [], []
    for n in range(1, ROUNDS + 1):
        before = emulator.stats
        started = time.perf_counter()
        answer = await driver.fiscalize(three_items(n), f"r{n}")
        seconds.append(time.perf_counter() - started)
        after = emulator.stats
        device_bytes.append(after.bytes_sent - before.bytes_sent)
        host_bytes.append(after.bytes_received - before.bytes_received)
        commands.append(after.executed - before.executed)
        assert answer == fiscal_data(register.receipts()[-1])

    median = statistics.median(seconds)
    total = round(statistics.median(d + h for d, h in zip(device_bytes, host_bytes, strict=True)))
    wire = wire_time(total, BAUD)
    ratio = median / wire
    opticserp_report_figure(
        f"serial line: one receipt of 3 items at {BAUD} baud, print delay 0: {median * 1000:.1f} ms median of "
        f"{ROUNDS} (min {min(seconds) * 1000:.1f}, max {max(seconds) * 1000:.1f}); {commands[0]} commands, "
        f"{total:,} bytes on the wire (median; {statistics.median(device_bytes):,.0f} from the device, "
        f"{statistics.median(host_bytes):,.0f} from the host)")
    opticserp_report_figure(
        f"serial line: wire time of those bytes {wire * 1000:.1f} ms (bytes x 10 / {BAUD}); receipt / wire time "
        f"= {ratio:.2f}x; target under {TARGET_RATIO:g}x {'met' if ratio < TARGET_RATIO else 'MISSED'}")
    assert ratio < TARGET_RATIO, f"a receipt took {ratio:.2f}x its bytes' wire time ({median * 1000:.1f} ms)"


async def fiscalize_once(driver: ShtrihDriver, request: FiscalRequest, ext_id: str,
                         failures: Counter[str], attempts: int = 20) -> FiscalData:
    """What the adapter's service does: on a failure ask the register what it signed, retry only if nothing.
    Each failed call is counted in `failures` by its error."""
    for _ in range(attempts):
        try:
            return await driver.fiscalize(request, ext_id)
        except Exception as error:  # a crash is a failed call too, counted by its kind
            failures[getattr(error, "code", type(error).__name__)] += 1
        try:
            if (found := await driver.find(ext_id)) is not None:
                return found
        except Exception as error:
            failures[f"find: {getattr(error, 'code', type(error).__name__)}"] += 1
    raise AssertionError(f"{ext_id} failed {attempts} times: {dict(failures)}")


async def test_a_thousand_frames_with_one_byte_in_a_hundred_corrupted_sign_every_receipt_exactly_once(
        start_register: StartRegister, open_driver: OpenDriver, opticserp_report_figure) -> None:
    """Receipts until the device has sent 1,000 frames (ACKs and NAKs not counted), on a line as fast as the pty:
    the speed does not change which bytes the noise hits."""
    register = start_register(0)
    emulator = register.emulator
    driver = await open_driver(register, NOISY_LINE_TIMEOUTS)
    emulator.corrupt_rate(NOISE_RATE, seed=NOISE_SEED)
    started = time.perf_counter()

    sales: list[FiscalRequest] = []
    answers: list[FiscalData] = []
    failures: Counter[str] = Counter()
    while emulator.stats.frames_sent < NOISY_FRAMES:
        sales.append(three_items(len(sales)))  # each sale's total is its own: the FN's documents say which is which
        answers.append(await fiscalize_once(driver, sales[-1], f"noisy-{len(sales)}", failures))
    elapsed = time.perf_counter() - started
    emulator.clear_faults()

    signed = {document.tags["total"]: fiscal_data(document) for document in register.receipts()}
    fn_totals = sorted(document.tags["total"] for document in register.receipts())
    as_signed = sum(answer == signed.get(sale.total) for sale, answer in zip(sales, answers, strict=True))
    stats, link = emulator.stats, driver._client.link
    opticserp_report_figure(
        f"serial line, {NOISE_RATE:.0%} of the device's bytes corrupted (seed {NOISE_SEED}): {stats.frames_sent:,} "
        f"frames sent, {stats.frames_damaged:,} damaged; {len(sales)} receipts sold, {len(fn_totals)} in the FN "
        f"({len(signed)} distinct); damaged answers asked for again (host NAK) {link.damaged}, answers re-sent "
        f"by the device {stats.answers_resent}, repeated requests answered from memory {stats.repeated_frames}; "
        f"calls failed and retried {sum(failures.values())} ({', '.join(f'{k} {n}' for k, n in failures.items())}); "
        f"{elapsed:.1f} s")
    opticserp_report_figure(
        f"serial line, {NOISE_RATE:.0%} corrupted: {as_signed} of {len(answers)} answers are the FN's document; "
        f"{driver._client.damaged_reads} documents read back damaged past the frames' XOR check and read again")
    assert fn_totals == sorted(sale.total for sale in sales), "every receipt sold is in the FN once: none twice or lost"
    assert as_signed == len(answers), "every answer the driver gave is the FN's own document"
