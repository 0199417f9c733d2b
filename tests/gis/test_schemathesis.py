"""schemathesis against the OpenAPI document, in process: the server and its document agree.

Every check schemathesis has runs (``CHECKS``: no server error; documented status
codes, content types, headers and bodies; schema-valid requests accepted and
schema-violating ones rejected; undeclared methods answered 405 with ``Allow``…),
on cases drawn from the document itself, valid (POSITIVE) and invalid (NEGATIVE),
for every operation of every collection; then schemathesis' own engine runs its
example, coverage and stateful phases (boundary values, missing and undeclared
parameters and methods) with the same checks. Derandomised and bounded: the same
cases on every run.

OpenAPI 3.0 cannot say that a bbox's minimum latitude (and height) is at most
its maximum and its latitudes within ±90 (a minimum longitude above the maximum
is valid: a box across the antimeridian), nor that an interval's start is not after its end and its
dates exist (2021-02-30), nor the grammar of a CQL2 ``filter``: the document says so in words, the
server answers 400 (tests/webapp/test_strict_numbers.py, tests/webapp/test_cql2.py), and
``within_what_the_document_says`` keeps the generated valid cases inside those rules (a generated
filter string becomes a LIKE pattern on ``id`` in the filter's language), changing nothing else.

Each operation is its own test, driven by ``APIOperation.as_strategy`` and
Hypothesis, rather than by ``schemathesis.pytest.from_fixture``: that loader
fails under pytest 9 (it rewrites ``Node._nodeid``, which pytest 9 no longer has).
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime

import pytest
import schemathesis
import schemathesis.specs.openapi.checks  # registers the OpenAPI checks in CHECKS
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, engine
from schemathesis.checks import CHECKS as REGISTRY
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events

from geo.schema import LAYERS
from tests.gis.api_data import write_api_data_dir
from webapp import create_app, filtering, queryables
from webapp.ogcapi import core, crs

pytestmark = pytest.mark.gis

CHECKS = REGISTRY.get_all()
PATHS = [
    "/",
    "/conformance",
    "/openapi",
    "/collections",
    *(
        f"/collections/{layer}{suffix}"
        for layer in LAYERS
        for suffix in ("", "/items", "/items/{featureId}", "/queryables", "/schema")
    ),
]
# The in-process transport would not undo gzip (a real client does; test_ogcapi checks it).
IDENTITY = {"Accept-Encoding": "identity"}
EXAMPLES = {"/collections/enterprises/items": 60, "/collections/links/items": 60}
ENGINE_EXAMPLES = 3  # the engine's phases are driven by the document's shape more than by this
SEED = 5
ENGINE_FILTER = "status <> 'proposed' OR year IS NULL"


def test_every_check_schemathesis_has_is_run():
    names = {check.__name__ for check in CHECKS}
    assert {"negative_data_rejection", "positive_data_acceptance", "unsupported_method"} <= names
    assert {"status_code_conformance", "content_type_conformance", "response_schema_conformance"} <= names


# ---- the rules OpenAPI 3.0 cannot state ----------------------------------------------------

_INSTANT = re.compile(core.DATE_TIME_PATTERN)


def _within_box(numbers: list[float], box_crs: crs.OutputCrs = crs.CRS84) -> list[float]:
    """The same numbers as a box the server takes: lon within ±180, lat within ±90, the min lat (and
    height) ≤ its max; the longitudes keep their order (minLon > maxLon crosses the antimeridian).
    In a ``bbox-crs`` the axes follow its order (EPSG:4326: lat first); a projected box's minima are
    at most its maxima (Part 2)."""
    half = len(numbers) // 2
    fixed = list(numbers)
    bounds = (180, 90) if box_crs.geographic else (math.inf, math.inf)
    if box_crs.north_first:
        bounds = bounds[::-1]
    for axis in range(half):
        bound = (*bounds, math.inf)[axis]
        low, high = (max(-bound, min(bound, value)) for value in (numbers[axis], numbers[axis + half]))
        longitude = box_crs.geographic and axis == (1 if box_crs.north_first else 0)
        fixed[axis], fixed[axis + half] = (low, high) if longitude else sorted((low, high))
    return fixed


def _bbox(value, box_crs: crs.OutputCrs = crs.CRS84):
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = [float(v) if queryables.is_number(v) else v for v in value]
    if isinstance(value, list) and len(value) in (4, 6):
        if all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value):
            return _within_box(value, box_crs)
    if isinstance(value, str):
        parts = value.split(",")
        if len(parts) in (4, 6) and all(queryables.is_number(p) and math.isfinite(float(p)) for p in parts):
            return ",".join(repr(v) for v in _within_box([float(p) for p in parts], box_crs))
    return value


def _existing_date(text: str) -> str:
    """``text`` with its day moved to the 28th when its month has no such day (2021-02-30)."""
    try:
        datetime.fromisoformat(text[:10])
    except ValueError:
        return text[:8] + "28" + text[10:]
    return text


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _datetime(value):
    if not isinstance(value, str):
        return value
    parts = value.split("/")
    if not all(_INSTANT.fullmatch(p) or p in ("", "..") for p in parts) or len(parts) > 2:
        return value
    parts = [_existing_date(p) if _INSTANT.fullmatch(p) else p for p in parts]
    if len(parts) == 2 and all(_INSTANT.fullmatch(p) for p in parts):
        start, end = (_moment(p) for p in parts)
        if start > end:
            parts.reverse()
    return "/".join(parts)


def _filter(value, lang):
    """A generated filter string as valid CQL2 (an ``id LIKE`` pattern), in ``lang``; anything that is not
    a string, or is longer than the document allows, is left as it is (the server must refuse it)."""
    if not isinstance(value, str) or value == "" or len(value) > filtering.MAX_FILTER_CHARS:
        return value
    pattern = value.replace("'", "").replace("\\", "")[: filtering.MAX_FILTER_CHARS - 40]
    if lang == "cql2-json":
        return json.dumps({"op": "like", "args": [{"property": "id"}, pattern]})
    return f"id LIKE '{pattern}'"


def within_what_the_document_says(ctx, query):
    """schemathesis ``map_query`` hook: a generated bbox, datetime or filter kept within the rules above."""
    if query and "bbox" in query:
        box_crs = crs.BY_URI.get(query.get("bbox-crs")) if isinstance(query.get("bbox-crs"), str) else None
        query["bbox"] = _bbox(query["bbox"], box_crs or crs.CRS84)
    if query and "datetime" in query:
        query["datetime"] = _datetime(query["datetime"])
    if query and "filter" in query:
        query["filter"] = _filter(query["filter"], query.get("filter-lang"))
    return query


# ---- the server, the document, the cases ---------------------------------------------------


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    root = write_api_data_dir(tmp_path_factory.mktemp("schemathesis-data"), 57, seed=5, hostile=True)
    return create_app({"TESTING": True, "DATA_DIR": str(root)})


@pytest.fixture(scope="module")
def api_schema(app):
    schema = schemathesis.openapi.from_wsgi("/ogcapi/openapi?f=json", app)
    schema.hooks.register_hook_with_name(within_what_the_document_says, "map_query")
    return schema


def test_the_document_lists_exactly_these_paths(api_schema):
    assert sorted(api_schema.raw_schema["paths"]) == sorted(PATHS)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("path", PATHS)
def test_the_api_keeps_the_promises_of_its_openapi_document(api_schema, path, mode):
    operation = api_schema[path]["GET"]

    @given(case=operation.as_strategy(generation_mode=mode, hooks=api_schema.hooks))
    @settings(
        max_examples=EXAMPLES.get(path, 15),
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        case.call_and_validate(headers=IDENTITY, checks=CHECKS)

    check()


def test_schemathesis_engine_finds_no_failure_in_any_phase(app):
    """The engine's example, coverage and stateful phases: boundary values, missing and undeclared
    parameters, methods the document does not declare; the fuzzing phase is the tests above."""
    config = SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "headers": IDENTITY,
            "generation": {"max-examples": ENGINE_EXAMPLES, "deterministic": True, "database": "none"},
            "checks": {"enabled": True},
            "phases": {"fuzzing": {"enabled": False}},
            # The coverage phase skips map_query hooks: its generated filter strings would be refused
            # as CQL2, so the engine sends one valid filter (the tests above fuzz it through the hook).
            "parameters": {"query.filter": ENGINE_FILTER, "query.filter-lang": "cql2-text"},
        }
    )
    schema = schemathesis.openapi.from_wsgi("/ogcapi/openapi?f=json", app, config=config)
    schema.hooks.register_hook_with_name(within_what_the_document_says, "map_query")
    failures, errors, cases = [], [], 0
    for event in engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            cases += len(event.recorder.cases)
            for case_id, checks in event.recorder.checks.items():
                case = event.recorder.cases[case_id].value
                failures += [
                    f"{check.name}: {case.method} {case.path} {case.path_parameters} {case.query} {case.headers or ''}"
                    f" → {check.failure_info.failure.title}: {check.failure_info.failure.message[:300]}"
                    for check in checks
                    if check.failure_info is not None
                ]
        elif isinstance(event, events.NonFatalError | events.FatalError):
            errors.append(str(event.value))
    assert not errors
    assert cases > 100
    assert not failures, "\n".join(failures[:20])


@pytest.mark.parametrize("layer", LAYERS)
def test_every_feature_and_page_conforms_to_the_document(api_schema, layer):
    """Random ids are all 404s; these explicit cases cover every real feature and the paging links too."""
    provider = api_schema.app.extensions["gba_provider"]
    item = api_schema[f"/collections/{layer}/items/{{featureId}}"]["GET"]
    items = api_schema[f"/collections/{layer}/items"]["GET"]
    for feature_id in provider.query(layer).ids:
        for f in ("json", "html"):
            case = item.Case(path_parameters={"featureId": feature_id}, query={"f": f})
            assert case.call_and_validate(headers=IDENTITY, checks=CHECKS).status_code == 200
    for query in ({"limit": 1, "offset": 1}, {"limit": 10_000}, {"limit": 20_000}, {"offset": 10**6}):
        assert items.Case(query=query).call_and_validate(headers=IDENTITY, checks=CHECKS).status_code == 200
