"""The static export in real Chromium, served by ``python -m http.server`` under a sub-path:
no app server behind it, so the map, the embed, filters, search and permalinks must all work
from the files alone, under the page's Content-Security-Policy, with no failed request."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

import pytest
from playwright.sync_api import Page

from geo.schema import FEATURE_LAYERS, LINK_LAYER
from tests.browser.mapdriver import drawn, features, open_map, select, show_all, state, wait_for_url
from tests.conftest import DATA_DIR
from webapp import create_app
from webapp.static_export import export

pytestmark = pytest.mark.browser

PREFIX = "/static/gba-map/"  # where the folder is served: every URL in it must be relative
APP_ONLY = ("/api/", "/ogcapi", "/image.", "/oembed", ".mvt")  # the app's routes, none a file here
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""
# A host page from another site in the export's server (beside the folder, not in it).
ARTICLE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Article</title></head><body>
<p>An article with the map.</p>
<iframe id="map" src="{prefix}embed/index.html?layers=hospitals,universities" width="100%" height="400"
        style="border:0" data-gba-map></iframe>
<script src="{prefix}embed.js" async></script>
</body></html>"""


@dataclass
class Site:
    url: str  # the export's root, ending in /
    folder: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(root: Path) -> Iterator[str]:
    """``python -m http.server`` over ``root``; yields its address."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _attempt in range(200):
            try:
                with urlopen(base + "/"):
                    break
            except URLError:
                time.sleep(0.05)
        else:
            pytest.fail("python -m http.server did not answer")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("static-host")
    folder = root / PREFIX.strip("/")
    export(create_app({"TESTING": True, "DATA_DIR": str(DATA_DIR)}), folder)
    (root / "article.html").write_text(ARTICLE.format(prefix=PREFIX), encoding="utf-8")
    for base in serve(root):
        yield Site(base + PREFIX, folder)


TILED = "agencies"  # 14 records: over a threshold of 10, so drawn from its PMTiles archive


@pytest.fixture(scope="module")
def tiled_site(tmp_path_factory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("static-host-tiled")
    folder = root / PREFIX.strip("/")
    export(create_app({"TESTING": True, "DATA_DIR": str(DATA_DIR), "TILE_THRESHOLD": 10}), folder, tile_max_zoom=10)
    for base in serve(root):
        yield Site(base + PREFIX, folder)


@pytest.fixture()
def watched(page: Page) -> Iterator[tuple[Page, list[str]]]:
    """The page, and every URL it asked for (checked after the test: none app-only, none outside the folder)."""
    requested: list[str] = []
    page.add_init_script(WATCH_VIOLATIONS)
    page.on("request", lambda request: requested.append(request.url))
    yield page, requested


def check_clean(page: Page, requested: list[str], traffic, site: Site) -> None:
    """Nothing failed, nothing asked of an app server, nothing outside the folder, no policy violation."""
    local = [url for url in requested if url.startswith("http://127.0.0.1")]
    assert traffic.local_failures == []
    assert traffic.errors == []
    assert [url for url in local if any(part in url for part in APP_ONLY)] == []
    assert [url for url in local if not url.startswith(site.url) and not url.endswith("/article.html")] == []
    for frame in page.frames:
        if frame.url.startswith("http://127.0.0.1"):
            assert frame.evaluate("window.__cspViolations || []") == [], frame.url


def counts(data: Path) -> dict[str, int]:
    return {layer: len(features(data, layer)) for layer in (*FEATURE_LAYERS, LINK_LAYER)}


def test_the_map_draws_every_layer_from_the_files(site: Site, watched, traffic) -> None:
    page, requested = watched
    result = open_map(page, site.url + "index.html")
    assert sorted(result["loaded"]) == sorted((*FEATURE_LAYERS, LINK_LAYER))
    show_all(page)
    expected = counts(DATA_DIR)
    for layer in FEATURE_LAYERS:
        assert sum(drawn(page, layer).values()) == expected[layer], layer
    assert drawn(page, LINK_LAYER)["lines"] == expected[LINK_LAYER]
    assert page.evaluate("document.documentElement.lang") == "zh-Hant"
    # The layers came from the one-language files, the outlines from context/.
    assert any(url.endswith("data/zh-Hant/hospitals.geojson") for url in requested)
    assert any("/context/" in url for url in requested)
    check_clean(page, requested, traffic, site)


def test_a_filter_and_a_selection_reopen_from_the_permalink(site: Site, make_page, watched, traffic) -> None:
    page, requested = watched
    open_map(page, site.url + "index.html")
    page.evaluate("GBAMap.filter('jurisdiction=Macau')")
    assert page.evaluate("GBAMap.counts()")["universities"] == sum(
        1 for f in features(DATA_DIR, "universities") if f["properties"]["jurisdiction"] == "Macau"
    )
    assert select(page, "cityu-macau")
    url = wait_for_url(page, "select=cityu-macau")
    assert url.startswith(site.url + "index.html?")
    assert "jurisdiction=Macau" in url and "lang=zh-Hant" in url  # the page's own language
    before = state(page)

    again = make_page()
    again.add_init_script(WATCH_VIOLATIONS)
    open_map(again, url)
    after = state(again)
    assert after["selected"] == "cityu-macau"
    assert after["filters"] == before["filters"] == {"jurisdiction": ["Macau"]}
    assert after["zoom"] == before["zoom"]
    assert after["lat"] == pytest.approx(before["lat"], abs=1e-3)
    assert after["lon"] == pytest.approx(before["lon"], abs=1e-3)
    assert again.evaluate("GBAMap.counts()") == page.evaluate("GBAMap.counts()")
    check_clean(page, requested, traffic, site)
    assert again.evaluate("window.__cspViolations") == []


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("澳門城市大學", "cityu-macau"),  # Traditional
        ("澳门城市大学", "cityu-macau"),  # Simplified
        ("坪山區", "pingshan-district"),  # Traditional, the data's Simplified name 坪山区
        ("Productivity Council", "hkpc"),  # English
        ("aomen chengshi", "cityu-macau"),  # toneless pinyin
    ],
)
def test_search_finds_a_record_without_a_server(site: Site, watched, traffic, typed: str, expected: str) -> None:
    page, requested = watched
    open_map(page, site.url + "index.html")
    box = page.locator("#gba-search-input")
    if not box.is_visible():
        page.locator(".gba-explore-toggle, [data-explore-toggle]").first.click()
    box.fill(typed)
    first = page.locator("#gba-search-results [role=option]").first
    first.wait_for()
    assert first.get_attribute("data-id") == expected
    box.press("Enter")
    assert wait_for_url(page, f"select={expected}")
    assert any(url.endswith("search/index.json") for url in requested)
    check_clean(page, requested, traffic, site)


def test_language_pages_and_share_links_point_at_the_files(site: Site, watched, traffic) -> None:
    page, requested = watched
    open_map(page, site.url + "index.html")
    english = page.locator(".gba-langs a[data-lang=en]")
    assert english.get_attribute("href").startswith(site.url + "en/index.html")
    english.click()
    open_map(page)
    assert page.url.startswith(site.url + "en/index.html")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert any(url.endswith("data/en/hospitals.geojson") for url in requested)
    page.locator("#gba-share summary").click()
    assert page.locator("#gba-share-link").input_value().startswith(site.url + "en/index.html")
    assert site.url + "en/embed/index.html" in page.locator("#gba-share-iframe").input_value()
    assert f'src="{site.url}embed.js"' in page.locator("#gba-share-responsive").input_value()
    # The Download menu links files that exist (whole layers), in the page's language for KML.
    for fmt in ("geojson", "csv", "gpkg", "kml", "shp.zip", "graphml"):
        href = page.evaluate("(f) => GBAMap.downloadUrl(f)", fmt)
        assert href is not None, fmt
        response = page.request.get(page.url.split("?")[0].rsplit("/", 1)[0] + "/" + href)
        assert response.ok, (fmt, href)
    assert page.evaluate("GBAMap.downloadUrl('kml')").endswith("download/en/all.kml")
    # An app-style link (?lang=) opens that language's file, the rest of the query kept.
    page.goto(site.url + "index.html?lang=zh-CN&select=hkpc")
    page.wait_for_url(site.url + "zh-Hans/index.html?select=hkpc*")
    open_map(page)
    assert page.evaluate("document.documentElement.lang") == "zh-Hans"
    assert state(page)["selected"] == "hkpc"
    check_clean(page, requested, traffic, site)


def test_the_embed_works_in_another_sites_page(site: Site, watched, traffic) -> None:
    page, requested = watched
    page.goto(site.url.removesuffix(PREFIX) + "/article.html")
    frame = next(f for f in page.frames if "/embed/index.html" in f.url)
    result = open_map(frame)
    assert sorted(result["loaded"]) == sorted((*FEATURE_LAYERS, LINK_LAYER))
    assert frame.evaluate("GBAMap.state()")["layers"] == ["hospitals", "universities"]
    # embed.js (loaded from the folder) sized the frame to its content.
    page.wait_for_function("() => document.getElementById('map').style.height !== ''")
    check_clean(page, requested, traffic, site)


SETTLED_TILES_JS = """
async (name) => {
  const grid = GBAMap.tileLayer(name);
  if (grid.isLoading()) await new Promise((done) => grid.once("load", done));
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
}
"""


def test_a_layer_over_the_threshold_is_drawn_from_its_pmtiles_archive(tiled_site: Site, watched, traffic) -> None:
    """http.server has no byte ranges (every host docs/static-export.md names has): the archive's
    range requests are answered here from the exported file, as such a host would."""
    page, requested = watched
    archive = (tiled_site.folder / f"tiles/{TILED}.pmtiles").read_bytes()
    ranges: list[str] = []

    def answer_range(route) -> None:
        asked = route.request.headers["range"]
        ranges.append(asked)
        first, last = asked.removeprefix("bytes=").split("-")
        start, end = int(first), min(int(last), len(archive) - 1)
        route.fulfill(
            status=206,
            headers={"Content-Range": f"bytes {start}-{end}/{len(archive)}", "Accept-Ranges": "bytes"},
            content_type="application/vnd.pmtiles",
            body=archive[start : end + 1],
        )

    page.route(f"{tiled_site.url}tiles/{TILED}.pmtiles", answer_range)
    result = open_map(page, tiled_site.url + "en/index.html?lat=22.6&lon=114.1&zoom=9")
    assert TILED in result["loaded"]
    page.evaluate(SETTLED_TILES_JS, TILED)
    assert ranges and all(value.startswith("bytes=") for value in ranges)
    assert page.evaluate("(name) => GBAMap.tiles(name).url", TILED).startswith("gba-archive:")
    assert page.evaluate("(name) => GBAMap.tiles(name).loaded", TILED) > 0
    # The layer's GeoJSON is not loaded (the other layers' are).
    assert not any(url.endswith(f"data/en/{TILED}.geojson") for url in requested)
    assert any(url.endswith("data/en/hospitals.geojson") for url in requested)
    check_clean(page, requested, traffic, tiled_site)
