"""The Content-Security-Policy in real Chromium: who may frame which page, and a map that works
under the policy with not one violation (issue 10, finding 4)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import Page

from geo.schema import FEATURE_LAYERS
from tests.browser.conftest import LiveServer
from tests.browser.mapdriver import drawn, expose, features, open_map, popup, show_all
from tests.conftest import DATA_DIR
from webapp import create_app
from webapp.basemaps import BASEMAPS

pytestmark = pytest.mark.browser

# Records in the page's securitypolicyviolation events, from before any of the page's own scripts run.
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""
REFUSED_FRAME_URL = "chrome-error://chromewebdata/"


@pytest.fixture(scope="module")
def guarded_server(other_origin: LiveServer) -> Iterator[LiveServer]:
    """The app with only the article site (``other_origin``) allowed to frame its embed."""
    app = create_app({"TESTING": True, "DATA_DIR": str(DATA_DIR), "EMBED_ALLOWED_ORIGINS": other_origin.url})
    server = LiveServer(app)
    yield server
    server.stop()


def disallowed(site: LiveServer) -> str:
    """The same article site under another origin (localhost instead of 127.0.0.1, same port)."""
    return f"http://localhost:{urlsplit(site.url).port}"


def watch(page: Page) -> list[str]:
    """Console messages that speak of the policy (refusals print there, in whichever frame)."""
    said: list[str] = []
    page.add_init_script(WATCH_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            said.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    return said


def framed(page: Page, article_origin: str, src: str):
    """Open the article at ``article_origin`` framing ``src``; the frame once it has loaded (or been refused)."""
    page.goto(f"{article_origin}/article?src={quote(src, safe='')}")
    frame = page.locator("#gba").element_handle().content_frame()
    frame.wait_for_load_state()
    return frame


def test_only_the_embed_frames_and_only_in_the_allowed_site(page, guarded_server, other_origin):
    said = watch(page)
    # The allowed site frames the embed, and the map inside works.
    embed = framed(page, other_origin.url, f"{guarded_server.url}/embed?lang=en")
    assert embed.url.startswith(f"{guarded_server.url}/embed")
    open_map(embed)
    assert embed.evaluate("window.top !== window.self")
    assert said == []

    # Another site cannot frame the embed...
    refused = framed(page, disallowed(other_origin), f"{guarded_server.url}/embed?lang=en")
    assert refused.url == REFUSED_FRAME_URL
    # ...nor the same map through the page itself or the API's pages, from any site (the finding's bypass).
    for path in ("/?lang=en", "/?lang=en&layers=hospitals&controls=false", "/ogcapi?f=html", "/ogcapi/collections"):
        for article in (disallowed(other_origin), other_origin.url):
            frame = framed(page, article, f"{guarded_server.url}{path}")
            assert frame.url == REFUSED_FRAME_URL, (article, path)
            assert frame.locator(".leaflet-container, nav.crumbs").count() == 0
    assert any("frame-ancestors" in line for line in said)


@pytest.mark.parametrize("path", ["/?lang=en", "/embed?lang=en"])
def test_the_map_works_under_its_policy_without_a_violation(page, live_server, traffic, path):
    said = watch(page)
    response = page.goto(live_server.url + path)
    assert "'nonce-" in response.headers["content-security-policy"]
    open_map(page)
    show_all(page)
    for layer in FEATURE_LAYERS:
        assert sum(drawn(page, layer).values()) > 0, layer
    # A marker's popup opens on a click.
    props = features(DATA_DIR, "hospitals")[0]["properties"]
    x, y = expose(page, props["id"])
    page.mouse.click(x, y)
    popup(page).wait_for()
    assert popup(page).get_attribute("data-feature-id") == props["id"]
    # Search answers and its result opens the record.
    box = page.locator("#gba-search-input")
    box.fill("pingshan")
    option = page.locator("#gba-search-results [role=option]").first
    option.wait_for()
    chosen = option.get_attribute("data-id")
    option.click()
    page.locator(f'.leaflet-popup-content .gba-popup[data-feature-id="{chosen}"]').wait_for()
    assert page.evaluate("window.__cspViolations") == []
    # Every basemap's tiles pass the policy (the test then blocks them at the network: no tile host is reached).
    for key in BASEMAPS:
        open_map(page, f"{live_server.url}{path}&basemap={key}")
        assert page.evaluate("window.__cspViolations") == [], key
    assert {urlsplit(url).hostname for url in traffic.foreign} >= {"tile.openstreetmap.org", "webrd01.is.autonavi.com"}
    assert said == []
    assert traffic.errors == [] and traffic.local_failures == []
