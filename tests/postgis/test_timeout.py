"""GBA_DATABASE_TIMEOUT: a request whose statement the database cancels answers a JSON 503 with
Retry-After and advice (tiles, search, items), never a 500 or a killed worker; a download streamed
from a server-side cursor outlives the limit (each FETCH is a statement of its own).

A statement is made to wait past the limit without timing anything: another connection holds an
exclusive lock on every table of the loaded version, and the request's first read of a layer's
table waits for it until ``statement_timeout`` cancels it.
"""

from __future__ import annotations

import contextlib
import logging
import time

import psycopg
import pytest
from psycopg import sql

from tests.conftest import DATA_DIR
from tests.postgis.conftest import current
from webapp import create_app, search
from webapp.errors import SLOW_ADVICE, TooSlow
from webapp.providers import postgis
from webapp.providers.postgis import PostgisProvider

# Every kind of request the limit guards, with the advice its 503 gives.
REQUESTS = [
    ("/tiles/hospitals/8/209/111.mvt", "tile"),
    ("/tiles/enterprises/5/26/13.mvt?cluster=1&status=operating", "tile"),
    ("/api/search?q=hospital", "search"),
    ("/ogcapi/collections/hospitals/items?bbox=113,22,115,23.5", "items"),
    ("/ogcapi/collections/hospitals/items?filter=status%3D%27operating%27", "items"),
]
LIMIT = 0.2  # the limit of the tests that wait on a lock (a fifth of a second per cancelled statement)


@pytest.fixture(scope="module")
def url(pg_datasets) -> str:
    return pg_datasets.url_for(DATA_DIR)


def app_with(url: str, timeout) -> object:
    return create_app(
        {"TESTING": True, "FEATURE_PROVIDER": "postgis", "DATABASE_URL": url, "DATABASE_TIMEOUT": timeout}
    )


@contextlib.contextmanager
def version_locked(url: str):
    """Every table of the loaded version locked (access exclusive) until the block ends."""
    schema = current(url)[1]
    with psycopg.connect(url) as conn, conn.transaction():
        tables = conn.execute("select tablename from pg_tables where schemaname = %s", (schema,)).fetchall()
        names = sql.SQL(", ").join(sql.Identifier(schema, name) for (name,) in tables)
        conn.execute(sql.SQL("lock table {} in access exclusive mode").format(names))
        yield


@pytest.mark.parametrize(("path", "kind"), REQUESTS)
def test_a_cancelled_statement_is_a_503_with_advice_and_retry_after(url, path, kind, caplog):
    app = app_with(url, str(LIMIT))
    client = app.test_client()
    with version_locked(url), caplog.at_level(logging.WARNING):
        response = client.get(path)
    app.extensions["gba_provider"].close()
    assert response.status_code == 503, response.data
    assert response.is_json and response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    assert body["code"] == "QueryTimeout" and body["status"] == 503
    assert body["description"].startswith(SLOW_ADVICE[kind])
    assert "the server stops a query after" in body["description"]
    assert response.headers["Retry-After"] == str(TooSlow.retry_after)
    logged = [record for record in caplog.records if SLOW_ADVICE[kind] in record.getMessage()]
    assert len(logged) == 1 and logged[0].levelno == logging.WARNING and not logged[0].exc_info
    assert path.split("?")[0] in logged[0].getMessage()


@pytest.mark.parametrize(("path", "kind"), REQUESTS)
def test_without_a_limit_the_same_requests_answer(url, path, kind):
    app = app_with(url, "0")
    response = app.test_client().get(path)
    app.extensions["gba_provider"].close()
    assert response.status_code == 200, (kind, response.data)
    assert response.data


def test_the_limit_is_each_pooled_connections_statement_timeout(url):
    read = "select setting from pg_settings where name = 'statement_timeout'"  # in thousandths
    for setting, shown in [(20, "20000"), (0.25, "250"), (0, "0")]:
        pg = PostgisProvider(url, database_timeout=setting)
        try:
            assert pg._run(lambda conn, state: conn.execute(read).fetchone()[0]) == shown
        finally:
            pg.close()


def test_a_stream_outlives_the_limit_a_fetch_at_a_time(url, monkeypatch):
    """Each FETCH of the server-side cursor is a statement of its own: a download the reader takes
    slowly (here: a pause after every chunk, many times the limit in all) still ends whole."""
    monkeypatch.setattr(postgis, "STREAM_CHUNK", 2)
    whole = PostgisProvider(url)
    limited = PostgisProvider(url, database_timeout=LIMIT)
    try:
        expected = list(whole.stream("links"))
        # Twenty chunks or more, with a pause of a quarter of the limit after each: five limits in all.
        assert len(expected) > 2 * 20
        got = []
        for feature in limited.stream("links"):
            if len(got) % 2 == 0:
                time.sleep(LIMIT / 4)
            got.append(feature)
        assert got == expected
    finally:
        whole.close()
        limited.close()


def one_batch(needles, joined):
    """The candidates of a search for "hospital": one batch of one record named so."""
    yield [(0, "1", [("name", ("", ("hospital",), ()))])]


def test_the_search_ranking_stops_past_its_deadline():
    """The ranking loop in Python has the statements' budget: past it, the provider's 503."""

    def two_batches(needles, joined):
        yield from one_batch(needles, joined)
        pytest.fail("a second batch was ranked past the deadline")

    with pytest.raises(TooSlow, match="add a word"):
        search.rank_candidates(
            "hospital", 10, ["hospitals"], two_batches, lambda keys: [], deadline=time.monotonic() - 1
        )
    found = search.rank_candidates("hospital", 10, ["hospitals"], one_batch, lambda keys: [{} for _k in keys])
    assert found.total == 1 and len(found.results) == 1
