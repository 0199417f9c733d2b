"""Front-end assets served by the app: versioned URLs, long caching, gzip, and nothing else."""

import gzip
import re
import subprocess
from pathlib import Path

import pytest
import xstatic.pkg.leaflet

from tests.conftest import DATA_DIR
from webapp import create_app
from webapp.assets import OWN_STATIC, asset_version, load_asset, static_imports, tree_version

LEAFLET = f"/assets/leaflet/{xstatic.pkg.leaflet.VERSION}"


@pytest.mark.parametrize(
    ("url", "mimetype"),
    [
        (f"{LEAFLET}/leaflet.js", "text/javascript"),
        (f"{LEAFLET}/leaflet.css", "text/css"),
        (f"{LEAFLET}/images/layers.png", "image/png"),
    ],
)
def test_vendor_files_are_served_with_a_year_of_caching(client, url, mimetype):
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.cache_control.max_age == 365 * 24 * 3600
    assert response.cache_control.public
    assert "immutable" in response.headers["Cache-Control"]
    assert response.headers["ETag"]


def test_our_files_are_versioned_by_one_digest_of_the_static_tree(client, app, tmp_path, monkeypatch):
    with app.test_request_context():
        version = asset_version("gba", "gba-map.css")
        body = load_asset("gba", "gba-map.css", minify=True).body
        # One version for every file: ES modules import each other by relative URL.
        assert asset_version("gba", "gba-parse-worker.js") == version
    response = client.get(f"/assets/gba/{version}/gba-map.css")
    assert response.status_code == 200
    assert response.data == body
    # Any file of the tree changing changes the version of all of them.
    tree = tmp_path / "static"
    tree.mkdir()
    (tree / "a.js").write_text("export const a = 1;\n")
    (tree / "b.js").write_text("export const b = 1;\n")
    before = tree_version(tree)
    (tree / "b.js").write_text("export const b = 2;\n")
    assert tree_version(tree) != before


def test_text_assets_are_gzipped_when_the_client_accepts_it(client):
    plain = client.get(f"{LEAFLET}/leaflet.js")
    packed = client.get(f"{LEAFLET}/leaflet.js", headers={"Accept-Encoding": "gzip, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 2
    assert packed.headers["ETag"] != plain.headers["ETag"]


def test_a_cached_copy_is_revalidated_with_304(client):
    etag = client.get(f"{LEAFLET}/leaflet.css").headers["ETag"]
    again = client.get(f"{LEAFLET}/leaflet.css", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""


@pytest.mark.parametrize(
    "url",
    [
        "/assets/leaflet/0.7.7/leaflet.js",  # a version this app does not serve
        "/assets/gba/000000000000/gba-map.css",  # a stale digest of our tree
        "/assets/jquery/3.7.1/jquery.js",  # not a package we serve
        f"{LEAFLET}/no-such-file.js",
        f"{LEAFLET}/../../../../../../etc/passwd",
        f"{LEAFLET}/%2e%2e/%2e%2e/__init__.py",
    ],
)
def test_anything_else_is_a_json_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.mimetype == "application/json"


def test_front_end_modules_stay_small_and_are_modules():
    """Small files with clear names: no JS file of the front end grows past about 500 lines."""
    static = Path(__file__).resolve().parents[2] / "webapp" / "static"
    sizes = {path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in static.rglob("*.js")}
    assert sizes and max(sizes.values()) <= 500, sizes
    for path in (static / "js").glob("*.js"):
        text = path.read_text(encoding="utf-8")
        assert "import " in text or "export " in text, f"{path.name} is not an ES module"


def _served_modules(client) -> dict[str, bytes]:
    """Every JS and CSS file of ours that /embed links, as served."""
    html = client.get("/embed").get_data(as_text=True)
    urls = re.findall(r'(?:src|href)="(/assets/gba/[^"]+\.(?:js|css))"', html)
    assert len(urls) > 30
    return {url: client.get(url).data for url in urls}


def test_our_js_and_css_are_served_minified_and_still_parse(client, tmp_path):
    served = _served_modules(client)
    for url, body in served.items():
        name = url.rsplit("/", 1)[1]
        on_disk = (OWN_STATIC / url.split("/", 4)[4]).read_bytes()
        assert len(body) < len(on_disk), name
        if name.endswith(".css"):
            assert b"/*" not in body, name  # the comments are gone
        else:
            (tmp_path / name).write_bytes(body)
    (tmp_path / "package.json").write_text('{"type": "module"}')
    for module in sorted(tmp_path.glob("*.js")):
        checked = subprocess.run(["node", "--check", str(module)], capture_output=True, text=True)
        assert checked.returncode == 0, f"{module.name} no longer parses once minified: {checked.stderr}"


def test_minifying_can_be_turned_off_for_debugging(tmp_path):
    app = create_app({"TESTING": True, "DATA_DIR": str(DATA_DIR), "MINIFY_ASSETS": "false"})
    for url, body in _served_modules(app.test_client()).items():
        assert body == (OWN_STATIC / url.split("/", 4)[4]).read_bytes(), url


@pytest.mark.parametrize("bad", ["maybe", "2", ""])
def test_a_bad_minify_setting_stops_the_app_at_start_up(bad):
    with pytest.raises(ValueError, match="MINIFY_ASSETS"):
        create_app({"TESTING": True, "DATA_DIR": str(DATA_DIR), "MINIFY_ASSETS": bad})


def test_static_imports_follow_import_and_export_from_but_not_import_calls():
    files = {
        "js/main.js": 'import { a } from "./a.js";\nimport "./side.js";\nconst later = () => import("./lazy.js");\n',
        "js/a.js": 'export { b } from "./b.js";\nimport {\n  c,\n} from "./sub/c.js";\n',
        "js/b.js": 'export const b = 1;import{x as y}from"./min.js";\n',
        "js/min.js": "",
        "js/sub/c.js": 'import { a } from "../a.js";\nexport const c = 2;\n',
        "js/side.js": "",
        "js/lazy.js": 'import { b } from "./b.js";\n',
    }
    assert static_imports("js/main.js", files.__getitem__) == [
        "js/a.js",
        "js/side.js",
        "js/b.js",
        "js/sub/c.js",
        "js/min.js",
    ]


def test_the_page_preloads_what_main_imports_and_leaves_the_panels_modules_for_later(client):
    html = client.get("/embed").get_data(as_text=True)
    preloaded = set(re.findall(r'<link rel="modulepreload" href="/assets/gba/[^/]+/(js/[^"]+)">', html))
    assert preloaded == set(static_imports("js/main.js"))
    assert {"js/search.js", "js/list.js", "js/filters.js", "js/share.js"}.isdisjoint(preloaded)
