"""The page weight counts the whole first load: every module, the data and the outlines."""

from __future__ import annotations

import gzip
import json
import threading
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from bench.report import CATEGORIES, module_imports, page_weight, page_weight_table
from geo.context import OUTLINE_LEVELS
from tests.conftest import DATA_DIR, REPO
from webapp import create_app


def test_module_imports_finds_static_imports():
    source = 'import { a } from "./a.js";\nimport "./side.js";\nexport { b } from "./b.js";\nconst c = "import";\n'
    assert module_imports(source) == ["./a.js", "./side.js", "./b.js"]


@pytest.fixture(scope="module")
def shipped_server():
    app = create_app({"TESTING": True, "DATA_DIR": str(DATA_DIR)})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["PUBLIC_URL"] = f"http://127.0.0.1:{server.server_port}"  # known once bound
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="module")
def embed_weight(shipped_server):
    return page_weight(shipped_server, "/embed")


def responses(weight: dict, category: str) -> list[dict]:
    return [r for r in weight["responses"] if r["category"] == category]


# Modules only a page with a layer drawn from tiles, or an exported page, loads (by import()).
NOT_ON_A_PLAIN_PAGE = {
    "tiled.js",
    "tiles.js",
    "list-tiled.js",
    "tile-refusals.js",
    "tile-archives.js",
    "cluster-circles.js",
    "exported.js",
    "static-search.js",
}


def test_the_page_weight_includes_every_imported_module(embed_weight):
    assert embed_weight["missing_assets"] == [] and embed_weight["external_assets"] == []
    # every module (the explore panel's by import(), as a wide frame opens it at once)
    ours = {path.name for path in (REPO / "webapp" / "static" / "js").glob("*.js")}
    fetched = {r["url"].rsplit("/", 1)[-1] for r in responses(embed_weight, "js")}
    assert NOT_ON_A_PLAIN_PAGE <= ours
    assert ours - NOT_ON_A_PLAIN_PAGE <= fetched and {"leaflet.js", "leaflet.markercluster.js"} <= fetched
    # the shipped data has no tiled layer and the app's pages are not exported: none of them is sent
    assert not fetched & NOT_ON_A_PLAIN_PAGE


def test_the_page_weight_counts_every_data_file_and_the_coarse_outlines(embed_weight):
    layers = sorted(path.stem for path in (DATA_DIR / "geojson").glob("*.geojson"))
    data = responses(embed_weight, "data")
    assert sorted(urlsplit(r["url"]).path.rsplit("/", 1)[-1].removesuffix(".geojson") for r in data) == layers
    # the data are sent compressed: what is counted is what crossed the wire
    assert all(r["sent"] < r["raw"] / 2 for r in data)

    (outlines,) = responses(embed_weight, "outlines")
    coarse = DATA_DIR / "geojson" / "context" / f"{OUTLINE_LEVELS[0].name}.geojson"
    assert outlines["url"].endswith(f"/context/{coarse.name}")
    assert outlines["raw"] == coarse.stat().st_size
    assert abs(outlines["sent"] - len(gzip.compress(coarse.read_bytes(), 5))) < 100


def test_the_totals_add_up_per_category(embed_weight):
    categories = embed_weight["categories"]
    assert set(categories) == set(CATEGORIES)
    assert embed_weight["sent"] == sum(c["sent"] for c in categories.values())
    assert embed_weight["raw"] == sum(c["raw"] for c in categories.values())
    assert categories["html"]["files"] == 1 and categories["css"]["files"] >= 3
    json.dumps(embed_weight)  # the bench writes it to results.json


def test_the_table_shows_each_category_and_notes_a_page_not_measured(embed_weight):
    unmeasured = {"path": "/embed", "method": "browser", "note": "not measured: /usr/bin/chromium is missing"}
    table = page_weight_table([embed_weight, unmeasured])
    header, _rule, measured, missing = table.splitlines()
    assert all(name in header for name in CATEGORIES)
    assert f"**{embed_weight['sent'] / 1000:.1f}**" in measured
    assert "chromium is missing" in missing


def test_without_chromium_the_browser_measurement_says_why(monkeypatch, shipped_server):
    import bench.page

    monkeypatch.setattr(bench.page, "CHROMIUM", "/nonexistent/chromium")
    row = bench.page.first_load(shipped_server, "/embed")
    assert row["note"].startswith("not measured: /nonexistent/chromium is missing")
    assert "chromium is missing" in page_weight_table([row])
