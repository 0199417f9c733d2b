"""Offline, escaped, and on the right streets: requests, markup in data, and the Gaode shift."""

from __future__ import annotations

import re

import pytest

from geo import datum
from tests.browser.conftest import XSS
from tests.browser.mapdriver import drawn, features, layer_control, open_map, popup

pytestmark = pytest.mark.browser

TILE_HOSTS = re.compile(r"^(tile\.openstreetmap\.org|[a-d]\.basemaps\.cartocdn\.com|webrd0[1-4]\.is\.autonavi\.com)$")


def choose_basemap(page, label: str) -> None:
    layer_control(page).locator(".leaflet-control-layers-base label", has_text=label).locator("input").check()


def test_nothing_but_the_app_and_map_tiles_is_requested(page, live_server, traffic):
    open_map(page, live_server.url + "/?lang=en")
    choose_basemap(page, "Positron")
    choose_basemap(page, "Gaode")
    page.wait_for_timeout(300)  # let the tile requests go out
    open_map(page, live_server.url + "/embed")
    page.wait_for_timeout(300)
    assert traffic.foreign, "no tile request was seen: is the request gate working?"
    assert all(TILE_HOSTS.match(host) for host in traffic.foreign_hosts()), traffic.foreign_hosts()
    assert {host.split(".")[-2] for host in traffic.foreign_hosts()} == {"openstreetmap", "cartocdn", "autonavi"}
    assert traffic.local_failures == []
    assert traffic.errors == []


def test_a_layer_that_fails_to_load_is_reported_and_the_rest_drawn(page, live_server):
    page.route("**/download/zones.geojson?*", lambda route: route.fulfill(status=503, body="unavailable"))
    page.goto(live_server.url + "/?lang=en")
    result = page.evaluate("() => GBAMap.ready")
    assert result["failed"] == ["zones"]
    alert = page.locator(".gba-error[role=alert]")
    assert alert.inner_text() == "Could not load: Zones"
    assert drawn(page, "links")["lines"] > 0


def with_markup_in_enums(route) -> None:
    """The layer as served, with markup in the xss records' category and link type too.

    The app refuses to start on such values (they fail validation), so they are put in
    on the way to the browser: the page must treat whatever it receives as text.
    """
    response = route.fetch()
    body = response.json()
    for feature in body["features"]:
        if feature["id"] == "xss-point":
            feature["properties"]["category"] = XSS
        elif feature["id"] == "xss-link":
            feature["properties"]["link_type"] = XSS
    route.fulfill(response=response, json=body)


def test_markup_in_the_data_is_shown_as_text_and_never_runs(page, xss_server, traffic):
    page.route("**/download/*.geojson?*", with_markup_in_enums)
    open_map(page, xss_server.url + "/?lang=en")
    page.evaluate("(id) => GBAMap.focus(id)", "xss-point")
    content = popup(page)
    content.wait_for()
    assert content.locator("h3").inner_text() == XSS
    assert content.inner_text().count(XSS) >= 8  # name, category, place, figures, description, people, source, quote
    page.evaluate("(id) => GBAMap.focus(id)", "xss-link")
    link_popup = page.locator('.leaflet-popup-content .gba-popup[data-feature-id="xss-link"]')
    link_popup.wait_for()
    assert link_popup.inner_text().count(XSS) >= 4  # type, both ends, description, source
    page.evaluate("() => { GBAMap.layer('xss-link').openTooltip(); }")
    assert XSS in page.locator(".leaflet-tooltip").inner_text()
    assert XSS in page.locator(".gba-legend").text_content()  # the unknown category, as text
    # the explore panel: list, partners, filters and search results show markup as text too
    assert XSS in page.locator('#gba-list-body button[data-id="xss-point"]').inner_text()
    assert XSS in page.get_attribute('#gba-list-body button[data-id="xss-link"]', "aria-label")
    assert XSS in page.locator("#gba-filter-body").text_content()
    assert XSS in page.locator("#gba-selection-body").inner_text()  # the link's ends, its source
    page.fill("#gba-search-input", "img")
    page.locator('#gba-search-results [data-id="xss-point"]').wait_for()
    assert XSS in page.locator('#gba-search-results [data-id="xss-point"]').inner_text()
    assert page.locator("img[src='x']").count() == 0
    page.wait_for_timeout(200)
    assert traffic.dialogs == []
    assert traffic.errors == []


def marker_position(page, feature_id: str) -> tuple[float, float]:
    lat, lon = page.evaluate(
        "(id) => { const ll = GBAMap.layer(id).getLatLng(); return [ll.lat, ll.lng]; }", feature_id
    )
    return lon, lat


def link_ends(page, feature_id: str) -> list[tuple[float, float]]:
    ends = page.evaluate(
        "(id) => { const ll = GBAMap.layer(id).getLatLngs(); return [ll[0], ll[ll.length - 1]].map((p) => [p.lng, p.lat]); }",
        feature_id,
    )
    return [tuple(end) for end in ends]


def stored(data_dir, layer: str, feature_id: str) -> dict:
    return next(f for f in features(data_dir, layer) if f["properties"]["id"] == feature_id)


def close(a, b, tolerance: float = 1e-9) -> bool:
    return abs(a[0] - b[0]) < tolerance and abs(a[1] - b[1]) < tolerance


def test_gaode_shifts_mainland_features_but_not_hong_kong_ones(page, xss_server, xss_data_dir):
    mainland = tuple(stored(xss_data_dir, "hospitals", "clinic")["geometry"]["coordinates"])
    hong_kong = tuple(stored(xss_data_dir, "agencies", "hkpc")["geometry"]["coordinates"])
    cross_border = stored(xss_data_dir, "links", "hkpc-pingshan")
    assert cross_border["properties"]["from_jurisdiction"] == "Hong Kong"
    line = [tuple(p) for p in cross_border["geometry"]["coordinates"]]

    open_map(page, xss_server.url + "/?basemap=gaode&lang=en")
    shifted = datum.wgs84_to_gcj02(*mainland)
    assert close(marker_position(page, "clinic"), shifted)
    assert 0.001 < abs(shifted[0] - mainland[0]) < 0.01  # a few hundred metres, as GCJ-02 does
    assert close(marker_position(page, "hkpc"), hong_kong)
    start, end = link_ends(page, "hkpc-pingshan")
    assert close(start, line[0]) and close(end, datum.wgs84_to_gcj02(*line[-1]))

    # back on OpenStreetMap everything is at its stored WGS-84 position
    choose_basemap(page, "OpenStreetMap")
    assert close(marker_position(page, "clinic"), mainland)
    assert close(marker_position(page, "hkpc"), hong_kong)
    assert close(link_ends(page, "hkpc-pingshan")[1], line[-1])


def test_js_gcj02_agrees_with_geo_datum(page, xss_server):
    open_map(page, xss_server.url + "/embed?layers=")
    # mainland points across the GBA and beyond, plus points outside China (never shifted)
    grid = [(111.3 + 0.35 * i, 21.8 + 0.25 * j) for i in range(13) for j in range(11)]
    grid = [
        p for p in grid if not (113.8 <= p[0] <= 114.5 and 22.1 <= p[1] <= 22.57)
    ]  # Hong Kong: the SARs are unshifted in geo.datum
    grid = [p for p in grid if not (113.5 <= p[0] <= 113.65 and 22.1 <= p[1] <= 22.22)]  # Macau
    grid += [(116.4, 39.9), (126.6, 45.75), (2.35, 48.85), (-74.0, 40.7), (139.7, 35.7)]
    forward = page.evaluate("(points) => points.map((p) => GBAMap.wgs84ToGcj02(p[0], p[1]))", grid)
    for point, js in zip(grid, forward, strict=True):
        assert close(js, datum.wgs84_to_gcj02(*point), 1e-12), point
    backward = page.evaluate("(points) => points.map((p) => GBAMap.gcj02ToWgs84(p[0], p[1]))", forward)
    for point, js in zip(grid, backward, strict=True):
        assert close(js, point, 1e-8), point
