"""Front-end assets served by the app itself: no CDN, so the map loads where CDNs are blocked.

Leaflet and Leaflet.markercluster come from their PyPI ``xstatic`` packages and
our own JS/CSS from ``webapp/static``.  Every URL carries a version (the
package version, or one digest of our whole static tree), so responses can be
cached for a year; the bytes and their gzip form are kept in memory after the
first request.  Our own JS and CSS are served without comments and spare
whitespace (rjsmin, rcssmin: a third less to send, and no build step; the
files on disk stay as written) unless the setting ``MINIFY_ASSETS`` is off.  One version for the whole tree keeps ES modules cache-safe: a
module's relative imports (``./store.js``) resolve under the same version.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import posixpath
import re
import stat
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import rcssmin
import rjsmin
import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from flask import Blueprint, Response, current_app, request, url_for
from werkzeug.security import safe_join

from webapp.errors import NotFound

bp = Blueprint("assets", __name__)

OWN_STATIC = Path(__file__).resolve().parent / "static"
ONE_YEAR = 365 * 24 * 3600
COMPRESSIBLE = (".js", ".css", ".map", ".svg")


@dataclass(frozen=True)
class AssetPackage:
    """A directory of files served under ``/assets/<name>/<version>/``."""

    directory: Path
    version: str | None  # None: versioned by a digest of the directory's whole tree
    minify: tuple[str, ...] = ()  # suffixes served without comments and spare whitespace
    # Top-level folders that are not part of the package: never served here, exported or versioned
    # (webapp/static/review/ is served by the review page alone, webapp/review.py).
    private: tuple[str, ...] = ()

    def is_private(self, filename: str) -> bool:
        return filename.split("/", 1)[0] in self.private

    def files(self) -> list[str]:
        """The package's files (paths relative to its directory), sorted; its private folders left out."""
        names = (path.relative_to(self.directory).as_posix() for path in self.directory.rglob("*") if path.is_file())
        return sorted(name for name in names if not self.is_private(name))


PACKAGES = {
    # Their JS comes minified by its authors; their CSS does not.
    "leaflet": AssetPackage(Path(xstatic.pkg.leaflet.BASE_DIR), xstatic.pkg.leaflet.VERSION, minify=(".css",)),
    "markercluster": AssetPackage(
        Path(xstatic.pkg.leaflet_markercluster.BASE_DIR), xstatic.pkg.leaflet_markercluster.VERSION, minify=(".css",)
    ),
    "gba": AssetPackage(OWN_STATIC, None, minify=(".js", ".css"), private=("review",)),
}
MINIFIERS = {".js": rjsmin.jsmin, ".css": rcssmin.cssmin}


@dataclass(frozen=True)
class LoadedAsset:
    body: bytes
    gzipped: bytes | None
    mimetype: str
    digest: str


@lru_cache(maxsize=128)
def _load(path: Path, mtime_ns: int, size: int, minify: bool = False) -> LoadedAsset:
    # mtime and size are part of the cache key so an edited file is re-read.
    body = path.read_bytes()
    if minify:
        body = MINIFIERS[path.suffix](body.decode("utf-8")).encode("utf-8")
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix == ".js":
        mimetype = "text/javascript"  # Python 3.11 still guesses application/javascript
    gzipped = gzip.compress(body, compresslevel=9, mtime=0) if path.suffix in COMPRESSIBLE else None
    return LoadedAsset(body, gzipped, mimetype, hashlib.sha256(body).hexdigest()[:12])


def _file(package: str, filename: str) -> tuple[AssetPackage, Path] | None:
    pkg = PACKAGES.get(package)
    if pkg is None:
        return None
    joined = safe_join(str(pkg.directory), filename)
    if joined is None or not Path(joined).is_file():
        return None
    # Judged on the joined (normalised) path, so that "js/../review/x.js" is refused as "review/x.js" is.
    if pkg.is_private(Path(joined).relative_to(pkg.directory).as_posix()):
        return None
    return pkg, Path(joined)


def load_asset(package: str, filename: str, minify: bool = False) -> LoadedAsset | None:
    """The asset's bytes (minified if ``minify`` and the package allows), or None when the
    package or file does not exist."""
    found = _file(package, filename)
    if found is None:
        return None
    stat = found[1].stat()
    return _load(found[1], stat.st_mtime_ns, stat.st_size, minify and found[1].suffix in found[0].minify)


@lru_cache(maxsize=8)
def _tree_digest(directory: Path, signature: tuple) -> str:
    # ``signature`` (paths, mtimes, sizes) is the cache key: an edited file changes the version.
    digest = hashlib.sha256()
    for relative, _mtime, _size in signature:
        digest.update(relative.encode() + b"\0" + (directory / relative).read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def tree_version(directory: Path, private: tuple[str, ...] = ()) -> str:
    """One digest of every file under ``directory`` but those in its ``private`` top-level folders."""
    stats = sorted(
        (path.relative_to(directory).as_posix(), path.stat())
        for path in directory.rglob("*")
        if path.relative_to(directory).parts[0] not in private
    )
    signature = tuple((name, st.st_mtime_ns, st.st_size) for name, st in stats if stat.S_ISREG(st.st_mode))
    return _tree_digest(directory, signature)


def module_names() -> list[str]:
    """The front end's ES modules (``webapp/static/js/*.js``), by name."""
    return sorted(path.name for path in (OWN_STATIC / "js").glob("*.js"))


# A static import or re-export (``import x from "./y.js"``, ``export {x} from "./y.js"``,
# ``import "./z.js"``); ``import("./w.js")``, a dynamic import, is not one.
# Minified sources too (``import{a}from"./y.js"``).
_IMPORT = re.compile(r"""(?:\bimport|\bexport)\b[^"';(]*?\bfrom\s*["']([^"']+)["']|\bimport\s*["']([^"']+)["']""")


def module_imports(source: str) -> list[str]:
    """The specifiers of an ES module's static imports, in order."""
    return [a or b for a, b in _IMPORT.findall(source)]


_DYNAMIC_IMPORT = re.compile(r"""\bimport\(\s*["']([^"']+)["']\s*\)""")


def dynamic_imports(source: str) -> list[str]:
    """The specifiers of an ES module's ``import("./x.js")`` calls (modules loaded when needed)."""
    return _DYNAMIC_IMPORT.findall(source)


@lru_cache(maxsize=8)
def _preloads(entry: str, version: str) -> tuple[str, ...]:
    # ``version`` (the tree's digest) is the cache key: an edited module is parsed again.
    return tuple(static_imports(entry))


def module_preloads(entry: str = "js/main.js", version: str | None = None) -> list[str]:
    """``static_imports(entry)``, worked out once per version of the static tree (pages ask on every
    request); ``version``: the tree's (``asset_version("gba", …)``) when the caller has it already."""
    return list(_preloads(entry, version or tree_version(OWN_STATIC, PACKAGES["gba"].private)))


def static_imports(entry: str, read=None) -> list[str]:
    """Every module ``entry`` (a path under webapp/static, e.g. ``js/main.js``) imports statically,
    directly or not, in the order first met: what the browser fetches before the entry runs,
    and so what the page preloads. Modules imported only with ``import()`` are left to load
    when needed."""
    read = read or (lambda name: (OWN_STATIC / name).read_text(encoding="utf-8"))
    found: list[str] = []
    queue = [entry]
    while queue:
        current = queue.pop(0)
        for specifier in module_imports(read(current)):
            if not specifier.startswith("."):
                continue  # only our own relative modules
            name = posixpath.normpath(posixpath.join(posixpath.dirname(current), specifier))
            if name != entry and name not in found:
                found.append(name)
                queue.append(name)
    return found


def asset_version(package: str, filename: str) -> str:
    """The version segment of the file's URL."""
    pkg = PACKAGES[package]
    if load_asset(package, filename) is None:
        raise LookupError(f"no asset {package}/{filename}")
    return pkg.version if pkg.version is not None else tree_version(pkg.directory, pkg.private)


def asset_url(package: str, filename: str) -> str:
    """The app URL of an asset, e.g. ``/assets/leaflet/1.9.3/leaflet.js``."""
    return asset_urls(package, [filename])[0]


def asset_urls(package: str, filenames: list[str], version: str | None = None) -> list[str]:
    """The app URLs of several assets of one package; the package's version is worked out once
    (for our tree that means reading every file's stat, which a page would otherwise do per module),
    or given (``asset_version``'s, worked out by the caller)."""
    checked = filenames if version else filenames[1:]  # asset_version checks the first
    version = version or asset_version(package, filenames[0])
    for filename in checked:
        if load_asset(package, filename) is None:
            raise LookupError(f"no asset {package}/{filename}")
    return [url_for("views.assets.asset", package=package, version=version, filename=name) for name in filenames]


@bp.get("/assets/<package>/<version>/<path:filename>")
def asset(package: str, version: str, filename: str) -> Response:
    loaded = load_asset(package, filename, minify=current_app.config["MINIFY_ASSETS"])
    # A stale version must not be cached for a year under the current bytes.
    if loaded is None or version != asset_version(package, filename):
        raise NotFound(f"no asset {package}/{version}/{filename}; the page links the current versions")
    use_gzip = loaded.gzipped is not None and "gzip" in request.headers.get("Accept-Encoding", "")
    response = Response(loaded.gzipped if use_gzip else loaded.body, mimetype=loaded.mimetype)
    if use_gzip:
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    # Each encoding is its own representation, so each gets its own strong ETag.
    response.set_etag(loaded.digest + ("-gz" if use_gzip else ""))
    response.cache_control.public = True
    response.cache_control.max_age = ONE_YEAR
    response.cache_control.immutable = True
    return response.make_conditional(request)
