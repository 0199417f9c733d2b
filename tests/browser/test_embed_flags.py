"""The embed flags in a real browser: theme (light, dark, auto), static, the fullscreen
control and the scale bar, on / and /embed."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from tests.browser.mapdriver import container_point, features, open_map, popup, settle
from tests.conftest import DATA_DIR
from webapp.basemaps import DARK_BASEMAP, DEFAULT_BASEMAP
from webapp.i18n import UI_TEXT

pytestmark = pytest.mark.browser

HOSPITAL = features(DATA_DIR, "hospitals")[0]["properties"]


def luminance(css_colour: str) -> float:
    """Relative luminance (0 black … 1 white) of an rgb()/rgba() colour; transparent is the white canvas."""
    values = [float(v) for v in re.findall(r"[\d.]+", css_colour)]
    if len(values) == 4 and values[3] == 0:
        return 1.0
    red, green, blue = (v / 255 for v in values[:3])

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def colours(page, selector: str) -> tuple[float, float]:
    """Luminance of an element's background and text."""
    background, text = page.eval_on_selector(
        selector, "(e) => { const s = getComputedStyle(e); return [s.backgroundColor, s.color]; }"
    )
    return luminance(background), luminance(text)


def address(page) -> dict:
    return parse_qs(urlsplit(page.evaluate("location.href")).query)


def themed_page(browser, scheme: str):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme=scheme)
    context.route("**/*", lambda route, request: route.continue_() if "127.0.0.1" in request.url else route.abort())
    return context, context.new_page()


def assert_dark(page) -> None:
    for selector in ("body", ".gba-explore", ".leaflet-popup-content-wrapper"):
        background, text = colours(page, selector)
        assert background < 0.05, selector
        assert (text + 0.05) / (background + 0.05) >= 7, selector  # WCAG AAA contrast for body text


def test_dark_theme_colours_page_panel_and_popup_and_picks_the_dark_basemap(page, live_server):
    open_map(page, f"{live_server.url}/?lang=en&theme=dark&select={HOSPITAL['id']}")
    popup(page).wait_for()
    assert_dark(page)
    assert page.evaluate("GBAMap.state().basemap") == DARK_BASEMAP
    settle(page)
    page.wait_for_function("() => location.href.includes('select=')")
    query = address(page)
    assert query["theme"] == ["dark"] and "basemap" not in query  # the theme's pick is not a choice


def test_light_theme_stays_light(page, live_server):
    open_map(page, f"{live_server.url}/?lang=en&select={HOSPITAL['id']}")
    popup(page).wait_for()
    for selector in ("body", ".gba-explore", ".leaflet-popup-content-wrapper"):
        assert colours(page, selector)[0] > 0.8, selector
    assert page.evaluate("GBAMap.state().basemap") == DEFAULT_BASEMAP


@pytest.mark.parametrize("path", ["/", "/embed"])
def test_auto_theme_follows_the_system_setting(browser, live_server, path):
    context, page = themed_page(browser, "dark")
    try:
        open_map(page, f"{live_server.url}{path}?lang=en&theme=auto&select={HOSPITAL['id']}")
        popup(page).wait_for()
        if path == "/":
            assert_dark(page)
        assert colours(page, "body")[0] < 0.05
        assert page.evaluate("GBAMap.state().basemap") == DARK_BASEMAP
        page.wait_for_function("() => location.href.includes('select=')")
        assert "basemap" not in address(page) and address(page)["theme"] == ["auto"]
        # the reader's system turns light: so do the page and the basemap
        page.emulate_media(color_scheme="light")
        page.wait_for_function(f"() => GBAMap.state().basemap === {DEFAULT_BASEMAP!r}")
        assert colours(page, "body")[0] > 0.8
    finally:
        context.close()


def test_auto_theme_on_a_light_system_is_light_and_keeps_a_chosen_basemap(browser, live_server):
    context, page = themed_page(browser, "light")
    try:
        open_map(page, f"{live_server.url}/?lang=en&theme=auto")
        assert colours(page, "body")[0] > 0.8
        assert page.evaluate("GBAMap.state().basemap") == DEFAULT_BASEMAP
    finally:
        context.close()
    context, page = themed_page(browser, "dark")
    try:
        open_map(page, f"{live_server.url}/?lang=en&theme=auto&basemap=positron")
        assert colours(page, "body")[0] < 0.05  # the colours follow the system, the basemap the URL
        assert page.evaluate("GBAMap.state().basemap") == "positron"
        page.wait_for_function("() => location.href.includes('basemap=positron')")
    finally:
        context.close()


HANDLERS = ["dragging", "touchZoom", "doubleClickZoom", "scrollWheelZoom", "boxZoom", "keyboard"]


@pytest.mark.parametrize("path", ["/", "/embed"])
def test_static_map_has_no_interaction_but_keeps_its_state(page, live_server, path):
    point = features(DATA_DIR, "hospitals")[1]["properties"]
    open_map(page, f"{live_server.url}{path}?lang=en&static=1&select={HOSPITAL['id']}&status={HOSPITAL['status']}")
    popup(page).wait_for()  # select= still opens its popup
    assert page.evaluate("GBAMap.state().filters") == {"status": [HOSPITAL["status"]]}
    enabled = page.evaluate(f"{HANDLERS} .map((name) => GBAMap.map[name].enabled())")
    assert enabled == [False] * len(HANDLERS)
    for control in (".leaflet-control-zoom", ".leaflet-control-layers", ".gba-fullscreen"):
        assert not page.locator(control).is_visible(), control
    assert page.locator(".leaflet-control-attribution").is_visible()
    # a click on another record's marker opens nothing and selects nothing
    lon, lat = next(f for f in features(DATA_DIR, "hospitals") if f["properties"]["id"] == point["id"])["geometry"][
        "coordinates"
    ]
    page.evaluate("void GBAMap.map.closePopup()")
    page.evaluate("void GBAMap.clearSelection()")
    x, y = container_point(page, lat, lon, 15)
    page.mouse.click(x, y)
    page.mouse.wheel(0, -400)
    settle(page)
    assert page.locator(".leaflet-popup").count() == 0
    assert page.evaluate("GBAMap.state().selected") is None
    assert page.evaluate("GBAMap.map.getZoom()") == 15


def test_fullscreen_button_toggles_and_resizes_the_map(page, live_server):
    open_map(page, f"{live_server.url}/?lang=en")
    button = page.get_by_role("button", name=UI_TEXT["fullscreen_enter"]["en"], exact=True)
    before = page.evaluate("GBAMap.map.getSize().y")
    assert button.get_attribute("aria-pressed") == "false"
    button.click()
    page.wait_for_function("() => document.fullscreenElement !== null")
    assert page.evaluate("document.fullscreenElement.contains(GBAMap.map.getContainer())")
    exit_button = page.get_by_role("button", name=UI_TEXT["fullscreen_exit"]["en"], exact=True)
    assert exit_button.get_attribute("aria-pressed") == "true"
    page.wait_for_function(f"() => GBAMap.map.getSize().y > {before}")  # the header is gone: the map is taller
    exit_button.click()
    page.wait_for_function("() => document.fullscreenElement === null")
    assert button.get_attribute("aria-pressed") == "false"
    page.wait_for_function(f"() => GBAMap.map.getSize().y === {before}")


def test_fullscreen_is_translated_and_follows_an_exit_by_the_browser(page, live_server):
    open_map(page, f"{live_server.url}/embed?lang=zh-Hant")
    button = page.get_by_role("button", name=UI_TEXT["fullscreen_enter"]["zh_hant"], exact=True)
    button.click()
    page.wait_for_function("() => document.fullscreenElement !== null")
    assert page.get_by_role("button", name=UI_TEXT["fullscreen_exit"]["zh_hant"], exact=True).is_visible()
    # Escape is handled by the browser itself (headless Chromium does not route a synthetic
    # key press there): it ends full screen as exitFullscreen() does, and the button follows.
    page.evaluate("document.exitFullscreen()")
    page.wait_for_function("() => document.fullscreenElement === null")
    assert button.get_attribute("aria-pressed") == "false"
    assert button.get_attribute("title") == UI_TEXT["fullscreen_enter"]["zh_hant"]


@pytest.mark.parametrize(("lang", "key"), [("en", "en"), ("zh-Hant", "zh_hant"), ("zh-Hans", "zh_hans")])
def test_scale_bar_is_in_the_language(page, live_server, lang, key):
    open_map(page, f"{live_server.url}/embed?lang={lang}")
    scale = page.locator(".gba-scale .leaflet-control-scale-line")
    assert scale.count() == 1  # metric only
    units = (UI_TEXT["scale_km"][key], UI_TEXT["scale_m"][key])
    page.evaluate("void GBAMap.map.setZoom(8, {animate: false})")
    assert scale.inner_text().endswith(" " + units[0])
    page.evaluate("void GBAMap.map.setZoom(17, {animate: false})")
    assert scale.inner_text().endswith(" " + units[1])


@pytest.mark.parametrize("path", ["/", "/embed"])
def test_controls_false_hides_scale_and_fullscreen(page, live_server, path):
    open_map(page, f"{live_server.url}{path}?lang=en&controls=0")
    assert page.locator(".gba-scale").count() == 0
    assert page.locator(".gba-fullscreen").count() == 0
    open_map(page, f"{live_server.url}{path}?lang=en")
    assert page.locator(".gba-scale").is_visible()
    assert page.locator(".gba-fullscreen").is_visible()


def test_fullscreen_is_not_offered_in_a_frame_that_does_not_allow_it(page, live_server, other_origin):
    embed_url = f"{live_server.url}/embed?lang=en"
    page.goto(f"{other_origin.url}/article?src={quote(embed_url, safe='')}")  # an iframe without allowfullscreen
    page.frame_locator("#gba").locator(".leaflet-container").wait_for()
    inner = next(f for f in page.frames if f.url.startswith(live_server.url))
    open_map(inner)
    assert inner.evaluate("document.fullscreenEnabled") is False
    assert inner.locator(".gba-fullscreen").count() == 0
    assert inner.locator(".gba-scale").is_visible()
