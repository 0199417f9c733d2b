"""The map page in headless Chromium, with no network but the app."""

from __future__ import annotations

import html
import json

import pyogrio
import pytest
from shapely.geometry import shape

from geo.schema import FEATURE_LAYERS, LAYER_LABELS, LAYERS, LINK_LAYER, LINK_TYPES
from tests.browser.conftest import publish_screenshot
from tests.browser.mapdriver import (
    container_point,
    drawn,
    expose,
    features,
    focus,
    layer_control,
    open_map,
    popup,
    settle,
    show_all,
    state,
)
from tests.conftest import DATA_DIR
from webapp import exports

pytestmark = pytest.mark.browser

POINT_LAYERS = [layer for layer in FEATURE_LAYERS if layer != "zones"]


def expected_counts(layer: str) -> dict:
    count = len(features(DATA_DIR, layer))
    if layer == "zones":
        return {"points": 0, "polygons": count, "lines": 0}
    if layer == LINK_LAYER:
        return {"points": 0, "polygons": 0, "lines": count}
    return {"points": count, "polygons": 0, "lines": 0}


def overlay_checkbox(page, layer: str, lang: str = "zh_hant"):
    label = layer_control(page).locator(".leaflet-control-layers-overlays label", has_text=LAYER_LABELS[layer][lang])
    return label.locator("input")


def test_every_marker_polygon_and_link_is_drawn(page, live_server, traffic, artifacts):
    open_map(page, live_server.url + "/")
    settle(page)
    page.screenshot(path=artifacts / "map.png")
    publish_screenshot("map.png")
    show_all(page)
    for layer in LAYERS:
        assert drawn(page, layer) == expected_counts(layer), layer
    directed = sum(1 for f in features(DATA_DIR, LINK_LAYER) if f["properties"]["directed"])
    assert page.locator(".gba-arrow").count() == directed
    assert page.locator(".gba-legend").is_visible()
    assert traffic.errors == []


@pytest.mark.parametrize("layer", ["hospitals", "zones", LINK_LAYER])
def test_toggling_an_overlay_hides_and_shows_its_features(page, live_server, layer):
    open_map(page, live_server.url + "/")
    show_all(page)
    checkbox = overlay_checkbox(page, layer)
    checkbox.click()
    assert not checkbox.is_checked()
    assert sum(drawn(page, layer).values()) == 0
    assert all(drawn(page, other) == expected_counts(other) for other in LAYERS if other != layer)
    if layer == LINK_LAYER:
        assert page.locator(".gba-arrow").count() == 0
    checkbox.click()
    assert drawn(page, layer) == expected_counts(layer)


def stacked_marker(layer: str) -> dict:
    """A feature placed exactly on another (e.g. the same district point): it needs spiderfying."""
    spots = [tuple(f["geometry"]["coordinates"]) for f in features(DATA_DIR, layer)]
    return next(f for f, spot in zip(features(DATA_DIR, layer), spots, strict=True) if spots.count(spot) > 1)


@pytest.mark.parametrize(
    "feature",
    [features(DATA_DIR, "hospitals")[0], stacked_marker("enterprises")],
    ids=["single", "stacked"],
)
def test_clicking_a_marker_opens_its_popup_with_the_source_quote(page, live_server, feature):
    open_map(page, live_server.url + "/")
    props = feature["properties"]
    x, y = expose(page, props["id"])
    page.mouse.click(x, y)
    content = popup(page)
    content.wait_for()
    assert content.get_attribute("data-feature-id") == props["id"]
    assert content.locator("h3").inner_text() == props["name_zh_hant"]
    text = content.inner_text()
    assert props["name_en"] in text  # the other forms beneath
    assert props["sources"][0]["quote"] in text
    assert props["sources"][0]["title"] in text
    assert "約略位置" in text or "建築物" in text or "院區" in text  # how precise the position is


def test_hovering_a_link_shows_its_type_and_both_endpoints(page, live_server):
    links = features(DATA_DIR, LINK_LAYER)
    lines = [shape(f["geometry"]) for f in links]
    points = [shape(f["geometry"]) for layer in POINT_LAYERS for f in features(DATA_DIR, layer)]

    def clearance(index: int) -> float:
        # how far the link's midpoint is from any other link or marker: the hover is unambiguous
        middle = lines[index].interpolate(0.5, normalized=True)
        others = [line for i, line in enumerate(lines) if i != index] + points
        return min(middle.distance(other) / lines[index].length for other in others)

    props = links[max(range(len(links)), key=clearance)]["properties"]
    open_map(page, live_server.url + "/")
    x, y = page.evaluate(
        """(id) => {
            const map = GBAMap.map, line = GBAMap.layer(id);
            map.fitBounds(line.getBounds(), {animate: false, padding: [80, 80]});
            const p = map.latLngToContainerPoint(line.getCenter());
            const box = map.getContainer().getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""",
        props["id"],
    )
    page.mouse.move(x, y)
    tooltip = page.locator(".leaflet-tooltip .gba-link-summary")
    tooltip.wait_for()
    text = tooltip.inner_text()
    assert props["from_name_zh_hant"] in text and props["to_name_zh_hant"] in text
    assert LINK_TYPES[props["link_type"]]["zh_hant"] in text


def test_english_switches_labels_legend_controls_and_popups(page, live_server):
    open_map(page, live_server.url + "/?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.title() == "GBA Cooperation Map"
    controls = layer_control(page).inner_text()
    for layer in LAYERS:
        assert LAYER_LABELS[layer]["en"] in controls
    assert "Gaode (Amap)" in controls
    assert page.locator(".gba-legend-toggle").inner_text() == "Legend"
    assert page.locator("#gba-share summary").inner_text() == "Share / embed"
    props = features(DATA_DIR, "universities")[0]["properties"]
    focus(page, props["id"])
    popup(page).wait_for()
    assert popup(page).locator("h3").inner_text() == props["name_en"]
    assert "Sources" in popup(page).inner_text()


def test_share_panel_follows_the_view_layers_basemap_and_language(page, live_server):
    open_map(page, live_server.url + "/?lang=zh-Hans")
    page.evaluate("() => { GBAMap.map.setView([22.55, 114.1], 12, {animate: false}); }")
    overlay_checkbox(page, "hospitals", "zh_hans").click()
    layer_control(page).locator(".leaflet-control-layers-base label", has_text="Positron").locator("input").click()
    page.locator("#gba-share summary").click()
    link = page.locator("#gba-share-link").input_value()
    snippet = page.locator("#gba-share-iframe").input_value()
    assert link.startswith(live_server.url + "/?")
    assert "lang=zh-Hans" in link and "zoom=12" in link and "basemap=positron" in link
    assert "lat=22.55" in link and "lon=114.1" in link
    assert "layers=" + "%2C".join(layer for layer in LAYERS if layer != "hospitals") in link
    assert snippet.startswith(f'<iframe src="{live_server.url}/embed?')
    assert "&amp;bbox=" in snippet and "basemap=positron" in snippet

    # the link reproduces the view
    open_map(page, link)
    now = state(page)
    assert now["zoom"] == 12 and now["basemap"] == "positron"
    assert abs(now["lat"] - 22.55) < 1e-4 and abs(now["lon"] - 114.1) < 1e-4
    assert sum(drawn(page, "hospitals").values()) == 0

    # the language links keep the view
    english = page.locator('.gba-langs a[data-lang="en"]').get_attribute("href")
    assert "lang=en" in english and "zoom=12" in english and "basemap=positron" in english


def test_share_panel_carries_the_open_popup_as_the_selection(page, live_server):
    feature_id = features(DATA_DIR, "zones")[0]["properties"]["id"]
    open_map(page, live_server.url + "/")
    focus(page, feature_id)
    popup(page).wait_for()
    assert f"select={feature_id}" in page.locator("#gba-share-link").input_value()
    assert f"select={feature_id}" in page.locator("#gba-share-iframe").input_value()


def test_download_button_gives_the_visible_layers(page, live_server):
    open_map(page, live_server.url + "/")
    button = page.locator("#gba-download")
    assert button.get_attribute("href") == "/download/all.geojson"

    open_map(page, live_server.url + "/?layers=zones")
    assert button.get_attribute("href") == "/download/zones.geojson"

    open_map(page, live_server.url + "/?layers=zones,hospitals,links")
    assert button.get_attribute("href") == "/download/all.geojson?layers=zones%2Chospitals%2Clinks"

    open_map(page, live_server.url + "/?layers=zones,hospitals,links")
    page.locator("#gba-downloads summary").click()
    with page.expect_download() as download:
        button.click()
    body = json.loads(download.value.path().read_text(encoding="utf-8"))
    wanted = {f["properties"]["id"] for layer in ("zones", "hospitals", "links") for f in features(DATA_DIR, layer)}
    assert body["type"] == "FeatureCollection"
    assert {f["properties"]["id"] for f in body["features"]} == wanted
    assert download.value.suggested_filename.endswith(".geojson")

    open_map(page, live_server.url + "/?layers=")
    assert button.get_attribute("aria-disabled") == "true"


def test_the_download_menu_offers_every_format_of_what_is_shown(page, live_server, tmp_path):
    open_map(page, live_server.url + "/?lang=en&layers=hospitals,universities&status=operating")
    page.locator("#gba-downloads summary").click()
    menu = page.locator("#gba-downloads a[data-download-format]")
    offered = [menu.nth(i).get_attribute("data-download-format") for i in range(menu.count())]
    assert offered == [export.extension for export in exports.FORMATS]
    labels = [menu.nth(i).inner_text() for i in range(menu.count())]
    assert labels == [export.label["en"] for export in exports.FORMATS]
    query = "status=operating&layers=hospitals%2Cuniversities"
    for extension in offered:
        link = page.locator(f'#gba-downloads a[data-download-format="{extension}"]')
        wanted = f"/download/all.{extension}?{query}" + ("&lang=en" if extension == "kml" else "")
        assert link.get_attribute("href") == wanted
        assert link.get_attribute("aria-disabled") == "false"
    with page.expect_download() as download:
        page.locator('#gba-downloads a[data-download-format="gpkg"]').click()
    assert download.value.suggested_filename == "gba-cooperation-all.gpkg"
    path = tmp_path / "all.gpkg"
    download.value.save_as(path)
    expected = {
        layer: sorted(
            f["properties"]["id"] for f in features(DATA_DIR, layer) if f["properties"]["status"] == "operating"
        )
        for layer in ("hospitals", "universities")
    }
    assert [row[0] for row in pyogrio.list_layers(path)] == list(expected)
    for layer, ids in expected.items():
        assert sorted(pyogrio.read_dataframe(path, layer=layer)["id"]) == ids

    # points and polygons together: no FlatGeobuf (one geometry type per file), the rest still offered
    open_map(page, live_server.url + "/?lang=en&layers=zones,hospitals")
    fgb = page.locator('#gba-downloads a[data-download-format="fgb"]')
    assert fgb.get_attribute("aria-disabled") == "true" and fgb.get_attribute("href") == "#"
    assert page.locator('#gba-downloads a[data-download-format="csv"]').get_attribute("aria-disabled") == "false"


def test_share_links_stay_valid_at_any_zoom_and_basemap(page, live_server):
    open_map(page, live_server.url + "/?lang=en")
    share = page.locator("#gba-share")
    for basemap in ("Positron", "Gaode"):
        # The share panel drops over the map's corner, where the layer control is: the basemap is
        # chosen with the panel closed, then the panel is opened to read the links.
        if share.get_attribute("open") is not None:
            share.locator("summary").click()
        layer_control(page).locator(".leaflet-control-layers-base label", has_text=basemap).locator("input").check()
        share.locator("summary").click()
        for zoom in (0, 25):  # past every limit: the map clamps, the links must stay acceptable
            page.evaluate("(z) => { GBAMap.map.setZoom(z, {animate: false}); }", zoom)
            link = page.locator("#gba-share-link").input_value()
            snippet = page.locator("#gba-share-iframe").input_value()
            embed = html.unescape(snippet.split('src="')[1].split('"')[0])
            for url in (link, embed):
                response = page.request.get(url)
                assert response.status == 200, (url, response.text())


def test_a_zone_inside_a_larger_zone_stays_clickable(page, live_server):
    # The Nanshan park lies inside the Shenzhen National High-tech Zone's outline: a click on
    # the park must open the park, not the larger zone drawn around it.
    park = next(f for f in features(DATA_DIR, "zones") if f["id"] == "nanshan-park")
    larger = next(f for f in features(DATA_DIR, "zones") if f["id"] == "shenzhen-national-high-tech-zone")
    inside = shape(park["geometry"]).representative_point()
    assert shape(larger["geometry"]).contains(inside)
    open_map(page, live_server.url + "/?layers=zones")
    x, y = container_point(page, inside.y, inside.x, 13)
    settle(page)
    page.mouse.click(x, y)
    popup(page).wait_for()
    assert popup(page).get_attribute("data-feature-id") == "nanshan-park"
