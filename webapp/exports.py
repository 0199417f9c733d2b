"""The download formats besides GeoJSON, and the one table that lists them all.

``FORMATS`` is the only list of formats: the ``/download/<layer or all>.<extension>`` route,
the docs' table (``docs_table``), the map's download menu (``page_formats``, handed to the
page config) and ``export_urls`` (every file, for the QGIS check) derive from it.

Every file is written by GDAL through pyogrio/geopandas (the project's chosen packages), or by
networkx for GraphML, from the same features the GeoJSON download holds (same provider,
same parsing of bbox and filters). The columns are the records' SCALAR properties with one
fixed type each (``columns``/``row``): a ``year`` is an integer column even where every
value is null, and the nested lists (sources, figures, people, aliases, jurisdictions) are
replaced by flat text and number fields, so QGIS, Shapefile and CSV keep the provenance.
Everything is WGS-84 longitude/latitude (EPSG:4326 in the files' own terms).

The heavy packages (pandas, geopandas, pyogrio, networkx) are imported by the writers only:
an app that never exports never loads them.
"""

from __future__ import annotations

import csv
import io
import tempfile
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import orjson

from geo import flat
from geo.schema import (
    BOUNDARY_ATTRIBUTION,
    DATA_ATTRIBUTION,
    DATA_LICENCE,
    LANGS,
    LAYER_CATEGORIES,
    LAYER_GEOMETRY,
    LAYER_LABELS,
    LAYERS,
    LINK_LAYER,
    URL_LANGS,
)
from webapp.errors import InvalidParameter

FILE_CRS = "EPSG:4326"  # what GDAL writes for WGS-84 longitude/latitude (x = longitude in every format here)
LICENCE_TEXT = (
    f"Data: {DATA_ATTRIBUTION}, licensed {DATA_LICENCE['name']} ({DATA_LICENCE['url']}); "
    f"boundaries: {BOUNDARY_ATTRIBUTION}."
)


# ---- the columns: one fixed type per property -------------------------------------------------
# geo.flat is the one typed schema of every property (the flat provenance fields included):
# ``columns`` and ``row`` are the only two functions the writers call.

STR, INT, FLOAT, BOOL = flat.STRING, flat.INTEGER, flat.NUMBER, flat.BOOLEAN
_NESTED = ("aliases", "jurisdictions", "figures", "people", "sources")  # a link has only sources


def columns(layer: str) -> list[tuple[str, str]]:
    """``(name, type)`` of every exported column of ``layer``: its scalar properties, flat form
    included, in the schema's order (the nested lists are left to their flat form)."""
    return [(field.name, field.type) for field in flat.scalar_fields(layer)]


def row(layer: str, properties: Mapping) -> dict:
    """A record's exported values (the flat form derived again if a caller's dict lacks it)."""
    return flat.with_flat(layer, dict(properties))


# ---- what a writer gets ------------------------------------------------------------------------


@dataclass
class Selection:
    """The features of one download, by layer, and what the request chose besides the filters."""

    name: str  # "all" or the layer
    layers: dict[str, list[dict]]  # layer -> GeoJSON features (dicts), in the provider's order
    lang: str  # URL tag (zh-Hant, zh-Hans, en): the language of KML names
    dropped: frozenset[str] = frozenset()  # properties left out (texts=<lang>: the other languages)
    find: Callable[[str], tuple[str, dict] | None] = lambda _id: None  # a record of any layer by id
    url: str = ""  # where the file was downloaded from (its "source" in the metadata)

    @property
    def source(self) -> str:
        return f"GBA Cooperation Map, {self.url} (each record cites its own sources: the source_* fields)"

    def columns(self, layer: str) -> list[tuple[str, str]]:
        return [(name, kind) for name, kind in columns(layer) if name not in self.dropped]

    def union_columns(self, layers: Iterable[str]) -> list[tuple[str, str]]:
        merged: dict[str, str] = {}
        for layer in layers:
            for name, kind in self.columns(layer):
                merged.setdefault(name, kind)
        return list(merged.items())


def _pandas_dtype(kind: str) -> str:
    return {STR: "string", INT: "Int32", FLOAT: "Float64", BOOL: "boolean"}[kind]


def _geometry(feature: dict):
    """The feature's geometry as shapely; polygons promoted to MultiPolygon (one type per layer)."""
    import shapely
    from shapely.geometry import shape

    geometry = shape(feature["geometry"])
    if geometry.geom_type == "Polygon":
        geometry = shapely.MultiPolygon([geometry])
    return geometry


def geometry_type(layer: str) -> str:
    """The one geometry type of ``layer`` as the files declare it (zones: MultiPolygon)."""
    kinds = LAYER_GEOMETRY[layer]
    return "MultiPolygon" if "MultiPolygon" in kinds or "Polygon" in kinds else kinds[0]


def _frame(
    selection: Selection,
    layers: list[str],
    cols: list[tuple[str, str]],
    extra: Callable[[str, dict], dict] | None = None,
    extra_cols: tuple[tuple[str, str], ...] = (),
):
    """A GeoDataFrame of the features of ``layers`` with exactly ``cols``, typed, then
    ``extra_cols`` whose values ``extra(layer, feature)`` gives (a format's own columns)."""
    import geopandas as gpd
    import pandas as pd

    records, geometries = [], []
    for layer in layers:
        for feature in selection.layers.get(layer, ()):
            values = row(layer, feature.get("properties") or {})
            record = {name: values.get(name) for name, _ in cols}
            if extra is not None:
                record.update(extra(layer, feature))
            records.append(record)
            geometries.append(_geometry(feature))
    data = {
        name: pd.array([r.get(name) for r in records], dtype=_pandas_dtype(kind)) for name, kind in (*cols, *extra_cols)
    }
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geometries, crs=FILE_CRS), crs=FILE_CRS)


def _read_all(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir()) if path.is_file()}


# ---- the writers -------------------------------------------------------------------------------


def write_gpkg(selection: Selection) -> bytes:
    """One table per layer (links included), each typed; the nested lists kept as JSON text too."""
    import pyogrio

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.gpkg"
        for layer in selection.layers:
            kept = [
                name for name in _NESTED if name not in selection.dropped and (layer != LINK_LAYER or name == "sources")
            ]
            frame = _frame(
                selection,
                [layer],
                selection.columns(layer),
                extra=lambda _layer, feature, kept=kept: {
                    f"{name}_json": orjson.dumps(feature["properties"][name]).decode()
                    for name in kept
                    if name in (feature.get("properties") or {})
                },
                extra_cols=tuple((f"{name}_json", STR) for name in kept),
            )
            pyogrio.write_dataframe(
                frame,
                path,
                layer=layer,
                driver="GPKG",
                geometry_type=geometry_type(layer),
                layer_options={"IDENTIFIER": LAYER_LABELS[layer]["en"], "DESCRIPTION": LICENCE_TEXT},
                dataset_metadata=_metadata(selection),
                layer_metadata=_metadata(selection),
            )
        return path.read_bytes()


def _metadata(selection: Selection) -> dict[str, str]:
    return {
        "licence": DATA_LICENCE["name"],
        "licence_url": DATA_LICENCE["url"],
        "attribution": f"{DATA_ATTRIBUTION}; boundaries: {BOUNDARY_ATTRIBUTION}",
        "source": selection.source,
    }


def _lonlat(_layer: str, feature: dict) -> dict:
    geometry = feature.get("geometry") or {}
    if geometry.get("type") == "Point":
        lon, lat = geometry["coordinates"][:2]
        return {"lon": float(lon), "lat": float(lat)}
    return {"lon": None, "lat": None}


def write_csv(selection: Selection) -> bytes:
    """One table: the columns of every chosen layer, ``WKT`` geometry, ``lon``/``lat`` for points;
    UTF-8 with a byte-order mark (Excel then reads the Chinese)."""
    import pyogrio

    layers = list(selection.layers)
    frame = _frame(selection, layers, selection.union_columns(layers), _lonlat, (("lon", FLOAT), ("lat", FLOAT)))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.csv"
        pyogrio.write_dataframe(
            frame,
            path,
            layer=selection.name,
            driver="CSV",
            geometry_type="Unknown",
            layer_options={"GEOMETRY": "AS_WKT", "WRITE_BOM": "YES", "STRING_QUOTING": "IF_NEEDED"},
        )
        return path.read_bytes()


def kml_colour(hex_colour: str, alpha: int = 0xFF) -> str:
    """``#rrggbb`` as KML's ``aabbggrr``."""
    red, green, blue = hex_colour[1:3], hex_colour[3:5], hex_colour[5:7]
    return f"{alpha:02x}{blue}{green}{red}".lower()


def kml_styles() -> dict[str, str]:
    """Style id -> colour: one per category (its layer's colour on the map) and per link type."""
    from webapp.mapview import LAYER_COLOURS, LINK_TYPE_COLOURS

    styles = {
        f"category-{category}": LAYER_COLOURS[layer]
        for layer, categories in LAYER_CATEGORIES.items()
        for category in categories
    }
    styles.update({f"link_type-{key}": colour for key, colour in LINK_TYPE_COLOURS.items()})
    return styles


def _kml_name(layer: str, properties: Mapping, key: str) -> str:
    """A placemark's name in the language ``key``, else in one the download kept (texts=<lang>)."""

    def first(prefix: str) -> str:
        return next((properties[f"{prefix}_{k}"] for k in (key, *LANGS) if properties.get(f"{prefix}_{k}")), "")

    if layer == LINK_LAYER:
        return f"{first('from_name') or properties.get('from_id')} → {first('to_name') or properties.get('to_id')}"
    return first("name") or str(properties.get("id", ""))


def write_kml(selection: Selection) -> bytes:
    """One folder per layer; names and descriptions in ``lang``; a shared Style per category
    (and per link type) in the map's colours; the licence in the Document's description.

    GDAL's LIBKML driver writes the placemarks (a style string ``@id`` becomes ``<styleUrl>``);
    pyogrio cannot hand GDAL a style table, so the shared ``<Style>`` elements, the document's
    name and description are added to the written document afterwards.
    """
    import pyogrio

    key = URL_LANGS[selection.lang]

    def kml_fields(layer: str, feature: dict) -> dict:
        properties = feature.get("properties") or {}
        style = (
            f"link_type-{properties.get('link_type')}"
            if layer == LINK_LAYER
            else f"category-{properties.get('category')}"
        )
        return {
            "name": _kml_name(layer, properties, key),
            "description": properties.get(f"description_{key}"),
            "OGR_STYLE": f"@{style}",
        }

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.kml"
        for layer in selection.layers:
            frame = _frame(
                selection,
                [layer],
                selection.columns(layer),
                kml_fields,
                (("name", STR), ("description", STR), ("OGR_STYLE", STR)),
            )
            pyogrio.write_dataframe(
                frame,
                path,
                layer=layer,
                driver="LIBKML",
                layer_options={"NAME": LAYER_LABELS[layer][key], "DESCRIPTION": LICENCE_TEXT},
                dataset_options={"DOCUMENT_ID": "gba-cooperation-map"},
            )
        if not path.exists():  # no layer chosen (all.kml?layers=): an empty document
            return _kml_document(b'<kml xmlns="http://www.opengis.net/kml/2.2"><Document/></kml>', selection)
        return _kml_document(path.read_bytes(), selection)


KML_NS = "http://www.opengis.net/kml/2.2"


def _kml_document(written: bytes, selection: Selection) -> bytes:
    ElementTree.register_namespace("", KML_NS)
    root = ElementTree.fromstring(written)  # noqa: S314 - GDAL wrote it a moment ago, from our data
    document = root.find(f"{{{KML_NS}}}Document")
    head = []
    name = ElementTree.Element(f"{{{KML_NS}}}name")
    name.text = f"GBA Cooperation Map: {selection.name}"
    description = ElementTree.Element(f"{{{KML_NS}}}description")
    description.text = f"{LICENCE_TEXT} Source: {selection.source}."
    head += [name, description]
    for style_id, colour in kml_styles().items():
        style = ElementTree.Element(f"{{{KML_NS}}}Style", id=style_id)
        for element, alpha, extra in (
            ("IconStyle", 0xFF, None),
            ("LineStyle", 0xFF, ("width", "2")),
            ("PolyStyle", 0x66, None),
        ):
            child = ElementTree.SubElement(style, f"{{{KML_NS}}}{element}")
            ElementTree.SubElement(child, f"{{{KML_NS}}}color").text = kml_colour(colour, alpha)
            if extra is not None:
                ElementTree.SubElement(child, f"{{{KML_NS}}}{extra[0]}").text = extra[1]
        head.append(style)
    for index, element in enumerate(head):
        document.insert(index, element)
    ElementTree.indent(root, space="  ")
    # The style strings were only the carrier of <styleUrl>: not a field of the data.
    for schema in document.iter(f"{{{KML_NS}}}Schema"):
        for simple in list(schema):
            if simple.get("name") == "OGR_STYLE":
                schema.remove(simple)
    for data in document.iter(f"{{{KML_NS}}}SchemaData"):
        for simple in list(data):
            if simple.get("name") == "OGR_STYLE":
                data.remove(simple)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def write_fgb(selection: Selection) -> bytes:
    """One FlatGeobuf layer; ``all.fgb`` only when the chosen layers share one geometry type."""
    import pyogrio

    layers = list(selection.layers)
    check_selectable(BY_EXTENSION["fgb"], layers)
    types = {geometry_type(layer) for layer in layers}
    frame = _frame(selection, layers, selection.union_columns(layers))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.fgb"
        pyogrio.write_dataframe(
            frame,
            path,
            layer=selection.name,
            driver="FlatGeobuf",
            geometry_type=types.pop() if types else "Unknown",
            layer_options={"TITLE": f"GBA Cooperation Map: {selection.name}", "DESCRIPTION": LICENCE_TEXT},
            layer_metadata=_metadata(selection),
        )
        return path.read_bytes()


# ---- Shapefile ----------------------------------------------------------------------------------
DBF_NAME_MAX = 10
DBF_TEXT_MAX_BYTES = 254  # a dBASE character field holds at most 254 bytes
SHAPE_GROUPS = {"Point": "points", "LineString": "lines", "MultiPolygon": "polygons"}
# Words shortened in Shapefile field names (dBASE allows 10 characters).
_SHORT_WORDS = {
    "description": "desc",
    "jurisdiction": "jur",
    "jurisdictions": "jurs",
    "coord": "c",
    "source": "src",
    "precision": "prec",
    "district": "dist",
    "approximate": "approx",
    "outside": "out",
    "target": "tgt",
    "cross": "x",
    "border": "bdr",
    "people": "ppl",
    "aliases": "alias",
    "figure": "f",
    "length": "len",
    "original": "orig",
    "enterprises": "ent",
    "output": "out",
    "investment": "inv",
    "computing": "comp",
    "specialists": "spec",
    "biomedical": "biomed",
    "growth": "gr",
    "pandemic": "pand",
    "publishers": "publ",
    "citations": "cit",
    "quotes": "quot",
    "titles": "titl",
    "directed": "dir",
    "from": "fr",
    "category": "cat",
    "status": "stat",
    "text": "",
    "zh": "",
    "hant": "tc",
    "hans": "sc",
}


def _shorten(name: str) -> str:
    words = [_SHORT_WORDS.get(word, word) for word in name.split("_")]
    short = "_".join(word for word in words if word)
    if len(short) > DBF_NAME_MAX:
        short = short.replace("_", "")
    return short[:DBF_NAME_MAX]


def shapefile_fields() -> dict[str, str]:
    """Column -> Shapefile field name, for every column of every layer: at most 10 characters,
    unique (case-insensitively), the same in every file and documented (docs/downloads.md)."""
    names: list[str] = []
    for layer in LAYERS:
        for name, _ in columns(layer):
            if name not in names:
                names.append(name)
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        short = name if len(name) <= DBF_NAME_MAX else _shorten(name)
        candidate, number = short, 1
        while candidate.lower() in taken:
            number += 1
            candidate = f"{short[: DBF_NAME_MAX - len(str(number))]}{number}"
        taken.add(candidate.lower())
        mapping[name] = candidate
    return mapping


def _fit_dbf(value):
    """A text cut to the 254 bytes a dBASE field holds, at a character boundary (not mid-UTF-8)."""
    if not isinstance(value, str):
        return value
    encoded = value.encode("utf-8")
    if len(encoded) <= DBF_TEXT_MAX_BYTES:
        return value
    # dBASE pads a field with spaces, so a cut that ends in one reads back without it.
    return encoded[:DBF_TEXT_MAX_BYTES].decode("utf-8", errors="ignore").rstrip()


def shapefile_readme(selection: Selection, mapping: Mapping[str, str], kinds: Mapping[str, str]) -> str:
    lines = [
        "GBA Cooperation Map: Shapefile export",
        "",
        LICENCE_TEXT,
        f"Source: {selection.source}.",
        "",
        "One shapefile per geometry type (points, lines, polygons); WGS-84 longitude/latitude (.prj);",
        "text in UTF-8 (.cpg). dBASE field names hold at most 10 characters, so longer column names",
        f"are shortened as listed in fields.csv; texts longer than {DBF_TEXT_MAX_BYTES} bytes are cut",
        "(the GeoPackage, CSV and GeoJSON downloads hold them whole).",
        "",
        "field,column,type",
        *(f"{short},{name},{kinds[name]}" for name, short in mapping.items()),
    ]
    return "\n".join(lines) + "\n"


def write_shapefile(selection: Selection) -> bytes:
    """A zip of one shapefile per geometry type present, with fields.csv and README.txt."""
    import pyogrio

    fields = shapefile_fields()
    buffer = io.BytesIO()
    used: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        by_type: dict[str, list[str]] = {}
        for layer in selection.layers:
            by_type.setdefault(geometry_type(layer), []).append(layer)
        for kind, layers in by_type.items():
            cols = selection.union_columns(layers)
            frame = _frame(selection, layers, cols)
            for name, column_kind in cols:
                if column_kind == STR:
                    frame[name] = frame[name].map(_fit_dbf, na_action="ignore").astype("string")
                used[name] = column_kind
            frame = frame.rename(columns={name: fields[name] for name, _ in cols})
            stem = f"gba-cooperation-{selection.name}-{SHAPE_GROUPS[kind]}"
            directory = Path(tmp) / stem
            directory.mkdir()
            pyogrio.write_dataframe(
                frame,
                directory / f"{stem}.shp",
                driver="ESRI Shapefile",
                geometry_type=kind,
                encoding="UTF-8",
            )
            for name, data in _read_all(directory).items():
                archive.writestr(name, data)
        mapping = {name: fields[name] for name in used}
        table = io.StringIO()
        writer = csv.writer(table, lineterminator="\n")
        writer.writerow(["field", "column", "type"])
        writer.writerows([short, name, used[name]] for name, short in mapping.items())
        archive.writestr("fields.csv", table.getvalue())
        archive.writestr("README.txt", shapefile_readme(selection, mapping, used))
    return buffer.getvalue()


# ---- GraphML ------------------------------------------------------------------------------------


def write_graphml(selection: Selection) -> bytes:
    """The network: every chosen record a node (keyed by id), every chosen link an edge (keyed by
    its id) between its ends; scalar properties kept as GraphML attributes (a null is left out,
    as GraphML means it). A link's end outside the selection is still a node, with
    ``selected=false``. Nodes carry ``lon``/``lat`` (a point on the record's geometry)."""
    import networkx as nx
    import shapely

    graph = nx.MultiDiGraph(
        name=f"GBA Cooperation Map: {selection.name}",
        licence=DATA_LICENCE["name"],
        licence_url=DATA_LICENCE["url"],
        attribution=f"{DATA_ATTRIBUTION}; boundaries: {BOUNDARY_ATTRIBUTION}",
        source=selection.source,
    )

    def attributes(layer: str, feature: dict) -> dict:
        values = row(layer, feature.get("properties") or {})
        kept = {name: values[name] for name, _ in selection.columns(layer) if values.get(name) is not None}
        return kept

    def add_node(layer: str, feature: dict, selected: bool) -> None:
        point = shapely.point_on_surface(_geometry(feature))
        node = attributes(layer, feature)
        graph.add_node(node["id"], **node, lon=float(point.x), lat=float(point.y), selected=selected)

    for layer, features in selection.layers.items():
        if layer == LINK_LAYER:
            continue
        for feature in features:
            add_node(layer, feature, True)
    for feature in selection.layers.get(LINK_LAYER, ()):
        properties = feature.get("properties") or {}
        for end in (properties.get("from_id"), properties.get("to_id")):
            if end not in graph:
                found = selection.find(end)
                if found is not None:
                    found_layer, found_feature = found
                    for name in selection.dropped & (found_feature.get("properties") or {}).keys():
                        del found_feature["properties"][name]
                    add_node(found_layer, found_feature, False)
        edge = attributes(LINK_LAYER, feature)
        graph.add_edge(properties["from_id"], properties["to_id"], key=properties["id"], **edge)
    buffer = io.BytesIO()
    nx.write_graphml(graph, buffer, encoding="utf-8", infer_numeric_types=True)
    return buffer.getvalue()


# ---- the table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFormat:
    """One download format: ``/download/<layer or all>.<extension>``."""

    extension: str
    media_type: str
    writer: Callable[[Selection], bytes] | None  # None: GeoJSON, assembled from the provider's bytes
    label: Mapping[str, str]  # the map's download menu, by language key
    description: str  # the docs' table (English)
    params: tuple[str, ...] = ()  # parameters this format takes besides bbox, filters, texts and layers
    one_geometry_type: bool = False  # all.<extension> only for layers of one geometry type
    gzip: bool = False  # text: worth compressing on the wire


GEOJSON_FORMAT = "geojson"
FORMATS: tuple[ExportFormat, ...] = (
    ExportFormat(
        GEOJSON_FORMAT,
        "application/geo+json",
        None,
        {"en": "GeoJSON", "zh_hant": "GeoJSON", "zh_hans": "GeoJSON"},
        "RFC 7946, the records as the map and the API serve them (nested sources, figures, people). "
        "`all.geojson` mixes points, lines and polygons: in QGIS or for a Shapefile take `all.gpkg` or one file per layer.",
    ),
    ExportFormat(
        "gpkg",
        "application/geopackage+sqlite3",
        write_gpkg,
        {"en": "GeoPackage (QGIS)", "zh_hant": "GeoPackage（QGIS）", "zh_hans": "GeoPackage（QGIS）"},
        "One table per layer (links included; `all.gpkg`: every chosen layer), typed columns with the flat "
        "provenance fields, the nested lists also as JSON text (`sources_json` …); licence in the metadata "
        "and each table's description.",
    ),
    ExportFormat(
        "csv",
        "text/csv; charset=utf-8",
        write_csv,
        {"en": "CSV (Excel)", "zh_hant": "CSV（Excel）", "zh_hans": "CSV（Excel）"},
        "One table (`all.csv`: every chosen layer, told apart by the `layer` column), geometry as `WKT`, "
        "`lon`/`lat` for points; UTF-8 with a byte-order mark so Excel shows the Chinese. CSV has no "
        "metadata: the licence is CC BY 4.0 (this page).",
        gzip=True,
    ),
    ExportFormat(
        "kml",
        "application/vnd.google-earth.kml+xml",
        write_kml,
        {"en": "KML (Google Earth)", "zh_hant": "KML（Google 地球）", "zh_hans": "KML（Google 地球）"},
        "One folder per layer; names and descriptions in `lang` (`zh-Hant` unless given; the map's menu "
        "passes its language); a shared style per category and link type in the map's colours; licence in "
        "the document's description.",
        params=("lang",),
        gzip=True,
    ),
    ExportFormat(
        "fgb",
        "application/flatgeobuf",
        write_fgb,
        {"en": "FlatGeobuf", "zh_hant": "FlatGeobuf", "zh_hans": "FlatGeobuf"},
        "One layer with a spatial index; licence in the layer's description and metadata. A FlatGeobuf "
        "file has one geometry type: `all.fgb` is served when the chosen `layers` share one "
        "(e.g. the point layers) and is a 400 otherwise.",
        one_geometry_type=True,
    ),
    ExportFormat(
        "shp.zip",
        "application/zip",
        write_shapefile,
        {"en": "Shapefile (zip)", "zh_hant": "Shapefile（zip）", "zh_hans": "Shapefile（zip）"},
        "A zip of one shapefile per geometry type present (points, lines, polygons) with `.prj` and `.cpg` "
        "(UTF-8); field names shortened to 10 characters as listed below and in the zip's `fields.csv`; "
        "licence in its `README.txt`.",
    ),
    ExportFormat(
        "graphml",
        "application/graphml+xml",
        write_graphml,
        {"en": "GraphML (network)", "zh_hant": "GraphML（網絡）", "zh_hans": "GraphML（网络）"},
        "The network for Gephi, networkx or Cytoscape: records are nodes (with `lon`/`lat`), links are "
        "edges; every scalar property kept; a link's end outside the selection is a node with "
        "`selected=false`; licence in the graph's attributes.",
        gzip=True,
    ),
)
BY_EXTENSION = {f.extension: f for f in FORMATS}


def find_format(extension: str) -> ExportFormat | None:
    return BY_EXTENSION.get(extension)


def formats_listed() -> str:
    return ", ".join(f".{f.extension}" for f in FORMATS)


def filename(name: str, export: ExportFormat) -> str:
    return f"gba-cooperation-{name}.{export.extension}"


def selectable(export: ExportFormat, layers: Iterable[str]) -> bool:
    """Whether one file of ``export`` can hold ``layers`` (FlatGeobuf: one geometry type)."""
    return not export.one_geometry_type or len({geometry_type(layer) for layer in layers}) <= 1


def check_selectable(export: ExportFormat, layers: Iterable[str]) -> None:
    """A 400 saying why one file of ``export`` cannot hold ``layers``, and what to take instead."""
    layers = list(layers)
    if not layers:  # all.<extension>?layers= : GeoJSON has an empty collection, a GeoPackage no empty form
        raise InvalidParameter(f"layers= names no layer: a .{export.extension} file needs at least one")
    if selectable(export, layers):
        return
    types = sorted({geometry_type(layer) for layer in layers})
    raise InvalidParameter(
        f"a .{export.extension} file holds one layer of one geometry type, and these layers mix "
        f"{', '.join(types)}: download one .{export.extension} per layer, narrow all.{export.extension} "
        "with layers= to layers of one type (e.g. layers=hospitals,universities), or take all.gpkg "
        "(one table per layer)"
    )


def export_urls(layers: Iterable[str], prefix: str = "/download/") -> list[str]:
    """Every whole-layer file of every format, plus the ``all`` files a format can hold (for the QGIS check)."""
    layers = list(layers)
    urls = []
    for export in FORMATS:
        for name in ["all", *layers]:
            if name == "all" and not selectable(export, layers):
                continue
            urls.append(f"{prefix}{name}.{export.extension}")
    return urls


def page_formats() -> list[dict]:
    """The formats as the map's download menu reads them (page config ``downloadFormats``);
    their labels are in the catalogue (``format.<extension>``, webapp.i18n)."""
    return [
        {"extension": f.extension, "params": list(f.params), "oneGeometryType": f.one_geometry_type} for f in FORMATS
    ]


def docs_table() -> str:
    """The Markdown table of formats that docs/downloads.md carries verbatim."""
    rows = ["| extension | media type | what it holds |", "| --- | --- | --- |"]
    rows += [f"| `.{f.extension}` | `{f.media_type}` | {f.description} |" for f in FORMATS]
    return "\n".join(rows) + "\n"


def shapefile_docs_table() -> str:
    """The Shapefile field names (docs/downloads.md), from ``shapefile_fields``."""
    kinds = {name: kind for layer in LAYERS for name, kind in columns(layer)}
    rows = ["| field | column | type |", "| --- | --- | --- |"]
    rows += [f"| `{short}` | `{name}` | {kinds[name]} |" for name, short in shapefile_fields().items()]
    return "\n".join(rows) + "\n"


DOCS_FILE = "docs/downloads.md"
DOCS_TABLES = {
    ("<!-- formats:start -->", "<!-- formats:end -->"): docs_table,
    ("<!-- shapefile-fields:start -->", "<!-- shapefile-fields:end -->"): shapefile_docs_table,
}


def docs_problems(text: str) -> list[str]:
    problems = []
    for (start, end), make in DOCS_TABLES.items():
        if start not in text or end not in text:
            problems.append(f"{DOCS_FILE}: the markers {start} … {end} are missing")
            continue
        if text.split(start, 1)[1].split(end, 1)[0].strip("\n") + "\n" != make():
            problems.append(f"{DOCS_FILE}: the table between {start} … {end} differs (run python -m webapp.exports)")
    return problems


def write_docs(text: str) -> str:
    for (start, end), make in DOCS_TABLES.items():
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = f"{head}{start}\n{make()}{end}{tail}"
    return text


# ---- the cache ----------------------------------------------------------------------------------
EXPORT_CACHE_ENTRIES = 64
# Per worker. A file larger than the whole bound (a 100k-point layer: ~150 MB as GeoJSON) is not kept.
EXPORT_CACHE_BYTES = 128 * 1024 * 1024


class ExportCache:
    """Encoded files by ETag (which names the data version, the format and every parameter):
    least recently used first out, bounded in entries and in bytes."""

    def __init__(self, max_entries: int = EXPORT_CACHE_ENTRIES, max_bytes: int = EXPORT_CACHE_BYTES):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
            return body

    def put(self, key: str, body: bytes) -> None:
        if len(body) > self.max_bytes:
            return
        with self._lock:
            if key in self._entries:
                self._bytes -= len(self._entries.pop(key))
            self._entries[key] = body
            self._bytes += len(body)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        return self._bytes


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    import sys

    docs = Path(__file__).resolve().parent.parent / DOCS_FILE
    docs.write_text(write_docs(docs.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"rewrote the tables in {DOCS_FILE}", file=sys.stderr)
