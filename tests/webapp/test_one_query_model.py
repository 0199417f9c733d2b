"""One query model: the same parameter means the same thing on the map, the downloads and the OGC API.

Each test here is a row of issue 8's table ("what is wrong today"), plus the proof
that the one table in webapp/queryables.py drives everything: a queryable added
to it (in a fixture) appears in the page config, the downloads, the OGC API and
the docs check with no other change.
"""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from geo.schema import COORD_PRECISIONS, LAYERS
from tests.conftest import DATA_DIR, REPO
from tests.webapp.test_views import page_config
from webapp import create_app, queryables
from webapp.assets import static_imports
from webapp.providers.base import Filters
from webapp.queryables import ENUM, TABLES, Param


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)">', response.get_data(as_text=True)).group(1)


# ---- links from social media and newsletters ----


@pytest.mark.parametrize(
    ("url", "lang"),
    [
        ("/?utm_source=newsletter", "zh-Hant"),
        ("/?fbclid=IwAR0aBcD3fGh1jK", "zh-Hant"),
        ("/embed?lang=en&utm_campaign=x", "en"),
        ("/embed?utm_medium=social&utm_content=a&gclid=1&lang=zh-Hans", "zh-Hans"),
    ],
)
def test_pages_ignore_parameters_they_do_not_know(client, url, lang):
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert html_lang(response) == lang


@pytest.mark.parametrize(
    "url",
    [
        "/download/all.geojson?utm_source=x",
        "/download/hospitals.geojson?fbclid=1",
        "/ogcapi/collections/hospitals/items?utm_source=x",
        "/api/search?q=pingshan&fbclid=1",
    ],
)
def test_the_apis_stay_strict(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "unknown parameter" in response.get_json()["error"]


# ---- languages ----


@pytest.mark.parametrize(
    ("tag", "lang"),
    [
        ("zh-TW", "zh-Hant"),
        ("zh-HK", "zh-Hant"),
        ("zh-MO", "zh-Hant"),
        ("zh-CN", "zh-Hans"),
        ("zh-SG", "zh-Hans"),
        ("zh", "zh-Hans"),
        ("en-GB", "en"),
        ("en-us", "en"),
    ],
)
def test_regional_language_tags_are_mapped(client, tag, lang):
    response = client.get(f"/?lang={tag}")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == lang
    assert html_lang(response) == lang


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-Hans"),
        ("en-US,en;q=0.9", "en"),
        ("fr-FR, de;q=0.9, zh-TW;q=0.5", "zh-Hant"),
        ("fr", "zh-Hant"),  # nothing the map has: DEFAULT_LANG
    ],
)
def test_without_lang_the_browser_language_chooses(client, header, lang):
    response = client.get("/", headers={"Accept-Language": header})
    assert response.headers["Content-Language"] == lang
    assert "Accept-Language" in response.headers["Vary"]


def test_lang_in_the_url_wins_over_the_browser(client):
    response = client.get("/?lang=en", headers={"Accept-Language": "zh-CN"})
    assert response.headers["Content-Language"] == "en"
    assert "Accept-Language" not in response.headers.get("Vary", "")


def test_an_unknown_lang_falls_back_instead_of_failing(client):
    response = client.get("/?lang=fr", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "en"


# ---- one rule for every route ----


def test_a_filter_on_a_property_the_layer_lacks_is_answered_alike(client):
    download = client.get("/download/hospitals.geojson?link_type=medical")
    ogc = client.get("/ogcapi/collections/hospitals/items?link_type=medical")
    assert download.status_code == ogc.status_code == 200
    assert download.get_json()["features"] == ogc.get_json()["features"] == []
    assert ogc.get_json()["numberMatched"] == 0


def test_an_empty_layers_means_none_on_the_downloads_as_on_the_map(client):
    assert client.get("/download/all.geojson?layers=").get_json()["features"] == []
    config = page_config(client.get("/?layers=").get_data(as_text=True))
    assert not any(o["visible"] for o in config["overlays"])


@pytest.mark.parametrize(("year", "status"), [("1500", 400), ("2101", 400), ("1900", 200), ("2021", 200)])
def test_year_is_one_queryable_with_one_range(client, year, status):
    for url in (f"/?year={year}", f"/download/all.geojson?year={year}", f"/ogcapi/collections/links/items?year={year}"):
        response = client.get(url)
        assert response.status_code == status, url
        if status == 400:
            assert "from 1900 to 2100" in response.get_json()["error"], url


def test_year_means_as_of_on_the_downloads_and_the_ogc_api(client):
    links = json.loads((DATA_DIR / "geojson" / "links.geojson").read_text(encoding="utf-8"))["features"]
    wanted = sorted(f["id"] for f in links if f["properties"]["year"] is None or f["properties"]["year"] <= 2020)
    download = client.get("/download/links.geojson?year=2020").get_json()
    ogc = client.get("/ogcapi/collections/links/items?year=2020&limit=1000").get_json()
    assert sorted(f["id"] for f in download["features"]) == wanted
    assert sorted(f["id"] for f in ogc["features"]) == wanted


@pytest.mark.parametrize(("word", "value"), [("yes", True), ("no", False), ("1", True), ("false", False)])
def test_one_boolean_grammar(client, word, value):
    assert page_config(client.get(f"/embed?controls={word}").get_data(as_text=True))["controls"] is value
    crossing = client.get(f"/download/links.geojson?cross_border={word}").get_json()["features"]
    assert crossing and all(f["properties"]["cross_border"] is value for f in crossing)


def test_a_bad_boolean_gets_the_same_answer_everywhere(client):
    for url in ("/embed?controls=maybe", "/embed?cross_border=maybe", "/download/all.geojson?cross_border=maybe"):
        response = client.get(url)
        assert response.status_code == 400
        assert "expected true or false" in response.get_json()["error"]


def test_a_fractional_zoom_from_a_fly_animation_is_rounded(client):
    response = client.get("/?lat=22.54&lon=114.05&zoom=11.0751234")
    assert response.status_code == 200
    assert page_config(response.get_data(as_text=True))["view"] == {"center": [22.54, 114.05], "zoom": 11}


# ---- indexes built with the data, before the fork ----


def test_year_is_answered_from_an_index_like_every_filter(app):
    provider = app.extensions["gba_provider"]
    for layer in LAYERS:
        features = json.loads((DATA_DIR / "geojson" / f"{layer}.geojson").read_text(encoding="utf-8"))["features"]
        for year in (2019, 2021, 2025):
            wanted = sorted(
                f["properties"]["id"]
                for f in features
                if f["properties"]["year"] is None or f["properties"]["year"] <= year
            )
            assert provider.query(layer, filters=Filters.of(year=year)).ids == wanted, (layer, year)


def test_search_and_timeline_are_ready_before_the_first_request(mini_data_dir):
    app = create_app({"TESTING": True, "DATA_DIR": str(mini_data_dir)})
    assert "gba_search" in app.extensions and "gba_timeline" in app.extensions


# ---- the page itself ----


def test_readers_can_zoom_the_page_on_a_phone(client):
    html = client.get("/").get_data(as_text=True)
    viewport = re.search(r'<meta name="viewport" content="([^"]+)"', html).group(1)
    assert "width=device-width" in viewport
    assert "user-scalable=no" not in viewport and "maximum-scale" not in viewport


def test_every_module_is_served_under_the_one_version_of_the_entry(client):
    html = client.get("/").get_data(as_text=True)
    entry = re.search(r'<script [^>]*type="module" src="([^"]+/js/main\.js)"', html).group(1)
    root = entry.rsplit("/js/main.js", 1)[0]
    modules = sorted((REPO / "webapp" / "static" / "js").glob("*.js"))
    assert modules
    # What main.js imports statically is preloaded, so the browser does not wait for the import
    # chain; the modules it import()s when needed (the explore panel's) are served under the same root.
    preloaded = set(re.findall(r'<link rel="modulepreload" href="([^"]+)">', html))
    assert preloaded == {f"{root}/{name}" for name in static_imports("js/main.js")}
    assert len(preloaded) < len(modules) - 1
    for module in modules:
        response = client.get(f"{root}/js/{module.name}")
        assert response.status_code == 200, module.name
        assert response.mimetype == "text/javascript"
        for imported in re.findall(r'from "\./([\w.-]+\.js)"', module.read_text(encoding="utf-8")):
            assert (module.parent / imported).is_file(), (module.name, imported)


# ---- docs derived from the table ----


def test_the_docs_carry_the_parameter_tables_of_webapp_queryables():
    texts = {path: (REPO / path).read_text(encoding="utf-8") for path in queryables.DOCS}
    assert queryables.docs_problems(texts) == []


# ---- one more queryable in the table: everything follows ----

PRECISION = Param(
    "coord_precision",
    ENUM,
    {"en": "Position precision", "zh_hant": "位置精確度", "zh_hans": "位置精确度"},
    {"en": "How precisely the position is known.", "zh_hant": "位置的精確程度。", "zh_hans": "位置的精确程度。"},
    default="any",
    values=tuple(COORD_PRECISIONS),
    layers=LAYERS,
    properties=("coord_precision",),
)


@pytest.fixture(scope="module")
def extended_app():
    tables = dataclasses.replace(TABLES, queryables=(*TABLES.queryables, PRECISION))
    return create_app({"TESTING": True, "DATA_DIR": str(DATA_DIR), "QUERYABLE_TABLES": tables})


def test_a_new_queryable_reaches_the_page_config(extended_app):
    config = page_config(extended_app.test_client().get("/?lang=zh-Hant&coord_precision=city").get_data(as_text=True))
    entry = next(q for q in config["queryables"] if q["name"] == "coord_precision")
    assert entry["label"] == "位置精確度"
    assert entry["values"] == list(COORD_PRECISIONS)
    assert entry["properties"] == ["coord_precision"]


def test_a_new_queryable_filters_the_downloads(extended_app):
    client = extended_app.test_client()
    body = client.get("/download/all.geojson?coord_precision=city,district").get_json()
    assert body["features"]
    assert {f["properties"]["coord_precision"] for f in body["features"]} == {"city", "district"}
    assert client.get("/download/all.geojson?coord_precision=nearby").status_code == 400


def test_a_new_queryable_is_in_the_ogc_api(extended_app):
    client = extended_app.test_client()
    schema = client.get("/ogcapi/collections/hospitals/queryables?f=json").get_json()
    assert schema["properties"]["coord_precision"]["enum"] == list(COORD_PRECISIONS)
    openapi = client.get("/ogcapi/openapi?f=json").get_json()
    names = [p.get("name") for p in openapi["paths"]["/collections/hospitals/items"]["get"]["parameters"]]
    assert "coord_precision" in names
    items = client.get("/ogcapi/collections/agencies/items?coord_precision=building&limit=100").get_json()
    assert items["features"] and all(f["properties"]["coord_precision"] == "building" for f in items["features"])


def test_a_new_queryable_is_missing_from_the_docs_until_they_are_regenerated():
    tables = dataclasses.replace(TABLES, queryables=(*TABLES.queryables, PRECISION))
    texts = {path: (REPO / path).read_text(encoding="utf-8") for path in queryables.DOCS}
    problems = queryables.docs_problems(texts, tables)
    assert len(problems) == 2 and all("differs" in p for p in problems)
    assert "`coord_precision`" in queryables.docs_table(tables.page)
