"""Adapter settings from the environment and `.env`, under the seed guide's variable names.

Every field is read from the variable of the same name in upper case (`SYNC_INTERVAL`, `KKT_MODE`, ...).
An invalid value stops start-up with a message naming the variable (see `load_settings`).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, AnyHttpUrl, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from fiscal.fn import FnConfig, inn_problem
from fiscal.origin import HostAllowList, parse_host_list
from fiscal.redact import redact_text, redact_url
from fiscal.taxation import TAXATION_SYSTEMS
from fiscal.vat import VAT_CODE_NAMES

from .vat import parse_rate

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
BAUDRATES = (2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    kkt_mode: Literal["mock", "real"] = Field("mock", description="Register driver.")
    ofd_mode: Literal["http", "mock"] = Field("http", description="OFD over HTTP, or in-process.")
    buffer_max_size: int = Field(1000, ge=1, description="Undelivered receipts the buffer accepts.")
    buffer_db_path: Path = Field(Path("data/buffer.db"), description="SQLite buffer file.")
    sync_interval: float = Field(30.0, gt=0, description="Seconds between OFD sync runs.")
    circuit_breaker_threshold: int = Field(5, ge=1, description="Consecutive OFD failures that open it.")
    circuit_breaker_recovery_timeout: float = Field(30.0, gt=0, description="Seconds open before a trial.")
    log_level: LogLevel = "INFO"

    ofd_url: AnyHttpUrl = Field(
        AnyHttpUrl("http://127.0.0.1:9000"),
        validation_alias=AliasChoices("OFD_URL", "MOCK_OFD_URL"),
        description="OFD base URL (OFD_URL, or the seed's MOCK_OFD_URL).",
    )
    ofd_timeout: float = Field(10.0, gt=0, description="Seconds per OFD request.")
    ofd_max_concurrency: int = Field(8, ge=1, le=64, description="OFD requests in flight at once.")
    ofd_max_attempts: int = Field(50, ge=1, description="Delivery attempts before a receipt goes to the DLQ.")
    ofd_retry_base: float = Field(1.0, gt=0, description="Seconds before the first retry; doubles each time.")
    ofd_retry_max: float = Field(300.0, gt=0, description="Longest wait between retries.")
    ofd_probe_interval: float = Field(
        5.0, gt=0, description="Seconds between OFD health checks while it is unreachable and receipts wait; "
        "once it answers, backoffs end and the queue moves.")
    sync_batch_size: int = Field(200, ge=1, le=10_000, description="Receipts read and committed per step.")
    redis_url: str | None = Field(None, description="Redis for the sync lock; unset means a local lock.")
    heartbeat_interval: float = Field(30.0, gt=0, description="Seconds between heartbeats to Odoo.")
    odoo_api_url: AnyHttpUrl | None = Field(
        AnyHttpUrl("http://127.0.0.1:8070"),
        validation_alias=AliasChoices("ODOO_API_URL", "MOCK_ODOO_URL"),
        description="Odoo API base URL for heartbeats (ODOO_API_URL, or the seed's MOCK_ODOO_URL); empty disables.",
    )
    kkt_adapter_id: str = Field("kkt-adapter-1", min_length=1, max_length=64, description="Name in heartbeats.")

    kkt_adapter_host: str = Field("127.0.0.1", min_length=1, description="Bind address.")
    kkt_adapter_port: int = Field(8000, ge=0, le=65535, description="Bind port; 0 picks a free one.")
    max_request_bytes: int = Field(256 * 1024, ge=1024, description="Larger request bodies get 413.")
    max_header_bytes: int = Field(16 * 1024, ge=1024, le=1024 * 1024,
                                  description="A longer request line and headers get 431.")
    max_header_count: int = Field(100, ge=10, le=1000, description="More header lines get 431.")
    kkt_allowed_hosts: str = Field(
        "", description="Host names answered besides loopback and the bind address: a comma list, name or "
        "name:port; * answers any (see api/access.py).",
    )
    kkt_api_token: SecretStr | None = Field(
        None, description="When set, every call but /v1/health needs Authorization: Bearer <token>.",
    )
    kkt_console: Literal["on", "off"] = Field(
        "on", description="The adapter's own web page at / (console/): set off in production, the page is for "
        "development.",
    )

    kkt_state_path: Path | None = Field(None, description="Mock register's fiscal drive file.")
    kkt_print_delay_min_ms: int = Field(200, ge=0, le=60_000)
    kkt_print_delay_max_ms: int = Field(500, ge=0, le=60_000)
    kkt_fn_serial: str | None = Field(None, pattern=r"^\d{16}$", description="FN serial for a new FN.")
    kkt_reg_number: str = Field("0000000001012345", pattern=r"^\d{1,20}$")
    kkt_sign_key: SecretStr = Field(SecretStr("opticserp-dev-fn-key"), description="Fiscal sign HMAC key.")
    kkt_timezone: str = Field("Europe/Moscow", description="The register's local time zone.")
    kkt_clock_offset_seconds: float = Field(
        0.0, ge=-10 * 365 * 86400, le=10 * 365 * 86400,
        description="Added to the wall clock the adapter reads (receipts' HLC and created_at, and the mock "
        "register's clock unless KKT_REGISTER_CLOCK_OFFSET_SECONDS says otherwise): emulates a machine whose "
        "clock is wrong or was set back.",
    )
    kkt_register_clock_offset_seconds: float | None = Field(
        None, ge=-10 * 365 * 86400, le=10 * 365 * 86400,
        description="The mock register's own clock offset, when it differs from the machine's: a register keeps "
        "its own clock, so the POS machine's clock can step back while the register's does not. Unset: "
        "KKT_CLOCK_OFFSET_SECONDS.",
    )
    kkt_taxation_system: int = Field(1, description="Tag 1055, one system: 1 ОСН, 2 УСН доход, 4, 8, 16, 32.")
    kkt_user_inn: str = Field("7700000009", description="Tag 1018, the user's INN (10 or 12 digits) a new FN is "
                              "registered with.")
    kkt_user_name: str = Field("OpticsERP development shop", min_length=1, max_length=256,
                               description="Tag 1048, the user's name.")
    kkt_address: str = Field("Moscow, test street 1", min_length=1, max_length=256,
                             description="Tag 1009, the settlement address.")
    kkt_place: str = Field("optics shop", min_length=1, max_length=256, description="Tag 1187, the settlement place.")
    kkt_serial: str = Field("0000000000000001", pattern=r"^[0-9A-Za-z]{1,20}$", description="Tag 1013, the KKT serial.")
    kkt_auto_open_shift: bool = Field(True, description="A sale with no open shift opens one (the seed's curl relies "
                                      "on it); false: it is refused with shift_closed.")
    kkt_max_shift_hours: float = Field(24.0, gt=0, le=24, description="Hours a shift may stay open; then sales are "
                                       "refused (shift_expired) until the POS closes it.")
    fn_offline_limit_days: float = Field(30.0, gt=0, le=30, description="Days the FN waits for the OFD to "
                                         "acknowledge its oldest unsent document before it blocks (fractions allowed).")
    fn_valid_days: float = Field(456.0, gt=0, le=36 * 31, description="Days from registration to the FN's expiry.")
    fn_storage_limit: int = Field(250_000, ge=1, description="Unacknowledged documents the FN holds before it blocks.")
    vat_tag_overrides: dict[str, int] = Field(default_factory=dict, description="JSON: rate → tag 1199.")

    kkt_device: str | None = Field(
        None, min_length=1, description="KKT_MODE=real: the register's port, a device path (/dev/ttyUSB0) or a "
        "pyserial URL (socket://127.0.0.1:7778 for a network model or the emulator's TCP port).")
    kkt_baudrate: int = Field(115200, description="KKT_MODE=real: the serial line's speed.")
    kkt_operator_password: int = Field(1, ge=1, le=30, description="KKT_MODE=real: the cashier's password (1-28; "
                                       "29 or 30 for an administrator).")
    kkt_admin_password: int = Field(30, ge=29, le=30, description="KKT_MODE=real: the administrator's password, "
                                    "for reports and the FN's queries.")
    kkt_device_timeout: float = Field(5.0, gt=0, le=120, description="KKT_MODE=real: seconds a device may take "
                                      "to answer a command it has accepted (a device that accepts nothing is "
                                      "declared unavailable after about 3 s of unanswered ENQs).")

    @field_validator("odoo_api_url", "redis_url", "kkt_api_token", "kkt_device", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        if value is not None:
            from redis.connection import parse_url as parse_redis_url  # redis's own reading; imported when used

            try:
                parse_redis_url(value)
            except ValueError as exc:  # refused now, not as a traceback when the lock first connects
                raise ValueError(f"not a Redis URL: {redact_text(str(exc))}") from None
        return value

    @field_validator("kkt_allowed_hosts")
    @classmethod
    def _host_list(cls, value: str) -> str:
        parse_host_list(value)
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("kkt_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("kkt_user_inn")
    @classmethod
    def _inn(cls, value: str) -> str:
        problem = inn_problem(value)
        if problem is not None:  # the OFD checks the control digits: every document would be refused
            raise ValueError(problem)
        return value

    @field_validator("kkt_taxation_system")
    @classmethod
    def _one_taxation_system(cls, value: int) -> int:
        if value not in TAXATION_SYSTEMS:  # the OFD rejects any other value, so no receipt could ever arrive
            known = ", ".join(f"{code} {name}" for code, name in TAXATION_SYSTEMS.items())
            raise ValueError(f"a receipt names exactly one taxation system (tag 1055): {known}")
        return value

    @field_validator("vat_tag_overrides")
    @classmethod
    def _known_rates(cls, value: dict[str, int]) -> dict[str, int]:
        for rate, code in value.items():
            parse_rate(rate)
            known = sorted(VAT_CODE_NAMES)  # the tag 1199 table an OFD reads (fiscal.vat); it refuses others
            if code not in known:
                raise ValueError(f"tag 1199 code {code} for {rate} is not one an OFD takes "
                                 f"({', '.join(map(str, known))}): every receipt at that rate would be rejected")
        return value

    @field_validator("kkt_baudrate")
    @classmethod
    def _standard_baudrate(cls, value: int) -> int:
        if value not in BAUDRATES:
            raise ValueError(f"a line speed a Shtrih register takes: {', '.join(map(str, BAUDRATES))}")
        return value

    @model_validator(mode="after")
    def _delay_range(self) -> Settings:
        if self.kkt_print_delay_min_ms > self.kkt_print_delay_max_ms:
            raise ValueError("KKT_PRINT_DELAY_MIN_MS must not exceed KKT_PRINT_DELAY_MAX_MS")
        return self

    @model_validator(mode="after")
    def _device_for_real(self) -> Settings:
        if self.kkt_mode == "real" and self.kkt_device is None:
            raise ValueError("KKT_DEVICE: KKT_MODE=real needs the register's port (/dev/ttyUSB0, a pty path, or "
                             "socket://host:port)")
        return self

    @property
    def ofd_base_url(self) -> str:
        return str(self.ofd_url).rstrip("/")

    @property
    def allowed_hosts(self) -> HostAllowList:
        return HostAllowList.for_server(self.kkt_adapter_host, parse_host_list(self.kkt_allowed_hosts))

    @property
    def register_clock_offset_seconds(self) -> float:
        if self.kkt_register_clock_offset_seconds is None:
            return self.kkt_clock_offset_seconds
        return self.kkt_register_clock_offset_seconds

    @property
    def fn_state_path(self) -> Path:
        return self.kkt_state_path or self.buffer_db_path.with_name("mock_kkt.db")

    @property
    def device_journal_path(self) -> Path:
        """KKT_MODE=real: the driver's journal of what it asked the device to sign, beside the buffer."""
        return self.buffer_db_path.with_name("kkt_journal.db")

    def fn_config(self, fn_serial: str) -> FnConfig:
        """The mock register's FN: `fn_serial` is used if the FN is new (a registered one keeps its own)."""
        return FnConfig(
            fn_serial=fn_serial, kkt_reg_number=self.kkt_reg_number, kkt_serial=self.kkt_serial,
            user_inn=self.kkt_user_inn, user_name=self.kkt_user_name, address=self.kkt_address, place=self.kkt_place,
            taxation_system=self.kkt_taxation_system, max_shift=timedelta(hours=self.kkt_max_shift_hours),
            offline_limit=timedelta(days=self.fn_offline_limit_days), valid_for=timedelta(days=self.fn_valid_days),
            storage_limit=self.fn_storage_limit, auto_open_shift=self.kkt_auto_open_shift,
        )

    @property
    def print_delay_seconds(self) -> tuple[float, float]:
        return self.kkt_print_delay_min_ms / 1000, self.kkt_print_delay_max_ms / 1000


_OFD_URL, _ODOO_URL = "OFD_URL (or MOCK_OFD_URL)", "ODOO_API_URL (or MOCK_ODOO_URL)"
ENV_NAMES = {"ofd_url": _OFD_URL, "OFD_URL": _OFD_URL, "MOCK_OFD_URL": _OFD_URL,
             "odoo_api_url": _ODOO_URL, "ODOO_API_URL": _ODOO_URL, "MOCK_ODOO_URL": _ODOO_URL}


class ConfigurationError(Exception):
    """Start-up refused: the message names each bad variable."""


def load_settings(env_file: str | Path | None = ".env", **overrides: object) -> Settings:
    try:
        return Settings(_env_file=env_file, **overrides)
    except ValidationError as exc:
        raise ConfigurationError(describe_errors(exc)) from None


def describe_errors(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        message = error["msg"].removeprefix("Value error, ")
        if not error["loc"]:
            lines.append(message)
            continue
        field = str(error["loc"][0])
        shown = _shown_input(field, error.get("input"))
        lines.append(f"{ENV_NAMES.get(field, field.upper())}: {redact_text(message)}{shown}")
    return "invalid configuration:\n  " + "\n  ".join(lines)


_URL_FIELDS = {"ofd_url", "mock_ofd_url", "odoo_api_url", "mock_odoo_url", "redis_url"}
_SECRET_FIELDS = {"kkt_api_token", "kkt_sign_key"}


def _shown_input(field: str, given: object) -> str:
    """The refused value, as start-up errors quote it: URLs without their credentials, secrets not at all."""
    if isinstance(given, dict) or given is None:
        return ""
    if field.lower() in _SECRET_FIELDS:
        return " (the value is not shown)"
    if field.lower() in _URL_FIELDS and isinstance(given, str):
        return f" (got {redact_url(given)!r})"
    return f" (got {redact_text(repr(given))})"
