"""The page weight counts every ES module the entry imports, not only the <script> tags."""

from __future__ import annotations

import threading

from werkzeug.serving import make_server

from bench.report import module_imports, page_weight
from tests.conftest import DATA_DIR, REPO
from webapp import create_app


def test_module_imports_finds_static_imports():
    source = 'import { a } from "./a.js";\nimport "./side.js";\nexport { b } from "./b.js";\nconst c = "import";\n'
    assert module_imports(source) == ["./a.js", "./side.js", "./b.js"]


def test_the_page_weight_includes_every_imported_module():
    server = make_server("127.0.0.1", 0, create_app({"TESTING": True, "DATA_DIR": str(DATA_DIR)}), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        weight = page_weight(f"http://127.0.0.1:{server.server_port}", "/embed")
    finally:
        server.shutdown()
    ours = sum(path.stat().st_size for path in (REPO / "webapp" / "static" / "js").glob("*.js"))
    assert weight["missing_assets"] == [] and weight["external_assets"] == []
    # Leaflet and MarkerCluster plus every module main.js reaches (all of js/ is reached).
    assert weight["js_bytes"] > ours
    assert weight["local_assets"] >= len(list((REPO / "webapp" / "static" / "js").glob("*.js")))
