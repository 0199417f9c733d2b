"""Ids that are names of Object.prototype members (issue 10, finding 5), in real Chromium.

The issue's probe saw a record with id ``constructor`` break the map (the links layer stopped
loading, 6 of 56 drawn; search threw; ``/embed?select=constructor`` never finished): lookups
keyed by plain objects.  The schema is to refuse such ids in ``geo build``, so the data cannot
carry them; this test hands them to the page anyway by rewriting the layer downloads and the
search answers on their way in, and asking the server for pages by the real id.

Every lookup keyed by data in webapp/static is a Map or a Set, so this passes; with
js/dataset.js's index and links-by-end turned back into plain objects, every test here
fails (the links layer does not load), as the issue saw.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest

from geo.schema import LINK_LAYER
from tests.browser.mapdriver import drawn, features, list_ids, open_map, show_all, state
from tests.conftest import DATA_DIR

pytestmark = pytest.mark.browser

# Shipped records, most of them ends of many links, renamed after Object.prototype's members.
HOSTILE = {
    "pingshan-high-tech-zone": "constructor",  # a zone, at an end of 19 links
    "cuhk-shenzhen-research-institute": "__proto__",
    "hong-kong-sar": "toString",
    "pingshan-district": "hasOwnProperty",
    "hengqin-aicp": "valueOf",
}
LINKS = features(DATA_DIR, LINK_LAYER)
# A link renamed too: links are looked up by id like the features.
HOSTILE[LINKS[0]["properties"]["id"]] = "isPrototypeOf"
ORIGINAL = {hostile: original for original, hostile in HOSTILE.items()}
RECORDS = {
    f["properties"]["id"]: f["properties"]
    for layer in ("zones", "agencies", "universities", "computing_centres", LINK_LAYER)
    for f in features(DATA_DIR, layer)
}


def renamed(value):
    return HOSTILE.get(value, value) if isinstance(value, str) else value


def rename_collection(body: dict) -> dict:
    for feature in body.get("features", []):
        props = feature["properties"]
        for key in ("id", "from_id", "to_id"):
            if key in props:
                props[key] = renamed(props[key])
        if "id" in feature:
            feature["id"] = renamed(feature["id"])
    return body


def rename_search(body: dict) -> dict:
    for result in body.get("results", []):
        for key in ("id", "from_id", "to_id"):
            if key in result:
                result[key] = renamed(result[key])
    return body


def feed_hostile_ids(page) -> None:
    """Rewrite every layer download and search answer the page asks for; ask the server for pages by real id."""

    def rewrite(route, change) -> None:
        response = route.fetch()
        assert response.ok, (route.request.url, response.status)
        body = json.dumps(change(response.json()), ensure_ascii=False)
        route.fulfill(status=200, content_type=response.headers["content-type"], body=body)

    def page_by_real_id(route) -> None:
        # The server knows only the real ids: ask it for the page of the real one, let the page read the hostile one.
        parts = urlsplit(route.request.url)
        query = {key: [ORIGINAL.get(v, v) for v in values] for key, values in parse_qs(parts.query).items()}
        response = route.fetch(url=parts._replace(query=urlencode(query, doseq=True)).geturl())
        route.fulfill(response=response)

    page.route(re.compile(r"/download/[a-z_]+\.geojson"), lambda route: rewrite(route, rename_collection))
    page.route(re.compile(r"/api/search\?"), lambda route: rewrite(route, rename_search))
    page.route(re.compile(r"/(embed)?\?.*(select|focus)="), page_by_real_id)


def open_popup_of(page, record_id: str) -> None:
    page.locator(f'.leaflet-popup-content .gba-popup[data-feature-id="{record_id}"]').wait_for()
    assert state(page)["selected"] == record_id


def test_every_link_is_drawn_and_listed_and_every_record_found(page, live_server, traffic):
    feed_hostile_ids(page)
    loaded = open_map(page, live_server.url + "/?lang=en")
    assert loaded["failed"] == []
    show_all(page)
    assert drawn(page, LINK_LAYER)["lines"] == len(LINKS)
    assert page.evaluate("(ids) => ids.map((id) => GBAMap.recordLayer(id))", list(ORIGINAL)) == [
        "zones",
        "universities",
        "agencies",
        "agencies",
        "computing_centres",
        LINK_LAYER,
    ]
    listed = list_ids(page)
    assert set(ORIGINAL) <= set(listed)
    assert not set(HOSTILE) & set(listed)  # the real ids are gone: every one was renamed

    box = page.locator("#gba-search-input")
    for hostile, original in ORIGINAL.items():
        props = RECORDS[original]
        query = props.get("name_en") or f"{props['from_name_en']} {props['to_name_en']}"
        box.fill(query)
        option = page.locator(f'#gba-search-results [data-id="{hostile}"]')
        option.wait_for()
        option.click()
        open_popup_of(page, hostile)
    assert traffic.errors == []
    assert traffic.local_failures == []


def test_selecting_a_record_highlights_its_partners(page, live_server, traffic):
    feed_hostile_ids(page)
    open_map(page, live_server.url + "/?lang=en")
    assert page.evaluate("GBAMap.select('constructor')")
    open_popup_of(page, "constructor")
    roles = page.evaluate("GBAMap.roles()")
    partner_links = [
        f["properties"]
        for f in LINKS
        if "pingshan-high-tech-zone" in (f["properties"]["from_id"], f["properties"]["to_id"])
    ]
    assert roles["constructor"] == "selected"
    assert sum(role == "link" for role in roles.values()) == len(partner_links)
    assert roles["hasOwnProperty"] == "partner"  # Pingshan District: a partner of the zone
    # The selection panel lists the zone's links, each naming its partner.
    panel = page.locator('#gba-selection[data-selected="constructor"]')
    panel.wait_for()
    rows = panel.locator("[data-link-id]")
    assert sorted(rows.evaluate_all("(rows) => rows.map((row) => row.dataset.linkId)")) == sorted(
        renamed(p["id"]) for p in partner_links
    )
    assert "hasOwnProperty" in rows.evaluate_all("(rows) => rows.map((row) => row.dataset.partnerId)")
    assert traffic.errors == []


@pytest.mark.parametrize("hostile", ["constructor", "__proto__", "toString", "isPrototypeOf"])
def test_the_embed_opens_the_selected_record(page, live_server, traffic, hostile):
    feed_hostile_ids(page)
    open_map(page, f"{live_server.url}/embed?lang=en&select={quote(hostile)}")
    open_popup_of(page, hostile)
    assert traffic.errors == []
