"""Settings come from the seed's variable names, and bad values stop start-up naming the variable."""

from datetime import timedelta
from pathlib import Path

import pytest

from kkt_adapter.settings import ConfigurationError, load_settings


def test_the_seed_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"KKT_MODE": "mock", "OFD_MODE": "mock", "BUFFER_MAX_SIZE": "100", "SYNC_INTERVAL": "5",
                        "CIRCUIT_BREAKER_THRESHOLD": "3", "LOG_LEVEL": "debug"}.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(None)
    assert (settings.ofd_mode, settings.buffer_max_size, settings.sync_interval) == ("mock", 100, 5.0)
    assert (settings.circuit_breaker_threshold, settings.log_level) == (3, "DEBUG")


def test_defaults_bind_to_loopback_only() -> None:
    assert load_settings(None).kkt_adapter_host == "127.0.0.1"


def test_a_dotenv_file_is_read_and_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / ".env"
    env.write_text("BUFFER_MAX_SIZE=42\nSYNC_INTERVAL=7\n")
    monkeypatch.setenv("SYNC_INTERVAL", "9")
    settings = load_settings(env)
    assert (settings.buffer_max_size, settings.sync_interval) == (42, 9.0)


@pytest.mark.parametrize("name, value", [
    ("SYNC_INTERVAL", "abc"), ("SYNC_INTERVAL", "0"), ("BUFFER_MAX_SIZE", "-1"), ("KKT_MODE", "hardware"),
    ("CIRCUIT_BREAKER_THRESHOLD", "0"), ("LOG_LEVEL", "loud"), ("KKT_FN_SERIAL", "123"),
    ("KKT_TIMEZONE", "Mars/Base"), ("VAT_TAG_OVERRIDES", '{"18": 1}'), ("KKT_ADAPTER_PORT", "70000"),
    ("KKT_USER_INN", "7700000001"), ("KKT_USER_INN", "12345"), ("KKT_MAX_SHIFT_HOURS", "25"),
    ("FN_OFFLINE_LIMIT_DAYS", "0"), ("FN_STORAGE_LIMIT", "0"), ("KKT_SERIAL", ""),
])
def test_an_invalid_value_is_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch, name: str,
                                                         value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=name):
        load_settings(None)


@pytest.mark.parametrize("value", ["3", "0", "63", "64"])
def test_a_taxation_system_the_ofd_would_reject_is_refused_at_start(monkeypatch: pytest.MonkeyPatch,
                                                                    value: str) -> None:
    monkeypatch.setenv("KKT_TAXATION_SYSTEM", value)
    with pytest.raises(ConfigurationError, match=r"KKT_TAXATION_SYSTEM: .*exactly one taxation system"):
        load_settings(None)


@pytest.mark.parametrize("value", [1, 2, 4, 8, 16, 32])
def test_each_single_taxation_system_is_accepted(value: int) -> None:
    assert load_settings(None, kkt_taxation_system=value).kkt_taxation_system == value


def test_a_vat_tag_override_to_a_code_no_ofd_takes_is_refused_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAT_TAG_OVERRIDES", '{"22": 99}')
    with pytest.raises(ConfigurationError, match=r"VAT_TAG_OVERRIDES: tag 1199 code 99 for 22 is not one an OFD"):
        load_settings(None)


def test_a_vat_tag_override_within_the_ffd_table_is_taken() -> None:
    assert load_settings(None, vat_tag_overrides={"22": 1, "22/122": 3}).vat_tag_overrides == {"22": 1, "22/122": 3}


def test_an_inverted_print_delay_range_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KKT_PRINT_DELAY_MIN_MS", "600")
    with pytest.raises(ConfigurationError, match="KKT_PRINT_DELAY_MIN_MS"):
        load_settings(None)


def test_the_fiscal_drive_lives_beside_the_buffer_by_default(tmp_path: Path) -> None:
    settings = load_settings(None, buffer_db_path=tmp_path / "data" / "buffer.db")
    assert settings.fn_state_path == tmp_path / "data" / "mock_kkt.db"


def test_the_fiscal_drives_requisites_and_limits_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"KKT_USER_INN": "500100732259", "KKT_USER_NAME": "ИП Петров", "KKT_MAX_SHIFT_HOURS": "12",
                        "FN_OFFLINE_LIMIT_DAYS": "0.01", "FN_VALID_DAYS": "1", "FN_STORAGE_LIMIT": "10",
                        "KKT_AUTO_OPEN_SHIFT": "false"}.items():
        monkeypatch.setenv(name, value)
    config = load_settings(None).fn_config("9999078900012345")
    assert (config.user_inn, config.user_name, config.auto_open_shift) == ("500100732259", "ИП Петров", False)
    assert (config.max_shift, config.offline_limit, config.valid_for, config.storage_limit) == (
        timedelta(hours=12), timedelta(minutes=14.4), timedelta(days=1), 10)
