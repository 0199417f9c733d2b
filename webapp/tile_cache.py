"""Made vector tiles kept for reuse, per data version: a bounded LRU in each worker, over a store
that every app instance shares when the provider has one (the postgis provider's ``_tile_cache``).

A tile is kept as the gzip bytes the route sends (``gzip_tile``): a hit goes out as it is to a client
that takes gzip, and is inflated for one that does not, so a cold answer and a warm one are the
same bytes.  The key names the version (a new load is a new key space: the worker cache's old
entries age out, the shared store is dropped with the version's schema), the layer, the tile,
clustered or not (and the cluster grid), and the filter query with its parameters in one order.

Bounds: ``TILE_CACHE_MB`` per worker (0: no worker cache), ``TILE_CACHE_SHARED_MB`` for the shared
store of each version (0: not used); an entry larger than its bound is not kept.  A worker keeps
a tile inflated too once a client that does not take gzip asked for it (in the same bound), so
such a client's hits cost no inflating either.  The worker
cache evicts the least recently used tile; the shared store the oldest added (a hit there costs
one indexed read, and no write).  A tile the loader made (``geo.load_made_tiles``) is kept in the
worker cache only: the database holds it already.
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from urllib.parse import urlencode

from geo.load_clusters import CLUSTER_GRID
from geo.load_tiles import gzip_tile  # the loader's made tiles are kept as the same bytes
from webapp.providers.base import FeatureProvider

INFLATED = "#inflated"  # a worker cache key's suffix for the tile itself (no "#" in a key's query part)
MIB = 1 << 20


def parse_megabytes(name: str, value: object) -> int:
    """A size setting in MiB, a whole number of 0 or more (0 turns the cache off); in bytes."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value * MIB
    text = str(value).strip()
    if not text.isascii() or not text.isdigit():
        raise ValueError(f"{name}={value!r}: expected a whole number of MiB, 0 or more (0 turns this cache off)")
    return int(text) * MIB


def tile_key(layer: str, z: int, x: int, y: int, clustered: bool, args: Iterable[tuple[str, str]]) -> str:
    """The cache key of a tile request: the tile, clustered or not, and its filter parameters sorted
    (``a=1&b=2`` and ``b=2&a=1`` are one entry; each filter its own)."""
    query = urlencode(sorted(args))
    # A clustered tile's key names the grid: a store filled before the grid changed is not read.
    return f"{layer}/{z}/{x}/{y}{f'/cluster{CLUSTER_GRID}' if clustered else ''}?{query}"


class WorkerCache:
    """A least-recently-used map of ``(version, key)`` to gzip bytes, at most ``max_bytes`` of them."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, version: str, key: str) -> bytes | None:
        with self._lock:
            body = self._entries.get((version, key))
            if body is not None:
                self._entries.move_to_end((version, key))
            return body

    def put(self, version: str, key: str, body: bytes) -> None:
        if len(body) > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop((version, key), None)
            if old is not None:
                self.size -= len(old)
            self._entries[(version, key)] = body
            self.size += len(body)
            while self.size > self.max_bytes:
                _key, dropped = self._entries.popitem(last=False)
                self.size -= len(dropped)


class TileCache:
    """The worker cache over the provider's shared store, with their bounds (0: that part is off)."""

    def __init__(self, worker_bytes: int, shared_bytes: int):
        self.worker = WorkerCache(worker_bytes) if worker_bytes else None
        self.shared_bytes = shared_bytes

    @property
    def enabled(self) -> bool:
        return self.worker is not None or self.shared_bytes > 0

    def tile(self, provider: FeatureProvider, key: str, make: Callable[[], bytes], inflated: bool = False) -> bytes:
        """The tile ``key`` as gzip bytes (``inflated``: as the tile itself): kept ones if any, else
        ``make()``'s, kept for next time.  The shared store holds gzip bytes only; a worker also keeps
        the inflated tile once a client asked for it so (a client without gzip asks again and again)."""
        version = provider.version()
        worker = self.worker
        found = self._kept(version, key, inflated)
        if found is not None:
            return found
        gzipped = worker.get(version, key) if worker is not None and inflated else None
        if gzipped is None and self.shared_bytes:
            gzipped = provider.stored_tile(version, key)
            if gzipped is not None and worker is not None:
                worker.put(version, key, gzipped)
        body = None
        keep = True
        if gzipped is None:
            body = make()
            gzipped = gzip_tile(body)
            # Kept only if made from the version it is kept under (a load may switch while making it).
            keep = provider.version() == version
            if keep and worker is not None:
                worker.put(version, key, gzipped)
            if keep and self.shared_bytes:
                provider.store_tile(version, key, gzipped, self.shared_bytes)
        return self._answer(version, key, gzipped, body, keep, inflated)

    def made(
        self, provider: FeatureProvider, key: str, read: Callable[[], bytes | None], inflated: bool = False
    ) -> bytes | None:
        """The tile ``key`` that the loader made (``read()``: its gzip bytes from the database, None for
        a tile it did not make) as gzip bytes (``inflated``: as the tile itself), or None.  Kept in the
        worker only, as any tile is (the same key, the same bytes): the shared store would hold it a
        second time.  A worker hit costs no read; a client without gzip gets the kept inflated copy."""
        version = provider.version()
        worker = self.worker
        found = self._kept(version, key, inflated)
        if found is not None:
            return found
        gzipped = worker.get(version, key) if worker is not None else None
        if gzipped is None:
            gzipped = read()
            if gzipped is None:
                return None
        keep = provider.version() == version
        if keep and worker is not None:
            worker.put(version, key, gzipped)
        return self._answer(version, key, gzipped, None, keep, inflated)

    def _kept(self, version: str, key: str, inflated: bool) -> bytes | None:
        """The worker's copy of ``key`` in the form asked for (gzip bytes, or inflated), if it has one."""
        if self.worker is None:
            return None
        return self.worker.get(version, key + INFLATED if inflated else key)

    def _answer(self, version: str, key: str, gzipped: bytes, body: bytes | None, keep: bool, inflated: bool) -> bytes:
        """``gzipped``, or the tile inflated (``body`` if known), kept inflated too when ``keep``."""
        if not inflated:
            return gzipped
        if body is None:
            body = gzip.decompress(gzipped)
        if keep and self.worker is not None:
            self.worker.put(version, key + INFLATED, body)
        return body
