"""The toxics a `ToxicProxy` can apply, as validated models shared by the Python API and the admin API.

Directions follow Toxiproxy: `downstream` is upstream → client, `upstream` is client → upstream.
"""

from __future__ import annotations

import random
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

Direction = Literal["downstream", "upstream", "both"]
# Every number a toxic takes is bounded, so no toxic outlasts a test run: at most 10 minutes of waiting, and a
# bandwidth between 0.001 KB/s and 10 GB/s.
MAX_MS = 600_000
Milliseconds = Annotated[float, Field(ge=0, le=MAX_MS, allow_inf_nan=False)]


class _Toxic(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64)

    @model_validator(mode="before")
    @classmethod
    def _name_defaults_to_type(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("name"):
            data = {**data, "name": data.get("type") or cls.model_fields["type"].default}
        return data

    def applies_to(self, direction: Literal["downstream", "upstream"]) -> bool:
        own = getattr(self, "direction", "both")
        return own in (direction, "both")


class Down(_Toxic):
    """The listener is closed: new connections refused, open ones closed. Removing it re-binds the port."""

    type: Literal["down"] = "down"


class Blackhole(_Toxic):
    """Connections are accepted but bytes in `direction` are dropped, never forwarded or answered."""

    type: Literal["blackhole"] = "blackhole"
    direction: Direction = "both"


class Latency(_Toxic):
    """Each chunk waits latency_ms ± jitter_ms (uniform) before it is forwarded."""

    type: Literal["latency"] = "latency"
    latency_ms: Milliseconds
    jitter_ms: Milliseconds = 0
    direction: Direction = "downstream"

    def delay_seconds(self, rng: random.Random) -> float:
        jitter = rng.uniform(-self.jitter_ms, self.jitter_ms) if self.jitter_ms else 0.0
        return max(0.0, self.latency_ms + jitter) / 1000


class ResetPeer(_Toxic):
    """Connections are reset (RST, SO_LINGER 0) timeout_ms after they open, or after the toxic is added."""

    type: Literal["reset_peer"] = "reset_peer"
    timeout_ms: Milliseconds = 0


class Bandwidth(_Toxic):
    """At most `rate` KB/s (1 KB = 1024 bytes) in `direction`."""

    type: Literal["bandwidth"] = "bandwidth"
    rate: float = Field(ge=0.001, le=10_000_000, allow_inf_nan=False)
    direction: Direction = "downstream"

    @property
    def bytes_per_second(self) -> float:
        return self.rate * 1024


class SlowClose(_Toxic):
    """When the upstream closes, the client side is closed only delay_ms later."""

    type: Literal["slow_close"] = "slow_close"
    delay_ms: Milliseconds


Toxic = Annotated[Down | Blackhole | Latency | ResetPeer | Bandwidth | SlowClose, Field(discriminator="type")]
TOXIC_TYPES = ("down", "blackhole", "latency", "reset_peer", "bandwidth", "slow_close")
_toxic_adapter: TypeAdapter[Toxic] = TypeAdapter(Toxic)


def build_toxic(spec: dict[str, Any]) -> Toxic:
    """A toxic from `{"type": ..., "name"?: ..., **params}`; pydantic's ValidationError names a bad field."""
    return _toxic_adapter.validate_python(spec)


def toxic_to_json(toxic: Toxic) -> dict[str, Any]:
    return toxic.model_dump()
