"""QGIS (Debian's 3.22) opens every download format, by URL (GDAL's /vsicurl/, as *Add Vector Layer ›
Protocol: HTTP(S)* does) and saved to a file, with every record, its Chinese name and its sources.

The files are the exports table's own list (``webapp.exports.export_urls``) but GraphML, which
GDAL (and so QGIS) has no driver for: ``tests/webapp/test_exports.py`` reads it with networkx.
"""

from __future__ import annotations

from collections import Counter

import pytest

from geo.schema import LAYERS
from tests.gis.api_data import write_api_data_dir
from tests.gis.conftest import serving
from tests.gis.qgis_runner import run_qgis
from webapp import create_app
from webapp.exports import export_urls

pytestmark = pytest.mark.gis

DOWNLOADS = [url.removeprefix("/download/") for url in export_urls(LAYERS) if not url.endswith(".graphml")]
HOW = ("by URL", "saved")
TRUTH_TYPES = ("bool", "int", "qlonglong")  # how QGIS holds a yes/no column (not as text)
# Enough synthetic enterprises that GDAL reads the larger files by URL in several ranges; the
# session's 2,345 would make QGIS's 96 file loads take minutes.
ENTERPRISES = 150


def geojson_of(download: str) -> str:
    """The GeoJSON download holding the same features as ``download`` (``all.shp.zip`` → ``all.geojson``)."""
    return download.split(".", 1)[0] + ".geojson"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The app on a smaller dataset, in this process and served over HTTP: ``(app, base URL)``."""
    data_dir = write_api_data_dir(tmp_path_factory.mktemp("exports-data"), ENTERPRISES, seed=5)
    with serving(data_dir) as api_url:
        yield create_app({"TESTING": True, "DATA_DIR": str(data_dir)}), api_url.removesuffix("/ogcapi")


@pytest.fixture(scope="module")
def qgis_downloads(site, tmp_path_factory) -> dict[tuple[str, str], dict]:
    """What QGIS reads from every download, opened by URL and from a saved copy (one QGIS run)."""
    app, base = site
    folder = tmp_path_factory.mktemp("downloads")
    client = app.test_client()
    jobs = []
    for download in DOWNLOADS:
        answer = client.get(f"/download/{download}")
        assert answer.status_code == 200, download
        (folder / download).write_bytes(answer.get_data())
        jobs.append({"name": f"by URL {download}", "source": f"/vsicurl/{base}/download/{download}", "sublayers": True})
        jobs.append({"name": f"saved {download}", "source": str(folder / download), "sublayers": True})
    answers = run_qgis(jobs, tmp_path_factory.mktemp("qgis"))
    return {(how, download): answers[f"{how} {download}"] for how in HOW for download in DOWNLOADS}


def chinese_name(properties: dict) -> str:
    """A record's name, or a link's start, in Traditional Chinese."""
    return properties.get("name_zh_hant") or properties["from_name_zh_hant"]


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize("download", DOWNLOADS)
def test_qgis_opens_every_download_with_its_records_names_and_sources(site, qgis_downloads, download, how):
    answer = qgis_downloads[(how, download)]
    expected = site[0].test_client().get(f"/download/{geojson_of(download)}").get_json()["features"]
    layers = answer["sublayers"]
    assert layers, answer["messages"]
    rows = []
    typed = Counter()  # per field: rows of layers where QGIS reads it as a boolean or a number
    for name, layer in layers.items():
        assert layer["valid"], (name, answer["messages"])
        assert layer["geometry_type"] not in ("Unknown", "No geometry", "Null"), name
        assert None not in [row["@geometry"] for row in layer["features"]], name
        rows += layer["features"]
        for field in layer["fields"]:
            if field["type"] in TRUTH_TYPES:
                typed[field["name"]] += len(layer["features"])
    assert len(rows) == len(expected) > 0
    if all("id" in {field["name"] for field in layer["fields"]} for layer in layers.values()):
        assert Counter(row["id"] for row in rows) == Counter(feature["id"] for feature in expected)
    # Each record is a row holding its Chinese name as written and its first source's title
    # (matched on the start: a Shapefile's text field holds at most 254 bytes).
    by_name: dict[str, list[set]] = {}
    names = {chinese_name(feature["properties"]) for feature in expected}
    for row in rows:
        values = {value for value in row.values() if isinstance(value, str)}
        for name in values & names:
            by_name.setdefault(name, []).append(values)
    for feature in expected:
        properties = feature["properties"]
        title = properties["sources"][0]["title"][:20]
        rows_named = by_name.get(chinese_name(properties), [])
        assert any(value.startswith(title) for values in rows_named for value in values), (
            feature["id"],
            chinese_name(properties),
            title,
        )
    # Yes/no properties read as a boolean or a number keep their value (1/0 or true/false).
    flags = [name for name in expected[0]["properties"] if isinstance(expected[0]["properties"][name], bool)]
    for name in flags:
        if typed[name] == len(rows):
            seen = Counter(bool(row[name]) for row in rows)
            assert seen == Counter(feature["properties"][name] for feature in expected), name
