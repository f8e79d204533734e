"""The serial register in the plugin: `kkt_register_device`, and adapter fixtures pointed at it by a setting
(`kkt_mode="real"`) or for the whole run (`--opticserp-kkt=serial`)."""

from __future__ import annotations

import sqlite3

import pytest

from pytest_opticserp import InProcessKktAdapter, KktAdapter


def receipts_in(path) -> list[tuple[int, int]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as fn:
        return fn.execute("SELECT fd, total FROM documents WHERE doc_type = 3 ORDER BY fd").fetchall()


@pytest.mark.kkt_adapter(kkt_mode="real")
def test_an_adapter_set_to_the_real_driver_sells_on_the_serial_register(kkt_adapter: KktAdapter,
                                                                         kkt_register_device) -> None:
    answer = kkt_adapter.post_receipt()
    assert answer.status_code == 200, answer.text
    assert kkt_adapter.health()["kkt"]["mode"] == "real"
    assert kkt_adapter.setting("kkt_device") == kkt_register_device.url
    fiscal = answer.json()["fiscal"]
    assert receipts_in(kkt_register_device.fiscal_drive_path) == [(fiscal["fiscal_doc_number"], 500000)]
    assert kkt_adapter.fiscal_drive_path == kkt_register_device.fiscal_drive_path


@pytest.mark.kkt_adapter(kkt_mode="real", kkt_timezone="Asia/Vladivostok", kkt_register_clock_offset_seconds=3600)
def test_the_serial_registers_clock_follows_the_adapters_register_settings(
        kkt_adapter_app: InProcessKktAdapter, kkt_register_device) -> None:
    signed = kkt_adapter_app.post_receipt().json()["fiscal"]["datetime"]
    assert signed.endswith("+10:00")
    assert str(kkt_register_device.clock.offset) == "1:00:00"
    kkt_adapter_app.restart(kkt_register_clock_offset_seconds=7200)
    assert str(kkt_register_device.clock.offset) == "2:00:00"


def test_the_device_alone_answers_as_a_shtrih_and_its_faults_reach_the_emulator(kkt_register_device) -> None:
    assert kkt_register_device.link_path.is_symlink()  # started on first use, with the defaults
    kkt_register_device.paper_out()
    assert kkt_register_device.register.paper_present is False
    kkt_register_device.paper_in()


def test_the_run_option_puts_every_adapter_fixture_on_the_serial_register(
        pytester: pytest.Pytester, inner_args: list[str]) -> None:
    pytester.makepyfile(
        """
        import pytest

        def test_sells(kkt_adapter_app):
            assert kkt_adapter_app.post_receipt().status_code == 200
            assert kkt_adapter_app.health()["kkt"]["mode"] == "real"
            assert kkt_adapter_app.register_device is not None

        @pytest.mark.kkt_adapter(kkt_mode="mock")
        def test_a_test_may_keep_the_mock(kkt_adapter_app):
            assert kkt_adapter_app.health()["kkt"]["mode"] == "mock"

        @pytest.mark.kkt_register(shift_opened_hours_ago=25)
        def test_the_serial_registers_fn_is_prepared_too(kkt_adapter_app):
            refused = kkt_adapter_app.post_receipt()
            assert (refused.status_code, refused.json()["error"]) == (409, "shift_expired")
        """
    )
    result = pytester.runpytest(*inner_args, "--opticserp-kkt=serial")
    result.assert_outcomes(passed=3)


def test_an_unknown_device_option_is_a_usage_error(pytester: pytest.Pytester, inner_args: list[str]) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.kkt_register_device(baudrate=9600)
        def test_device(kkt_register_device):
            kkt_register_device.link_path
        """
    )
    result = pytester.runpytest(*inner_args)
    result.stdout.fnmatch_lines(["*kkt_register_device: unknown baudrate; known: baud, print_delay, tcp*"])
    assert result.ret != 0
