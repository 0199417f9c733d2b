"""Links to places outside the Greater Bay Area (``outside_gba``: the Beijing bodies) are
short stubs from their end inside the region: they never set or dominate the view."""

from __future__ import annotations

import pytest

from geo.schema import GBA_BOUNDS, LINK_LAYER
from tests.browser.mapdriver import features, open_map, popup, settle
from tests.conftest import DATA_DIR

pytestmark = pytest.mark.browser

STUB_PX = 64  # shapes.js STUB_PX
OUTSIDE_LINKS = [f for f in features(DATA_DIR, LINK_LAYER) if f["properties"].get("outside_gba")]
RECORDS = {
    f["properties"]["id"]: f["properties"]
    for layer in ("hospitals", "computing_centres", "universities", "agencies", "enterprises")
    for f in features(DATA_DIR, layer)
}


def inside(position) -> bool:
    lon, lat = position
    return GBA_BOUNDS[0] <= lon <= GBA_BOUNDS[2] and GBA_BOUNDS[1] <= lat <= GBA_BOUNDS[3]


def far_end(link: dict) -> str:
    """ "from" or "to": the end whose record lies outside the region (read from the data)."""
    p = link["properties"]
    return "from" if RECORDS[p["from_id"]].get("outside_gba") else "to"


def test_the_data_still_has_links_leaving_the_region():
    assert len(OUTSIDE_LINKS) >= 2
    for link in OUTSIDE_LINKS:
        end = far_end(link)
        coordinates = link["geometry"]["coordinates"]
        assert not inside(coordinates[0 if end == "from" else -1])


DRAWN_LINKS_JS = """
() => {
  const map = GBAMap.map, size = map.getSize(), out = [];
  GBAMap.group("links").eachLayer((layer) => {
    if (!(layer instanceof L.Polyline) || !map.hasLayer(layer)) return;
    out.push(layer.getLatLngs().map((ll) => { const p = map.latLngToContainerPoint(ll); return [p.x, p.y]; }));
  });
  return {width: size.x, height: size.y, lines: out};
}
"""


def test_default_view_frames_the_bay_area_and_no_link_runs_off_it(page, live_server):
    open_map(page, f"{live_server.url}/?lang=en")
    bounds = page.evaluate(
        "(() => { const b = GBAMap.map.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })()"
    )
    west, south, east, north = bounds
    assert west <= GBA_BOUNDS[0] and south <= GBA_BOUNDS[1] and east >= GBA_BOUNDS[2] and north >= GBA_BOUNDS[3]
    # fitted, not a wider view: Beijing (lat 39.9) is far outside
    assert north < 30 and (east - west) < 3 * (GBA_BOUNDS[2] - GBA_BOUNDS[0])
    drawn = page.evaluate(DRAWN_LINKS_JS)
    assert len(drawn["lines"]) == len(features(DATA_DIR, LINK_LAYER))
    for line in drawn["lines"]:
        for x, y in line:
            assert -STUB_PX <= x <= drawn["width"] + STUB_PX and -STUB_PX <= y <= drawn["height"] + STUB_PX
    for link in OUTSIDE_LINKS:
        (x0, y0), (x1, y1) = page.evaluate(
            "(id) => GBAMap.layer(id).getLatLngs().map((ll) => { const p = GBAMap.map.latLngToContainerPoint(ll); "
            "return [p.x, p.y]; })",
            link["properties"]["id"],
        )
        assert ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5 == pytest.approx(STUB_PX, abs=1.5)
        assert y1 < y0  # towards Beijing: north


def test_stubs_keep_their_screen_length_at_every_zoom(page, live_server):
    open_map(page, f"{live_server.url}/?lang=en")
    link_id = OUTSIDE_LINKS[0]["properties"]["id"]
    for zoom in (7, 10, 13):
        length = page.evaluate(
            """([id, zoom]) => { const m = GBAMap.map; m.setZoom(zoom, {animate: false});
                 const [a, b] = GBAMap.layer(id).getLatLngs().map((ll) => m.latLngToContainerPoint(ll));
                 return a.distanceTo(b); }""",
            [link_id, zoom],
        )
        assert length == pytest.approx(STUB_PX, abs=1.5), zoom


@pytest.mark.parametrize(("lang", "key"), [("en", "en"), ("zh-Hant", "zh_hant"), ("zh-Hans", "zh_hans")])
def test_stub_labels_name_the_far_end_in_the_language(page, live_server, lang, key):
    open_map(page, f"{live_server.url}/?lang={lang}")
    labels = page.locator(".gba-stub-text").all_inner_texts()
    assert len(labels) == len(OUTSIDE_LINKS)
    for link in OUTSIDE_LINKS:
        p = link["properties"]
        end = far_end(link)
        record = RECORDS[p[f"{end}_id"]]
        place = record["jurisdiction"] if key == "en" else record[f"jurisdiction_{key}"]
        name = p[f"{end}_name_{key}"]
        assert any(label.startswith("→ ") and place in label and name in label for label in labels), (place, name)


def test_clicking_a_stub_label_opens_the_link_popup(page, live_server):
    open_map(page, f"{live_server.url}/?lang=en")
    for link in OUTSIDE_LINKS:
        p = link["properties"]
        page.locator(".gba-stub-text", has_text=p[f"{far_end(link)}_name_en"]).click()
        content = popup(page)
        content.wait_for()
        assert content.get_attribute("data-feature-id") == p["id"]
        assert page.evaluate("GBAMap.state().selected") == p["id"]
        page.locator(".leaflet-popup", has=content).locator(".leaflet-popup-close-button").click()
        settle(page)


@pytest.mark.parametrize("param", ["focus", "select"])
def test_focusing_a_link_to_beijing_frames_its_end_in_the_region(page, live_server, param):
    link = OUTSIDE_LINKS[0]
    p = link["properties"]
    near = link["geometry"]["coordinates"][-1 if far_end(link) == "from" else 0]
    open_map(page, f"{live_server.url}/?lang=en&{param}={p['id']}")
    popup(page).wait_for()
    settle(page)
    north, contains = page.evaluate(
        "([lat, lon]) => { const b = GBAMap.map.getBounds(); return [b.getNorth(), b.contains([lat, lon])]; }",
        [near[1], near[0]],
    )
    assert contains and north < 30
