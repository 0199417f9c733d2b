"""OWSLib's OGC API – Features client reads the collections, pages and single features."""

from __future__ import annotations

import json

import pytest
from owslib.ogcapi.features import Features

from bench.synthetic import jurisdiction_bbox
from geo.schema import LAYER_LABELS, LAYERS
from webapp.ogcapi.core import CONFORMANCE_CLASSES, queryables_of
from webapp.providers.base import Filters

pytestmark = pytest.mark.gis


@pytest.fixture(scope="module")
def api(api_url) -> Features:
    return Features(api_url)


def test_conformance_and_the_api_definition(api):
    assert api.conformance()["conformsTo"] == list(CONFORMANCE_CLASSES)
    assert api.api()["openapi"].startswith("3.0.")


def test_every_collection_is_a_feature_collection_with_its_title(api):
    assert api.feature_collections() == list(LAYERS)
    for layer in LAYERS:
        assert api.collection(layer)["title"] == LAYER_LABELS[layer]["en"]


@pytest.mark.parametrize("layer", LAYERS)
def test_collection_items_page_and_count(api, served_app, layer):
    count = served_app.extensions["gba_provider"].layer_info(layer)["count"]
    page = api.collection_items(layer, limit=5)
    assert page["numberMatched"] == count
    assert len(page["features"]) == min(5, count)
    everything = api.collection_items(layer, limit=10_000)
    assert len(everything["features"]) == count


def test_collection_items_with_a_bbox_and_a_filter(api, served_app):
    box = jurisdiction_bbox("Shenzhen")
    page = api.collection_items("enterprises", bbox=list(box), limit=1000, status="operating")
    expected = served_app.extensions["gba_provider"].query(
        "enterprises", bbox=box, filters=Filters.of(status=("operating",)), limit=1000
    )
    assert page["numberMatched"] == expected.number_matched > 0
    assert [f["id"] for f in page["features"]] == expected.ids


def test_one_item_and_the_queryables(api, served_app):
    feature_id = served_app.extensions["gba_provider"].query("links", limit=1).ids[0]
    feature = api.collection_item("links", feature_id)
    assert feature["id"] == feature_id and feature["properties"]["id"] == feature_id
    queryables = api.collection_queryables("links")["properties"]
    # The equality queryables first, then the other properties a CQL2 filter may name, then the geometry.
    table = list(queryables_of("links"))
    assert list(queryables)[: len(table)] == table and "status" in table
    assert {"from_id", "to_id", "length_km", "geometry"} <= set(queryables)
    assert queryables["length_km"]["type"] == "number"


def test_a_cql2_filter_and_sortby_pass_through(api, served_app):
    page = api.collection_items(
        "links", filter="length_km > 50 AND status = 'operating'", sortby=("length_km", "desc"), limit=1000
    )
    links = [json.loads(blob)["properties"] for blob in served_app.extensions["gba_provider"].query("links").items]
    expected = sorted(
        (p for p in links if p["length_km"] > 50 and p["status"] == "operating"), key=lambda p: -p["length_km"]
    )
    assert [f["properties"]["id"] for f in page["features"]] == [p["id"] for p in expected] and expected


def test_a_bad_request_raises_with_the_servers_message(api):
    with pytest.raises(RuntimeError, match="limit"):
        api.collection_items("enterprises", limit=-1)
