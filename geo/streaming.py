"""The built dataset read for ``geo load`` one feature at a time: memory bounded by a chunk, not the data.

``geo.dataset.load_dataset`` parses every layer into dicts before anything is written (21.9 GB of
RSS for a million points).  The loader reads instead:

1. every file the manifest lists, hashed in 1 MB chunks (size and sha256 checked, unlisted files
   refused: ``read_dataset``'s checks), the directory held open so a build swapping it meanwhile
   cannot mix versions;
2. each layer file streamed with ijson (its C backend), feature by feature, each checked with
   ``geo.validate.check_feature`` as ``geo validate`` does; the rules across layers (unique ids,
   link endpoints and their cross_border) need only the ids and endpoint jurisdictions;
3. rows built per ``COPY_CHUNK`` features (``LayerRows`` as ``prepare_layer`` makes them) and
   the ``_meta_layers`` facts (count, extent, years, property names and values) gathered as the
   rows go by.

``ord`` is the position in id order.  The build writes links in id order and the synthetic
bench layers too, so a layer is streamed hoping it is sorted; the first id out of order raises
``Unsorted`` and the caller redoes that layer (in a savepoint) with the order from a first pass
that collects only the ids.

Any problem in the data raises ``Invalid``; the caller rolls back and asks ``load_dataset`` for
the exact one-line error ``geo validate`` would give (the first problem and how many more).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import ijson
import numpy as np
import orjson
import shapely
from shapely.geometry import shape

from geo.dataset import MANIFEST, DatasetError, _feature_count, _listed_files, _parse_manifest, open_directory
from geo.flat import serve_feature
from geo.schema import FEATURE_LAYERS, LAYER_GEOMETRY, LAYERS, LINK_LAYER
from geo.validate import check_feature, is_cross_border

READ_CHUNK = 1 << 20


class Invalid(Exception):
    """The data breaks a rule (``load_dataset`` says which, exactly)."""


class Unsorted(Exception):
    """A layer's features are not in id order: redo it with the order collected first."""


@dataclass
class StreamedDataset:
    """The dataset's directory (held open), manifest, and small files; layers are streamed on demand."""

    directory: Path
    dir_fd: int
    version: str
    manifest: dict
    context: dict[str, tuple[bytes, str]]  # name -> (bytes, ETag), as Dataset.context_layers
    layers: dict[str, str] = field(default_factory=dict)  # layer -> relative path, schema order
    # Across layers: every id seen -> its file, and the jurisdictions of the feature layers' ids.
    seen: dict[str, str] = field(default_factory=dict)
    jurisdictions: dict[str, str] = field(default_factory=dict)

    def close(self) -> None:
        os.close(self.dir_fd)

    def sha256(self, path: str) -> str:
        return self.manifest["files"][path]["sha256"]


def open_dataset(directory: str | Path) -> StreamedDataset:
    """Check every listed file against the manifest (hashed in chunks) and hold the directory open."""
    directory = Path(directory)
    shown = str(directory)
    dir_fd = open_directory(directory)
    try:
        try:
            raw = _read_small(dir_fd, MANIFEST)
        except FileNotFoundError:
            raise DatasetError(f"{shown}/{MANIFEST}", "the manifest is missing: run `python -m geo build`") from None
        manifest = _parse_manifest(f"{shown}/{MANIFEST}", raw)
        context: dict[str, tuple[bytes, str]] = {}
        for path, entry in manifest["files"].items():
            where = f"{shown}/{path}"
            is_context = path.startswith("context/")
            try:
                size, digest, body = _hash_at(dir_fd, path, keep=is_context)
            except FileNotFoundError:
                raise DatasetError(where, "listed in the manifest but missing") from None
            if size != entry["bytes"]:
                what = "truncated" if size < entry["bytes"] else "longer than listed"
                raise DatasetError(where, f"{what}: {size} bytes, the manifest lists {entry['bytes']}")
            if digest != entry["sha256"]:
                raise DatasetError(where, "does not match its sha256 in the manifest (changed after the build)")
            if is_context:
                context[Path(path).stem] = (body, entry["sha256"][:24])
        unlisted = sorted(_listed_files(dir_fd) - set(manifest["files"]))
        if unlisted:
            raise DatasetError(f"{shown}/{unlisted[0]}", "present but not listed in the manifest")
    except BaseException:
        os.close(dir_fd)
        raise
    dataset = StreamedDataset(directory, dir_fd, manifest["version"], manifest, dict(sorted(context.items())))
    dataset.layers = {layer: f"{layer}.geojson" for layer in LAYERS if f"{layer}.geojson" in manifest["files"]}
    # validate_dataset's file-level checks: context files are collections, nothing else is there.
    for name, (body, _etag) in dataset.context.items():
        try:
            _feature_count(f"{shown}/context/{name}.geojson", body)
        except DatasetError:
            dataset.close()
            raise Invalid(f"context/{name}.geojson") from None
    known = {*dataset.layers.values(), *(f"context/{name}.geojson" for name in dataset.context)}
    if set(manifest["files"]) - known:
        dataset.close()
        raise Invalid("a file that is not a layer nor a context file")
    return dataset


def _read_small(dir_fd: int, path: str) -> bytes:
    fd = os.open(path, os.O_RDONLY, dir_fd=dir_fd)
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def _hash_at(dir_fd: int, path: str, keep: bool) -> tuple[int, str, bytes]:
    fd = os.open(path, os.O_RDONLY, dir_fd=dir_fd)
    digest = hashlib.sha256()
    size = 0
    kept = []
    with os.fdopen(fd, "rb") as handle:
        while chunk := handle.read(READ_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if keep:
                kept.append(chunk)
    return size, digest.hexdigest(), b"".join(kept)


def _chunks(dataset: StreamedDataset, path: str) -> Iterator[bytes]:
    fd = os.open(path, os.O_RDONLY, dir_fd=dataset.dir_fd)
    with os.fdopen(fd, "rb") as handle:
        while chunk := handle.read(READ_CHUNK):
            yield chunk


def features(dataset: StreamedDataset, path: str) -> Iterator[dict]:
    """The features of one layer file, parsed one at a time; ``Invalid`` when the file is not a
    FeatureCollection of as many features as the manifest lists, or is not JSON."""
    found = ijson.sendable_list()
    kind = ijson.sendable_list()
    parse = ijson.items_coro(found, "features.item", use_float=True)
    parse_type = ijson.items_coro(kind, "type")
    tail = b""
    has_crs = False
    count = 0
    try:
        for chunk in _chunks(dataset, path):
            has_crs = has_crs or b'"crs"' in tail + chunk[:8]
            has_crs = has_crs or b'"crs"' in chunk
            tail = chunk[-8:]
            parse.send(chunk)
            parse_type.send(chunk)
            for feature in found:
                count += 1
                yield feature
            del found[:]
        parse.close()
        parse_type.close()
    except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError) as exc:
        raise Invalid(f"{path}: not valid JSON ({exc})") from None
    for feature in found:
        count += 1
        yield feature
    if list(kind) != ["FeatureCollection"] or count != dataset.manifest["files"][path]["features"]:
        raise Invalid(f"{path}: not a FeatureCollection of the listed features")
    if has_crs:  # rare: a top-level 'crs' member (RFC 7946 forbids it) needs a look at the top level
        crs = ijson.sendable_list()
        look = ijson.items_coro(crs, "crs")
        for chunk in _chunks(dataset, path):
            look.send(chunk)
        look.close()
        if crs:
            raise Invalid(f"{path}: a 'crs' member")


def layer_ids(dataset: StreamedDataset, path: str) -> list[str]:
    """Only the ids of a layer's features, in file order (for a layer not in id order)."""
    ids = ijson.sendable_list()
    parse = ijson.items_coro(ids, "features.item.properties.id")
    for chunk in _chunks(dataset, path):
        parse.send(chunk)
    parse.close()
    return [str(i) for i in ids]


def checked(dataset: StreamedDataset, layer: str, path: str) -> Iterator[dict]:
    """``features`` with each one checked as ``geo validate`` checks it, with the rules across layers."""
    where = str(dataset.directory / path)
    needs_ends = LINK_LAYER in dataset.layers and all(f in dataset.layers for f in FEATURE_LAYERS)
    link_ends = layer == LINK_LAYER and needs_ends
    for feature in features(dataset, path):
        if check_feature(feature, layer, where):
            raise Invalid(where)
        props = feature["properties"]
        fid = props["id"]
        if fid in dataset.seen:
            raise Invalid(f"{where}: duplicate id {fid}")
        dataset.seen[fid] = where
        if layer != LINK_LAYER:
            if needs_ends:  # only links' endpoints look them up
                dataset.jurisdictions[fid] = props.get("jurisdiction", "")
        elif link_ends:
            ends = [dataset.jurisdictions.get(props.get(key), None) for key in ("from_id", "to_id")]
            if None in ends:
                raise Invalid(f"{where}: a link endpoint that is not a feature")
            if isinstance(props.get("cross_border"), bool) and props["cross_border"] != is_cross_border(*ends):
                raise Invalid(f"{where}: cross_border")
        yield feature


# -- rows --------------------------------------------------------------------


def stream_rows(
    layer: str, source: Iterator[dict], prepared, order: dict[str, int] | None, chunk_size: int, folder=None
):
    """COPY chunks for ``source`` (``prepared`` is a ``geo.load.LayerRows`` filled as they go).

    ``order`` maps id -> ord when the layer is not in id order; without it, ``Unsorted`` is
    raised at the first id out of order.  With a ``geo.load.SearchFolder``, each record's
    ``_search`` row is kept in ``prepared.search_lines`` (written once the layer is copied).
    """
    from geo.load import _copy_text, _Values, _year, mercator

    points = LAYER_GEOMETRY.get(layer) == ("Point",)
    names: set[str] = set()
    values = _Values()
    years: list[int] = []
    bounds = None
    previous = None
    position = 0
    batch: list[dict] = []

    def flush() -> bytes:
        nonlocal bounds
        if points:
            geometries = shapely.points(np.array([f["geometry"]["coordinates"][:2] for f in batch], dtype=float))
        else:
            geometries = np.array([shape(f["geometry"]) for f in batch], dtype=object)
        box = shapely.total_bounds(geometries)
        if bounds is None:
            bounds = [float(c) for c in box]
        else:
            bounds = [min(bounds[0], box[0]), min(bounds[1], box[1]), max(bounds[2], box[2]), max(bounds[3], box[3])]
            bounds = [float(c) for c in bounds]
        wkb = shapely.to_wkb(shapely.set_srid(geometries, 4326), hex=True, include_srid=True)
        wkb_3857 = shapely.to_wkb(shapely.set_srid(mercator(geometries), 3857), hex=True, include_srid=True)
        lines = []
        for index, feature in enumerate(batch):
            blob = serve_feature(layer, feature)
            props = feature["properties"]
            fid = str(props["id"])
            names.update(props)
            values.add(props)
            ord_ = order[fid] if order is not None else start + index
            line = folder.line(layer, ord_, props) if folder is not None else None
            if line is not None:
                prepared.search_lines.append(line)
            lines.append(
                b"%d\t%s\t%s\t%s\t%s\t%s\n"
                % (
                    ord_,
                    _copy_text(fid).encode(),
                    wkb[index].encode(),
                    wkb_3857[index].encode(),
                    orjson.dumps(props).replace(b"\\", b"\\\\"),
                    blob.replace(b"\\", b"\\\\"),
                )
            )
        batch.clear()
        return b"".join(lines)

    start = 0
    for feature in source:
        props = feature["properties"]
        fid = str(props["id"])
        if order is None and previous is not None and fid < previous:
            raise Unsorted(layer)
        previous = fid
        for y in (_year(props.get("year")), _year(props.get("target_year"))):
            if y is not None:
                years.append(y)
        if len(years) > 2:
            years[:] = [min(years), max(years)]
        batch.append(feature)
        position += 1
        if len(batch) >= chunk_size:
            yield flush()
            start = position
    if batch:
        yield flush()
    prepared.count = position
    prepared.extent = bounds
    prepared.points_only = position > 0 and points
    prepared.year_span = [min(years), max(years)] if years else None
    prepared.properties = sorted(names)
    prepared.values = values.result()
