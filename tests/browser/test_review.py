"""The review page in a real browser, on a temporary copy of the data: an editor accepts a record
(after editing it) and a link, rejects a record, places a "to position" record by clicking the
Gaode map, rebuilds, and then finds the accepted records on the map and in the API, and the
rejected one nowhere."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, expect

from geo import datum
from tests.browser.conftest import XSS, LiveServer, publish_screenshot
from tests.browser.mapdriver import fetch_json, open_map
from tests.webapp import review_fixture as fx
from webapp import create_app


@pytest.fixture()
def review_data(tmp_path) -> Path:
    return fx.copy_data(tmp_path / "data")


@pytest.fixture()
def review_server(review_data: Path) -> Iterator[LiveServer]:
    server = LiveServer(create_app({"TESTING": True, "DATA_DIR": str(review_data), "REVIEW": "1"}))
    yield server
    server.stop()


def proposal(page: Page, proposal_id: str):
    return page.locator(f'li[data-proposal-id="{proposal_id}"]')


def fill_form(item, values: dict) -> None:
    item.locator("summary", has_text="Edit").click()
    for name, value in values.items():
        item.locator(f'[name="{name}"]').fill(value)


# Accepting compiles the changed tables with the build's code, and a rebuild builds every layer:
# on a busy machine each takes seconds, so the waits for them are long (a wait, not a measure).
SLOW = 120_000


def wait_ready(page: Page) -> None:
    page.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=SLOW)


def test_review_accept_reject_place_rebuild_then_on_the_map(page: Page, traffic, review_server, review_data, artifacts):
    page.goto(f"{review_server.url}/review")
    wait_ready(page)
    expect(page.locator("button[data-file]")).to_have_text([f"{fx.NAME} (5 waiting)"])

    # The article is shown as text, each proposal's quote highlighted from its offsets.
    article = page.locator("#review-article")
    expect(article).to_contain_text("香港中文大學將與前海合作設立港中大前海聯合診所。")
    institute_mark = article.locator(f'mark[data-proposals~="record-{fx.INSTITUTE}"]')
    expect(institute_mark).to_have_text("香港大學坪山生物醫藥研究院")
    institute_mark.click()
    expect(proposal(page, f"record-{fx.INSTITUTE}")).to_have_class("review-proposal is-current")
    page.wait_for_function("() => document.getAnimations().length === 0")
    page.screenshot(path=str(artifacts / "review.png"))
    publish_screenshot("review.png")  # docs/review.md shows it

    # A record: edited (English name, descriptions) and saved, then accepted.
    institute = proposal(page, f"record-{fx.INSTITUTE}")
    fill_form(institute, fx.INSTITUTE_EDITS)
    institute.locator('button[data-action="edit"]').click()
    expect(page.locator("#review-status")).to_have_text(f"Saved the changes to record-{fx.INSTITUTE}.")
    institute.locator('button[data-action="accept"]').click()
    expect(institute).to_have_count(0, timeout=SLOW)

    # A link between an existing record and the one just accepted: descriptions written, accepted.
    link = proposal(page, f"link-{fx.LINK}")
    fill_form(link, fx.LINK_EDITS)
    link.locator('button[data-action="accept"]').click()
    expect(link).to_have_count(0, timeout=SLOW)

    # A record rejected.
    proposal(page, f"record-{fx.VIRUS_LAB}").locator('button[data-action="reject"]').click()
    expect(proposal(page, f"record-{fx.VIRUS_LAB}")).to_have_count(0, timeout=SLOW)

    # A "to position" record: it cannot be accepted before it is placed; placed by a click on Gaode.
    clinic = proposal(page, f"record-{fx.CLINIC}")
    expect(clinic.locator('button[data-action="accept"]')).to_be_disabled()
    clinic.locator('button[data-action="place"]').click()
    dialog = page.locator("#review-place")
    expect(dialog).to_be_visible()
    dialog.locator("#review-basemap").select_option("gaode")
    expect(page.locator("#review-place-map")).to_have_attribute("data-datum", "gcj02")
    page.locator("#review-place-map").click(position={"x": 240, "y": 160})
    with page.expect_request(lambda request: request.url.endswith("/place")) as placed:
        dialog.locator("#review-place-save").click()
    sent = json.loads(placed.value.post_data)
    assert sent["basemap"] == "gaode" and sent["precision"] == "building"
    wait_ready(page)
    expect(clinic.locator('button[data-action="accept"]')).to_be_enabled()
    fill_form(clinic, fx.CLINIC_EDITS)
    clinic.locator('button[data-action="accept"]').click()
    expect(clinic).to_have_count(0, timeout=SLOW)
    stored = {r["id"]: r for r in yaml.safe_load((review_data / "sources" / "hospitals.yaml").read_text("utf-8"))}
    location = stored[fx.CLINIC]["location"]
    want = datum.gcj02_to_wgs84(sent["lon"], sent["lat"])
    assert (location["lon"], location["lat"]) == pytest.approx(want, abs=2e-6)
    assert abs(location["lon"] - sent["lon"]) + abs(location["lat"] - sent["lat"]) > 0.002  # converted, not as clicked
    assert location["datum"] == "wgs84"

    page.locator("#review-rebuild").click()
    expect(page.locator("#review-status")).to_have_text(
        "Rebuilt: the map now shows the accepted records.", timeout=SLOW
    )
    assert traffic.errors == [] and traffic.local_failures == []
    shown = page.locator("#review-accepted a")
    expect(shown).to_have_count(3)
    assert {shown.nth(i).get_attribute("data-id") for i in range(3)} == {fx.INSTITUTE, fx.CLINIC, fx.LINK}
    institute_link = page.locator(f'#review-accepted a[data-id="{fx.INSTITUTE}"]').get_attribute("href")

    # The page's link opens the public map on the accepted record, its popup open.
    open_map(page, f"{review_server.url}{institute_link}&lang=en")
    expect(page.locator(".leaflet-popup-content .gba-popup")).to_have_attribute("data-feature-id", fx.INSTITUTE)

    # The public map and its API now have the accepted records, and not the rejected one.
    open_map(page, f"{review_server.url}/?lang=en")
    on_map = "(id) => Boolean(GBAMap.layer(id))"
    for record_id in (fx.INSTITUTE, fx.CLINIC, fx.LINK):
        assert page.evaluate(on_map, record_id), record_id
    assert not page.evaluate(on_map, fx.VIRUS_LAB)
    institute_item = fetch_json(page, f"/ogcapi/collections/universities/items/{fx.INSTITUTE}")
    assert institute_item["properties"]["name_en"] == fx.INSTITUTE_EDITS["name_en"]
    clinic_item = fetch_json(page, f"/ogcapi/collections/hospitals/items/{fx.CLINIC}")
    assert clinic_item["geometry"]["coordinates"] == pytest.approx(list(want), abs=2e-6)
    everything = json.dumps(fetch_json(page, "/download/all.geojson"), ensure_ascii=False)
    assert fx.INSTITUTE in everything and fx.VIRUS_LAB not in everything and "港大坪山病毒實驗室" not in everything
    assert page.request.get(f"{review_server.url}/ogcapi/collections/universities/items/{fx.VIRUS_LAB}").status == 404
    assert traffic.errors == []


def test_markup_in_a_proposal_file_stays_text(page: Page, traffic, tmp_path):
    """Names, evidence, checks, ids and the article itself, all markup: shown as text, nothing runs."""
    data = fx.copy_data(tmp_path / "data")
    article = XSS + "\n" + fx.ARTICLE
    (data / "sources" / "articles" / f"{fx.NAME}.txt").write_text(article, encoding="utf-8")
    document = fx.proposals_document()
    document["article"]["sha256"] = hashlib.sha256(article.encode("utf-8")).hexdigest()
    shift = len(XSS) + 1
    for item in document["proposals"]:
        item["proposal"]["quote"] = {key: value + shift for key, value in item["proposal"]["quote"].items()}
    hostile = document["proposals"][2]
    hostile["proposal"].update(id='record-x"><img src=x onerror=alert(2)>', evidence=XSS, check=[XSS])
    hostile["record"].update(name_zh_hant=XSS, name_en=XSS, aliases=[XSS])
    document["proposals"][4]["proposal"]["target"] = "__proto__"
    (data / "sources" / "proposed" / f"{fx.NAME}.yaml").write_text(
        yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    server = LiveServer(create_app({"TESTING": True, "DATA_DIR": str(data), "REVIEW": "1"}))
    try:
        page.goto(f"{server.url}/review")
        wait_ready(page)
        expect(page.locator("#review-article")).to_contain_text(XSS)
        expect(page.locator("#review-article-warning")).to_be_hidden()  # offsets shifted with the text
        item = page.locator("li[data-kind=record]").nth(2)
        expect(item.locator("strong")).to_have_text(f"{XSS} · {XSS}")
        expect(item.locator(".review-check li")).to_have_text([XSS])
        expect(page.locator('mark[data-proposals~="mention-sztu-1"]')).to_have_text(
            "香港大學與深圳技術大學簽署合作協議"
        )
        assert page.locator("#review-article img, .review-proposal-list img").count() == 0
        assert traffic.dialogs == [] and traffic.errors == []
    finally:
        server.stop()
