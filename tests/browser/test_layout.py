"""Layout that never hides content, tried as the tester did: a phone (390×844, touch), a
760×480 embed in a cross-origin article, and a 1400×900 desktop.

Every check is a bounding box: an open popup lies inside the view (the window, or the frame)
and overlaps no Leaflet control, header or panel; panels open inside the view and close by
the same tap; touch targets are at least 44 px.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import pytest
from playwright.sync_api import Frame, Page

from tests.browser.conftest import publish_screenshot
from tests.browser.mapdriver import EXPOSE_JS, PAINTED_JS, open_map

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1400, "height": 900}}
FRAME = (760, 480)
TOUCH = 44  # px, the smallest touch target

# The places the tester opened; the Pingshan zone also with the embed's bbox from the report.
SELECTIONS = [
    ("hkpc", ""),
    ("pingshan-high-tech-zone", ""),
    ("pingshan-high-tech-zone", "&bbox=113.8,22.4,114.5,22.8"),
    ("hengqin-new-area", ""),
    ("cuhk", ""),
]

# Boxes of the popup and of everything that could cover it, in the document's viewport.
GEOMETRY_JS = """
() => {
  const box = (e) => { const r = e.getBoundingClientRect(); return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
  const shown = (e) => e.checkVisibility({visibilityProperty: true});
  const popup = document.querySelector('.leaflet-popup');
  const covers = [];
  for (const e of document.querySelectorAll('.leaflet-control, .gba-topbar, #gba-explore, .gba-share-panel')) {
    if (shown(e)) covers.push({what: e.className || e.id, ...box(e)});
  }
  return {popup: popup && box(popup), map: box(GBAMap.map.getContainer()), covers,
          view: {left: 0, top: 0, right: window.innerWidth, bottom: window.innerHeight}};
}
"""

# Wait until a popup has stopped moving (Leaflet pans in animation frames) for 10 frames.
POPUP_STILL_JS = """
async () => {
  let last = null, same = 0;
  for (let i = 0; i < 600 && same < 10; i++) {
    await new Promise((done) => requestAnimationFrame(done));
    const popup = document.querySelector('.leaflet-popup');
    const r = popup && popup.getBoundingClientRect();
    const key = r ? [r.left, r.top, r.width, r.height].join() : null;
    same = key !== null && key === last ? same + 1 : 0;
    last = key;
  }
  return same >= 10;
}
"""


@dataclass
class Setup:
    name: str
    page: Page
    base: str  # the app's URL
    article: str | None = None  # the other site's URL, for the framed embed

    def open(self, query: str) -> Page | Frame:
        """Open the map (the embed, in a frame, for the frame setup) and wait for it."""
        if self.article is None:
            open_map(self.page, f"{self.base}/?{query}")
            return self.page
        src = quote(f"{self.base}/embed?{query}", safe="")
        self.page.goto(f"{self.article}/article?width={FRAME[0]}&height={FRAME[1]}&src={src}")
        self.page.frame_locator("#gba").locator(".leaflet-container").wait_for()
        inner = next(f for f in self.page.frames if f.url.startswith(self.base))
        open_map(inner)
        assert inner.evaluate("[innerWidth, innerHeight]") == list(FRAME)
        return inner

    def tap(self, target: Page | Frame, selector: str) -> None:
        locator = target.locator(selector)
        if self.name == "phone":
            locator.tap()
        else:
            locator.click()


@pytest.fixture(params=["phone", "frame", "desktop"])
def setup(request, make_page, live_server, other_origin) -> Setup:
    if request.param == "phone":
        return Setup("phone", make_page(**PHONE), live_server.url)
    if request.param == "desktop":
        return Setup("desktop", make_page(**DESKTOP), live_server.url)
    return Setup("frame", make_page(), live_server.url, other_origin.url)


def overlap(a: dict, b: dict) -> float:
    """The area two boxes share (0 when they only touch)."""
    width = min(a["right"], b["right"]) - max(a["left"], b["left"])
    height = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return max(width, 0) * max(height, 0)


def inside(inner: dict, outer: dict) -> bool:
    return all(
        (
            inner["left"] >= outer["left"] - 0.5,
            inner["top"] >= outer["top"] - 0.5,
            inner["right"] <= outer["right"] + 0.5,
            inner["bottom"] <= outer["bottom"] + 0.5,
        )
    )


def assert_popup_in_the_clear(target: Page | Frame) -> None:
    assert target.evaluate(POPUP_STILL_JS), "the popup never stopped moving"
    geometry = target.evaluate(GEOMETRY_JS)
    popup = geometry["popup"]
    assert popup is not None, "no popup is open"
    assert inside(popup, geometry["view"]), (popup, geometry["view"])
    assert inside(popup, geometry["map"]), (popup, geometry["map"])
    covered = [cover for cover in geometry["covers"] if overlap(popup, cover) > 0]
    assert covered == [], (popup, covered)


@pytest.mark.parametrize(("selected", "extra"), SELECTIONS, ids=[f"{s}{'-bbox' if e else ''}" for s, e in SELECTIONS])
def test_the_selection_from_the_url_opens_its_popup_in_the_clear(setup, selected, extra):
    target = setup.open(f"lang=en&select={selected}{extra}")
    target.locator(f'.leaflet-popup .gba-popup[data-feature-id="{selected}"]').wait_for()
    assert_popup_in_the_clear(target)
    # the title and the close button are there to read and to press
    assert target.locator(".leaflet-popup .gba-name").is_visible()
    close = target.locator(".leaflet-popup-close-button").bounding_box()
    assert close["width"] > 0 and close["height"] > 0


def test_the_embed_on_a_phone_opens_the_selection_in_the_clear(make_page, live_server):
    page = make_page(**PHONE)
    open_map(page, f"{live_server.url}/embed?lang=en&select=pingshan-high-tech-zone&bbox=113.8,22.4,114.5,22.8")
    page.locator('.leaflet-popup .gba-popup[data-feature-id="pingshan-high-tech-zone"]').wait_for()
    assert_popup_in_the_clear(page)


def test_a_marker_tapped_in_the_middle_of_the_map_opens_its_popup_in_the_clear(setup):
    target = setup.open("lang=en")
    x, y = target.evaluate(EXPOSE_JS, "hkpc")
    target.evaluate(PAINTED_JS)
    if setup.article is not None:  # frame coordinates → page coordinates
        frame_box = setup.page.locator("#gba").bounding_box()
        x, y = x + frame_box["x"], y + frame_box["y"]
    if setup.name == "phone":
        setup.page.touchscreen.tap(x, y)
    else:
        setup.page.mouse.click(x, y)
    target.locator('.leaflet-popup .gba-popup[data-feature-id="hkpc"]').wait_for()
    assert_popup_in_the_clear(target)


def test_an_open_popup_moves_out_of_the_way_of_the_layer_list_and_the_legend(make_page, live_server):
    page = make_page(**DESKTOP)
    open_map(page, f"{live_server.url}/?lang=en&select=pingshan-high-tech-zone")
    page.locator(".leaflet-popup .gba-popup").wait_for()
    assert_popup_in_the_clear(page)
    page.locator(".gba-layers-toggle").click()
    assert page.locator("#gba-layers-list").is_visible()
    assert_popup_in_the_clear(page)
    if page.locator(".gba-legend-toggle").get_attribute("aria-expanded") == "false":
        page.locator(".gba-legend-toggle").click()
    assert page.locator("#gba-legend-body").is_visible()
    assert_popup_in_the_clear(page)
    page.locator("#gba-explore-toggle").click()  # the map grows: the popup is checked again
    assert_popup_in_the_clear(page)


def test_a_popup_opening_on_a_phone_closes_the_open_sheets(make_page, live_server):
    page = make_page(**PHONE)
    open_map(page, f"{live_server.url}/?lang=en")
    page.locator("#gba-explore-toggle").tap()
    assert page.locator("#gba-explore").is_visible()
    page.locator("#gba-list-body button[data-id]").first.tap()
    page.locator(".leaflet-popup .gba-popup").wait_for()
    assert page.locator("#gba-explore").is_hidden()
    assert page.locator("#gba-explore-toggle").get_attribute("aria-expanded") == "false"
    assert_popup_in_the_clear(page)


ON_TOP_JS = """
(selector) => {
  const panel = document.querySelector(selector), r = panel.getBoundingClientRect();
  const points = [[0.5, 0.5], [0.1, 0.1], [0.9, 0.1], [0.1, 0.9], [0.9, 0.9]];
  return points.every(([fx, fy]) => {
    const hit = document.elementFromPoint(r.left + fx * r.width, r.top + fy * r.height);
    return hit !== null && panel.contains(hit);
  });
}
"""


def on_top(page: Page, selector: str) -> bool:
    """Nothing covers the panel: its middle and four points near its corners hit it."""
    return page.evaluate(ON_TOP_JS, selector)


def box_of(page: Page, selector: str) -> dict:
    b = page.locator(selector).bounding_box()
    return {"left": b["x"], "top": b["y"], "right": b["x"] + b["width"], "bottom": b["y"] + b["height"]}


def viewport(page: Page) -> dict:
    size = page.viewport_size
    return {"left": 0, "top": 0, "right": size["width"], "bottom": size["height"]}


@pytest.mark.parametrize(
    ("toggle", "body"),
    [(".gba-legend-toggle", "#gba-legend-body"), (".gba-layers-toggle", "#gba-layers-list")],
    ids=["legend", "layers"],
)
def test_on_a_phone_the_legend_and_layer_control_start_closed_and_toggle_by_tap(make_page, live_server, toggle, body):
    page = make_page(**PHONE)
    open_map(page, f"{live_server.url}/?lang=en")
    button = page.locator(toggle)
    assert button.get_attribute("aria-expanded") == "false"
    assert page.locator(body).is_hidden()
    button.tap()
    assert button.get_attribute("aria-expanded") == "true"
    assert page.locator(body).is_visible()
    assert inside(box_of(page, body), viewport(page))
    assert overlap(box_of(page, body), box_of(page, toggle)) == 0  # the button stays there to close it
    assert on_top(page, body)
    button.tap()
    assert button.get_attribute("aria-expanded") == "false"
    assert page.locator(body).is_hidden()


def test_on_a_phone_the_explore_panel_is_a_sheet_that_the_menu_button_opens_and_closes(make_page, live_server):
    page = make_page(**PHONE)
    open_map(page, f"{live_server.url}/?lang=en")
    menu = page.locator("#gba-explore-toggle")
    assert page.locator("#gba-explore").is_hidden() and menu.get_attribute("aria-expanded") == "false"
    page.locator(".gba-legend-toggle").tap()  # a sheet already open gives way to the next
    menu.tap()
    assert page.locator("#gba-explore").is_visible() and menu.get_attribute("aria-expanded") == "true"
    assert page.locator("#gba-legend-body").is_hidden()
    panel = box_of(page, "#gba-explore")
    assert inside(panel, viewport(page))
    assert panel["bottom"] == viewport(page)["bottom"]  # a bottom sheet
    assert overlap(panel, box_of(page, "#gba-explore-toggle")) == 0
    assert on_top(page, "#gba-explore")
    menu.tap()
    assert page.locator("#gba-explore").is_hidden() and menu.get_attribute("aria-expanded") == "false"


@pytest.mark.parametrize(
    "context", [PHONE, {"viewport": {"width": 700, "height": 700}}, DESKTOP], ids=["phone", "700", "desktop"]
)
def test_the_share_panel_opens_inside_the_window_and_closes(make_page, live_server, context):
    page = make_page(**context)
    open_map(page, f"{live_server.url}/?lang=en")
    summary = page.locator("#gba-share summary")
    summary.tap() if context is PHONE else summary.click()
    assert page.locator("#gba-share .gba-share-panel").is_visible()
    panel = box_of(page, "#gba-share .gba-share-panel")
    assert inside(panel, viewport(page)), panel
    assert on_top(page, "#gba-share .gba-share-panel")
    summary.tap() if context is PHONE else summary.click()
    assert page.locator("#gba-share .gba-share-panel").is_hidden()
    assert page.get_attribute("#gba-share", "open") is None


SMALL_TARGETS_JS = """
(least) => {
  const targets = 'button, summary, a[href], [role=button], input[type=checkbox], input[type=radio]';
  const small = [];
  for (const e of document.querySelectorAll(targets)) {
    if (e.closest('.leaflet-control-attribution, .leaflet-marker-pane, .gba-sources')) continue; // text links, markers
    // a checkbox or radio is reached through its label
    const target = e.matches('input') ? e.closest('label') || e : e;
    const r = target.getBoundingClientRect();
    if (!target.checkVisibility({visibilityProperty: true}) || r.bottom < 0 || r.top > innerHeight) continue;
    if (r.width < least || r.height < least) {
      small.push(`${target.tagName}.${target.className} "${target.textContent.trim().slice(0, 20)}" ${Math.round(r.width)}×${Math.round(r.height)}`);
    }
  }
  return small;
}
"""


def test_on_a_phone_every_control_is_a_44_pixel_target(make_page, live_server, artifacts):
    page = make_page(**PHONE)
    open_map(page, f"{live_server.url}/?lang=en")
    page.screenshot(path=artifacts / "phone-map.png")
    publish_screenshot("phone-map.png")
    assert page.evaluate(SMALL_TARGETS_JS, TOUCH) == []
    page.locator("#gba-explore-toggle").tap()
    page.locator("#gba-filters summary").tap()
    page.evaluate(PAINTED_JS)
    page.screenshot(path=artifacts / "phone-sheet.png")
    publish_screenshot("phone-sheet.png")
    assert page.evaluate(SMALL_TARGETS_JS, TOUCH) == []
    page.locator("#gba-explore-toggle").tap()
    page.evaluate("GBAMap.select('hkpc')")
    page.locator(".leaflet-popup .gba-popup").wait_for()
    assert page.evaluate(SMALL_TARGETS_JS, TOUCH) == []
    page.locator(".gba-layers-toggle").tap()
    assert page.evaluate(SMALL_TARGETS_JS, TOUCH) == []


@pytest.mark.parametrize("path", ["/", "/embed"])
def test_the_page_can_be_zoomed_on_a_phone(make_page, live_server, path):
    page = make_page(**PHONE)
    page.goto(f"{live_server.url}{path}?lang=en")
    viewport_meta = page.get_attribute('meta[name="viewport"]', "content")
    assert "width=device-width" in viewport_meta
    assert "user-scalable=no" not in viewport_meta.replace(" ", "")
    assert "maximum-scale=1" not in viewport_meta.replace(" ", "")


def test_on_a_desktop_the_layer_control_starts_collapsed_and_opens_by_click_or_keyboard(make_page, live_server):
    page = make_page(**DESKTOP)
    open_map(page, f"{live_server.url}/?lang=en")
    button = page.locator(".gba-layers-toggle")
    layers_list = page.locator("#gba-layers-list")
    assert button.get_attribute("aria-expanded") == "false" and layers_list.is_hidden()
    button.hover()  # not a hover menu
    assert layers_list.is_hidden()
    button.click()
    assert button.get_attribute("aria-expanded") == "true" and layers_list.is_visible()
    assert inside(box_of(page, "#gba-layers-list"), box_of(page, ".leaflet-container"))
    button.click()
    assert button.get_attribute("aria-expanded") == "false" and layers_list.is_hidden()
    button.focus()
    page.keyboard.press("Enter")
    assert layers_list.is_visible()
    page.keyboard.press("Tab")  # into the list, which stays open
    assert layers_list.is_visible()
    page.keyboard.press("Escape")
    assert layers_list.is_hidden()
    assert page.evaluate("document.activeElement.classList.contains('gba-layers-toggle')")
