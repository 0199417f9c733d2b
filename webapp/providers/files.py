"""The default provider: the built GeoJSON files, loaded once at start-up.

Each feature is serialised once, ahead of time; a spatial index (shapely's
STRtree) answers bbox look-ups and per-value index arrays answer the equality
filters, so a request is an index look-up plus byte assembly, with no GeoJSON
parsing or re-serialising.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import orjson
import shapely
from shapely.geometry import shape
from shapely.strtree import STRtree

from geo.schema import LAYERS, LINK_LAYER
from webapp.providers.base import FeatureProvider, Filters, Page, ProviderConfigError


class _Layer:
    def __init__(self, name: str, collection: dict, raw: bytes):
        features = sorted(collection.get("features") or [], key=lambda f: str(f["properties"]["id"]))
        self.name = name
        self.features = features
        self.ids = [str(f["properties"]["id"]) for f in features]
        self.index_of = {fid: i for i, fid in enumerate(self.ids)}
        self.blobs = [orjson.dumps(f) for f in features]
        geometries = [shape(f["geometry"]) for f in features]
        self.tree = STRtree(geometries) if geometries else None
        self.count = len(features)
        if geometries:
            minx, miny, maxx, maxy = shapely.total_bounds(geometries)
            self.extent = [float(minx), float(miny), float(maxx), float(maxy)]
        else:
            self.extent = None
        self.etag = hashlib.sha256(raw).hexdigest()[:16]
        self.property_names = sorted({key for f in features for key in f["properties"]})
        # value -> sorted index array, for each filterable property
        self.by_value: dict[str, dict[object, np.ndarray]] = {}
        for prop in ("category", "status", "link_type", "cross_border"):
            self.by_value[prop] = _group(features, lambda p, prop=prop: [p.get(prop)])
        if name == LINK_LAYER:
            self.by_value["jurisdiction"] = _group(
                features, lambda p: [p.get("from_jurisdiction"), p.get("to_jurisdiction")]
            )
        else:
            self.by_value["jurisdiction"] = _group(
                features, lambda p: list(p.get("jurisdictions") or [p.get("jurisdiction")])
            )
        self.all = np.arange(self.count, dtype=np.int64)


def _group(features, values_of) -> dict[object, np.ndarray]:
    groups: dict[object, list[int]] = {}
    for index, feature in enumerate(features):
        for value in dict.fromkeys(values_of(feature["properties"])):
            if value is not None:
                groups.setdefault(value, []).append(index)
    return {value: np.array(indices, dtype=np.int64) for value, indices in groups.items()}


class FileProvider(FeatureProvider):
    """Serve ``<data_dir>/geojson/<layer>.geojson`` for every layer found there."""

    def __init__(self, data_dir: str | Path, layers: tuple[str, ...] = LAYERS):
        directory = Path(data_dir) / "geojson"
        if not directory.is_dir():
            raise ProviderConfigError(f"{directory} does not exist: build the data first (`make data`)")
        self._layers: dict[str, _Layer] = {}
        for layer in layers:
            path = directory / f"{layer}.geojson"
            if not path.exists():
                continue
            raw = path.read_bytes()
            try:
                collection = orjson.loads(raw)
                self._layers[layer] = _Layer(layer, collection, raw)
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
                raise ProviderConfigError(f"{path}: cannot be served ({exc})") from exc
        if not self._layers:
            raise ProviderConfigError(f"{directory} holds no layer file (*.geojson): run `make data`")
        self._version = "-".join(layer.etag for layer in self._layers.values())

    def layers(self) -> list[str]:
        return list(self._layers)

    def _layer(self, layer: str) -> _Layer:
        return self._layers[layer]  # callers check membership and answer 404 themselves

    def layer_info(self, layer: str) -> dict:
        data = self._layer(layer)
        return {"count": data.count, "extent": data.extent, "etag": data.etag, "properties": data.property_names}

    def version(self) -> str:
        return self._version

    def _matching(self, data: _Layer, bbox, filters: Filters | None) -> np.ndarray:
        selected: np.ndarray | None = None
        if filters is not None:
            for prop, wanted in (
                ("category", filters.category),
                ("jurisdiction", filters.jurisdiction),
                ("status", filters.status),
                ("link_type", filters.link_type),
                ("cross_border", None if filters.cross_border is None else (filters.cross_border,)),
            ):
                if wanted is None:
                    continue
                groups = data.by_value[prop]
                parts = [groups[v] for v in wanted if v in groups]
                hit = np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)
                selected = hit if selected is None else np.intersect1d(selected, hit, assume_unique=True)
        if bbox is not None:
            if data.tree is None:
                return np.empty(0, dtype=np.int64)
            hits = np.sort(data.tree.query(shapely.box(*bbox), predicate="intersects"))
            selected = hits if selected is None else np.intersect1d(selected, hits, assume_unique=True)
        return data.all if selected is None else selected

    def query(self, layer, bbox=None, filters=None, limit=None, offset=0) -> Page:
        data = self._layer(layer)
        indices = self._matching(data, bbox, filters)
        window = indices[offset:] if limit is None else indices[offset : offset + limit]
        return Page(
            layer=layer,
            items=[data.blobs[i] for i in window.tolist()],
            number_matched=int(indices.size),
            offset=offset,
            limit=limit,
            ids=[data.ids[i] for i in window.tolist()],
        )

    def jurisdictions(self, layer):
        return {str(j) for j in self._layer(layer).by_value["jurisdiction"]}

    def get(self, layer, feature_id):
        data = self._layer(layer)
        index = data.index_of.get(feature_id)
        return None if index is None else data.blobs[index]

    def feature(self, layer, feature_id):
        data = self._layer(layer)
        index = data.index_of.get(feature_id)
        return None if index is None else data.features[index]

    def find(self, feature_id):
        for name, data in self._layers.items():
            index = data.index_of.get(feature_id)
            if index is not None:
                return name, data.features[index]
        return None
