"""``python -m bench.page``: how the map page copes with a big layer, in headless Chromium.

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

from werkzeug.serving import make_server

from bench.synthetic import write_data_dir
from webapp import create_app

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# Collects long tasks from page start; ``window.gbaTasks`` is read and cleared per phase.
OBSERVE_JS = """
window.gbaTasks = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.gbaTasks.push(entry.duration);
}).observe({type: "longtask", buffered: true});
"""


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
        server = make_server("127.0.0.1", 0, create_app({"DATA_DIR": tmp}), threaded=True)
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
                    page.check('#gba-filter-body input[name="jurisdiction"][value="Hong Kong"]')
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.page", description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000, help="synthetic points (default 100000)")
    parser.add_argument("--out", type=Path, default=None, help="also write the results here as JSON")
    args = parser.parse_args(argv)
    results = measure(args.points)
    print(f"\n| phase ({args.points:,} points) | seconds | long tasks | longest ms | blocked ms |")
    print("|---|---:|---:|---:|---:|")
    for row in results:
        print(
            f"| {row['phase']} | {row['seconds']} | {row['long_tasks']} | {row['longest_ms']} | {row['blocked_ms']} |"
        )
    if args.out:
        args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
