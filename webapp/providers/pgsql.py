"""A request as SQL for the PostGIS provider: bbox, queryable filters, CQL2 ``filter`` and ``sortby``.

Pure functions, no connection: each returns a ``psycopg.sql.Composable`` over one layer table,
its columns unqualified (the layout of docs/postgis.md)::

    ord integer       0-based position in id order (Python str order, collation "C")
    id text           the record id
    geom geometry     WGS-84 (SRID 4326)
    props jsonb       the served properties, flat form included (geo.flat.with_flat)

Values are always ``sql.Literal`` (quoted by psycopg, with an explicit type), names always
``sql.Identifier`` or ``sql.Literal`` keys of ``props``: nothing from a request is formatted
into the SQL text.

``bbox_sql(bbox, points_only=False)``
    boolean: the record's geometry meets ``bbox`` (across the antimeridian: either part);
    ``points_only`` for a layer of points only (no per-row geometry type test).
``filters_sql(layer, filters, queryables=QUERYABLES)``
    boolean (for a WHERE: NULL where false): every term of a ``Filters`` holds
    (``webapp.queryables``: enum and boolean terms "any of", over one or more properties each
    holding a value or a list; ``year`` "as of").
``where_sql(layer, where, queryables=QUERYABLES)``
    boolean: a parsed CQL2 filter (``webapp.filtering.Filter``) holds.
``matching_sql(layer, bbox=None, filters=None, where=None, queryables=QUERYABLES, points_only=False)``
    the AND of the three (TRUE when there is nothing to test).
``bbox_bounds_sql(bbox)``
    ``bbox_sql`` for a points-only layer without the GiST index's test (a scan in ``ord`` order).
``bbox_count_sql(layer, bbox, narrow, counts)``
    a ``SELECT`` of the exact number of a points-only layer's points in ``bbox``, from the
    loader's count grid and narrow table (``geo.load_counts``): whole cells summed, the rim
    counted.
``sortby_sql(layer, sortby, queryables=QUERYABLES)``
    an ``ORDER BY`` list (without the keywords): the sort keys, records without a value last
    either way, then ``ord``; ``ORDER BY ord`` when ``sortby`` is empty.

The loader's GIN index on the whole ``props`` (``geo.load.props_index``, ``jsonb_path_ops``)
answers the containment tests of the filters and of CQL2's = and IN; the GiST index on ``geom``
answers the bbox.

The answers are those of the files provider (``webapp.providers.files`` and
``webapp.filtering``, the reference), row for row; tests/postgis/test_pgsql.py checks every
CQL2 case of tests/webapp/test_cql2.py and every queryable combination. How each rule is kept:

- Two-valued logic: under a NOT every test is TRUE or FALSE, never NULL (``CASE … ELSE false``,
  ``EXISTS``, ``coalesce``), so ``NOT`` inverts exactly as the numpy masks do; elsewhere an
  equality may be NULL where false, which keeps it a containment test the index answers
  (``condition_sql``). So the clauses are for WHERE (or AND with other clauses), not for a
  select list.
- = and IN without CASEI/ACCENTI are jsonb containment of the whole column
  (``props @> '{"p": "value"}' OR props @> '{"p": ["value"]}'``), which the loader's GIN index
  on ``props`` answers.
- A queryable's values are those of its properties' JSON values of its type, a list counting
  as its items (one level); a value of another type counts as none.
- Strings compare in code-point order (``COLLATE "C"`` on a UTF-8 database), numbers as float8
  (as numpy's float64 columns), booleans only with = and <>.
- ``CASEI`` is ICU's root lower-casing (``COLLATE "und-x-icu"``), which is the Unicode default
  full lower-casing that Python's ``str.lower`` also applies (final sigma, dotted I);
  ``ACCENTI`` is NFD, removing the nonspacing marks (category Mn, ranges taken from Python's
  ``unicodedata``), NFC. Both need nothing beyond core PostgreSQL with ICU. They could differ
  from Python only where PostgreSQL's or ICU's Unicode version differs from Python's; the test
  folds every code point both ways and finds no difference (PostgreSQL 15, ICU 72, Python 3.11).
- ``LIKE`` becomes a PostgreSQL ``LIKE`` whose pattern is rewritten from CQL2's escapes.
- The spatial functions ask PostGIS (GEOS) the same predicate, with the literal geometry (after
  ``make_valid``) sent as WKB: no rounding.
- Known differences, in data the validator refuses: a number beyond 2**53 compares as an exact
  decimal in = and IN (as float64 in Python), and a float year written with an exponent (1e16)
  reads as a whole year.

Output CRSs (Part 2) stay in Python (``webapp.ogcapi.crs`` on the page's features): PostGIS's
``ST_Transform`` agrees with pyproj within 2e-9 m for every supported CRS, but the provider
serves the stored feature bytes, and writing GeoJSON in SQL would change how numbers are
written.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Iterable, Mapping
from functools import cache

import shapely
from psycopg import sql
from psycopg.types.json import Jsonb

from geo.load_counts import CELLS_PER_DEGREE, cell_ranges, inner_cells
from webapp import filtering
from webapp.filtering import BOOLEAN, INTEGER, NUMBER, STRING, Queryable
from webapp.providers.base import Bbox, Filters, bbox_parts

TRUE = sql.SQL("true")
FALSE = sql.SQL("false")
_PROPS = sql.Identifier("props")
_GEOM = sql.Identifier("geom")
_ORD = sql.Identifier("ord")
# The JSON type of each queryable type's values (jsonb_typeof).
_JSON_TYPES = {STRING: "string", INTEGER: "number", NUMBER: "number", BOOLEAN: "boolean"}
_SQL_OPERATORS = {op: sql.SQL(op) for op in ("=", "<>", "<", "<=", ">", ">=")}
# The predicate ``p(literal, record)`` of a filtering.Spatial condition, as a PostGIS function.
_ST_FUNCTIONS = {
    "intersects": "st_intersects",
    "within": "st_within",
    "contains": "st_contains",
    "touches": "st_touches",
    "crosses": "st_crosses",
    "overlaps": "st_overlaps",
    "equals": "st_equals",
}


def _default_queryables(queryables):
    if queryables is None:
        from webapp.queryables import QUERYABLES

        return QUERYABLES
    return queryables


def _and(parts: Iterable[sql.Composable]) -> sql.Composable:
    parts = [part for part in parts if part is not TRUE]
    if not parts:
        return TRUE
    if len(parts) == 1:
        return parts[0]
    return sql.SQL("({})").format(sql.SQL(" AND ").join(sql.SQL("({})").format(p) for p in parts))


def _or(parts: Iterable[sql.Composable]) -> sql.Composable:
    parts = list(parts)
    if not parts:
        return FALSE
    if len(parts) == 1:
        return parts[0]
    return sql.SQL("({})").format(sql.SQL(" OR ").join(sql.SQL("({})").format(p) for p in parts))


def _property(name: str) -> sql.Composable:
    """``props -> 'name'``: the JSON value of one served property (NULL when the record lacks it)."""
    return sql.SQL("({} -> {})").format(_PROPS, sql.Literal(name))


# ---- bbox -----------------------------------------------------------------------------------


def _envelope(box: Bbox) -> sql.Composable:
    return sql.SQL("st_makeenvelope({}, {}, {}, {}, 4326)").format(*(sql.Literal(float(v)) for v in box))


def bbox_sql(bbox: Bbox | None, points_only: bool = False) -> sql.Composable:
    """The records whose geometry intersects ``bbox`` (minLon > maxLon: across the antimeridian).

    A point is tested against the box's bounds (boundary included), as the files provider's
    envelope query does; other geometries with ``ST_Intersects`` (GEOS, as shapely). In a layer
    of points only (``_meta_layers.points_only``) the test is the bounds alone, without asking
    each row its geometry type. ``geom && envelope`` (the GiST index's test) stays in front but
    cannot stand alone: it compares float4 boxes rounded outwards, so it also keeps points a few
    millionths of a degree outside.
    """
    if bbox is None:
        return TRUE
    parts = []
    for box in bbox_parts(bbox):
        min_lon, min_lat, max_lon, max_lat = (sql.Literal(float(v)) for v in box)
        envelope = _envelope(box)
        in_bounds = "st_x({geom}) BETWEEN {min_lon} AND {max_lon} AND st_y({geom}) BETWEEN {min_lat} AND {max_lat}"
        if points_only:
            test = sql.SQL("({geom} && {envelope} AND " + in_bounds + ")")
        else:
            if box[0] == box[2] or box[1] == box[3]:
                # A box without area: GEOS (shapely) reads it as the segment or point it is; PostGIS's
                # ST_Intersects with such a polygon finds nothing, so it is given the segment.
                envelope = _geometry_literal(
                    shapely.LineString([box[:2], box[2:]]) if box[:2] != box[2:] else shapely.Point(box[:2])
                )
            test = sql.SQL(
                "({geom} && {envelope} AND CASE WHEN st_geometrytype({geom}) = 'ST_Point' THEN "
                + in_bounds
                + " ELSE st_intersects({geom}, {envelope}) END)"
            )
        parts.append(
            test.format(
                geom=_GEOM, envelope=envelope, min_lon=min_lon, max_lon=max_lon, min_lat=min_lat, max_lat=max_lat
            )
        )
    return _or(parts)


def _in_bounds(box: Bbox) -> sql.Composable:
    min_lon, min_lat, max_lon, max_lat = (sql.Literal(float(v)) for v in box)
    return sql.SQL("(st_x({g}) BETWEEN {} AND {} AND st_y({g}) BETWEEN {} AND {})").format(
        min_lon, max_lon, min_lat, max_lat, g=_GEOM
    )


def bbox_bounds_sql(bbox: Bbox) -> sql.Composable:
    """The points of a points-only layer in ``bbox`` by their coordinates alone, without the
    ``geom && envelope`` test the GiST index answers: for a scan in ``ord`` order (the primary
    key) that stops at the page's last match, which the planner would otherwise swap for the
    whole bbox through the index. Exactly the rows of ``bbox_sql(bbox, points_only=True)``."""
    return _or(_in_bounds(box) for box in bbox_parts(bbox))


def bbox_count_sql(layer: str, bbox: Bbox, narrow: sql.Composable, counts: sql.Composable) -> sql.Composable:
    """``SELECT`` the number of points of ``layer`` (points only) in ``bbox``, bounds included, as
    ``count(*)`` over ``bbox_sql(bbox, points_only=True)`` gives it.

    ``narrow`` is the layer's ``_bbox_<layer>`` table and ``counts`` the version's ``_counts``
    (``geo.load_counts``). For each part of the box (two across the antimeridian, which share no
    point): the cells lying wholly inside it are summed, each rectangle of cells from the
    coarsest grid that fits (``cell_ranges``), and the points of the box outside the finest
    cells inside it (``inner_cells``) are counted, found through the GiST index by the four
    strips around them. The cells' edges are exact float8 values (a power-of-two grid), compared as the loader
    assigned the points: nothing is counted twice or missed.
    """
    parts = []
    for box in bbox_parts(bbox):
        inner = inner_cells(box)
        if inner is None:
            parts.append(sql.SQL("(select count(*) from {} where {})").format(narrow, bbox_sql(box, points_only=True)))
            continue
        cx0, cy0, cx1, cy1 = inner
        min_lon, min_lat, max_lon, max_lat = (float(v) for v in box)
        x_lo, y_lo = cx0 / CELLS_PER_DEGREE, cy0 / CELLS_PER_DEGREE
        x_hi, y_hi = (cx1 + 1) / CELLS_PER_DEGREE, (cy1 + 1) / CELLS_PER_DEGREE
        strips = (
            (min_lon, min_lat, x_lo, max_lat),
            (x_hi, min_lat, max_lon, max_lat),
            (x_lo, min_lat, x_hi, y_lo),
            (x_lo, y_hi, x_hi, max_lat),
        )
        near_rim = _or(sql.SQL("{} && {}").format(_GEOM, _envelope(strip)) for strip in strips)
        in_cells = sql.SQL("(st_x({g}) >= {} AND st_x({g}) < {} AND st_y({g}) >= {} AND st_y({g}) < {})").format(
            *(sql.Literal(v) for v in (x_lo, x_hi, y_lo, y_hi)), g=_GEOM
        )
        for per_degree, rx0, ry0, rx1, ry1 in cell_ranges(box):
            parts.append(
                sql.SQL(
                    "(select coalesce(sum(n), 0) from {} where layer = {} AND per_degree = {} "
                    "AND cx BETWEEN {} AND {} AND cy BETWEEN {} AND {})"
                ).format(counts, sql.Literal(layer), *(sql.Literal(v) for v in (per_degree, rx0, rx1, ry0, ry1)))
            )
        parts.append(
            sql.SQL("(select count(*) from {} where {} AND {} AND NOT {})").format(
                narrow, near_rim, _in_bounds(box), in_cells
            )
        )
    return sql.SQL("select {}").format(sql.SQL(" + ").join(parts))


# ---- the queryables' table filters ------------------------------------------------------------


def _param(queryables, name: str):
    for param in queryables:
        if param.name == name and param.queryable:
            return param
    return None


def _year_of(value: sql.Composable) -> sql.Composable:
    """The JSON ``value`` as a year when it is a whole JSON number (as the files provider reads
    years: an integer, not a float such as 2020.0), else NULL."""
    return sql.SQL(
        "(CASE WHEN jsonb_typeof({value}) = 'number' AND scale(({value})::numeric) = 0 THEN ({value})::numeric END)"
    ).format(value=value)


def _as_of(prop: str, year) -> sql.Composable:
    """The year in ``prop`` is ``year`` or earlier, or the record has none."""
    return sql.SQL("coalesce({year} <= {wanted}, true)").format(
        year=_year_of(_property(prop)), wanted=sql.Literal(int(year))
    )


def _holds(prop: str, value) -> sql.Composable:
    """``prop`` is ``value`` or a list holding it, as containment of the whole ``props``, which
    the loader's one GIN index (``geo.load.props_index``: ``props jsonb_path_ops``) answers.

    ``{"p": x} @> {"p": v}`` holds when ``x`` is ``v``; ``{"p": x} @> {"p": [v]}`` when ``x`` is
    a list holding ``v`` (nested, a scalar does not stand for a one-item list as it does at the
    top level), so the two together are ``props -> 'p' @> v``, and false, not NULL, when the
    record lacks ``p``.
    """
    return sql.SQL("({props} @> {scalar} OR {props} @> {listed})").format(
        props=_PROPS, scalar=sql.Literal(Jsonb({prop: value})), listed=sql.Literal(Jsonb({prop: [value]}))
    )


def _json_equals(value) -> list:
    """The JSON values equal to ``value`` as Python compares a filter's values (True == 1 == 1.0)."""
    if isinstance(value, bool):
        return [value, int(value)]
    if isinstance(value, int | float):
        return [value, bool(value)] if value in (0, 1) else [value]
    return [value] if isinstance(value, str) else []


def filters_sql(layer: str, filters: Filters | None, queryables=None) -> sql.Composable:
    """The records matching every term of ``filters`` (``webapp.queryables`` rows ``queryables``).

    An enum or boolean term: one of its properties holds one of the wanted values (a property
    may hold a list); a ``year`` term: the year is the wanted one or earlier, or there is none.
    A name that is not a queryable matches nothing. ``layer`` is not needed: a record lacking
    a property never matches it.
    """
    del layer  # the same SQL for every layer
    queryables = _default_queryables(queryables)
    terms = []
    for name, wanted in filters.terms if filters is not None else ():
        param = _param(queryables, name)
        if param is None:
            terms.append(FALSE)
        elif param.kind == "year":
            terms.append(_as_of(param.properties[0], wanted[0]))
        else:
            values = [json for v in wanted for json in _json_equals(v)]
            terms.append(_or(_holds(prop, v) for prop in param.properties for v in values))
    return _and(terms)


# ---- CQL2 -----------------------------------------------------------------------------------


@cache
def _nonspacing_marks() -> str:
    """A regular expression class of every nonspacing mark (category Mn) in Python's Unicode."""
    ranges, start, previous = [], None, None
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code)) == "Mn":
            if start is None:
                start = code
            elif code != previous + 1:
                ranges.append((start, previous))
                start = code
            previous = code
    ranges.append((start, previous))

    def escape(code: int) -> str:
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"

    return "[" + "".join(escape(a) if a == b else f"{escape(a)}-{escape(b)}" for a, b in ranges) + "]"


def fold_sql(text: sql.Composable, folds: frozenset) -> sql.Composable:
    """``text`` with ACCENTI (first) and CASEI applied, as ``filtering._fold`` does in Python."""
    if "accenti" in folds:
        text = sql.SQL("normalize(regexp_replace(normalize({}, NFD), {}, '', 'g'), NFC)").format(
            text, sql.Literal(_nonspacing_marks())
        )
    if "casei" in folds:
        text = sql.SQL('lower({} COLLATE "und-x-icu")').format(text)
    return text


def _typed(value_json: sql.Composable, type_: str, folds: frozenset = frozenset()) -> sql.Composable:
    """A JSON value known to be of ``type_``'s JSON type, as an SQL value that compares as
    filtering's columns do (strings in code-point order, numbers as float64)."""
    if type_ == STRING:
        return sql.SQL('({} COLLATE "C")').format(fold_sql(sql.SQL("({} #>> '{{}}')").format(value_json), folds))
    if type_ == BOOLEAN:
        return sql.SQL("({})::boolean").format(value_json)
    return sql.SQL("({})::float8").format(value_json)


def _any_value(queryable: Queryable | None, test, folds: frozenset = frozenset()) -> sql.Composable:
    """Some value of ``queryable`` passes ``test`` (a function of the typed SQL value): one of its
    properties holds a value of its type that passes, or a list with such an item."""
    if queryable is None:  # a name this layer's records do not have
        return FALSE
    json_type = sql.Literal(_JSON_TYPES[queryable.type])
    parts = []
    for prop in queryable.properties:
        # props -> 'p' is written out where it is used: a one-row sub-select reading it once
        # costs more per row (a SubPlan) than reading props again.
        value = _property(prop)
        item = sql.SQL("item.value")
        parts.append(
            sql.SQL(
                "(CASE jsonb_typeof({value}) WHEN {json_type} THEN {scalar} "
                "WHEN 'array' THEN EXISTS (SELECT FROM jsonb_array_elements({value}) AS item "
                "WHERE jsonb_typeof(item.value) = {json_type} AND {in_list}) ELSE false END)"
            ).format(
                value=value,
                json_type=json_type,
                scalar=test(_typed(value, queryable.type, folds)),
                in_list=test(_typed(item, queryable.type, folds)),
            )
        )
    return _or(parts)


def _literal(value, type_: str) -> sql.Composable:
    if type_ == STRING:
        return sql.SQL('({}::text COLLATE "C")').format(sql.Literal(value))
    if type_ == BOOLEAN:
        return sql.SQL("{}::boolean").format(sql.Literal(bool(value)))
    return sql.SQL("{}::float8").format(sql.Literal(float(value)))


def _without_nul(op: str, value):
    """A comparison with a string holding NUL (which no stored string can hold) as an
    equivalent one without it: (op, value), or a constant bool."""
    if not isinstance(value, str) or "\x00" not in value:
        return op, value
    prefix = value[: value.index("\x00")]
    # A string without NUL is below prefix + "\0" + … exactly when it is at most the prefix.
    return {"=": False, "<>": ("<>", None), "<": ("<=", prefix), "<=": ("<=", prefix)}.get(op, (">", prefix))


def _contains_any(queryable: Queryable | None, wanted, positive: bool) -> sql.Composable:
    """A value of ``queryable`` equals one of ``wanted``: jsonb containment (a scalar contains an
    equal scalar of the same JSON type, a list its items), as ``filters_sql`` tests its terms.

    ``_holds`` is false for a record without the property (``props`` is never NULL); under a NOT
    (not ``positive``) the test is wrapped in ``coalesce(…, false)`` all the same, so it stays
    two-valued whatever the column holds. Unwrapped, it is a test the GIN index on ``props`` answers.
    """
    if queryable is None:
        return FALSE
    found = _or(_holds(prop, value) for prop in queryable.properties for value in dict.fromkeys(wanted))
    return found if positive else sql.SQL("coalesce({}, false)").format(found)


def _compare(queryable: Queryable | None, op: str, value, folds: frozenset, positive: bool) -> sql.Composable:
    if op == "=" and not folds and not (isinstance(value, str) and "\x00" in value):
        return _contains_any(queryable, [value], positive)
    replaced = _without_nul(op, value)
    if replaced is False:
        return FALSE
    op, value = replaced
    if op == "<>" and value is None:  # every value differs from an impossible string
        return _any_value(queryable, lambda _v: TRUE, folds)
    return _any_value(
        queryable,
        lambda v: sql.SQL("{} {} {}").format(v, _SQL_OPERATORS[op], _literal(value, queryable.type)),
        folds,
    )


def like_pattern(pattern: str) -> str:
    """A CQL2 LIKE pattern (% _ and \\ escapes) as a PostgreSQL LIKE pattern (escape \\)."""
    out, chars = [], iter(pattern)
    for char in chars:
        if char == "\\":
            char = next(chars, "\\")
            out.append("\\" + char if char in "%_\\" else char)
        else:
            out.append(char)
    return "".join(out)


def _like(queryable: Queryable | None, pattern: str, folds: frozenset) -> sql.Composable:
    if "\x00" in pattern:  # a literal NUL: no stored string holds one
        return FALSE
    return _any_value(
        queryable,
        lambda v: sql.SQL("{} LIKE {}").format(v, _literal(like_pattern(pattern), STRING)),
        folds,
    )


def _among(queryable: Queryable | None, wanted: tuple, folds: frozenset, positive: bool) -> sql.Composable:
    if queryable is None:
        return FALSE
    wanted = tuple(v for v in wanted if not (isinstance(v, str) and "\x00" in v))
    if not wanted:
        return FALSE
    if not folds:
        return _contains_any(queryable, wanted, positive)
    array = sql.SQL("ARRAY[{}]").format(sql.SQL(", ").join(_literal(v, queryable.type) for v in wanted))
    return _any_value(queryable, lambda v: sql.SQL("{} = ANY({})").format(v, array), folds)


def _geometry_literal(geometry) -> sql.Composable:
    return sql.SQL("st_geomfromwkb({}, 4326)").format(sql.Literal(shapely.to_wkb(geometry)))


def condition_sql(condition, queryables: Mapping[str, Queryable], positive: bool = True) -> sql.Composable:
    """A ``filtering.Condition`` as a boolean SQL expression over a layer table, for a WHERE clause.

    Under an even number of NOTs (``positive``) a test may be NULL where it is false: in
    Kleene's logic AND and OR never turn such a NULL into TRUE, so the WHERE keeps the same rows.
    Under an odd number every test is TRUE or FALSE, so NOT inverts it exactly.
    """
    match condition:
        case filtering.Constant(value):
            return TRUE if value else FALSE
        case filtering.And(left, right):
            return sql.SQL("({} AND {})").format(
                condition_sql(left, queryables, positive), condition_sql(right, queryables, positive)
            )
        case filtering.Or(left, right):
            return sql.SQL("({} OR {})").format(
                condition_sql(left, queryables, positive), condition_sql(right, queryables, positive)
            )
        case filtering.Not(inner):
            return sql.SQL("(NOT {})").format(condition_sql(inner, queryables, not positive))
        case filtering.Compare(name, op, value, folds):
            return _compare(queryables.get(name), op, value, folds, positive)
        case filtering.Like(name, pattern, folds):
            return _like(queryables.get(name), pattern, folds)
        case filtering.Among(name, wanted, folds):
            return _among(queryables.get(name), wanted, folds, positive)
        case filtering.IsNull(name):
            return sql.SQL("(NOT {})").format(_any_value(queryables.get(name), lambda _v: TRUE))
        case filtering.Spatial(predicate, geometry):
            function = sql.Identifier(_ST_FUNCTIONS[predicate])
            return sql.SQL("{}({}, {})").format(function, _geometry_literal(geometry), _GEOM)
    raise TypeError(f"not a filter condition: {condition!r}")


def layer_queryables(layer: str, queryables=None) -> dict[str, Queryable]:
    """The CQL2 names of ``layer`` (``filtering.queryables_for`` over the table ``queryables``)."""
    return filtering.queryables_for(layer, _default_queryables(queryables))


def where_sql(layer: str, where: filtering.Filter | None, queryables=None) -> sql.Composable:
    """The records of ``layer`` matching the CQL2 filter ``where`` (TRUE when None)."""
    if where is None:
        return TRUE
    return condition_sql(where.condition, layer_queryables(layer, queryables))


def matching_sql(
    layer: str,
    bbox: Bbox | None = None,
    filters: Filters | None = None,
    where: filtering.Filter | None = None,
    queryables=None,
    points_only: bool = False,
) -> sql.Composable:
    """The records of ``layer`` in ``bbox`` matching ``filters`` and ``where``: one WHERE clause
    (``points_only``: every record of the layer is a point, see ``bbox_sql``)."""
    return _and(
        [
            filters_sql(layer, filters, queryables),
            bbox_sql(bbox, points_only),
            where_sql(layer, where, queryables),
        ]
    )


# ---- sortby ---------------------------------------------------------------------------------


def sort_key(queryable: Queryable) -> sql.Composable:
    """A record's value of a one-property queryable as a sort key (NULL when it has none).

    A list sorts by its last item of the type, as ``filtering.Column.sort_rank`` ranks it (the
    last of a record's values is the one its rank keeps).
    """
    (prop,) = queryable.properties
    value = _property(prop)
    json_type = sql.Literal(_JSON_TYPES[queryable.type])
    item = sql.SQL("item.value")
    return sql.SQL(
        "(CASE jsonb_typeof({value}) WHEN {json_type} THEN {scalar} WHEN 'array' THEN "
        "(SELECT {typed} FROM jsonb_array_elements({value}) WITH ORDINALITY AS item(value, n) "
        "WHERE jsonb_typeof(item.value) = {json_type} ORDER BY item.n DESC LIMIT 1) END)"
    ).format(
        value=value,
        json_type=json_type,
        scalar=_typed(value, queryable.type),
        typed=_typed(item, queryable.type),
    )


def sortby_sql(layer: str, sortby: Iterable[tuple[str, bool]] = (), queryables=None) -> sql.Composable:
    """An ORDER BY list for ``sortby`` (``(name, descending)`` pairs, as ``filtering.parse_sortby``
    gives): records without a value last either way, ties in id order (``ord``)."""
    named = layer_queryables(layer, queryables)
    keys = []
    for name, descending in sortby:
        queryable = named.get(name)
        if queryable is None or not queryable.sortable:
            continue  # no record has a value: every record ties
        direction = sql.SQL("DESC NULLS LAST" if descending else "ASC NULLS LAST")
        keys.append(sql.SQL("{} {}").format(sort_key(queryable), direction))
    keys.append(_ORD)
    return sql.SQL(", ").join(keys)
