"""GDAL's /vsicurl/ (what QGIS and ``pyogrio.read_dataframe(url)`` use to open a URL) reads the
downloads from a live server: it reads a remote file only in byte ranges (issue 11, finding 5)."""

from __future__ import annotations

import json

import pyogrio
import pytest

pytestmark = pytest.mark.gis

# Only the loopback server: no proxy (an empty proxy turns curl's environment proxies off), no
# credentials from ~/.netrc, no listing of the parent "directory", no retries hiding a failure.
GDAL_LOOPBACK_ONLY = {
    "GDAL_HTTP_PROXY": "",
    "GDAL_HTTPS_PROXY": "",
    "GDAL_HTTP_NETRC": "NO",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GDAL_HTTP_MAX_RETRY": "0",
}
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")

# GDAL takes a small file whole from a 200; the 4 MB layer (2,345 synthetic points) and its
# 0.7 MB filtered subset it reads only in ranges, and failed without them.
DOWNLOADS = [
    "hospitals.geojson",
    "all.geojson?layers=links,zones",
    "enterprises.geojson",
    "enterprises.geojson?category=biomedicine&texts=en",
]


@pytest.fixture(scope="module", autouse=True)
def gdal_on_loopback_only():
    saved = {name: pyogrio.get_gdal_config_option(name) for name in GDAL_LOOPBACK_ONLY}
    with pytest.MonkeyPatch.context() as environment:
        for name in PROXY_VARIABLES:
            environment.delenv(name, raising=False)
        environment.setenv("NO_PROXY", "*")
        pyogrio.set_gdal_config_options(GDAL_LOOPBACK_ONLY)
        yield
        pyogrio.set_gdal_config_options(saved)


@pytest.mark.parametrize("download", DOWNLOADS)
def test_gdal_reads_a_download_by_its_url(api_url, served_app, download):
    url = api_url.removesuffix("/ogcapi") + f"/download/{download}"
    expected = json.loads(served_app.test_client().get(f"/download/{download}").get_data())["features"]
    frame = pyogrio.read_dataframe(f"/vsicurl/{url}")
    assert len(frame) == len(expected) > 0
    assert list(frame["id"]) == [feature["properties"]["id"] for feature in expected]
    assert list(frame["status"]) == [feature["properties"]["status"] for feature in expected]
    assert list(frame.geometry.geom_type) == [feature["geometry"]["type"] for feature in expected]


# The other formats (docs/downloads.md) by URL too: GeoPackage and FlatGeobuf are read in ranges
# (SQLite pages, FlatGeobuf's header and index), a zipped Shapefile through /vsizip/.
EXPORTS = [
    ("enterprises.gpkg", "enterprises", "enterprises"),
    ("enterprises.fgb?category=biomedicine", None, "enterprises"),
    ("all.gpkg?layers=zones,links", "links", "links"),
]


@pytest.mark.parametrize(("download", "layer", "expected_layer"), EXPORTS)
def test_gdal_reads_an_export_by_its_url(api_url, served_app, download, layer, expected_layer):
    url = api_url.removesuffix("/ogcapi") + f"/download/{download}"
    query = download.partition("?")[2]
    geojson = f"/download/{expected_layer}.geojson" + (f"?{query}" if query and "layers=" not in query else "")
    expected = json.loads(served_app.test_client().get(geojson).get_data())["features"]
    frame = pyogrio.read_dataframe(f"/vsicurl/{url}", layer=layer)
    assert len(frame) == len(expected) > 0
    assert sorted(frame["id"]) == sorted(feature["properties"]["id"] for feature in expected)


def test_gdal_reads_a_zipped_shapefile_by_its_url(api_url, served_app):
    url = api_url.removesuffix("/ogcapi") + "/download/all.shp.zip"
    points = pyogrio.read_dataframe(f"/vsizip//vsicurl/{url}/gba-cooperation-all-points.shp")
    expected = [
        f
        for layer in ("hospitals", "computing_centres", "universities", "agencies", "enterprises")
        for f in json.loads(served_app.test_client().get(f"/download/{layer}.geojson").get_data())["features"]
    ]
    assert sorted(points["id"]) == sorted(feature["properties"]["id"] for feature in expected)
