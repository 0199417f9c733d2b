"""The responsive embed in headless Chromium: embed.js on a host page of another origin sizes
each map iframe to its content; pym.js and Datawrapper messages; the share panel's snippets."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote, urlsplit

import flask
import pytest
from playwright.sync_api import Frame, Page

from tests.browser.conftest import LiveServer
from tests.browser.mapdriver import open_map, select

pytestmark = pytest.mark.browser

# Every message the host page receives, with its origin and which iframe sent it (-1: none).
HOST_PAGE = """<!doctype html><html><head><title>A news article</title>
<style>body {{ margin: 0 }} iframe {{ display: block }}</style>
<script>
window.received = [];
window.addEventListener("message", (event) => {{
  const frames = Array.from(document.querySelectorAll("iframe"));
  window.received.push({{data: event.data, origin: event.origin,
                        frame: frames.findIndex((f) => f.contentWindow === event.source)}});
}});
</script></head><body><h1>An article about the Greater Bay Area</h1>
{body}
</body></html>"""

IMPOSTOR_PAGE = """<!doctype html><html><body><script>
parent.postMessage({type: "gba-map:ready"}, "*");
parent.postMessage({type: "gba-map:height", height: 1234}, "*");
</script></body></html>"""


@pytest.fixture(scope="session")
def host_site() -> Iterator[LiveServer]:
    """A news site on another origin; its /page shows the HTML given in ?html= (a pasted snippet)."""
    site = flask.Flask("host_site")

    @site.get("/page")
    def host_page():
        return HOST_PAGE.format(body=flask.request.args.get("html", ""))

    @site.get("/impostor")
    def impostor():
        return IMPOSTOR_PAGE

    server = LiveServer(site)
    yield server
    server.stop()


def open_host(page: Page, host_site: LiveServer, html: str) -> None:
    page.goto(f"{host_site.url}/page?html={quote(html, safe='')}")


def map_frame(page: Page, selector: str) -> Frame:
    # Chromium pauses painting in cross-origin frames out of view (open_map waits for a paint)
    page.locator(selector).scroll_into_view_if_needed()
    frame = page.locator(selector).element_handle().content_frame()
    assert frame is not None
    open_map(frame)
    return frame


def frame_box_height(page: Page, selector: str) -> float:
    return page.eval_on_selector(selector, "(frame) => frame.getBoundingClientRect().height")


def content_height(frame: Frame) -> int:
    return frame.evaluate("document.documentElement.scrollHeight")


def auto_height(frame: Frame) -> bool:
    return frame.evaluate("document.documentElement.classList.contains('gba-auto-height')")


def wait_sized(page: Page, selector: str, frame: Frame, tries: int = 200) -> float:
    """Poll until the iframe's height is its document's content height; that height."""
    for _ in range(tries):
        height = frame_box_height(page, selector)
        if auto_height(frame) and abs(height - content_height(frame)) <= 2:
            return height
        page.wait_for_timeout(50)
    raise AssertionError(
        f"{selector}: iframe {frame_box_height(page, selector)} px, content {content_height(frame)} px"
    )


def posted_heights(page: Page, frame_index: int) -> list[int]:
    return page.evaluate(
        """(index) => received.filter((m) => m.frame === index && m.data && m.data.type === "gba-map:height")
                              .map((m) => m.data.height)""",
        frame_index,
    )


def iframe(src: str, element_id: str, width: str = "100%", data: bool = True, style: str = "") -> str:
    marker = " data-gba-map" if data else ""
    return (
        f'<iframe id="{element_id}" src="{src}" width="{width}" height="480" style="border:0;{style}"{marker}></iframe>'
    )


def script(live_server: LiveServer) -> str:
    return f'<script src="{live_server.url}/embed.js" async></script>'


def test_the_share_panels_responsive_snippet_sizes_the_iframe_to_its_content(page, live_server, host_site):
    open_map(page, f"{live_server.url}/?lang=en")
    snippet = page.locator("#gba-share-responsive").input_value()
    open_host(page, host_site, snippet)
    frame = map_frame(page, "iframe")
    height = wait_sized(page, "iframe", frame)
    assert height != 480  # the snippet's own height was replaced
    # what the embed posted is the content height, and what embed.js applied
    assert abs(posted_heights(page, 0)[-1] - height) <= 1
    # the frame shows all of its content: no scrolling inside it
    assert frame.evaluate("document.documentElement.scrollHeight <= document.documentElement.clientHeight + 1")


def test_the_height_follows_the_frame_width(page, live_server, host_site):
    open_host(page, host_site, iframe(f"{live_server.url}/embed?lang=en", "gba") + script(live_server))
    frame = map_frame(page, "#gba")
    heights = {}
    for width in (1280, 700, 390):
        page.set_viewport_size({"width": width, "height": 800})
        heights[width] = wait_sized(page, "#gba", frame)
        # the map's height comes from the width: 4:3 on wide frames, taller than wide on phones
        box = frame.evaluate("document.querySelector('.leaflet-container').getBoundingClientRect().toJSON()")
        assert box["height"] > 0
        if width == 700:
            assert box["height"] == pytest.approx(0.75 * width, abs=2)
        if width == 390:
            assert box["height"] > box["width"]
    assert len(set(heights.values())) == 3, heights


def test_two_iframes_on_one_page_are_sized_independently(page, live_server, host_site):
    html = (
        # side by side, both in view
        iframe(f"{live_server.url}/embed?lang=en", "wide", width="800", style="display:inline-block")
        + iframe(
            f"{live_server.url}/embed?lang=zh-Hant&layers=zones", "narrow", width="380", style="display:inline-block"
        )
        + script(live_server)
    )
    open_host(page, host_site, html)
    wide, narrow = map_frame(page, "#wide"), map_frame(page, "#narrow")
    wide_height = wait_sized(page, "#wide", wide)
    narrow_height = wait_sized(page, "#narrow", narrow)
    assert wide_height != narrow_height
    assert abs(posted_heights(page, 0)[-1] - wide_height) <= 1
    assert abs(posted_heights(page, 1)[-1] - narrow_height) <= 1


def test_embed_js_included_twice_or_before_the_frames_still_works(page, live_server, host_site):
    html = script(live_server) + script(live_server) + iframe(f"{live_server.url}/embed?lang=en", "gba", data=False)
    open_host(page, host_site, html)
    frame = map_frame(page, "#gba")  # found by its src (no data-gba-map), answered when it said ready
    wait_sized(page, "#gba", frame)


def test_messages_from_other_origins_or_windows_are_ignored(page, live_server, host_site):
    impostor_origin = f"http://localhost:{urlsplit(host_site.url).port}"  # another origin than the host's
    html = (
        iframe(f"{live_server.url}/embed?lang=en", "gba")
        + '<iframe id="other" srcdoc="<script>parent.postMessage({type: &quot;gba-map:height&quot;, '
        'height: 1333}, &quot;*&quot;)</script>"></iframe>' + script(live_server)
    )
    open_host(page, host_site, html)
    frame = map_frame(page, "#gba")
    height = wait_sized(page, "#gba", frame)
    # the map iframe's document is replaced by a page of another origin that claims a height
    frame.goto(f"{impostor_origin}/impostor")
    page.wait_for_function(
        "(origin) => received.some((m) => m.origin === origin && m.data && m.data.height === 1234)",
        arg=impostor_origin,
    )
    page.wait_for_function("() => received.some((m) => m.data && m.data.height === 1333)")
    # every listener of those message events has run: embed.js did not apply either height
    assert frame_box_height(page, "#gba") == height
    assert frame_box_height(page, "#other") != 1333


def test_without_the_script_the_iframe_keeps_its_height_and_the_map_fills_it(page, live_server, host_site, traffic):
    open_host(page, host_site, iframe(f"{live_server.url}/embed?lang=en", "gba"))
    frame = map_frame(page, "#gba")
    # the embed said it is ready; nobody answered, so it stays in the fixed layout
    page.wait_for_function("() => received.some((m) => m.data && m.data.type === 'gba-map:ready')")
    assert not auto_height(frame)
    assert frame_box_height(page, "#gba") == 480
    box = frame.evaluate("document.querySelector('.leaflet-container').getBoundingClientRect().toJSON()")
    assert box["height"] == 480 and box["top"] == 0
    assert content_height(frame) == 480  # nothing below the map to scroll to
    assert posted_heights(page, 0) == []
    zoom = frame.evaluate("GBAMap.map.getZoom()")
    frame.evaluate("() => { GBAMap.map.setZoom(GBAMap.map.getZoom() + 1, {animate: false}); }")
    assert frame.evaluate("GBAMap.map.getZoom()") == zoom + 1  # the map works
    assert traffic.errors == []


def test_pym_and_datawrapper_height_messages_are_posted(page, live_server, host_site):
    # pym.js's Parent adds childId (and initialWidth, parentTitle, parentUrl) to the child's URL
    src = f"{live_server.url}/embed?lang=en&initialWidth=800&childId=gba-pym&parentTitle=A&parentUrl=x"
    open_host(page, host_site, iframe(src, "gba", data=False))
    frame = map_frame(page, "#gba")
    page.wait_for_function("() => received.some((m) => typeof m.data === 'string' && m.data.startsWith('pymxPYMx'))")
    assert auto_height(frame)
    content = content_height(frame)
    messages = page.evaluate("received.filter((m) => m.frame === 0).map((m) => m.data)")
    pym = [m for m in messages if isinstance(m, str)]
    assert pym[-1] == f"pymxPYMxgba-pymxPYMxheightxPYMx{content}"
    datawrapper = [m["datawrapper-height"] for m in messages if isinstance(m, dict) and "datawrapper-height" in m]
    assert datawrapper[-1] == {"gba-map": content}
    assert content > 480  # the content is taller than the fixed frame: a host must size it


def test_autoheight_answers_a_datawrapper_listener(page, live_server, host_site):
    # the listener newsroom CMSs install for Datawrapper charts: size the iframe that sent the message
    listener = (
        "<script>addEventListener('message', (e) => { const h = e.data && e.data['datawrapper-height'];"
        " if (!h) return; for (const f of document.querySelectorAll('iframe'))"
        " if (f.contentWindow === e.source) for (const id in h) f.style.height = h[id] + 'px'; });</script>"
    )
    open_host(page, host_site, iframe(f"{live_server.url}/embed?lang=en&autoheight=1", "gba", data=False) + listener)
    frame = map_frame(page, "#gba")
    wait_sized(page, "#gba", frame)


# ---- the share panel ----


def test_share_panel_offers_both_snippets_following_the_state(page, live_server):
    open_map(page, f"{live_server.url}/?lang=en")
    page.locator("#gba-share summary").click()
    plain = page.locator("#gba-share-iframe")
    responsive = page.locator("#gba-share-responsive")
    assert plain.is_visible() and responsive.is_visible()
    assert page.locator("label[for=gba-share-responsive]").inner_text() == "Responsive embed code (iframe + script)"
    for snippet in (plain.input_value(), responsive.input_value()):
        assert "<iframe " in snippet and "allowfullscreen" in snippet and 'loading="lazy"' in snippet
        assert 'title="GBA Cooperation Map"' in snippet and "data-gba-map" in snippet
    assert responsive.input_value().startswith(plain.input_value())
    assert responsive.input_value().endswith(f'<script src="{live_server.url}/embed.js" async></script>')
    select(page, "hkpc")
    page.wait_for_function("() => document.querySelector('#gba-share-responsive').value.includes('select=hkpc')")
    assert "select=hkpc" in plain.input_value()
    page.locator("button[data-copy=gba-share-responsive]").click()
    page.wait_for_function("() => document.querySelector('button[data-copy=gba-share-responsive]').dataset.copied")
    assert page.locator("[data-copy-status]").inner_text() == "Copied"


def test_share_panel_snippets_are_translated(page, live_server):
    open_map(page, f"{live_server.url}/?lang=zh-Hans")
    assert page.locator("label[for=gba-share-responsive]").text_content() == "自适应嵌入代码（iframe＋script）"
    assert 'title="大湾区合作地图"' in page.locator("#gba-share-responsive").input_value()
