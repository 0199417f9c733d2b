"""The SQL of the PostGIS provider (``webapp.providers.pgsql``) selects what the files provider selects.

A throwaway PostgreSQL + PostGIS cluster holds one table per layer, in the layout the loader
writes (``ord``, ``id``, ``geom``, ``props`` with the flat form), filled from three datasets:
the shipped data, the API tests' synthetic data (2,000 enterprises and a hostile name), and a
handful of odd records the validator would refuse (lists where a value is expected, values of
the wrong type, floats for years, accents and special casings, LIKE's special characters) that
the files provider's code still answers. For every CQL2 case of tests/webapp/test_cql2.py and
more, every queryable filter and pairs of them, bboxes and every sortby, the SQL must give
exactly the ids, in exactly the order, of the files provider.
"""

from __future__ import annotations

import itertools
import json
import sys
import tempfile

import orjson
import psycopg
import pytest
import shapely
from psycopg import sql
from psycopg.types.json import Jsonb
from shapely.geometry import shape

from geo import load
from geo.schema import LAYERS
from tests.conftest import DATA_DIR
from tests.gis.api_data import write_api_data_dir
from tests.webapp.test_cql2 import BOX, CASES, CORNER_BOX, IN_HETAO, SORTS, SYNTHETIC, TRIANGLE_WKT
from tools import pgcluster
from webapp import filtering
from webapp.errors import InvalidParameter
from webapp.ogcapi import core
from webapp.providers import pgsql
from webapp.providers.base import Filters
from webapp.providers.files import FileProvider, _Layer
from webapp.queryables import QUERYABLES

pytestmark = pytest.mark.skipif(pgcluster.available() is not None, reason=str(pgcluster.available()))

ODD_LAYER = "enterprises"
DATASETS = ("shipped", "synthetic", "odd")


def _odd_features() -> list[dict]:
    """Records of every shape the files provider's code reads, valid or not."""
    base = {"layer": ODD_LAYER, "category": "semiconductor", "status": "operating"}
    variants = [
        {"status": ["operating", "planned"], "year": 2010, "name_en": "Qiánhǎi Ὀδυσσεύς"},
        {"status": 3, "year": 2010.0, "name_en": "ΟΔΟΣ ΑΣ", "jurisdictions": ["Hong Kong", "Macau"]},
        {"status": None, "year": "2010", "name_en": "İstanbul", "jurisdictions": []},
        {"year": True, "name_en": "a%b_c\\d", "jurisdictions": "Shenzhen"},
        {"year": [2005, 2030], "name_en": "x'); DROP TABLE odd_enterprises; --", "jurisdictions": ["Zhuhai", None]},
        {"year": None, "name_en": "", "jurisdictions": [1, "Zhuhai"], "approximate": [True, False]},
        {"year": 2021.5, "name_en": ["Alpha", "beta"], "approximate": 1, "cross_border": 1},
        {"year": 2030, "name_en": 5, "approximate": False, "cross_border": 0.0},
        {"year": -3, "name_en": "ǅungla ß ﬁne", "category": ["hospital", "university"], "cross_border": True},
        {"year": 2015, "name_en": "Straße", "category": "HOSPITAL", "cross_border": "true"},
        {"year": 2**62, "name_en": "STRASSE", "jurisdiction": "Hong Kong"},
        {"year": 2016, "name_en": "中文", "name_zh_hant": "香港科學園", "jurisdiction": ["Macau", "Hong Kong"]},
        {"year": 2017, "name_en": "🙂 emoji", "name_zh_hant": "澳門", "jurisdiction": 7},
        {"year": 2018, "name_en": "e\u0301 combining", "target_year": 2020.5},
        {"year": 2019, "name_en": "Ωmega ς final", "target_year": [2021, "x"]},
        {},
    ]
    features = []
    for number, variant in enumerate(variants):
        properties = {**base, "id": f"odd-{number:02d}", **variant}
        x, y = 113.5 + 0.05 * number, 22.2 + 0.04 * number
        features.append(
            {"type": "Feature", "properties": properties, "geometry": shapely.geometry.mapping(shapely.Point(x, y))}
        )
    # A zone-like polygon and a line, so the spatial predicates meet more than points.
    for number, geometry in enumerate(
        [shapely.box(113.9, 22.4, 114.2, 22.6), shapely.LineString([(113.7, 22.3), (114.4, 22.8)])], start=len(variants)
    ):
        properties = {**base, "id": f"odd-{number:02d}", "year": 2000 + number}
        features.append({"type": "Feature", "properties": properties, "geometry": shapely.geometry.mapping(geometry)})
    return features


def _odd_provider() -> FileProvider:
    """A files provider over the odd records (built as it builds a layer, without the dataset checks)."""
    provider = FileProvider.__new__(FileProvider)
    provider._layers = {ODD_LAYER: _Layer(ODD_LAYER, _odd_features(), "odd", QUERYABLES)}
    return provider


@pytest.fixture(scope="module")
def providers(tmp_path_factory) -> dict[str, FileProvider]:
    synthetic = write_api_data_dir(tmp_path_factory.mktemp("pgsql-data"), SYNTHETIC, seed=11, hostile=True)
    return {"shipped": FileProvider(DATA_DIR), "synthetic": FileProvider(synthetic), "odd": _odd_provider()}


def _table(dataset: str, layer: str) -> sql.Identifier:
    return sql.Identifier(f"{dataset}_{layer}")


@pytest.fixture(scope="module")
def database(providers):
    """A connection to a throwaway cluster with a table per dataset and layer (and their indexes)."""
    # Under /tmp itself: as root the cluster runs as ``postgres``, who cannot enter pytest's private folders.
    with pgcluster.throwaway(tempfile.mkdtemp(prefix="pgsql-test-")) as cluster:
        with psycopg.connect(cluster.url, autocommit=True) as connection:
            for dataset, provider in providers.items():
                for layer in provider.layers():
                    _load(connection, dataset, layer, provider)
            yield connection


def _load(connection, dataset: str, layer: str, provider: FileProvider) -> None:
    table = _table(dataset, layer)
    connection.execute(
        sql.SQL(
            'CREATE TABLE {} (ord integer PRIMARY KEY, id text COLLATE "C" NOT NULL UNIQUE, '
            "geom geometry(Geometry, 4326) NOT NULL, props jsonb NOT NULL)"
        ).format(table)
    )
    with (
        connection.cursor() as cursor,
        cursor.copy(sql.SQL("COPY {} (ord, id, geom, props) FROM STDIN").format(table)) as copy,
    ):
        for ord_, blob in enumerate(provider.query(layer).items):
            feature = orjson.loads(blob)
            geometry = shapely.set_srid(shape(feature["geometry"]), 4326)
            copy.write_row(
                (
                    ord_,
                    feature["properties"]["id"],
                    shapely.to_wkb(geometry, hex=True, include_srid=True),
                    Jsonb(feature["properties"]),
                )
            )
    connection.execute(load.props_index("public", f"{dataset}_{layer}"))
    connection.execute(sql.SQL("ANALYZE {}").format(table))


def _layers() -> list[tuple[str, str]]:
    return [(dataset, layer) for dataset in DATASETS for layer in (LAYERS if dataset != "odd" else (ODD_LAYER,))]


def sql_ids(connection, dataset: str, layer: str, where=None, order=None, limit=None, offset=0) -> list[str]:
    """The ids the SQL selects from a layer table, in its order (ord when none is given)."""
    query = sql.SQL("SELECT id FROM {} WHERE {} ORDER BY {}").format(
        _table(dataset, layer), pgsql.TRUE if where is None else where, sql.SQL("ord") if order is None else order
    )
    if limit is not None:
        query = sql.SQL("{} LIMIT {} OFFSET {}").format(query, sql.Literal(limit), sql.Literal(offset))
    return [row[0] for row in connection.execute(query)]


def _parsed(text: str, lang: str | None, layer: str):
    """The filter as the API parses it for ``layer``, or None when it is a 400 there."""
    try:
        return filtering.parse_filter(text, lang, None, core.filter_queryables(layer))
    except InvalidParameter:
        return None


def _check_filter(providers, database, text: str, lang: str | None = None) -> int:
    """Assert the SQL of ``text`` selects the files provider's ids on every layer; count the layers."""
    checked = 0
    for dataset, layer in _layers():
        where = _parsed(text, lang, layer)
        if where is None:
            continue
        expected = providers[dataset].query(layer, where=where).ids
        got = sql_ids(database, dataset, layer, pgsql.where_sql(layer, where))
        assert got == expected, (dataset, layer, text)
        checked += 1
    return checked


# ---- CQL2 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_every_cql2_case_selects_the_files_providers_rows(providers, database, case):
    _name, text, document, _brute_force = case
    assert _check_filter(providers, database, text) > 0
    assert _check_filter(providers, database, json.dumps(document), "cql2-json") > 0


def _json(op: str, *args) -> str:
    return json.dumps({"op": op, "args": list(args)})


NAME = {"property": "name_en"}
JURISDICTION_HK = {"op": "=", "args": [{"property": "jurisdiction"}, "Hong Kong"]}
# More filters, for what the shared cases do not reach: folding, escapes, lists, order of strings,
# NUL, the other spatial functions, GDAL's dialect, literals alone.
MORE = [
    ("casei-like", "CASEI(name_en) LIKE CASEI('%sHENZHEN%')", None),
    ("casei-eq", "CASEI(name_en) = CASEI('STRASSE')", None),
    ("casei-final-sigma", "CASEI(name_en) LIKE '%ας%'", None),
    ("casei-dotted-capital-i", "CASEI(name_en) LIKE CASEI('İ%')", None),
    ("casei-greek", "CASEI(name_en) = CASEI('ΟΔΟΣ ΑΣ')", None),
    ("accenti-like", "ACCENTI(name_en) LIKE ACCENTI('%Qiánhǎi%')", None),
    ("accenti-casei", "ACCENTI(CASEI(name_en)) LIKE 'qianhai%'", None),
    ("accenti-combining", "ACCENTI(name_en) = 'e combining'", None),
    ("accenti-in", "ACCENTI(name_en) IN ('Qianhai Οδυσσευς', 'Straße')", None),
    ("like-escapes", _json("like", NAME, "a\\%b\\_c\\\\d"), "cql2-json"),
    ("like-escaped-letter", _json("like", NAME, "\\a%"), "cql2-json"),
    ("like-trailing-backslash", _json("like", NAME, "%\\"), "cql2-json"),
    ("like-one-char-each", "name_en LIKE '_____'", None),
    ("like-empty", "name_en LIKE ''", None),
    ("like-emoji", "name_en LIKE '_ emoji'", None),
    ("string-order", "name_en < 'M'", None),
    ("string-order-cjk", "name_zh_hant >= '澳'", None),
    ("string-order-past-ascii", "name_en > 'z'", None),
    ("string-ne", "name_en <> 'Straße'", None),
    ("not-like", "NOT name_en LIKE '%a%'", None),
    ("in-casei", "CASEI(status) IN ('OPERATING', 'Planned')", None),
    ("not-in-list", "touches_jurisdiction NOT IN ('Hong Kong')", None),
    ("list-eq", "touches_jurisdiction = 'Zhuhai'", None),
    ("list-lt", "touches_jurisdiction < 'I'", None),
    ("between-list", "year BETWEEN 2006 AND 2029", None),
    ("year-eq-float", "year = 2010", None),
    ("year-ne", "year <> 2010", None),
    ("year-large", "year > 1e15", None),
    ("number-fraction", "target_year > 2020.25", None),
    ("is-null", "target_year IS NULL", None),
    ("is-null-list", "touches_jurisdiction IS NULL", None),
    ("not-is-null-category", "NOT category IS NULL", None),
    ("boolean-eq", "approximate = true", None),
    ("boolean-ne", "approximate <> false", None),
    ("gdal-numeric-boolean", "approximate = 1", "cql-text"),
    ("gdal-ilike", "name_en ILIKE '%STRASSE%'", "cql-text"),
    ("doubled-quote-injection", "name_en = 'x''); DROP TABLE odd_enterprises; --'", None),
    ("like-injection", "name_en LIKE '%''; DROP TABLE shipped_links; --%'", None),
    ("nul-eq", _json("=", NAME, "a\u0000b"), "cql2-json"),
    ("nul-ne", _json("<>", NAME, "a\u0000b"), "cql2-json"),
    ("nul-lt", _json("<", NAME, "Q\u0000"), "cql2-json"),
    ("nul-ge", _json(">=", NAME, "Q\u0000"), "cql2-json"),
    ("nul-like", _json("like", NAME, "%\u0000%"), "cql2-json"),
    ("nul-in", _json("in", NAME, ["\u0000", "Straße"]), "cql2-json"),
    ("s-within-triangle", f"S_WITHIN(geometry, {TRIANGLE_WKT})", None),
    ("s-contains-point", f"S_CONTAINS(geometry, POINT({IN_HETAO[0]} {IN_HETAO[1]}))", None),
    ("s-touches-corner", f"S_TOUCHES(geometry, BBOX({', '.join(map(str, CORNER_BOX))}))", None),
    ("s-crosses-line", "S_CROSSES(geometry, LINESTRING(113.5 22.0, 114.6 23.0))", None),
    ("s-overlaps-box", f"S_OVERLAPS(geometry, BBOX({', '.join(map(str, BOX))}))", None),
    ("s-disjoint-box", f"S_DISJOINT(geometry, BBOX({', '.join(map(str, BOX))}))", None),
    ("s-equals-point", "S_EQUALS(geometry, POINT(113.5 22.2))", None),
    ("s-intersects-antimeridian", "S_INTERSECTS(geometry, BBOX(177, 65, -177, 70))", None),
    ("s-intersects-bowtie", "S_INTERSECTS(geometry, POLYGON((113 22, 115 23, 115 22, 113 23, 113 22)))", None),
    ("not-eq-missing", "NOT jurisdiction = 'Hong Kong'", None),
    ("not-in-missing", "NOT jurisdiction IN ('Hong Kong', 'Macau')", None),
    ("not-not-eq-missing", _json("not", {"op": "not", "args": [JURISDICTION_HK]}), "cql2-json"),
    (
        "not-or-not-missing",
        _json(
            "not",
            {
                "op": "or",
                "args": [{"op": ">", "args": [{"property": "year"}, 3000]}, {"op": "not", "args": [JURISDICTION_HK]}],
            },
        ),
        "cql2-json",
    ),
    (
        "not-or-missing",
        _json(
            "not",
            {
                "op": "or",
                "args": [JURISDICTION_HK, {"op": "=", "args": [{"property": "touches_jurisdiction"}, "Zhuhai"]}],
            },
        ),
        "cql2-json",
    ),
    ("or-missing", "jurisdiction = 'Macau' OR year < 2012", None),
    ("true", "TRUE", None),
    ("false", "FALSE", None),
    ("literals", "1 < 2", None),
    ("literal-strings", "'a' = 'b' OR status = 'planned'", None),
]


@pytest.mark.parametrize(("text", "lang"), [m[1:] for m in MORE], ids=[m[0] for m in MORE])
def test_more_filters_select_the_files_providers_rows(providers, database, text, lang):
    assert _check_filter(providers, database, text, lang) > 0


def test_a_filter_read_for_another_layer_tests_names_this_one_lacks(providers, database):
    """A provider may be handed a filter checked against another layer's names: they hold no value."""
    for text in ("category IS NULL", "category = 'university'", "NOT category IN ('university')"):
        where = filtering.parse_filter(text, None, None, core.filter_queryables("universities"))
        expected = providers["shipped"].query("links", where=where).ids
        assert sql_ids(database, "shipped", "links", pgsql.where_sql("links", where)) == expected


def test_the_shared_cases_reach_the_odd_records(providers):
    """The odd records are there to be selected: most cases select some of them and not all."""
    reached = 0
    for _name, text, _document, _brute_force in CASES:
        where = _parsed(text, None, ODD_LAYER)
        if where is not None:
            count = providers["odd"].query(ODD_LAYER, where=where).number_matched
            reached += 0 < count < providers["odd"].layer_info(ODD_LAYER)["count"]
    assert reached >= 10


# ---- the queryables' filters and bbox ----------------------------------------------------------


def _options(provider: FileProvider, layer: str, param) -> list[tuple]:
    """Wanted values to try for a queryable: each value found, all of them, an unknown one…"""
    if param.kind == "boolean":
        return [(True,), (False,), (True, False)]
    if param.kind == "year":
        return [(1800,), (2010,), (2016,), (2018,), (2100,)]
    found = sorted(provider.values(layer, param.name), key=str)
    found = [v for v in found if isinstance(v, str)]
    return [(v,) for v in found] + [tuple(found), ("nothing such",), tuple(param.values[:2])]


@pytest.mark.parametrize("dataset", DATASETS)
def test_queryable_filters_alone_and_in_pairs_select_the_files_providers_rows(providers, database, dataset):
    provider = providers[dataset]
    table = [param for param in QUERYABLES if param.queryable]
    checked = 0
    for layer in provider.layers():
        options = {param.name: _options(provider, layer, param) for param in table}
        combinations = [((name, wanted),) for name, values in options.items() for wanted in values]
        for first, second in itertools.combinations(options, 2):
            combinations += [
                ((first, a), (second, b)) for a, b in itertools.product(options[first][:3], options[second][:3])
            ]
        combinations.append(tuple((name, values[1]) for name, values in options.items() if len(values) > 1))
        for terms in combinations:
            filters = Filters(terms)
            expected = provider.query(layer, filters=filters).ids
            got = sql_ids(database, dataset, layer, pgsql.filters_sql(layer, filters))
            assert got == expected, (dataset, layer, terms)
            checked += bool(expected)
    assert checked > 50


def test_an_unknown_queryable_matches_nothing(providers, database):
    filters = Filters((("status", ("operating",)), ("no_such_queryable", ("x",))))
    assert providers["shipped"].query("hospitals", filters=filters).ids == []
    assert sql_ids(database, "shipped", "hospitals", pgsql.filters_sql("hospitals", filters)) == []


BOXES = [
    BOX,
    CORNER_BOX,
    (113.0, 21.5, 115.5, 23.5),
    (177.0, 65.0, -177.0, 70.0),  # across the antimeridian
    (113.6, 22.0, 113.6, 23.0),  # a line through the odd records' first column
    (113.5, 22.2, 113.5, 22.2),  # a point: the first odd record's
    (0.0, 0.0, 1.0, 1.0),  # nothing there
    (-180.0, -90.0, 180.0, 90.0),
]


@pytest.mark.parametrize("bbox", BOXES, ids=[",".join(map(str, b)) for b in BOXES])
def test_bbox_with_filters_and_cql2_selects_the_files_providers_rows(providers, database, bbox):
    for dataset, layer in _layers():
        provider = providers[dataset]
        where = _parsed("year > 2005 OR year IS NULL", None, layer)
        for filters, condition in [
            (None, None),
            (Filters.of(status=("operating", "planned")), None),
            (Filters.of(year=2018), where),
        ]:
            expected = provider.query(layer, bbox=bbox, filters=filters, where=condition).ids
            clause = pgsql.matching_sql(layer, bbox=bbox, filters=filters, where=condition)
            assert sql_ids(database, dataset, layer, clause) == expected, (dataset, layer, bbox, filters)


# ---- sortby and paging ----------------------------------------------------------------------


def _sortings(layer: str) -> list[str]:
    named = core.filter_queryables(layer)
    every = [f"{sign}{name}" for name, q in named.items() if q.sortable for sign in ("", "-")]
    return [text for text, _keys in SORTS] + every


@pytest.mark.parametrize("dataset", DATASETS)
def test_sortby_orders_and_pages_as_the_files_provider(providers, database, dataset):
    provider = providers[dataset]
    checked = 0
    for layer in provider.layers():
        named = core.filter_queryables(layer)
        for text in _sortings(layer):
            try:
                sortby = filtering.parse_sortby(text, named)
            except InvalidParameter:
                continue
            for where in (None, _parsed("status <> 'operating'", None, layer)):
                expected = provider.query(layer, where=where, sortby=sortby).ids
                order = pgsql.sortby_sql(layer, sortby)
                assert sql_ids(database, dataset, layer, pgsql.where_sql(layer, where), order) == expected, (
                    dataset,
                    layer,
                    text,
                )
                window = provider.query(layer, where=where, sortby=sortby, limit=7, offset=3).ids
                assert sql_ids(database, dataset, layer, pgsql.where_sql(layer, where), order, 7, 3) == window
                checked += 1
    assert checked > 20


def test_no_sortby_is_id_order(providers, database):
    assert pgsql.sortby_sql("zones", ()).as_string(database) == '"ord"'
    assert sql_ids(database, "synthetic", "enterprises", order=pgsql.sortby_sql("enterprises")) == (
        providers["synthetic"].query("enterprises").ids
    )


# ---- folding --------------------------------------------------------------------------------


@pytest.mark.parametrize("folds", [{"casei"}, {"accenti"}], ids=["casei", "accenti"])
def test_casei_and_accenti_fold_every_character_as_python_does(database, folds):
    """Every code point (but NUL and the surrogates, which no text holds), folded by PostgreSQL
    and by Python, and strings where the context counts (a final sigma)."""
    folds = frozenset(folds)
    texts = [chr(code) for code in range(1, sys.maxunicode + 1) if not 0xD800 <= code <= 0xDFFF]
    texts += ["ΟΔΟΣ", "ΟΔΟΣ ΑΣ.", "Σ", "ΑΣ1", "İİ", "ǅ", "ﬁ", "e\u0301\u0327", "\u1100\u1161", "Ὀδυσσεύς"]
    query = sql.SQL("SELECT {} FROM unnest({}::text[]) WITH ORDINALITY AS given(text, n) ORDER BY n").format(
        pgsql.fold_sql(sql.SQL("given.text"), folds), sql.Literal(texts)
    )
    folded = [row[0] for row in database.execute(query)]
    different = [(text, got) for text, got in zip(texts, folded, strict=True) if got != filtering._fold(text, folds)]
    assert different == []


# ---- injection ------------------------------------------------------------------------------


def _row_counts(database) -> dict:
    tables = database.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").fetchall()
    return {
        name: database.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name))).fetchone()[0]
        for (name,) in tables
    }


HOSTILE = [
    "x'); DROP TABLE shipped_links; --",
    "' OR '1'='1",
    '"; DELETE FROM shipped_zones; --',
    "\\'; DROP TABLE odd_enterprises; --",
    "$$; DROP TABLE shipped_agencies; $$",
]


def test_values_and_names_from_a_request_are_inert(providers, database):
    before = _row_counts(database)
    for hostile in HOSTILE:
        # As a value of every queryable, and as a name.
        for param in QUERYABLES:
            if param.queryable and param.kind == "enum":
                filters = Filters(((param.name, (hostile,)),))
                assert sql_ids(database, "shipped", "links", pgsql.filters_sql("links", filters)) == []
        assert sql_ids(database, "shipped", "links", pgsql.filters_sql("links", Filters(((hostile, ("x",)),)))) == []
        # In CQL2 strings (a name with a quote is a 400 before any SQL: the parser or the checks refuse it).
        text = "name_en = '" + hostile.replace("'", "''") + "' OR name_en LIKE '%" + hostile.replace("'", "''") + "%'"
        assert _check_filter(providers, database, text) > 0
        assert _parsed(f'"{hostile}" = 1', None, "links") is None
        # As a sortby name: refused by parse_sortby, and ignored by sortby_sql if it ever got there.
        with pytest.raises(InvalidParameter):
            filtering.parse_sortby(hostile, core.filter_queryables("links"))
        order = pgsql.sortby_sql("links", ((hostile, False),))
        assert sql_ids(database, "shipped", "links", order=order) == providers["shipped"].query("links").ids
    # A table of queryables whose property names are hostile: the names are quoted literals.
    hostile_table = tuple(
        type(param)(**{**param.__dict__, "properties": tuple(HOSTILE)})
        for param in QUERYABLES
        if param.name == "status"
    )
    clause = pgsql.filters_sql("links", Filters.of(status="operating"), hostile_table)
    assert sql_ids(database, "shipped", "links", clause) == []
    assert _row_counts(database) == before


# ---- indexes --------------------------------------------------------------------------------


def _plan(database, clause) -> str:
    query = sql.SQL("EXPLAIN SELECT id FROM {} WHERE {}").format(_table("synthetic", "enterprises"), clause)
    return "\n".join(row[0] for row in database.execute(query))


def test_the_indexes_answer_the_queryable_filters(database):
    """With sequential scans off, the planner reaches the rows through the indexes the loader
    creates: their expressions are the filters' (the bench measures what they are worth)."""
    database.execute("SET enable_seqscan = off")
    try:
        status = _plan(database, pgsql.filters_sql("enterprises", Filters.of(status=("planned", "proposed"))))
        assert "synthetic_enterprises_props" in status
        touches = _plan(database, pgsql.filters_sql("enterprises", Filters.of(touches_jurisdiction="Macau")))
        assert "synthetic_enterprises_props" in touches
        where = filtering.parse_filter("status IN ('planned', 'proposed')", None, None, core.filter_queryables("links"))
        assert "synthetic_enterprises_props" in _plan(database, pgsql.where_sql("enterprises", where))
    finally:
        database.execute("RESET enable_seqscan")
