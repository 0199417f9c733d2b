"""What the benchmark reports besides load: the machine, versions, page weight, and the tables."""

from __future__ import annotations

import datetime as dt
import gzip
import importlib.metadata
import json
import os
import platform
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from pathlib import Path

from bench import pgbench
from webapp.assets import dynamic_imports, module_imports
from webapp.mapview import TILED_MODULE
from webapp.static_export import STATIC_SEARCH_MODULE

OUR_PACKAGES = ("Flask", "Werkzeug", "gunicorn", "shapely", "orjson", "numpy")


def machine() -> dict:
    """CPU count and model, memory, kernel, load average: enough to compare runs."""
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": _os_name(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.system()


def now() -> dict:
    """The run's date, as ``date`` prints it and in ISO form."""
    printed = subprocess.run(["date"], capture_output=True, text=True, check=False).stdout.strip()
    return {"date": printed, "iso": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}


def our_versions() -> dict:
    versions = {"python": platform.python_version()}
    for name in OUR_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    done = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    first = (done.stdout or done.stderr).strip().splitlines()
    versions["wrk"] = first[0].split()[1] if first and first[0].startswith("wrk") else "unknown"
    return versions


# The first-load transfer by kind of file, in the order the tables show them.
CATEGORIES = ("html", "js", "css", "data", "outlines", "images", "other")
_CONFIG = re.compile(r"window\.GBA_BOOT = \{map: .*?config: (\{.*\})\};\s*$", re.S | re.M)
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""")


class _Assets(HTMLParser):
    """Collect the script, module preload and stylesheet URLs a page references."""

    def __init__(self):
        super().__init__()
        self.scripts: list[str] = []
        self.styles: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        rel = (attributes.get("rel") or "").lower().split()
        if tag == "script" and attributes.get("src"):
            self.scripts.append(attributes["src"])
        elif tag == "link" and "modulepreload" in rel and attributes.get("href"):
            self.scripts.append(attributes["href"])
        elif tag == "link" and "preload" in rel and attributes.get("as") == "script" and attributes.get("href"):
            self.scripts.append(attributes["href"])
        elif tag == "link" and "stylesheet" in rel and attributes.get("href"):
            self.styles.append(attributes["href"])


def page_config(html: str) -> dict | None:
    """The config the map page hands to its front end (``window.GBA_BOOT.config``), or None."""
    match = _CONFIG.search(html)
    return json.loads(match.group(1)) if match else None


@dataclass
class Transfer:
    """One response of a page load: its URL, kind, status, and body size decoded (raw) and as sent."""

    url: str
    category: str
    status: int
    raw: int
    sent: int  # the encoded body as it crossed the wire (gzip when the server compressed it)


# The reader both measurements stand for (the page's language, and so the data's texts, follow it).
READER_LOCALE = "zh-HK"


def get(url: str) -> tuple[int, bytes, int]:
    """GET ``url`` asking for gzip, as a browser does: (status, decoded body, bytes sent)."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip", "Accept-Language": READER_LOCALE})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, body, encoding = response.status, response.read(), response.headers.get("Content-Encoding")
    except urllib.error.HTTPError as error:
        status, body, encoding = error.code, error.read(), error.headers.get("Content-Encoding")
    return status, (gzip.decompress(body) if encoding == "gzip" else body), len(body)


def summarise(path: str, method: str, transfers: list[Transfer], **extra) -> dict:
    """Totals per category (raw and as sent) and overall, with the responses themselves."""
    categories = {name: {"files": 0, "raw": 0, "sent": 0} for name in CATEGORIES}
    for transfer in transfers:
        row = categories[transfer.category]
        row["files"] += 1
        row["raw"] += transfer.raw
        row["sent"] += transfer.sent
    return {
        "path": path,
        "method": method,
        "categories": categories,
        "raw": sum(t.raw for t in transfers),
        "sent": sum(t.sent for t in transfers),
        "files": len(transfers),
        "responses": [asdict(t) for t in transfers],
        **extra,
    }


def page_weight(base_url: str, path: str) -> dict:
    """What a page's first load transfers, worked out without a browser (tiles excluded).

    The HTML; every same-origin script, module preload and stylesheet it references,
    with every ES module they import, transitively (``import()`` included: the count is
    that of a frame wide enough to open the explore panel at once, whose modules a narrow
    frame leaves until the panel is opened); what the stylesheets pull in; the
    data files of ``config.overlays`` and the coarsest level of the context outlines
    (what the page fetches at its first zoom). Each is fetched once asking for gzip,
    so ``sent`` is what the app puts on the wire. Assets on other hosts are listed,
    not fetched. The parse worker is fetched only for big layers and is not counted
    here; the browser measurement (``bench.page.first_load``) sees it when it is.
    """
    page_url = base_url + path
    status, body, sent = get(page_url)
    if status != 200:
        return {"path": path, "method": "static", "status": status, "note": f"{path} answered {status}"}
    html = body.decode("utf-8", "replace")
    transfers = [Transfer(page_url, "html", status, len(body), sent)]
    parser = _Assets()
    parser.feed(html)
    own = urllib.parse.urlsplit(base_url).netloc
    external: list[str] = []
    missing: list[str] = []
    fetched = {page_url}
    config = page_config(html) or {}
    urls = config.get("urls") or {}
    # main.js import()s the tiled layers' module only when the page has one.
    tiled = any(overlay.get("tiled") for overlay in config.get("overlays", []))
    # search.js import()s the browser's search only on a static export's page (its search file).
    exported = bool(urls.get("searchData"))
    levels = urls.get("contextLevels") or ([{"url": urls["context"]}] if urls.get("context") else [])
    queue = [(urllib.parse.urljoin(page_url, u), "js") for u in parser.scripts]
    queue += [(urllib.parse.urljoin(page_url, u), "css") for u in parser.styles]
    queue += [(urllib.parse.urljoin(page_url, o["url"]), "data") for o in config.get("overlays", [])]
    queue += [(urllib.parse.urljoin(page_url, level["url"]), "outlines") for level in levels[:1]]
    while queue:
        absolute, category = queue.pop(0)
        if absolute in fetched:
            continue
        fetched.add(absolute)
        if urllib.parse.urlsplit(absolute).netloc != own:
            external.append(absolute)
            continue
        status, body, sent = get(absolute)
        if status != 200:
            missing.append(f"{absolute} ({status})")
            continue
        transfers.append(Transfer(absolute, category, status, len(body), sent))
        text = body.decode("utf-8", "replace") if category in ("js", "css") else ""
        if category == "js":
            # import()ed modules too: a frame wide enough opens the explore panel, and loads them, at once
            specs = module_imports(text) + [
                spec
                for spec in dynamic_imports(text)
                if (tiled or spec.rsplit("/", 1)[-1] != TILED_MODULE)
                and (exported or spec.rsplit("/", 1)[-1] != STATIC_SEARCH_MODULE)
            ]
            queue += [(urllib.parse.urljoin(absolute, spec), "js") for spec in specs]
        elif category == "css":
            refs = [ref for ref in _CSS_URL.findall(text) if not ref.startswith("data:")]
            queue += [(urllib.parse.urljoin(absolute, ref), "images") for ref in refs]
    # Stylesheet images are fetched only when a rule using them applies: count them apart.
    images = [t for t in transfers if t.category == "images"]
    counted = [t for t in transfers if t.category != "images"]
    return summarise(
        path,
        "static",
        counted,
        status=200,
        external_assets=external,
        missing_assets=missing,
        stylesheet_images={"files": len(images), "sent": sum(t.sent for t in images)},
    )


def first_load_weights(base_url: str, paths: tuple[str, ...] = ("/", "/embed")) -> list[dict]:
    """Each page measured in the browser (when chromium is there) and by ``page_weight``."""
    from bench.page import first_load

    rows = []
    for path in paths:
        rows.append(first_load(base_url, path))
        rows.append(page_weight(base_url, path))
    return rows


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _bytes(value: int | None) -> str:
    if value is None:
        return "–"
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f} MB"
    if value >= 1_000:
        return f"{value / 1_000:.1f} kB"
    return f"{value} B"


def _size(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


def results_table(runs: list[dict]) -> str:
    """The side-by-side markdown table: one row per size and request."""
    lines = [
        "| size | request | ours req/s | ours p50 ms | ours p99 ms | ours bytes "
        "| pygeoapi req/s | pygeoapi p50 ms | pygeoapi p99 ms | pygeoapi bytes | ratio | other CPU |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        ours, peer = run["ours"], run.get("peer") or {}
        ratio = run.get("ratio")
        lines.append(
            f"| {_size(run['size'])} | {run['request']} "
            f"| {_num(ours.get('ok_per_s'))} | {_num(ours.get('p50_ms'), 2)} | {_num(ours.get('p99_ms'), 2)} "
            f"| {_bytes(ours.get('bytes'))} "
            f"| {_num(peer.get('ok_per_s'))} | {_num(peer.get('p50_ms'), 2)} | {_num(peer.get('p99_ms'), 2)} "
            f"| {_bytes(peer.get('bytes'))} | {'–' if ratio is None else f'{ratio:.1f}×'} | {_background(ours, peer)} |"
        )
    return "\n".join(lines)


def _background(*sides: dict) -> str:
    """The larger share of the CPU other work used just before either side was measured."""
    shares = [side["background_cpu_share"] for side in sides if side and "background_cpu_share" in side]
    return f"{max(shares):.0%}" if shares else "–"


def probe_table(probes: dict) -> str:
    """Every pygeoapi provider tried, per size: successful req/s on the two bbox requests under load."""
    lines = [
        "| size | provider | small bbox req/s | p50 ms | errors | city bbox req/s | p50 ms | errors | note |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for size, providers in probes.items():
        for label, probe in providers.items():
            mark = " **(kept)**" if probe.get("kept") else ""
            lines.append(
                f"| {_size(int(size))} | {label}{mark} "
                f"| {_num(probe.get('small_rps'))} | {_num(probe.get('small_p50_ms'))} | {probe.get('small_errors', '–')} "
                f"| {_num(probe.get('city_rps'))} | {_num(probe.get('city_p50_ms'))} | {probe.get('city_errors', '–')} "
                f"| {probe.get('note', '')} |"
            )
    return "\n".join(lines)


def memory_table(memory: dict) -> str:
    lines = ["| size | server | worker | RSS MiB | peak RSS MiB | PSS MiB |", "|---|---|---|---:|---:|---:|"]
    for size, servers in memory.items():
        for server, workers in servers.items():
            for worker in workers:
                lines.append(
                    f"| {_size(int(size))} | {server} | {worker['pid']} | {_num(worker.get('rss_mib'))} "
                    f"| {_num(worker.get('peak_rss_mib'))} | {_num(worker.get('pss_mib'))} |"
                )
    return "\n".join(lines)


def _kb(value: int | None) -> str:
    return "–" if value is None else f"{value / 1000:.1f}"


def page_weight_table(pages: list[dict]) -> str:
    """kB as sent (gzip where the app compresses) and, in brackets, decoded; one row per page and method."""
    head = " | ".join(CATEGORIES)
    lines = [
        f"| page | measured by | {head} | total sent | total raw | files | note |",
        "|---|---|" + "---:|" * (len(CATEGORIES) + 3) + "---|",
    ]
    for page in pages:
        note = page.get("note", "")
        if page.get("external_assets"):
            note = (note + " " if note else "") + f"{len(page['external_assets'])} external asset(s) not counted"
        if page.get("missing_assets"):
            note = (note + " " if note else "") + "missing: " + ", ".join(page["missing_assets"])
        categories = page.get("categories")
        if not categories:
            lines.append(f"| `{page['path']}` | {page['method']} |" + " |" * (len(CATEGORIES) + 3) + f" {note} |")
            continue
        cells = " | ".join(
            f"{_kb(categories[name]['sent'])} ({_kb(categories[name]['raw'])})" if categories[name]["files"] else "–"
            for name in CATEGORIES
        )
        lines.append(
            f"| `{page['path']}` | {page['method']} | {cells} | **{_kb(page['sent'])}** | {_kb(page['raw'])} "
            f"| {page['files']} | {note} |"
        )
    return "\n".join(lines)


def search_table(search: dict) -> str:
    lines = [
        "| size | app start s | 1st search ms | 10th search ms | 1st / 10th | all ten, ms | matches |",
        "|---|---:|---:|---:|---:|---|---:|",
    ]
    for size, row in search.items():
        every = ", ".join(_num(ms) for ms in row["latencies_ms"])
        lines.append(
            f"| {_size(int(size))} | {_num(row.get('start_s'))} | {_num(row['first_ms'])} | {_num(row['tenth_ms'])} "
            f"| {_num(row['ratio'], 2)} | {every} | {row.get('total')} |"
        )
    return "\n".join(lines)


def goals_table(goals: list[dict]) -> str:
    lines = ["| goal | measured | met |", "|---|---|:---:|"]
    for goal in goals:
        lines.append(f"| {goal['goal']} | {goal['measured']} | {'yes' if goal['met'] else '**no**'} |")
    return "\n".join(lines)


def markdown(results: dict) -> str:
    """The whole report as markdown (what docs/benchmarks.md quotes)."""
    m, v = results["machine"], results["versions"]
    method = results["method"]
    parts = [
        f"Run: {results['date']['date']} · {m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB, {m['os']}, "
        f"kernel {m['kernel']} · load average at start {m['load_average']}",
        "",
        "Ours: Python {python}, Flask {Flask}, gunicorn {gunicorn}, shapely {shapely}, orjson {orjson}; "
        "wrk {wrk}.".format(
            **{k: v["ours"].get(k, "?") for k in ("python", "Flask", "gunicorn", "shapely", "orjson")},
            wrk=v["ours"].get("wrk", "?"),
        ),
        "pygeoapi {pygeoapi} on Python {python}, gunicorn {gunicorn}.".format(
            **{k: v.get("peer", {}).get(k, "?") for k in ("pygeoapi", "python", "gunicorn")}
        ),
        "",
        f"Method: `wrk -t{method['wrk_threads']} -c{method['connections']} -d{method['duration_s']}s --latency` "
        f"(longer for slow answers: {method['min_requests_note']}); both servers under gunicorn with "
        f"{method['workers']} `{method['worker_class']}` workers on 127.0.0.1, one after the other, "
        f"environment `{method['server_env'] or '(none)'}`; seed {method['seed']}. Before each measurement the "
        f"bench waits (up to {method['quiet_wait_s']:.0f} s) until other work uses less than "
        f"{method['quiet_below']:.0%} of the CPU; *other CPU* is the share it last saw. req/s counts "
        "successful answers only.",
    ]
    if results["runs"] or results.get("search") or results.get("page_weight"):  # not with --postgis-only
        parts += [
            "",
            results_table(results["runs"]),
            "",
            "pygeoapi providers tried (each bbox request under the same wrk load for "
            f"{method.get('probe_seconds', '?')} s; the best product of the two rates is kept):",
            "",
            probe_table(results.get("peer_probes", {})),
            "",
            "First searches after start-up (`GET /api/search?q=pingshan&limit=10`, one at a time with curl, right "
            "after the app answered its readiness check; the app's start, index included, is the first column):",
            "",
            search_table(results.get("search", {})),
            "",
            "Memory of the gunicorn workers after the load runs:",
            "",
            memory_table(results.get("memory", {})),
            "",
            "First-load transfer of the map pages on the shipped data (every response but basemap tiles; "
            "kB sent, gzip where the app compresses, and decoded in brackets):",
            "",
            page_weight_table(results.get("page_weight", [])),
            "",
        ]
    else:
        parts.append("")
    if results.get("postgis"):
        parts += [pgbench.markdown(results["postgis"])]
    parts += [
        "Goals (issues 4, 8 and 12):",
        "",
        goals_table(results.get("goals", [])),
    ]
    if results.get("notes"):
        parts += ["", "Notes:", ""] + [f"- {note}" for note in results["notes"]]
    return "\n".join(parts) + "\n"
