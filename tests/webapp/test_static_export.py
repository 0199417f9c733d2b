"""``python -m webapp export OUT/``: the folder's contents, its relative links, ``_headers``,
the browser's search against the server's, and the command's refusals (no browser here;
tests/browser/test_static_export.py serves the folder to Chromium)."""

from __future__ import annotations

import json
import posixpath
import re
import shutil
import subprocess
import sys
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from geo.schema import URL_LANGS
from tests.conftest import REPO
from webapp import exports, search, security, static_export
from webapp.static_export import MARKER, ExportError, export

PAGES = [
    "index.html",
    "embed/index.html",
    "zh-Hans/index.html",
    "zh-Hans/embed/index.html",
    "en/index.html",
    "en/embed/index.html",
]
_REFERENCE = re.compile(r'(?:src|href)="([^"#?]+)')


@pytest.fixture(scope="module")
def folder(app, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export") / "site"
    export(app, out)
    return out


def read(folder: Path, name: str) -> str:
    return (folder / name).read_text(encoding="utf-8")


def boot_config(folder: Path, page: str) -> dict:
    """The page config the page's boot script sets (``window.GBA_BOOT``)."""
    for src in re.findall(r'<script src="([^"]+)"></script>', read(folder, page)):
        script = read(folder, posixpath.normpath(posixpath.join(posixpath.dirname(page), src)))
        if "GBA_BOOT" in script:
            return json.loads(script.split("config: ", 1)[1].rsplit("};", 1)[0])
    raise AssertionError(f"{page}: no boot script")


def test_every_page_and_file_is_written_as_the_app_serves_it(app, folder: Path) -> None:
    for page in PAGES:
        assert (folder / page).is_file(), page
    client = app.test_client()
    layers = app.extensions["gba_provider"].layers()
    for url in exports.export_urls(layers):  # every format, per layer and all
        assert (folder / url.lstrip("/")).read_bytes() == client.get(url).get_data(), url
    for lang in URL_LANGS:
        for layer in layers:
            served = client.get(f"/download/{layer}.geojson?texts={lang}").get_data()
            assert (folder / f"data/{lang}/{layer}.geojson").read_bytes() == served
        assert (folder / f"download/{lang}/all.kml").read_bytes() == client.get(f"/download/all.kml?lang={lang}").data
        assert (folder / f"image/{lang}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"<svg" in (folder / f"image/{lang}.svg").read_bytes()[:500]
    for name in app.extensions["gba_context"]:
        assert (folder / f"context/{name}.geojson").read_bytes() == client.get(f"/context/{name}.geojson").data
    assert (folder / "embed.js").read_bytes() == client.get("/embed.js").data
    manifest = json.loads(read(folder, MARKER))
    assert manifest["generator"] == static_export.GENERATOR
    on_disk = {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}
    assert on_disk == set(manifest["files"]) | {MARKER}


def test_pages_link_only_files_of_the_folder_by_relative_urls(folder: Path) -> None:
    for page in PAGES:
        html = read(folder, page)
        assert "nonce=" not in html
        # No inline script is left (the policy allows our files only) and no app route is linked.
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == [], page
        for ref in _REFERENCE.findall(html):
            if ref.startswith(("http://", "https://")) or ref == "":
                continue
            assert not ref.startswith("/"), (page, ref)
            target = posixpath.normpath(posixpath.join(posixpath.dirname(page), ref))
            assert (folder / target).is_file() or (folder / target / "index.html").is_file(), (page, ref)


def test_each_page_config_points_at_the_files(folder: Path) -> None:
    for page in PAGES:
        config = boot_config(folder, page)
        urls = config["urls"]
        assert urls["exported"] is True
        here = posixpath.dirname(page)

        def exists(url: str, here: str = here) -> bool:
            return (folder / posixpath.normpath(posixpath.join(here, url))).is_file()

        for overlay in config["overlays"]:
            assert overlay["url"].endswith(f"data/{config['urlLang']}/{overlay['name']}.geojson")
            assert exists(overlay["url"]), overlay["url"]
        for url in [urls["searchData"], urls["embedScript"], urls["parseWorker"], urls["downloadAll"]]:
            assert exists(url), (page, url)
        assert all(exists(level["url"]) for level in urls["contextLevels"])
        assert {lang for lang, _page, _embed in urls["langPages"]} == set(URL_LANGS)
        for _lang, full, embed in urls["langPages"]:
            assert exists(full) and exists(embed)
        assert urls["page"] == next(p for lang, p, _e in urls["langPages"] if lang == config["urlLang"])


def parse_headers(text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    rules: list[tuple[str, list[tuple[str, str]]]] = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            rules.append((line.strip(), []))
        else:
            name, _, value = line.strip().partition(":")
            rules[-1][1].append((name.strip(), value.strip()))
    return rules


def headers_for(rules, path: str) -> dict[str, list[str]]:
    """Every value each header gets on ``path`` (a host merges every matching rule's)."""
    found: dict[str, list[str]] = {}
    for pattern, headers in rules:
        if pattern == path or ("*" in pattern and fnmatchcase(path, pattern)):
            for name, value in headers:
                found.setdefault(name.lower(), []).append(value)
    return found


def test_headers_cache_type_and_frame_every_file_once(app, folder: Path) -> None:
    rules = parse_headers(read(folder, "_headers"))
    files = ["/" + path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()]
    pages = [f"/{page}" for page in PAGES] + [f"/{page}".removesuffix("index.html") for page in PAGES]
    for path in files + pages:
        headers = headers_for(rules, path)
        # One value per header: hosts join a header set by two rules with a comma.
        assert all(len(values) == 1 for values in headers.values()), (path, headers)
        assert headers["x-content-type-options"] == ["nosniff"]
        assert headers["referrer-policy"] == [security.REFERRER_POLICY]
    embed_policy = security.page_policy(security.frame_ancestors(app.config["EMBED_ALLOWED_ORIGINS"]), None)
    for path in pages:
        headers = headers_for(rules, path)
        assert "must-revalidate" in headers["cache-control"][0]
        if "/embed/" in path or path.startswith("/embed"):
            assert headers["content-security-policy"] == [embed_policy]
            assert "x-frame-options" not in headers
        else:
            assert headers["content-security-policy"] == [security.page_policy("frame-ancestors 'self'", None)]
            assert headers["x-frame-options"] == ["SAMEORIGIN"]
        assert "'nonce-" not in headers["content-security-policy"][0]
        assert "script-src 'self';" in headers["content-security-policy"][0]
    for path in files:
        headers = headers_for(rules, path)
        if path.startswith(("/assets/", "/boot/")):
            assert headers["cache-control"] == [static_export.IMMUTABLE], path
        elif path.startswith(("/data/", "/download/", "/search/", "/context/")):
            assert "must-revalidate" in headers["cache-control"][0]
            assert headers["access-control-allow-origin"] == ["*"]
            assert headers["content-security-policy"] == [security.DATA_POLICY]
    assert headers_for(rules, "/download/hospitals.fgb")["content-type"] == ["application/flatgeobuf"]
    assert headers_for(rules, "/download/zones.gpkg")["content-type"] == ["application/geopackage+sqlite3"]
    assert headers_for(rules, "/data/en/zones.geojson")["content-type"] == ["application/geo+json"]
    assert headers_for(rules, "/download/zones.shp.zip")["content-disposition"] == [
        'attachment; filename="gba-cooperation-zones.shp.zip"'
    ]
    assert static_export.content_type("tiles/enterprises.pmtiles") == "application/vnd.pmtiles"
    assert static_export.content_type("tiles/enterprises/3/6/3.mvt") == "application/vnd.mapbox-vector-tile"


def test_the_meta_policy_is_the_headers_without_framing(folder: Path) -> None:
    for page in PAGES:
        meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', read(folder, page))
        assert meta is not None, page
        assert meta.group(1) == static_export.page_policy(None)
        assert "frame-ancestors" not in meta.group(1) and "script-src 'self';" in meta.group(1)
        # First in the head: before any script.
        assert read(folder, page).index(meta.group(0)) < read(folder, page).index("<script")


QUERIES = [
    "坪山區",
    "坪山区",
    "pingshan",
    "Ping Shan",
    "香港 大學",
    "hkpc",
    "澳門城市大學",
    "cuhk shenzhen",
    "港中大",
    "x",
]


def test_the_browser_search_answers_as_the_server(app, folder: Path, tmp_path: Path) -> None:
    """static-search.js over the export's search file, run by node, against webapp/search.py."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: run `make node`")
    module = (REPO / "webapp" / "static" / "js" / "static-search.js").as_uri()
    script = tmp_path / "run.mjs"
    script.write_text(
        f'import {{ readFileSync }} from "node:fs";\nimport {{ createMatcher }} from "{module}";\n'
        "const data = JSON.parse(readFileSync(process.argv[2], 'utf-8'));\n"
        "const matcher = createMatcher(data);\n"
        "const out = JSON.parse(process.argv[3]).map((q) => { const f = matcher.find(q, 50);\n"
        "  return { ids: f.results.map((r) => r.id), total: f.total, names: f.results.map((r) => r.name_en ?? null) }; });\n"
        "console.log(JSON.stringify(out));\n",
        encoding="utf-8",
    )
    ran = subprocess.run(
        [node, str(script), str(folder / static_export.SEARCH_FILE), json.dumps(QUERIES, ensure_ascii=False)],
        capture_output=True,
        text=True,
        check=True,
    )
    answers = json.loads(ran.stdout)
    index = search.build_index(app.extensions["gba_provider"])
    for query, answer in zip(QUERIES, answers, strict=True):
        found = index.find(query, 50)
        assert answer["ids"] == [result["id"] for result in found.results], query
        assert answer["total"] == found.total, query
        assert answer["names"] == [result.get("name_en") for result in found.results], query
    assert answers[0]["ids"] and answers[0]["ids"] == answers[1]["ids"]  # Traditional = Simplified


def run_export(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "webapp", "export", *args], capture_output=True, text=True, cwd=REPO, check=False
    )


def test_the_command_refuses_a_folder_that_is_not_an_export(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    ran = run_export(str(out))
    assert ran.returncode == 1
    assert ran.stderr.count("\n") == 1 and "not empty and not a previous export" in ran.stderr
    assert "Traceback" not in ran.stderr
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    a_file = tmp_path / "file"
    a_file.write_text("x", encoding="utf-8")
    ran = run_export(str(a_file))
    assert ran.returncode == 1 and "is not a folder" in ran.stderr and ran.stderr.count("\n") == 1
    ran = run_export(str(tmp_path / "new"), "--data-dir", str(tmp_path / "no-data"))
    assert ran.returncode == 1 and ran.stderr.strip().splitlines()[-1].startswith("python -m webapp export: error:")
    assert "Traceback" not in ran.stderr
    assert not (tmp_path / "new").exists()


def test_the_command_replaces_a_previous_export_whole(mini_data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = run_export(str(out), "--data-dir", str(mini_data_dir))
    assert first.returncode == 0, first.stderr
    assert "export: pages: 6" in first.stderr and "export: downloads:" in first.stderr  # progress
    (out / "stale.txt").write_text("from before", encoding="utf-8")
    (out / MARKER).write_text(json.dumps({"generator": static_export.GENERATOR}), encoding="utf-8")
    again = run_export(str(out), "--data-dir", str(mini_data_dir), "-q")
    assert again.returncode == 0, again.stderr
    assert again.stderr == ""
    assert not (out / "stale.txt").exists()  # a new folder, not files written over the old one
    assert (out / "index.html").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no work folder left beside it


def test_a_failed_export_leaves_the_previous_one_and_no_partial_folder(
    mini_app, folder: Path, tmp_path: Path, monkeypatch
) -> None:
    out = tmp_path / "site"
    shutil.copytree(folder, out)
    before = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))

    def broken(_provider, **_options):
        raise ExportError("the search file: disk full")

    monkeypatch.setattr(static_export, "search_data", broken)
    with pytest.raises(ExportError):
        export(mini_app, out)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    with pytest.raises(ExportError):
        export(mini_app, tmp_path / "fresh")
    assert not (tmp_path / "fresh").exists()


def test_layers_over_the_tile_threshold_are_archives_or_said_to_be_geojson(mini_data_dir: Path, tmp_path: Path) -> None:
    """Layers over TILE_THRESHOLD become PMTiles archives the pages draw from; an app without
    webapp.tiles.write_pmtiles says so and keeps them as GeoJSON (the pages then load them whole)."""
    from webapp import create_app, mapview

    app = create_app({"TESTING": True, "DATA_DIR": str(mini_data_dir), "TILE_THRESHOLD": 0})
    expected = mapview.tiled_layers(app.extensions["gba_provider"], 0)
    assert expected
    said: list[str] = []
    out = tmp_path / "site"
    export(app, out, said.append, tile_max_zoom=6)
    config = boot_config(out, "index.html")
    tiled = [overlay["name"] for overlay in config["overlays"] if overlay.get("tiled")]
    try:
        from webapp.tiles import write_pmtiles  # noqa: F401 - only whether it exists
    except ImportError:
        assert any("cannot write PMTiles" in line and expected[0] in line for line in said), said
        assert tiled == []
        assert not (out / "tiles").exists()
    else:
        assert tiled == list(expected)
        assert config["urls"]["tiles"] == "tiles/__layer__.pmtiles" and config["urls"]["items"] is None
        for layer in expected:
            assert (out / f"tiles/{layer}.pmtiles").read_bytes()[:7] == b"PMTiles"
        rules = parse_headers(read(out, "_headers"))
        assert headers_for(rules, f"/tiles/{expected[0]}.pmtiles")["content-type"] == ["application/vnd.pmtiles"]
        # Their records are not in the search file (a million would be sent to every reader).
        assert not set(json.loads(read(out, static_export.SEARCH_FILE))["layers"]) & set(expected)
