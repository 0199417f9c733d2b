"""The embed view in headless Chromium: focus, parameters, and framing from another origin."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest

from geo.schema import LAYERS, LINK_LAYER
from tests.browser.conftest import publish_screenshot
from tests.browser.mapdriver import drawn, features, open_map, popup, settle, show_all
from tests.conftest import DATA_DIR

pytestmark = pytest.mark.browser


def first(layer: str) -> dict:
    return features(DATA_DIR, layer)[0]["properties"]


@pytest.mark.parametrize("layer", ["hospitals", "agencies", "zones", LINK_LAYER])
def test_focus_centres_on_the_feature_and_opens_its_popup(page, live_server, layer):
    props = first(layer)
    open_map(page, f"{live_server.url}/embed?focus={props['id']}")
    content = popup(page)
    content.wait_for()
    assert content.get_attribute("data-feature-id") == props["id"]
    if layer == LINK_LAYER:
        text = content.inner_text()
        assert props["from_name_zh_hant"] in text and props["to_name_zh_hant"] in text
    else:
        assert content.locator("h3").inner_text() == props["name_zh_hant"]
    assert props["sources"][0]["quote"] in content.inner_text()


def test_a_bbox_across_180_opens_the_map_on_180_not_round_the_world(page, live_server):
    """bbox=177,65,-177,70 is the 6° around 180°; read as 177 down to -177 it would be the other 354°."""
    open_map(page, f"{live_server.url}/embed?bbox=177,65,-177,70&controls=0")
    view = page.evaluate(
        """() => { const b = GBAMap.map.getBounds();
                   return {west: b.getWest(), east: b.getEast(), south: b.getSouth(), north: b.getNorth(),
                           centre: GBAMap.state().center}; }"""
    )
    assert view["west"] <= 177 and view["east"] >= 183 and view["east"] - view["west"] < 90, view
    assert view["south"] <= 65 and view["north"] >= 70, view
    assert abs(view["centre"][1]) == pytest.approx(180, abs=1), view


def test_embed_screenshot_in_english(page, live_server, artifacts):
    props = first("hospitals")
    open_map(page, f"{live_server.url}/embed?focus={props['id']}&lang=en&zoom=12")
    popup(page).wait_for()
    assert popup(page).locator("h3").inner_text() == props["name_en"]
    settle(page)
    page.screenshot(path=artifacts / "embed.png")
    publish_screenshot("embed.png")


def test_parameters_choose_layers_basemap_view_and_controls(page, live_server):
    open_map(
        page, f"{live_server.url}/embed?layers=zones,links&basemap=positron&bbox=113.9,22.45,114.4,22.8&controls=0"
    )
    for layer in LAYERS:
        assert (sum(drawn(page, layer).values()) > 0) == (layer in ("zones", LINK_LAYER)), layer
    state = page.evaluate(
        """() => { const m = GBAMap.map, b = m.getBounds();
                   return {basemap: GBAMap.state().basemap, west: b.getWest(), south: b.getSouth(),
                           east: b.getEast(), north: b.getNorth()}; }"""
    )
    assert state["basemap"] == "positron"
    # the requested box is inside the view (fitting keeps the whole box visible)
    assert state["west"] <= 113.9 and state["south"] <= 22.45 and state["east"] >= 114.4 and state["north"] >= 22.8
    assert page.locator(".leaflet-control-layers").count() == 0
    assert page.locator(".leaflet-control-zoom").count() == 0
    assert page.locator(".gba-legend").count() == 0
    assert page.locator(".leaflet-control-attribution").inner_text().count("OpenStreetMap") == 1


def test_lat_lon_zoom_set_the_view(page, live_server):
    open_map(page, f"{live_server.url}/embed?lat=22.3&lon=114.17&zoom=11")
    state = page.evaluate("() => { const c = GBAMap.map.getCenter(); return [c.lat, c.lng, GBAMap.map.getZoom()]; }")
    assert abs(state[0] - 22.3) < 1e-6 and abs(state[1] - 114.17) < 1e-6 and state[2] == 11


def test_embed_works_inside_an_iframe_of_another_origin(page, live_server, other_origin, traffic):
    embed_url = f"{live_server.url}/embed?lang=en&layers=hospitals,zones,links"
    page.goto(f"{other_origin.url}/article?src={quote(embed_url, safe='')}")
    assert urlsplit(other_origin.url).port != urlsplit(live_server.url).port  # another origin
    frame = page.frame_locator("#gba")
    frame.locator(".leaflet-container").wait_for()
    inner = next(f for f in page.frames if f.url.startswith(live_server.url))
    open_map(inner)
    show_all(inner)
    for layer in ("hospitals", "zones", LINK_LAYER):
        assert sum(drawn(inner, layer).values()) == len(features(DATA_DIR, layer)), layer
    assert inner.evaluate("window.top !== window.self")
    # the popup opens inside the frame
    props = first("hospitals")
    inner.evaluate("(id) => GBAMap.focus(id)", props["id"])
    popup(inner).wait_for()
    assert popup(inner).locator("h3").inner_text() == props["name_en"]
    assert traffic.local_failures == []
