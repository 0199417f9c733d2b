"""What the benchmark reports besides load: the machine, versions, page weight, and the tables."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import re
import subprocess
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

from bench.load import fetch

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


class _Assets(HTMLParser):
    """Collect the script and stylesheet URLs a page references."""

    def __init__(self):
        super().__init__()
        self.scripts: list[str] = []
        self.styles: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and attributes.get("src"):
            self.scripts.append(attributes["src"])
        elif tag == "link" and "stylesheet" in (attributes.get("rel") or "").lower() and attributes.get("href"):
            self.styles.append(attributes["href"])


_IMPORT = re.compile(r"""(?:\bimport|\bexport)\s[^"';]*?\bfrom\s*["']([^"']+)["']|\bimport\s*["']([^"']+)["']""")


def module_imports(source: str) -> list[str]:
    """The specifiers of an ES module's static imports (``import x from "./y.js"``, ``import "./z.js"``)."""
    return [a or b for a, b in _IMPORT.findall(source)]


def page_weight(base_url: str, path: str) -> dict:
    """Bytes of a page's HTML and of the same-origin JS and CSS it references (tiles excluded).

    ES modules count with every module they import, transitively (the browser fetches
    them all before the entry runs). Assets on other hosts (CDNs) are listed, not
    fetched: this machine has no network, and they are not served by the app.
    """
    page = fetch(base_url + path)
    result: dict = {"path": path, "status": page.status, "html_bytes": page.bytes}
    if page.status != 200:
        result["note"] = f"{path} answered {page.status}: the page is not there yet"
        return result
    parser = _Assets()
    parser.feed(page.body.decode("utf-8", "replace"))
    own = urllib.parse.urlsplit(base_url).netloc
    totals = {"js": 0, "css": 0}
    external: list[str] = []
    missing: list[str] = []
    fetched: set[str] = set()
    for kind, urls in (("js", parser.scripts), ("css", parser.styles)):
        queue = [urllib.parse.urljoin(base_url + path, url) for url in dict.fromkeys(urls)]
        while queue:
            absolute = queue.pop(0)
            if absolute in fetched:
                continue
            fetched.add(absolute)
            if urllib.parse.urlsplit(absolute).netloc != own:
                external.append(absolute)
                continue
            asset = fetch(absolute)
            if asset.status != 200:
                missing.append(f"{absolute} ({asset.status})")
                continue
            totals[kind] += asset.bytes
            if kind == "js":
                text = asset.body.decode("utf-8", "replace")
                queue += [urllib.parse.urljoin(absolute, spec) for spec in module_imports(text)]
    result.update(
        js_bytes=totals["js"],
        css_bytes=totals["css"],
        total_bytes=page.bytes + totals["js"] + totals["css"],
        local_assets=len(fetched) - len(external),
        external_assets=external,
        missing_assets=missing,
    )
    return result


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


def page_weight_table(pages: list[dict]) -> str:
    lines = ["| page | status | HTML | JS | CSS | total | note |", "|---|---:|---:|---:|---:|---:|---|"]
    for page in pages:
        note = page.get("note", "")
        if page.get("external_assets"):
            note = (note + " " if note else "") + f"{len(page['external_assets'])} external asset(s) not counted"
        if page.get("missing_assets"):
            note = (note + " " if note else "") + "missing: " + ", ".join(page["missing_assets"])
        lines.append(
            f"| `{page['path']}` | {page['status']} | {_bytes(page.get('html_bytes'))} | {_bytes(page.get('js_bytes'))} "
            f"| {_bytes(page.get('css_bytes'))} | {_bytes(page.get('total_bytes'))} | {note} |"
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
        "Page weight (HTML + same-origin JS + CSS, identity encoding, tiles excluded):",
        "",
        page_weight_table(results.get("page_weight", [])),
        "",
        "Goals (issues 4 and 8):",
        "",
        goals_table(results.get("goals", [])),
    ]
    if results.get("notes"):
        parts += ["", "Notes:", ""] + [f"- {note}" for note in results["notes"]]
    return "\n".join(parts) + "\n"
