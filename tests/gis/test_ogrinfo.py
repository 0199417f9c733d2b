"""GDAL's command line (Debian 12's ``ogrinfo``, GDAL 3.6, as analysts run it) and pyogrio's GDAL read
the flat, typed fields over OAPIF, and ``-where "jurisdiction = …"`` means the ``jurisdiction``
property whether GDAL sends the filter to the server or applies it itself (issue 11, findings 2, 3)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote_plus

import pyogrio
import pytest

from geo.flat import fields
from geo.schema import LAYERS, LINK_LAYER

pytestmark = pytest.mark.gis

# OGR's field types (as ogrinfo prints them) for the schema's JSON types.
OGR_TYPES = {
    "string": ("String",),
    "integer": ("Integer", "Integer64"),
    "number": ("Real",),
    "boolean": ("Integer(Boolean)",),
}
FEATURE_LAYERS = [layer for layer in LAYERS if layer != LINK_LAYER]
PROXIES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
# "jurisdiction = 'X'" GDAL sends to the server as ?jurisdiction=X (a queryable); wrapped in CONCAT()
# it cannot, so GDAL fetches every feature and filters them itself.
SERVER_SIDE = "jurisdiction = 'Hong Kong'"
CLIENT_SIDE = "CONCAT(jurisdiction, '') = 'Hong Kong'"


def ogrinfo(*arguments: str) -> str:
    """Debian's ``ogrinfo`` run on the loopback test server only (no proxy, no retries)."""
    command = shutil.which("ogrinfo")
    if command is None:
        pytest.fail("GDAL's ogrinfo is missing: run `make qgis` (as root) to install Debian's gdal-bin with QGIS")
    environment = {name: value for name, value in os.environ.items() if name not in PROXIES}
    environment.update(NO_PROXY="*", GDAL_HTTP_MAX_RETRY="0", GDAL_HTTP_NETRC="NO")
    done = subprocess.run([command, "-ro", *arguments], capture_output=True, text=True, env=environment, timeout=300)
    assert done.returncode == 0 and "ERROR" not in done.stderr, done.stderr
    return done.stdout


def ogrinfo_field_types(api_url: str, layer: str) -> dict[str, str]:
    """The fields ``ogrinfo -so`` lists for ``layer``, with their OGR types (``year: Integer``)."""
    summary = ogrinfo("-so", "-oo", "PAGE_SIZE=1000", f"OAPIF:{api_url}", layer)
    fields_part = summary.split("Data axis to CRS axis mapping:", 1)[1]
    return dict(re.findall(r"^(\w+): (\w+(?:\(\w+\))?) \(", fields_part, flags=re.MULTILINE))


def ogrinfo_ids(api_url: str, layer: str, where: str) -> list[str]:
    listing = ogrinfo("-q", "-oo", "PAGE_SIZE=1000", "-where", where, f"OAPIF:{api_url}", layer)
    return re.findall(r"^  id \(String\) = (.*)$", listing, flags=re.MULTILINE)


@pytest.mark.parametrize("layer", LAYERS)
def test_ogrinfo_lists_the_flat_fields_with_their_schema_types(api_url, layer):
    types = ogrinfo_field_types(api_url, layer)
    flat = [field for field in fields(layer) if field.flat]
    assert {"source_quotes", "source_titles", "source_count"} <= {field.name for field in flat}
    for field in fields(layer):
        if field.scalar:
            assert types.get(field.name) in OGR_TYPES[field.type], (field.name, field.type, types.get(field.name))
    # One type per name in every layer: the year is a whole number even where no record has one.
    assert types["year"] in OGR_TYPES["integer"]


def served_ids(served_app, layer: str, jurisdiction: str) -> list[str]:
    source = served_app.extensions["gba_provider"]
    client = served_app.test_client()
    features = client.get(f"/ogcapi/collections/{layer}/items?limit=10000").get_json()["features"]
    assert len(features) == source.query(layer).number_matched
    return [feature["id"] for feature in features if feature["properties"]["jurisdiction"] == jurisdiction]


@pytest.fixture(scope="module")
def hong_kong(served_app) -> dict[str, list[str]]:
    """Per feature layer, the ids of the features whose ``jurisdiction`` property is Hong Kong."""
    expected = {layer: served_ids(served_app, layer, "Hong Kong") for layer in FEATURE_LAYERS}
    assert sum(map(len, expected.values())) > 0
    return expected


def items_queries(log: Path, start: int, layer: str) -> list[str]:
    """The query strings of the requests for ``layer``'s items the test server logged after byte ``start``."""
    with log.open(encoding="utf-8") as text:
        text.seek(start)
        paths = re.findall(rf'"GET /ogcapi/collections/{layer}/items\??([^ ]*) HTTP', text.read())
    return [unquote_plus(query) for query in paths]


def sent_to_server(log: Path, start: int, layer: str) -> bool:
    """Whether GDAL put the jurisdiction filter in its items requests (``jurisdiction=`` or ``filter=``)."""
    queries = items_queries(log, start, layer)
    assert queries, "GDAL asked for no items"
    return any("Hong Kong" in query for query in queries)


@pytest.mark.parametrize("where", [SERVER_SIDE, CLIENT_SIDE])
@pytest.mark.parametrize("layer", FEATURE_LAYERS)
def test_ogrinfo_where_jurisdiction_gives_only_that_jurisdiction(api_url, served_data_dir, hong_kong, layer, where):
    log = served_data_dir / "server.log"
    start = log.stat().st_size
    assert ogrinfo_ids(api_url, layer, where) == hong_kong[layer]
    assert sent_to_server(log, start, layer) == (where == SERVER_SIDE)


@pytest.mark.parametrize("where", [SERVER_SIDE, CLIENT_SIDE])
@pytest.mark.parametrize("layer", FEATURE_LAYERS)
def test_pyogrio_where_jurisdiction_gives_only_that_jurisdiction(api_url, served_data_dir, hong_kong, layer, where):
    log = served_data_dir / "server.log"
    start = log.stat().st_size
    meta, _fids, _geometry, values = pyogrio.raw.read(
        f"OAPIF:{api_url}", layer=layer, where=where, columns=["id", "jurisdiction"]
    )
    columns = dict(zip(meta["fields"], values))  # in the layer's order, not the order asked
    assert list(columns["id"]) == hong_kong[layer]
    assert set(columns["jurisdiction"]) <= {"Hong Kong"}
    assert sent_to_server(log, start, layer) == (where == SERVER_SIDE)
