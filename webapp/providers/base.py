"""The small interface every feature provider implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

Bbox = tuple[float, float, float, float]


def bbox_parts(bbox: Bbox) -> tuple[Bbox, ...]:
    """``bbox`` as boxes whose minLon is at most their maxLon: the box itself, or, for a box
    across the antimeridian (minLon > maxLon, as OGC API – Features Part 1 §7.15.3 and
    RFC 7946 §5.2 define it), its part east of it up to 180° and its part west from -180°.

    A feature intersects the box when it intersects one of the parts.
    """
    min_lon, min_lat, max_lon, max_lat = bbox
    if min_lon <= max_lon:
        return (bbox,)
    return ((min_lon, min_lat, 180.0, max_lat), (-180.0, min_lat, max_lon, max_lat))


def bbox_unwrapped(bbox: Bbox) -> Bbox:
    """``bbox`` with a maxLon past 180° when it crosses the antimeridian (177,65,-177,70 →
    177,65,183,70): one continuous box, as a map frames it (Leaflet's fitBounds, Web Mercator)."""
    min_lon, min_lat, max_lon, max_lat = bbox
    return (min_lon, min_lat, max_lon + 360.0, max_lat) if min_lon > max_lon else bbox


class ProviderConfigError(RuntimeError):
    """The provider cannot start (missing data directory, unreadable layer): a setup problem."""


@dataclass(frozen=True)
class Filters:
    """The queryables of a request: ``(name, wanted values)`` pairs, in the table's order.

    A record matches a term when one of the queryable's properties holds one of the
    wanted values (a ``year`` term: when its year is that year or earlier, or it has
    none); a record lacking the properties never matches; terms combine with AND.
    Which properties each name reads, and its kind, are in ``webapp.queryables``.
    """

    terms: tuple[tuple[str, tuple], ...] = ()

    @classmethod
    def of(cls, **wanted) -> Filters:
        """``Filters.of(status=("operating",), cross_border=True)``: a convenience for callers and tests."""
        return cls(tuple((name, tuple(v) if isinstance(v, list | tuple) else (v,)) for name, v in wanted.items()))

    def get(self, name: str) -> tuple | None:
        for term, values in self.terms:
            if term == name:
                return values
        return None

    def key(self) -> tuple:
        return self.terms


@dataclass
class Page:
    """One page of a query: the matching features' pre-serialised JSON and the counts."""

    layer: str
    items: list[bytes]
    number_matched: int
    offset: int
    limit: int | None
    ids: list[str] = field(default_factory=list)

    @property
    def number_returned(self) -> int:
        return len(self.items)


class FeatureProvider(ABC):
    """Read-only access to layers of GeoJSON features."""

    # Whether the app builds the search index at start (else on the first search: a big database).
    build_search_at_start = True
    # Whether ``stream`` fetches in chunks (big downloads are then streamed, not assembled whole).
    streams = False

    @abstractmethod
    def layers(self) -> list[str]:
        """The layer names this provider serves, in display order."""

    @abstractmethod
    def layer_info(self, layer: str) -> dict:
        """``{"count", "extent" [minx, miny, maxx, maxy], "etag", "properties"}`` of a layer."""

    @abstractmethod
    def query(
        self,
        layer: str,
        bbox: Bbox | None = None,
        filters: Filters | None = None,
        limit: int | None = None,
        offset: int = 0,
        where=None,
        sortby: tuple[tuple[str, bool], ...] = (),
    ) -> Page:
        """Features of ``layer`` intersecting ``bbox`` and matching ``filters`` and ``where``, in id order
        or by ``sortby``.

        A ``bbox`` whose minLon is above its maxLon crosses the antimeridian (``bbox_parts``).
        ``where`` is a CQL2 filter (``webapp.filtering.Filter``): its ``mask`` is evaluated on the
        layer's ``filtering.Columns``. ``sortby`` is ``(queryable, descending)`` pairs; records
        without a value sort last, and id order breaks ties.
        """

    @abstractmethod
    def get(self, layer: str, feature_id: str) -> bytes | None:
        """One feature's serialised JSON, or None when ``layer`` has no such id."""

    @abstractmethod
    def feature(self, layer: str, feature_id: str) -> dict | None:
        """One feature as a dict (for HTML pages), or None."""

    @abstractmethod
    def find(self, feature_id: str) -> tuple[str, dict] | None:
        """(layer, feature) for an id in any layer, or None."""

    @abstractmethod
    def values(self, layer: str, queryable: str) -> set:
        """Every value of a queryable found in the layer's records (e.g. the jurisdictions named)."""

    def search(self, query: str, limit: int):
        """``webapp.search.Found`` for ``/api/search``, when the provider searches itself (postgis:
        in SQL, with the same answers); None: the app's in-memory ``SearchIndex`` answers."""
        return None

    @abstractmethod
    def year_span(self) -> tuple[int, int] | None:
        """(earliest ``year``, latest ``year`` or ``target_year``) over every layer: the timeline's span."""

    def tile(
        self,
        layer: str,
        z: int,
        x: int,
        y: int,
        properties: tuple[str, ...],
        filters: Filters | None = None,
        where=None,
    ) -> bytes:
        """The Mapbox Vector Tile of Web Mercator tile ``z/x/y`` (XYZ, y down): every feature of
        ``layer`` matching ``filters`` and ``where`` that meets the tile (never capped), with the
        named ``properties``, in one MVT layer named ``layer`` (extent and buffer from
        ``webapp.tiles``).  Providers with a tile engine (PostGIS's ``ST_AsMVT``) override this;
        the default encodes what ``tile_features`` selects (see ``webapp.tiles``)."""
        from webapp import tiles

        geometries, columns = self.tile_features(layer, tiles.tile_bbox(z, x, y), filters, where, properties)
        return tiles.encode_tile(layer, z, x, y, geometries, columns)

    def cluster_tile(
        self,
        layer: str,
        z: int,
        x: int,
        y: int,
        properties: tuple[str, ...],
        filters: Filters | None = None,
        where=None,
    ) -> bytes | None:
        """The clustered MVT of tile ``z/x/y`` (``webapp.tiles.encode_cluster_tile``: one feature per
        occupied grid cell with its ``count``), or None when ``layer`` is not all points there."""
        from webapp import tiles

        # A tile unit of margin: the box's edges come back from Mercator a few ulps off, and a point on
        # the west edge (inside the tile) must not fall out; the encoder keeps the points inside.
        bbox = tiles.tile_bbox(z, x, y, buffer=1)
        geometries, columns = self.tile_features(layer, bbox, filters, where, properties)
        return tiles.encode_cluster_tile(layer, z, x, y, geometries, columns)

    def tile_features(self, layer: str, bbox: Bbox | None, filters: Filters | None, where, properties: tuple[str, ...]):
        """``(geometries, columns)`` for the default ``tile``: the shapely geometries (longitude/latitude)
        of the features of ``layer`` meeting ``bbox`` (None: all) and matching ``filters`` and ``where``,
        in id order, and a ``webapp.tiles.Column`` of each of ``properties`` over them.

        This default parses the answer of ``query``; a provider holding its features indexed
        (the files provider) overrides it with array look-ups."""
        import orjson
        import shapely

        from webapp import tiles

        page = self.query(layer, bbox=bbox, filters=filters, where=where)
        features = [orjson.loads(blob) for blob in page.items]
        geometries = shapely.from_geojson([orjson.dumps(f["geometry"]) for f in features]) if features else []
        return geometries, tiles.columns_of([f["properties"] for f in features], properties)

    def made_tile(self, layer: str, z: int, x: int, y: int) -> bytes | None:
        """The raw tile ``z/x/y`` of ``layer`` without filters, with ``webapp.tiles.TILE_PROPERTIES``,
        made ahead (at load time) and stored: its gzip bytes, the very bytes ``webapp.tile_cache``
        would keep for it; None when it was not made ahead (it is made on request).  None here."""
        return None

    def stored_tile(self, version: str, key: str) -> bytes | None:
        """A made tile (gzip bytes) that ``store_tile`` kept for ``version`` under ``key``, from a store
        every app instance shares (``webapp.tile_cache``); None when absent, or without such a store."""
        return None

    def store_tile(self, version: str, key: str, body: bytes, max_bytes: int) -> None:
        """Keep a made tile for ``version`` in the shared store, within ``max_bytes`` in all; here there
        is none, so the tile is not kept (the worker cache still keeps it)."""
        return None

    def version(self) -> str:
        """A short string that changes whenever any layer's content changes (for ETags)."""
        return "-".join(self.layer_info(layer)["etag"] for layer in self.layers())

    def context(self) -> dict[str, tuple[bytes, str]]:
        """The display-only context collections of the served version (jurisdiction outlines):
        name -> (GeoJSON bytes, ETag).  None here."""
        return {}

    def stream(self, layer: str, bbox: Bbox | None = None, filters: Filters | None = None, where=None):
        """Every matching feature's bytes in id order, as an iterator: providers that can fetch in
        chunks (a database cursor) override this so a whole layer passes in bounded memory."""
        yield from self.query(layer, bbox=bbox, filters=filters, where=where).items
