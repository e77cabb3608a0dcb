"""Great Expectations Data Docs that work offline, and a small server so Dagster's links open.

GE's page templates link their styles and scripts from public CDNs; without internet the pages
render blank. After each build the site gets the same files from `data_docs_assets/` (npm
packages, see its README) in `static/vendor/`, and the pages built since the build began have
their CDN links rewritten to relative paths, so the site also opens from disk.

A `file://` link from the Dagster UI (an http page) does not open in a browser, so the asset-check
metadata links to `http://{gates.data_docs_host}:{gates.data_docs_port}/…` and `edumon ui` serves
the site there (`serve`).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

ASSETS = Path(__file__).with_name("data_docs_assets")
VENDOR = Path("static") / "vendor"

# CDN link in GE's templates → the file under data_docs_assets/ that replaces it.
BOOTSTRAP_TABLE = "https://unpkg.com/bootstrap-table@1.19"
DATEPICKER = "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0"
CDN_FILES = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "css/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "js/bootstrap.min.js",
    "https://code.jquery.com/jquery-3.7.1.min.js": "js/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "js/popper.min.js",
    f"{BOOTSTRAP_TABLE}.1/dist/bootstrap-table.min.css": "css/bootstrap-table.min.css",
    f"{BOOTSTRAP_TABLE}.1/dist/bootstrap-table.min.js": "js/bootstrap-table.min.js",
    f"{BOOTSTRAP_TABLE}.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        "css/bootstrap-table-filter-control.min.css"
    ),
    f"{BOOTSTRAP_TABLE}.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        "css/bootstrap-table-filter-control.min.css"
    ),
    f"{BOOTSTRAP_TABLE}.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        "js/bootstrap-table-filter-control.min.js"
    ),
    f"{DATEPICKER}/css/bootstrap-datepicker.min.css": "css/bootstrap-datepicker.min.css",
    f"{DATEPICKER}/js/bootstrap-datepicker.min.js": "js/bootstrap-datepicker.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "css/fontawesome-all.min.css"
    ),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        "css/bootstrap-prefers-dark.css"
    ),
    "https://cdn.jsdelivr.net/npm/vega@5": "js/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "js/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "js/vega-embed.min.js",
}


# GE's logo comes from its S3 bucket (with a tracking query): the site's own copy replaces it.
GE_LOGO = re.compile(
    r"https://great-expectations-web-assets\.s3\.us-east-2\.amazonaws\.com/[\w.-]+\.png(\?[^\"')\s]*)?"
)


def local_site(docs: Path) -> Path:
    """Where GE's file context (`{docs}/gx`, see gate.py) builds its default `local_site`."""
    return docs / "gx" / "uncommitted" / "data_docs" / "local_site"


def site_root(index_url: str) -> Path:
    """The site folder from GE's `file://…/index.html` URL."""
    return Path(unquote(urlparse(index_url).path)).parent


def install_assets(site: Path) -> None:
    """Copy the vendored files into the site (once; a changed file is copied again)."""
    for source in ASSETS.rglob("*"):
        if source.is_dir() or source.name == "README.md":
            continue
        target = site / VENDOR / source.relative_to(ASSETS)
        if not target.exists() or target.stat().st_size != source.stat().st_size:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def localise_page(page: Path, site: Path) -> bool:
    """Point the page's CDN links at the site's copies (relative, so file:// works too)."""
    text = page.read_text(encoding="utf-8")
    if "https://" not in text:
        return False
    vendor = os.path.relpath(site / VENDOR, page.parent)
    changed = text
    # Longest first: `vega-lite@5` must not be taken for a prefix match of another link.
    for url in sorted(CDN_FILES, key=len, reverse=True):
        changed = changed.replace(url, f"{vendor}/{CDN_FILES[url]}")
    logo = os.path.relpath(site / "static" / "images" / "logo-long.png", page.parent)
    changed = GE_LOGO.sub(logo, changed)
    if changed == text:
        return False
    page.write_text(changed, encoding="utf-8")
    return True


def localise_site(site: Path, since: float) -> int:
    """Install the assets and rewrite the pages written at or after `since` (epoch seconds)."""
    install_assets(site)
    pages = 0
    for page in site.rglob("*.html"):
        if page.stat().st_mtime >= since:
            pages += localise_page(page, site)
    return pages


def http_url(file_url: str, site: Path, host: str, port: int) -> str:
    """The page's address on the docs server instead of its `file://` URL."""
    relative = Path(unquote(urlparse(file_url).path)).relative_to(site).as_posix()
    return f"http://{host}:{port}/{relative}"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Requests are not worth a console line each."""


def serve(site: Path, host: str, port: int) -> ThreadingHTTPServer:
    """Serve the site from a daemon thread (it ends with the process that started it)."""
    site.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = ThreadingHTTPServer((host, port), handler)
    threading.Thread(target=server.serve_forever, name="data-docs", daemon=True).start()
    return server
