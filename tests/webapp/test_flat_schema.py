"""The one typed schema (geo.flat) and the flat form of every served record.

QGIS, Shapefile and CSV cannot hold ``sources``, ``figures`` or ``people`` (lists of
objects) and showed them as NULL; every served record now also carries them as scalar
columns, and every property has one type in every layer (``year`` was typed a string
where all values were null). ``jurisdiction`` filters exactly its property; the old
"any of the record's jurisdictions, either end of a link" is ``touches_jurisdiction``.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from geo import flat
from geo.schema import FIGURE_KINDS, LAYER_GEOMETRY, LAYERS, LINK_LAYER
from tests.conftest import DATA_DIR

# The app tests run with the files and the postgis provider (tests/conftest.py).
pytestmark = pytest.mark.both_providers


API = "/ogcapi"


def local(url: str) -> str:
    """A link's path and query, for the test client (links are absolute)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def stored(layer: str) -> list[dict]:
    return json.loads((DATA_DIR / "geojson" / f"{layer}.geojson").read_text(encoding="utf-8"))["features"]


def served(client, layer: str) -> list[dict]:
    body = client.get(f"{API}/collections/{layer}/items?limit=10000&f=json").get_json()
    return body["features"]


@pytest.mark.parametrize("layer", LAYERS)
def test_every_served_feature_matches_the_one_schema(client, layer):
    features = served(client, layer)
    assert features
    for feature in features:
        assert flat.check_feature(layer, feature["properties"]) == [], feature["id"]


@pytest.mark.parametrize("layer", LAYERS)
def test_every_property_has_one_type_in_every_layer(layer):
    """A property named in several layers has the same JSON type in each (year is an integer everywhere)."""
    types: dict[str, set] = {}
    for each in LAYERS:
        for field in flat.fields(each):
            types.setdefault(field.name, set()).add((field.type, field.nullable))
    for field in flat.fields(layer):
        assert len(types[field.name]) == 1, (field.name, types[field.name])
    names = {field.name: field for field in flat.fields(layer)}
    assert names["year"].type == names["target_year"].type == "integer"


@pytest.mark.parametrize("layer", LAYERS)
def test_the_flat_provenance_repeats_the_nested_sources_verbatim(client, layer):
    for feature in served(client, layer):
        p = feature["properties"]
        sources = p["sources"]
        assert p["source_count"] == len(sources) > 0
        assert p["source_quotes"].split(flat.SEPARATOR) == [s["quote"] for s in sources]
        assert p["source_titles"].split(flat.SEPARATOR) == [s["title"] for s in sources]
        assert p["source_publishers"].split(flat.SEPARATOR) == [s["publisher"] for s in sources]
        assert p["source_dates"].split(flat.SEPARATOR) == [s["date"] for s in sources]
        assert p["source_citations"].split(flat.SEPARATOR) == [s["citation"] for s in sources]


@pytest.mark.parametrize("layer", [layer for layer in LAYERS if layer != LINK_LAYER])
def test_figures_people_aliases_and_jurisdictions_become_columns(client, layer):
    for feature in served(client, layer):
        p = feature["properties"]
        given = {figure["key"]: figure["value"] for figure in p["figures"]}
        for key in FIGURE_KINDS:
            assert p[flat.figure_field(key)] == given.get(key), (feature["id"], key)
            assert p[flat.figure_field(key)] is None or isinstance(p[flat.figure_field(key)], float)
        if p["people"]:
            assert p["people_en"].split(flat.SEPARATOR) == [
                f"{person['name_en']} ({person['role_en']})" for person in p["people"]
            ]
            assert p["people_zh_hant"].split(flat.SEPARATOR)[0].startswith(p["people"][0]["name_zh_hant"])
        else:
            assert p["people_en"] is p["people_zh_hans"] is None
        assert p["aliases_text"] == (flat.SEPARATOR.join(p["aliases"]) if p["aliases"] else None)
        assert p["jurisdictions_text"].split(flat.SEPARATOR) == p["jurisdictions"]


def test_the_shipped_data_fills_the_figure_and_people_columns(client):
    """The seed has figures (Pingshan's 51.6 km²) and people: the columns are not all null."""
    zones = {f["id"]: f["properties"] for f in served(client, "zones")}
    assert zones["pingshan-high-tech-zone"]["figure_area_km2"] == 51.6
    universities = served(client, "universities")
    assert any(f["properties"]["people_zh_hant"] for f in universities)


def test_the_map_reads_the_compact_form_without_the_flat_columns(client):
    """``texts=`` (what the map loads) leaves the flat columns out: the nested lists hold the same."""
    body = client.get("/download/hospitals.geojson?texts=en").get_json()
    for feature in body["features"]:
        assert not flat.ALL_FLAT_NAMES & feature["properties"].keys()
        assert feature["properties"]["sources"]
    full = client.get("/download/hospitals.geojson").get_json()
    assert all("source_quotes" in f["properties"] for f in full["features"])


def test_every_zone_is_a_multipolygon(client):
    """One geometry type per layer: GDAL and GeoPackage typed the mixed zones layer "Unknown"."""
    assert LAYER_GEOMETRY["zones"] == ("MultiPolygon",)
    assert {f["geometry"]["type"] for f in stored("zones")} == {"MultiPolygon"}
    assert {f["geometry"]["type"] for f in served(client, "zones")} == {"MultiPolygon"}


# ---- Part 5: the schema resource ----------------------------------------------------------------


@pytest.mark.parametrize("layer", LAYERS)
def test_each_collection_links_its_schema_and_the_schema_lists_every_property(client, layer):
    collection = client.get(f"{API}/collections/{layer}?f=json").get_json()
    rels = {link["rel"].lower(): link for link in collection["links"]}  # relations are case-insensitive
    schema_link = rels["http://www.opengis.net/def/rel/ogc/1.0/schema"]
    assert schema_link["type"] == "application/schema+json"
    response = client.get(local(schema_link["href"]))
    assert response.status_code == 200
    assert response.mimetype == "application/schema+json"
    document = response.get_json()
    properties = document["properties"]
    assert properties["id"]["x-ogc-role"] == "id"
    assert properties["geometry"]["x-ogc-role"] == "primary-geometry"
    assert properties["geometry"]["format"] == flat.geometry_format(layer)
    # every property of every served feature is described, with its type
    feature = served(client, layer)[0]
    assert set(properties) - {"geometry"} == set(feature["properties"])
    assert properties["year"]["type"] == ["integer", "null"]
    assert properties["source_quotes"]["type"] == "string"
    described = rels["describedby"]
    gdal_form = client.get(local(described["href"])).get_json()
    assert gdal_form["properties"]["properties"]["properties"]["year"] == {
        "type": "integer",
        "description": properties["year"]["description"],
        "nullable": True,
    }


def test_the_schema_answers_html_and_refuses_unknown_profiles(client):
    page = client.get(f"{API}/collections/zones/schema?f=html")
    assert page.status_code == 200 and "source_quotes" in page.get_data(as_text=True)
    bad = client.get(f"{API}/collections/zones/schema?profile=xml")
    assert bad.status_code == 400 and "profile" in bad.get_json()["description"]
    assert client.get(f"{API}/collections/nowhere/schema").status_code == 404


def test_conformance_declares_part_5(client):
    classes = client.get(f"{API}/conformance?f=json").get_json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas" in classes


# ---- jurisdiction: exactly the property; touches_jurisdiction: any of them ---------------------------


def _ids(client, layer: str, query: str) -> list[str]:
    return [f["id"] for f in client.get(f"{API}/collections/{layer}/items?limit=10000&{query}").get_json()["features"]]


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("place", ["Hong Kong", "Shenzhen", "Macau", "Zhuhai"])
def test_jurisdiction_filters_exactly_the_property(client, layer, place):
    expected = sorted(f["id"] for f in stored(layer) if f["properties"].get("jurisdiction") == place)
    assert _ids(client, layer, f"jurisdiction={place}") == expected


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("place", ["Hong Kong", "Shenzhen", "Macau", "Beijing"])
def test_touches_jurisdiction_matches_any_of_the_records_places(client, layer, place):
    def touches(p: dict) -> bool:
        places = {*p.get("jurisdictions", []), p.get("from_jurisdiction"), p.get("to_jurisdiction")}
        return place in places

    expected = sorted(f["id"] for f in stored(layer) if touches(f["properties"]))
    assert _ids(client, layer, f"touches_jurisdiction={place}") == expected


def test_a_zone_reaching_into_hong_kong_is_not_a_hong_kong_zone(client):
    """The issue's case: a zone whose jurisdiction is Shenzhen but which touches Hong Kong."""
    touching = [f for f in stored("zones") if "Hong Kong" in f["properties"]["jurisdictions"]]
    assert any(f["properties"]["jurisdiction"] != "Hong Kong" for f in touching)
    exact = set(_ids(client, "zones", "jurisdiction=Hong Kong"))
    assert all(f["id"] not in exact for f in touching if f["properties"]["jurisdiction"] != "Hong Kong")
    assert {f["id"] for f in touching} <= set(_ids(client, "zones", "touches_jurisdiction=Hong Kong"))


def test_links_declare_touches_jurisdiction_but_not_jurisdiction(client):
    links = client.get(f"{API}/collections/links/queryables?f=json").get_json()["properties"]
    assert "touches_jurisdiction" in links and "jurisdiction" not in links
    zones = client.get(f"{API}/collections/zones/queryables?f=json").get_json()["properties"]
    assert {"jurisdiction", "touches_jurisdiction"} <= set(zones)
