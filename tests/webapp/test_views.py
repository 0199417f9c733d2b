"""The map page and the embed view: parameters, bad input, headers, and no CDN anywhere."""

import json
import re
from html import escape
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest

from geo.schema import GBA_BOUNDS, LAYERS
from tests.conftest import DATA_DIR, REPO
from webapp import create_app, exports
from webapp.basemaps import BASEMAPS
from webapp.queryables import TABLES

PAGES = ["/", "/embed"]
CDN_HOSTS = ("cdn.jsdelivr", "cdnjs", "unpkg", "code.jquery", "bootstrapcdn", "googleapis")


def page_config(html: str) -> dict:
    """The JSON config the page hands to the front end (``window.GBA_BOOT.config``)."""
    match = re.search(r"window\.GBA_BOOT = \{map: .*?config: (\{.*\})\};\s*$", html, flags=re.S | re.M)
    assert match, "window.GBA_BOOT = {...} not found"
    return json.loads(match.group(1))


def get_config(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return page_config(response.get_data(as_text=True))


def shipped(layer: str) -> list[dict]:
    return json.loads((DATA_DIR / "geojson" / f"{layer}.geojson").read_text(encoding="utf-8"))["features"]


def first_id(layer: str) -> str:
    return shipped(layer)[0]["properties"]["id"]


class AssetLinks(HTMLParser):
    """Every src/href the page makes the browser load."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and attributes.get("src"):
            self.urls.append(attributes["src"])
        if tag == "link" and attributes.get("rel") == "stylesheet":
            self.urls.append(attributes["href"])


def asset_links(html: str) -> list[str]:
    parser = AssetLinks()
    parser.feed(html)
    return parser.urls


# ---- the pages ----


@pytest.mark.parametrize("path", PAGES)
def test_page_is_html_in_traditional_chinese_by_default(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<html lang="zh-Hant">' in html
    assert "<title>大灣區合作地圖</title>" in html
    config = page_config(html)
    assert config["lang"] == "zh_hant"
    assert [o["name"] for o in config["overlays"]] == list(LAYERS)
    assert all(o["visible"] for o in config["overlays"])
    assert config["basemap"] == "osm"
    assert config["view"] == {"bounds": [[GBA_BOUNDS[1], GBA_BOUNDS[0]], [GBA_BOUNDS[3], GBA_BOUNDS[2]]]}
    assert config["overlays"][1]["label"] == "醫院及診所"


@pytest.mark.parametrize("path", PAGES)
def test_layers_are_fetched_from_the_downloads_never_inlined(client, path):
    html = client.get(path).get_data(as_text=True)
    config = page_config(html)
    # the downloads, with the longer texts in the page's language only
    assert {o["url"] for o in config["overlays"]} == {f"/download/{layer}.geojson?texts=zh-Hant" for layer in LAYERS}
    for layer in LAYERS:
        name = (
            shipped(layer)[0]["properties"].get("name_zh_hant") or shipped(layer)[0]["properties"]["from_name_zh_hant"]
        )
        assert name not in html
    assert '"type":"Feature"' not in html


def test_only_the_full_page_has_the_share_panel_and_language_links(client):
    full = client.get("/").get_data(as_text=True)
    embed = client.get("/embed").get_data(as_text=True)
    for marker in ('id="gba-share"', 'id="gba-download"', 'class="gba-langs"'):
        assert marker in full
        assert marker not in embed
    assert page_config(full)["embed"] is False
    assert page_config(embed)["embed"] is True


@pytest.mark.parametrize(
    ("lang", "key", "title"),
    [
        ("en", "en", "GBA Cooperation Map"),
        ("zh-Hans", "zh_hans", "大湾区合作地图"),
        ("ZH-HANT", "zh_hant", "大灣區合作地圖"),
    ],
)
@pytest.mark.parametrize("path", PAGES)
def test_lang_switches_every_label(client, path, lang, key, title):
    html = client.get(f"{path}?lang={lang}").get_data(as_text=True)
    config = page_config(html)
    assert config["lang"] == key
    assert f"<title>{title}</title>" in html
    text = config["text"]
    assert text["title"] == title
    assert text["category.hospital"] == {"en": "Hospital", "zh_hans": "医院", "zh_hant": "醫院"}[key]
    assert text["link_type.medical"] == {"en": "Medical", "zh_hans": "医疗", "zh_hant": "醫療"}[key]
    assert text["unit.RMB bn"] == {"en": "RMB bn", "zh_hans": "十亿元人民币", "zh_hant": "十億元人民幣"}[key]
    assert text["leaflet_zoom_in"] == {"en": "Zoom in", "zh_hans": "放大", "zh_hant": "放大"}[key]
    gaode = next(b for b in config["basemaps"] if b["name"] == "gaode")
    assert gaode["label"] == {"en": "Gaode (Amap)", "zh_hans": "高德地图", "zh_hant": "高德地圖"}[key]
    year = next(q for q in config["queryables"] if q["name"] == "year")
    assert year["label"] == {"en": "As of year", "zh_hans": "截至年份", "zh_hant": "截至年份"}[key]


def test_default_language_is_a_setting(mini_data_dir):
    app = create_app({"TESTING": True, "DATA_DIR": str(mini_data_dir), "DEFAULT_LANG": "en"})
    assert page_config(app.test_client().get("/").get_data(as_text=True))["lang"] == "en"
    with pytest.raises(ValueError, match="DEFAULT_LANG"):
        create_app({"TESTING": True, "DATA_DIR": str(mini_data_dir), "DEFAULT_LANG": "fr"})


# ---- every view parameter ----


@pytest.mark.parametrize("path", PAGES)
def test_layers_chooses_the_overlays_shown(client, path):
    config = get_config(client, f"{path}?layers=zones,LINKS")
    assert {o["name"]: o["visible"] for o in config["overlays"]} == {
        layer: layer in ("zones", "links") for layer in LAYERS
    }


def test_empty_layers_shows_none(client):
    config = get_config(client, "/embed?layers=")
    assert not any(o["visible"] for o in config["overlays"])


def test_bbox_sets_the_initial_view(client):
    config = get_config(client, "/embed?bbox=114.0,22.4,114.4,22.7")
    assert config["view"] == {"bounds": [[22.4, 114.0], [22.7, 114.4]]}


def test_a_bbox_across_180_frames_the_map_there_not_round_the_world(client):
    """177,65,-177,70 is 6° wide around 180°: the page fits 177° to 183° (Leaflet runs on past 180°)."""
    config = get_config(client, "/embed?bbox=177,65,-177,70")
    assert config["view"] == {"bounds": [[65.0, 177.0], [70.0, 183.0]]}


def test_lat_lon_zoom_set_the_initial_view(client):
    config = get_config(client, "/embed?lat=22.54&lon=114.05&zoom=12")
    assert config["view"] == {"center": [22.54, 114.05], "zoom": 12}
    assert get_config(client, "/embed?lat=22.54&lon=114.05")["view"] == {"center": [22.54, 114.05], "zoom": None}


def test_focus_names_a_feature_and_shows_its_layer(client):
    feature_id = first_id("hospitals")
    config = get_config(client, f"/embed?focus={feature_id}&layers=zones&zoom=15")
    assert config["focus"] == feature_id
    assert config["focusZoom"] == 15
    assert {o["name"] for o in config["overlays"] if o["visible"]} == {"zones", "hospitals"}


@pytest.mark.parametrize("basemap", list(BASEMAPS))
def test_basemap_chooses_the_tile_layer_added_on_load(client, basemap):
    html = client.get(f"/embed?basemap={basemap}").get_data(as_text=True)
    assert page_config(html)["basemap"] == basemap
    host = {
        "osm": "tile.openstreetmap.org",
        "positron": "basemaps.cartocdn.com/light_all",
        "dark": "basemaps.cartocdn.com/dark_all",
        "gaode": "is.autonavi.com",
    }[basemap]
    added = re.findall(r"(tile_layer_\w+)\.addTo\(", html)
    assert len(added) == 1
    assert re.search(rf"var {added[0]} = L\.tileLayer\(\s*\"[^\"]*{re.escape(host)}", html)


def test_dark_theme_chooses_the_dark_basemap_unless_the_url_names_one(client):
    assert page_config(client.get("/embed?theme=dark").get_data(as_text=True))["basemap"] == "dark"
    config = page_config(client.get("/embed?theme=dark&basemap=gaode").get_data(as_text=True))
    assert (config["basemap"], config["basemapGiven"]) == ("gaode", True)
    html = client.get("/?theme=auto&plain=1&static=yes").get_data(as_text=True)
    assert "gba-theme-auto" in html and "gba-plain" in html and "gba-static" in html
    assert 'class="gba-topbar"' not in html
    assert client.get("/embed?theme=sepia").status_code == 400


def test_every_basemap_carries_its_attribution(client):
    html = client.get("/").get_data(as_text=True)
    assert html.count("OpenStreetMap\\u003c/a\\u003e contributors") == 3  # OSM, Positron and Dark Matter (OSM data)
    assert "CARTO" in html
    assert "AutoNavi" in html


@pytest.mark.parametrize(
    ("value", "shown"), [("0", False), ("1", True), ("no", False), ("yes", True), ("FALSE", False)]
)
def test_controls_hides_or_shows_the_map_controls(client, value, shown):
    html = client.get(f"/embed?controls={value}").get_data(as_text=True)
    assert page_config(html)["controls"] is shown
    assert '"zoomControl": false' in html  # the front end adds the zoom control, with translated titles


def without_download_menu(config: dict) -> dict:
    """The config less what only the full page's Download menu reads (an embed has no header)."""
    urls = {k: v for k, v in config["urls"].items() if k not in ("downloadFile", "formatPlaceholder")}
    text = {k: v for k, v in config["text"].items() if not k.startswith("format.")}  # the menu's labels
    return {**{k: v for k, v in config.items() if k != "downloadFormats"}, "urls": urls, "text": text}


def test_the_full_page_accepts_the_same_parameters(client):
    query = f"layers=links&lang=en&focus={first_id('links')}&zoom=10&basemap=gaode&controls=1"
    full, embed = get_config(client, f"/?{query}"), get_config(client, f"/embed?{query}")
    assert without_download_menu(full) == {**embed, "embed": False}
    assert [f["extension"] for f in full["downloadFormats"]] == [f.extension for f in exports.FORMATS]
    assert full["urls"]["downloadFile"] == "/download/__layer__.__format__"
    assert "downloadFormats" not in embed and "downloadFile" not in embed["urls"]
    state = "category=hospital&jurisdiction=Shenzhen&status=planned&year=2021&select=hkpc&lat=22.5&lon=114&zoom=9"
    assert without_download_menu(get_config(client, f"/?{state}")) == {
        **get_config(client, f"/embed?{state}"),
        "embed": False,
    }


def test_the_download_menu_lists_every_format_labelled_in_the_page_language(client):
    for lang, key in (("en", "en"), ("zh-Hans", "zh_hans"), ("zh-Hant", "zh_hant")):
        html = client.get(f"/?lang={lang}").get_data(as_text=True)
        menu = html.split('id="gba-downloads"', 1)[1].split("</details>", 1)[0]
        for export in exports.FORMATS:
            assert f'data-download-format="{export.extension}"' in menu
            assert escape(export.label[key]) in menu
        assert menu.count("data-download-format=") == len(exports.FORMATS)
    assert 'id="gba-downloads"' not in client.get("/embed").get_data(as_text=True)


@pytest.mark.parametrize("path", PAGES)
def test_the_page_hands_the_parameter_tables_to_the_front_end(client, path):
    """The browser parses the filters and the year from the URL with the same tables the server uses."""
    config = get_config(client, f"{path}?lang=en&category=hospital&select=hkpc&layers=zones")
    assert [q["name"] for q in config["queryables"]] == [q.name for q in TABLES.queryables]
    assert [p["name"] for p in config["params"]] == [p.name for p in TABLES.view]
    category = next(q for q in config["queryables"] if q["name"] == "category")
    assert category["kind"] == "enum" and "hospital" in category["values"]
    assert ["hospitals", ["hospital", "clinic_centre"]] in category["groups"]
    jurisdiction = next(q for q in config["queryables"] if q["name"] == "jurisdiction")
    assert "Beijing" in jurisdiction["values"]  # found in the data, beside the GBA's cities
    assert config["select"] == "hkpc"
    assert {o["name"] for o in config["overlays"] if o["visible"]} == {"zones", "agencies"}  # hkpc's layer is on
    assert "filters" not in config and "year" not in config  # the store reads them from the URL


def shipped_years() -> tuple[int, int]:
    everything = [f["properties"] for layer in LAYERS for f in shipped(layer)]
    years = [p["year"] for p in everything if p["year"] is not None]
    targets = [p["target_year"] for p in everything if p["target_year"] is not None]
    return min(years), max(years + targets)


def test_the_timeline_runs_from_the_earliest_year_to_the_latest_target_year(client):
    first, last = shipped_years()
    assert get_config(client, "/")["timeline"] == {"first": first, "last": last}


def test_the_timeline_is_computed_with_the_data_not_on_the_first_page(app):
    """Built in create_app, so gunicorn --preload computes it once before forking."""
    assert app.extensions["gba_timeline"] == shipped_years()


def test_the_explore_panel_is_on_both_pages_unless_controls_are_off(client):
    for path in PAGES:
        html = client.get(path).get_data(as_text=True)
        for marker in ('id="gba-explore"', 'id="gba-search-input"', 'id="gba-list"', 'role="status"'):
            assert marker in html, (path, marker)
        assert get_config(client, path)["urls"]["search"] == "/api/search"
    assert 'id="gba-explore"' not in client.get("/embed?controls=0").get_data(as_text=True)


@pytest.mark.parametrize(
    ("lang", "heading"), [("en", "On the map"), ("zh-Hans", "地图上的项目"), ("zh-Hant", "地圖上的項目")]
)
def test_the_panel_speaks_the_page_language(client, lang, heading):
    html = client.get(f"/?lang={lang}").get_data(as_text=True)
    assert f'<h2 id="gba-list-heading" class="gba-h2">{heading}</h2>' in html
    assert get_config(client, f"/?lang={lang}")["text"]["list"] == heading


# ---- bad input: 400 or 404 as JSON, never a 500 ----

BAD_QUERIES = [
    ("lang=en&lang=en", 400, "given 2 times"),
    ("layers=zones,rivers", 400, "rivers"),
    ("bbox=1,2,3", 400, "four comma-separated numbers"),
    ("bbox=a,b,c,d", 400, "number"),
    ("bbox=114,23,113,22", 400, "minLat is larger"),
    ("bbox=200,0,210,1", 400, "±180"),
    ("lat=abc&lon=114", 400, "lat"),
    ("lat=91&lon=114", 400, "lat"),
    ("lat=22&lon=-181", 400, "lon"),
    ("lat=nan&lon=114", 400, "lat"),
    ("lat=22.5", 400, "lat and lon go together"),
    ("lon=114", 400, "lat and lon go together"),
    ("lat=22.5&lon=114&zoom=19", 400, "zoom"),
    ("lat=22.5&lon=114&zoom=-1", 400, "zoom"),
    ("zoom=10", 400, "zoom needs a centre"),
    ("bbox=114,22,115,23&lat=22.5&lon=114", 400, "either bbox or lat,lon,zoom"),
    ("bbox=114,22,115,23&zoom=5", 400, "either bbox or lat,lon,zoom"),
    ("focus=FOCUS&lat=22.5&lon=114", 400, "focus centres the map"),
    ("focus=FOCUS&bbox=114,22,115,23", 400, "focus centres the map"),
    ("basemap=google", 400, "osm, positron, dark, gaode"),
    ("theme=sepia", 400, "light, dark, auto"),
    ("plain=2", 400, "plain"),
    ("static=maybe", 400, "static"),
    ("autoheight=tall", 400, "autoheight='tall': expected true or false"),
    ("childId=a&childId=b", 400, "childId is given 2 times"),
    ("controls=2", 400, "controls"),
    ("controls=maybe", 400, "controls"),
    ("focus=no-such-feature", 404, "no feature or link has this id"),
    ("focus=%3Cscript%3E", 404, "no feature or link has this id"),
    ("select=no-such-feature", 404, "select='no-such-feature': no feature or link has this id"),
    ("select=hkpc&select=hkpc", 400, "given 2 times"),
    ("focus=FOCUS&select=hkpc", 400, "give focus or select, not both"),
    ("category=park", 400, "category='park' is not known"),
    ("jurisdiction=Atlantis", 400, "jurisdiction='Atlantis' is not known"),
    ("touches_jurisdiction=Atlantis", 400, "touches_jurisdiction='Atlantis' is not known"),
    ("status=closed", 400, "status='closed' is not known"),
    ("link_type=friendship", 400, "link_type='friendship' is not known"),
    ("cross_border=maybe", 400, "cross_border='maybe': expected true or false"),
    ("year=1500", 400, "from 1900 to 2100"),
    ("year=2101", 400, "from 1900 to 2100"),
    ("year=2020.5", 400, "expected a whole year"),
    ("year=soon", 400, "expected a whole year"),
]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize(("query", "status", "message"), BAD_QUERIES)
def test_bad_parameters_get_a_json_error_a_person_can_act_on(client, path, query, status, message):
    response = client.get(f"{path}?{query.replace('FOCUS', first_id('hospitals'))}")
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["status"] == status
    assert message in body["description"]


def test_every_page_parameter_has_a_bad_input_test():
    tested = {pair.split("=")[0] for query, _status, _message in BAD_QUERIES for pair in query.split("&")}
    assert {p.name for p in TABLES.page} <= tested


# ---- embedding headers ----


def test_embed_may_be_framed_by_any_site_by_default(client):
    response = client.get("/embed")
    assert response.headers["Content-Security-Policy"].endswith("; frame-ancestors *")
    assert "X-Frame-Options" not in response.headers


def test_embed_framing_follows_the_allowed_origins_setting(mini_data_dir):
    origins = "https://news.example.com https://*.partner.org 'self'"
    app = create_app({"TESTING": True, "DATA_DIR": str(mini_data_dir), "EMBED_ALLOWED_ORIGINS": origins})
    response = app.test_client().get("/embed")
    assert response.headers["Content-Security-Policy"].endswith(f"; frame-ancestors {origins}")
    assert "X-Frame-Options" not in response.headers


@pytest.mark.parametrize("origins", ["", "https://a.example; script-src *", "https://a.example,https://b.example"])
def test_a_malformed_allowed_origins_setting_stops_start_up(mini_data_dir, origins):
    with pytest.raises(ValueError, match="EMBED_ALLOWED_ORIGINS"):
        create_app({"TESTING": True, "DATA_DIR": str(mini_data_dir), "EMBED_ALLOWED_ORIGINS": origins})


# ---- assets: local, resolvable, nothing from a CDN ----


@pytest.mark.parametrize("path", PAGES)
def test_no_cdn_url_and_only_local_assets(client, path):
    html = client.get(path).get_data(as_text=True)
    for host in CDN_HOSTS:
        assert host not in html
    for forbidden in ("jquery", "bootstrap", "font-awesome", "awesome-markers"):
        assert forbidden not in html.lower()
    links = asset_links(html)
    assert len(links) == 7  # Leaflet js+css, MarkerCluster js+css, ours: the entry module, the css, the print css
    assert all(url.startswith("/assets/") for url in links)


@pytest.mark.parametrize("path", PAGES)
def test_every_asset_and_data_url_of_the_page_resolves(client, path):
    html = client.get(path).get_data(as_text=True)
    urls = asset_links(html)
    config = page_config(html)
    urls += [o["url"] for o in config["overlays"]] + [config["urls"]["downloadAll"]]
    urls += [config["urls"][key] for key in ("page", "embed", "context") if config["urls"][key]]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        if url.endswith(".css"):
            # images and fonts the stylesheet pulls in, relative to the stylesheet
            for ref in re.findall(r"url\(['\"]?([^'\")]+)['\"]?\)", response.get_data(as_text=True)):
                if not ref.startswith("data:"):
                    assert client.get(urljoin(url, ref)).status_code == 200, ref


def test_no_cdn_url_anywhere_in_the_webapp_package():
    for path in (REPO / "webapp").rglob("*"):
        if path.is_file() and path.suffix in (".py", ".html", ".js", ".css"):
            text = path.read_text(encoding="utf-8")
            for host in CDN_HOSTS:
                assert host not in text, f"{path}: {host}"


# ---- the download URL the map's button builds: layers, filters and the year ----


def as_of(props: dict, year: int) -> bool:
    return props["year"] is None or props["year"] <= year


@pytest.mark.parametrize("year", [2019, 2020, 2021])
def test_downloads_take_the_timeline_year_undated_records_included(client, year):
    body = client.get(f"/download/all.geojson?year={year}").get_json(force=True)
    everything = [f for layer in LAYERS for f in shipped(layer)]
    assert {f["id"] for f in body["features"]} == {f["id"] for f in everything if as_of(f["properties"], year)}


def test_the_year_combines_with_layers_and_filters(client):
    body = client.get("/download/all.geojson?layers=links,agencies&status=planned&year=2019").get_json(force=True)
    wanted = {
        f["id"]
        for layer in ("links", "agencies")
        for f in shipped(layer)
        if f["properties"]["status"] == "planned" and as_of(f["properties"], 2019)
    }
    assert {f["id"] for f in body["features"]} == wanted
    one_layer = client.get("/download/links.geojson?year=2019").get_json(force=True)
    assert {f["id"] for f in one_layer["features"]} == {
        f["id"] for f in shipped("links") if as_of(f["properties"], 2019)
    }
    assert (
        client.get("/download/all.geojson?year=2019").headers["ETag"]
        != client.get("/download/all.geojson").headers["ETag"]
    )


@pytest.mark.parametrize("year", ["soon", "20.5", "99999", "1500"])
def test_a_bad_download_year_is_a_json_error(client, year):
    response = client.get(f"/download/all.geojson?year={year}")
    assert response.status_code == 400
    assert "year=" in response.get_json()["description"]
