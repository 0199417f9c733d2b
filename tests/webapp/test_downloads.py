"""GeoJSON downloads: filters, headers, conditional GET, bad input, and a GDAL round trip."""

import json

import pytest
import shapely
from shapely.geometry import shape

from geo.dataset import read_dataset, write_dataset
from geo.flat import ALL_FLAT_NAMES
from geo.schema import LAYERS, TRANSLATED_TEXTS
from geo.validate import check_files
from tests.conftest import DATA_DIR

# The app tests run with the files and the postgis provider (tests/conftest.py).
pytestmark = pytest.mark.both_providers


def shipped(layer):
    return json.loads((DATA_DIR / "geojson" / f"{layer}.geojson").read_text(encoding="utf-8"))["features"]


@pytest.mark.parametrize("layer", LAYERS)
def test_layer_download_has_every_feature_and_the_right_headers(client, layer):
    response = client.get(f"/download/{layer}.geojson")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/geo+json"
    assert response.headers["Content-Disposition"] == f'attachment; filename="gba-cooperation-{layer}.geojson"'
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["ETag"]
    body = response.get_json(force=True)
    assert "crs" not in body
    assert sorted(f["id"] for f in body["features"]) == sorted(f["id"] for f in shipped(layer))


def test_all_download_holds_every_layer(client):
    body = client.get("/download/all.geojson").get_json(force=True)
    assert len(body["features"]) == sum(len(shipped(layer)) for layer in LAYERS)


@pytest.mark.parametrize(
    ("query", "check"),
    [
        (
            "touches_jurisdiction=Hong%20Kong",
            lambda p: "Hong Kong" in p.get("jurisdictions", [p.get("from_jurisdiction"), p.get("to_jurisdiction")]),
        ),
        (
            "touches_jurisdiction=macau,zhuhai",
            lambda p: (
                {"Macau", "Zhuhai"}
                & set(p.get("jurisdictions", [p.get("from_jurisdiction"), p.get("to_jurisdiction")]))
            ),
        ),
        # exactly the property: links (which have none) and zones reaching into Hong Kong are out
        ("jurisdiction=Hong%20Kong", lambda p: p.get("jurisdiction") == "Hong Kong"),
        ("status=planned", lambda p: p["status"] == "planned"),
        ("category=hospital,clinic_centre", lambda p: p["category"] in ("hospital", "clinic_centre")),
        ("cross_border=true", lambda p: p["cross_border"] is True),
        ("link_type=medical", lambda p: p["link_type"] == "medical"),
    ],
)
def test_filters_select_exactly_the_matching_records(client, query, check):
    body = client.get(f"/download/all.geojson?{query}").get_json(force=True)
    everything = [f for layer in LAYERS for f in shipped(layer)]
    expected = {f["id"] for f in everything if _safe(check, f["properties"])}
    assert expected, query  # the filter must select something in the shipped data
    assert {f["id"] for f in body["features"]} == expected


def _safe(check, props):
    try:
        return bool(check(props))
    except KeyError:
        return False  # a record without the filtered property never matches


def test_bbox_selects_features_intersecting_the_box(client):
    box = (114.30, 22.64, 114.45, 22.76)  # Pingshan
    body = client.get("/download/all.geojson?bbox=" + ",".join(map(str, box))).get_json(force=True)
    everything = [f for layer in LAYERS for f in shipped(layer)]
    expected = {f["id"] for f in everything if shape(f["geometry"]).intersects(shapely.box(*box))}
    assert {f["id"] for f in body["features"]} == expected and expected


def test_conditional_get_returns_304_and_filters_change_the_etag(client):
    first = client.get("/download/links.geojson")
    again = client.get("/download/links.geojson", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    filtered = client.get("/download/links.geojson?status=planned")
    assert filtered.headers["ETag"] != first.headers["ETag"]


def test_large_downloads_are_gzipped_when_asked(client):
    import gzip

    response = client.get("/download/all.geojson", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(response.data))["type"] == "FeatureCollection"


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/download/nope.geojson", 404, "no layer 'nope'"),
        ("/download/all.geojson?bbox=1,2,3", 400, "give four comma-separated numbers"),
        ("/download/all.geojson?bbox=a,b,c,d", 400, "every value must be a number"),
        ("/download/all.geojson?bbox=114,23,115,22", 400, "minLat is larger than maxLat"),
        ("/download/all.geojson?bbox=114,22,200,23", 400, "longitudes must be within"),
        ("/download/all.geojson?status=open", 400, "status='open' is not known"),
        ("/download/all.geojson?jurisdiction=Atlantis", 400, "jurisdiction='Atlantis' is not known"),
        ("/download/all.geojson?cross_border=perhaps", 400, "expected true or false"),
        ("/download/all.geojson?colour=red", 400, "unknown parameter(s) colour"),
        ("/download/all.geojson?status=planned&status=operating", 400, "given 2 times"),
    ],
)
def test_bad_input_is_a_json_error(client, url, status, message):
    response = client.get(url)
    assert response.status_code == status
    assert response.is_json and message in response.get_json()["description"]


def test_download_reads_back_unchanged_with_gdal(client, tmp_path):
    import pyogrio

    for layer in LAYERS:
        path = tmp_path / f"{layer}.geojson"
        path.write_bytes(client.get(f"/download/{layer}.geojson").data)
        assert check_files([path]) == []
        meta, _fids, geometry, fields = pyogrio.raw.read(path)
        columns = dict(zip(meta["fields"], fields))
        source = {f["id"]: f for f in shipped(layer)}
        assert len(geometry) == len(source)
        for row, wkb in enumerate(geometry):
            feature = source[columns["id"][row]]
            assert shapely.from_wkb(wkb).equals_exact(shape(feature["geometry"]), 1e-9)
            keys = ("from_id", "to_id", "link_type") if layer == "links" else ("name_zh_hant", "name_en")
            for key in (*keys, "status", "coord_precision"):
                assert columns[key][row] == feature["properties"][key]
            # Nested values (sources, figures) come back as JSON text with the same content.
            assert json.loads(columns["sources"][row]) == feature["properties"]["sources"]


def test_context_layer_is_served_with_jurisdiction_outlines(client):
    response = client.get("/context/jurisdictions.geojson")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/geo+json"
    names = {f["properties"]["name_en"] for f in response.get_json(force=True)["features"]}
    assert {"Hong Kong", "Macau", "Shenzhen", "Zhuhai", "Pingshan"} <= names
    again = client.get("/context/jurisdictions.geojson", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_every_level_of_the_outlines_is_served_compressed(client):
    for name in ("jurisdictions-overview", "jurisdictions-low", "jurisdictions-medium", "jurisdictions"):
        response = client.get(f"/context/{name}.geojson", headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip", name
        assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_the_page_draws_the_outline_levels_that_were_built(make_app, tmp_path):
    from geo.context import OUTLINE_LEVELS
    from webapp import downloads

    every = {level.name: b"" for level in OUTLINE_LEVELS}
    assert downloads.context_levels(every) == [(level.name, level.min_zoom) for level in OUTLINE_LEVELS]
    assert OUTLINE_LEVELS[0].min_zoom == 0 and OUTLINE_LEVELS[-1].name == "jurisdictions"
    # An older build with the full-detail file only: it is drawn at every zoom.
    assert downloads.context_levels({"jurisdictions": 0}) == [("jurisdictions", 0)]
    assert downloads.context_levels({}) == []
    shipped = read_dataset(DATA_DIR / "geojson").files
    kept = [f"{layer}.geojson" for layer in LAYERS] + ["context/jurisdictions.geojson"]
    write_dataset(tmp_path / "geojson", {path: shipped[path] for path in kept})
    html = make_app({"DATA_DIR": str(tmp_path)}).test_client().get("/embed").get_data(as_text=True)
    assert '"contextLevels":[{"url":"/context/jurisdictions.geojson","minZoom":0}]' in html


def test_unknown_context_layer_is_404_json(client):
    response = client.get("/context/rivers.geojson")
    assert response.status_code == 404 and "no context layer 'rivers'" in response.get_json()["description"]


def test_all_download_can_be_narrowed_to_some_layers(client):
    body = client.get("/download/all.geojson?layers=hospitals,links&status=planned").get_json(force=True)
    expected = {
        f["id"] for layer in ("hospitals", "links") for f in shipped(layer) if f["properties"]["status"] == "planned"
    }
    assert {f["id"] for f in body["features"]} == expected and expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/download/all.geojson?layers=rivers", "layers='rivers' is not known"),
        ("/download/hospitals.geojson?layers=links", "unknown parameter(s) layers"),
    ],
)
def test_bad_layers_parameter(client, url, message):
    response = client.get(url)
    assert response.status_code == 400 and message in response.get_json()["description"]


@pytest.mark.parametrize("count", [0, 1, 3])
def test_assembled_collections_are_valid_json(count):
    from webapp.http import assemble_collection

    items = [json.dumps({"type": "Feature", "id": i}).encode() for i in range(count)]
    body = json.loads(assemble_collection(items, b',"name":"x"'))
    assert body == {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "id": i} for i in range(count)],
        "name": "x",
    }


@pytest.mark.parametrize(("texts", "lang"), [("en", "en"), ("zh-Hant", "zh_hant"), ("zh-hans", "zh_hans")])
def test_texts_keeps_the_texts_in_one_language_and_every_record_name(client, texts, lang):
    full = client.get("/download/all.geojson?status=operating").get_json()["features"]
    slim = client.get(f"/download/all.geojson?status=operating&texts={texts}").get_json()["features"]
    assert [f["id"] for f in slim] == [f["id"] for f in full]
    # the other languages' texts go, and the flat form (the nested lists hold the same facts)
    translated = {key for forms in TRANSLATED_TEXTS.values() for key in forms.values()} | ALL_FLAT_NAMES
    kept = {forms[lang] for forms in TRANSLATED_TEXTS.values()}
    assert {"description_en", "coord_source", "from_name_zh_hans"} & translated - kept
    for whole, projected in zip(full, slim, strict=True):
        assert projected["geometry"] == whole["geometry"]
        assert projected["properties"] == {
            k: v for k, v in whole["properties"].items() if k not in translated or k in kept
        }
        if "name_en" in whole["properties"]:
            assert {"name_en", "name_zh_hant", "name_zh_hans"} <= projected["properties"].keys()


def test_texts_is_checked_and_empty_means_every_language(client):
    response = client.get("/download/zones.geojson?texts=fr")
    assert response.status_code == 400
    assert "zh-Hant, zh-Hans, en" in response.get_json()["description"]
    assert client.get("/download/zones.geojson?texts=").data == client.get("/download/zones.geojson").data
    one = client.get("/download/zones.geojson?texts=en")
    assert one.headers["ETag"] != client.get("/download/zones.geojson").headers["ETag"]
    assert len(one.data) < 0.85 * len(client.get("/download/zones.geojson").data)  # zones: geometry-heavy
