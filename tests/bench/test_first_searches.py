"""The benchmark's first-search timing: what it asks, what it reports (fed fake answers, no real timing)."""

from __future__ import annotations

import orjson
import pytest

from bench import report, run
from bench.load import Sample
from bench.servers import Server


@pytest.fixture()
def server():
    return Server(name="ours", port=1, process=None, log_path=None)


def fake_fetch(seconds: list[float], asked: list[str]):
    body = orjson.dumps({"query": "pingshan", "count": 10, "total": 321, "results": []})

    def fetch(url: str, timeout: float = 900.0) -> Sample:
        asked.append(url)
        return Sample(200, len(body), seconds[len(asked) - 1], body)

    return fetch


def test_ten_searches_of_one_query_first_against_tenth(monkeypatch, server):
    asked: list[str] = []
    monkeypatch.setattr(run, "fetch", fake_fetch([0.012] + [0.004] * 9, asked))
    measured = run.measure_first_searches(server)
    assert asked == [server.base_url + run.SEARCH_PATH] * 10
    assert (measured["first_ms"], measured["tenth_ms"], measured["ratio"], measured["total"]) == (12.0, 4.0, 3.0, 321)


def test_a_failed_search_stops_the_bench(monkeypatch, server):
    monkeypatch.setattr(run, "fetch", lambda url, timeout=900.0: Sample(500, 5, 0.01, b"boom!"))
    with pytest.raises(RuntimeError, match="answered 500"):
        run.measure_first_searches(server)


@pytest.mark.parametrize(("first_ms", "met"), [(12.0, True), (12.1, False)])
def test_goal_is_the_first_within_three_times_the_tenth_at_100k(first_ms, met):
    search = {"first_ms": first_ms, "tenth_ms": 4.0, "ratio": round(first_ms / 4.0, 2), "latencies_ms": [first_ms]}
    results = {"runs": [], "memory": {}, "search": {str(run.SEARCH_SIZE): search}}
    (goal,) = run.evaluate_goals(results)
    assert goal["met"] is met and "first search" in goal["goal"]


def test_report_lists_every_size_first_and_tenth():
    row = {"start_s": 9.5, "first_ms": 8.0, "tenth_ms": 4.0, "ratio": 2.0, "latencies_ms": [8.0] + [4.0] * 9}
    table = report.search_table({"100000": {**row, "total": 50}})
    assert "| 100k | 9.5 | 8.0 | 4.0 | 2.00 |" in table
