"""The review page's server side (webapp/review.py): off by default, local only, guarded against
cross-site requests, and accept / edit / reject / place / rebuild through geo.ingest.proposals,
on a temporary copy of the data (tests/webapp/review_fixture.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from geo import datum
from tests.conftest import DATA_DIR
from tests.webapp import review_fixture as fx
from webapp import create_app, static_export
from webapp import review as review_module
from webapp.assets import PACKAGES

FILES = "/review/api/files"
ORIGIN = "http://localhost"  # the test client's own origin (Host: localhost)
JSON_POST = {"Origin": ORIGIN, "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def review_app(tmp_path_factory):
    data = fx.copy_data(tmp_path_factory.mktemp("review") / "data")
    return create_app({"TESTING": True, "DATA_DIR": str(data), "REVIEW": "1"})


@pytest.fixture()
def data_dir(review_app, tmp_path) -> Path:
    """A fresh copy of the data (with the fixture's proposals) that the review app now works on."""
    data = fx.copy_data(tmp_path / "data")
    review_app.config["DATA_DIR"] = str(data)
    return data


@pytest.fixture()
def review(review_app, data_dir):
    return review_app.test_client()


def post(client, url, body=None, **headers):
    return client.post(url, data=json.dumps(body or {}), headers={**JSON_POST, **headers})


def action(name: str, proposal_id: str, verb: str) -> str:
    return f"{FILES}/{name}/{proposal_id}/{verb}"


def sources_text(data_dir: Path) -> dict[str, bytes]:
    return {p.relative_to(data_dir).as_posix(): p.read_bytes() for p in sorted((data_dir / "sources").rglob("*.*"))}


def records(data_dir: Path, layer: str) -> dict[str, dict]:
    return {r["id"]: r for r in yaml.safe_load((data_dir / "sources" / f"{layer}.yaml").read_text(encoding="utf-8"))}


def proposal_ids(client) -> list[str]:
    return [item["proposal"]["id"] for item in client.get(f"{FILES}/{fx.NAME}").get_json()["proposals"]["proposals"]]


# ---- off by default, local only ----------------------------------------------------------------


@pytest.mark.parametrize("url", ["/review", f"{FILES}", f"{FILES}/{fx.NAME}", "/review/static/main.js"])
def test_without_the_setting_there_is_no_review_page(client, url):
    assert client.get(url).status_code == 404
    response = client.post(url, data="{}", headers=JSON_POST)
    assert response.status_code in (404, 405)
    assert response.mimetype == "application/json"


def test_the_setting_is_off_by_default_and_a_bad_value_stops_the_app(monkeypatch):
    monkeypatch.delenv("GBA_REVIEW", raising=False)
    assert create_app({"TESTING": True, "DATA_DIR": str(DATA_DIR)}).config["REVIEW"] is False
    with pytest.raises(ValueError, match="REVIEW='maybe'"):
        create_app({"TESTING": True, "DATA_DIR": str(DATA_DIR), "REVIEW": "maybe"})


def test_the_page_lists_the_proposal_files_and_is_not_on_the_public_map(review):
    page = review.get("/review")
    assert page.status_code == 200 and page.mimetype == "text/html"
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert page.headers["Cache-Control"] == "no-store"
    config = json.loads(re.search(r'id="review-config">(.*?)</script>', page.get_data(as_text=True)).group(1))
    basemaps = dict(config["basemaps"])
    assert basemaps["gaode"]["datum"] == "gcj02" and basemaps["osm"]["datum"] == "wgs84"
    assert dict(config["vocab"]["layers"])["hospitals"] == ["hospital", "clinic_centre"]
    assert [key for key, _label in config["vocab"]["statuses"]] == [
        "operating",
        "under_construction",
        "planned",
        "proposed",
    ]
    assert "position" in dict(config["vocab"]["checks"])
    for script in re.findall(r'<script[^>]*src="([^"]+)"', page.get_data(as_text=True)):
        assert review.get(script).status_code == 200, script
    assert "/review" not in review.get("/").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/review", FILES, "/review/static/main.js"])
@pytest.mark.parametrize(
    "environ, headers, problem",
    [
        ({"REMOTE_ADDR": "192.0.2.7"}, {}, "this machine only"),
        ({"REMOTE_ADDR": "::ffff:192.0.2.7"}, {}, "this machine only"),
        ({}, {"X-Forwarded-For": "192.0.2.7"}, "not through a proxy"),
        ({}, {"Forwarded": "for=192.0.2.7"}, "not through a proxy"),
        ({}, {"Host": "review.attacker.example"}, "loopback host name"),
    ],
    ids=["remote", "remote-v4-mapped", "proxied", "forwarded", "rebinding-host"],
)
def test_only_a_browser_on_this_machine_may_use_it(review, url, environ, headers, problem):
    response = review.get(url, environ_base=environ, headers=headers)
    assert response.status_code == 403
    assert response.mimetype == "application/json" and problem in response.get_json()["error"]


@pytest.mark.parametrize(
    "environ", [{"REMOTE_ADDR": "127.0.0.1"}, {"REMOTE_ADDR": "::1"}, {"REMOTE_ADDR": "127.8.0.1"}]
)
def test_loopback_clients_are_served(review, environ):
    assert review.get(FILES, environ_base=environ).status_code == 200


@pytest.mark.parametrize(
    "headers, status, problem",
    [
        ({"Origin": None}, 403, "Origin missing"),
        ({"Origin": "http://evil.example"}, 403, "Origin http://evil.example"),
        ({"Origin": "http://localhost:8000"}, 403, "expected http://localhost"),
        ({"Sec-Fetch-Site": "cross-site"}, 403, "Sec-Fetch-Site: cross-site"),
        ({"Content-Type": "text/plain"}, 415, "as JSON"),
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415, "as JSON"),
    ],
    ids=["no-origin", "other-site", "other-port", "cross-site-fetch", "text-plain", "form"],
)
def test_a_change_from_anywhere_but_the_page_is_refused_and_changes_nothing(review, data_dir, headers, status, problem):
    before = sources_text(data_dir)
    sent = {key: value for key, value in {**JSON_POST, **headers}.items() if value is not None}
    for url in (action(fx.NAME, "record-" + fx.VIRUS_LAB, "reject"), "/review/api/rebuild"):
        response = review.post(url, data="{}", headers=sent)
        assert response.status_code == status, url
        assert problem in response.get_json()["error"]
    assert sources_text(data_dir) == before


# ---- reading -------------------------------------------------------------------------------------


def test_files_and_their_proposals_with_the_article_text(review):
    files = review.get(FILES).get_json()["files"]
    assert [f["name"] for f in files] == [fx.NAME]
    assert files[0]["counts"] == {"record": 3, "mention": 1, "link": 1, "figure": 0}
    answer = review.get(f"{FILES}/{fx.NAME}").get_json()
    article = answer["article"]
    assert article["text"] == fx.ARTICLE and article["unchanged"] is True
    for item in answer["proposals"]["proposals"]:
        quote = item["proposal"]["quote"]
        assert article["text"][quote["start"] : quote["end"]] in fx.ARTICLE
    institute = answer["proposals"]["proposals"][0]["proposal"]["quote"]
    assert article["text"][institute["start"] : institute["end"]] == "香港大學坪山生物醫藥研究院"


def test_an_article_changed_since_the_proposals_is_flagged(review, data_dir):
    (data_dir / "sources" / "articles" / f"{fx.NAME}.txt").write_text(fx.ARTICLE + "更正。\n", encoding="utf-8")
    assert review.get(f"{FILES}/{fx.NAME}").get_json()["article"]["unchanged"] is False


@pytest.mark.parametrize("name", ["no-such-file", "Bad_Name"])
def test_an_unknown_proposal_file_is_a_json_4xx_naming_it(review, name):
    response = review.get(f"{FILES}/{name}")
    assert response.status_code == 422 and response.get_json()["code"] == "ReviewError"
    assert name in response.get_json()["error"]


# ---- accept, edit, reject ------------------------------------------------------------------------


def test_a_link_to_a_record_not_yet_accepted_is_refused_and_nothing_changes(review, data_dir):
    before = sources_text(data_dir)
    response = post(review, action(fx.NAME, f"link-{fx.LINK}", "accept"), {"edits": fx.LINK_EDITS})
    assert response.status_code == 422
    message = response.get_json()["error"]
    assert f"{fx.NAME}.yaml" in message and f"link-{fx.LINK}" in message and fx.INSTITUTE in message
    assert sources_text(data_dir) == before


def test_accepting_a_record_with_edits_then_its_link_writes_the_sources(review, data_dir):
    response = post(review, action(fx.NAME, f"record-{fx.INSTITUTE}", "accept"), {"edits": fx.INSTITUTE_EDITS})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["result"]["file"] == "universities.yaml"
    written = records(data_dir, "universities")[fx.INSTITUTE]
    assert written["name_en"] == fx.INSTITUTE_EDITS["name_en"]
    assert written["sources"][0]["citation"] == fx.NAME
    assert f"record-{fx.INSTITUTE}" not in proposal_ids(review)

    response = post(review, action(fx.NAME, f"link-{fx.LINK}", "accept"), {"edits": fx.LINK_EDITS})
    assert response.status_code == 200, response.get_json()
    links = records(data_dir, "links")
    assert links[fx.LINK]["from"] == "sztu" and links[fx.LINK]["to"] == fx.INSTITUTE

    assert post(review, action(fx.NAME, "mention-sztu-1", "accept")).status_code == 200
    quotes = [s["quote"] for s in records(data_dir, "universities")["sztu"]["sources"]]
    assert "香港大學與深圳技術大學簽署合作協議" in quotes


def test_accepting_without_what_the_build_requires_is_refused_with_the_reason(review, data_dir):
    before = sources_text(data_dir)
    response = post(review, action(fx.NAME, f"record-{fx.INSTITUTE}", "accept"))
    assert response.status_code == 422
    assert "name_en" in response.get_json()["error"] and f"record-{fx.INSTITUTE}" in response.get_json()["error"]
    assert sources_text(data_dir) == before


def test_edit_changes_the_proposal_and_a_bad_edit_is_refused(review, data_dir):
    pid = f"record-{fx.VIRUS_LAB}"
    response = post(review, action(fx.NAME, pid, "edit"), {"changes": {"name_en": "HKU Pingshan Virus Laboratory"}})
    assert response.status_code == 200
    assert response.get_json()["result"]["record"]["name_en"] == "HKU Pingshan Virus Laboratory"
    stored = (data_dir / "sources" / "proposed" / f"{fx.NAME}.yaml").read_text(encoding="utf-8")
    assert "HKU Pingshan Virus Laboratory" in stored
    before = sources_text(data_dir)
    response = post(review, action(fx.NAME, pid, "edit"), {"changes": {"category": "hospital"}})
    assert response.status_code == 422 and "category 'hospital'" in response.get_json()["error"]
    for bad in ({}, {"changes": ["name_en"]}, {"changes": "x"}):
        response = post(review, action(fx.NAME, pid, "edit"), bad)
        assert response.status_code == 400 and "'changes' must be an object" in response.get_json()["error"]
    assert sources_text(data_dir) == before


def test_a_mention_can_be_moved_to_another_record(review, data_dir):
    response = post(review, action(fx.NAME, "mention-sztu-1", "edit"), {"changes": {"target": "sznu"}})
    assert response.status_code == 200 and response.get_json()["result"]["proposal"]["target"] == "sznu"
    response = post(review, action(fx.NAME, "mention-sztu-1", "edit"), {"changes": {"target": "Not An Id"}})
    assert response.status_code == 422 and "target 'Not An Id'" in response.get_json()["error"]


def test_rejecting_leaves_no_trace(review, data_dir):
    pid = f"record-{fx.VIRUS_LAB}"
    response = post(review, action(fx.NAME, pid, "reject"))
    assert response.status_code == 200
    assert pid not in proposal_ids(review)
    for name, text in sources_text(data_dir).items():
        assert fx.VIRUS_LAB.encode() not in text, name
    again = post(review, action(fx.NAME, pid, "reject"))
    assert again.status_code == 422 and pid in again.get_json()["error"]


@pytest.mark.parametrize(
    "body, problem",
    [
        ("[1, 2]", "must be a JSON object"),
        ("{not json", "not JSON"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_400(review, body, problem):
    response = review.post(action(fx.NAME, "mention-sztu-1", "accept"), data=body, headers=JSON_POST)
    assert response.status_code == 400 and problem in response.get_json()["error"]


def test_an_unknown_action_or_proposal_is_a_json_4xx(review):
    response = post(review, action(fx.NAME, "mention-sztu-1", "publish"))
    assert response.status_code == 404 and "accept, edit, reject, place" in response.get_json()["error"]
    response = post(review, action(fx.NAME, "record-nothing", "accept"))
    assert response.status_code == 422 and "record-nothing" in response.get_json()["error"]


# ---- placing ------------------------------------------------------------------------------------


def placed_location(client) -> dict:
    items = client.get(f"{FILES}/{fx.NAME}").get_json()["proposals"]["proposals"]
    return next(i for i in items if i["proposal"]["id"] == f"record-{fx.CLINIC}")["record"]["location"]


def test_a_click_on_gaode_is_stored_converted_to_wgs84(review):
    lon, lat = 113.9005, 22.5251  # Qianhai as read on Gaode's GCJ-02 tiles
    body = {"lon": lon, "lat": lat, "basemap": "gaode", "precision": "building"}
    response = post(review, action(fx.NAME, f"record-{fx.CLINIC}", "place"), body)
    assert response.status_code == 200, response.get_json()
    location = placed_location(review)
    want_lon, want_lat = datum.gcj02_to_wgs84(lon, lat)
    assert (location["lon"], location["lat"]) == pytest.approx((want_lon, want_lat), abs=2e-6)
    assert abs(location["lon"] - lon) > 0.003  # really shifted: about 500 m here
    assert location["datum"] == "wgs84" and location["precision"] == "building"
    assert "GCJ-02" in location["source"] and "position" not in response.get_json()["result"]["proposal"]["check"]


def test_a_click_on_a_wgs84_basemap_is_stored_as_is(review):
    body = {"lon": 113.9005, "lat": 22.5251, "basemap": "osm", "precision": "campus"}
    assert post(review, action(fx.NAME, f"record-{fx.CLINIC}", "place"), body).status_code == 200
    location = placed_location(review)
    assert (location["lon"], location["lat"]) == pytest.approx((113.9005, 22.5251), abs=1e-9)


@pytest.mark.parametrize(
    "change, status, problem",
    [
        ({"basemap": "baidu"}, 400, "basemap 'baidu'"),
        ({"basemap": None}, 400, "basemap None"),
        ({"lon": 200}, 400, "lon=200"),
        ({"lat": "22.5"}, 400, "'lat' must be a number"),
        ({"lat": True}, 400, "'lat' must be a number"),
        ({"precision": "exact"}, 400, "precision 'exact'"),
        ({"precision": "area_matched"}, 422, "precision 'area_matched'"),
    ],
)
def test_a_bad_placement_is_refused(review, data_dir, change, status, problem):
    before = sources_text(data_dir)
    body = {"lon": 113.9, "lat": 22.5, "basemap": "gaode", "precision": "building", **change}
    response = post(review, action(fx.NAME, f"record-{fx.CLINIC}", "place"), body)
    assert response.status_code == status and problem in response.get_json()["error"]
    assert sources_text(data_dir) == before


def test_only_a_record_can_be_placed(review):
    body = {"lon": 113.9, "lat": 22.5, "basemap": "osm", "precision": "building"}
    response = post(review, action(fx.NAME, f"link-{fx.LINK}", "place"), body)
    assert response.status_code == 422 and "only a proposed record" in response.get_json()["error"]


# ---- rebuild ------------------------------------------------------------------------------------


def test_rebuild_serves_the_accepted_records_and_not_the_rejected(review, data_dir):
    assert (
        post(review, action(fx.NAME, f"record-{fx.INSTITUTE}", "accept"), {"edits": fx.INSTITUTE_EDITS}).status_code
        == 200
    )
    assert post(review, action(fx.NAME, f"link-{fx.LINK}", "accept"), {"edits": fx.LINK_EDITS}).status_code == 200
    place = {"lon": 113.9005, "lat": 22.5251, "basemap": "gaode", "precision": "building"}
    assert post(review, action(fx.NAME, f"record-{fx.CLINIC}", "place"), place).status_code == 200
    assert post(review, action(fx.NAME, f"record-{fx.CLINIC}", "accept"), {"edits": fx.CLINIC_EDITS}).status_code == 200
    assert post(review, action(fx.NAME, f"record-{fx.VIRUS_LAB}", "reject")).status_code == 200
    item = f"/ogcapi/collections/universities/items/{fx.INSTITUTE}"
    assert review.get(item).status_code == 404  # not on the map before the rebuild

    response = post(review, "/review/api/rebuild")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["served"] is True

    institute = review.get(item)
    assert institute.status_code == 200
    assert institute.get_json()["properties"]["name_en"] == fx.INSTITUTE_EDITS["name_en"]
    clinic = review.get(f"/ogcapi/collections/hospitals/items/{fx.CLINIC}").get_json()
    assert clinic["geometry"]["coordinates"] == pytest.approx(list(datum.gcj02_to_wgs84(113.9005, 22.5251)), abs=2e-6)
    assert review.get(f"/ogcapi/collections/links/items/{fx.LINK}").status_code == 200
    assert review.get(f"/ogcapi/collections/universities/items/{fx.VIRUS_LAB}").status_code == 404
    found = review.get("/api/search?q=香港大學坪山生物醫藥研究院").get_data(as_text=True)
    assert fx.INSTITUTE in found and fx.VIRUS_LAB not in found


def test_a_failing_build_is_a_422_with_the_builds_message_and_the_map_unchanged(review, data_dir):
    hospitals = data_dir / "sources" / "hospitals.yaml"
    hospitals.write_text(
        hospitals.read_text(encoding="utf-8") + "\n- id: broken\n  category: nowhere\n", encoding="utf-8"
    )
    built = {p.name: p.read_bytes() for p in (data_dir / "geojson").glob("*.geojson")}
    response = post(review, "/review/api/rebuild")
    assert response.status_code == 422 and response.get_json()["code"] == "BuildFailed"
    assert "hospitals.yaml" in response.get_json()["error"] and "broken" in response.get_json()["error"]
    assert {p.name: p.read_bytes() for p in (data_dir / "geojson").glob("*.geojson")} == built


# ---- never public ---------------------------------------------------------------------------------


def test_the_static_export_of_an_app_with_the_review_on_has_no_trace_of_it(mini_data_dir, tmp_path):
    app = create_app({"TESTING": True, "DATA_DIR": str(mini_data_dir), "REVIEW": "1"})
    out = tmp_path / "site"
    static_export.export(app, out)
    written = [p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()]
    assert "index.html" in written
    assert [name for name in written if "review" in name] == []
    for name in written:
        if name.endswith((".html", ".js", ".json")):
            assert "/review" not in (out / name).read_text(encoding="utf-8"), name


def test_the_production_tree_that_nginx_serves_has_no_review_file(review_app):
    from webapp.production import public_urls

    urls = public_urls(review_app)
    assert any(url.startswith("/assets/gba/") for url in urls)
    assert [url for url in urls if "review" in url] == []


def test_the_review_front_end_is_not_a_public_asset(review):
    assert (Path(PACKAGES["gba"].directory) / "review" / "main.js").is_file()
    files = PACKAGES["gba"].files()
    assert files and not [name for name in files if name.startswith("review/")]
    page = review.get("/").get_data(as_text=True)
    version = re.search(r"/assets/gba/([0-9a-f]+)/", page).group(1)
    for name in ("review/main.js", "js/../review/main.js", "review/review.css"):
        assert review.get(f"/assets/gba/{version}/{name}").status_code == 404, name


# ---- with what `python -m geo ingest` really writes ------------------------------------------------

CORPUS = Path(__file__).resolve().parents[1] / "ingest" / "corpus"


def test_a_file_written_by_geo_ingest_is_shown_with_every_quote_in_place(review, data_dir):
    import subprocess
    import sys

    article = CORPUS / "now-2025-hkust-hetao-institute.txt"
    citation = yaml.safe_load((CORPUS / "now-2025-hkust-hetao-institute.yaml").read_text(encoding="utf-8"))["citation"]
    done = subprocess.run(
        [sys.executable, "-m", "geo", "--data-dir", str(data_dir), "ingest", str(article)]
        + ["--title", citation["title"], "--publisher", citation["publisher"], "--date", citation["date"]]
        + ["--citation", "now-2025-hkust-hetao"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    assert "now-2025-hkust-hetao" in [f["name"] for f in review.get(FILES).get_json()["files"]]
    answer = review.get(f"{FILES}/now-2025-hkust-hetao").get_json()
    text = answer["article"]["text"]
    assert answer["article"]["unchanged"] is True and text.strip()
    items = answer["proposals"]["proposals"]
    assert {item["proposal"]["kind"] for item in items} >= {"record", "link"}
    for item in items:
        quote = item["proposal"]["quote"]
        assert 0 <= quote["start"] < quote["end"] <= len(text), item["proposal"]["id"]
        body = item.get("record") or item.get("link") or {}
        for source in body.get("sources", []) + ([item["source"]] if "source" in item else []):
            assert source["quote"] in text  # every quote is verbatim in the article shown
    checks = dict(
        json.loads(
            re.search(r'id="review-config">(.*?)</script>', review.get("/review").get_data(as_text=True)).group(1)
        )["vocab"]["checks"]
    )
    assert {check for item in items for check in item["proposal"].get("check", [])} <= set(checks)


@pytest.mark.parametrize(
    "host, name",
    [
        ("127.0.0.1:5000", "127.0.0.1"),
        ("localhost", "localhost"),
        ("LOCALHOST:80", "localhost"),
        ("[::1]:5000", "[::1]"),
        ("[::1]", "[::1]"),
        ("127.0.0.1.nip.io:5000", "127.0.0.1.nip.io"),
    ],
)
def test_the_host_name_is_read_without_its_port(host, name):
    assert review_module.host_name(host) == name


@pytest.mark.parametrize(
    "address, loopback",
    [("127.0.0.1", True), ("127.255.0.9", True), ("::1", True), ("::ffff:127.0.0.1", True), ("10.0.0.1", False)]
    + [("::ffff:10.0.0.1", False), ("", False), (None, False), ("/run/gunicorn.sock", False)],
)
def test_loopback_addresses(address, loopback):
    assert review_module.is_loopback(address) is loopback
