"""A layer drawn from vector tiles, in headless Chromium: a synthetic layer of 30k points served
with GBA_TILE_THRESHOLD=1000 (so it is tiled) beside a small layer that is not.

The app runs in a subprocess (``flask run``): an in-process server shares the test's
interpreter, and pyogrio's GDAL there can deadlock with werkzeug's threads.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
from playwright.sync_api import Page

from bench.servers import free_port
from bench.synthetic import generate_collection
from geo.dataset import write_dataset
from tests.browser.mapdriver import PAINTED_JS, layer_control, open_map, popup, state, wait_for_url
from tests.conftest import REPO

pytestmark = pytest.mark.browser

POINTS = 30_000
LAYER = "enterprises"
SMALL = "hospitals"
THRESHOLD = 1000
FILTER = ("status", "planned")

# Painted (non-transparent) pixels of the tiled layers' canvases: what the tiles drew.
PAINTED_PIXELS_JS = """
() => {
  let painted = 0;
  for (const canvas of document.querySelectorAll(".leaflet-gbaTiles-pane canvas")) {
    if (!canvas.width || !canvas.height) continue;
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
  }
  return painted;
}
"""

# Wait until the tiled layer's tiles in view are all loaded and painted.
SETTLED_JS = """
async (name) => {
  const grid = GBAMap.tileLayer(name);
  if (grid.isLoading()) await new Promise((done) => grid.once("load", done));
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
}
"""


class AppProcess:
    """``flask run`` on a free port with the given environment; stopped by ``stop``."""

    def __init__(self, env: dict[str, str], log: Path):
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self._log = log.open("wb")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "webapp", "run", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO,
            env={**os.environ, **env, "GBA_PUBLIC_URL": self.url},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"the app exited: {log.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/ogcapi/collections?f=json", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"the app did not answer: {log.read_text(errors='replace')[-2000:]}") from None
                time.sleep(0.3)

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()


@pytest.fixture(scope="module")
def tiled_data(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("tiled-data")
    big = generate_collection(POINTS, seed=12, layer=LAYER)
    small = generate_collection(40, seed=13, layer=SMALL)
    write_dataset(
        root / "geojson",
        {
            f"{name}.geojson": orjson.dumps(c, option=orjson.OPT_SORT_KEYS) + b"\n"
            for name, c in ((LAYER, big), (SMALL, small))
        },
    )
    return {"root": root, "features": big["features"], "small": small["features"]}


@pytest.fixture(scope="module")
def tiled_server(tiled_data, tmp_path_factory) -> Iterator[AppProcess]:
    log = tmp_path_factory.mktemp("tiled-log") / "app.log"
    server = AppProcess({"GBA_DATA_DIR": str(tiled_data["root"]), "GBA_TILE_THRESHOLD": str(THRESHOLD)}, log)
    yield server
    server.stop()


def lonely(features: list[dict], metres: float = 150.0) -> dict:
    """A feature with no other within ``metres`` (a click on it can only mean it)."""
    coords = [f["geometry"]["coordinates"] for f in features]
    for index in range(0, len(features), 97):
        lon, lat = coords[index]
        k = math.cos(math.radians(lat)) * 111_320
        if all(
            j == index or math.hypot((x - lon) * k, (y - lat) * 110_540) > metres for j, (x, y) in enumerate(coords)
        ):
            return features[index]
    raise AssertionError("no lonely feature in the synthetic layer")


def matched(server: AppProcess, query: str = "") -> int:
    with urllib.request.urlopen(f"{server.url}/ogcapi/collections/{LAYER}/items?f=json&limit=1&{query}") as answer:
        return orjson.loads(answer.read())["numberMatched"]


def requests_of(page: Page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


def tile_requests(urls: list[str]) -> list[str]:
    return [url for url in urls if urlsplit(url).path.startswith(f"/tiles/{LAYER}/")]


def settle_tiles(page: Page) -> None:
    page.evaluate(SETTLED_JS, LAYER)


def test_a_big_layer_is_drawn_from_tiles_not_downloaded(page: Page, tiled_server: AppProcess):
    urls = requests_of(page)
    result = open_map(page, f"{tiled_server.url}/?lang=en")
    assert set(result["loaded"]) == {LAYER, SMALL}
    settle_tiles(page)
    tiles = tile_requests(urls)
    assert tiles, "no tile of the big layer was requested"
    assert all(urlsplit(url).path.endswith(".mvt") for url in tiles)
    # The big layer is never downloaded whole; the small one is, as before.
    paths = [urlsplit(url).path for url in urls]
    assert not [path for path in paths if path.startswith(f"/download/{LAYER}")]
    assert f"/download/{SMALL}.geojson" in paths
    assert page.evaluate(PAINTED_PIXELS_JS) > 500
    stats = page.evaluate(f"GBAMap.tiles({LAYER!r})")
    assert stats["loaded"] >= 1
    assert page.evaluate(f"GBAMap.tiles({SMALL!r})") is None
    # Its count comes from the API; the vendored VectorGrid came from our own assets.
    assert page.evaluate("GBAMap.counts()")[LAYER] == POINTS
    assert any("/vendor/leaflet.vectorgrid/" in url for url in urls)


def test_a_page_without_a_tiled_layer_loads_no_vectorgrid(page: Page, tiled_data, tmp_path_factory):
    log = tmp_path_factory.mktemp("untiled-log") / "app.log"
    server = AppProcess({"GBA_DATA_DIR": str(tiled_data["root"]), "GBA_TILE_THRESHOLD": str(POINTS)}, log)
    try:
        urls = requests_of(page)
        open_map(page, f"{server.url}/?lang=en")
        assert not [url for url in urls if "vectorgrid" in url.lower() or "/tiles/" in url or "tiled.js" in url]
        assert page.evaluate("GBAMap.counts()")[LAYER] == POINTS
    finally:
        server.stop()


def test_a_click_on_a_tiled_point_opens_its_popup(page: Page, tiled_server: AppProcess, tiled_data):
    target = lonely(tiled_data["features"])
    lon, lat = target["geometry"]["coordinates"]
    open_map(page, f"{tiled_server.url}/?lang=en&lat={lat}&lon={lon}&zoom=15")
    settle_tiles(page)
    x, y = page.evaluate(
        """([lat, lon]) => { const m = GBAMap.map, p = m.latLngToContainerPoint([lat, lon]);
               const b = m.getContainer().getBoundingClientRect(); return [b.left + p.x, b.top + p.y]; }""",
        [lat, lon],
    )
    page.mouse.click(x, y)
    page.wait_for_function("(id) => GBAMap.state().selected === id", arg=target["id"])
    shown = popup(page)
    shown.wait_for()
    assert shown.get_attribute("data-feature-id") == target["id"]
    assert target["properties"]["name_en"] in shown.inner_text()
    # Drawn highlighted above the tiles, from the whole record fetched by id.
    assert page.evaluate("(id) => GBAMap.map.hasLayer(GBAMap.layer(id))", target["id"])
    # A click on empty map changes nothing.
    page.keyboard.press("Escape")
    page.wait_for_function("() => GBAMap.state().selected === null")


def test_a_filter_changes_the_tiles_and_what_they_draw(page: Page, tiled_server: AppProcess):
    urls = requests_of(page)
    open_map(page, f"{tiled_server.url}/?lang=en")
    settle_tiles(page)
    page.evaluate("window.sameDocument = true")
    before = page.evaluate(PAINTED_PIXELS_JS)
    requested = len(urls)
    name, value = FILTER
    page.evaluate("(query) => GBAMap.filter(query)", f"{name}={value}")
    page.wait_for_function("(n) => GBAMap.tiles('enterprises').url.includes(n)", arg=f"{name}={value}")
    settle_tiles(page)
    later = tile_requests(urls[requested:])
    assert later, "the filter asked for no new tile"
    for url in later:
        assert parse_qs(urlsplit(url).query)[name] == [value]
    expected = matched(tiled_server, f"{name}={value}")
    assert 0 < expected < POINTS
    page.wait_for_function("([layer, n]) => GBAMap.counts()[layer] === n", arg=[LAYER, expected])
    after = page.evaluate(PAINTED_PIXELS_JS)
    assert 0 < after < before
    assert page.evaluate("window.sameDocument") is True  # no reload
    # Cleared: every point again.
    page.evaluate("() => GBAMap.filter('')")
    page.wait_for_function("([layer, n]) => GBAMap.counts()[layer] === n", arg=[LAYER, POINTS])
    settle_tiles(page)
    assert page.evaluate(PAINTED_PIXELS_JS) > after


def test_after_a_filter_the_count_and_the_list_come_in_one_request_after_the_tiles(
    page: Page, tiled_server: AppProcess
):
    """A count reads every matching row: the page asks for the new tiles first, and for the list's
    first page (whose numberMatched is also the layer's count) once they are in, once."""
    events: list[tuple[str, str]] = []
    page.on("request", lambda request: events.append(("asked", request.url)))
    page.on("requestfinished", lambda request: events.append(("done", request.url)))
    open_map(page, f"{tiled_server.url}/?lang=en")
    settle_tiles(page)
    page.locator(f'#gba-list-body h3[data-layer="{LAYER}"]').wait_for()
    start = len(events)
    name, value = FILTER
    page.evaluate("(query) => GBAMap.filter(query)", f"{name}={value}")
    expected = matched(tiled_server, f"{name}={value}")
    page.wait_for_function("([layer, n]) => GBAMap.counts()[layer] === n", arg=[LAYER, expected])
    page.wait_for_function(
        "([layer, n]) => document.querySelector(`#gba-list-body h3[data-layer='${layer}']`)?.textContent.endsWith(`(${n})`)",
        arg=[LAYER, expected],
    )
    later = events[start:]
    items = [
        (i, url) for i, (kind, url) in enumerate(later) if kind == "asked" and urlsplit(url).path.endswith("/items")
    ]
    assert len(items) == 1, items  # the count and the list: one request
    assert parse_qs(urlsplit(items[0][1]).query)[name] == [value]
    tiles_done = [i for i, (kind, url) in enumerate(later) if kind == "done" and url in tile_requests([url])]
    tiles_asked = [i for i, (kind, url) in enumerate(later) if kind == "asked" and url in tile_requests([url])]
    assert tiles_asked and tiles_done
    assert items[0][0] > max(tiles_done), "the list and count were asked for before the tiles were in"


def test_select_in_the_url_opens_a_tiled_record(page: Page, tiled_server: AppProcess, tiled_data):
    target = tiled_data["features"][1234]
    open_map(page, f"{tiled_server.url}/?lang=en&select={target['id']}")
    page.wait_for_function("(id) => GBAMap.state().selected === id", arg=target["id"])
    shown = popup(page)
    shown.wait_for()
    assert shown.get_attribute("data-feature-id") == target["id"]
    assert page.evaluate("(id) => GBAMap.recordLayer(id)", target["id"]) == LAYER
    assert page.evaluate("(id) => GBAMap.layer(id).options.color", target["id"]) == "#111111"  # highlighted


def test_the_list_pages_a_tiled_layer_through_the_api(page: Page, tiled_server: AppProcess):
    urls = requests_of(page)
    open_map(page, f"{tiled_server.url}/?lang=en")
    body = page.locator("#gba-list-body")
    body.locator(f'button[data-id^="syn-{LAYER}-"]').first.wait_for()
    assert page.locator(f'#gba-list-body h3[data-layer="{LAYER}"]').inner_text().endswith(f"({POINTS})")
    assert body.locator(f'button[data-id^="syn-{LAYER}-"]').count() == 300
    pages = [url for url in urls if urlsplit(url).path == f"/ogcapi/collections/{LAYER}/items"]
    assert any(parse_qs(urlsplit(url).query).get("limit") == ["300"] for url in pages)
    assert page.get_attribute("#gba-list", "data-count") == str(POINTS + 40)
    body.locator(f'button.gba-list-more[data-layer="{LAYER}"]').click()
    page.wait_for_function(
        "(prefix) => document.querySelectorAll(`#gba-list-body button[data-id^='${prefix}']`).length === 600",
        arg=f"syn-{LAYER}-",
    )
    offsets = [parse_qs(urlsplit(url).query).get("offset") for url in urls if f"/collections/{LAYER}/items" in url]
    assert ["300"] in offsets
    # Filtered, the list asks the API for what passes.
    name, value = FILTER
    page.evaluate("(query) => GBAMap.filter(query)", f"{name}={value}")
    expected = matched(tiled_server, f"{name}={value}")
    page.wait_for_function(
        "([layer, n]) => document.querySelector(`#gba-list-body h3[data-layer='${layer}']`)?.textContent.endsWith(`(${n})`)",
        arg=[LAYER, expected],
    )
    # Choosing an item selects it: its popup opens.
    first = body.locator(f'button[data-id^="syn-{LAYER}-"]').first
    chosen = first.get_attribute("data-id")
    first.click()
    page.wait_for_function("(id) => GBAMap.state().selected === id", arg=chosen)
    popup(page).wait_for()
    assert popup(page).get_attribute("data-feature-id") == chosen


def test_a_shared_link_round_trips(page: Page, make_page, tiled_server: AppProcess, tiled_data):
    target = next(f for f in tiled_data["features"] if f["properties"]["status"] == FILTER[1])
    open_map(page, f"{tiled_server.url}/?lang=en")
    name, value = FILTER
    page.evaluate("(query) => GBAMap.filter(query)", f"{name}={value}")
    assert page.evaluate("(id) => GBAMap.select(id)", target["id"]) is True
    popup(page).wait_for()
    link = wait_for_url(page, f"select={target['id']}")
    assert f"{name}={value}" in link
    other = make_page()
    open_map(other, link)
    other.wait_for_function("(id) => GBAMap.state().selected === id", arg=target["id"])
    assert state(other)["filters"] == {name: [value]}
    popup(other).wait_for()
    assert popup(other).get_attribute("data-feature-id") == target["id"]
    settle_tiles(other)
    assert all(
        parse_qs(urlsplit(url).query).get(name) == [value] for url in [other.evaluate(f"GBAMap.tiles({LAYER!r}).url")]
    )
    other.evaluate(PAINTED_JS)


@pytest.fixture(scope="module")
def archive(tiled_data, tmp_path_factory) -> bytes:
    """The big layer as a PMTiles archive (what the static export writes), zooms 0-12."""
    from webapp import create_app
    from webapp.tiles import write_pmtiles

    app = create_app({"TESTING": True, "DATA_DIR": str(tiled_data["root"])})
    path = tmp_path_factory.mktemp("archive") / f"{LAYER}.pmtiles"
    write_pmtiles(app.extensions["gba_provider"], LAYER, path, max_zoom=12)
    return path.read_bytes()


def serve_archive(page: Page, archive: bytes, server: AppProcess) -> list[str]:
    """The page as a static export has it: its tiled layer read from ``/tiles/<layer>.pmtiles``
    by range requests (answered here), no tile server, no OGC API."""
    asked: list[str] = []

    def archive_route(route):
        asked.append(route.request.headers.get("range", ""))
        first, last = route.request.headers["range"].removeprefix("bytes=").split("-")
        start, end = int(first), min(int(last), len(archive) - 1)
        route.fulfill(
            status=206,
            headers={"Content-Range": f"bytes {start}-{end}/{len(archive)}", "Accept-Ranges": "bytes"},
            content_type="application/octet-stream",
            body=archive[start : end + 1],
        )

    def page_route(route):
        response = route.fetch()
        html = response.text()
        template = '"tiles":"/tiles/__layer__/{z}/{x}/{y}.mvt"'
        assert template in html
        html = html.replace(template, '"tiles":"/tiles/__layer__.pmtiles"')
        html = html.replace('"items":"/ogcapi/collections/__layer__/items"', '"items":null')
        route.fulfill(response=response, body=html)

    page.route(f"{server.url}/tiles/{LAYER}.pmtiles", archive_route)
    page.route(f"{server.url}/?lang=en*", page_route)
    return asked


def test_an_archive_layer_is_drawn_and_filtered_by_the_page(page: Page, tiled_server: AppProcess, archive: bytes):
    asked = serve_archive(page, archive, tiled_server)
    urls = requests_of(page)
    open_map(page, f"{tiled_server.url}/?lang=en&zoom=10&lat=22.6&lon=114.1")
    settle_tiles(page)
    assert asked and all(value.startswith("bytes=") for value in asked)
    assert not tile_requests(urls)  # no tile server
    assert page.evaluate(f"GBAMap.tiles({LAYER!r}).url").startswith("gba-archive:")
    before = page.evaluate(PAINTED_PIXELS_JS)
    assert before > 500
    name, value = FILTER
    page.evaluate("(query) => GBAMap.filter(query)", f"{name}={value}")
    settle_tiles(page)
    after = page.evaluate(PAINTED_PIXELS_JS)
    assert 0 < after < before
    assert not tile_requests(urls)


# Whether the tiled layers' canvases painted the pixel under the page point (x, y).
PAINTED_AT_JS = """
([x, y]) => {
  for (const canvas of document.querySelectorAll(".leaflet-gbaTiles-pane canvas")) {
    const box = canvas.getBoundingClientRect();
    if (x < box.left || y < box.top || x >= box.right || y >= box.bottom) continue;
    const px = Math.floor(((x - box.left) * canvas.width) / box.width);
    const py = Math.floor(((y - box.top) * canvas.height) / box.height);
    if (canvas.getContext("2d").getImageData(px, py, 1, 1).data[3] > 0) return true;
  }
  return false;
}
"""

# The page point of a WGS-84 position as the map's own records are placed: shifted on Gaode.
PAGE_POINT_JS = """
([lat, lon, shift]) => {
  const m = GBAMap.map;
  const [slon, slat] = shift ? GBAMap.wgs84ToGcj02(lon, lat) : [lon, lat];
  const p = m.latLngToContainerPoint([slat, slon]);
  const b = m.getContainer().getBoundingClientRect();
  return [b.left + p.x, b.top + p.y];
}
"""


@pytest.mark.parametrize("basemap", ["osm", "gaode"])
def test_a_tiled_point_is_drawn_where_the_basemap_datum_puts_it(
    page: Page, tiled_server: AppProcess, tiled_data, basemap: str
):
    mainland = [f for f in tiled_data["features"] if f["properties"].get("jurisdiction") not in ("Hong Kong", "Macau")]
    target = lonely(mainland, metres=800.0)
    lon, lat = target["geometry"]["coordinates"]
    open_map(page, f"{tiled_server.url}/?lang=en&lat={lat}&lon={lon}&zoom=15&basemap={basemap}")
    assert state(page)["basemap"] == basemap
    settle_tiles(page)
    shifted = page.evaluate(PAGE_POINT_JS, [lat, lon, True])
    plain = page.evaluate(PAGE_POINT_JS, [lat, lon, False])
    assert math.hypot(shifted[0] - plain[0], shifted[1] - plain[1]) > 20  # ~500 m at z15: far apart
    drawn, empty = (shifted, plain) if basemap == "gaode" else (plain, shifted)
    assert page.evaluate(PAINTED_AT_JS, drawn)
    assert not page.evaluate(PAINTED_AT_JS, empty)
    # A click where it is drawn takes it; its record then drawn by the map itself sits on the same spot.
    page.mouse.click(*drawn)
    page.wait_for_function("(id) => GBAMap.state().selected === id", arg=target["id"])
    # Compared in world pixels at this zoom: the popup may be panning the map.
    gap = page.evaluate(
        """([id, lat, lon, shift]) => { const m = GBAMap.map, z = m.getZoom();
               const [slon, slat] = shift ? GBAMap.wgs84ToGcj02(lon, lat) : [lon, lat];
               return m.project(GBAMap.layer(id).getLatLng(), z).distanceTo(m.project([slat, slon], z)); }""",
        [target["id"], lat, lon, basemap == "gaode"],
    )
    assert gap < 0.5


def test_a_basemap_change_redraws_the_tiles_with_its_datum(page: Page, tiled_server: AppProcess, tiled_data):
    mainland = [f for f in tiled_data["features"] if f["properties"].get("jurisdiction") not in ("Hong Kong", "Macau")]
    target = lonely(mainland, metres=800.0)
    lon, lat = target["geometry"]["coordinates"]
    open_map(page, f"{tiled_server.url}/?lang=en&lat={lat}&lon={lon}&zoom=15&basemap=osm")
    settle_tiles(page)
    assert page.evaluate(PAINTED_AT_JS, page.evaluate(PAGE_POINT_JS, [lat, lon, False]))
    layer_control(page).locator(".leaflet-control-layers-base label", has_text="Gaode").locator("input").check()
    page.wait_for_function("() => GBAMap.state().basemap === 'gaode'")
    settle_tiles(page)
    page.wait_for_function(PAINTED_AT_JS, arg=page.evaluate(PAGE_POINT_JS, [lat, lon, True]))


def test_point_tiles_come_clustered_and_a_cluster_click_zooms_in(page: Page, tiled_server: AppProcess):
    import mapbox_vector_tile

    lon, lat, zoom = 114.06, 22.54, 10
    urls = requests_of(page)
    open_map(page, f"{tiled_server.url}/?lang=en&lat={lat}&lon={lon}&zoom={zoom}&basemap=osm")
    settle_tiles(page)
    asked = tile_requests(urls)
    assert asked and all(parse_qs(urlsplit(url).query).get("cluster") == ["1"] for url in asked)
    # Each tile on screen is the server's tile of another zoom (512 px, one zoom up), and of that zoom only.
    size, offset = page.evaluate(
        f"(({{tileSize, zoomOffset}}) => [tileSize, zoomOffset])(GBAMap.tileLayer({LAYER!r}).options)"
    )
    assert (size, offset) == (512, -1)
    assert {urlsplit(url).path.split("/")[3] for url in asked} == {str(zoom + offset)}
    # The biggest cluster in view of the tile under the centre, as the server gives it.
    n = 1 << (zoom + offset)
    tx = int((lon + 180.0) / 360.0 * n)
    ty = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    with urllib.request.urlopen(f"{tiled_server.url}/tiles/{LAYER}/{zoom + offset}/{tx}/{ty}.mvt?cluster=1") as answer:
        layer = mapbox_vector_tile.decode(answer.read(), default_options={"y_coord_down": True})[LAYER]
    scale = size / layer["extent"]
    clusters = sorted(layer["features"], key=lambda f: -f["properties"]["count"])
    # Each one's page point, or null when it lies away from the map's middle (a 512-px tile may reach
    # beyond the map, or under its controls and panels).
    points = page.evaluate(
        """([spots, z]) => { const m = GBAMap.map, b = m.getContainer().getBoundingClientRect();
               return spots.map(([wx, wy]) => { const p = m.latLngToContainerPoint(m.unproject([wx, wy], z));
                 const inside = Math.abs(p.x - b.width / 2) < 200 && Math.abs(p.y - b.height / 2) < 200;
                 return inside ? [b.left + p.x, b.top + p.y] : null; }); }""",
        [
            [
                [
                    tx * size + f["geometry"]["coordinates"][0] * scale,
                    ty * size + f["geometry"]["coordinates"][1] * scale,
                ]
                for f in clusters
            ],
            zoom,
        ],
    )
    # Not one under a record of the map's own (the small layer): that click would be the record's.
    # Leaflet's canvas marks itself interactive while the mouse is over one of its records.
    own_record_js = "([x, y]) => document.elementFromPoint(x, y).classList.contains('leaflet-interactive')"
    chosen = None
    for index, point in enumerate(points):
        if point is None:
            continue
        page.mouse.move(*point)
        if not page.evaluate(own_record_js, point):
            chosen = index
            break
    assert chosen is not None and clusters[chosen]["properties"]["count"] > 1
    x, y = points[chosen]
    page.mouse.click(x, y)
    page.wait_for_function("(z) => GBAMap.map.getZoom() > z", arg=zoom)
    assert state(page)["selected"] is None
