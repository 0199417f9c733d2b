"""schemathesis against the OpenAPI document, in process: no 5xx, every response as the document says.

Cases come from the document itself, valid and invalid ones, for every
operation of every collection; the checks are what the API promises: no
server error, a documented status code and content type, and a body valid
against its schema. Derandomised and bounded: the same cases on every run,
in seconds.

Each operation is its own test, driven by ``APIOperation.as_strategy`` and
Hypothesis, rather than by ``schemathesis.pytest.from_fixture``: that loader
fails under pytest 9 (it rewrites ``Node._nodeid``, which pytest 9 no longer has).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from geo.schema import LAYERS
from tests.gis.api_data import write_api_data_dir
from webapp import create_app

pytestmark = pytest.mark.gis

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
PATHS = [
    "/",
    "/conformance",
    "/openapi",
    "/collections",
    *(
        f"/collections/{layer}{suffix}"
        for layer in LAYERS
        for suffix in ("", "/items", "/items/{featureId}", "/queryables")
    ),
]
# The in-process transport would not undo gzip (a real client does; test_ogcapi checks it).
IDENTITY = {"Accept-Encoding": "identity"}
EXAMPLES = {"/collections/enterprises/items": 60, "/collections/links/items": 60}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    root = write_api_data_dir(tmp_path_factory.mktemp("schemathesis-data"), 57, seed=5, hostile=True)
    app = create_app({"TESTING": True, "DATA_DIR": str(root)})
    return schemathesis.openapi.from_wsgi("/ogcapi/openapi?f=json", app)


def test_the_document_lists_exactly_these_paths(api_schema):
    assert sorted(api_schema.raw_schema["paths"]) == sorted(PATHS)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("path", PATHS)
def test_the_api_keeps_the_promises_of_its_openapi_document(api_schema, path, mode):
    operation = api_schema[path]["GET"]

    @given(case=operation.as_strategy(generation_mode=mode))
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
