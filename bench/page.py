"""``python -m bench.page``: how the map page copes with a big layer, in headless Chromium.

``python -m bench.page --weight`` instead weighs the first load of ``/`` and ``/embed`` on the
shipped data: every response the browser receives, as sent and decoded, by kind of file
(``first_load``), next to the same count worked out without a browser (``bench.report``).

Serves a synthetic layer of N points (default 100k) and measures, with the
browser's Long Tasks API, how long the page is unresponsive while it loads,
while it is panned and zoomed, and while a filter is applied and cleared.  A
"long task" is any stretch over 50 ms in which the page cannot answer input;
the longest one is what a reader feels as a freeze.  Every host but the app
is blocked, as in the browser tests.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from werkzeug.serving import make_server

from bench.synthetic import write_data_dir
from webapp import create_app

CHROMIUM = "/usr/bin/chromium"
SHIPPED_DATA = Path(__file__).resolve().parent.parent / "data"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# Collects long tasks from page start; ``window.gbaTasks`` is read and cleared per phase.
OBSERVE_JS = """
window.gbaTasks = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.gbaTasks.push(entry.duration);
}).observe({type: "longtask", buffered: true});
"""


# Everything the page asks for on load has arrived: the layers, the outlines and the panels.
LOADED_JS = "() => window.GBAMap && GBAMap.ready && GBAMap.outlines().length > 0"
WEIGHT_VIEWPORT = {"width": 1280, "height": 800}


def chromium_missing() -> str | None:
    """Why the browser measurement cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (as root: `apt-get install -y chromium`, or `make browser`)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (`.venv/bin/pip install -r requirements.txt`)"
    return None


def _category(request, page_url: str, data_urls: set[str]) -> str:
    url = request.url.split("#")[0]
    path = urlsplit(url).path
    if url == page_url:
        return "html"
    if path.startswith("/context/"):
        return "outlines"
    if url in data_urls:
        return "data"
    kind = request.resource_type
    if kind == "script" or path.endswith(".js"):
        return "js"
    if kind == "stylesheet":
        return "css"
    if kind == "image":
        return "images"
    return "other"


def record_first_load(browser, base_url: str, path: str, viewport: dict = WEIGHT_VIEWPORT) -> dict:
    """Load ``base_url + path`` in a fresh context of ``browser`` and weigh every response it receives.

    Other hosts (the basemap tiles) are blocked and counted apart; ``sent`` is the body as it
    crossed the wire (Chromium's encoded body size), ``raw`` the decoded body.
    """
    from bench.report import READER_LOCALE, Transfer, page_config, summarise

    own = urlsplit(base_url).netloc
    page_url = base_url + path
    context = browser.new_context(viewport=viewport, locale=READER_LOCALE)
    blocked: list[str] = []

    def gatekeeper(route):
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    finished = []
    context.route("**/*", gatekeeper)
    context.on("requestfinished", lambda request: finished.append(request))
    try:
        page = context.new_page()
        page.goto(page_url)
        page.wait_for_function(LOADED_JS, timeout=60_000)
        page.evaluate("() => GBAMap.ready")
        page.wait_for_load_state("networkidle")
        config = page_config(page.content()) or {}
        data_urls = {urljoin(page_url, overlay["url"]) for overlay in config.get("overlays", [])}
        transfers = []
        for request in finished:
            response = request.response()
            if response is None:
                continue
            sizes = request.sizes()
            body = response.body() if response.status == 200 else b""
            transfers.append(
                Transfer(
                    request.url,
                    _category(request, page_url, data_urls),
                    response.status,
                    len(body),
                    sizes["responseBodySize"],
                )
            )
        headers = sum(request.sizes()["responseHeadersSize"] for request in finished)
    finally:
        context.close()
    return summarise(path, "browser", transfers, status=200, blocked=len(blocked), headers_bytes=headers)


def first_load(base_url: str, path: str, viewport: dict = WEIGHT_VIEWPORT) -> dict:
    """``record_first_load`` in a browser of its own; a row with a note when Chromium cannot run."""
    missing = chromium_missing()
    if missing:
        return {"path": path, "method": "browser", "note": f"not measured: {missing}"}
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            return record_first_load(browser, base_url, path, viewport)
        finally:
            browser.close()


def _phase(page, name: str, action) -> dict:
    print(f"page: {name}", flush=True)
    page.evaluate("window.gbaTasks = []")
    started = time.perf_counter()
    action()
    page.wait_for_timeout(300)  # let trailing tasks land in the observer
    tasks = page.evaluate("window.gbaTasks")
    return {
        "phase": name,
        "seconds": round(time.perf_counter() - started, 2),
        "long_tasks": len(tasks),
        "longest_ms": round(max(tasks), 1) if tasks else 0.0,
        "blocked_ms": round(sum(tasks), 1),
    }


def measure(points: int, seed: int = 0) -> list[dict]:
    """Load, pan/zoom and filter the map with ``points`` synthetic enterprises; return each phase."""
    from playwright.sync_api import sync_playwright

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request

    with tempfile.TemporaryDirectory() as tmp:
        print(f"page: writing {points:,} synthetic points", flush=True)
        write_data_dir(tmp, points, seed=seed)
        app = create_app({"DATA_DIR": tmp})
        server = make_server("127.0.0.1", 0, app, threaded=True)
        app.config["PUBLIC_URL"] = f"http://127.0.0.1:{server.server_port}"  # known once bound
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}/?lang=en"
        results = []
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.route(
                    "**/*",
                    lambda route: route.continue_() if "127.0.0.1" in route.request.url else route.abort(),
                )
                page.add_init_script(OBSERVE_JS)
                done = f"() => window.GBAMap && GBAMap.counts && GBAMap.counts().enterprises === {points}"

                def load():
                    page.goto(url)
                    page.wait_for_function(done, timeout=180_000)

                results.append(_phase(page, "load and draw", load))

                def pan_and_zoom():
                    for step in range(12):
                        page.evaluate(
                            "([dx, dy]) => { GBAMap.map.panBy([dx, dy], {animate: false}); }",
                            [120 if step % 2 else -120, 80],
                        )
                        page.wait_for_timeout(120)
                    for zoom in (11, 13, 10):
                        page.evaluate(f"() => {{ GBAMap.map.setZoom({zoom}, {{animate: false}}); }}")
                        page.wait_for_timeout(250)

                results.append(_phase(page, "pan and zoom", pan_and_zoom))

                def filter_to_hong_kong():
                    if page.get_attribute("#gba-filters", "open") is None:
                        page.click("#gba-filters summary")
                    page.check('#gba-filter-body input[name="touches_jurisdiction"][value="Hong Kong"]')
                    page.wait_for_function(f"() => GBAMap.counts().enterprises < {points}")

                results.append(_phase(page, "filter to Hong Kong", filter_to_hong_kong))

                def clear_filter():
                    page.click("#gba-clear-filters")
                    page.wait_for_function(done, timeout=180_000)

                results.append(_phase(page, "clear the filter", clear_filter))
                browser.close()
        finally:
            server.shutdown()
    return results


# --- a layer drawn from vector tiles (issue 12) ------------------------------------------------

TILED_LAYER = "enterprises"
# Resolves with performance.now() once the tiled layer's tiles in view are loaded and painted.
TILES_DRAWN_JS = """
async (name) => {
  const grid = GBAMap.tileLayer && GBAMap.tileLayer(name);
  if (!grid) return null;
  if (grid.isLoading() || !GBAMap.tiles(name).loaded) await new Promise((done) => grid.once("load", done));
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  return performance.now();
}
"""
# The filter, then the moment its tiles are in: [ms from the call to drawn, count the page shows].
FILTER_TILES_JS = """
async ([name, query]) => {
  const grid = GBAMap.tileLayer(name);
  const loaded = new Promise((done) => grid.once("load", done));
  const started = performance.now();
  GBAMap.filter(query);
  await loaded;
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  return performance.now() - started;
}
"""


def _serve_subprocess(env: dict[str, str], log_path: Path):
    """``flask run`` in a subprocess (GDAL in pyogrio can deadlock an in-process server's
    threads): (process, base URL) once it answers."""
    import os
    import subprocess
    import sys
    import urllib.request

    from bench.servers import free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "webapp", "run", "--host", "127.0.0.1", "--port", str(port)],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, **env, "GBA_PUBLIC_URL": url},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 600
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited: {log_path.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/ogcapi/collections?f=json", timeout=5):
                return process, url
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("the app did not answer within 10 minutes") from None
            time.sleep(0.5)


def measure_tiled(
    points: int, seed: int = 0, env: dict[str, str] | None = None, data_dir: Path | None = None
) -> list[dict]:
    """The map with ``points`` synthetic enterprises drawn from vector tiles: first draw (from
    navigation to the tiles in view painted), panning and zooming, a filter and its clearing
    (each from the call to the new tiles painted), with the longest task of each phase.

    ``env`` adds settings (``GBA_FEATURE_PROVIDER=postgis``, ``GBA_DATABASE_URL``: then
    ``data_dir`` may be None, the data being in the database); by default the files provider
    over a synthetic data directory.  ``GBA_TILE_THRESHOLD`` is set below ``points``.
    """
    from playwright.sync_api import sync_playwright

    settings = {"GBA_TILE_THRESHOLD": str(min(20000, max(points - 1, 0))), **(env or {})}
    with tempfile.TemporaryDirectory() as tmp:
        if data_dir is None and "GBA_DATABASE_URL" not in settings:
            print(f"page: writing {points:,} synthetic points", flush=True)
            write_data_dir(tmp, points, seed=seed)
            data_dir = Path(tmp)
        if data_dir is not None:
            settings["GBA_DATA_DIR"] = str(data_dir)
        print("page: starting the app", flush=True)
        process, base = _serve_subprocess(settings, Path(tmp) / "app.log")
        results = []
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.route(
                    "**/*",
                    lambda route: route.continue_() if "127.0.0.1" in route.request.url else route.abort(),
                )
                page.add_init_script(OBSERVE_JS)
                drawn: dict[str, float] = {}

                def load():
                    page.goto(f"{base}/?lang=en")
                    page.wait_for_function("() => window.GBAMap && GBAMap.tileLayer", timeout=180_000)
                    drawn["ms"] = page.evaluate(TILES_DRAWN_JS, TILED_LAYER)

                row = _phase(page, "first draw (tiles)", load)
                row["draw_ms"] = round(drawn["ms"], 1)
                results.append(row)

                def pan_and_zoom():
                    for step in range(12):
                        page.evaluate(
                            "([dx, dy]) => { GBAMap.map.panBy([dx, dy], {animate: false}); }",
                            [120 if step % 2 else -120, 80],
                        )
                        page.wait_for_timeout(120)
                    for zoom in (11, 13, 10, 9):
                        page.evaluate(f"() => {{ GBAMap.map.setZoom({zoom}, {{animate: false}}); }}")
                        page.evaluate(TILES_DRAWN_JS, TILED_LAYER)

                results.append(_phase(page, "pan and zoom (tiles)", pan_and_zoom))
                for name, query in (
                    ("filter to Hong Kong (tiles)", "touches_jurisdiction=Hong Kong"),
                    ("clear the filter (tiles)", ""),
                ):
                    took: dict[str, float] = {}

                    def apply(query=query, took=took):
                        took["ms"] = page.evaluate(FILTER_TILES_JS, [TILED_LAYER, query])

                    row = _phase(page, name, apply)
                    row["draw_ms"] = round(took["ms"], 1)
                    results.append(row)
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=30)
    return results


def weigh_shipped_pages(paths: tuple[str, ...] = ("/", "/embed")) -> list[dict]:
    """The first-load weight of ``paths`` served by the app over the repository's own data."""
    from bench.report import first_load_weights

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = create_app({"DATA_DIR": str(SHIPPED_DATA)})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["PUBLIC_URL"] = f"http://127.0.0.1:{server.server_port}"  # known once bound
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        return first_load_weights(f"http://127.0.0.1:{server.server_port}", paths)
    finally:
        server.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.page", description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000, help="synthetic points (default 100000)")
    parser.add_argument("--weight", action="store_true", help="weigh the first load of / and /embed instead")
    parser.add_argument("--out", type=Path, default=None, help="also write the results here as JSON")
    parser.add_argument("--tiled", action="store_true", help="draw the layer from vector tiles (measure_tiled)")
    args = parser.parse_args(argv)
    if args.weight:
        from bench.report import page_weight_table

        weights = weigh_shipped_pages()
        print(page_weight_table(weights))
        if args.out:
            args.out.write_text(json.dumps(weights, indent=1), encoding="utf-8")
        return 0
    results = measure_tiled(args.points) if args.tiled else measure(args.points)
    print(f"\n| phase ({args.points:,} points) | seconds | long tasks | longest ms | blocked ms | drawn in ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in results:
        print(
            f"| {row['phase']} | {row['seconds']} | {row['long_tasks']} | {row['longest_ms']} | {row['blocked_ms']} "
            f"| {row.get('draw_ms', '–')} |"
        )
    if args.out:
        args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


# -- a layer drawn from vector tiles (issue 12) ------------------------------------------

# Resolves once the tiled layer's tiles in view have all arrived and been painted.
TILES_SETTLED_JS = """
async (name) => {
  const grid = GBAMap.tileLayer(name);
  while (grid.isLoading()) await new Promise((done) => grid.once("load", done));
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  return GBAMap.tiles(name);
}
"""
TILED_FILTER = "status=planned"


def _timed_phase(page, name: str, action) -> dict:
    """Like ``_phase``, but ``seconds`` is the action alone (the trailing wait for late long tasks is not in it)."""
    print(f"page: {name}", flush=True)
    page.evaluate("window.gbaTasks = []")
    started = time.perf_counter()
    extra = action() or {}
    seconds = time.perf_counter() - started
    page.wait_for_timeout(300)
    tasks = page.evaluate("window.gbaTasks")
    return {
        "phase": name,
        "seconds": round(seconds, 3),
        "long_tasks": len(tasks),
        "longest_ms": round(max(tasks), 1) if tasks else 0.0,
        "blocked_ms": round(sum(tasks), 1),
        **extra,
    }


def measure_tiled_running(base_url: str, points: int, layer: str = "enterprises") -> list[dict]:
    """The map on a running app whose ``layer`` is drawn from tiles: first draw, pan and zoom, filter, clear.

    *first draw*: from navigation until the tiles in view are painted; *pan and zoom*: 12 pans
    and 3 zoom changes, each waited for until its tiles are painted (the longest task is what a
    reader feels); *filter* / *clear*: from ``GBAMap.filter`` until the filtered tiles are painted.
    """
    from playwright.sync_api import sync_playwright

    url = f"{base_url}/?lang=en"
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.route("**/*", lambda route: route.continue_() if "127.0.0.1" in route.request.url else route.abort())
            page.add_init_script(OBSERVE_JS)
            # A first visit warms what any reader's second visit would have (the app's code, the outlines).
            page.goto(url)
            page.wait_for_function("() => window.GBAMap && GBAMap.ready", timeout=180_000)
            if not page.evaluate("(name) => typeof GBAMap.tiles === 'function' && Boolean(GBAMap.tiles(name))", layer):
                raise RuntimeError(f"{layer} is not drawn from tiles on {url} (GBA_TILE_THRESHOLD)")

            def first_draw():
                page.goto(url)
                page.wait_for_function("() => window.GBAMap && GBAMap.ready", timeout=180_000)
                page.evaluate("GBAMap.ready")
                tiles = page.evaluate(TILES_SETTLED_JS, layer)
                return {"tiles": tiles.get("loaded")}

            results.append(_timed_phase(page, "first draw", first_draw))

            def pan_and_zoom():
                for step in range(12):
                    page.evaluate(
                        "([dx, dy]) => { GBAMap.map.panBy([dx, dy], {animate: false}); }",
                        [160 if step % 2 else -160, 100],
                    )
                    page.evaluate(TILES_SETTLED_JS, layer)
                for zoom in (11, 13, 10):
                    page.evaluate(f"() => {{ GBAMap.map.setZoom({zoom}, {{animate: false}}); }}")
                    page.evaluate(TILES_SETTLED_JS, layer)

            results.append(_timed_phase(page, "pan and zoom", pan_and_zoom))

            def apply(query: str):
                def action():
                    page.evaluate("(query) => GBAMap.filter(query)", query)
                    page.wait_for_function(
                        "([name, probe, on]) => GBAMap.tiles(name).url.includes(probe) === on",
                        arg=[layer, TILED_FILTER, bool(query)],
                    )
                    page.evaluate(TILES_SETTLED_JS, layer)

                return action

            results.append(_timed_phase(page, f"filter {TILED_FILTER}", apply(TILED_FILTER)))
            results.append(_timed_phase(page, "clear the filter", apply("")))
        finally:
            browser.close()
    return results
