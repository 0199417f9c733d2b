"""OGC API – Features Part 3: ``filter`` in CQL2 text and JSON, ``sortby``, ``properties``, ``skipGeometry``.

Every answer is checked against a brute-force evaluation written another way: each case carries
its CQL2 text, its CQL2 JSON and a plain Python predicate over the served GeoJSON features
(shapely for the spatial ones), run on every layer of the shipped data and on a layer of 2,000
synthetic points. A case naming a property a layer does not declare must be a 400 there.
"""

from __future__ import annotations

import fnmatch
import json
import math
from urllib.parse import urlencode

import pytest
import shapely
from pygeofilter.parsers.cql2_text import parse as pygeofilter_text
from shapely.geometry import shape

from geo.schema import CRS_URI, LAYERS
from tests.gis.api_data import write_api_data_dir
from webapp import filtering
from webapp.ogcapi import core
from webapp.queryables import TABLES

# The app tests run with the files and the postgis provider (tests/conftest.py).
pytestmark = pytest.mark.both_providers


API = "/ogcapi"
SYNTHETIC = 2_000

# A box over Shenzhen and Hong Kong's border, a triangle over the Pearl River estuary's east bank.
BOX = (113.9, 22.45, 114.35, 22.65)
TRIANGLE = [(113.8, 22.4), (114.5, 22.5), (114.0, 22.9), (113.8, 22.4)]
TRIANGLE_WKT = "POLYGON((" + ",".join(f"{x} {y}" for x, y in TRIANGLE) + "))"
TRIANGLE_JSON = {"type": "Polygon", "coordinates": [[list(p) for p in TRIANGLE]]}
IN_HETAO = (114.056, 22.5161)  # inside the Hetao zone
# A box whose south-west corner is the Futian eye hospital: the hospital touches it.
CORNER_BOX = (114.0457, 22.54704, 114.1, 22.6)
JURISDICTION = TABLES.param("jurisdiction")
TOUCHES = TABLES.param("touches_jurisdiction")


def prop(name: str) -> dict:
    return {"property": name}


def op(name: str, *args) -> dict:
    return {"op": name, "args": list(args)}


def value(p: dict, name: str):
    return p.get(name)


def number(p: dict, name: str):
    v = p.get(name)
    return v if isinstance(v, int | float) and not isinstance(v, bool) else None


def like(text: str | None, pattern: str) -> bool:
    """LIKE by hand: % any run, _ one character (no escapes in these cases)."""
    if text is None:
        return False
    return fnmatch.fnmatchcase(
        text, pattern.replace("*", "[*]").replace("?", "[?]").replace("%", "*").replace("_", "?")
    )


def jurisdiction_values(p: dict, param=JURISDICTION) -> list:
    found = []
    for name in param.properties:
        v = p.get(name)
        found += v if isinstance(v, list) else [v] if v is not None else []
    return found


def between(v, low, high) -> bool:
    return v is not None and low <= v <= high


# (id, CQL2 text, CQL2 JSON, brute force over (properties, shapely geometry))
CASES = [
    ("eq", "status = 'operating'", op("=", prop("status"), "operating"), lambda p, g: p.get("status") == "operating"),
    (
        "ne",
        "status <> 'operating'",
        op("<>", prop("status"), "operating"),
        lambda p, g: p.get("status") not in (None, "operating"),
    ),
    (
        "lt-int",
        "year < 2020",
        op("<", prop("year"), 2020),
        lambda p, g: number(p, "year") is not None and p["year"] < 2020,
    ),
    (
        "range",
        "year >= 2015 AND year <= 2022",
        op("and", op(">=", prop("year"), 2015), op("<=", prop("year"), 2022)),
        lambda p, g: between(number(p, "year"), 2015, 2022),
    ),
    (
        "literal-first",
        "2019 > year",
        op(">", 2019, prop("year")),
        lambda p, g: number(p, "year") is not None and p["year"] < 2019,
    ),
    (
        "between",
        "year BETWEEN 2010 AND 2020",
        op("between", prop("year"), 2010, 2020),
        lambda p, g: between(number(p, "year"), 2010, 2020),
    ),
    (
        "not-between",
        "year NOT BETWEEN 2010 AND 2020",
        op("not", op("between", prop("year"), 2010, 2020)),
        lambda p, g: not between(number(p, "year"), 2010, 2020),
    ),
    (
        "in",
        "status IN ('planned', 'proposed')",
        op("in", prop("status"), ["planned", "proposed"]),
        lambda p, g: p.get("status") in ("planned", "proposed"),
    ),
    (
        "not-in",
        "status NOT IN ('planned', 'proposed')",
        op("not", op("in", prop("status"), ["planned", "proposed"])),
        lambda p, g: p.get("status") not in ("planned", "proposed"),
    ),
    (
        "like",
        "name_en LIKE '%Shenzhen%'",
        op("like", prop("name_en"), "%Shenzhen%"),
        lambda p, g: like(p.get("name_en"), "%Shenzhen%"),
    ),
    (
        "like-lower-case",
        "id LIKE '%shenzhen%'",
        op("like", prop("id"), "%shenzhen%"),
        lambda p, g: like(p.get("id"), "%shenzhen%"),
    ),
    (
        "like-one-char",
        "id LIKE '_u%'",
        op("like", prop("id"), "_u%"),
        lambda p, g: like(p.get("id"), "_u%"),
    ),
    (
        "like-casei",
        "CASEI(name_en) LIKE CASEI('%UNIVERSITY%')",
        op("like", op("casei", prop("name_en")), op("casei", "%UNIVERSITY%")),
        lambda p, g: like((p.get("name_en") or "").lower() or None, "%university%"),
    ),
    (
        "like-chinese",
        "name_zh_hant LIKE '%深圳%'",
        op("like", prop("name_zh_hant"), "%深圳%"),
        lambda p, g: like(p.get("name_zh_hant"), "%深圳%"),
    ),
    (
        "not-like",
        "name_en NOT LIKE 'S%'",
        op("not", op("like", prop("name_en"), "S%")),
        lambda p, g: not like(p.get("name_en"), "S%"),
    ),
    ("is-null", "year IS NULL", op("isNull", prop("year")), lambda p, g: p.get("year") is None),
    (
        "is-not-null",
        "target_year IS NOT NULL",
        op("not", op("isNull", prop("target_year"))),
        lambda p, g: p.get("target_year") is not None,
    ),
    (
        "or-not",
        "NOT (status = 'operating') OR year > 2018",
        op("or", op("not", op("=", prop("status"), "operating")), op(">", prop("year"), 2018)),
        lambda p, g: p.get("status") != "operating" or (number(p, "year") is not None and p["year"] > 2018),
    ),
    ("boolean", "approximate = true", op("=", prop("approximate"), True), lambda p, g: p.get("approximate") is True),
    (
        "table-queryable",
        "jurisdiction IN ('Hong Kong', 'Macau')",
        op("in", prop("jurisdiction"), ["Hong Kong", "Macau"]),
        lambda p, g: any(v in ("Hong Kong", "Macau") for v in jurisdiction_values(p)),
    ),
    (
        "list-valued-queryable",
        "touches_jurisdiction = 'Hong Kong' AND NOT touches_jurisdiction = 'Shenzhen'",
        op(
            "and",
            op("=", prop("touches_jurisdiction"), "Hong Kong"),
            op("not", op("=", prop("touches_jurisdiction"), "Shenzhen")),
        ),
        lambda p, g: (
            "Hong Kong" in jurisdiction_values(p, TOUCHES) and "Shenzhen" not in jurisdiction_values(p, TOUCHES)
        ),
    ),
    (
        "flat-provenance",
        "source_publishers LIKE '%Ta Kung Pao%' AND source_count >= 2",
        op("and", op("like", prop("source_publishers"), "%Ta Kung Pao%"), op(">=", prop("source_count"), 2)),
        lambda p, g: like(p.get("source_publishers"), "%Ta Kung Pao%") and (number(p, "source_count") or 0) >= 2,
    ),
    (
        "s-intersects-bbox",
        f"S_INTERSECTS(geometry, BBOX({','.join(map(str, BOX))}))",
        op("s_intersects", prop("geometry"), {"bbox": list(BOX)}),
        lambda p, g: g.intersects(shapely.box(*BOX)),
    ),
    (
        "s-intersects-polygon",
        f"S_INTERSECTS(geometry, {TRIANGLE_WKT})",
        op("s_intersects", prop("geometry"), TRIANGLE_JSON),
        lambda p, g: g.intersects(shapely.Polygon(TRIANGLE)),
    ),
    (
        "s-intersects-point",
        f"S_INTERSECTS(geometry, POINT({IN_HETAO[0]} {IN_HETAO[1]}))",
        op("s_intersects", prop("geometry"), {"type": "Point", "coordinates": list(IN_HETAO)}),
        lambda p, g: g.intersects(shapely.Point(IN_HETAO)),
    ),
    (
        "s-within",
        f"S_WITHIN(geometry, {TRIANGLE_WKT})",
        op("s_within", prop("geometry"), TRIANGLE_JSON),
        lambda p, g: g.within(shapely.Polygon(TRIANGLE)),
    ),
    (
        "s-within-literal-first",
        f"S_WITHIN(POINT({IN_HETAO[0]} {IN_HETAO[1]}), geometry)",
        op("s_within", {"type": "Point", "coordinates": list(IN_HETAO)}, prop("geometry")),
        lambda p, g: shapely.Point(IN_HETAO).within(g),
    ),
    (
        "s-contains",
        f"S_CONTAINS(geometry, POINT({IN_HETAO[0]} {IN_HETAO[1]}))",
        op("s_contains", prop("geometry"), {"type": "Point", "coordinates": list(IN_HETAO)}),
        lambda p, g: g.contains(shapely.Point(IN_HETAO)),
    ),
    (
        "s-crosses",
        f"S_CROSSES(geometry, {TRIANGLE_WKT})",
        op("s_crosses", prop("geometry"), TRIANGLE_JSON),
        lambda p, g: g.crosses(shapely.Polygon(TRIANGLE)),
    ),
    (
        "s-overlaps",
        f"S_OVERLAPS(geometry, {TRIANGLE_WKT})",
        op("s_overlaps", prop("geometry"), TRIANGLE_JSON),
        lambda p, g: g.overlaps(shapely.Polygon(TRIANGLE)),
    ),
    (
        "s-touches",
        f"S_TOUCHES(geometry, BBOX({','.join(map(str, CORNER_BOX))}))",
        op("s_touches", prop("geometry"), {"bbox": list(CORNER_BOX)}),
        lambda p, g: g.touches(shapely.box(*CORNER_BOX)),
    ),
    (
        "s-disjoint-and",
        f"S_DISJOINT(geometry, BBOX({','.join(map(str, BOX))})) AND status = 'operating'",
        op("and", op("s_disjoint", prop("geometry"), {"bbox": list(BOX)}), op("=", prop("status"), "operating")),
        lambda p, g: g.disjoint(shapely.box(*BOX)) and p.get("status") == "operating",
    ),
    (
        "links-numbers",
        "cross_border = false AND length_km > 20",
        op("and", op("=", prop("cross_border"), False), op(">", prop("length_km"), 20)),
        lambda p, g: p.get("cross_border") is False and number(p, "length_km") is not None and p["length_km"] > 20,
    ),
    (
        "links-types",
        "link_type IN ('medical', 'research') OR from_id LIKE 'cuhk%'",
        op("or", op("in", prop("link_type"), ["medical", "research"]), op("like", prop("from_id"), "cuhk%")),
        lambda p, g: p.get("link_type") in ("medical", "research") or like(p.get("from_id"), "cuhk%"),
    ),
    (
        "category",
        "category = 'university' OR category = 'semiconductor' OR category = 'hospital'",
        op(
            "or",
            op("=", prop("category"), "university"),
            op("or", op("=", prop("category"), "semiconductor"), op("=", prop("category"), "hospital")),
        ),
        lambda p, g: p.get("category") in ("university", "semiconductor", "hospital"),
    ),
]
NAMES = {
    "eq": {"status"},
    "ne": {"status"},
    "in": {"status"},
    "not-in": {"status"},
    "lt-int": {"year"},
    "range": {"year"},
    "literal-first": {"year"},
    "between": {"year"},
    "not-between": {"year"},
    "is-null": {"year"},
    "is-not-null": {"target_year"},
    "or-not": {"status", "year"},
    "like": {"name_en"},
    "like-lower-case": {"id"},
    "like-casei": {"name_en"},
    "not-like": {"name_en"},
    "like-one-char": {"id"},
    "like-chinese": {"name_zh_hant"},
    "boolean": {"approximate"},
    "table-queryable": {"jurisdiction"},
    "list-valued-queryable": {"touches_jurisdiction"},
    "flat-provenance": {"source_publishers", "source_count"},
    "s-disjoint-and": {"status"},
    "links-numbers": {"cross_border", "length_km"},
    "links-types": {"link_type", "from_id"},
    "category": {"category"},
}


@pytest.fixture(scope="module")
def synthetic_app(make_app, tmp_path_factory):
    root = write_api_data_dir(tmp_path_factory.mktemp("cql2-data"), SYNTHETIC, seed=11)
    return make_app({"DATA_DIR": str(root)})


@pytest.fixture(scope="module", params=["shipped", "synthetic"])
def any_app(request, app, synthetic_app):
    return app if request.param == "shipped" else synthetic_app


def served(app, layer: str) -> list[dict]:
    return [json.loads(blob) for blob in app.extensions["gba_provider"].query(layer).items]


def items(client, layer: str, **params) -> dict:
    response = client.get(f"{API}/collections/{layer}/items?{urlencode({'limit': 10_000, **params})}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json(force=True)


def ids(body: dict) -> list[str]:
    return [f["properties"]["id"] for f in body["features"]]


def error(client, layer: str, **params) -> str:
    response = client.get(f"{API}/collections/{layer}/items?{urlencode(params)}")
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == "InvalidParameterValue"
    return body["description"]


# ---- every case, both encodings, every layer, brute force ------------------------------------


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_each_filter_matches_a_brute_force_evaluation(any_app, layer, case):
    name, text, document, expected_of = case
    client = any_app.test_client()
    declared = core.filter_queryables(layer)
    unknown = NAMES.get(name, set()) - set(declared)
    if unknown:
        for encoded in ({"filter": text}, {"filter": json.dumps(document), "filter-lang": "cql2-json"}):
            description = error(client, layer, **encoded)
            assert "unknown property" in description and any(f"{n!r}" in description for n in unknown)
            assert "name_en" in description or "from_id" in description  # the queryables are named
        return
    features = served(any_app, layer)
    expected = [f["properties"]["id"] for f in features if expected_of(f["properties"], shape(f["geometry"]))]
    text_body = items(client, layer, filter=text)
    json_body = items(client, layer, filter=json.dumps(document), **{"filter-lang": "cql2-json"})
    for body in (text_body, json_body):
        assert ids(body) == expected
        assert body["numberMatched"] == len(expected)


def test_the_cases_select_something_and_not_everything(synthetic_app):
    """The suite would prove little if its filters matched all or nothing everywhere."""
    for name, _text, _document, expected_of in CASES:
        counts = []
        for layer in LAYERS:
            if NAMES.get(name, set()) <= set(core.filter_queryables(layer)):
                features = served(synthetic_app, layer)
                counts.append(
                    (sum(expected_of(f["properties"], shape(f["geometry"])) for f in features), len(features))
                )
        assert any(0 < hit < total for hit, total in counts), (name, counts)


@pytest.mark.parametrize("layer", ["hospitals", "zones", "links"])
def test_s_equals_finds_the_feature_whose_geometry_it_is(client, app, layer):
    features = served(app, layer)
    for feature in features[:5]:
        geometry = shape(feature["geometry"])
        expected = [f["properties"]["id"] for f in features if shape(f["geometry"]).equals(geometry)]
        for encoded in (
            {"filter": f"S_EQUALS(geometry, {geometry.wkt})"},
            {"filter": json.dumps(op("s_equals", prop("geometry"), feature["geometry"])), "filter-lang": "cql2-json"},
        ):
            assert ids(items(client, layer, **encoded)) == expected and feature["properties"]["id"] in expected


def test_like_is_case_sensitive_unless_casei_says_otherwise(synthetic_app):
    client = synthetic_app.test_client()
    assert items(client, "enterprises", filter="name_en LIKE '%shenzhen%'")["numberMatched"] == 0
    upper = items(client, "enterprises", filter="name_en LIKE '%Shenzhen%'")["numberMatched"]
    either = items(client, "enterprises", filter="CASEI(name_en) LIKE CASEI('%sHENZHEN%')")["numberMatched"]
    assert upper == either > 0


def test_accenti_ignores_accents(client):
    assert ids(items(client, "zones", filter="ACCENTI(name_en) LIKE ACCENTI('%Qiánhǎi%')")) == [
        "qianhai-cooperation-zone"
    ]
    assert ids(items(client, "zones", filter="name_en LIKE '%Qiánhǎi%'")) == []


def test_filter_combines_with_bbox_and_the_equality_queryables(synthetic_app):
    client = synthetic_app.test_client()
    features = served(synthetic_app, "enterprises")
    box = shapely.box(113.9, 22.5, 114.4, 22.8)
    expected = [
        f["properties"]["id"]
        for f in features
        if shape(f["geometry"]).intersects(box)
        and f["properties"]["status"] == "operating"
        and like(f["properties"]["name_en"], "%o%")
    ]
    body = items(client, "enterprises", bbox="113.9,22.5,114.4,22.8", status="operating", filter="name_en LIKE '%o%'")
    assert ids(body) == expected and len(expected) > 10


def test_a_filter_pages_with_next_links_that_keep_it(synthetic_app):
    client = synthetic_app.test_client()
    text = "year > 2010 OR year IS NULL"
    everything = ids(items(client, "enterprises", filter=text))
    url, collected = f"{API}/collections/enterprises/items?{urlencode({'filter': text, 'limit': 300})}", []
    while url:
        body = client.get(url).get_json(force=True)
        collected += ids(body)
        following = [link["href"] for link in body["links"] if link["rel"] == "next"]
        url = following[0].split("127.0.0.1:5000", 1)[-1] if following else None
        if url:
            assert "filter=" in url
    assert collected == everything and len(everything) > 300


# ---- errors ----------------------------------------------------------------------------------


def test_bad_cql2_text_is_a_400_with_the_parsers_message(client):
    bad = "year = 1 AND"
    with pytest.raises(Exception) as raised:
        pygeofilter_text(bad)
    description = error(client, "hospitals", filter=bad)
    assert "not valid cql2-text" in description
    assert str(raised.value).splitlines()[0] in description


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"filter": "{", "filter-lang": "cql2-json"}, ["not JSON"]),
        ({"filter": '{"op": "nonsense", "args": []}', "filter-lang": "cql2-json"}, ["not valid cql2-json"]),
        ({"filter": '"status"', "filter-lang": "cql2-json"}, ["a value, not a condition"]),
        ({"filter": "status = 'x'", "filter-lang": "cql2-json"}, ["not JSON"]),
        ({"filter": "colour = 'red'"}, ["unknown property 'colour'", "status", "name_en", "geometry"]),
        ({"filter": "year = 'recent'"}, ["year is a integer"]),
        ({"filter": "name_en > 3"}, ["name_en is a string"]),
        ({"filter": "approximate < true"}, ["boolean"]),
        ({"filter": "name_en LIKE 3"}, ["LIKE"]),
        ({"filter": "year + 1 = 2020"}, ["arithmetic"]),
        ({"filter": "name_en = name_zh_hant"}, ["two properties"]),
        ({"filter": "year = DATE('2020-01-01')"}, ["cannot be compared"]),
        ({"filter": "UPPER(name_en) = 'X'"}, ["unknown function"]),
        ({"filter": "S_INTERSECTS(geometry, geometry)"}, ["itself"]),
        ({"filter": "S_INTERSECTS(name_en, POINT(1 2))"}, ["not a geometry"]),
        ({"filter": "S_INTERSECTS(geometry, BBOX(1, 2, 3))"}, ["BBOX"]),
        ({"filter": "geometry = 'x'"}, ["spatial functions"]),
        ({"filter": "year T_AFTER TIMESTAMP('2020-01-01T00:00:00Z')"}, ["TimeAfter is not supported"]),
        ({"filter": "RELATE(geometry, POINT(1 2), 'T*****FF*')"}, ["Relate is not supported"]),
        ({"filter": "x" * (filtering.MAX_FILTER_CHARS + 1)}, ["longer than"]),
        ({"filter": "(" * 5_000 + "year = 1" + ")" * 5_000}, ["filter"]),
        ({"filter": "year = 1", "filter-lang": "cql2-xml"}, ["filter-lang", "cql2-text, cql2-json"]),
        ({"filter": "year = 1", "filter-crs": "http://www.opengis.net/def/crs/EPSG/0/4326"}, ["filter-crs", "CRS84"]),
        ({"filter": "year = 1", "filter-lang": "cql2-text", "sortby": "colour"}, ["sortby", "colour", "name_en"]),
        ({"sortby": "geometry"}, ["sortby"]),
        ({"sortby": "year,,name_en"}, ["empty item"]),
        ({"properties": "name_en,colour"}, ["properties", "'colour'", "name_en"]),
        ({"properties": "name_en,"}, ["empty item"]),
        ({"skipGeometry": "maybe"}, ["skipGeometry"]),
    ],
)
def test_bad_filters_and_parameters_are_400s_that_say_why(client, params, words):
    description = error(client, "hospitals", **params)
    for word in words:
        assert word in description, (word, description)


def test_filter_crs_crs84_is_accepted_and_a_filter_alone_needs_no_lang(client):
    expected = ids(items(client, "zones", filter="S_INTERSECTS(geometry, BBOX(113.9,22.45,114.35,22.65))"))
    body = items(
        client,
        "zones",
        filter="S_INTERSECTS(geometry, BBOX(113.9,22.45,114.35,22.65))",
        **{"filter-crs": CRS_URI, "filter-lang": "cql2-text"},
    )
    assert ids(body) == expected and expected


def test_true_and_false_alone_are_filters(client):
    everything = ids(items(client, "hospitals"))
    assert ids(items(client, "hospitals", filter="TRUE")) == everything
    assert ids(items(client, "hospitals", filter="FALSE")) == []
    assert ids(items(client, "hospitals", filter="true", **{"filter-lang": "cql2-json"})) == everything


def test_a_bbox_literal_across_the_antimeridian_is_two_boxes():
    box = filtering._box([177, 65, -177, 70])
    assert box.geom_type == "MultiPolygon" and math.isclose(box.area, 6 * 5)


# ---- the queryables document -----------------------------------------------------------------


@pytest.mark.parametrize("layer", LAYERS)
def test_the_queryables_declare_types_the_data_has(client, app, layer):
    document = client.get(f"{API}/collections/{layer}/queryables").get_json(force=True)
    properties = document["properties"]
    assert properties["geometry"]["x-ogc-role"] == "primary-geometry"
    for name in ("id", "status", "year"):
        assert name in properties
    checks = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
    }
    for feature in served(app, layer):
        for name, schema in properties.items():
            if name in filtering.record_properties(layer) and feature["properties"].get(name) is not None:
                assert checks[schema["type"]](feature["properties"][name]), (name, feature["properties"][name])


def test_conformance_lists_part_3_and_cql2(client):
    classes = client.get(f"{API}/conformance").get_json()["conformsTo"]
    assert classes == list(core.CONFORMANCE_CLASSES)
    for name in ("queryables", "filter", "features-filter"):
        assert f"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/{name}" in classes
    for name in ("cql2-text", "cql2-json", "basic-cql2", "advanced-comparison-operators", "basic-spatial-functions"):
        assert f"http://www.opengis.net/spec/cql2/1.0/conf/{name}" in classes
    # Not implemented, so not claimed: comparing two properties, arithmetic, temporal and array functions.
    for name in ("property-property", "arithmetic", "temporal-functions", "array-functions", "functions"):
        assert f"http://www.opengis.net/spec/cql2/1.0/conf/{name}" not in classes


# ---- sortby, properties, skipGeometry --------------------------------------------------------


def brute_sorted(features: list[dict], keys: list[tuple[str, bool]]) -> list[str]:
    """Sort by hand: id order, then a stable pass per key from the last, nulls last either way."""
    order = sorted(features, key=lambda f: f["properties"]["id"])
    for name, descending in reversed(keys):
        present = [f for f in order if f["properties"].get(name) is not None]
        absent = [f for f in order if f["properties"].get(name) is None]
        order = sorted(present, key=lambda f: f["properties"][name], reverse=descending) + absent
    return [f["properties"]["id"] for f in order]


SORTS = [
    ("year", [("year", False)]),
    ("-year", [("year", True)]),
    ("-year,name_en", [("year", True), ("name_en", False)]),
    ("+status,-id", [("status", False), ("id", True)]),
    ("-name_zh_hant", [("name_zh_hant", True)]),
    ("target_year,-year", [("target_year", False), ("year", True)]),
    ("-approximate,coord_precision", [("approximate", True), ("coord_precision", False)]),
    ("-figure_area_km2", [("figure_area_km2", True)]),
    ("source_count,-source_dates", [("source_count", False), ("source_dates", True)]),
]


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize(("sortby", "keys"), SORTS, ids=[s[0] for s in SORTS])
def test_sortby_orders_as_a_brute_force_sort(any_app, layer, sortby, keys):
    client = any_app.test_client()
    names = {name for name, _ in keys}
    if not names <= set(core.filter_queryables(layer)):
        assert "sortby" in error(client, layer, sortby=sortby)
        return
    expected = brute_sorted(served(any_app, layer), keys)
    assert ids(items(client, layer, sortby=sortby)) == expected


def test_sortby_with_a_filter_pages_in_order(synthetic_app):
    client = synthetic_app.test_client()
    features = [f for f in served(synthetic_app, "enterprises") if f["properties"]["status"] != "operating"]
    expected = brute_sorted(features, [("year", True), ("name_en", False)])
    pages = []
    for offset in range(0, len(expected) + 100, 100):
        body = items(
            client, "enterprises", filter="status <> 'operating'", sortby="-year,name_en", limit=100, offset=offset
        )
        assert body["numberMatched"] == len(expected)
        assert all(
            "sortby=-year%2Cname_en" in link["href"] for link in body["links"] if link["rel"] in ("next", "self")
        )
        pages += ids(body)
    assert pages == expected and len(expected) > 200


def test_a_plus_written_unescaped_in_a_url_still_sorts_ascending(client):
    ascending = ids(items(client, "links", sortby="length_km"))
    response = client.get(f"{API}/collections/links/items?sortby=+length_km&limit=10000")
    assert ids(response.get_json(force=True)) == ascending


def test_properties_keeps_only_those_and_the_id_member(any_app):
    client = any_app.test_client()
    body = items(client, "enterprises", properties="name_en,status", filter="year IS NOT NULL")
    expected = {f["id"]: f for f in served(any_app, "enterprises") if f["properties"].get("year") is not None}
    assert len(body["features"]) == len(expected) > 0
    for feature in body["features"]:
        original = expected[feature["id"]]
        assert feature["properties"] == {k: original["properties"][k] for k in ("name_en", "status")}
        assert feature["geometry"] == original["geometry"]


def test_skip_geometry_sends_null_geometries_with_every_property(client, app):
    body = items(client, "links", skipGeometry="true")
    expected = {f["id"]: f for f in served(app, "links")}
    assert len(body["features"]) == len(expected)
    for feature in body["features"]:
        assert feature["geometry"] is None
        assert feature["properties"] == expected[feature["id"]]["properties"]
    assert all(f["geometry"] for f in items(client, "links", skipGeometry="false")["features"])


def test_the_default_answer_is_the_stored_bytes(client, app):
    """Without properties= or skipGeometry the page is assembled from the stored bytes, untouched."""
    provider = app.extensions["gba_provider"]
    body = client.get(f"{API}/collections/zones/items?limit=100").get_data()
    for blob in provider.query("zones").items:
        assert blob in body


# ---- the provider ---------------------------------------------------------------------------


def test_the_provider_evaluates_where_and_sortby_on_its_columns(app):
    provider = app.extensions["gba_provider"]
    where = filtering.parse_filter("year IS NOT NULL", None, None, core.filter_queryables("universities"))
    page = provider.query(
        "agencies",
        where=filtering.parse_filter("year > 2000", None, None, core.filter_queryables("agencies")),
        sortby=(("year", True),),
    )
    features = served(app, "agencies")
    expected = brute_sorted([f for f in features if (f["properties"].get("year") or 0) > 2000], [("year", True)])
    assert page.ids == expected and page.number_matched == len(expected)
    assert provider.query("universities", where=where).number_matched == sum(
        f["properties"].get("year") is not None for f in served(app, "universities")
    )
    assert filtering.like_regex(r"a\%b_").fullmatch("a%bc")
    assert not filtering.like_regex(r"a\%b_").fullmatch("axbc")


def test_a_doubled_quote_is_a_quote_inside_a_string(client, app):
    """CQL2 writes a quote inside a string twice; pygeofilter 0.4 alone would read two strings."""
    features = served(app, "agencies")
    expected = [f["properties"]["id"] for f in features if "People's" in f["properties"]["name_en"]]
    assert ids(items(client, "agencies", filter="name_en LIKE '%People''s%'")) == expected and expected
    exact = "Shenzhen Municipal People''s Government"
    assert ids(items(client, "agencies", filter=f"name_en = '{exact}' OR name_en = 'it''s'")) == [
        f["properties"]["id"] for f in features if f["properties"]["name_en"] == exact.replace("''", "'")
    ]


def test_gdals_cql_text_is_read_as_cql2_text_with_ilike_and_numeric_booleans(client, app):
    """GDAL pushes its -where clause as filter-lang=cql-text (a draft's name): ILIKE and 0/1 for booleans."""
    links = served(app, "links")
    within = [f["properties"]["id"] for f in links if f["properties"]["cross_border"] is False]
    gdal = {"filter-lang": "cql-text"}
    assert ids(items(client, "links", filter="(cross_border = 0)", **gdal)) == within
    assert "cross_border is a boolean" in error(client, "links", filter="cross_border = 0")
    hospitals = [
        f["properties"]["id"] for f in served(app, "hospitals") if "hospital" in f["properties"]["name_en"].lower()
    ]
    assert ids(items(client, "hospitals", filter="name_en ILIKE '%HOSPITAL%'", **gdal)) == hospitals
    assert "not valid cql2-text" in error(client, "hospitals", filter="name_en ILIKE '%HOSPITAL%'")
