"""The tile cache (webapp.tile_cache): a kept tile is the bytes a cold one is, keyed per tile and
filter, bounded, and off when its settings say 0; with both providers (the postgis one also
keeps tiles in the database: tests/postgis/test_tile_cache.py)."""

from __future__ import annotations

import gzip

import mapbox_vector_tile
import psycopg
import pytest
from psycopg import sql

from geo.load_tiles import TILE_CACHE_TABLE
from tests.conftest import DATA_DIR
from webapp import create_app, tile_cache
from webapp.tile_cache import MIB, TileCache, WorkerCache, tile_key

pytestmark = pytest.mark.both_providers

TILE = "/tiles/links/8/209/111.mvt"  # Shenzhen: dozens of links, several kB (worth gzip)
GZIP = {"Accept-Encoding": "gzip"}
PLAIN = {"Accept-Encoding": "identity"}


def _ids(body: bytes) -> set[str]:
    return {f["properties"]["id"] for f in mapbox_vector_tile.decode(body).get("links", {}).get("features", [])}


def _fresh_app(make_app, megabytes: str):
    """A new app (an empty worker cache) with both caches of ``megabytes``, the database's tile cache
    emptied (the session's apps share that database); its pool closed after."""
    app = make_app(
        {"DATA_DIR": str(DATA_DIR), "TILE_CACHE_MB": megabytes, "TILE_CACHE_SHARED_MB": megabytes}, fresh=True
    )
    if app.config["FEATURE_PROVIDER"] == "postgis":
        with psycopg.connect(app.config["DATABASE_URL"]) as conn:
            schema = conn.execute("select schema_name from gba.current").fetchone()[0]
            conn.execute(sql.SQL("truncate {}").format(sql.Identifier(schema, TILE_CACHE_TABLE)))
    yield app
    close = getattr(app.extensions["gba_provider"], "close", None)
    if close is not None:
        close()


@pytest.fixture()
def cached_app(make_app):
    yield from _fresh_app(make_app, "8")


@pytest.fixture()
def uncached_app(make_app):
    yield from _fresh_app(make_app, "0")


def _refuse_to_make(monkeypatch, app) -> None:
    """From now on the provider cannot make a tile: an answer can only come from the cache."""
    provider = app.extensions["gba_provider"]

    def refuse(*_args, **_kwargs):
        raise AssertionError("made a tile the cache holds")

    monkeypatch.setattr(provider, "tile", refuse)
    monkeypatch.setattr(provider, "cluster_tile", refuse)


def test_a_kept_tile_is_the_cold_tile_byte_for_byte(cached_app, uncached_app, monkeypatch):
    uncached = uncached_app.test_client()
    client = cached_app.test_client()
    cold_zip = client.get(TILE, headers=GZIP)
    assert cold_zip.status_code == 200 and cold_zip.headers["Content-Encoding"] == "gzip"
    assert len(cached_app.extensions["gba_tile_cache"].worker) == 1
    _refuse_to_make(monkeypatch, cached_app)
    warm_zip = client.get(TILE, headers=GZIP)
    warm_plain = client.get(TILE, headers=PLAIN)
    assert warm_zip.data == cold_zip.data
    assert "Content-Encoding" not in warm_plain.headers
    # The kept gzip, inflated, is the tile made with no cache at all.
    made = uncached.get(TILE, headers=PLAIN)
    assert warm_plain.data == gzip.decompress(cold_zip.data) == made.data
    assert _ids(made.data)
    assert uncached.get(TILE, headers=GZIP).data == cold_zip.data  # webapp.http's gzip: the same bytes
    # Validators as without the cache: weak for gzip bytes, the same 304.
    assert warm_zip.headers["ETag"] == cold_zip.headers["ETag"] == "W/" + made.headers["ETag"]
    assert client.get(TILE, headers={"If-None-Match": warm_zip.headers["ETag"]}).status_code == 304
    for response in (warm_zip, warm_plain):
        assert "Accept-Encoding" in response.headers["Vary"]
        assert response.headers["Cache-Control"] == made.headers["Cache-Control"]


def test_each_filter_and_the_clustered_tile_are_their_own_entries(cached_app, uncached_app):
    client, uncached = cached_app.test_client(), uncached_app.test_client()
    urls = [TILE, TILE + "?status=operating", TILE + "?status=planned", TILE + "?cluster=1"]
    bodies = [gzip.decompress(client.get(url, headers=GZIP).data) for url in urls]
    assert len(cached_app.extensions["gba_tile_cache"].worker) == len(urls)
    assert bodies == [uncached.get(url, headers=PLAIN).data for url in urls]
    assert _ids(bodies[1]) < _ids(bodies[0]) and _ids(bodies[1]).isdisjoint(_ids(bodies[2]))
    # The same filters in another order are the same entry.
    client.get(TILE + "?status=operating&cross_border=true", headers=GZIP)
    client.get(TILE + "?cross_border=true&status=operating", headers=GZIP)
    assert len(cached_app.extensions["gba_tile_cache"].worker) == len(urls) + 1


def test_a_client_without_gzip_gets_the_tile_kept_inflated_too(cached_app, monkeypatch):
    client = cached_app.test_client()
    worker = cached_app.extensions["gba_tile_cache"].worker
    cold = client.get(TILE, headers=PLAIN)
    assert len(worker) == 2  # the gzip bytes (shared with gzip clients) and the tile itself
    _refuse_to_make(monkeypatch, cached_app)

    def no_inflating(_data):
        raise AssertionError("inflated a tile the worker keeps inflated")

    monkeypatch.setattr(gzip, "decompress", no_inflating)
    assert client.get(TILE, headers=PLAIN).data == cold.data
    assert client.get(TILE, headers=GZIP).headers["Content-Encoding"] == "gzip"


def test_the_cache_off_makes_every_tile(uncached_app, monkeypatch):
    cache = uncached_app.extensions["gba_tile_cache"]
    assert not cache.enabled and cache.worker is None
    client = uncached_app.test_client()
    provider = uncached_app.extensions["gba_provider"]
    made = []
    original = provider.tile
    monkeypatch.setattr(provider, "tile", lambda *a, **k: made.append(a) or original(*a, **k))
    first, second = client.get(TILE, headers=GZIP), client.get(TILE, headers=GZIP)
    assert len(made) == 2 and first.data == second.data
    assert gzip.decompress(first.data) == client.get(TILE, headers=PLAIN).data


def test_an_empty_tile_stays_an_empty_body(cached_app):
    client = cached_app.test_client()
    for _ in range(2):
        response = client.get("/tiles/links/12/0/0.mvt", headers=GZIP)
        assert response.status_code == 200 and response.data == b""
        assert "Content-Encoding" not in response.headers


def test_a_client_refusing_gzip_and_identity_gets_a_406(cached_app):
    client = cached_app.test_client()
    client.get(TILE, headers=GZIP)
    refused = client.get(TILE, headers={"Accept-Encoding": "gzip;q=0, identity;q=0"})
    assert refused.status_code == 406 and refused.is_json


@pytest.mark.parametrize("value", ["-1", "1.5", "lots", "٣"])
def test_a_bad_size_setting_is_a_clear_error(value):
    with pytest.raises(ValueError, match=r"TILE_CACHE_MB=.*whole number of MiB"):
        create_app({"DATA_DIR": str(DATA_DIR), "TILE_CACHE_MB": value})


# ---- the parts ---------------------------------------------------------------------------------


def test_the_worker_cache_keeps_within_its_bound_dropping_the_least_recently_used():
    cache = WorkerCache(100)
    cache.put("v1", "a", b"a" * 40)
    cache.put("v1", "b", b"b" * 40)
    assert cache.get("v1", "a") == b"a" * 40  # a is now the most recently used
    cache.put("v1", "c", b"c" * 40)
    assert cache.size <= 100 and len(cache) == 2
    assert cache.get("v1", "b") is None and cache.get("v1", "a") and cache.get("v1", "c")
    cache.put("v1", "huge", b"h" * 101)  # larger than the bound: not kept, nothing dropped for it
    assert cache.get("v1", "huge") is None and len(cache) == 2
    cache.put("v1", "a", b"A" * 10)  # replaced: its old size is given back
    assert cache.size == 50 and cache.get("v1", "a") == b"A" * 10
    assert cache.get("v2", "a") is None  # another version, another key space


def test_keys_name_the_tile_the_clustering_and_the_sorted_filters(monkeypatch):
    plain = tile_key("hospitals", 8, 209, 111, False, [])
    assert plain != tile_key("hospitals", 8, 209, 112, False, [])
    assert plain != tile_key("hospitals", 8, 209, 111, True, [])
    assert plain != tile_key("links", 8, 209, 111, False, [])
    one = tile_key("hospitals", 8, 209, 111, False, [("status", "operating"), ("year", "2020")])
    assert one == tile_key("hospitals", 8, 209, 111, False, [("year", "2020"), ("status", "operating")])
    assert one != tile_key("hospitals", 8, 209, 111, False, [("status", "operating")])
    # A clustered tile of another grid (a store filled before the grid changed) is another entry.
    clustered = tile_key("hospitals", 8, 209, 111, True, [])
    monkeypatch.setattr(tile_cache, "CLUSTER_GRID", tile_cache.CLUSTER_GRID * 4)
    assert tile_key("hospitals", 8, 209, 111, True, []) != clustered
    assert tile_key("hospitals", 8, 209, 111, False, []) == plain
    # A value holding a separator cannot pose as two parameters.
    assert tile_key("h", 0, 0, 0, False, [("q", "a&b=c")]) != tile_key("h", 0, 0, 0, False, [("q", "a"), ("b", "c")])


def test_a_tile_made_while_the_version_changed_is_not_kept():
    class Switching:
        def __init__(self):
            self.versions = iter(["v1", "v2", "v2"])

        def version(self):
            return next(self.versions)

        def stored_tile(self, version, key):
            return None

        def store_tile(self, version, key, body, max_bytes):
            raise AssertionError("kept a tile of an uncertain version")

    cache = TileCache(MIB, MIB)
    body = cache.tile(Switching(), "k", lambda: b"tile")
    assert gzip.decompress(body) == b"tile" and len(cache.worker) == 0


def test_sizes_are_read_in_mebibytes():
    assert tile_cache.parse_megabytes("X", "0") == 0
    assert tile_cache.parse_megabytes("X", " 64 ") == 64 * MIB
    assert tile_cache.parse_megabytes("X", 2) == 2 * MIB


class _OneVersion:
    """A provider of one version with no shared store (a made tile is never stored there)."""

    def version(self):
        return "v1"

    def stored_tile(self, version, key):
        raise AssertionError("looked for a made tile in the shared store")

    def store_tile(self, version, key, body, max_bytes):
        raise AssertionError("kept a made tile in the shared store")


def test_a_made_tile_is_read_once_then_kept_in_the_worker_inflated_too():
    made = gzip.compress(b"a made tile" * 50, mtime=0)
    reads = []

    def read():
        reads.append(1)
        return made

    cache = TileCache(MIB, MIB)
    provider = _OneVersion()
    assert cache.made(provider, "k", read) == made
    assert cache.made(provider, "k", read) == made
    assert cache.made(provider, "k", read, inflated=True) == b"a made tile" * 50
    assert len(reads) == 1  # every later answer, gzip or inflated, came from the worker
    assert cache.worker.get("v1", "k") == made
    assert cache.worker.get("v1", "k" + tile_cache.INFLATED) == b"a made tile" * 50
    assert cache.made(provider, "other", lambda: None) is None  # a tile the loader did not make
    assert cache.worker.get("v1", "other") is None


def test_a_made_tile_without_a_worker_cache_is_read_each_time():
    made = gzip.compress(b"tile", mtime=0)
    reads = []
    cache = TileCache(0, MIB)
    for inflated in (False, True, True):
        assert cache.made(_OneVersion(), "k", lambda: reads.append(1) or made, inflated=inflated) == (
            b"tile" if inflated else made
        )
    assert len(reads) == 3 and cache.worker is None


def test_a_made_tile_read_while_the_version_changed_is_not_kept():
    class Switching(_OneVersion):
        def __init__(self):
            self.versions = iter(["v1", "v2"])

        def version(self):
            return next(self.versions)

    cache = TileCache(MIB, 0)
    made = gzip.compress(b"tile", mtime=0)
    assert cache.made(Switching(), "k", lambda: made) == made and len(cache.worker) == 0
