"""oEmbed 1.0 for the map's URLs, its discovery link, and the host pages' ``embed.js``.

``GET /oembed?url=<a map URL>&maxwidth=&maxheight=&format=json`` answers with a
``rich`` object whose ``html`` is the iframe snippet of ``/embed`` showing the same
view (docs/oembed.md).  "Ours" means: http or https, the host of the ``PUBLIC_URL``
setting (never the request's Host header), and the path of ``/`` or ``/embed`` under it;
the answer's links are built from ``PUBLIC_URL`` too.  A URL that is not ours, or that the map itself would refuse, is a
404: the provider has nothing to embed for it (the oEmbed spec's meaning of 404);
400 is kept for the oEmbed request's own parameters.

``GET /embed.js`` is the small classic script a host page includes once to size
every map iframe on it to its content (``webapp/static/embed.js``); it sits beside
``/embed``, so the front end finds it by appending ``.js`` to the embed path.

The work is in plain functions (``oembed_answer``, ``fit_size``, ``iframe_html``,
``discovery_href``); the routes only read the request and shape the response.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Blueprint, Response, current_app, jsonify, request, send_file, url_for
from werkzeug.datastructures import MultiDict

from webapp import i18n, mapview, queryables, security
from webapp.errors import ApiError, InvalidParameter, NotFound
from webapp.providers.base import FeatureProvider

bp = Blueprint("oembed", __name__)

VERSION = "1.0"
# The iframe a consumer gets without limits: 4:3, the shape the auto-height layout gives wide frames.
DEFAULT_SIZE = (800, 600)
CACHE_AGE = 86400  # seconds; the answer changes only when the app is redeployed
EMBED_SCRIPT = Path(__file__).resolve().parent / "static" / "embed.js"
EMBED_SCRIPT_MAX_AGE = 300  # host pages include it at a stable URL: keep the cache short
IMAGE_PATH = "/image.png"  # the static image of a view (webapp/image.py), relative to the app's root


class NotImplementedFormat(ApiError):
    status = 501
    code = "NotImplemented"


@dataclass(frozen=True)
class Site:
    """What decides whether a URL is ours, and where our own pages are."""

    scheme: str  # of the public address: the answer's links use it
    host: str  # host[:port] of the public address
    root: str  # the public path prefix ("" at the root of the host)
    page_paths: tuple[str, ...]  # "/" and "/embed" (with the prefix)
    embed_path: str


def fit_size(maxwidth: int | None, maxheight: int | None, size: tuple[int, int] = DEFAULT_SIZE) -> tuple[int, int]:
    """``size`` shrunk, keeping its shape, until it fits maxwidth × maxheight (never larger than either)."""
    width, height = size
    scale = min(1.0, (maxwidth or width) / width, (maxheight or height) / height)
    return max(1, math.floor(width * scale)), max(1, math.floor(height * scale))


def thumbnail_size(
    maxwidth: int | None, maxheight: int | None, image_params: tuple[queryables.Param, ...]
) -> tuple[int, int] | None:
    """The image's default size fitted into the limits; None when the image route cannot be that small."""
    sizes = {param.name: param for param in image_params}
    width, height = fit_size(maxwidth, maxheight, (int(sizes["width"].default), int(sizes["height"].default)))
    if width < sizes["width"].minimum or height < sizes["height"].minimum:
        return None
    return width, height


def iframe_html(src: str, width: int, height: int, title: str) -> str:
    """The iframe snippet, attributes escaped (``data-gba-map`` lets embed.js find it)."""
    return (
        f'<iframe src="{escape(src)}" width="{width}" height="{height}" style="border:0" loading="lazy" '
        f'title="{escape(title)}" allowfullscreen data-gba-map></iframe>'
    )


def discovery_href(endpoint: str, page_url: str) -> str:
    """The oEmbed discovery link's ``href`` for a page: ``endpoint?url=<page_url>&format=json``."""
    return f"{endpoint}?{urlencode({'url': page_url, 'format': 'json'})}"


def our_page_query(url: str, site: Site) -> MultiDict:
    """The query of ``url`` when it is one of our map pages (http or https); else NotFound."""
    try:
        parts = urlsplit(url.strip())
        host = parts.netloc
    except ValueError:
        raise NotFound("url: not a URL; give the full address of a map page of this site") from None
    if parts.scheme not in ("http", "https") or host.lower() != site.host.lower():
        raise NotFound(f"url: not a map of this site; expected http(s)://{site.host}{site.root}/ or …/embed")
    if parts.path not in site.page_paths:
        raise NotFound(f"url: {parts.path!r} is not a map page; expected one of {', '.join(site.page_paths)}")
    return MultiDict(parse_qsl(parts.query, keep_blank_values=True))


def oembed_answer(
    url: str,
    maxwidth: int | None,
    maxheight: int | None,
    *,
    site: Site,
    source: FeatureProvider,
    tables: queryables.Tables,
    default_lang: str,
) -> dict:
    """The oEmbed ``rich`` answer for a map URL of this site (NotFound when there is none)."""
    args = our_page_query(url, site)
    try:
        view = mapview.parse_view(args, source, default_lang, tables)
    except ApiError as error:
        raise NotFound(f"url: the map cannot show this URL: {error.message}") from None
    # The page's own parameters, as given (values checked above); fbclid, utm_… are dropped.
    known = {param.name for param in tables.page}
    view_query = [(name, value) for name, value in args.items(multi=True) if name in known]
    origin = f"{site.scheme}://{site.host}"
    src = f"{origin}{site.embed_path}" + (f"?{urlencode(view_query)}" if view_query else "")
    text = i18n.text(view.lang_key)
    width, height = fit_size(maxwidth, maxheight)
    answer = {
        "version": VERSION,
        "type": "rich",
        "html": iframe_html(src, width, height, text["title"]),
        "width": width,
        "height": height,
        "title": text["title"],
        "provider_name": text["title"],
        "provider_url": f"{origin}{site.root}/",
        "cache_age": CACHE_AGE,
    }
    thumbnail = thumbnail_size(maxwidth, maxheight, tables.image)
    if thumbnail is not None:
        image_query = urlencode([*view_query, ("width", thumbnail[0]), ("height", thumbnail[1])])
        answer["thumbnail_url"] = f"{origin}{site.root}{IMAGE_PATH}?{image_query}"
        answer["thumbnail_width"], answer["thumbnail_height"] = thumbnail
    return answer


def public_site() -> Site:
    """Our site as readers know it: the ``PUBLIC_URL`` setting and the pages' paths under it."""
    base = urlsplit(current_app.config["PUBLIC_URL"])
    page, embed = (urlsplit(security.public_url(url_for(name))).path for name in ("views.index", "views.embed"))
    return Site(scheme=base.scheme, host=base.netloc, root=base.path, page_paths=(page, embed), embed_path=embed)


def parse_request(args: Mapping, tables: queryables.Tables) -> dict:
    """The oEmbed request's own parameters: unknown ones 400, ``format=xml`` 501, no ``url`` 400."""
    parsed = queryables.parse_query(args, tables.oembed, strict=True)
    if parsed.get("format", "json") != "json":
        raise NotImplementedFormat("format: only json is served (oEmbed's xml format is not implemented)")
    if not parsed.get("url"):
        raise InvalidParameter("url is required: the address of a map page of this site, e.g. /oembed?url=…")
    return parsed


@bp.get("/oembed")
def answer() -> Response:
    tables: queryables.Tables = current_app.extensions["gba_tables"]
    parsed = parse_request(request.args, tables)
    body = oembed_answer(
        parsed["url"],
        parsed.get("maxwidth"),
        parsed.get("maxheight"),
        site=public_site(),
        source=current_app.extensions["gba_provider"],
        tables=tables,
        default_lang=current_app.config["DEFAULT_LANG"],
    )
    response = jsonify(body)
    response.headers["Cache-Control"] = f"public, max-age={CACHE_AGE}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/embed.js")
def embed_script() -> Response:
    response = send_file(EMBED_SCRIPT, mimetype="text/javascript", max_age=EMBED_SCRIPT_MAX_AGE)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
