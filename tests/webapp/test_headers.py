"""Headers on every response: CSP and framing, nosniff, Referrer-Policy, CORS preflights,
Accept-Encoding with q-values, and absolute links from PUBLIC_URL, never from Host (issue 10)."""

from __future__ import annotations

import gzip
import re
from urllib.parse import quote, urlsplit

import pytest

from tests.conftest import DATA_DIR
from webapp import SETTINGS, create_app, http
from webapp.assets import asset_url
from webapp.basemaps import BASEMAPS

# The app tests run with the files and the postgis provider (tests/conftest.py).
pytestmark = pytest.mark.both_providers


PUBLIC = SETTINGS["PUBLIC_URL"][1]  # the app fixtures keep the default
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
FEATURE = "/ogcapi/collections/hospitals/items/cmer-eye-hospital-futian"
HTML_PAGES = [
    "/?lang=en",
    "/embed?lang=en",
    "/ogcapi?f=html",
    "/ogcapi/?f=html",
    "/ogcapi/conformance?f=html",
    "/ogcapi/openapi?f=html",
    "/ogcapi/collections?f=html",
    "/ogcapi/collections/hospitals?f=html",
    "/ogcapi/collections/hospitals/queryables?f=html",
    "/ogcapi/collections/hospitals/schema?f=html",
    "/ogcapi/collections/hospitals/items?f=html",
    f"{FEATURE}?f=html",
]
# Each route of the app, by its rule, with a URL that answers 200 (checked against the url_map below).
ROUTES = {
    "/static/<path:filename>": "/static/gba-map.css",
    "/context/<name>.geojson": "/context/jurisdictions.geojson",
    "/download/<name>.geojson": "/download/all.geojson",
    "/download/<name>.<path:extension>": "/download/hospitals.shp.zip",
    "/": "/?lang=en",
    "/embed": "/embed?lang=en",
    "/assets/<package>/<version>/<path:filename>": None,  # versioned: filled in by ``route_urls``
    "/ogcapi/": "/ogcapi/",
    "/ogcapi": "/ogcapi",
    "/ogcapi/conformance": "/ogcapi/conformance",
    "/ogcapi/openapi": "/ogcapi/openapi",
    "/ogcapi/collections": "/ogcapi/collections",
    "/ogcapi/collections/<collection_id>": "/ogcapi/collections/hospitals",
    "/ogcapi/collections/<collection_id>/queryables": "/ogcapi/collections/hospitals/queryables",
    "/ogcapi/collections/<collection_id>/schema": "/ogcapi/collections/hospitals/schema",
    "/ogcapi/collections/<collection_id>/items": "/ogcapi/collections/hospitals/items?limit=3",
    "/ogcapi/collections/<collection_id>/items/<feature_id>": FEATURE,
    "/api/search": "/api/search?q=hospital",
    "/oembed": f"/oembed?url={quote(PUBLIC + '/embed?lang=en', safe='')}",
    "/embed.js": "/embed.js",
    "/image.<fmt>": "/image.svg?lang=en",
}
PREFLIGHTED = [
    "/download/all.geojson",
    "/download/hospitals.geojson",
    "/download/hospitals.gpkg",
    "/context/jurisdictions.geojson",
    "/api/search",
    "/ogcapi",
    "/ogcapi/collections/hospitals/items",
    FEATURE,
    "/image.png",
    "/image.svg",
    "/oembed",
]


def route_urls(app) -> list[str]:
    with app.test_request_context():
        leaflet = asset_url("leaflet", "leaflet.js")
    return [url or leaflet for url in ROUTES.values()]


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    directives = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        assert name not in directives, f"{name} given twice"
        directives[name] = sources
    return directives


def test_every_route_has_an_example(app):
    assert {rule.rule for rule in app.url_map.iter_rules()} == set(ROUTES)


@pytest.mark.parametrize("accept", [BROWSER_ACCEPT, "application/json"])
def test_every_response_says_nosniff_and_its_referrer_policy(app, client, accept):
    for url in route_urls(app):
        response = client.get(url, headers={"Accept": accept})
        assert response.status_code == 200, url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", url
        if response.mimetype == "text/html":
            assert "'self'" in policy(response)["default-src"], url
    error = client.get("/download/nothing.geojson")
    assert error.status_code == 404 and error.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("url", HTML_PAGES)
def test_every_html_page_has_a_strict_content_security_policy(client, url):
    response = client.get(url, headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200 and response.mimetype == "text/html"
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] in (["'self'"], ["'none'"])
    assert csp["form-action"] == ["'self'"]
    assert csp["connect-src"] == ["'self'"]
    scripts = csp["script-src"]
    assert "'self'" in scripts
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "blob:", "http:", "https:"} & set(scripts)
    nonces = {source[len("'nonce-") : -1] for source in scripts if source.startswith("'nonce-")}
    assert set(scripts) - {"'self'"} == {f"'nonce-{nonce}'" for nonce in nonces}
    page = response.get_data(as_text=True)
    for tag in re.findall(r"<script\b[^>]*>", page):
        if "src=" not in tag:
            assert re.search(r'nonce="([^"]+)"', tag) and re.search(r'nonce="([^"]+)"', tag).group(1) in nonces, tag
    # No nonce allows script in attributes or URLs.
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", page, flags=re.I)
    assert "javascript:" not in page.lower()


def test_the_nonce_is_new_on_every_request(client):
    first, second = (policy(client.get("/embed"))["script-src"] for _ in range(2))
    assert first != second


def test_pages_allow_the_basemaps_tiles_and_only_them(client):
    sources = policy(client.get("/"))["img-src"]
    for basemap in BASEMAPS.values():
        for subdomain in basemap.subdomains:
            tile = basemap.tiles.format(s=subdomain, x=1, y=2, z=3, r="")
            parts = urlsplit(tile)
            assert f"{parts.scheme}://{parts.netloc}" in sources, tile
    assert not {"*", "http:", "https:"} & set(sources)


@pytest.fixture(scope="module")
def news_only(make_app):
    """The app with only a news site allowed to frame the embed (the finding's setting)."""
    app = make_app({"DATA_DIR": str(DATA_DIR), "EMBED_ALLOWED_ORIGINS": "https://news.example.com"})
    return app.test_client()


def test_only_the_embed_follows_the_allowed_origins(news_only):
    embed = news_only.get("/embed")
    assert policy(embed)["frame-ancestors"] == ["https://news.example.com"]
    assert "X-Frame-Options" not in embed.headers  # it cannot name a list of sites


@pytest.mark.parametrize("url", [page for page in HTML_PAGES if not page.startswith("/embed")])
def test_every_other_page_is_framed_by_the_site_itself_only(news_only, url):
    response = news_only.get(url)
    assert policy(response)["frame-ancestors"] == ["'self'"]
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


@pytest.mark.parametrize("url", ["/download/all.geojson", "/api/search?q=hospital", "/ogcapi", "/image.png", FEATURE])
def test_data_responses_may_not_run_or_be_framed(client, url):
    response = client.get(url)
    assert response.mimetype != "text/html"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"


@pytest.mark.parametrize("url", PREFLIGHTED)
def test_preflights_on_the_public_data_complete(client, url):
    response = client.options(
        url,
        headers={
            "Origin": "https://news.example.com",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match, range, accept-language",
        },
    )
    assert response.status_code == 204 and response.data == b""
    assert "Content-Type" not in response.headers
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    methods = {method.strip() for method in response.headers["Access-Control-Allow-Methods"].split(",")}
    assert methods == {"GET", "HEAD", "OPTIONS"}
    allowed = {name.strip().lower() for name in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"accept", "accept-language", "if-none-match", "if-modified-since", "range", "content-type"} <= allowed
    assert int(response.headers["Access-Control-Max-Age"]) > 0


@pytest.mark.parametrize("url", ["/download/all.geojson", "/api/search?q=hospital", "/ogcapi", FEATURE, "/oembed"])
def test_the_public_data_is_readable_from_any_site_with_its_etag(client, url):
    if url == "/oembed":
        url = ROUTES["/oembed"]
    response = client.get(url, headers={"Origin": "https://news.example.com"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "etag" in response.headers["Access-Control-Expose-Headers"].lower()


def test_pages_are_not_opened_to_other_sites(client):
    assert "Access-Control-Allow-Origin" not in client.get("/").headers
    assert "Access-Control-Allow-Origin" not in client.options("/").headers


@pytest.mark.parametrize(
    ("accept_encoding", "coding"),
    [
        ("gzip", "gzip"),
        ("GZip, deflate, br", "gzip"),
        ("gzip;q=0", None),
        ("gzip;q=0, identity", None),
        ("gzip;q=0, *;q=1", None),  # * stands for the codings not named: identity here
        ("gzip;q=0.4, identity;q=0.8", None),
        ("*", "gzip"),
        ("deflate, br", None),
        ("", None),
        ("identity;q=0, gzip;q=0.1", "gzip"),
    ],
)
def test_accept_encoding_is_read_with_its_q_values(client, accept_encoding, coding):
    plain = client.get("/download/all.geojson").data
    response = client.get("/download/all.geojson", headers={"Accept-Encoding": accept_encoding})
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == coding
    assert (gzip.decompress(response.data) if coding else response.data) == plain
    assert "Accept-Encoding" in response.headers["Vary"]


def test_a_small_body_is_compressed_only_when_plain_is_refused(client):
    small = "/api/search?q=zzzzzz"
    assert len(client.get(small).data) < http.GZIP_MIN_BYTES
    assert "Content-Encoding" not in client.get(small, headers={"Accept-Encoding": "gzip"}).headers
    refused = client.get(small, headers={"Accept-Encoding": "gzip, identity;q=0"})
    assert refused.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in refused.headers["Vary"]


@pytest.mark.parametrize("accept_encoding", ["*;q=0", "identity;q=0", "gzip;q=0, identity;q=0"])
def test_refusing_every_coding_is_a_json_406(client, accept_encoding):
    response = client.get("/download/all.geojson", headers={"Accept-Encoding": accept_encoding})
    assert response.status_code == 406
    assert "Accept-Encoding" in response.get_json()["description"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_whole_layers_are_compressed_once_per_dataset_version(app, client, monkeypatch):
    calls = []
    compress = gzip.compress
    monkeypatch.setattr(http.gzip, "compress", lambda data, **kw: calls.append(len(data)) or compress(data, **kw))
    app.extensions.pop("gba_gzip_cache", None)
    bodies = {client.get("/download/links.geojson", headers={"Accept-Encoding": "gzip"}).data for _ in range(3)}
    assert len(bodies) == 1 and len(calls) == 1
    for _ in range(2):  # a filtered download is computed for its request
        client.get("/download/links.geojson?status=operating", headers={"Accept-Encoding": "gzip"})
    assert len(calls) == 3


def test_the_host_header_is_never_echoed(app, client):
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "Accept": BROWSER_ACCEPT}
    urls = [*route_urls(app), *HTML_PAGES, "/ogcapi/collections/hospitals/items?limit=1&offset=1"]
    for url in urls:
        for accept in (BROWSER_ACCEPT, "application/json"):
            response = client.get(url, headers={**forged, "Accept": accept})
            assert response.status_code == 200, url
            assert b"evil.example" not in response.data, url
            assert not [value for _name, value in response.headers if "evil.example" in value], url
    page = client.get("/?lang=en", headers=forged).get_data(as_text=True)
    assert f'content="{PUBLIC}/image.png?' in page and f"{PUBLIC}/oembed?" in page


def test_etags_do_not_depend_on_the_host(client):
    for url in (FEATURE, "/ogcapi/collections/hospitals/items?limit=2"):
        tags = {client.get(url, headers={"Host": host}).headers["ETag"] for host in ("a.example", "b.example")}
        assert len(tags) == 1, url


@pytest.mark.parametrize(
    "value",
    [
        "127.0.0.1:5000",
        "//map.example.org",
        "ftp://map.example.org",
        "https://",
        "https://map.example.org/?utm=1",
        "https://map.example.org/#map",
        "https://user:secret@map.example.org",
        "http://map.example.org:99999",
        "",
    ],
)
def test_a_bad_public_url_stops_the_app_at_start_up(monkeypatch, value):
    monkeypatch.setenv("GBA_PUBLIC_URL", value)
    with pytest.raises(ValueError, match="PUBLIC_URL"):
        create_app({"TESTING": True, "DATA_DIR": str(DATA_DIR)})


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("https://Map.Example.org/", "https://map.example.org"),
        ("https://example.org/gba/", "https://example.org/gba"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ],
)
def test_a_public_url_may_carry_a_port_and_a_path(monkeypatch, value, stored):
    monkeypatch.setenv("GBA_PUBLIC_URL", value)
    app = create_app({"TESTING": True, "DATA_DIR": str(DATA_DIR)})
    assert app.config["PUBLIC_URL"] == stored
    landing = app.test_client().get("/ogcapi").get_json()
    assert all(link["href"].startswith(f"{stored}/ogcapi") for link in landing["links"])


def test_the_openapi_document_declares_the_406_on_every_operation(client):
    document = client.get("/ogcapi/openapi?f=json", headers={"Accept-Encoding": "identity"}).get_json()
    operations = [path["get"] for path in document["paths"].values()]
    assert operations
    assert all("406" in operation["responses"] for operation in operations)
    # ...and the server answers it there, as documented.
    response = client.get("/ogcapi/collections", headers={"Accept-Encoding": "*;q=0"})
    assert response.status_code == 406
    assert set(response.get_json()) >= {"code", "description"}
