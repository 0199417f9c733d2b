"""Mapbox Vector Tiles of a layer: the ``/tiles/<layer>/<z>/<x>/<y>.mvt`` route, the default
encoder every provider without a tile engine uses, and PMTiles archives for the static export.

A tile is the Web Mercator (EPSG:3857) XYZ tile ``z/x/y`` (y grows southwards, as on
OpenStreetMap and in Leaflet), holding one MVT layer named after the data layer with every
feature that meets the tile's envelope widened by ``BUFFER`` pixels on each side (so symbols
and lines drawn across a tile edge are not cut off), matching the same filters as the OGC API
items and the map: the queryables (``webapp.queryables``) and a CQL2 ``filter``
(``webapp.filtering``).  Never capped: a tile holds every matching feature.

Each tile feature carries the properties of ``TILE_PROPERTIES`` that its record has (null
ones are left out, as ``ST_AsMVT`` leaves them out): what the map needs to draw and style it,
plus ``id``, with which a popup fetches the whole record from the API.

The encoder writes the protobuf itself with numpy, one vectorised pass over all the features,
because per-feature Python (mapbox-vector-tile's ``encode`` takes ~50 µs a point) would make a
low-zoom tile of a 100k-point layer take seconds.  Lines and polygons are clipped with shapely
and their geometry commands come from mapbox-vector-tile's encoder (rounding, winding order,
validity), then go through the same assembly.  The result decodes with
``mapbox_vector_tile.decode`` like any MVT (the tests check it against the GeoJSON API).

The route keeps what it makes in ``webapp.tile_cache`` (in the worker, and in the database with
the postgis provider), raw and clustered tiles alike, as the gzip bytes it sends.  A raw tile
without filters that the loader made ahead (``provider.made_tile``: the postgis provider's heavy
tiles, ``geo.load_made_tiles``) is answered from there, kept in the worker cache (inflated too for a
client without gzip) but not in the shared store.
"""

from __future__ import annotations

import gzip
import math
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import mapbox_vector_tile
import numpy as np
import shapely
from flask import Blueprint, Response, current_app, request
from mapbox_vector_tile.Mapbox import vector_tile_pb2
from pyproj import Transformer

from geo.load_clusters import (
    BUFFER,
    CLUSTER_CELL,
    CLUSTER_GRID,
    CLUSTER_MAJORITY,
    CLUSTER_MAX_ZOOM,
    EXTENT,
    MAX_ZOOM,
)
from geo.schema import TILE_FIELDS
from webapp import filtering, params, queryables
from webapp.errors import InvalidParameter, NotFound
from webapp.http import GZIP_MIN_BYTES, content_coding, make_etag, not_modified
from webapp.providers.base import Bbox, FeatureProvider, Filters
from webapp.tile_cache import TileCache, tile_key

MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
MIN_ZOOM = 0  # BUFFER and MAX_ZOOM are geo.load_clusters' (the loader makes tiles too)
CACHE_CONTROL = "public, max-age=60"  # as the OGC API items: the ETag makes revalidation cheap

# TILE_FIELDS (what a tile feature carries) is geo.schema's: the loader's cluster pyramid stores it too.
TILE_PROPERTIES = tuple(TILE_FIELDS)

# Web Mercator: half the world's width in metres, and the latitude where its square ends.
ORIGIN = 20037508.342789244
MAX_LATITUDE = 85.0511287798066
_TO_MERCATOR = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
_FROM_MERCATOR = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)

bp = Blueprint("tiles", __name__)


# --- tile geometry -------------------------------------------------------------------------


def tile_size(z: int) -> float:
    """A tile's width in Web Mercator metres at zoom ``z``."""
    return 2 * ORIGIN / (1 << z)


def tile_envelope(z: int, x: int, y: int, buffer: float = 0) -> tuple[float, float, float, float]:
    """Tile ``z/x/y`` in EPSG:3857 metres, widened by ``buffer`` tile coordinates (cut at the world's edge)."""
    size = tile_size(z)
    margin = size * buffer / EXTENT
    min_x = -ORIGIN + x * size - margin
    max_x = -ORIGIN + (x + 1) * size + margin
    max_y = ORIGIN - y * size + margin
    min_y = ORIGIN - (y + 1) * size - margin
    return (max(min_x, -ORIGIN), max(min_y, -ORIGIN), min(max_x, ORIGIN), min(max_y, ORIGIN))


def tile_bbox(z: int, x: int, y: int, buffer: float = BUFFER) -> Bbox:
    """The longitude/latitude box of tile ``z/x/y`` widened by ``buffer`` tile coordinates: the features
    meeting it are the tile's.  At the world's top and bottom edges it reaches the poles (points past
    85.05° are drawn on the edge), at its sides ±180°."""
    min_x, min_y, max_x, max_y = tile_envelope(z, x, y, buffer)
    (west, east), (south, north) = _FROM_MERCATOR.transform([min_x, max_x], [min_y, max_y])
    if min_x <= -ORIGIN:
        west = -180.0
    if max_x >= ORIGIN:
        east = 180.0
    if min_y <= -ORIGIN:
        south = -90.0
    if max_y >= ORIGIN:
        north = 90.0
    return (float(west), float(south), float(east), float(north))


def _to_tile(coords: np.ndarray, z: int, x: int, y: int) -> np.ndarray:
    """Longitude/latitude pairs (n×2) as tile coordinates (floats; y down, 0..EXTENT inside the tile)."""
    lat = np.clip(coords[:, 1], -MAX_LATITUDE, MAX_LATITUDE)
    mx, my = _TO_MERCATOR.transform(coords[:, 0], lat)
    size = tile_size(z)
    out = np.empty((len(coords), 2))
    out[:, 0] = (np.asarray(mx) - (-ORIGIN + x * size)) * (EXTENT / size)
    out[:, 1] = ((ORIGIN - y * size) - np.asarray(my)) * (EXTENT / size)
    return out


# --- the property columns ------------------------------------------------------------------


@dataclass
class Column:
    """One property over a list of features: ``codes[i]`` indexes ``values`` (-1: the feature lacks it).

    ``messages`` holds each value encoded as an MVT layer's ``values`` field, made once per column
    and shared by the columns ``take`` returns: a provider's columns encode each value once, not
    once per tile (a 100k-point layer has 100k distinct ids).
    """

    codes: np.ndarray
    values: list
    encoded: list = field(default_factory=list)

    def take(self, indices: np.ndarray) -> Column:
        return Column(self.codes[indices], self.values, self.encoded)

    def messages(self) -> list[bytes]:
        if len(self.encoded) != len(self.values):
            self.encoded[:] = [_field(4, _value_message(value)) for value in self.values]
        return self.encoded


def _key(value) -> tuple:
    # True == 1 and hash alike in Python: the type keeps them apart.
    return (value.__class__, value)


_PLAIN_KINDS = ({str, bool, type(None)}, {str, int, type(None)})


def factorize(values: Sequence) -> Column:
    """A column from one value per feature (None, or a value MVT cannot hold such as a list: absent)."""
    kinds = set(map(type, values))
    if kinds <= _PLAIN_KINDS[0] or kinds <= _PLAIN_KINDS[1]:
        # The usual column (strings, or years, or flags, with gaps): values are their own keys.
        # One pass in C-speed comprehension; at load time it runs once per property and feature.
        index: dict = {}
        raw = np.fromiter((index.setdefault(v, len(index)) for v in values), dtype=np.int32, count=len(values))
        uniques = list(index)
        if None not in index:
            return Column(raw, uniques)
        gap = index[None]
        del uniques[gap]
        return Column(np.where(raw == gap, -1, raw - (raw > gap)).astype(np.int32), uniques)
    return _factorize_mixed(values)


def _factorize_mixed(values: Sequence) -> Column:
    index: dict = {}
    uniques: list = []
    codes = np.full(len(values), -1, dtype=np.int32)
    for i, value in enumerate(values):
        if value is None or not isinstance(value, str | bool | int | float):
            continue
        if isinstance(value, float) and not math.isfinite(value):
            continue
        key = _key(value)
        code = index.get(key)
        if code is None:
            code = index[key] = len(uniques)
            uniques.append(value)
        codes[i] = code
    return Column(codes, uniques)


def columns_of(records: Sequence[Mapping], properties: Sequence[str]) -> dict[str, Column]:
    """The columns of ``properties`` over ``records`` (property dicts)."""
    return {name: factorize([record.get(name) for record in records]) for name in properties}


# --- protobuf pieces -----------------------------------------------------------------------


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64: two's complement, ten bytes
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(key: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2) numbered ``key``."""
    return _varint((key << 3) | 2) + _varint(len(payload)) + payload


def _value_message(value) -> bytes:
    """An MVT Value, typed as mapbox-vector-tile types Python values (bool, string, int64, double)."""
    if isinstance(value, bool):
        return b"\x38" + (b"\x01" if value else b"\x00")
    if isinstance(value, str):
        return _field(1, value.encode("utf-8"))
    if isinstance(value, int):
        return b"\x20" + _varint(value)
    return b"\x19" + struct.pack("<d", float(value))


def _varint_sizes(values: np.ndarray) -> np.ndarray:
    """How many bytes each uint64 takes as a varint."""
    sizes = np.ones(values.shape, dtype=np.int64)
    largest = int(values.max()) if values.size else 0
    for shift in range(7, 64, 7):
        if largest < 1 << shift:
            break
        sizes += values >= (np.uint64(1) << np.uint64(shift))
    return sizes


def _varints(values: np.ndarray) -> bytes:
    """The uint64 ``values`` as consecutive protobuf varints, in one vectorised pass per byte position."""
    values = values.astype(np.uint64, copy=False)
    sizes = _varint_sizes(values)
    starts = np.cumsum(sizes) - sizes
    out = np.empty(int(sizes.sum()), dtype=np.uint8)
    remaining, at, left = values, starts, sizes
    while remaining.size:
        last = left == 1
        out[at] = (remaining & np.uint64(0x7F)).astype(np.uint8) | np.where(last, 0, 0x80).astype(np.uint8)
        more = ~last
        remaining, at, left = remaining[more] >> np.uint64(7), at[more] + 1, left[more] - 1
    return out.tobytes()


def _zigzag(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.int64)
    return ((values << 1) ^ (values >> 63)).astype(np.uint64)


def _ragged_sums(sizes: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Sum of ``sizes`` over consecutive runs of ``counts`` items (empty runs sum to 0)."""
    ends = np.cumsum(counts)
    total = np.concatenate(([0], np.cumsum(sizes)))
    return total[ends] - total[ends - counts]


def _place(flat: np.ndarray, counts: np.ndarray, starts: np.ndarray, out: np.ndarray) -> None:
    """Copy the runs of ``flat`` (``counts`` items each) to ``out`` from each run's ``starts``."""
    if not flat.size:
        return
    run_starts = np.cumsum(counts) - counts
    owner = np.repeat(np.arange(counts.size), counts)
    out[np.repeat(starts, counts) + np.arange(flat.size) - run_starts[owner]] = flat


def _features_stream(tags: np.ndarray, tag_counts: np.ndarray, types: np.ndarray, geometry, geometry_counts) -> bytes:
    """The layer's ``features`` fields: per feature ``0x12 len [0x12 len tags] 0x18 type 0x22 len geometry``.

    Every key byte is below 0x80, so a feature is a run of varints and the whole stream is one
    varint-encoded array; the lengths come from the varint sizes of what they cover.
    """
    n = types.size
    tag_bytes = _ragged_sums(_varint_sizes(tags), tag_counts)
    geometry_bytes = _ragged_sums(_varint_sizes(geometry), geometry_counts)
    has_tags = tag_counts > 0
    inner = (
        np.where(has_tags, 1 + _varint_sizes(tag_bytes.astype(np.uint64)) + tag_bytes, 0)
        + 2  # type
        + 1
        + _varint_sizes(geometry_bytes.astype(np.uint64))
        + geometry_bytes
    )
    # items per feature: 2 (feature key, length) + 2 (tags key, length) + tags + 2 (type) + 2 (geometry key, length) + geometry
    counts = 2 + np.where(has_tags, 2 + tag_counts, 0) + 2 + 2 + geometry_counts
    starts = np.cumsum(counts) - counts
    out = np.zeros(int(counts.sum()), dtype=np.uint64)
    out[starts] = 0x12
    out[starts + 1] = inner
    tag_starts = starts + 2
    out[tag_starts[has_tags]] = 0x12
    out[tag_starts[has_tags] + 1] = tag_bytes[has_tags]
    _place(tags, tag_counts, tag_starts + np.where(has_tags, 2, 0), out)
    after = tag_starts + np.where(has_tags, 2 + tag_counts, 0)
    out[after] = 0x18
    out[after + 1] = types
    out[after + 2] = 0x22
    out[after + 3] = geometry_bytes
    _place(geometry, geometry_counts, after + 4, out)
    return _varints(out) if n else b""


# --- the encoder ---------------------------------------------------------------------------

_POINT, _LINE, _POLYGON = 1, 2, 3


def _point_geometry(coords: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MoveTo(1) and the zigzagged position of each point: ``[9, x, y]`` per feature."""
    snapped = np.rint(coords).astype(np.int64)
    geometry = np.empty((len(coords), 3), dtype=np.uint64)
    geometry[:, 0] = 9
    geometry[:, 1] = _zigzag(snapped[:, 0])
    geometry[:, 2] = _zigzag(snapped[:, 1])
    return geometry.ravel(), np.full(len(coords), 3, dtype=np.int64), np.full(len(coords), _POINT, dtype=np.int64)


def _same_kind(shapes: np.ndarray, dimensions: np.ndarray) -> np.ndarray:
    """Clipped shapes with only the parts of their feature's own dimension: a polygon clipped along
    a tile edge can come back as a collection holding a line or a point too, which MVT cannot type."""
    collections = np.flatnonzero(shapely.get_type_id(shapes) == 7)
    if not collections.size:
        return shapes
    shapes = shapes.copy()
    build = {0: shapely.multipoints, 1: shapely.multilinestrings, 2: shapely.multipolygons}
    for i in collections.tolist():
        parts = [part for part in shapely.get_parts(shapes[i]) if shapely.get_dimensions(part) == dimensions[i]]
        shapes[i] = build[int(dimensions[i])](parts) if parts else shapely.Point()
    return shapes


def _shape_geometry(shapes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Commands of lines and polygons already in tile coordinates and clipped, by mapbox-vector-tile's
    encoder (rounding, winding order, validity); returns (kept indices, commands, counts, types): a
    shape that rounds away to nothing is dropped."""
    features = [{"geometry": geometry, "id": i, "properties": {}} for i, geometry in enumerate(shapes)]
    encoded = mapbox_vector_tile.encode(
        {"name": "shapes", "features": features},
        default_options={"extents": EXTENT, "y_coord_down": True, "quantize_bounds": None},
    )
    message = vector_tile_pb2.tile()
    message.ParseFromString(encoded)
    layer_features = message.layers[0].features if message.layers else []
    kept = np.array([f.id for f in layer_features], dtype=np.int64)
    commands = [np.array(f.geometry, dtype=np.uint64) for f in layer_features]
    counts = np.array([c.size for c in commands], dtype=np.int64)
    types = np.array([f.type for f in layer_features], dtype=np.int64)
    flat = np.concatenate(commands) if commands else np.empty(0, dtype=np.uint64)
    return kept, flat, counts, types


def encode_tile(layer: str, z: int, x: int, y: int, geometries: np.ndarray, columns: Mapping[str, Column]) -> bytes:
    """The MVT of tile ``z/x/y`` holding ``geometries`` (shapely, longitude/latitude; the features
    meeting the buffered tile, in the order they are to appear) with their ``columns``.

    An empty selection gives an empty tile (no layer: zero bytes), as ``ST_AsMVT`` does.
    """
    geometries = np.asarray(geometries, dtype=object)
    if geometries.size == 0:
        return b""
    type_ids = shapely.get_type_id(geometries)
    if (type_ids == 0).all():
        coords = _to_tile(shapely.get_coordinates(geometries), z, x, y)
        kept = np.arange(geometries.size)
        geometry, geometry_counts, types = _point_geometry(coords)
    else:
        projected = shapely.transform(geometries, lambda c: _to_tile(c, z, x, y))
        clipped = shapely.clip_by_rect(projected, -BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER)
        # Points are kept as they are (clipping leaves them or nothing); empty clips go.
        shapes = _same_kind(np.where(type_ids == 0, projected, clipped), shapely.get_dimensions(geometries))
        present = np.flatnonzero(~shapely.is_empty(shapes))
        kept_of_present, geometry, geometry_counts, types = _shape_geometry(shapes[present])
        kept = present[kept_of_present] if kept_of_present.size else kept_of_present
    if kept.size == 0:
        return b""
    return _assemble(layer, kept, geometry, geometry_counts, types, columns)


def _assemble(layer, kept, geometry, geometry_counts, types, columns: Mapping[str, Column]) -> bytes:
    """The MVT of one layer: features ``kept`` (indices into ``columns``) with their geometry commands."""
    keys: list[bytes] = []
    values: list[bytes] = []
    key_codes = []
    value_codes = []
    for name, column in columns.items():
        codes = column.codes[kept]
        used = codes >= 0
        if not used.any():
            continue
        present_codes, inverse = np.unique(codes[used], return_inverse=True)
        value_index = np.full(codes.size, -1, dtype=np.int64)
        value_index[used] = len(values) + inverse
        messages = column.messages()
        values.extend([messages[code] for code in present_codes.tolist()])
        key_codes.append(np.where(used, len(keys), -1))
        value_codes.append(value_index)
        keys.append(name.encode("utf-8"))
    if keys:
        key_matrix = np.stack(key_codes, axis=1)
        value_matrix = np.stack(value_codes, axis=1)
        present = value_matrix >= 0
        pairs = np.stack((key_matrix, value_matrix), axis=2)[present]
        tags = pairs.ravel().astype(np.uint64)
        tag_counts = 2 * present.sum(axis=1)
    else:
        tags = np.empty(0, dtype=np.uint64)
        tag_counts = np.zeros(kept.size, dtype=np.int64)

    body = b"".join(
        (
            b"\x78\x02",  # version 2
            _field(1, layer.encode("utf-8")),
            b"\x28" + _varint(EXTENT),
            b"".join(_field(3, key) for key in keys),
            b"".join(values),
            _features_stream(tags, tag_counts, types, geometry, geometry_counts),
        )
    )
    return _field(3, body)


def tile_from_records(
    layer: str, z: int, x: int, y: int, geometries, records: Sequence[Mapping], properties: Sequence[str]
) -> bytes:
    """``encode_tile`` from property dicts (the generic path: any provider's ``query`` answer)."""
    return encode_tile(layer, z, x, y, np.asarray(geometries, dtype=object), columns_of(records, properties))


# --- clustered tiles -----------------------------------------------------------------------

# ``?cluster=1`` on a tile URL: below CLUSTER_MAX_ZOOM a point layer's tile holds one feature per
# occupied cell of a CLUSTER_GRID × CLUSTER_GRID grid over the tile (not its buffer: each point
# is in exactly one tile's cells), at the mean position of the cell's points, with ``count``.
# A cell of one point carries that feature's TILE_PROPERTIES (id included); a cell of more the
# most frequent value of each of CLUSTER_MAJORITY (ties: the smallest value) to colour it.
# From CLUSTER_MAX_ZOOM on, and for layers that are not all points, the raw tile is served.
CLUSTER_PARAM = "cluster"
CLUSTER_VALUES = ("1",)
# CLUSTER_GRID, CLUSTER_MAX_ZOOM, CLUSTER_MAJORITY and EXTENT are geo.load_clusters' (the pyramid's).


def cluster_cells(coords: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For tile coordinates (n×2 floats): which are inside the tile (a mask) and their cell number
    ``row * CLUSTER_GRID + column`` (for those inside), both from the coordinates rounded to 6 decimals."""
    # Rounded to a millionth of a tile unit first: a point on a cell's edge (113.90625° is one at
    # z4) goes east/south of it whatever the last bits of the projection (pyproj or PostGIS) say.
    coords = np.round(coords, 6)
    inside = ((coords >= 0) & (coords < EXTENT)).all(axis=1)
    cells = np.floor(coords[inside] / CLUSTER_CELL).astype(np.int64)
    return inside, cells[:, 1] * CLUSTER_GRID + cells[:, 0]


def _majority(column: Column, owner: np.ndarray, cells: int) -> np.ndarray:
    """Per cell, the code of ``column``'s most frequent value among the cell's members (``owner``:
    each member's cell); ties go to the smallest value; -1 where no member has one."""
    out = np.full(cells, -1, dtype=np.int64)
    used = column.codes >= 0
    if not used.any():
        return out
    rank = np.empty(len(column.values), dtype=np.int64)  # codes in value order
    rank[sorted(range(len(column.values)), key=lambda i: _key(column.values[i]))] = np.arange(len(column.values))
    pairs, tally = np.unique(np.stack((owner[used], rank[column.codes[used]]), axis=1), axis=0, return_counts=True)
    order = np.lexsort((pairs[:, 1], -tally, pairs[:, 0]))  # by cell, most frequent, smallest value
    first = order[np.r_[True, pairs[order[1:], 0] != pairs[order[:-1], 0]]]
    by_rank = np.argsort(rank)
    out[pairs[first, 0]] = by_rank[pairs[first, 1]]
    return out


def encode_cluster_tile(layer: str, z: int, x: int, y: int, geometries, columns: Mapping[str, Column]) -> bytes | None:
    """The clustered MVT of tile ``z/x/y`` from the features meeting it (any order), or None when
    they are not all points (the caller serves the raw tile).  Cells in row-major order."""
    geometries = np.asarray(geometries, dtype=object)
    if geometries.size == 0:
        return b""
    if (shapely.get_type_id(geometries) != 0).any():
        return None
    coords = _to_tile(shapely.get_coordinates(geometries), z, x, y)
    inside, cells = cluster_cells(coords)
    if not inside.any():
        return b""
    members = np.flatnonzero(inside)
    occupied, owner, counts = np.unique(cells, return_inverse=True, return_counts=True)
    n = occupied.size
    mean = np.stack(
        (np.bincount(owner, coords[members, 0], n) / counts, np.bincount(owner, coords[members, 1], n) / counts), axis=1
    )
    single = counts == 1
    lone = np.full(n, -1, dtype=np.int64)
    lone[owner[single[owner]]] = members[single[owner]]
    out: dict[str, Column] = {"count": factorize(counts.tolist())}
    for name, column in columns.items():
        codes = np.where(single, column.codes[np.maximum(lone, 0)], -1)
        if name in CLUSTER_MAJORITY:
            many = _majority(column.take(members), owner, n)
            codes = np.where(single, codes, many)
        out[name] = Column(codes.astype(np.int32), column.values, column.encoded)
    geometry, geometry_counts, types = _point_geometry(mean)
    return _assemble(layer, np.arange(n), geometry, geometry_counts, types, out)


def parse_cluster(args) -> bool:
    """Whether a tile request asks for clusters: ``cluster`` absent, or once with a value of CLUSTER_VALUES."""
    given = args.getlist(CLUSTER_PARAM)
    if not given:
        return False
    if len(given) > 1 or given[0] not in CLUSTER_VALUES:
        raise InvalidParameter(f"{CLUSTER_PARAM}={given[0]!r}: give it once, as {' or '.join(CLUSTER_VALUES)}")
    return True


# --- the route -----------------------------------------------------------------------------

FILTER_PARAMS = ("filter", "filter-lang", "filter-crs", "datetime")


def tile_params(tables: queryables.Tables = queryables.TABLES) -> tuple[str, ...]:
    """What a tile URL takes: every queryable of the OGC API items and the map, CQL2, and datetime."""
    return FILTER_PARAMS + tuple(q.name for q in tables.queryables)


def parse_tile(z: str, x: str, y: str) -> tuple[int, int, int]:
    """``z/x/y`` as whole numbers: z from MIN_ZOOM to MAX_ZOOM, x and y from 0 to 2**z - 1."""
    for name, value in (("z", z), ("x", x), ("y", y)):
        if len(value) > 1 and value.startswith("0"):  # one spelling per tile, so one cache entry
            raise InvalidParameter(f"{name}={value!r}: write tile numbers without leading zeros")
    zoom = queryables.parse_number("z", z, MIN_ZOOM, MAX_ZOOM, whole=True)
    last = (1 << zoom) - 1
    return (
        zoom,
        queryables.parse_number("x", x, 0, last, whole=True, what=f"a whole number (tiles at z{zoom})"),
        queryables.parse_number("y", y, 0, last, whole=True, what=f"a whole number (tiles at z{zoom})"),
    )


def parse_tile_filters(layer: str, args: Mapping, tables: queryables.Tables = queryables.TABLES):
    """``(Filters, CQL2 filter or None)`` of a tile request, by the items endpoint's own parsers."""
    from webapp.ogcapi import core

    params.reject_unknown(args, tile_params(tables))
    core.parse_datetime(params.single(args, "datetime"))  # validated; the records carry no time (as items)
    where = filtering.parse_filter(
        params.single(args, "filter"),
        params.single(args, "filter-lang"),
        params.single(args, "filter-crs"),
        core.filter_queryables(layer, tables),
    )
    return queryables.parse_filters(args, tables, strict=False), where


@bp.get("/tiles/<layer>/<z>/<x>/<y>.mvt")
def tile(layer: str, z: str, x: str, y: str):
    provider: FeatureProvider = current_app.extensions["gba_provider"]
    if layer not in provider.layers():
        raise NotFound(f"no layer {layer!r}; layers: {', '.join(provider.layers())}")
    zoom, column, row = parse_tile(z, x, y)
    args = request.args.copy()
    clustered = parse_cluster(args)
    args.poplist(CLUSTER_PARAM)
    filters, where = parse_tile_filters(layer, args, current_app.extensions["gba_tables"])
    etag = make_etag(
        "tile", provider.version(), TILE_PROPERTIES, EXTENT, BUFFER, CLUSTER_GRID, request.path, request.query_string
    )
    cached = not_modified(etag)
    if cached is not None:
        cached.headers["Cache-Control"] = CACHE_CONTROL
        return cached

    def make() -> bytes:
        body = None
        if clustered and zoom < CLUSTER_MAX_ZOOM:
            body = provider.cluster_tile(layer, zoom, column, row, TILE_PROPERTIES, filters=filters, where=where)
        if body is None:
            body = provider.tile(layer, zoom, column, row, TILE_PROPERTIES, filters=filters, where=where)
        return body

    cache: TileCache = current_app.extensions["gba_tile_cache"]
    key = tile_key(layer, zoom, column, row, clustered, args.items(multi=True))
    made = None
    if not args and (not clustered or zoom >= CLUSTER_MAX_ZOOM):
        # A heavy tile the loader made: from the worker cache, else read, never made or stored again.
        made = cache.made(provider, key, lambda: provider.made_tile(layer, zoom, column, row))
    if made is not None:
        response = encoded_response(
            lambda: made, lambda: cache.made(provider, key, lambda: made, inflated=True), MEDIA_TYPE
        )
    elif cache.enabled:
        response = encoded_response(
            lambda: cache.tile(provider, key, make), lambda: cache.tile(provider, key, make, inflated=True), MEDIA_TYPE
        )
    else:
        response = Response(make(), mimetype=MEDIA_TYPE)
    # Gzip bytes are not the identity body's: a weak ETag, as webapp.http gives its own gzip answers.
    response.set_etag(etag, weak="Content-Encoding" in response.headers)
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


def encoded_response(gzipped: Callable[[], bytes], inflated: Callable[[], bytes], mimetype: str) -> Response:
    """A 200 of a tile kept as gzip bytes (the tile cache's, or one made at load): ``gzipped()`` as
    it is (``Content-Encoding: gzip``) to a client that takes gzip, ``inflated()`` (the tile itself)
    to one that does not, or when it is too small to be worth it, as ``webapp.http`` decides for
    every other answer (which also answers a client refusing both with a 406)."""
    accepted = request.accept_encodings
    if content_coding(accepted) == "gzip":
        body = gzipped()
        size = int.from_bytes(body[-4:], "little")  # gzip's trailer: the inflated length (mod 2**32)
        if content_coding(accepted, worth_compressing=size >= GZIP_MIN_BYTES) == "gzip":
            response = Response(body, mimetype=mimetype)
            response.headers["Content-Encoding"] = "gzip"
            response.vary.add("Accept-Encoding")
            return response
    return Response(inflated(), mimetype=mimetype)


# --- PMTiles -------------------------------------------------------------------------------


def _tiles_meeting(bounds: np.ndarray, z: int) -> np.ndarray:
    """The (x, y) of the tiles at ``z`` whose buffered envelope meets one of the boxes (n×4 lon/lat)."""
    if not len(bounds):
        return np.empty((0, 2), dtype=np.int64)
    n = 1 << z
    corners = np.concatenate((bounds[:, :2], bounds[:, 2:]))
    pixels = _to_tile(corners, 0, 0, 0) / EXTENT * n  # world tile units at z, y down
    low, high = pixels[: len(bounds)], pixels[len(bounds) :]
    margin = BUFFER / EXTENT
    x0 = np.clip(np.floor(low[:, 0] - margin), 0, n - 1).astype(np.int64)
    x1 = np.clip(np.floor(high[:, 0] + margin), 0, n - 1).astype(np.int64)
    y0 = np.clip(np.floor(high[:, 1] - margin), 0, n - 1).astype(np.int64)  # north edge (high latitude)
    y1 = np.clip(np.floor(low[:, 1] + margin), 0, n - 1).astype(np.int64)
    # Most features sit in one tile, or by its edge in two or four: those corners, all at once;
    # the rest (a long line or a big zone at a deep zoom) tile by tile.
    small = (x1 - x0 <= 1) & (y1 - y0 <= 1)
    parts = [np.stack((xs[small], ys[small]), axis=1) for xs in (x0, x1) for ys in (y0, y1)]
    parts += [
        np.stack(np.meshgrid(np.arange(a, b + 1), np.arange(c, d + 1)), axis=-1).reshape(-1, 2)
        for a, b, c, d in zip(x0[~small].tolist(), x1[~small].tolist(), y0[~small].tolist(), y1[~small].tolist())
    ]
    found = np.concatenate(parts)
    return np.unique(found, axis=0)


def write_pmtiles(
    provider: FeatureProvider,
    layer: str,
    path: str | Path,
    max_zoom: int,
    progress: Callable[[int, int], None] | None = None,
    filters: Filters | None = None,
    where=None,
    min_zoom: int = 0,
) -> int:
    """Write ``layer`` as a PMTiles v3 archive at ``path``: zooms ``min_zoom``..``max_zoom``, each tile
    gzip-compressed and byte for byte the route's answer for the same filters; returns the number of
    tiles written.

    Only tiles holding a feature are stored (a reader answers the others as missing: no features),
    except the ``min_zoom`` tile(s) over the layer, always written so the archive is never empty.
    ``progress(done, total)`` is called after each tile.  The metadata names the layer and its
    fields (``vector_layers``, as tippecanoe writes it) and ``attribution``.
    """
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer

    if not MIN_ZOOM <= min_zoom <= max_zoom <= MAX_ZOOM:
        raise ValueError(f"zooms {min_zoom}..{max_zoom}: expected {MIN_ZOOM} <= min_zoom <= max_zoom <= {MAX_ZOOM}")
    geometries, _ = provider.tile_features(layer, None, filters, where, ())
    bounds = shapely.bounds(geometries) if len(geometries) else np.empty((0, 4))
    wanted = []
    for z in range(min_zoom, max_zoom + 1):
        found = _tiles_meeting(bounds, z)
        if z == min_zoom and not len(found):
            found = np.zeros((1, 2), dtype=np.int64)
        wanted.extend((zxy_to_tileid(z, tx, ty), z, tx, ty) for tx, ty in found.tolist())
    wanted.sort()
    info = provider.layer_info(layer)
    extent = info["extent"] or [-180.0, -85.0, 180.0, 85.0]
    written = 0
    with open(path, "wb") as out:
        writer = Writer(out)
        for done, (tile_id, z, tx, ty) in enumerate(wanted, 1):
            body = provider.tile(layer, z, tx, ty, TILE_PROPERTIES, filters=filters, where=where)
            if body or z == min_zoom:
                writer.write_tile(tile_id, gzip.compress(body, compresslevel=6, mtime=0))
                written += 1
            if progress is not None:
                progress(done, len(wanted))
        header = {
            "tile_type": TileType.MVT,
            "tile_compression": Compression.GZIP,
            "min_lon_e7": int(extent[0] * 1e7),
            "min_lat_e7": int(extent[1] * 1e7),
            "max_lon_e7": int(extent[2] * 1e7),
            "max_lat_e7": int(extent[3] * 1e7),
            "center_zoom": min_zoom,
            "center_lon_e7": int((extent[0] + extent[2]) / 2 * 1e7),
            "center_lat_e7": int((extent[1] + extent[3]) / 2 * 1e7),
        }
        metadata = {
            "name": layer,
            "format": "pbf",
            "vector_layers": [
                {
                    "id": layer,
                    "fields": dict(TILE_FIELDS),
                    "minzoom": min_zoom,
                    "maxzoom": max_zoom,
                }
            ],
        }
        writer.finalize(header, metadata)
    return written
