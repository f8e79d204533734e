"""The README's pictures of the two pages, taken from a real stack of fixtures in headless Chromium.

Every run takes them (into the test's tmp dir); `OPTICSERP_UPDATE_SCREENSHOTS=1 ./dev test
tests/browser/test_readme_screenshots.py` also writes them to docs/images/, where the README shows them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pytest_opticserp import KktAdapter

pytestmark = pytest.mark.browser

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


def test_the_readmes_pictures_of_the_ofd_console_a_receipt_and_the_adapters_page(
    browser, kkt_adapter: KktAdapter, ofd_emulator
) -> None:
    answers = [kkt_adapter.post_receipt().json() for _ in range(3)]
    kkt_adapter.wait_until_synced(3)
    fiscal = answers[-1]["fiscal"]

    browser.open(f"{ofd_emulator.url}/")
    browser.wait_for(f'#documents tr.document[data-fd="{fiscal["fiscal_doc_number"]}"]')
    shots = [browser.screenshot("ofd-console")]
    browser.open(f"{ofd_emulator.url}/documents/{fiscal['fn_serial']}/{fiscal['fiscal_doc_number']}")
    browser.wait_for("#slip")
    shots.append(browser.screenshot("ofd-receipt"))
    browser.open(f"{kkt_adapter.url}/")
    browser.wait_for("#synced", "3")
    shots.append(browser.screenshot("adapter-page"))

    assert all(shot.stat().st_size > 10_000 for shot in shots), "pictures of pages, not blank ones"
    if os.environ.get("OPTICSERP_UPDATE_SCREENSHOTS") == "1":
        IMAGES.mkdir(parents=True, exist_ok=True)
        for shot in shots:
            shutil.copy(shot, IMAGES / shot.name)
