"""What an image shows, worked out before anything is drawn: the frame, the features, the labels, the texts.

Everything is in Web Mercator (EPSG:3857) metres, so the picture has the map's
shapes; the frame comes from the URL (``bbox``, ``lat``/``lon``/``zoom``, the
focused record) or is the Greater Bay Area, never from the data, so a record far
away (the Beijing bodies) cannot widen it: lines to it leave the frame at its edge.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from functools import lru_cache

import geopandas as gpd
import orjson
import shapely
from shapely.geometry import shape

from geo.schema import COORD_PRECISIONS, GBA_BOUNDS, LINK_LAYER
from webapp import i18n, mapview
from webapp.image.state import ImageState
from webapp.mapview import DASHED_STATUSES, LAYER_COLOURS, LINK_TYPE_COLOURS
from webapp.providers.base import FeatureProvider, bbox_unwrapped

WGS84 = "EPSG:4326"
WEB_MERCATOR = "EPSG:3857"
MAX_LAT = 85.05112878  # Web Mercator's edge
METRES_PER_PIXEL_Z0 = 2 * math.pi * 6378137 / 256  # Leaflet's 256-pixel tiles at zoom 0
FOCUS_ZOOM = 14  # the map's zoom for a focused point, and the closest it fits a focused shape
DISTRICT_LABEL_WIDTH_M = 120_000  # district names only in frames narrower than this
APPROXIMATE = frozenset(key for key, info in COORD_PRECISIONS.items() if info["approximate"])
LABEL_LINE = {"en": 26, "zh_hant": 12, "zh_hans": 12}  # characters per line of a place's label
COLUMNS = ("id", "layer", "status", "coord_precision", "link_type", "from_id", "to_id", "name")


@dataclass(frozen=True)
class Layout:
    """Pixel sizes of the image's parts; type sizes grow with the image (1200×630 is the reference)."""

    width: int
    height: int
    has_subtitle: bool

    @property
    def scale(self) -> float:
        return max(0.5, min(self.width / 1200, self.height / 630))

    @property
    def title_size(self) -> float:
        return 30 * self.scale

    @property
    def subtitle_size(self) -> float:
        return 15 * self.scale

    @property
    def label_size(self) -> float:
        return 12 * self.scale

    @property
    def credit_size(self) -> float:
        return 10 * self.scale

    @property
    def margin(self) -> float:
        return 16 * self.scale

    @property
    def header(self) -> float:
        subtitle = self.subtitle_size * 1.5 if self.has_subtitle else 0
        return self.margin * 1.2 + self.title_size * 1.25 + subtitle

    @property
    def footer(self) -> float:
        return self.credit_size * 2.4

    @property
    def map_size(self) -> tuple[float, float]:
        return self.width, max(1.0, self.height - self.header - self.footer)


@dataclass(frozen=True)
class Label:
    x: float  # Web Mercator metres
    y: float
    text: str
    kind: str  # record | zone | jurisdiction | district


@dataclass(frozen=True)
class LegendEntry:
    kind: str  # point | polygon | line
    colour: str
    label: str
    dashed: bool = False
    hollow: bool = False


@dataclass
class Scene:
    lang: str  # schema key
    theme: str
    layout: Layout
    extent: tuple[float, float, float, float]  # minx, miny, maxx, maxy in EPSG:3857
    outlines: gpd.GeoDataFrame  # jurisdictions and districts, columns level, sar, name
    zones: gpd.GeoDataFrame
    points: gpd.GeoDataFrame
    links: gpd.GeoDataFrame
    highlighted: str | None
    title: str
    subtitle: str
    credit: str
    empty_note: str | None = None  # said in the frame when no record passes
    labels: list[Label] = field(default_factory=list)
    legend: list[LegendEntry] = field(default_factory=list)


# ---- the frame -------------------------------------------------------------------------------


def mercator(lon: float, lat: float) -> tuple[float, float]:
    lat = max(-MAX_LAT, min(MAX_LAT, lat))
    x = math.radians(lon) * 6378137
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * 6378137
    return x, y


def around(x: float, y: float, metres_per_pixel: float, size: tuple[float, float]) -> tuple[float, ...]:
    half_w, half_h = size[0] * metres_per_pixel / 2, size[1] * metres_per_pixel / 2
    return (x - half_w, y - half_h, x + half_w, y + half_h)


def fit(box: tuple[float, float, float, float], size: tuple[float, float], closest_zoom: float | None = None):
    """The frame of ``size`` pixels that shows all of ``box`` (Mercator metres), centred, as Leaflet's fitBounds."""
    min_x, min_y, max_x, max_y = box
    resolution = max((max_x - min_x) / size[0], (max_y - min_y) / size[1])
    if closest_zoom is not None:
        resolution = max(resolution, resolution_at(closest_zoom))
    return around((min_x + max_x) / 2, (min_y + max_y) / 2, max(resolution, 1e-3), size)


def resolution_at(zoom: float) -> float:
    return METRES_PER_PIXEL_Z0 / 2**zoom


def lonlat_box(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    return (*mercator(box[0], box[1]), *mercator(box[2], box[3]))


def frame(state: ImageState, source: FeatureProvider, size: tuple[float, float]) -> tuple[float, ...]:
    """Where the image looks: the URL's bbox, centre and zoom, or focused record; else the GBA."""
    if state.bbox is not None:
        return fit(lonlat_box(bbox_unwrapped(state.bbox)), size)
    if state.center is not None:
        lat, lon = state.center
        return around(*mercator(lon, lat), resolution_at(13 if state.zoom is None else state.zoom), size)
    if state.focus is not None:
        found = source.find(state.focus)
        geometry = shape(found[1]["geometry"])
        if geometry.geom_type == "Point" or state.zoom is not None:
            centre = geometry if geometry.geom_type == "Point" else shapely.box(*geometry.bounds).centroid
            zoom = FOCUS_ZOOM if state.zoom is None else state.zoom
            return around(*mercator(centre.x, centre.y), resolution_at(zoom), size)
        return fit(lonlat_box(geometry.bounds), size, closest_zoom=FOCUS_ZOOM)
    return fit(lonlat_box(GBA_BOUNDS), size)


# ---- the data ---------------------------------------------------------------------------------


def to_frame(features: list[dict], lang: str) -> gpd.GeoDataFrame:
    """Features as a GeoDataFrame in Web Mercator with the columns the drawing reads."""
    rows = []
    for feature in features:
        props = feature["properties"]
        row = {name: props.get(name) for name in COLUMNS}
        row["name"] = props.get(f"name_{lang}") or props.get("name_en") or props.get("id")
        row["geometry"] = shape(feature["geometry"])
        rows.append(row)
    gdf = gpd.GeoDataFrame(rows, columns=[*COLUMNS, "geometry"], geometry="geometry", crs=WGS84)
    return gdf.to_crs(WEB_MERCATOR)


def outlines_frame(context: dict, lang: str) -> gpd.GeoDataFrame:
    """The jurisdiction (and Shenzhen district) outlines loaded at start-up, in Web Mercator (shared: do not modify)."""
    return _outlines(context.get("jurisdictions", (b"",))[0] or b"", lang)


@lru_cache(maxsize=6)
def _outlines(body: bytes, lang: str) -> gpd.GeoDataFrame:
    rows = []
    if body:
        for feature in orjson.loads(body)["features"]:
            props = feature["properties"]
            rows.append(
                {
                    "level": props.get("level"),
                    "sar": bool(props.get("sar")),
                    "jurisdiction": props.get("jurisdiction"),
                    "name": props.get(f"name_{lang}") or props.get("name_en"),
                    "geometry": shape(feature["geometry"]),
                }
            )
    columns = ["level", "sar", "jurisdiction", "name", "geometry"]
    return gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs=WGS84).to_crs(WEB_MERCATOR)


def records(source: FeatureProvider, state: ImageState) -> list[dict]:
    """Every record the map would show: the URL's layers, filtered."""
    found = []
    for layer in state.layers:
        if layer in source.layers():
            found.extend(orjson.loads(item) for item in source.query(layer, filters=state.filters).items)
    return found


# ---- the words ----------------------------------------------------------------------------------


def _value_label(name: str, value: object, text: dict, places: dict[str, str], lang: str) -> str:
    if isinstance(value, bool):
        return text["yes"] if value else text["no"]
    if name in ("jurisdiction", "touches_jurisdiction"):
        return places.get(str(value), str(value))
    if name == "year":
        return str(value)
    return i18n.label(name, value, lang)


def subtitle(state: ImageState, all_layers: list[str], places: dict[str, str]) -> str:
    """The active filters, the year and a narrowed set of layers, in the image's language."""
    lang = state.lang_key
    text = i18n.text(lang)
    colon, comma = (": ", ", ") if lang == "en" else ("：", "、")
    parts = []
    for name, values in state.filters.terms:
        shown = comma.join(_value_label(name, v, text, places, lang) for v in values)
        parts.append(f"{text.get(f'queryable.{name}', name)}{colon}{shown}")
    if not state.layers:
        parts.append(text["nothing_visible"])
    elif set(state.layers) != set(all_layers):
        parts.append(f"{text['queryable.layers']}{colon}{comma.join(text.get(f'layer.{n}', n) for n in state.layers)}")
    return " · ".join(parts)


def credit_line(lang: str, approval_number: str) -> str:
    credits = mapview.credits(lang, approval_number)
    text = i18n.text(lang)
    colon = ": " if lang == "en" else "："
    left, right = (" (", ")") if lang == "en" else ("（", "）")
    parts = [f"{credits['data']}{colon}{text['title']}{left}{credits['licence']}{right}", credits["boundaries"]]
    if credits["approvalNumber"]:
        parts.append(text["approval_number"].replace("{number}", credits["approvalNumber"]))
    return " · ".join(parts)


# ---- labels: few, and never on top of each other -------------------------------------------------


def _text_width(text: str, size: float) -> float:
    """A fair estimate of a label's width in pixels (CJK glyphs are square, Latin about 0.6 em)."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.6 for ch in text)


def place_labels(candidates: list[Label], extent, size: tuple[float, float], font_size: float) -> list[Label]:
    """Keep the candidates, in priority order, whose box lies in the frame and clears those kept."""
    min_x, _, max_x, max_y = extent
    per_pixel = (max_x - min_x) / size[0]
    kept, boxes = [], []
    for label in candidates:
        if not label.text:
            continue
        px = (label.x - min_x) / per_pixel
        py = (max_y - label.y) / per_pixel
        scale = 1.15 if label.kind == "record" else (0.9 if label.kind in ("jurisdiction", "district") else 1.0)
        lines = label.text.split("\n")
        width = max(_text_width(line, font_size * scale) for line in lines) + 6
        height = font_size * scale * 1.3 * len(lines) + 2
        left = px + font_size * 0.6 if label.kind == "record" else px - width / 2
        box = (left, py - height / 2, left + width, py + height / 2)
        if box[0] < 2 or box[1] < 2 or box[2] > size[0] - 2 or box[3] > size[1] - 2:
            continue
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in boxes):
            continue
        kept.append(label)
        boxes.append(box)
    return kept


def wrap_label(text: str, lang: str) -> str:
    """A long name on a few lines (Latin text at spaces; Chinese anywhere)."""
    width = LABEL_LINE[lang]
    if len(text) <= width:
        return text
    if lang == "en":
        return textwrap.fill(text, width)
    return "\n".join(text[i : i + width] for i in range(0, len(text), width))


def _anchor(geometry) -> tuple[float, float]:
    point = geometry if geometry.geom_type == "Point" else geometry.representative_point()
    return point.x, point.y


def label_candidates(scene_parts: dict, highlighted: str | None, extent, lang: str) -> list[Label]:
    """The selected or focused record first, then the zones, then the places' names."""
    candidates = []
    for key in ("points", "zones", "links"):
        frame_ = scene_parts[key]
        for row in frame_[frame_["id"] == highlighted].itertuples() if highlighted else ():
            geometry = row.geometry
            if key == "links":
                geometry = geometry.interpolate(0.5, normalized=True)
            candidates.append(Label(*_anchor(geometry), wrap_label(row.name, lang), "record"))
    for row in scene_parts["zones"].itertuples():
        if row.id != highlighted:
            candidates.append(Label(*_anchor(row.geometry), wrap_label(row.name, lang), "zone"))
    outlines = scene_parts["outlines"]
    narrow = extent[2] - extent[0] < DISTRICT_LABEL_WIDTH_M
    for level in ("district", "jurisdiction") if narrow else ("jurisdiction",):
        box = shapely.box(*extent)
        for row in outlines[outlines["level"] == level].itertuples():
            visible = row.geometry.intersection(box)
            if not visible.is_empty:
                candidates.append(Label(*_anchor(visible), row.name, level))
    return candidates


def legend(found: gpd.GeoDataFrame, layer_order: list[str], text: dict) -> list[LegendEntry]:
    """A key to what the picture holds: its layers, its types of link, dashes and hollow marks."""
    entries = []
    present = set(found["layer"])
    for layer in layer_order:
        if layer in present and layer != LINK_LAYER:
            kind = "polygon" if layer == "zones" else "point"
            entries.append(LegendEntry(kind, LAYER_COLOURS.get(layer, "#555555"), text.get(f"layer.{layer}", layer)))
    link_types = set(found.loc[found["layer"] == LINK_LAYER, "link_type"])
    for key, colour in LINK_TYPE_COLOURS.items():
        if key in link_types:
            entries.append(LegendEntry("line", colour, text.get(f"link_type.{key}", key)))
    if found["status"].isin(DASHED_STATUSES).any():
        entries.append(LegendEntry("line", "#59636e", text["planned"], dashed=True))
    if found["coord_precision"].isin(APPROXIMATE).any():
        entries.append(LegendEntry("point", "#59636e", text["approximate"], hollow=True))
    return entries


# ---- all together -------------------------------------------------------------------------------


def build_scene(state: ImageState, source: FeatureProvider, context: dict, approval_number: str = "") -> Scene:
    lang = state.lang_key
    outlines = outlines_frame(context, lang)
    places = {row.jurisdiction: row.name for row in outlines.itertuples() if row.level == "jurisdiction"}
    sub = subtitle(state, source.layers(), places)
    layout = Layout(state.width, state.height, has_subtitle=bool(sub))
    size = layout.map_size
    extent = frame(state, source, size)
    # Detail finer than half a pixel only slows the drawing and swells the SVG.
    per_pixel = (extent[2] - extent[0]) / size[0]
    outlines = outlines.set_geometry(outlines.geometry.simplify(per_pixel / 2))
    found = to_frame(records(source, state), lang)
    is_link = found["layer"] == LINK_LAYER
    is_polygon = found.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    parts = {
        "outlines": outlines,
        "zones": found[~is_link & is_polygon],
        "points": found[~is_link & ~is_polygon],
        "links": found[is_link],
    }
    text = i18n.text(lang)
    scene = Scene(
        lang=lang,
        theme=state.theme,
        layout=layout,
        extent=extent,
        outlines=outlines,
        zones=parts["zones"],
        points=parts["points"],
        links=parts["links"],
        highlighted=state.highlighted,
        title=text["title"],
        subtitle=sub,
        credit=credit_line(lang, approval_number),
        empty_note=text["list_empty"] if found.empty else None,
    )
    candidates = label_candidates(parts, state.highlighted, extent, lang)
    scene.labels = place_labels(candidates, extent, size, layout.label_size)
    scene.legend = legend(found, source.layers(), text)
    return scene
