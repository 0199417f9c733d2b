"""``python -m webapp export OUT/``: the whole map as a folder of static files (docs/static-export.md).

The folder works from any static host or CDN, under any path prefix (every URL in it is
relative), with no app server: the map and embed pages in each language, rendered by the
app's own views with the files' URLs in their config; the assets as the app serves them;
each layer's GeoJSON (the map's one-language files and the downloads), every format of
``webapp.exports.FORMATS`` per layer and for all, the context outlines, the static images
of the default view, a search file that ``js/static-search.js`` searches in the browser with
``webapp.search``'s own folding, and ``_headers`` (Netlify / Cloudflare Pages syntax) with
the cache rules, content types and the app's security headers.

The pages' inline scripts become files (``boot/<digest>.js``), so their policy needs no
nonce and no hash: ``script-src 'self'``, in ``_headers`` and in a ``<meta>`` for hosts
that ignore ``_headers``.

The folder is written beside ``OUT`` and renamed into place: ``OUT`` is never half written.
A non-empty ``OUT`` is replaced only when it is a previous export (it holds ``MARKER``).
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from flask import Flask

from geo.schema import LINK_LAYER, URL_LANGS
from geo.text import fold_latin, has_han, normalise_query, pinyin_syllables, to_traditional
from webapp import assets, exports, mapview, search, security

MARKER = "export.json"  # written last into every export: what marks a folder as one
GENERATOR = "gba-cooperation-map static export"
BOOT_DIR = "boot"  # the pages' scripts, named by their digest (immutable)
SEARCH_FILE = "search/index.json"
# The module js/search.js import()s on an exported page only (bench.report leaves it out elsewhere).
STATIC_SEARCH_MODULE = "static-search.js"
EMBED_SCRIPT = "embed.js"
TILE_FILE = f"tiles/{mapview.LAYER_PLACEHOLDER}.pmtiles"  # a tiled layer's archive
TILE_MAX_ZOOM = 12  # the archives' deepest zoom (the map draws deeper zooms from it, overzoomed)
HTML_MAX_AGE = 60  # seconds: pages change with every export, under the same names
DATA_MAX_AGE = 300  # the data files, the images, the search file and the tiles
IMMUTABLE = "public, max-age=31536000, immutable"
# Third-party package files the pages never load (sources and maps for debugging).
SKIPPED_ASSETS = re.compile(r"(-src(\.esm)?\.js|\.map)$")
# Content types a static host may not know, by suffix (the downloads' come from exports.FORMATS).
CONTENT_TYPES = {
    ".geojson": "application/geo+json",
    ".json": "application/json",
    ".pmtiles": "application/vnd.pmtiles",
    ".mvt": "application/vnd.mapbox-vector-tile",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}


class ExportError(Exception):
    """The export cannot be written; the message says why (one line)."""


Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


# -- the search file -------------------------------------------------------------------------


class _FieldTable:
    """Records the fields ``webapp.search`` indexes, folded as it folds them, for the browser.

    Chinese is folded character by character (``normalise_query`` of each) with the same map
    the browser folds a query with, so both sides agree exactly.
    """

    def __init__(self) -> None:
        self.ids: dict[tuple, int] = {}
        self.rows: list[list] = []
        self.han_chars: set[str] = set()
        self.kinds = list(search.FIELD_WEIGHT)

    def add(self, kind: str, han_text: str, en_text: str = "", with_pinyin: bool = False) -> int:
        key = (kind, han_text, en_text, with_pinyin)
        if key in self.ids:
            return self.ids[key]
        han = normalise_query(han_text) if han_text else ""
        self.han_chars.update(han_text or "")
        latin = [word for word in (fold_latin(word) for word in en_text.split()) if word]
        syllables = pinyin_syllables(han_text) if with_pinyin and han else []
        self.rows.append([self.kinds.index(kind), han_text or "", " ".join(latin), " ".join(syllables)])
        self.ids[key] = len(self.rows) - 1
        return self.ids[key]


def han_folds(chars: Iterable[str]) -> dict[str, str]:
    """Each Chinese character of the data, and the Traditional form of each Simplified one, to
    its search key (``normalise_query``); characters that fold to themselves are left out."""
    folds: dict[str, str] = {}
    seen = {c for c in chars if has_han(c)}
    seen |= {t for c in list(seen) for t in to_traditional(normalise_query(c)) if has_han(t)}
    for char in sorted(seen):
        key = normalise_query(char)
        if key != char:
            folds[char] = key
    return folds


def search_data(provider, leave_out: Iterable[str] = ()) -> dict:
    """The search file: every record's fields as ``webapp.search`` indexes them (already folded,
    Chinese with ``folds``), the records' summaries, and the scoring constants.

    ``leave_out``: layers whose records are not searched (the tiled ones: too many to send to
    every reader, and their records cannot be opened without a server)."""
    import orjson

    table = _FieldTable()
    left_out = set(leave_out)
    layers = [layer for layer in provider.layers() if layer not in left_out]
    aliases_of: dict[str, list] = {}
    per_layer: dict[str, list] = {}
    # Links after the layers, whose aliases their ends carry (as in search.SearchIndex); a layer
    # left out still lends its records' aliases to the links' ends.
    for layer in sorted(provider.layers(), key=lambda name: name == LINK_LAYER):
        records = []
        for blob in provider.query(layer).items:
            props = orjson.loads(blob)["properties"]
            if props.get("aliases"):
                aliases_of[props["id"]] = list(props["aliases"])
            if layer in left_out:
                continue
            fields = search._record_fields(table, layer, props, aliases_of)
            records.append((str(props["id"]), sorted(set(fields)), search._summary(layer, props)))
        records.sort(key=lambda record: record[0])
        per_layer[layer] = records
    keys = {"point": list(search._summary("", {}).keys()), "link": list(search._summary(LINK_LAYER, {}).keys())}
    folds = han_folds(table.han_chars)
    fields = [[kind, fold_han(han, folds), latin, syllables] for kind, han, latin, syllables in table.rows]
    entries = []
    for code, layer in enumerate(layers):
        shape = keys["link" if layer == LINK_LAYER else "point"]
        for _id, field_ids, summary in per_layer[layer]:
            entries.append([code, field_ids, [summary[key] for key in shape]])
    return {
        "generator": GENERATOR,
        "layers": layers,
        "linkLayer": LINK_LAYER,
        "summaryKeys": keys,
        "weights": [search.FIELD_WEIGHT[kind] for kind in table.kinds],
        "quality": search.QUALITY,
        "maxTerms": search.MAX_TERMS,
        "maxResults": search.MAX_RESULTS,
        "folds": folds,
        "fields": fields,
        "entries": entries,
    }


def fold_han(text: str, folds: dict[str, str]) -> str:
    """``text``'s search key, folded character by character (as js/static-search.js folds a query)."""
    return "".join(folds.get(char, normalise_query(char)) for char in text)


# -- the pages -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PagePlace:
    lang: str  # URL tag
    embed: bool

    def path(self, default_lang: str) -> str:
        """The page's file in the folder, e.g. ``index.html``, ``en/embed/index.html``."""
        parts = [] if self.lang == default_lang else [self.lang]
        if self.embed:
            parts.append("embed")
        return "/".join([*parts, "index.html"])


def relative(target: str, page: str) -> str:
    """``target`` (a path in the folder) as a URL relative to the page at ``page``."""
    return posixpath.relpath(target, posixpath.dirname(page) or ".")


_INLINE_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S)
_NONCE = re.compile(r'\snonce="[^"]*"')


def externalise_scripts(html: str, page: str, write: Callable[[str, bytes], None]) -> str:
    """``html`` with its nonces dropped and each inline script moved to ``boot/<digest>.js``
    (loaded in the same place, so the order of execution is kept)."""
    html = _NONCE.sub("", html)

    def move(match: re.Match) -> str:
        attrs, body = match.group("attrs"), match.group("body")
        if "src=" in attrs or not body.strip():
            return match.group(0)
        if "type=" in attrs:
            raise ExportError(f"{page}: an inline script with a type ({attrs.strip()}): cannot move it to a file")
        data = body.strip().encode("utf-8") + b"\n"
        name = f"{BOOT_DIR}/{hashlib.sha256(data).hexdigest()[:16]}.js"
        write(name, data)
        return f'<script src="{relative(name, page)}"></script>'

    return _INLINE_SCRIPT.sub(move, html)


_MAIN_MODULE = re.compile(r'<script type="module" src="(?P<dir>[^"]*/)main\.js"></script>')


def with_exported_module(html: str, page: str) -> str:
    """``js/exported.js`` before the entry module: it reads the address the server would have read."""
    found = _MAIN_MODULE.search(html)
    if found is None:
        raise ExportError(f"{page}: no main.js module to put js/exported.js before")
    tag = f'<script type="module" src="{found.group("dir")}exported.js"></script>\n'
    return html[: found.start()] + tag + html[found.start() :]


def page_policy(frame_sources: str | None) -> str:
    """The pages' Content-Security-Policy: the app's, with no nonce (no inline script is left)."""
    policy = security.page_policy(frame_sources or "", None)
    return "; ".join(part for part in policy.split("; ") if part)


def with_meta_policy(html: str) -> str:
    """The policy also as a ``<meta>`` first in the head, for hosts that do not read ``_headers``
    (a meta policy cannot hold ``frame-ancestors``: framing is up to the host's headers)."""
    meta = f'<meta http-equiv="Content-Security-Policy" content="{page_policy(None)}">'
    head = html.index("<head>") + len("<head>")
    return html[:head] + "\n" + meta + html[head:]


# -- the export ------------------------------------------------------------------------------


class _Folder:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, int] = {}

    def write(self, name: str, data: bytes) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.files[name] = len(data)


def check_target(out: Path) -> None:
    """Refuse ``out`` unless it is absent, an empty folder or a previous export."""
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        marker = out / MARKER
        try:
            previous = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = None
        if not isinstance(previous, dict) or previous.get("generator") != GENERATOR:
            raise ExportError(f"{out}: not empty and not a previous export (no {MARKER}); give a new or empty folder")


def _get(client, url: str) -> bytes:
    response = client.get(url)
    if response.status_code != 200:
        message = response.get_data(as_text=True)[:300].replace("\n", " ")
        raise ExportError(f"{url}: the app answered {response.status_code}: {message}")
    return response.get_data()


def export(
    app: Flask,
    out: Path,
    progress: Progress = _quiet,
    public_url: str | None = None,
    tile_max_zoom: int = TILE_MAX_ZOOM,
) -> dict[str, int]:
    """Write the export of ``app``'s data to ``out`` (see the module's docstring); the files written."""
    out = out.resolve()
    check_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        folder = _Folder(work)
        _write_all(app, folder, progress, public_url, tile_max_zoom)
        folder.write(MARKER, _manifest(app, folder))
        _swap(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return folder.files


def _manifest(app: Flask, folder: _Folder) -> bytes:
    provider = app.extensions["gba_provider"]
    return (
        json.dumps(
            {
                "generator": GENERATOR,
                "data_version": provider.version(),
                "default_lang": app.config["DEFAULT_LANG"],
                "files": dict(sorted(folder.files.items())),
            },
            ensure_ascii=False,
            indent=1,
        ).encode("utf-8")
        + b"\n"
    )


def _swap(work: Path, out: Path) -> None:
    """Move the finished folder to ``out``; a previous export there is moved aside, then removed."""
    work.chmod(0o755)  # mkdtemp's 0700 would hide the folder from a web server's user
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        out.rename(old / "export")
    work.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_all(app: Flask, folder: _Folder, progress: Progress, public_url: str | None, tile_max_zoom: int) -> None:
    provider = app.extensions["gba_provider"]
    layers = list(provider.layers())
    default_lang = app.config["DEFAULT_LANG"]
    client = app.test_client()
    minify = app.config["MINIFY_ASSETS"]

    progress("assets")
    for name, package in assets.PACKAGES.items():
        with app.test_request_context("/"):
            version = package.version or assets.tree_version(package.directory, package.private)
        for filename in package.files():
            if package.version is not None and SKIPPED_ASSETS.search(filename):
                continue
            loaded = assets.load_asset(name, filename, minify=minify)
            folder.write(f"assets/{name}/{version}/{filename}", loaded.body)
    folder.write(EMBED_SCRIPT, _get(client, "/embed.js"))

    progress(f"map data: {len(layers)} layers x {len(URL_LANGS)} languages")
    for lang in URL_LANGS:
        for layer in layers:
            folder.write(f"data/{lang}/{layer}.geojson", _get(client, f"/download/{layer}.geojson?texts={lang}"))
    for name in app.extensions.get("gba_context", {}):
        folder.write(f"context/{name}.geojson", _get(client, f"/context/{name}.geojson"))

    urls = exports.export_urls(layers)
    lang_urls = [
        (lang, url)
        for export in exports.FORMATS
        if "lang" in export.params
        for url in exports.export_urls(layers)
        if url.endswith("." + export.extension)
        for lang in URL_LANGS
    ]
    progress(f"downloads: {len(urls) + len(lang_urls)} files ({exports.formats_listed()})")
    for url in urls:
        folder.write(url.lstrip("/"), _get(client, url))
    for lang, url in lang_urls:
        name = url.rsplit("/", 1)[1]
        folder.write(f"download/{lang}/{name}", _get(client, f"{url}?lang={lang}"))

    progress(f"images: png and svg x {len(URL_LANGS)} languages")
    for lang in URL_LANGS:
        for fmt in ("png", "svg"):
            response = client.get(f"/image.{fmt}?lang={lang}")
            if response.status_code == 200:
                folder.write(f"image/{lang}.{fmt}", response.get_data())
            else:
                message = response.get_data(as_text=True)[:200].replace("\n", " ")
                progress(f"warning: image/{lang}.{fmt} not written ({response.status_code}: {message})")

    tiled = _write_tiles(app, folder, progress, tile_max_zoom)

    progress("search file" + (f" (without the tiled {', '.join(tiled)})" if tiled else ""))
    folder.write(SEARCH_FILE, _json(search_data(provider, leave_out=tiled)))

    places = [PagePlace(lang, embed) for lang in URL_LANGS for embed in (False, True)]
    progress(f"pages: {len(places)}")
    for place in places:
        page = place.path(default_lang)
        html = _render_page(app, place, page, default_lang, public_url, tiled)
        html = externalise_scripts(html, page, folder.write)
        html = with_exported_module(html, page)
        folder.write(page, with_meta_policy(html).encode("utf-8"))

    progress("_headers")
    frame_sources = security.frame_ancestors(app.config["EMBED_ALLOWED_ORIGINS"])
    folder.write("_headers", headers_file(folder.files, places, default_lang, frame_sources).encode("utf-8"))


def _write_tiles(app: Flask, folder: _Folder, progress: Progress, max_zoom: int) -> tuple[str, ...]:
    """The layers over the setting TILE_THRESHOLD as PMTiles archives (``tiles/<layer>.pmtiles``, one
    file a static host serves in byte ranges); the layers the pages then draw from tiles."""
    provider = app.extensions["gba_provider"]
    tiled = mapview.tiled_layers(provider, app.config["TILE_THRESHOLD"])
    if not tiled:
        return ()
    try:
        from webapp.tiles import write_pmtiles
    except ImportError:
        progress(
            f"warning: {', '.join(tiled)}: more features than TILE_THRESHOLD={app.config['TILE_THRESHOLD']}, "
            "but this app cannot write PMTiles (webapp.tiles.write_pmtiles): drawn from their GeoJSON instead"
        )
        return ()
    for layer in tiled:
        name = TILE_FILE.replace(mapview.LAYER_PLACEHOLDER, layer)
        path = folder.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        progress(f"tiles: {layer}, zooms 0-{max_zoom}")
        written = write_pmtiles(provider, layer, path, max_zoom)
        folder.files[name] = path.stat().st_size
        progress(f"tiles: {layer}: {written} tiles, {path.stat().st_size / 1e6:.1f} MB")
    return tiled


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _render_page(
    app: Flask, place: PagePlace, page: str, default_lang: str, public_url: str | None, tiled: tuple[str, ...]
) -> str:
    from webapp import views

    route = "/embed" if place.embed else "/"
    with app.test_request_context(route, query_string={"lang": place.lang}):
        app_urls = views.page_urls()

        def rel(url: str | None) -> str | None:
            return None if url is None else relative(url.lstrip("/"), page)

        def page_of(lang: str, embed: bool) -> str:
            return relative(PagePlace(lang, embed).path(default_lang), page)

        urls = replace(
            app_urls,
            leaflet_js=rel(app_urls.leaflet_js),
            leaflet_css=rel(app_urls.leaflet_css),
            markercluster_js=rel(app_urls.markercluster_js),
            markercluster_css=rel(app_urls.markercluster_css),
            main_js=rel(app_urls.main_js),
            map_css=rel(app_urls.map_css),
            modules=tuple(rel(url) for url in app_urls.modules),
            tiled_modules=tuple(rel(url) for url in app_urls.tiled_modules),
            vector_grid_js=rel(app_urls.vector_grid_js),
            parse_worker_js=rel(app_urls.parse_worker_js),
            page=page_of(place.lang, False),
            embed=page_of(place.lang, True),
            download_all=rel(app_urls.download_all),
            download_layer=rel(app_urls.download_layer),
            download_file=rel(app_urls.download_file),
            context=rel(app_urls.context),
            context_levels=tuple((rel(url), zoom) for url, zoom in app_urls.context_levels),
            search=rel(SEARCH_FILE),
            layer_data=rel(f"data/{place.lang}/{mapview.LAYER_PLACEHOLDER}.geojson"),
            lang_pages=tuple((lang, page_of(lang, False), page_of(lang, True)) for lang in URL_LANGS),
            search_data=rel(SEARCH_FILE),
            embed_script=rel(EMBED_SCRIPT),
            lang_download_file=rel(f"download/{place.lang}/{mapview.LAYER_PLACEHOLDER}.{mapview.FORMAT_PLACEHOLDER}"),
            # A tiled layer's archive (no {z}: js/tiles.js reads it as one file); no OGC API to page through.
            tiles=rel(TILE_FILE) if tiled else None,
            items=None,
        )
        own_page = PagePlace(place.lang, False).path(default_lang)
        base = public_url.rstrip("/") + "/" if public_url else None
        links = {
            # The card's links are absolute only when the export knows where it will be served.
            "page_url": base + own_page.removesuffix("index.html") if base else rel(own_page),
            "png_url": base + f"image/{place.lang}.png" if base else rel(f"image/{place.lang}.png"),
            "png": rel(f"image/{place.lang}.png"),
            "svg": rel(f"image/{place.lang}.svg"),
            "data": rel("download/all.geojson"),
            "print_css": urls.map_css.rsplit("/", 1)[0] + "/gba-print.css",
        }
        response = views.render_map(place.embed, urls=urls, card_links=links, tiled=tiled)
        return response.get_data(as_text=True)


# -- _headers --------------------------------------------------------------------------------


def content_type(name: str) -> str | None:
    """The type a host must send for the file ``name`` (None: any host knows it, e.g. .js, .css)."""
    for export in exports.FORMATS:
        if name.endswith("." + export.extension):
            return export.media_type
    return CONTENT_TYPES.get(posixpath.splitext(name)[1])


def headers_file(files: Iterable[str], places: list[PagePlace], default_lang: str, frame_sources: str) -> str:
    """``_headers`` (Netlify and Cloudflare Pages syntax): one rule per header per path, so no
    two rules ever set the same header on one file (hosts join such values with commas)."""
    lines = [
        "# The static export's HTTP headers (Netlify / Cloudflare Pages _headers syntax; see",
        "# docs/static-export.md for nginx and S3). Paths are from the export's root.",
        "/*",
        "  X-Content-Type-Options: nosniff",
        f"  Referrer-Policy: {security.REFERRER_POLICY}",
        "",
        "# Versioned by a digest or a package version in the path: cached for a year.",
    ]
    for prefix in ("/assets/*", f"/{BOOT_DIR}/*"):
        lines += [prefix, f"  Cache-Control: {IMMUTABLE}", ""]
    lines.append("# The pages: short caching, then revalidated; framing only for the embed.")
    for place in places:
        path = "/" + place.path(default_lang)
        policy = page_policy(frame_sources if place.embed else "frame-ancestors 'self'")
        for url in (path, path.removesuffix("index.html")):
            lines.append(url)
            lines.append(f"  Cache-Control: public, max-age={HTML_MAX_AGE}, must-revalidate")
            lines.append(f"  Content-Security-Policy: {policy}")
            if not place.embed:
                lines.append("  X-Frame-Options: SAMEORIGIN")
            lines.append("")
    lines.append("# The data: any site may read it; short caching, then revalidated.")
    data_dirs = ("/data/*", "/download/*", "/context/*", "/search/*", "/image/*", "/tiles/*", f"/{EMBED_SCRIPT}")
    for prefix in data_dirs:
        lines.append(prefix)
        lines.append(f"  Cache-Control: public, max-age={DATA_MAX_AGE}, must-revalidate")
        lines.append("  Access-Control-Allow-Origin: *")
        if prefix != f"/{EMBED_SCRIPT}":
            lines.append(f"  Content-Security-Policy: {security.DATA_POLICY}")
        lines.append("")
    lines.append("# Types a host may not know, and the downloads' file names.")
    for name in sorted(files):
        kind = content_type(name)
        if name.startswith(("assets/", f"{BOOT_DIR}/")) or name.endswith(".html") or kind is None:
            continue
        lines.append("/" + name)
        lines.append(f"  Content-Type: {kind}")
        if name.startswith("download/"):
            stem = posixpath.basename(name)
            lines.append(f'  Content-Disposition: attachment; filename="gba-cooperation-{stem}"')
        lines.append("")
    return "\n".join(lines)
