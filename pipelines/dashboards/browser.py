"""Headless Chromium over the DevTools protocol: log in to Superset, open a dashboard, screenshot it.

Debian's `chromium` (scripts/install_browser.sh), started with the flags STACK.md lists; no browser
build is ever downloaded. The DevTools client is the `websockets` package (a dev dependency).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--lang=ru-RU",
)
DEVTOOLS_LINE = re.compile(r"DevTools listening on (ws://\S+)")

# What a failed chart or page shows: Superset's ErrorAlert (antd error alerts) and legacy alerts.
ERROR_SELECTORS = ".ant-alert-error, .alert-danger, [data-test='error-alert'], .chart-container .error"
# Still working: the loading spinner of a chart or of the page.
LOADING_SELECTORS = "[data-test='loading-indicator'], .loading, [aria-label='loading']"


# Types into Superset's React login form (a plain `.value =` would not reach React's state).
LOGIN_SCRIPT = """
(() => {
  const set = (el, value) => {
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
    setter.call(el, value);
    el.dispatchEvent(new Event('input', {bubbles: true}));
    el.dispatchEvent(new Event('change', {bubbles: true}));
  };
  set(document.querySelector('#username, input[name=username]'), USERNAME);
  set(document.querySelector('#password, input[name=password]'), PASSWORD);
  const button = document.querySelector('button[type=submit], [data-test=login-button]');
  if (button) { button.click(); } else { document.querySelector('form').submit(); }
  return true;
})()
"""
CHART_SELECTOR = ".dashboard-chart"


class BrowserError(RuntimeError):
    """Chromium could not be started or the page did not behave; the message says what happened."""


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise BrowserError("chromium is not installed: run scripts/install_browser.sh")


class Page:
    """One browser tab driven over a DevTools websocket."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection
        self._ids = itertools.count(1)

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        self._connection.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self._connection.recv(timeout=120))
            if reply.get("id") != message_id:
                continue  # an event we did not subscribe to, or a reply to something older
            if "error" in reply:
                raise BrowserError(f"{method}: {reply['error']}")
            result: dict[str, Any] = reply.get("result", {})
            return result

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"script failed: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def navigate(self, url: str) -> None:
        self.send("Page.navigate", url=url)

    def wait_for(self, expression: str, timeout_seconds: float, what: str) -> None:
        """Poll a JavaScript condition until it is true (no fixed sleeps)."""
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            try:
                if self.evaluate(expression):
                    return
            except BrowserError:
                pass  # the page is between documents while it navigates
            time.sleep(0.5)
        raise BrowserError(f"timed out after {timeout_seconds} s waiting for {what}")

    def capture(self, width: int, height: int) -> bytes:
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        shot = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        return base64.b64decode(shot["data"])

    def screenshot(self, path: Path, width: int, height: int, timeout_seconds: float = 30) -> None:
        """Save a screenshot once two consecutive captures are identical: charts animate in
        (ECharts draws lines over about a second), so the first frame can show half a line."""
        deadline = time.monotonic() + timeout_seconds
        previous = self.capture(width, height)
        while time.monotonic() < deadline:
            current = self.capture(width, height)
            if current == previous:
                break
            previous = current
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(previous)


@contextmanager
def open_page(width: int = 1600, height: int = 1200, timeout_seconds: float = 30) -> Iterator[Page]:
    """Start a headless Chromium with a throwaway profile and yield its first tab."""
    from websockets.sync.client import connect  # dev dependency: only tests take screenshots

    profile = Path(tempfile.mkdtemp(prefix="edumon-chromium-"))
    command = [
        chromium_path(),
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        "--remote-debugging-port=0",
        "about:blank",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        browser_url = _devtools_url(process, timeout_seconds)
        with connect(browser_url, max_size=None, open_timeout=timeout_seconds) as browser:
            root = Page(browser)
            target = root.send("Target.createTarget", url="about:blank")["targetId"]
            page_url = browser_url.split("/devtools/")[0] + f"/devtools/page/{target}"
            with connect(page_url, max_size=None, open_timeout=timeout_seconds) as tab:
                page = Page(tab)
                page.send("Page.enable")
                page.send(
                    "Emulation.setDeviceMetricsOverride",
                    width=width,
                    height=height,
                    deviceScaleFactor=1,
                    mobile=False,
                )
                yield page
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(profile, ignore_errors=True)


def _devtools_url(process: subprocess.Popen[str], timeout_seconds: float) -> str:
    """Read the DevTools websocket address Chromium prints on stderr when it is ready."""
    assert process.stderr is not None
    deadline = time.monotonic() + timeout_seconds
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        match = DEVTOOLS_LINE.search(line)
        if match:
            return match.group(1)
    raise BrowserError("chromium did not start:\n" + "".join(seen[-20:]))


def log_in(page: Page, base_url: str, username: str, password: str, timeout_seconds: float = 60) -> None:
    """Fill Superset's login form the way a person does, then wait to leave the login page."""
    page.navigate(f"{base_url}/login/")
    page.wait_for(
        "!!document.querySelector('#username, input[name=username]')", timeout_seconds, "the login form"
    )
    fill = LOGIN_SCRIPT.replace("USERNAME", json.dumps(username)).replace("PASSWORD", json.dumps(password))
    page.evaluate(fill)
    page.wait_for("!location.pathname.startsWith('/login')", timeout_seconds, "the login to finish")


@dataclass(frozen=True)
class DashboardShot:
    path: Path
    charts: int
    errors: list[str]


# A full-page capture of a dashboard whose charts are drawn is well above this size; a capture
# taken while Superset redraws the grid (seen on a loaded machine) is an empty grey page below it.
BLANK_PAGE_BYTES = 60_000
SCREENSHOT_ATTEMPTS = 3


def screenshot_dashboard(
    page: Page, url: str, path: Path, expected_charts: int, timeout_seconds: float = 120, width: int = 1600
) -> DashboardShot:
    """Screenshot a dashboard; a capture of the blank redraw is taken again (bounded attempts)."""
    shot = _screenshot_once(page, url, path, expected_charts, timeout_seconds, width)
    for _ in range(SCREENSHOT_ATTEMPTS - 1):
        if path.stat().st_size > BLANK_PAGE_BYTES:
            break
        shot = _screenshot_once(page, url, path, expected_charts, timeout_seconds, width)
    return shot


def _screenshot_once(
    page: Page, url: str, path: Path, expected_charts: int, timeout_seconds: float, width: int
) -> DashboardShot:
    """Open a dashboard, wait until every chart finished loading, screenshot the whole page."""
    page.navigate(url)
    count = f"document.querySelectorAll('{CHART_SELECTOR}').length"
    page.wait_for(f"{count} >= {expected_charts}", timeout_seconds, f"{expected_charts} charts on {url}")
    idle = f'document.querySelectorAll("{LOADING_SELECTORS}").length === 0'
    page.wait_for(idle, timeout_seconds, f"the charts of {url} to finish loading")
    charts = int(page.evaluate(count))
    errors = page.evaluate(
        f'Array.from(document.querySelectorAll("{ERROR_SELECTORS}")).map(e => e.innerText.slice(0, 300))'
    )
    height = int(page.evaluate("Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)"))
    # Resizing the viewport to the page's height makes Superset lay out and redraw every chart:
    # resize first, then wait for the charts again, so the capture never shows the blank redraw.
    page.capture(width, max(height, 800))
    page.wait_for(f"{count} >= {expected_charts}", timeout_seconds, f"{expected_charts} charts after resize")
    page.wait_for(idle, timeout_seconds, f"the charts of {url} to redraw after resize")
    page.wait_for(
        "document.querySelectorAll('.chart-container canvas, .chart-container svg, "
        ".chart-container table, .chart-container .header-line').length > 0",
        timeout_seconds,
        f"chart content drawn on {url}",
    )
    page.screenshot(path, width, max(height, 800))
    return DashboardShot(path=path, charts=charts, errors=list(errors or []))
