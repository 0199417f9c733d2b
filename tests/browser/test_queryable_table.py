"""A queryable added to the one table (webapp/queryables.py) reaches the map's filter panel.

Nothing else is changed: the panel, the URL, the list and the download button all
follow the table the page config carries (tests/webapp/test_one_query_model.py
checks the downloads, the OGC API and the docs for the same fixture).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from tests.browser.conftest import LiveServer
from tests.browser.mapdriver import download_ids, fetch_json, list_ids, open_map, wait_for_url
from tests.conftest import DATA_DIR
from tests.webapp.test_one_query_model import PRECISION
from webapp import create_app
from webapp.queryables import TABLES

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def extended_server() -> Iterator[LiveServer]:
    tables = dataclasses.replace(TABLES, queryables=(*TABLES.queryables, PRECISION))
    server = LiveServer(create_app({"TESTING": True, "DATA_DIR": str(DATA_DIR), "QUERYABLE_TABLES": tables}))
    yield server
    server.stop()


def test_a_queryable_added_to_the_table_is_a_filter_on_the_map(page, traffic, extended_server):
    open_map(page, f"{extended_server.url}/?lang=en")
    page.locator("#gba-filters > summary").click()
    fieldset = page.locator('[data-filter="coord_precision"]')
    assert fieldset.locator("legend").inner_text() == "Position precision"
    fieldset.locator('input[value="city"]').check()
    url = wait_for_url(page, "coord_precision=city")
    assert "coord_precision=city" in url
    wanted = sorted(
        f["properties"]["id"] for f in fetch_json(page, "/download/all.geojson?coord_precision=city")["features"]
    )
    assert wanted
    assert sorted(download_ids(page)) == wanted
    assert sorted(list_ids(page)) == wanted
    assert traffic.errors == []


def test_the_added_queryable_is_read_back_from_a_url(page, traffic, extended_server):
    open_map(page, f"{extended_server.url}/?lang=zh-Hant&coord_precision=district")
    page.locator("#gba-filters > summary").click()
    box = page.locator('[data-filter="coord_precision"] input[value="district"]')
    assert box.is_checked()
    wanted = sorted(
        f["properties"]["id"] for f in fetch_json(page, "/download/all.geojson?coord_precision=district")["features"]
    )
    assert sorted(list_ids(page)) == wanted
    assert traffic.errors == []
