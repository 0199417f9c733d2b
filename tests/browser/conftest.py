"""Real-browser fixtures: Debian's chromium driven by Playwright, the app on 127.0.0.1.

One browser for the session; each test gets a fresh context whose requests to any
host but the app are blocked and recorded (tiles may fail, data must not).
"""

from __future__ import annotations

import copy
import html
import json
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import flask
import pytest
from playwright.sync_api import Browser, Page, Playwright, Request, Route, sync_playwright
from werkzeug.serving import make_server

from geo.dataset import read_dataset, write_dataset
from tests.conftest import DATA_DIR, REPO
from webapp import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
ARTIFACTS = REPO / "tests" / "artifacts"

# A name that runs script if any of our code ever treats data as HTML.
XSS = "<img src=x onerror=alert(1)>"


class LiveServer:
    """A WSGI app served from a background thread on an ephemeral port.

    Our app's absolute links (PUBLIC_URL) are set to this address once the port is known,
    so give each server an app of its own.
    """

    def __init__(self, app, host: str = "127.0.0.1"):
        self._server = make_server(host, 0, app, threaded=True)
        self.url = f"http://{host}:{self._server.server_port}"
        if "PUBLIC_URL" in app.config:
            app.config["PUBLIC_URL"] = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


@dataclass
class Traffic:
    """What a page asked for: blocked foreign requests, failed local ones, dialogs and errors."""

    foreign: list[str] = field(default_factory=list)
    local_failures: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def foreign_hosts(self) -> set[str]:
        return {urlsplit(url).hostname for url in self.foreign}


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium fonts-noto-cjk)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    """The app over the shipped data (its own instance: LiveServer sets its PUBLIC_URL)."""
    server = LiveServer(create_app({"TESTING": True, "DATA_DIR": str(DATA_DIR)}))
    yield server
    server.stop()


def _with_xss_records(files: dict[str, bytes]) -> dict[str, bytes]:
    """The built mini dataset's files with a point and a link whose every text field is markup."""
    files = dict(files)
    hospitals = json.loads(files["hospitals.geojson"])
    point = copy.deepcopy(hospitals["features"][0])
    props = point["properties"]
    for key in list(props):
        if isinstance(props[key], str) and key.startswith(("name_", "description_", "district")):
            props[key] = XSS
    props.update(id="xss-point", coord_source=XSS)  # category and link_type: see test_safety
    props["sources"] = [{"title": XSS, "publisher": XSS, "date": XSS, "quote": XSS}]
    props["figures"] = [
        {"key": "area_km2", "value": 51.6, "unit": XSS, "label_en": XSS, "label_zh_hant": XSS, "label_zh_hans": XSS}
    ]
    props["people"] = [
        {
            "name_en": XSS,
            "name_zh_hant": XSS,
            "name_zh_hans": XSS,
            "role_en": XSS,
            "role_zh_hant": XSS,
            "role_zh_hans": XSS,
        }
    ]
    point["id"] = "xss-point"
    point["geometry"]["coordinates"] = [114.2, 22.62]
    hospitals["features"].append(point)
    files["hospitals.geojson"] = json.dumps(hospitals, ensure_ascii=False).encode()

    links = json.loads(files["links.geojson"])
    link = copy.deepcopy(links["features"][0])
    for key in list(link["properties"]):
        if key.startswith(("from_name_", "to_name_", "description_")):
            link["properties"][key] = XSS
    link["properties"].update(id="xss-link", sources=props["sources"])
    link["id"] = "xss-link"
    link["geometry"]["coordinates"] = [[114.0, 22.9], [114.2, 22.62]]
    links["features"].append(link)
    files["links.geojson"] = json.dumps(links, ensure_ascii=False).encode()
    return files


@pytest.fixture(scope="session")
def xss_data_dir(mini_data_dir: Path, tmp_path_factory) -> Path:
    """The mini dataset (a Hong Kong and a mainland point) plus records named with markup."""
    root = tmp_path_factory.mktemp("xss-data")
    write_dataset(root / "geojson", _with_xss_records(read_dataset(mini_data_dir / "geojson").files))
    return root


@pytest.fixture(scope="session")
def xss_server(xss_data_dir: Path) -> Iterator[LiveServer]:
    server = LiveServer(create_app({"TESTING": True, "DATA_DIR": str(xss_data_dir)}))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def other_origin() -> Iterator[LiveServer]:
    """A second site (another port, so another origin) whose page frames the embed."""
    site = flask.Flask("other_origin")

    @site.get("/article")
    def article():
        src = html.escape(flask.request.args["src"])
        width = flask.request.args.get("width", 800, type=int)
        height = flask.request.args.get("height", 500, type=int)
        return (
            "<!doctype html><html><head><title>A news article</title></head><body>"
            "<h1>An article about the Greater Bay Area</h1>"
            f'<iframe id="gba" src="{src}" width="{width}" height="{height}" style="border:0"></iframe>'
            "</body></html>"
        )

    server = LiveServer(site)
    yield server
    server.stop()


@pytest.fixture()
def traffic() -> Traffic:
    return Traffic()


@pytest.fixture()
def page(make_page) -> Page:
    """A fresh page: only 127.0.0.1/localhost is reachable; everything else is recorded and aborted."""
    return make_page()


@pytest.fixture()
def make_page(browser: Browser, traffic: Traffic) -> Iterator:
    """``make_page(**context_options)``: a page as ``page`` gives, in a context with other options
    (a phone: ``viewport=..., has_touch=True, is_mobile=True, device_scale_factor=3``)."""
    contexts = []

    def make(**options) -> Page:
        context = _gated_context(browser, traffic, options)
        contexts.append(context)
        new_page = context.new_page()
        new_page.on("dialog", lambda dialog: (traffic.dialogs.append(dialog.message), dialog.dismiss()))
        new_page.on("pageerror", lambda error: traffic.errors.append(str(error)))
        return new_page

    yield make
    for context in contexts:
        context.close()


def _gated_context(browser: Browser, traffic: Traffic, options: dict):
    # A Hong Kong reader: with no ?lang= the server picks the language from Accept-Language.
    defaults = {"viewport": {"width": 1280, "height": 800}, "accept_downloads": True, "locale": "zh-HK"}
    context = browser.new_context(**{**defaults, **options})

    def gatekeeper(route: Route, request: Request) -> None:
        if urlsplit(request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            traffic.foreign.append(request.url)
            route.abort()

    def on_response(response) -> None:
        if urlsplit(response.url).hostname in LOCAL_HOSTS and response.status >= 400:
            traffic.local_failures.append(f"{response.status} {response.url}")

    def on_request_failed(request: Request) -> None:
        if urlsplit(request.url).hostname in LOCAL_HOSTS:
            traffic.local_failures.append(f"failed {request.url}")

    context.route("**/*", gatekeeper)
    context.on("response", on_response)
    context.on("requestfailed", on_request_failed)
    return context


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def publish_screenshot(name: str) -> None:
    """Copy an artifact screenshot to docs/screenshots/ for the README.

    Only when GBA_UPDATE_SCREENSHOTS=1 (``make screenshots``): an ordinary test run
    keeps its pictures in tests/artifacts/ and leaves the work tree clean.
    """
    if os.environ.get("GBA_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(ARTIFACTS / name, REPO / "docs" / "screenshots" / name)
