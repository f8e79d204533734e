"""A real browser for the web pages' tests: Debian's headless Chromium, driven through its chromedriver.

`./dev test` installs both when it can (root with apt-get); elsewhere every browser test is skipped and says
how to get them. Each test's browser is its own (a fresh profile under the test's tmp dir) and is quit at
teardown, its chromedriver and Chromium processes stopped by PID even when the test failed. Screenshots go
under the test's tmp dir; their paths are attached to the test's report (`user_properties`, and a
"screenshots" section printed with a failing test's output).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from pytest_opticserp import eventually

SCREENSHOTS = "screenshots"
HOW_TO_GET_ONE = ("no Chromium with chromedriver on this machine: `./dev test` installs them as root with apt-get "
                  "(apt-get install chromium chromium-driver)")


class Browser:
    """A page in headless Chromium, with waits that fail saying what was awaited."""

    def __init__(self, driver, shots: Path, node: pytest.Item) -> None:  # noqa: ANN001 - a selenium WebDriver
        self.driver = driver
        self._shots = shots
        self._node = node

    def open(self, url: str) -> None:
        self.driver.get(url)

    def find(self, css: str):  # noqa: ANN201 - a selenium WebElement
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def wait_for(self, css: str, text: str | None = None, timeout: float = 10.0):  # noqa: ANN201
        """The first element matching `css` (whose text contains `text`, if given), once the page shows it."""
        __tracebackhide__ = True

        def shown():  # noqa: ANN202
            for element in self.find_all(css):
                with contextlib.suppress(Exception):  # replaced by the page's script as it was read
                    if element.is_displayed() and (text is None or text in element.text):
                        return element
            return None

        what = f"{css!r}" + (f" showing {text!r}" if text is not None else "")
        return eventually(shown, f"the page to show {what}", lambda: self.driver.current_url, timeout=timeout)

    def screenshot(self, name: str) -> Path:
        path = self._shots / f"{name}.png"
        self.driver.save_screenshot(str(path))
        self._node.user_properties.append(("screenshot", str(path)))
        return path


@pytest.fixture
def browser(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Browser]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    chromedriver = shutil.which("chromedriver")
    if not (chromium and chromedriver):
        pytest.skip(HOW_TO_GET_ONE)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,1000", f"--user-data-dir={tmp_path / 'chromium-profile'}",
                     "--no-first-run", "--disable-background-networking"):
        options.add_argument(argument)
    shots = tmp_path / SCREENSHOTS
    shots.mkdir()
    service = Service(executable_path=chromedriver, log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    started = _process_tree(service.process.pid if service.process else None)
    try:
        yield Browser(driver, shots, request.node)
    finally:
        with contextlib.suppress(Exception):
            driver.quit()
        _stop(started)


def _process_tree(pid: int | None) -> list[psutil.Process]:
    if pid is None:
        return []
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _stop(processes: list[psutil.Process]) -> None:
    """Whatever of chromedriver and its Chromium outlived `quit()`, killed by PID."""
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(processes, timeout=5)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    shots = [value for name, value in item.user_properties if name == "screenshot"]
    if report.when == "call" and shots:
        report.sections.append((SCREENSHOTS, "\n".join(shots)))
