"""Issue 8 in the browser: shared links with tracking parameters, regional language tags,
fractional zooms, the pairs panel and layer visibility, search counts, Copy, and Chinese
for Leaflet's own controls and the placement notes.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from geo.schema import LINK_LAYER
from tests.browser.mapdriver import features, fetch_json, focus, layer_control, open_map, popup, state, wait_for_url
from tests.conftest import DATA_DIR

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    "query",
    ["fbclid=IwAR0xYz", "utm_source=newsletter&utm_medium=email", "lang=en&utm_campaign=x&fbclid=abc"],
)
def test_links_with_tracking_parameters_open_the_map_and_the_permalink_drops_them(page, live_server, traffic, query):
    open_map(page, f"{live_server.url}/?{query}&status=planned")
    assert state(page)["filters"] == {"status": ["planned"]}
    url = wait_for_url(page, "status=planned")
    assert "fbclid" not in url and "utm_" not in url
    page.locator("#gba-share summary").click()
    for shared in (page.locator("#gba-share-link").input_value(), page.locator("#gba-share-iframe").input_value()):
        assert "status=planned" in shared
        assert "fbclid" not in shared and "utm_" not in shared
    assert traffic.errors == []


def test_the_embed_ignores_tracking_parameters_too(page, live_server, traffic):
    open_map(page, f"{live_server.url}/embed?lang=en&utm_campaign=x")
    assert state(page)["lang"] == "en"
    assert "utm_campaign" not in wait_for_url(page, "lang=en")
    assert traffic.errors == []


@pytest.mark.parametrize(
    ("tag", "lang", "title"), [("zh-TW", "zh-Hant", "大灣區合作地圖"), ("zh-CN", "zh-Hans", "大湾区合作地图")]
)
def test_regional_language_tags_open_the_page_in_that_script(page, live_server, tag, lang, title):
    open_map(page, f"{live_server.url}/?lang={tag}")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.title() == title
    assert state(page)["lang"] == lang
    assert f"lang={lang}" in wait_for_url(page, f"lang={lang}")
    assert page.locator(f'.gba-langs a[data-lang="{lang}"]').get_attribute("aria-current") == "true"


def test_a_fractional_zoom_in_the_url_opens_rounded(page, live_server):
    open_map(page, f"{live_server.url}/?lang=en&lat=22.5&lon=114.1&zoom=11.075")
    assert state(page)["zoom"] == 11
    url = wait_for_url(page, "zoom=11")
    assert parse_qs(urlsplit(url).query)["zoom"] == ["11"]


def test_the_pairs_panel_follows_the_links_layer(page, live_server):
    open_map(page, f"{live_server.url}/?lang=en")
    rows = page.locator("#gba-pairs-body tbody tr")
    assert rows.count() > 0
    links_label = layer_control(page).locator(".leaflet-control-layers-overlays label", has_text="Cooperation links")
    links_label.locator("input").uncheck()
    assert page.locator("#gba-pairs-body tbody tr").count() == 0
    assert page.locator("#gba-pairs-body .gba-hint").inner_text() == (
        "No cross-border link with the current filters and year."
    )
    assert page.locator("#gba-list-status").inner_text().endswith("and 0 links")
    links_label.locator("input").check()
    assert rows.count() > 0

    # links do not depend on their endpoints' layers: hospitals off, their links stay
    cross = sum(1 for f in features(DATA_DIR, LINK_LAYER) if f["properties"]["cross_border"])
    layer_control(page).locator(".leaflet-control-layers-overlays label", has_text="Hospitals").locator(
        "input"
    ).uncheck()
    shown = sum(int(rows.nth(i).locator(".gba-bar-value").inner_text()) for i in range(rows.count()))
    assert shown == cross
    assert page.evaluate("GBAMap.counts().links") == len(features(DATA_DIR, LINK_LAYER))


def test_search_says_how_many_of_how_many_and_shows_more(page, live_server):
    open_map(page, f"{live_server.url}/?lang=en")
    total = fetch_json(page, "/api/search?q=shenzhen&limit=10")["total"]
    assert total > 10
    page.fill("#gba-search-input", "shenzhen")
    options = page.locator("#gba-search-results [role=option]")
    options.first.wait_for()
    status = page.locator("#gba-search-status")
    assert status.get_attribute("role") == "status"
    assert status.inner_text() == f"10 of {total}"
    assert page.locator(".gba-search-count").inner_text() == f"10 of {total}"  # in the dropdown too
    more = page.get_by_role("button", name="Show more")
    more.click()
    expected = min(total, 30)
    page.wait_for_function(
        "(n) => document.querySelectorAll('#gba-search-results [role=option]').length === n", arg=expected
    )
    assert status.inner_text() == f"{expected} of {total}"
    assert page.locator("#gba-search-input").get_attribute("aria-expanded") == "true"
    while more.is_visible():
        more.click()
        page.wait_for_timeout(300)
    assert options.count() == min(total, 50)


def test_copy_buttons_confirm(page, live_server):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_map(page, f"{live_server.url}/?lang=en")
    page.locator("#gba-share summary").click()
    button = page.locator('button[data-copy="gba-share-link"]')
    assert button.inner_text() == "Copy"
    button.click()
    page.wait_for_function("() => document.querySelector('button[data-copy=gba-share-link]').textContent === 'Copied'")
    assert page.locator("[data-copy-status]").get_attribute("role") == "status"
    assert page.locator("[data-copy-status]").text_content() == "Copied"
    assert page.evaluate("navigator.clipboard.readText()") == page.locator("#gba-share-link").input_value()
    page.wait_for_function(
        "() => document.querySelector('button[data-copy=gba-share-link]').textContent === 'Copy'", timeout=4000
    )


def test_chinese_view_translates_the_placement_note_and_leafletss_controls(page, live_server):
    hospital = features(DATA_DIR, "hospitals")[0]["properties"]
    link = features(DATA_DIR, LINK_LAYER)[0]["properties"]
    assert hospital["coord_source_zh_hant"] and hospital["coord_source_zh_hant"] != hospital["coord_source"]
    open_map(page, f"{live_server.url}/?lang=zh-Hant")
    assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == "放大"
    assert page.locator(".leaflet-control-zoom-out").get_attribute("title") == "縮小"
    toggle = page.locator(".leaflet-control-layers-toggle")
    assert toggle.get_attribute("aria-label") == toggle.get_attribute("title") != "Layers"
    focus(page, hospital["id"])
    popup(page).wait_for()
    assert popup(page).locator(".gba-coord-source").inner_text() == hospital["coord_source_zh_hant"]
    close = page.locator(".leaflet-popup-close-button")
    assert close.get_attribute("aria-label") not in (None, "Close popup")
    focus(page, link["id"])
    link_popup = page.locator(f'.leaflet-popup-content .gba-popup[data-feature-id="{link["id"]}"]')
    link_popup.wait_for()
    assert link_popup.locator(".gba-coord-source").inner_text() == link["coord_source_zh_hant"]
    assert "straight line" not in link_popup.inner_text()


def test_cross_border_false_from_a_url_shows_in_the_filter_panel(page, live_server):
    open_map(page, f"{live_server.url}/?lang=en&cross_border=false")
    assert page.get_attribute("#gba-filters", "open") is not None  # the URL chose a filter
    group = page.get_by_role("radiogroup", name="Cross-border")
    assert group.get_by_role("radio", name="No").is_checked()
    assert page.locator("#gba-filter-summary").inner_text() == "(1)"
    group.get_by_role("radio", name="Any").check()
    assert state(page)["filters"] == {}
    assert "cross_border" not in page.get_attribute("#gba-download", "href")
