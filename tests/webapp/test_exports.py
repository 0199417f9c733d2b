"""The download formats besides GeoJSON (issue 11): every file is read back with pyogrio (networkx
for GraphML, the csv module for CSV) and compared, feature by feature and value by value, with
the GeoJSON download of the same URL, for every layer and ``all``, with and without filters."""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import networkx as nx
import pyogrio
import pytest
import shapely
from shapely.geometry import shape

from geo.schema import DATA_LICENCE, LAYER_LABELS, LAYERS, LINK_LAYER, URL_LANGS
from tests.conftest import REPO
from webapp import exports
from webapp.exports import BOOL, FLOAT, INT, STR
from webapp.mapview import LAYER_COLOURS, LINK_TYPE_COLOURS

# The app tests run with the files and the postgis provider (tests/conftest.py).
pytestmark = pytest.mark.both_providers


NAMES = ["all", *LAYERS]
QUERIES = [
    "",
    "status=planned,under_construction",
    "bbox=113.8,22.4,114.4,22.9&year=2021",
    "jurisdiction=Hong%20Kong&texts=en",
]
POINT_LAYERS = [layer for layer in LAYERS if exports.geometry_type(layer) == "Point"]


def url(name: str, extension: str, query: str) -> str:
    return f"/download/{name}.{extension}" + (f"?{query}" if query else "")


def reference(client, name: str, query: str) -> dict[str, list[dict]]:
    """The GeoJSON download of the same request, by layer, in its order."""
    response = client.get(url(name, "geojson", query))
    assert response.status_code == 200
    by_layer: dict[str, list[dict]] = {}
    for feature in response.get_json(force=True)["features"]:
        by_layer.setdefault(feature["properties"]["layer"], []).append(feature)
    return by_layer


def chosen_layers(name: str, query: str) -> list[str]:
    if name != "all":
        return [name]
    for part in query.split("&"):
        if part.startswith("layers="):
            return part.removeprefix("layers=").split(",")
    return list(LAYERS)


def dropped(query: str) -> frozenset[str]:
    for part in query.split("&"):
        if part.startswith("texts="):
            from webapp.downloads import other_language_texts

            return other_language_texts(URL_LANGS[part.removeprefix("texts=")])
    return frozenset()


def expected_columns(layer: str, query: str) -> list[tuple[str, str]]:
    return [(n, k) for n, k in exports.columns(layer) if n not in dropped(query)]


def is_null(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def same(kind: str, expected, got) -> bool:
    """Whether a value read back from a file is the GeoJSON's value of a column of ``kind``."""
    if is_null(expected):
        return is_null(got) or got == ""
    if kind == FLOAT:
        return math.isclose(float(got), float(expected), rel_tol=1e-9)
    if kind == INT:
        return str(got) == str(expected) or (not isinstance(got, str) and int(got) == expected)
    if kind == BOOL:
        return got in (expected, int(expected), str(int(expected)), str(expected).lower())
    return got == expected


def flat_values(layer: str, properties: dict) -> dict:
    """The flat fields, from the nested lists, computed here (the reference), not by the exporter."""
    sources = properties.get("sources") or []
    values = {
        "source_count": len(sources),
        "source_quotes": " | ".join(s["quote"] for s in sources),
        "source_titles": " | ".join(s["title"] for s in sources),
    }
    if layer != LINK_LAYER:
        values["jurisdictions_text"] = " | ".join(properties["jurisdictions"])
        values.update({f"figure_{figure['key']}": figure["value"] for figure in properties.get("figures") or []})
    return values


def expected_row(layer: str, feature: dict, query: str) -> dict:
    """Every exported column's value: the scalar property itself, or the flat field."""
    properties = feature["properties"]
    flat = flat_values(layer, properties)
    row = exports.row(layer, properties)
    out = {}
    for name, _ in expected_columns(layer, query):
        if name in flat:
            out[name] = flat[name]
        elif name in properties:
            assert not isinstance(properties[name], list | dict), name
            out[name] = properties[name]
        else:
            out[name] = row[name]  # a flat field this test does not recompute (people, aliases)
    return out


def multi(value):
    return shapely.MultiPolygon([value]) if value.geom_type == "Polygon" else value


def geometry(feature: dict):
    """The GeoJSON's geometry as the files type it: a zone's Polygon promoted to a MultiPolygon."""
    return multi(shape(feature["geometry"]))


def check_frame(frame, features: list[dict], layer: str, query: str, rename=lambda n: n, fit=lambda v: v):
    """A read-back GeoDataFrame holds exactly the GeoJSON's features, values and geometries
    (in any order: FlatGeobuf's spatial index sorts its features)."""
    ids = list(frame[rename("id")])
    assert sorted(ids) == sorted(f["properties"]["id"] for f in features)
    for feature in features:
        index = ids.index(feature["properties"]["id"])
        for name, value in expected_row(layer, feature, query).items():
            kind = dict(exports.columns(layer))[name]
            got = frame[rename(name)].iloc[index]
            assert same(kind, fit(value), got), (layer, feature["properties"]["id"], name, value, got)
        # (a shapefile reads a one-part polygon back as a Polygon: the files' layer types are checked apart)
        got = multi(frame.geometry.iloc[index])
        assert got.normalize().equals_exact(geometry(feature).normalize(), 1e-9), feature["properties"]["id"]


def check_types(info: dict, layer: str, rename=lambda n: n):
    """Every column has its one fixed type, even where every value is null (a zone's year)."""
    dtypes = dict(zip(info["fields"], info["dtypes"], strict=True))
    wanted = {STR: ("object",), INT: ("int32", "int64"), FLOAT: ("float64",), BOOL: ("bool",)}
    for name, kind in exports.columns(layer):
        if rename(name) in dtypes:
            assert dtypes[rename(name)] in wanted[kind], (layer, name, dtypes[rename(name)])


def save(tmp_path: Path, client, address: str, suffix: str) -> Path:
    response = client.get(address)
    assert response.status_code == 200, (address, response.get_data(as_text=True)[:300])
    path = tmp_path / f"file{suffix}"
    path.write_bytes(response.get_data())
    return path


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("name", NAMES)
def test_geopackage_holds_the_geojson_one_table_per_layer(client, tmp_path, name, query):
    path = save(tmp_path, client, url(name, "gpkg", query), ".gpkg")
    ref = reference(client, name, query)
    layers = chosen_layers(name, query)
    assert [row[0] for row in pyogrio.list_layers(path)] == layers
    for layer in layers:
        info = pyogrio.read_info(path, layer=layer)
        assert info["geometry_type"] == exports.geometry_type(layer)
        assert info["features"] == len(ref.get(layer, []))
        check_types(info, layer)
        assert info["dataset_metadata"]["licence"] == DATA_LICENCE["name"]
        assert DATA_LICENCE["url"] in info["layer_metadata"]["DESCRIPTION"]
        frame = pyogrio.read_dataframe(path, layer=layer)
        check_frame(frame, ref.get(layer, []), layer, query)
        for index, feature in enumerate(ref.get(layer, [])):  # the nested lists, whole, as JSON text
            assert json.loads(frame["sources_json"].iloc[index]) == feature["properties"]["sources"]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("name", NAMES)
def test_csv_is_one_table_with_wkt_and_lon_lat_and_a_bom(client, name, query):
    body = client.get(url(name, "csv", query)).get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    ref = reference(client, name, query)
    features = [f for layer in chosen_layers(name, query) for f in ref.get(layer, [])]
    assert [r["id"] for r in rows] == [f["properties"]["id"] for f in features]
    for row, feature in zip(rows, features, strict=True):
        layer = feature["properties"]["layer"]
        assert row["layer"] == layer
        for column, value in expected_row(layer, feature, query).items():
            kind = dict(exports.columns(layer))[column]
            assert same(kind, value, row[column]), (feature["properties"]["id"], column, value, row[column])
        assert shapely.from_wkt(row["WKT"]).normalize().equals_exact(geometry(feature).normalize(), 1e-9)
        if feature["geometry"]["type"] == "Point":
            assert [float(row["lon"]), float(row["lat"])] == feature["geometry"]["coordinates"][:2]
        else:
            assert row["lon"] == row["lat"] == ""


def test_csv_keeps_the_chinese_and_reads_back_with_gdal(client, tmp_path):
    path = save(tmp_path, client, "/download/hospitals.csv", ".csv")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    names = {f["properties"]["name_zh_hant"] for f in reference(client, "hospitals", "")["hospitals"]}
    assert {r["name_zh_hant"] for r in rows} == names and any("醫" in n for n in names)
    frame = pyogrio.read_dataframe(path)
    assert set(frame["name_zh_hant"]) == names


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("name", NAMES)
def test_flatgeobuf_holds_the_geojson_of_a_layer(client, tmp_path, name, query):
    if name == "all":
        name, query = "all", "&".join(filter(None, [query, f"layers={','.join(POINT_LAYERS)}"]))
    path = save(tmp_path, client, url(name, "fgb", query), ".fgb")
    ref = reference(client, name, query)
    info = pyogrio.read_info(path)
    layers = chosen_layers(name, query)
    assert info["geometry_type"] == exports.geometry_type(layers[0])
    assert DATA_LICENCE["url"] in info["layer_metadata"]["DESCRIPTION"]
    frame = pyogrio.read_dataframe(path)
    for layer in layers:
        check_types(info, layer)
        check_frame(frame[frame["layer"] == layer].reset_index(drop=True), ref.get(layer, []), layer, query)
    assert len(frame) == sum(len(ref.get(layer, [])) for layer in layers)


def test_all_fgb_of_several_geometry_types_is_a_400_saying_what_to_take(client):
    response = client.get("/download/all.fgb")
    assert response.status_code == 400
    message = response.get_json()["description"]
    assert "Point" in message and "MultiPolygon" in message and "all.gpkg" in message


def unzip(tmp_path: Path, body: bytes) -> Path:
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        archive.extractall(folder)
    return folder


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("name", NAMES)
def test_shapefile_zip_holds_one_shapefile_per_geometry_type(client, tmp_path, name, query):
    folder = unzip(tmp_path, client.get(url(name, "shp.zip", query)).get_data())
    ref = reference(client, name, query)
    layers = chosen_layers(name, query)
    groups = {exports.SHAPE_GROUPS[exports.geometry_type(layer)] for layer in layers}
    shapefiles = sorted(folder.glob("*.shp"))
    assert sorted(p.stem.rsplit("-", 1)[1] for p in shapefiles) == sorted(groups)
    with (folder / "fields.csv").open(encoding="utf-8") as table:
        mapping = {row["column"]: row["field"] for row in csv.DictReader(table)}
    assert mapping == {column: exports.shapefile_fields()[column] for column in mapping}
    for path in shapefiles:
        assert path.with_suffix(".cpg").read_text() == "UTF-8"
        assert "WGS" in path.with_suffix(".prj").read_text()
        frame = pyogrio.read_dataframe(path)
        info = pyogrio.read_info(path)
        for layer in layers:
            if exports.SHAPE_GROUPS[exports.geometry_type(layer)] != path.stem.rsplit("-", 1)[1]:
                continue
            check_types(info, layer, rename=mapping.get)
            part = frame[frame["layer"] == layer].reset_index(drop=True)
            check_frame(part, ref.get(layer, []), layer, query, rename=mapping.get, fit=exports._fit_dbf)
    assert DATA_LICENCE["url"] in (folder / "README.txt").read_text(encoding="utf-8")


def test_shapefile_keeps_the_chinese_read_through_its_cpg(client, tmp_path):
    folder = unzip(tmp_path, client.get("/download/all.shp.zip").get_data())
    points = next(folder.glob("*-points.shp"))
    frame = pyogrio.read_dataframe(points)  # GDAL takes the encoding from the .cpg
    field = exports.shapefile_fields()["name_zh_hant"]
    hospitals = reference(client, "hospitals", "")["hospitals"]
    assert {f["properties"]["name_zh_hant"] for f in hospitals} <= set(frame[field])


def test_shapefile_field_names_are_short_unique_and_documented():
    fields = exports.shapefile_fields()
    every = {name for layer in LAYERS for name, _ in exports.columns(layer)}
    assert set(fields) == every
    assert all(len(short) <= exports.DBF_NAME_MAX for short in fields.values())
    assert len({short.lower() for short in fields.values()}) == len(fields)
    assert all(short == column for column, short in fields.items() if len(column) <= exports.DBF_NAME_MAX)


def test_a_long_text_is_cut_for_dbase_at_a_character_boundary():
    text = "醫" * 100  # 300 bytes in UTF-8
    cut = exports._fit_dbf(text)
    assert cut == "醫" * 84 and len(cut.encode()) <= exports.DBF_TEXT_MAX_BYTES


KML = "{http://www.opengis.net/kml/2.2}"


@pytest.mark.parametrize("lang", ["zh-Hant", "zh-Hans", "en"])
@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("name", ["all", "zones", "hospitals", LINK_LAYER])
def test_kml_names_records_in_the_chosen_language_styled_by_category(client, tmp_path, name, query, lang):
    address = url(name, "kml", "&".join(filter(None, [query, f"lang={lang}"])))
    path = save(tmp_path, client, address, ".kml")
    key = URL_LANGS[lang]
    ref = reference(client, name, query)
    layers = chosen_layers(name, query)
    assert [row[0] for row in pyogrio.list_layers(path)] == [LAYER_LABELS[layer][key] for layer in layers]
    root = ElementTree.parse(path).getroot()  # noqa: S314 - our own answer
    document = root.find(f"{KML}Document")
    assert DATA_LICENCE["url"] in document.find(f"{KML}description").text
    styles = {
        style.get("id"): style.find(f"{KML}LineStyle/{KML}color").text for style in document.findall(f"{KML}Style")
    }
    for layer in layers:
        frame = pyogrio.read_dataframe(path, layer=LAYER_LABELS[layer][key])
        features = ref.get(layer, [])
        assert list(frame["id"]) == [f["properties"]["id"] for f in features]
        for index, feature in enumerate(features):
            p = feature["properties"]
            if layer == LINK_LAYER:  # texts=<lang> keeps a link's copies of its ends' names in that one
                kept = key if f"from_name_{key}" in p else URL_LANGS[query.rsplit("texts=", 1)[1]]
                assert frame["Name"].iloc[index] == f"{p[f'from_name_{kept}']} → {p[f'to_name_{kept}']}"
            else:
                assert frame["Name"].iloc[index] == p[f"name_{key}"]
    placemarks = list(root.iter(f"{KML}Placemark"))
    assert len(placemarks) == sum(len(ref.get(layer, [])) for layer in layers)
    for placemark in placemarks:  # each styled by its category (or link type) in the map's colour
        style = placemark.find(f"{KML}styleUrl").text.removeprefix("#")
        group, _, value = style.partition("-")
        if group == "link_type":
            colour = LINK_TYPE_COLOURS[value]
        else:
            colour = LAYER_COLOURS[next(lr for lr, cats in exports.LAYER_CATEGORIES.items() if value in cats)]
        assert styles[style] == exports.kml_colour(colour)
    assert "OGR_STYLE" not in path.read_text(encoding="utf-8")


def test_kml_names_default_to_traditional_chinese(client):
    body = client.get("/download/hospitals.kml").get_data(as_text=True)
    first = reference(client, "hospitals", "")["hospitals"][0]["properties"]
    assert f"<name>{first['name_zh_hant']}</name>" in body


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("name", NAMES)
def test_graphml_is_the_network_of_the_records_and_links(client, name, query):
    graph = nx.read_graphml(io.BytesIO(client.get(url(name, "graphml", query)).get_data()))
    ref = reference(client, name, query)
    records = [f for layer, features in ref.items() if layer != LINK_LAYER for f in features]
    links = ref.get(LINK_LAYER, [])
    assert graph.graph["licence"] == DATA_LICENCE["name"]
    assert {n for n, d in graph.nodes(data=True) if d["selected"]} == {f["properties"]["id"] for f in records}
    ends = {p[end] for f in links for p in [f["properties"]] for end in ("from_id", "to_id")}
    assert {n for n, d in graph.nodes(data=True) if not d["selected"]} == ends - {
        f["properties"]["id"] for f in records
    }
    assert sorted(edge["id"] for *_, edge in graph.edges(data=True)) == sorted(f["properties"]["id"] for f in links)
    for feature in records:
        p = feature["properties"]
        node = graph.nodes[p["id"]]
        for column, value in expected_row(p["layer"], feature, query).items():
            kind = dict(exports.columns(p["layer"]))[column]
            assert (column not in node) if is_null(value) else same(kind, value, node[column]), (p["id"], column)
    for feature in links:
        p = feature["properties"]
        edge = graph.edges[p["from_id"], p["to_id"], p["id"]]
        for column, value in expected_row(LINK_LAYER, feature, query).items():
            kind = dict(exports.columns(LINK_LAYER))[column]
            assert (column not in edge) if is_null(value) else same(kind, value, edge[column]), (p["id"], column)


EXPORTS = ["/download/all.gpkg", "/download/zones.shp.zip", "/download/links.csv?status=planned"]


@pytest.mark.parametrize("address", EXPORTS)
def test_an_export_answers_ranges_and_conditional_gets(client, address):
    whole = client.get(address, headers={"Accept-Encoding": "identity"})
    assert whole.status_code == 200 and whole.headers["Accept-Ranges"] == "bytes"
    body = whole.get_data()
    part = client.get(address, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.get_data() == body[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(body)}"
    etag = whole.headers["ETag"]
    assert client.get(address, headers={"If-None-Match": etag}).status_code == 304


@pytest.mark.parametrize("export", exports.FORMATS, ids=lambda f: f.extension)
def test_each_format_has_its_media_type_and_file_name(client, export):
    response = client.get(f"/download/hospitals.{export.extension}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == (
        export.media_type if ";" in export.media_type else response.headers["Content-Type"]
    )
    assert response.mimetype == export.media_type.split(";")[0]
    assert (
        response.headers["Content-Disposition"]
        == f'attachment; filename="gba-cooperation-hospitals.{export.extension}"'
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_filters_and_formats_change_the_etag(client):
    tags = {
        client.get(address).headers["ETag"]
        for address in (
            "/download/hospitals.gpkg",
            "/download/hospitals.gpkg?status=operating",
            "/download/hospitals.csv",
            "/download/hospitals.kml?lang=en",
            "/download/hospitals.kml",
        )
    }
    assert len(tags) == 5


def test_a_repeated_request_is_served_from_the_cache(app, client):
    cache = app.extensions.setdefault("gba_export_cache", exports.ExportCache())
    address = "/download/agencies.gpkg?status=operating&bbox=113,22,115,23"
    first = client.get(address).get_data()
    size = len(cache)
    assert client.get(address).get_data() == first
    assert len(cache) == size


def test_the_cache_is_bounded_in_entries_and_bytes():
    cache = exports.ExportCache(max_entries=3, max_bytes=10)
    for key in "abc":
        cache.put(key, b"x")
    cache.get("a")  # used: "b" is now the oldest
    cache.put("d", b"x")
    assert cache.get("b") is None and cache.get("a") == b"x" and len(cache) == 3
    cache.put("e", b"123456789")
    assert cache.size <= 10 and cache.get("e") == b"123456789"
    cache.put("f", b"x" * 11)  # larger than the whole cache: not kept
    assert cache.get("f") is None


@pytest.mark.parametrize(
    ("address", "status", "words"),
    [
        ("/download/zones.xlsx", 404, ".gpkg"),
        ("/download/zones.GPKG", 404, ".shp.zip"),
        ("/download/nowhere.gpkg", 404, "downloadable: all"),
        ("/download/zones.gpkg?status=nope", 400, "status"),
        ("/download/zones.gpkg?lang=en", 400, "unknown parameter"),
        ("/download/zones.csv?bbox=1,2,3", 400, "bbox"),
        ("/download/all.csv?layers=nope", 400, "layers"),
        ("/download/zones.kml?colour=red", 400, "unknown parameter"),
        ("/download/zones.shp.zip?texts=fr", 400, "texts"),
        ("/download/all.gpkg?layers=", 400, "at least one"),
        ("/download/all.csv?layers=", 400, "at least one"),
    ],
)
def test_bad_requests_are_json_errors(client, address, status, words):
    response = client.get(address)
    assert response.status_code == status
    assert words in response.get_json()["description"]


def test_the_unknown_format_answer_lists_every_format(client):
    message = client.get("/download/zones.xlsx").get_json()["description"]
    assert all(f".{f.extension}" in message for f in exports.FORMATS)


def test_every_listed_export_url_is_served(client):
    for address in exports.export_urls(LAYERS):
        assert client.get(address).status_code == 200, address


def test_an_empty_selection_is_an_empty_file_not_an_error(client, tmp_path):
    for export in exports.FORMATS:
        response = client.get(f"/download/hospitals.{export.extension}?bbox=0,0,1,1")
        assert response.status_code == 200, export.extension
    path = save(tmp_path, client, "/download/hospitals.gpkg?bbox=0,0,1,1", ".gpkg")
    assert pyogrio.read_info(path, layer="hospitals")["features"] == 0


def test_the_docs_tables_are_generated_from_the_format_table():
    text = (REPO / exports.DOCS_FILE).read_text(encoding="utf-8")
    assert exports.docs_problems(text) == []
    assert "all.geojson" in text and "mixes points, lines and polygons" in text
    assert exports.DOCS_FILE in (REPO / "README.md").read_text(encoding="utf-8")
