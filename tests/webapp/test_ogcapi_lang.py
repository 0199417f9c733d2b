"""Languages on the OGC API: lang and Accept-Language, as on the map, on every document and HTML page."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from markupsafe import escape

from geo import flat
from geo.schema import LAYER_LABELS, LAYERS, STATUS_LABELS, URL_LANGS
from tests.gis.api_data import XSS_ID, XSS_NAME, write_api_data_dir
from tests.webapp.test_ogcapi import API, assert_error, link, local, shipped
from webapp import i18n
from webapp.queryables import TABLES

# The app tests run with the files and the postgis provider (tests/conftest.py).
pytestmark = pytest.mark.both_providers


TAGS = tuple(URL_LANGS)  # zh-Hant, zh-Hans, en
DOCUMENTS = [API, f"{API}/collections", f"{API}/collections/hospitals", f"{API}/collections/links/queryables"]
PAGES = [
    *DOCUMENTS,
    f"{API}/collections/hospitals/items",
    f"{API}/collections/agencies/items/hkpc",
    f"{API}/conformance",
]


def lang_of(href: str) -> list[str]:
    return parse_qs(urlsplit(href).query).get("lang", [])


@pytest.mark.parametrize("tag", TAGS)
def test_collections_and_collection_titles_and_descriptions_are_in_the_language_asked_for(client, tag):
    key = URL_LANGS[tag]
    response = client.get(f"{API}/collections", query_string={"lang": tag})
    assert response.headers["Content-Language"] == tag
    for collection in response.get_json()["collections"]:
        labels = LAYER_LABELS[collection["id"]]
        assert collection["title"] == labels[key]
        assert collection["description"].startswith(labels[key])
        for other in set(labels) - {key}:  # the other two names, in brackets
            assert labels[other] in collection["description"]
    one = client.get(f"{API}/collections/zones", query_string={"lang": tag}).get_json()
    assert one["title"] == LAYER_LABELS["zones"][key]
    assert client.get(API, query_string={"lang": tag}).get_json()["title"] == i18n.API_TEXT["api_title"][key]


@pytest.mark.parametrize("tag", TAGS)
def test_queryables_titles_and_descriptions_come_from_the_table_in_each_language(client, tag):
    key = URL_LANGS[tag]
    document = client.get(f"{API}/collections/links/queryables", query_string={"lang": tag}).get_json(force=True)
    assert document["title"] == LAYER_LABELS["links"][key]
    assert document["description"] == i18n.API_TEXT["queryables_description"][key]
    table = {q.name for q in TABLES.queryables}
    for name, schema in document["properties"].items():
        if name not in table:  # the other properties a CQL2 filter may name (geo.flat: English only)
            continue
        param = TABLES.param(name)
        assert (schema["title"], schema["description"]) == (param.label[key], param.description[key])
    assert table & set(document["properties"]) == {q.name for q in TABLES.queryables_of("links")}


@pytest.mark.parametrize("tag", TAGS)
def test_items_json_keeps_every_name_form_whatever_the_language(client, tag):
    body = client.get(f"{API}/collections/hospitals/items", query_string={"lang": tag, "limit": 100})
    assert body.headers["Content-Language"] == tag
    features = json.loads(body.get_data())["features"]
    assert features == [{**f, "properties": flat.with_flat("hospitals", f["properties"])} for f in shipped("hospitals")]
    item = client.get(f"{API}/collections/agencies/items/hkpc", query_string={"lang": tag}).get_json(force=True)
    assert {"name_en", "name_zh_hant", "name_zh_hans", "description_en", "description_zh_hans"} <= set(
        item["properties"]
    )


@pytest.mark.parametrize("tag", TAGS)
@pytest.mark.parametrize("url", PAGES)
def test_every_html_page_is_in_the_language_asked_for(client, url, tag):
    key = URL_LANGS[tag]
    response = client.get(url, query_string={"lang": tag, "f": "html"})
    assert response.status_code == 200
    assert response.headers["Content-Language"] == tag
    page = response.get_data(as_text=True)
    assert f'<html lang="{tag}">' in page
    words = i18n.api_text(key)
    if "/collections" in url:
        assert f">{words['collections']}</a>" in page  # the crumbs
    # the page's own links keep lang
    assert f'href="/ogcapi/?lang={tag}"' in page


@pytest.mark.parametrize("tag", TAGS)
def test_the_items_and_item_pages_show_names_descriptions_and_labels_in_that_language(client, tag):
    key = URL_LANGS[tag]
    page = client.get(f"{API}/collections/hospitals/items?f=html&lang={tag}").get_data(as_text=True)
    for feature in shipped("hospitals"):
        properties = feature["properties"]
        assert f"<td>{properties['name_' + key]}</td>" in page
        assert f"<td>{STATUS_LABELS[properties['status']][key]}</td>" in page
    assert i18n.api_text(key)["category_or_type"] in page
    links_page = client.get(f"{API}/collections/links/items?f=html&lang={tag}&limit=1").get_data(as_text=True)
    first = shipped("links")[0]["properties"]
    assert f"{first['from_name_' + key]} → {first['to_name_' + key]}" in links_page
    item = client.get(f"{API}/collections/agencies/items/hkpc?f=html&lang={tag}").get_data(as_text=True)
    hkpc = next(f for f in shipped("agencies") if f["properties"]["id"] == "hkpc")["properties"]
    assert f"<h1>{escape(hkpc['name_' + key])}</h1>" in item
    assert f"<p>{escape(hkpc['description_' + key])}</p>" in item
    for other in set(URL_LANGS.values()) - {key}:  # the other names are shown, marked with their language
        assert hkpc["name_" + other] in item


@pytest.mark.parametrize(
    ("header", "tag"),
    [
        ("zh-HK,zh;q=0.9,en;q=0.8", "zh-Hant"),
        ("zh-TW", "zh-Hant"),
        ("zh-CN,zh;q=0.9", "zh-Hans"),
        ("zh", "zh-Hans"),
        ("en-GB,en;q=0.9", "en"),
        ("fr-FR,fr;q=0.9,zh-MO;q=0.5", "zh-Hant"),  # the first language we have
        ("fr, de", "en"),  # none that we have: English
        ("", "en"),
    ],
)
def test_accept_language_chooses_when_lang_is_absent_and_says_it_varies(client, header, tag):
    headers = {"Accept-Language": header} if header else {}
    for url in DOCUMENTS:
        response = client.get(url, headers=headers)
        assert response.headers["Content-Language"] == tag, url
        assert "Accept-Language" in response.headers["Vary"]
    collection = client.get(f"{API}/collections/links", headers=headers).get_json()
    assert collection["title"] == LAYER_LABELS["links"][URL_LANGS[tag]]
    # Negotiated, not named: the links do not pin a language
    assert all(not lang_of(item["href"]) for item in collection["links"])


def test_lang_wins_over_accept_language_and_unknown_tags_are_ignored(client):
    response = client.get(f"{API}/collections/zones?lang=en", headers={"Accept-Language": "zh-CN"})
    assert response.get_json()["title"] == LAYER_LABELS["zones"]["en"]
    assert response.headers["Content-Language"] == "en"
    assert "Accept-Language" not in response.headers.get("Vary", "")
    unknown = client.get(f"{API}/collections/zones?lang=xx-YY", headers={"Accept-Language": "zh-TW"})
    assert unknown.status_code == 200
    assert unknown.get_json()["title"] == LAYER_LABELS["zones"]["zh_hant"]
    assert client.get(f"{API}/collections/zones?lang=").headers["Content-Language"] == "en"
    assert_error(client.get(f"{API}/collections/zones?lang=en&lang=zh-Hant"), 400, "lang is given 2 times")
    assert_error(client.get(f"{API}/collections/zones?language=en"), 400, "language")


@pytest.mark.parametrize("tag", TAGS)
def test_links_keep_lang_when_it_was_given(client, tag):
    documents = [client.get(url, query_string={"lang": tag}).get_json(force=True) for url in DOCUMENTS[:3]]
    documents += client.get(f"{API}/collections", query_string={"lang": tag}).get_json()["collections"]
    for document in documents:
        for item in document["links"]:
            if item["rel"] != "license" and item["href"].startswith("http://127.0.0.1:5000/ogcapi"):
                assert lang_of(item["href"]) == [tag], item
                assert client.get(local(item["href"])).headers.get("Content-Language", tag) == tag
    item = client.get(f"{API}/collections/agencies/items/hkpc", query_string={"lang": tag}).get_json(force=True)
    assert all(lang_of(one["href"]) == [tag] for one in item["links"])


def test_paging_links_keep_lang(make_app, tmp_path_factory):
    root = write_api_data_dir(tmp_path_factory.mktemp("lang-paged"), 25, seed=2)
    client = make_app({"DATA_DIR": str(root)}).test_client()
    response = client.get(f"{API}/collections/enterprises/items?lang=zh-Hans&limit=10")
    pages = 0
    while True:
        pages += 1
        assert response.headers["Content-Language"] == "zh-Hans"
        body = response.get_json(force=True)
        for rel in ("self", "alternate", "next", "prev"):
            if link(body, rel):
                assert lang_of(link(body, rel)["href"]) == ["zh-Hans"], rel
        following = link(body, "next")
        if following is None:
            break
        response = client.get(local(following["href"]))
    assert pages == 3
    html = client.get(f"{API}/collections/enterprises/items?lang=zh-Hans&limit=10&f=html").get_data(as_text=True)
    assert "下一页" in html and "lang=zh-Hans" in html.split("下一页")[0].rsplit("<a ", 1)[1]


@pytest.mark.parametrize("url", [f"{API}/collections/links/items?limit=3", f"{API}/collections/agencies/items/hkpc"])
def test_etags_differ_per_language(client, url):
    etags = {}
    for tag in TAGS:
        response = client.get(url, headers={"Accept-Language": tag})
        etags[tag] = response.headers["ETag"]
    assert len(set(etags.values())) == len(TAGS)
    stale = client.get(url, headers={"Accept-Language": "zh-Hant", "If-None-Match": etags["en"]})
    assert stale.status_code == 200 and stale.headers["Content-Language"] == "zh-Hant"
    fresh = client.get(url, headers={"Accept-Language": "zh-Hant", "If-None-Match": etags["zh-Hant"]})
    assert fresh.status_code == 304


@pytest.fixture(scope="module")
def hostile(make_app, tmp_path_factory):
    root = write_api_data_dir(tmp_path_factory.mktemp("lang-xss"), 3, seed=4, hostile=True)
    return make_app({"DATA_DIR": str(root)}).test_client()


@pytest.mark.parametrize("tag", TAGS)
def test_html_pages_escape_data_in_every_language(hostile, tag):
    pages = [
        hostile.get(f"{API}/collections/enterprises/items/{XSS_ID}?f=html&lang={tag}").get_data(as_text=True),
        hostile.get(f"{API}/collections/enterprises/items?f=html&limit=100&lang={tag}").get_data(as_text=True),
    ]
    for page in pages:
        assert "<script>" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(" in page
    # lang itself is echoed into links: a hostile value is not a known tag, so it is dropped
    evil = hostile.get(f"{API}/collections/enterprises?f=html&lang=%22%3E%3Cscript%3E").get_data(as_text=True)
    assert "<script>" not in evil and '<html lang="en">' in evil
    item = hostile.get(f"{API}/collections/enterprises/items/{XSS_ID}?lang={tag}").get_json(force=True)
    assert item["properties"]["name_en"] == XSS_NAME


def test_every_layer_has_a_title_in_every_language(client):
    for tag in TAGS:
        titles = [c["title"] for c in client.get(f"{API}/collections?lang={tag}").get_json()["collections"]]
        assert titles == [LAYER_LABELS[layer][URL_LANGS[tag]] for layer in LAYERS]
