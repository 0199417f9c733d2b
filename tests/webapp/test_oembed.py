"""/oembed (oEmbed 1.0, type rich), its discovery link on the map pages, and /embed.js."""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from webapp import SETTINGS, create_app, oembed
from webapp.queryables import TABLES

HOST = SETTINGS["PUBLIC_URL"][1]  # PUBLIC_URL's default (the app fixtures keep it); the client sends Host: localhost
NETLOC = urlsplit(HOST).netloc
VIEW = "lang=en&layers=zones,links&bbox=113.8,22.4,114.5,22.8&select=hkpc"
# oEmbed 1.0, section 2.3.4: every response; "rich" adds html, width, height.
REQUIRED = {"version": str, "type": str, "html": str, "width": int, "height": int}
OPTIONAL = {
    "title": str,
    "provider_name": str,
    "provider_url": str,
    "cache_age": int,
    "thumbnail_url": str,
    "thumbnail_width": int,
    "thumbnail_height": int,
}


def ask(client, url: str, **params):
    query = "&".join([f"url={quote(url, safe='')}", *(f"{k}={v}" for k, v in params.items())])
    return client.get(f"/oembed?{query}")


class Tags(HTMLParser):
    """The start tags of some HTML, with their attributes."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def iframe_of(html: str) -> dict:
    tags = Tags(html).tags
    assert [tag for tag, _attrs in tags] == ["iframe"], html
    return tags[0][1]


def discovery_links(html: str) -> list[dict]:
    return [a for tag, a in Tags(html).tags if tag == "link" and a.get("type") == "application/json+oembed"]


# ---- the answer ----


@pytest.mark.parametrize("path", ["/", "/embed"])
def test_answer_has_every_field_of_the_spec_with_its_type(client, path):
    response = ask(client, f"{HOST}{path}?{VIEW}")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    for name, kind in {**REQUIRED, **OPTIONAL}.items():
        assert isinstance(body[name], kind), name
    assert set(body) == set(REQUIRED) | set(OPTIONAL)
    assert body["version"] == "1.0" and body["type"] == "rich"
    assert body["provider_url"] == f"{HOST}/"
    assert body["cache_age"] > 0
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert f"max-age={body['cache_age']}" in response.headers["Cache-Control"]


def test_html_is_an_iframe_of_the_embed_with_the_same_view(client):
    body = ask(client, f"{HOST}/?{VIEW}&utm_source=newsletter&fbclid=abc").get_json()
    iframe = iframe_of(body["html"])
    src = urlsplit(iframe["src"])
    assert (src.scheme, src.netloc, src.path) == ("http", NETLOC, "/embed")
    assert parse_qsl(src.query) == parse_qsl(VIEW)  # the view's parameters, the tracking ones dropped
    assert (int(iframe["width"]), int(iframe["height"])) == (body["width"], body["height"])
    assert "allowfullscreen" in iframe and "data-gba-map" in iframe
    assert iframe["title"] == body["title"] == "GBA Cooperation Map"
    # the iframe's own URL is a page that the app serves
    assert client.get(iframe["src"].removeprefix(HOST)).status_code == 200


def test_thumbnail_is_the_static_image_of_the_same_view(client):
    body = ask(client, f"{HOST}/embed?{VIEW}").get_json()
    thumb = urlsplit(body["thumbnail_url"])
    assert (thumb.netloc, thumb.path) == (NETLOC, "/image.png")
    query = parse_qsl(thumb.query)
    assert query[:-2] == parse_qsl(VIEW)
    assert query[-2:] == [("width", str(body["thumbnail_width"])), ("height", str(body["thumbnail_height"]))]


@pytest.mark.parametrize(
    ("lang", "title"), [("en", "GBA Cooperation Map"), ("zh-Hant", "大灣區合作地圖"), ("zh-CN", "大湾区合作地图")]
)
def test_title_is_in_the_language_of_the_url(client, lang, title):
    body = ask(client, f"{HOST}/?lang={lang}").get_json()
    assert body["title"] == title and body["provider_name"] == title
    assert f'title="{title}"' in body["html"]


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        ({}, oembed.DEFAULT_SIZE),
        ({"maxwidth": 500}, (500, 375)),
        ({"maxheight": 300}, (400, 300)),
        ({"maxwidth": 640, "maxheight": 200}, (266, 200)),
        ({"maxwidth": 5000, "maxheight": 5000}, oembed.DEFAULT_SIZE),
        ({"maxwidth": 1, "maxheight": 1}, (1, 1)),
    ],
)
def test_maxwidth_and_maxheight_are_never_exceeded(client, limits, expected):
    body = ask(client, f"{HOST}/embed?lang=en", **limits).get_json()
    assert (body["width"], body["height"]) == expected
    iframe = iframe_of(body["html"])
    assert (int(iframe["width"]), int(iframe["height"])) == expected
    if "thumbnail_url" in body:
        assert body["thumbnail_width"] <= limits.get("maxwidth", 10**6)
        assert body["thumbnail_height"] <= limits.get("maxheight", 10**6)
        thumb = dict(parse_qsl(urlsplit(body["thumbnail_url"]).query))
        assert (int(thumb["width"]), int(thumb["height"])) == (body["thumbnail_width"], body["thumbnail_height"])


def test_thumbnail_is_left_out_when_the_image_cannot_be_that_small(client):
    width, height = TABLES.param("width"), TABLES.param("height")
    # the image's default shape, at the image route's smallest height
    smallest = math.ceil(height.minimum * int(width.default) / int(height.default))
    body = ask(client, f"{HOST}/embed", maxwidth=smallest - 1).get_json()
    assert not {"thumbnail_url", "thumbnail_width", "thumbnail_height"} & set(body)
    body = ask(client, f"{HOST}/embed", maxwidth=smallest).get_json()
    assert (body["thumbnail_width"], body["thumbnail_height"]) == (smallest, height.minimum)


def test_a_hostile_url_is_escaped_in_the_html(client):
    hostile = f'{HOST}/embed?lang=en&select=hkpc&x="><script>alert(1)</script>&layers=zones"onload="alert(1)'
    response = ask(client, hostile)
    # the bad layers value makes the URL one the map refuses: nothing to embed
    assert response.status_code == 404
    body = ask(client, f'{HOST}/embed?lang=en&x="><script>alert(1)</script>').get_json()
    assert "<script" not in body["html"] and iframe_of(body["html"])["src"] == f"{HOST}/embed?lang=en"
    # a value the map accepts as it is (an id is any text) is escaped, never markup
    assert oembed.iframe_html('http://h/embed?a="><script>', 1, 1, "<b>") == (
        '<iframe src="http://h/embed?a=&quot;&gt;&lt;script&gt;" width="1" height="1" style="border:0" '
        'loading="lazy" title="&lt;b&gt;" allowfullscreen data-gba-map></iframe>'
    )


# ---- errors ----


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/embed?lang=en",  # another host
        "http://127.0.0.1:8000/embed",  # another port is another host
        "http://localhost/embed",  # the Host this request came to, but not PUBLIC_URL's
        "http://user@127.0.0.1:5000/embed",
        "ftp://127.0.0.1:5000/embed",
        "http://127.0.0.1:5000/download/all.geojson",  # ours, but not a map page
        "http://127.0.0.1:5000/embed/extra",
        "http://127.0.0.1:5000/oembed",
        "/embed?lang=en",  # not a full URL
        "not a url at all",
        "http://[::1/embed",  # unparseable
    ],
)
def test_a_url_that_is_not_a_map_of_this_site_is_404(client, url):
    response = ask(client, url)
    assert response.status_code == 404
    assert response.get_json()["status"] == 404
    assert "url" in response.get_json()["description"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("bbox=1,2,3", "bbox"),  # the page would answer 400
        ("select=no-such-record", "no feature or link has this id"),  # the page would answer 404
        ("lat=22.5", "lat and lon go together"),
    ],
)
def test_a_url_the_map_refuses_is_404_with_the_reason(client, query, message):
    response = ask(client, f"{HOST}/embed?{query}")
    assert response.status_code == 404
    assert message in response.get_json()["description"]


def test_xml_is_501(client):
    response = ask(client, f"{HOST}/embed", format="xml")
    assert response.status_code == 501
    assert "json" in response.get_json()["description"]
    assert ask(client, f"{HOST}/embed", format="json").status_code == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "url is required"),
        ("format=json", "url is required"),
        ("url=", "url is required"),
        ("url=http%3A%2F%2F127.0.0.1%3A5000%2F&callback=f", "unknown parameter(s) callback"),
        ("url=http%3A%2F%2F127.0.0.1%3A5000%2F&maxwidth=wide", "maxwidth"),
        ("url=http%3A%2F%2F127.0.0.1%3A5000%2F&maxwidth=0", "maxwidth"),
        ("url=http%3A%2F%2F127.0.0.1%3A5000%2F&maxheight=12.5", "maxheight"),
        ("url=http%3A%2F%2F127.0.0.1%3A5000%2F&format=yaml", "format"),
        ("url=http%3A%2F%2F127.0.0.1%3A5000%2F&url=http%3A%2F%2F127.0.0.1%3A5000%2F", "given 2 times"),
    ],
)
def test_bad_oembed_parameters_are_400(client, query, message):
    response = client.get(f"/oembed?{query}")
    assert response.status_code == 400
    assert message in response.get_json()["description"]


def test_ours_is_the_public_url_never_the_host_the_request_came_to(mini_data_dir):
    app = create_app({"TESTING": True, "DATA_DIR": str(mini_data_dir), "PUBLIC_URL": "https://maps.example.org/gba/"})
    client = app.test_client()
    url = "http://maps.example.org/gba/embed?lang=en"  # shared over http: still our page
    forged = client.get(f"/oembed?url={quote('http://evil.example/embed', safe='')}", headers={"Host": "evil.example"})
    assert forged.status_code == 404
    response = client.get(f"/oembed?url={quote(url, safe='')}", headers={"Host": "evil.example"})
    assert response.status_code == 200
    body = response.get_json()
    assert iframe_of(body["html"])["src"] == "https://maps.example.org/gba/embed?lang=en"
    assert body["provider_url"] == "https://maps.example.org/gba/"
    assert body["thumbnail_url"].startswith("https://maps.example.org/gba/image.png?")


# ---- discovery ----


@pytest.mark.parametrize("path", ["/", "/embed"])
def test_discovery_link_round_trips_to_an_answer_for_the_page(client, path):
    page_url = f"{HOST}{path}?{VIEW}"
    html = client.get(page_url).get_data(as_text=True)
    links = discovery_links(html)
    assert len(links) == 1
    link = links[0]
    assert link["rel"] == "alternate" and link["title"] == "GBA Cooperation Map"
    href = urlsplit(link["href"])
    assert (href.scheme, href.netloc, href.path) == ("http", NETLOC, "/oembed")
    assert dict(parse_qsl(href.query)) == {"url": page_url, "format": "json"}
    response = client.get(f"{href.path}?{href.query}")
    assert response.status_code == 200
    src = urlsplit(iframe_of(response.get_json()["html"])["src"])
    assert src.path == "/embed" and parse_qsl(src.query) == parse_qsl(VIEW)


def test_discovery_href_is_urlencoded():
    href = oembed.discovery_href("http://h/oembed", "http://h/embed?a=1&b=x y")
    assert href == "http://h/oembed?url=http%3A%2F%2Fh%2Fembed%3Fa%3D1%26b%3Dx+y&format=json"


def test_discovery_link_escapes_the_page_url(client):
    html = client.get('/embed?lang=en&x="><script>alert(1)</script>').get_data(as_text=True)
    (link,) = discovery_links(html)
    assert "<script>alert(1)" not in re.sub(r"<script[^>]*>.*?</script>", "", html.split("</head>")[0], flags=re.S)
    assert dict(parse_qsl(urlsplit(link["href"]).query))["url"].endswith('x="><script>alert(1)</script>')


# ---- embed.js ----


def test_embed_script_is_served_for_other_sites(client):
    response = client.get("/embed.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.cache_control.max_age == oembed.EMBED_SCRIPT_MAX_AGE
    assert "gba-map:hello" in response.get_data(as_text=True)
