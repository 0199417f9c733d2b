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
import os
import sys
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
performance.setResourceTimingBufferSize(10000);
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
# Every host but the app's fails to resolve: the basemaps stay blocked, as with ``page.route``,
# which the tiled measurement cannot use: routing turns the browser's HTTP cache off, so a second
# visit fetched the app's code again, module by module (issue #7220 of microsoft/playwright).
OWN_HOST_ONLY = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
# The first visit's view: the default view's neighbourhood one zoom in, so that it warms the code,
# the outlines and the app, but not the browser's copies of the default view's tiles.
FIRST_VISIT_VIEW = "&lat=22.6&lon=114.0&zoom=10"
# The requests of a phase by kind (tiles, the items API: the list and the counts): how many,
# and the slowest one from asking to the last byte (Resource Timing), where the time went.
REQUESTS_JS = """
() => {
  const kinds = {tiles: "/tiles/", items: "/items"};
  const out = {};
  for (const [kind, part] of Object.entries(kinds)) {
    const got = performance.getEntriesByType("resource").filter((e) => e.name.includes(part));
    out[kind] = {n: got.length, slowest_ms: Math.round(Math.max(0, ...got.map((e) => e.responseEnd - e.startTime)))};
  }
  return out;
}
"""


def _timed_phase(page, name: str, action) -> dict:
    """Like ``_phase``, but ``seconds`` is the action alone (the trailing wait for late long tasks is not in it)."""
    print(f"page: {name}", flush=True)
    page.evaluate("window.gbaTasks = []; performance.clearResourceTimings()")
    started = time.perf_counter()
    extra = action() or {}
    seconds = time.perf_counter() - started
    requests = page.evaluate(REQUESTS_JS)
    page.wait_for_timeout(300)
    tasks = page.evaluate("window.gbaTasks")
    return {
        "phase": name,
        "seconds": round(seconds, 3),
        "long_tasks": len(tasks),
        "longest_ms": round(max(tasks), 1) if tasks else 0.0,
        "blocked_ms": round(sum(tasks), 1),
        "requests": requests,
        **extra,
    }


def measure_tiled_running(base_url: str, points: int, layer: str = "enterprises") -> list[dict]:
    """The map on a running app whose ``layer`` is drawn from tiles: first visit, first draw, pan and
    zoom, filter, clear.

    *first visit*: nothing in the browser's cache (``FIRST_VISIT_VIEW``), from navigation until the
    tiles in view are painted; *first draw*: the same for the default view, the app's code cached
    (immutable) as a returning reader has it, not the view's tiles; *pan and zoom*: 12 pans
    and 3 zoom changes, each waited for until its tiles are painted (the longest task is what a
    reader feels); *filter* / *clear*: from ``GBAMap.filter`` until the filtered tiles are painted.
    """
    from playwright.sync_api import sync_playwright

    url = f"{base_url}/?lang=en"
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, OWN_HOST_ONLY])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.add_init_script(OBSERVE_JS)

            def visit(target: str):
                def action():
                    page.goto(target)
                    page.wait_for_function("() => window.GBAMap && GBAMap.ready", timeout=180_000)
                    page.evaluate("GBAMap.ready")
                    if not page.evaluate(
                        "(name) => typeof GBAMap.tiles === 'function' && Boolean(GBAMap.tiles(name))", layer
                    ):
                        raise RuntimeError(f"{layer} is not drawn from tiles on {target} (GBA_TILE_THRESHOLD)")
                    tiles = page.evaluate(TILES_SETTLED_JS, layer)
                    return {"tiles": tiles.get("loaded")}

                return action

            # The first visit warms what any reader's second visit would have (the app's code, the outlines).
            results.append(_timed_phase(page, "first visit (nothing cached)", visit(url + FIRST_VISIT_VIEW)))
            results.append(_timed_phase(page, "first draw", visit(url)))

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


def measure_tiled(
    points: int,
    seed: int = 0,
    database_url: str | None = None,
    data_dir: Path | None = None,
    workers: int = 2,
    production: bool = False,
) -> list[dict]:
    """``measure_tiled_running`` on our app served as the bench serves it (gunicorn, ``workers``
    sync workers): from PostGIS at ``database_url`` (loaded by ``python -m geo load``; ``data_dir``
    the directory it was loaded from, for the page's context files), else the files provider over
    ``data_dir`` or, without one, a synthetic layer of ``points`` written to a temporary directory.
    ``GBA_TILE_THRESHOLD`` is set below ``points`` so that the layer is drawn from tiles.
    With ``production`` the app runs as ``make serve`` runs it instead (``python -m webapp.production``:
    nginx in front of the same gunicorn workers, nginx answering the static files itself)."""
    from bench.servers import Servers, free_port, gunicorn_argv

    settings = {"GBA_TILE_THRESHOLD": str(min(20000, max(points - 1, 0)))}
    if database_url:
        settings.update(GBA_FEATURE_PROVIDER="postgis", GBA_DATABASE_URL=database_url)
    repo = Path(__file__).resolve().parent.parent
    gunicorn = Path(sys.executable).parent / "gunicorn"
    servers = Servers()
    with tempfile.TemporaryDirectory() as tmp:
        if data_dir is None and not database_url:
            print(f"page: writing {points:,} synthetic points", flush=True)
            write_data_dir(tmp, points, seed=seed)
            data_dir = Path(tmp)
        if data_dir is not None:
            settings["GBA_DATA_DIR"] = str(data_dir)
        print("page: starting the app", flush=True)
        # The files provider parses the layer once in the master (--preload); PostGIS opens its
        # connections in each worker.
        argv = gunicorn_argv(gunicorn, "webapp:create_app()", workers, "sync", 4, preload=not database_url)
        start = {"cwd": repo}
        if production:
            port = free_port()
            argv = [sys.executable, "-m", "webapp.production", "--host", "127.0.0.1", "--port", str(port)]
            argv += ["--workers", str(workers)]  # its own run directory, one nginx's workers can read
            start.update(port=port, bind=False)
        try:
            server = servers.start(
                "ours", argv, {**os.environ, **settings}, Path(tmp) / "app.log", "/ogcapi/collections", **start
            )
            return measure_tiled_running(server.base_url, points)
        finally:
            servers.stop_all()


def requests_summary(requests: dict | None) -> str:
    """``REQUESTS_JS``'s answer in a few words: "12 tiles (slowest 340 ms), 2 items (90 ms)"."""
    if not requests:
        return "–"
    return ", ".join(
        f"{got['n']} {kind} (slowest {got['slowest_ms']} ms)" for kind, got in requests.items() if got["n"]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.page", description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000, help="synthetic points (default 100000)")
    parser.add_argument("--weight", action="store_true", help="weigh the first load of / and /embed instead")
    parser.add_argument("--out", type=Path, default=None, help="also write the results here as JSON")
    parser.add_argument("--tiled", action="store_true", help="draw the layer from vector tiles (measure_tiled)")
    parser.add_argument(
        "--database-url",
        default=None,
        help="with --tiled: serve from this PostGIS database (loaded by `python -m geo load`) instead of files",
    )
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="with --tiled: the data directory (the one loaded, for PostGIS)"
    )
    parser.add_argument(
        "--production",
        action="store_true",
        help="with --tiled: serve as `make serve` does (nginx in front of gunicorn, nginx answering the static files)",
    )
    args = parser.parse_args(argv)
    if args.production and not args.tiled:
        parser.error("--production goes with --tiled")
    if args.weight:
        from bench.report import page_weight_table

        weights = weigh_shipped_pages()
        print(page_weight_table(weights))
        if args.out:
            args.out.write_text(json.dumps(weights, indent=1), encoding="utf-8")
        return 0
    if args.tiled:
        results = measure_tiled(
            args.points, database_url=args.database_url, data_dir=args.data_dir, production=args.production
        )
    else:
        results = measure(args.points)
    served = "nginx + gunicorn (production)" if args.production else "gunicorn alone"
    if args.tiled:
        print(f"\nserved by {served}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"\n| phase ({args.points:,} points) | seconds | long tasks | longest ms | blocked ms | requests |")
    print("|---|---:|---:|---:|---:|---|")
    for row in results:
        print(
            f"| {row['phase']} | {row['seconds']} | {row['long_tasks']} | {row['longest_ms']} | {row['blocked_ms']} "
            f"| {requests_summary(row.get('requests'))} |"
        )
    if args.out:
        args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
