"""Black-box scenario suites: the adapter as a real process, the emulators, the network between them.

Each module is one family, selected with `pytest -m <family>` (see the markers in pyproject.toml).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pytest_opticserp import KktAdapter


@pytest.fixture
def post_receipts(kkt_adapter: KktAdapter) -> Callable[[int], list[dict]]:
    """Post `n` receipts with fresh keys; every one must be accepted. Returns the adapter's answers."""

    def post(n: int) -> list[dict]:
        answers = []
        for _ in range(n):
            response = kkt_adapter.post_receipt()
            assert response.status_code == 200, response.text
            answers.append(response.json())
        return answers

    return post


def delivered_fiscal_numbers(ofd_emulator) -> list[int]:
    """Fiscal document numbers in the order the OFD received them."""
    return [document.document["fiscal_doc_number"] for document in ofd_emulator.received()]
