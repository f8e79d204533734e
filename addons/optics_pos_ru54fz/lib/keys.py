"""Idempotency keys: the same order, or the same session's shift call, gets the same key on every retry.

The adapter answers a repeated key with the first receipt. So a key must come from what the order already is,
never be drawn at random when it is sent: a random key made in a transaction that fiscalizes and then rolls
back (a serialization failure, a worker killed) would be a new key on the retry, and a second receipt.

An order the POS made carries the POS's own UUID; that is the key. Otherwise the key is a name-based UUID
(UUID5) of the database's UUID and the record's id, so two databases sharing one adapter never collide.
"""

from __future__ import annotations

import re
import uuid

# Our own namespace for name-based keys; fixed forever, or every derived key would change.
KEY_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://opticserp.invalid/kkt/idempotency")
_KEY_TEXT = re.compile(r"^[\x21-\x7e]{1,100}$")  # the adapter takes 1-128 visible ASCII characters


def order_key(database_uuid: str, order_id: int, pos_uuid: str | None = None) -> str:
    """The key for fiscalizing one `pos.order`: `pos-order-<the POS's UUID>`, else derived from the database."""
    if pos_uuid:
        if not _KEY_TEXT.match(pos_uuid):
            raise ValueError(f"the order's UUID {pos_uuid!r} is not 1-100 visible ASCII characters")
        return f"pos-order-{pos_uuid}"
    return f"pos-order-{_derived(database_uuid, 'pos.order', order_id)}"


def shift_key(database_uuid: str, session_id: int, action: str) -> str:
    """The key for opening (`open`) or closing (`close`) the register's shift for one `pos.session`."""
    if action not in ("open", "close"):
        raise ValueError(f"a shift is opened or closed, not {action!r}")
    return f"shift-{action}-{_derived(database_uuid, f'pos.session/{action}', session_id)}"


def _derived(database_uuid: str, model: str, record_id: int) -> uuid.UUID:
    if not database_uuid or not database_uuid.strip():
        raise ValueError("the database's UUID is needed to derive a key")
    if isinstance(record_id, bool) or not isinstance(record_id, int) or record_id <= 0:
        raise ValueError(f"a saved record's id is needed to derive a key, not {record_id!r}")
    return uuid.uuid5(KEY_NAMESPACE, f"{database_uuid.strip()}:{model}:{record_id}")
