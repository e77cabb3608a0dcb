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

    def resize(self, width: int, height: int) -> None:
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def capture(self) -> bytes:
        """The viewport as PNG. Never `captureBeyondViewport`: it resizes the page for the capture,
        and Superset answers a resize by redrawing its grid blank (the captures seen in CI)."""
        shot = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=False)
        return base64.b64decode(shot["data"])

    def screenshot(self, path: Path, timeout_seconds: float = 30) -> bytes:
        """Save a screenshot once two consecutive captures are identical: charts animate in
        (ECharts draws lines over about a second), so the first frame can show half a line."""
        deadline = time.monotonic() + timeout_seconds
        previous = self.capture()
        while time.monotonic() < deadline:
            current = self.capture()
            if current == previous:
                break
            previous = current
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(previous)
        return previous


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
                page.resize(width, height)
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


# What the login page says when it refuses (Flask-AppBuilder's flash messages, antd alerts).
LOGIN_MESSAGE_SCRIPT = """
Array.from(document.querySelectorAll('.ant-alert, .alert, .ant-message, .ant-form-item-explain-error'))
  .map(e => (e.innerText || '').trim()).filter(Boolean).join(' | ')
"""
LOGIN_FORM_READY = (
    "document.readyState === 'complete' && !!document.querySelector('#username, input[name=username]')"
)
LEFT_LOGIN_PAGE = "!location.pathname.startsWith('/login')"


def log_in(
    page: Page,
    base_url: str,
    username: str,
    password: str,
    timeout_seconds: float = 180,
    resubmit_after_seconds: float = 20,
) -> None:
    """Fill Superset's login form the way a person does, then wait to leave the login page.

    On a loaded machine the first submit can be lost (a click before the page's script took the
    form, a request the server dropped); a person clicks again, and so does this, every
    `resubmit_after_seconds` while the form is still there. On failure the message names the page's
    address and what it says (a refused password shows there).
    """
    fill = LOGIN_SCRIPT.replace("USERNAME", json.dumps(username)).replace("PASSWORD", json.dumps(password))
    deadline = time.monotonic() + timeout_seconds
    page.navigate(f"{base_url}/login/")
    attempts = 0
    while time.monotonic() < deadline:
        try:
            page.wait_for(LOGIN_FORM_READY, deadline - time.monotonic(), "the login form")
            page.evaluate(fill)
            attempts += 1
            page.wait_for(
                LEFT_LOGIN_PAGE, min(resubmit_after_seconds, max(deadline - time.monotonic(), 1)), ""
            )
            return
        except BrowserError:
            if _evaluate_quietly(page, LEFT_LOGIN_PAGE):
                return
    where = _evaluate_quietly(page, "location.href")
    message = _evaluate_quietly(page, LOGIN_MESSAGE_SCRIPT)
    raise BrowserError(
        f"timed out after {timeout_seconds} s waiting for the login to finish "
        f"({attempts} submits; the page is at {where}; it says: {message or 'nothing'})"
    )


def _evaluate_quietly(page: Page, expression: str) -> Any:
    """Evaluate, or None while the page is between documents."""
    try:
        return page.evaluate(expression)
    except BrowserError:
        return None


@dataclass(frozen=True)
class DashboardShot:
    path: Path
    charts: int
    errors: list[str]
    undrawn: list[str]  # charts showing an empty state or nothing, described by name


# What each chart shows, read from the DOM: a chart counts as drawn when it holds shapes (SVG
# paths, ECharts' canvas, the country map's regions), table rows or a big number. Empty states
# ("No results") and charts with nothing drawn are reported by name, so a failure says which one.
CHART_CONTENT_SCRIPT = """
Array.from(document.querySelectorAll('.chart-slice')).map(slice => {
  const canvases = Array.from(slice.querySelectorAll('canvas')).filter(c => c.width * c.height > 0);
  const shapes = slice.querySelectorAll('svg path, svg rect, svg circle').length;
  const rows = slice.querySelectorAll('tbody tr').length;
  const bigNumber = Array.from(slice.querySelectorAll('.header-line')).some(e => e.innerText.trim());
  const text = (slice.innerText || '').replace(/\\s+/g, ' ').trim();
  return {
    name: slice.getAttribute('data-test-chart-name') || '',
    viz: slice.getAttribute('data-test-viz-type') || '',
    drawn: canvases.length > 0 || shapes > 0 || rows > 0 || bigNumber,
    empty: /No results|Нет результатов|Нет данных для отображения/.test(text),
    summary: `canvas=${canvases.length} shapes=${shapes} rows=${rows} text=${text.slice(0, 80)}`,
  };
})
"""
# The saved image itself is checked too (a capture can catch the grid's blank redraw while the DOM
# is fine): the browser decodes the PNG and counts the colours inside each chart's body; a drawn
# chart (anti-aliased text, shapes) has dozens, a blank body one or two.
IMAGE_COLOURS_SCRIPT = """
(async () => {
  const image = new Image();
  image.src = 'data:image/png;base64,PNG_BASE64';
  await image.decode();
  const canvas = document.createElement('canvas');
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  return Array.from(document.querySelectorAll('.chart-slice')).map(slice => {
    const body = slice.querySelector('.dashboard-chart') || slice;
    const box = body.getBoundingClientRect();
    const x = Math.max(0, Math.floor(box.left + window.scrollX));
    const y = Math.max(0, Math.floor(box.top + window.scrollY));
    const w = Math.min(image.width - x, Math.floor(box.width));
    const h = Math.min(image.height - y, Math.floor(box.height));
    const colours = new Set();
    if (w > 0 && h > 0) {
      const data = context.getImageData(x, y, w, h).data;
      for (let i = 0; i < data.length && colours.size < 64; i += 4 * 5) {
        colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      }
    }
    return [slice.getAttribute('data-test-chart-name') || '', colours.size];
  });
})()
"""
MIN_CHART_COLOURS = 8
START_HEIGHT = 1200
SCREENSHOT_ATTEMPTS = 3


@dataclass(frozen=True)
class ChartContent:
    name: str
    viz: str
    drawn: bool
    empty: bool
    summary: str

    def describe(self) -> str:
        state = "empty state" if self.empty else "nothing drawn"
        return f"«{self.name}» ({self.viz}): {state}; {self.summary}"


def chart_contents(page: Page) -> list[ChartContent]:
    return [ChartContent(**item) for item in page.evaluate(CHART_CONTENT_SCRIPT) or []]


def screenshot_dashboard(
    page: Page, url: str, path: Path, expected_charts: int, timeout_seconds: float = 120, width: int = 1600
) -> DashboardShot:
    """Screenshot a dashboard once every chart shows content before and after the capture; a
    capture taken while Superset redraws the grid (seen on a loaded machine) is taken again."""
    shot = _screenshot_once(page, url, path, expected_charts, timeout_seconds, width)
    for _ in range(SCREENSHOT_ATTEMPTS - 1):
        if not shot.undrawn:
            break
        shot = _screenshot_once(page, url, path, expected_charts, timeout_seconds, width)
    return shot


def _screenshot_once(
    page: Page, url: str, path: Path, expected_charts: int, timeout_seconds: float, width: int
) -> DashboardShot:
    """Open a dashboard, wait until every chart finished loading, screenshot the whole page."""
    page.resize(width, START_HEIGHT)  # the previous dashboard's tall viewport would pad this page
    page.navigate(url)
    count = f"document.querySelectorAll('{CHART_SELECTOR}').length"
    page.wait_for(f"{count} >= {expected_charts}", timeout_seconds, f"{expected_charts} charts on {url}")
    idle = f'document.querySelectorAll("{LOADING_SELECTORS}").length === 0'
    page.wait_for(idle, timeout_seconds, f"the charts of {url} to finish loading")
    charts = int(page.evaluate(count))
    errors = page.evaluate(
        f'Array.from(document.querySelectorAll("{ERROR_SELECTORS}")).map(e => e.innerText.slice(0, 300))'
    )
    # The viewport is made as tall as the page, so one capture holds the whole dashboard. Superset
    # lays out and redraws every chart on a resize: wait for the charts again afterwards.
    _fit_viewport_to_page(page, width)
    page.wait_for(f"{count} >= {expected_charts}", timeout_seconds, f"{expected_charts} charts after resize")
    page.wait_for(idle, timeout_seconds, f"the charts of {url} to redraw after resize")
    _wait_for_drawn_charts(page, timeout_seconds)
    image = page.screenshot(path)
    undrawn = [chart.describe() for chart in chart_contents(page) if chart.empty or not chart.drawn]
    undrawn += [
        f"«{name}»: blank in the screenshot ({colours} colours)"
        for name, colours in image_colours(page, image)
        if colours < MIN_CHART_COLOURS
    ]
    return DashboardShot(path=path, charts=charts, errors=list(errors or []), undrawn=undrawn)


PAGE_HEIGHT_SCRIPT = "Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)"


def _fit_viewport_to_page(page: Page, width: int, attempts: int = 3) -> None:
    """Resize the viewport to the page's height until the height no longer changes."""
    height = 0
    for _ in range(attempts):
        wanted = max(int(page.evaluate(PAGE_HEIGHT_SCRIPT)), 800)
        if wanted == height:
            return
        height = wanted
        page.resize(width, height)
        time.sleep(1)  # let the layout settle before measuring again


def image_colours(page: Page, png: bytes) -> list[tuple[str, int]]:
    """(chart name, distinct colours inside its body) in a screenshot of the current page."""
    script = IMAGE_COLOURS_SCRIPT.replace("PNG_BASE64", base64.b64encode(png).decode("ascii"))
    return [(str(name), int(colours)) for name, colours in page.evaluate(script) or []]


def _wait_for_drawn_charts(page: Page, timeout_seconds: float) -> None:
    """Wait until every chart has drawn something (or shows an empty state, reported later);
    bounded, as a chart that never draws is reported by the caller."""
    deadline = time.monotonic() + min(timeout_seconds, 30)
    while time.monotonic() < deadline:
        if all(chart.drawn or chart.empty for chart in chart_contents(page)):
            return
        time.sleep(0.5)
