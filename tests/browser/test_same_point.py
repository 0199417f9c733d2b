"""Records that share one position (district-level places) can each be opened from the map.

Every point layer clusters on its own, so the bubbles of five layers at the Pingshan point
stack exactly: a click on a bubble that cannot split, or on a marker whose spot others
share, opens a chooser listing every shown record there.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from geo.schema import FEATURE_LAYERS, LAYER_GEOMETRY
from tests.browser.mapdriver import container_point, features, open_map, popup, settle
from tests.conftest import DATA_DIR

pytestmark = pytest.mark.browser

POINT_LAYERS = [layer for layer in FEATURE_LAYERS if LAYER_GEOMETRY[layer] == ("Point",)]


def records_by_position() -> dict[tuple[float, float], list[dict]]:
    groups: dict[tuple[float, float], list[dict]] = defaultdict(list)
    for layer in POINT_LAYERS:
        for feature in features(DATA_DIR, layer):
            groups[tuple(feature["geometry"]["coordinates"])].append(feature["properties"])
    return groups


def busiest_shared_point() -> tuple[tuple[float, float], list[dict]]:
    """The position shared by the most records of several layers (the Pingshan point)."""
    shared = {pos: recs for pos, recs in records_by_position().items() if len({r["layer"] for r in recs}) > 1}
    return max(shared.items(), key=lambda item: len(item[1]))


POSITION, RECORDS = busiest_shared_point()
CHOOSER = ".leaflet-popup .gba-chooser"


def test_the_data_still_stacks_records_of_several_layers_on_one_point():
    assert len(RECORDS) >= 10 and len({r["layer"] for r in RECORDS}) >= 4


def open_chooser(page, position=POSITION, attempts: int = 25) -> list[str]:
    """Click the point (from the current view) until the chooser opens; its listed ids."""
    lon, lat = position
    for _ in range(attempts):
        x, y = container_point(page, lat, lon)
        page.mouse.click(x, y)
        settle(page)
        if page.locator(CHOOSER).count():
            return page.eval_on_selector_all(f"{CHOOSER} button[data-id]", "(b) => b.map((x) => x.dataset.id)")
    raise AssertionError("clicking the point never opened the chooser")


def close_popup(page) -> None:
    page.locator(".leaflet-popup", has=popup(page)).locator(".leaflet-popup-close-button").click()
    settle(page)


def test_every_record_at_the_shared_point_opens_by_clicks_alone(page, live_server, traffic):
    open_map(page, f"{live_server.url}/?lang=en")
    expected = {r["id"] for r in RECORDS}
    for record in RECORDS:
        listed = open_chooser(page)
        assert set(listed) == expected
        assert len(listed) == len(expected)
        item = page.locator(f'{CHOOSER} button[data-id="{record["id"]}"]')
        assert record["name_en"] in item.inner_text()
        item.click()
        content = popup(page)
        content.wait_for()
        assert content.get_attribute("data-feature-id") == record["id"]
        assert content.locator("h3").inner_text() == record["name_en"]
        close_popup(page)
    assert traffic.errors == []


def test_the_chooser_names_records_in_the_language_and_marks_approximate_positions(page, live_server):
    open_map(page, f"{live_server.url}/?lang=zh-Hans")
    open_chooser(page)
    heading = page.locator(f"{CHOOSER} h3").inner_text()
    assert str(len(RECORDS)) in heading and "此位置" in heading
    for record in RECORDS:
        text = page.locator(f'{CHOOSER} button[data-id="{record["id"]}"]').inner_text()
        assert record["name_zh_hans"] in text


def test_the_chooser_lists_only_records_the_filters_and_layers_show(page, live_server):
    statuses = defaultdict(set)
    for record in RECORDS:
        statuses[record["status"]].add(record["id"])
    status, ids = max(statuses.items(), key=lambda item: len(item[1]))
    assert 2 <= len(ids) < len(RECORDS)
    open_map(page, f"{live_server.url}/?lang=en&status={status}")
    assert set(open_chooser(page)) == ids

    layers = sorted({r["layer"] for r in RECORDS})[:2]
    wanted = {r["id"] for r in RECORDS if r["layer"] in layers}
    open_map(page, f"{live_server.url}/?lang=en&layers={','.join(layers)}")
    assert set(open_chooser(page)) == wanted


def test_the_chooser_works_from_the_keyboard(page, live_server):
    open_map(page, f"{live_server.url}/?lang=en")
    listed = open_chooser(page)
    # The first choice has the focus (waited for: on a loaded machine the click's own focus
    # handling may still be running when the chooser is seen).
    page.wait_for_function("(id) => document.activeElement?.dataset?.id === id", arg=listed[0], timeout=5000)
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.dataset.id") == listed[1]
    page.keyboard.press("Enter")
    content = popup(page)
    content.wait_for()
    assert content.get_attribute("data-feature-id") == listed[1]


def test_a_tap_opens_the_chooser_on_a_phone(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    context.route("**/*", lambda route, request: route.continue_() if "127.0.0.1" in request.url else route.abort())
    phone = context.new_page()
    try:
        open_map(phone, f"{live_server.url}/?lang=en")
        lon, lat = POSITION
        for _ in range(25):
            x, y = container_point(phone, lat, lon)
            phone.touchscreen.tap(x, y)
            settle(phone)
            if phone.locator(CHOOSER).count():
                break
        target = RECORDS[-1]["id"]
        phone.locator(f'{CHOOSER} button[data-id="{target}"]').tap()
        popup(phone).wait_for()
        assert popup(phone).get_attribute("data-feature-id") == target
    finally:
        context.close()
