"""The default provider: the built GeoJSON files, loaded once at start-up.

The files are read as one dataset (``geo.dataset``): one consistent version, checked
against its manifest and validated, or the app does not start.

Each feature is serialised once, ahead of time; a spatial index (shapely's
STRtree) answers bbox look-ups and per-value index arrays answer the equality
filters, so a request is an index look-up plus byte assembly, with no GeoJSON
parsing or re-serialising.

Only what requests need stays in memory: the serialised bytes, the geometries
in the index, the ids and the filter indices.  The parsed dicts are dropped
after loading (a 100k-point layer's dicts take about 1 GB; its bytes 150 MB),
and the rare caller that wants a dict (``feature``, ``find``) gets the bytes
parsed again, which orjson does in microseconds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from pathlib import Path

import numpy as np
import orjson
import shapely
from shapely.geometry import shape
from shapely.strtree import STRtree

from geo.dataset import Dataset, load_dataset
from geo.flat import serve_feature
from geo.schema import LAYERS
from webapp import filtering
from webapp.providers.base import FeatureProvider, Filters, Page, ProviderConfigError, bbox_parts


def _values_of(props: dict, properties: tuple[str, ...]) -> list:
    """A record's values for a queryable: each property may hold one value or a list."""
    found = []
    for name in properties:
        value = props.get(name)
        if isinstance(value, list):
            found.extend(value)
        elif value is not None:
            found.append(value)
    return found


def _year(value) -> float:
    # bool is an int in Python, but never a year
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else np.nan


class _YearIndex:
    """ "As of" look-ups on one property: the undated records, and the dated ones sorted by year."""

    def __init__(self, years: np.ndarray):
        dated = ~np.isnan(years)
        self.undated = np.flatnonzero(~dated)
        order = np.flatnonzero(dated)
        order = order[np.argsort(years[order], kind="stable")]
        self.sorted_indices = order
        self.sorted_years = years[order]

    def as_of(self, year: int) -> np.ndarray:
        stop = int(np.searchsorted(self.sorted_years, year, side="right"))
        return np.concatenate((self.undated, self.sorted_indices[:stop]))


class _Layer:
    """One layer, indexed: features are addressed by their position in id order.

    It is also the ``filtering.Columns`` of its CQL2 filters: a numpy column per queryable
    (``filtering.queryables_for``) and the spatial index.
    """

    def __init__(self, name: str, features: list[dict], etag: str, queryables: tuple):
        """Index ``features`` by every queryable (the list is emptied: the layer keeps bytes, not dicts)."""
        features.sort(key=lambda f: str(f["properties"]["id"]))
        self.name = name
        # Held in numpy until the dicts are gone: a str taken from a parsed dict
        # would pin the dict's whole memory arena (see ``_compact_blobs``).
        ids = np.array([str(f["properties"]["id"]) for f in features], dtype=str)
        self.count = len(features)
        self.etag = etag
        # value -> sorted index array for each enum or boolean queryable; "as of" indexes for years
        self.by_value: dict[str, dict[object, np.ndarray]] = {}
        self.by_year: dict[str, _YearIndex] = {}
        for q in queryables:
            if q.kind == "year":
                years = np.array([_year(f["properties"].get(q.properties[0])) for f in features], dtype=float)
                self.by_year[q.name] = _YearIndex(years)
            else:
                self.by_value[q.name] = _group(features, lambda p, props=q.properties: _values_of(p, props))
        # The timeline's span: every year and target year the layer names.
        span = [
            y
            for f in features
            for y in (_year(f["properties"].get("year")), _year(f["properties"].get("target_year")))
            if not np.isnan(y)
        ]
        self.year_span = (int(min(span)), int(max(span))) if span else None
        geometries = _geometries(features)
        self.tree = STRtree(geometries) if len(geometries) else None
        # For points an envelope test is the exact intersects test, so the tree's
        # envelope query answers alone and GEOS evaluates no predicate per hit.
        self.points_only = bool(len(geometries)) and bool((shapely.get_type_id(geometries) == 0).all())
        if len(geometries):
            minx, miny, maxx, maxy = shapely.total_bounds(geometries)
            self.extent = [float(minx), float(miny), float(maxx), float(maxy)]
        else:
            self.extent = None
        # Served with their flat form (geo.flat): the provenance as scalar columns for table readers.
        blobs = [serve_feature(name, feature) for feature in features]
        self.property_names = sorted({key for f in features for key in f["properties"]})
        # A numpy column per CQL2 queryable, flat provenance columns included (webapp.filtering).
        self.columns = {
            key: filtering.build_column([_values_of(f["properties"], q.properties) for f in features], q.type)
            for key, q in filtering.queryables_for(name, queryables).items()
        }
        # The properties a vector tile carries, as columns (webapp.tiles): a tile takes them by index.
        from webapp import tiles

        self.tile_columns = tiles.columns_of([f["properties"] for f in features], tiles.TILE_PROPERTIES)
        features.clear()
        self.blobs = _compact_blobs(blobs)
        self.ids: list[str] = ids.tolist()
        self.index_of = {fid: i for i, fid in enumerate(self.ids)}

    def column(self, name: str) -> filtering.Column:
        if name not in self.columns:  # a queryable these records lack: no values
            self.columns[name] = filtering.build_column([[]] * self.count, filtering.STRING)
        return self.columns[name]

    def spatial_rows(self, geometry, predicate: str) -> np.ndarray:
        if self.tree is None:
            return np.empty(0, dtype=np.int64)
        if predicate == "equals":  # not an STRtree predicate: test the envelope's candidates
            candidates = self.tree.query(geometry)
            return candidates[shapely.equals(self.tree.geometries[candidates], geometry)]
        return self.tree.query(geometry, predicate=predicate)


def _geometries(features: list[dict]) -> np.ndarray:
    """Shapely geometries in feature order; all-point layers are built in one vectorised call."""
    geometries = [f["geometry"] for f in features]
    if geometries and all(g["type"] == "Point" for g in geometries):
        return shapely.points(np.array([g["coordinates"][:2] for g in geometries], dtype=float))
    return np.array([shape(g) for g in geometries], dtype=object)


def _compact_blobs(blobs: list[bytes]) -> list[bytes]:
    """The same bytes, re-allocated side by side (call it once the parsed dicts are freed).

    orjson allocates each result with room to spare and then shrinks it, and the
    parsed dicts sit in between: after loading, the C heap is mostly holes that
    no page can be returned from, and a 100k layer kept ~1.4 GB resident for
    150 MB of features.  Copying the bytes into one buffer, freeing the originals
    and slicing them out again packs them into the emptied heap; ``malloc_trim``
    then returns the free pages.  The list is emptied.
    """
    ends = np.cumsum([len(b) for b in blobs], dtype=np.int64)
    packed = b"".join(blobs)
    blobs.clear()
    starts = np.concatenate(([0], ends[:-1])) if len(ends) else ends
    compact = [packed[start:end] for start, end in zip(starts.tolist(), ends.tolist())]
    del packed
    _release_free_memory()
    return compact


def _release_free_memory() -> None:
    """Ask glibc to return freed heap pages to the system (a no-op elsewhere)."""
    name = ctypes.util.find_library("c")
    if not name:
        return
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


def _intersecting(data: _Layer, box) -> np.ndarray:
    """Indices of the features of ``data`` intersecting ``box`` (minLon at most maxLon), in any order."""
    rectangle = shapely.box(*box)
    return data.tree.query(rectangle) if data.points_only else data.tree.query(rectangle, predicate="intersects")


def _first_sorted(indices: np.ndarray, stop: int | None) -> np.ndarray:
    """The ``stop`` smallest indices, sorted (all of them when ``stop`` is None).

    A page needs only the first ``offset + limit`` matches in id order: selecting
    them with a partition and sorting those is linear, where sorting every hit of
    a city-wide box (tens of thousands at 100k points) is not.
    """
    if stop is not None and stop < indices.size:
        if stop <= 0:
            return indices[:0]
        indices = np.partition(indices, stop - 1)[:stop]
    return np.sort(indices)


def _group(features, values_of) -> dict[object, np.ndarray]:
    groups: dict[object, list[int]] = {}
    for index, feature in enumerate(features):
        for value in dict.fromkeys(values_of(feature["properties"])):
            if value is not None:
                groups.setdefault(value, []).append(index)
    return {value: np.array(indices, dtype=np.int64) for value, indices in groups.items()}


class FileProvider(FeatureProvider):
    """Serve ``<data_dir>/geojson/<layer>.geojson`` for every layer found there."""

    def __init__(
        self,
        data_dir: str | Path,
        layers: tuple[str, ...] = LAYERS,
        queryables: tuple | None = None,
        dataset: Dataset | None = None,
    ):
        """Index the layers of ``dataset`` (read and validated from ``data_dir/geojson`` when not given).

        The dataset's parsed collections are consumed: their feature lists are emptied.
        """
        if queryables is None:
            from webapp.queryables import QUERYABLES as queryables
        if dataset is None:
            dataset = load_dataset(Path(data_dir) / "geojson")
        self._layers: dict[str, _Layer] = {}
        for layer, path in dataset.layer_files().items():
            if layer not in layers:
                continue
            # Only ``features`` may hold the parsed list, so that emptying it frees the dicts.
            features = dataset.collections.pop(layer).get("features")
            etag = dataset.sha256(path)[:16]
            try:
                self._layers[layer] = _Layer(layer, features, etag, queryables)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise ProviderConfigError(f"{dataset.directory / path}: cannot be served ({exc})") from exc
        if not self._layers:
            raise ProviderConfigError(f"{dataset.directory} holds no layer file (*.geojson): run `make data`")
        self._version = dataset.version
        self._context = dataset.context_layers()
        spans = [layer.year_span for layer in self._layers.values() if layer.year_span is not None]
        self._year_span = (min(s[0] for s in spans), max(s[1] for s in spans)) if spans else None

    def layers(self) -> list[str]:
        return list(self._layers)

    def _layer(self, layer: str) -> _Layer:
        return self._layers[layer]  # callers check membership and answer 404 themselves

    def layer_info(self, layer: str) -> dict:
        data = self._layer(layer)
        return {"count": data.count, "extent": data.extent, "etag": data.etag, "properties": data.property_names}

    def version(self) -> str:
        return self._version

    def context(self) -> dict[str, tuple[bytes, str]]:
        return self._context

    def _matching(self, data: _Layer, bbox, filters: Filters | None, where=None) -> np.ndarray | None:
        """Indices of the matching features in any order, or None for "all of them"."""
        selected: np.ndarray | None = None
        for name, wanted in filters.terms if filters is not None else ():
            if name in data.by_year:
                hit = data.by_year[name].as_of(wanted[0])
            else:
                # A queryable this provider was not built with matches nothing (the route checks names).
                groups = data.by_value.get(name, {})
                parts = [groups[v] for v in wanted if v in groups]
                hit = np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)
            selected = hit if selected is None else np.intersect1d(selected, hit, assume_unique=True)
        if bbox is not None:
            if data.tree is None:
                return np.empty(0, dtype=np.int64)
            parts = [_intersecting(data, part) for part in bbox_parts(bbox)]
            # Across the antimeridian a feature may touch both halves: it is counted once.
            hits = parts[0] if len(parts) == 1 else np.union1d(*parts)
            selected = hits if selected is None else np.intersect1d(selected, hits, assume_unique=True)
        if where is not None:
            mask = where.mask(data)
            selected = np.flatnonzero(mask) if selected is None else selected[mask[selected]]
        return selected

    def query(self, layer, bbox=None, filters=None, limit=None, offset=0, where=None, sortby=()) -> Page:
        data = self._layer(layer)
        indices = self._matching(data, bbox, filters, where)
        stop = None if limit is None else offset + limit
        if sortby:
            indices = np.arange(data.count) if indices is None else indices
            # lexsort: the last key sorts first; the index (id order) breaks every tie.
            keys = [indices] + [data.column(name).sort_rank(descending)[indices] for name, descending in sortby[::-1]]
            window = indices[np.lexsort(keys)][offset:stop].tolist()
        elif indices is None:
            # The whole layer: slicing the lists copies pointers, not bytes.
            return Page(
                layer=layer,
                items=data.blobs[offset:stop],
                number_matched=data.count,
                offset=offset,
                limit=limit,
                ids=data.ids[offset:stop],
            )
        else:
            window = _first_sorted(indices, stop)[offset:].tolist()
        blobs, ids = data.blobs, data.ids
        return Page(
            layer=layer,
            items=[blobs[i] for i in window],
            number_matched=int(indices.size),
            offset=offset,
            limit=limit,
            ids=[ids[i] for i in window],
        )

    def tile_features(self, layer, bbox, filters, where, properties):
        from webapp import tiles

        data = self._layer(layer)
        if data.tree is None:
            return np.empty(0, dtype=object), {name: tiles.Column(np.empty(0, np.int32), []) for name in properties}
        indices = self._matching(data, bbox, filters, where)
        indices = np.arange(data.count) if indices is None else np.sort(indices)
        missing = [name for name in properties if name not in data.tile_columns]
        # A property outside tiles.TILE_PROPERTIES is read from the features themselves.
        extra = (
            tiles.columns_of([orjson.loads(data.blobs[i])["properties"] for i in indices], missing) if missing else {}
        )
        columns = {
            name: data.tile_columns[name].take(indices) if name in data.tile_columns else extra[name]
            for name in properties
        }
        return data.tree.geometries[indices], columns

    def values(self, layer, queryable):
        return set(self._layer(layer).by_value.get(queryable, {}))

    def year_span(self):
        return self._year_span

    def get(self, layer, feature_id):
        data = self._layer(layer)
        index = data.index_of.get(feature_id)
        return None if index is None else data.blobs[index]

    def feature(self, layer, feature_id):
        blob = self.get(layer, feature_id)
        return None if blob is None else orjson.loads(blob)

    def find(self, feature_id):
        for name, data in self._layers.items():
            index = data.index_of.get(feature_id)
            if index is not None:
                return name, orjson.loads(data.blobs[index])
        return None
