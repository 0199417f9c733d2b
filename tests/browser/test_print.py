"""The static image in the browser: the Download image links and the print image follow the view,
and printing shows the image instead of the live map and its controls."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.mapdriver import open_map

pytestmark = pytest.mark.browser


def query_of(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def image_hrefs(page) -> dict[str, str]:
    return {fmt: page.locator(f"#gba-image-{fmt}").get_attribute("href") for fmt in ("png", "svg")} | {
        "print": page.locator("#gba-print-image").get_attribute("src")
    }


def test_download_image_follows_the_filters(page, live_server):
    open_map(page, f"{live_server.url}/?lang=en")
    page.locator("#gba-image summary").click()
    png = page.get_by_role("link", name="PNG (picture)")
    svg = page.get_by_role("link", name="SVG (editable)")
    assert png.is_visible() and svg.is_visible()
    assert "status" not in query_of(png.get_attribute("href"))

    page.evaluate("GBAMap.filter('status=planned')")
    page.wait_for_function("() => document.getElementById('gba-image-png').href.includes('status=planned')")
    hrefs = image_hrefs(page)
    for name, href in hrefs.items():
        query = query_of(href)
        assert query["status"] == ["planned"], name
        assert query["lang"] == ["en"], name
        assert "bbox" in query, name  # the area shown, whatever the image's size
        assert query["width"] == ["1200"] and query["height"] == ["630"], name
    assert urlsplit(hrefs["png"]).path == "/image.png"
    assert urlsplit(hrefs["svg"]).path == "/image.svg"

    # The link answers with a PNG of the view (the image route accepts every parameter the page writes).
    status = page.evaluate("(url) => fetch(url).then((r) => [r.status, r.headers.get('content-type')])", hrefs["png"])
    assert status == [200, "image/png"]


def test_print_shows_the_image_of_the_view_instead_of_the_map(page, live_server):
    open_map(page, f"{live_server.url}/?lang=en&select=hkpc")
    figure = page.locator("#gba-print-figure")
    assert not figure.is_visible()  # on screen: the live map
    assert page.locator(".gba-map-wrap").is_visible()

    page.emulate_media(media="print")
    assert figure.is_visible()
    for hidden in (".gba-map-wrap", "#gba-explore", ".gba-langs", "#gba-share", "#gba-image", "#gba-download"):
        assert not page.locator(hidden).is_visible(), hidden
    assert not page.locator(".gba-topbar").is_visible()  # the image carries the title
    image = page.locator("#gba-print-image")
    assert query_of(image.get_attribute("src"))["select"] == ["hkpc"]
    # The lazily loaded image is fetched once printing shows it (drawn on the server: allow for a busy one).
    page.wait_for_function("() => document.getElementById('gba-print-image').naturalWidth > 0", timeout=120_000)
    size = page.evaluate(
        "[document.getElementById('gba-print-image').naturalWidth, document.getElementById('gba-print-image').naturalHeight]"
    )
    assert size == [1200, 630]

    page.emulate_media(media="screen")
    assert not figure.is_visible()
