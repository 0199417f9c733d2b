"""Security headers on every response, CORS preflights, and the public base URL (docs/embed.md).

One place decides what a browser may do with our responses:

- every response: ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy``;
- HTML pages: a Content-Security-Policy whose scripts are our own files plus inline
  scripts carrying this request's nonce; images from us and the basemaps' tile hosts
  (derived from ``webapp.basemaps``); ``frame-ancestors`` from ``EMBED_ALLOWED_ORIGINS``
  on the frameable pages (``/embed`` only) and ``'self'`` with ``X-Frame-Options``
  elsewhere, so the same map cannot be framed through ``/`` or the API's HTML pages;
- other responses (JSON, GeoJSON, images): ``default-src 'none'; frame-ancestors 'none'``;
- the public data (downloads, search, OGC API, vector tiles, images, oEmbed): ``Access-Control-Allow-Origin: *``
  and a complete answer to CORS preflights.

Absolute links come from ``PUBLIC_URL`` (``public_url``), never from the Host header, which
any client can set and which caches would otherwise store in public responses.
"""

from __future__ import annotations

import re
import secrets
from functools import cache
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request

from webapp.basemaps import BASEMAPS

# The pages other sites may frame (decided in issue 10: the embed only).
FRAMEABLE_ENDPOINTS = frozenset({"views.embed"})
# The read-only public data any site may fetch from a script.
CORS_BLUEPRINTS = frozenset({"downloads", "search", "ogcapi", "image", "oembed", "tiles"})
CORS_METHODS = "GET, HEAD, OPTIONS"
CORS_HEADERS = "Accept, Accept-Language, If-None-Match, If-Modified-Since, Range, If-Range, Content-Type"
# Response headers a script may read besides the safelisted ones: the validator, and what a
# byte-range reader (a FlatGeobuf or GeoJSON reader in the browser) needs to find its place.
CORS_EXPOSED = "ETag, Accept-Ranges, Content-Range"
CORS_MAX_AGE = 86400  # seconds a browser may reuse a preflight's answer
REFERRER_POLICY = "strict-origin-when-cross-origin"
# What a response that is not a page may do when opened as a document: nothing.
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"
# Scripts and styles are subresources, not documents: a policy on them would only bite the
# parse worker (a worker runs under its script's policy), so they carry none.
SUBRESOURCE_TYPES = frozenset({"text/javascript", "application/javascript", "text/css"})

# One CSP source expression: *, 'self', 'none', a scheme ("https:") or [scheme://]host[:port].
_FRAME_SOURCE = re.compile(
    r"^(\*|'self'|'none'|[a-z][a-z0-9+.-]*:|([a-z][a-z0-9+.-]*://)?(\*\.)?[A-Za-z0-9.-]+(:(\d+|\*))?)$"
)
_SCRIPT_OPEN = re.compile(r"<script(?=[\s>])")


def frame_ancestors(origins: str) -> str:
    """The CSP directive that lets ``origins`` (space-separated; ``*`` = any) frame /embed."""
    sources = origins.split()
    bad = [source for source in sources if not _FRAME_SOURCE.match(source)]
    if not sources or bad:
        raise ValueError(
            f"EMBED_ALLOWED_ORIGINS={origins!r}: give space-separated origins such as "
            "'https://news.example.com https://*.partner.org', or * for any site"
        )
    return "frame-ancestors " + " ".join(sources)


def check_public_url(value: str) -> str:
    """``PUBLIC_URL`` checked and without its trailing slash: an absolute http(s) URL, a path allowed."""
    hint = "give the address readers use, e.g. https://map.example.org or https://example.org/gba"
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        raise ValueError(f"PUBLIC_URL={value!r}: not a URL; {hint}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"PUBLIC_URL={value!r}: expected an absolute http:// or https:// URL; {hint}")
    if parts.query or parts.fragment or "?" in value or "#" in value:
        raise ValueError(f"PUBLIC_URL={value!r}: no query or fragment allowed; {hint}")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"PUBLIC_URL={value!r}: no user name or password allowed; {hint}")
    if port == 0:
        raise ValueError(f"PUBLIC_URL={value!r}: port 0 is not an address; {hint}")
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def public_url(path: str = "/") -> str:
    """The absolute address of ``path``, a path of this app as ``url_for`` gives it.

    ``url_for`` prefixes the prefix the app is mounted under (SCRIPT_NAME); ``PUBLIC_URL``
    already ends with the public one, so that prefix is taken off first.
    """
    prefix = request.script_root
    if prefix and (path == prefix or path.startswith(prefix + "/")):
        path = path[len(prefix) :]
    return current_app.config["PUBLIC_URL"] + (path if path.startswith("/") else "/" + path)


@cache
def tile_sources() -> tuple[str, ...]:
    """The origins the basemaps' tiles come from, each ``{s}`` subdomain spelt out."""
    sources: list[str] = []
    for basemap in BASEMAPS.values():
        parts = urlsplit(basemap.tiles)
        netloc = parts.netloc
        for host in [netloc.replace("{s}", sub) for sub in basemap.subdomains] if "{s}" in netloc else [netloc]:
            if "{" in host:
                raise ValueError(f"basemap tiles {basemap.tiles!r}: a placeholder in the host other than {{s}}")
            origin = f"{parts.scheme}://{host}"
            if origin not in sources:
                sources.append(origin)
    return tuple(sources)


def csp_nonce() -> str:
    """This request's script nonce (made on first use; the page's policy then names it)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def with_nonce(html: str) -> str:
    """``html`` (our own rendered markup, e.g. folium's header) with the nonce on every <script>."""
    return _SCRIPT_OPEN.sub(f'<script nonce="{csp_nonce()}"', html)


def page_policy(frame_sources: str, nonce: str | None) -> str:
    """The Content-Security-Policy of an HTML page."""
    scripts = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src {scripts}",
            # 'unsafe-inline' for styles only: folium's header writes <style> blocks, and Leaflet
            # and our templates set style attributes (positions, the embed snippet's border).
            # A style cannot run script; scripts stay nonce-only.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob: " + " ".join(tile_sources()),
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            frame_sources,
        )
    )


def preflight() -> Response | None:
    """The answer to a CORS preflight (OPTIONS) on the public data; None for any other request."""
    if request.method != "OPTIONS" or request.url_rule is None or request.blueprint not in CORS_BLUEPRINTS:
        return None
    response = Response(status=204)
    del response.headers["Content-Type"]  # no content, so no type (Flask's default would say text/html)
    response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
    response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
    response.headers["Access-Control-Max-Age"] = str(CORS_MAX_AGE)
    response.headers["Allow"] = CORS_METHODS
    return response


def add_headers(response: Response) -> Response:
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = REFERRER_POLICY
    if request.blueprint in CORS_BLUEPRINTS:
        headers["Access-Control-Allow-Origin"] = "*"
        headers["Access-Control-Expose-Headers"] = CORS_EXPOSED
    if response.status_code in (204, 304):
        return response  # no body; a 304's headers would overwrite the cached response's
    if response.mimetype == "text/html":
        if request.endpoint in FRAMEABLE_ENDPOINTS:
            frame_sources = frame_ancestors(current_app.config["EMBED_ALLOWED_ORIGINS"])
            headers.pop("X-Frame-Options", None)  # it cannot name a list of sites
        else:
            frame_sources = "frame-ancestors 'self'"
            headers["X-Frame-Options"] = "SAMEORIGIN"
        headers["Content-Security-Policy"] = page_policy(frame_sources, g.get("csp_nonce"))
    elif response.mimetype not in SUBRESOURCE_TYPES:
        headers["Content-Security-Policy"] = DATA_POLICY
    return response


def register(app: Flask) -> None:
    app.config["PUBLIC_URL"] = check_public_url(app.config["PUBLIC_URL"])
    frame_ancestors(app.config["EMBED_ALLOWED_ORIGINS"])
    app.add_template_global(csp_nonce)
    app.add_template_filter(with_nonce)
    app.before_request(preflight)
    app.after_request(add_headers)
