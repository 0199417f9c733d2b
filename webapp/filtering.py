"""OGC API – Features Part 3: CQL2 filters (text and JSON) and ``sortby``, evaluated on a layer's columns.

``queryables_for`` says which names a layer's filters may use: the queryables of the one
table (``webapp.queryables``) and the record's scalar properties (``geo.flat``), plus its
``geometry``. ``parse_filter`` parses a filter with pygeofilter, checks every name, type and
operator against them (every problem is a 400 naming what is wrong) and compiles the tree
into a checked ``Condition`` tree. The files provider evaluates it on a layer's ``Columns``
(numpy arrays of each queryable's values, and a spatial index): a request is then a few
vectorised comparisons and index look-ups, and no feature is parsed. The PostGIS provider
translates the same tree into SQL (``webapp.providers.pgsql``).

The rules, as docs/ogcapi.md states them:

- A queryable whose record holds no value (null, or a property the layer lacks) matches no
  comparison, ``LIKE``, ``IN`` or ``BETWEEN``; ``IS NULL`` finds it; ``NOT`` inverts the
  result (two-valued logic, as the map's and the downloads' filters).
- A queryable read from several properties or a list (the table's ``jurisdiction`` on a
  link reads both ends) matches when any of its values does.
- ``LIKE`` patterns use ``%`` (any run of characters) and ``_`` (one character), ``\\``
  escapes; it is case-sensitive unless ``CASEI`` wraps both sides; ``ACCENTI`` drops accents.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

import numpy as np
import orjson
import shapely
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json import parse as parse_cql2_json
from pygeofilter.parsers.cql2_text import parse as parse_cql2_text
from shapely.geometry import shape

from geo import flat
from geo.schema import CRS_URI
from webapp.errors import InvalidParameter
from webapp.providers.base import bbox_parts

FILTER_LANGS = ("cql2-text", "cql2-json")
DEFAULT_FILTER_LANG = "cql2-text"
# GDAL (3.12 and before) pushes a -where clause to the server only when filter-lang offers the
# pre-standard draft's "cql-text", and then writes its filter in it: comparisons, LIKE, ILIKE,
# IS NULL, AND/OR/NOT. It is read as CQL2 text, with ILIKE as CASEI(…) LIKE CASEI(…).
GDAL_FILTER_LANG = "cql-text"
ACCEPTED_FILTER_LANGS = (*FILTER_LANGS, GDAL_FILTER_LANG)
# The data is stored in CRS84; filter-crs may say so (other CRSs: OGC API – Features Part 2, not here).
FILTER_CRSS = (CRS_URI,)
MAX_FILTER_CHARS = 10_000
GEOMETRY = "geometry"  # the name of a feature's geometry in a filter (the spatial queryable)

STRING, INTEGER, NUMBER, BOOLEAN = flat.STRING, flat.INTEGER, flat.NUMBER, flat.BOOLEAN
# The table's kinds of queryable and the JSON type of their values.
_KIND_TYPES = {"enum": STRING, "boolean": BOOLEAN, "year": INTEGER, "number": NUMBER}
# Long free text in three languages is what /api/search is for; filters work on a record's facts
# (the flat provenance columns, source_quotes and the like, are kept: LIKE finds a source).
_FREE_TEXT = ("description_", "coord_source")


@dataclass(frozen=True)
class Queryable:
    """A name a filter may use: its JSON type and the properties its values are read from."""

    name: str
    type: str
    properties: tuple[str, ...]
    description: str = ""

    @property
    def sortable(self) -> bool:
        """One property, one value per record: something to sort by."""
        return self.properties == (self.name,)


def record_properties(layer: str) -> dict[str, flat.Field]:
    """The scalar properties a ``layer`` record carries (``geo.flat``, the one typed schema)."""
    return {f.name: f for f in flat.scalar_fields(layer) if not f.name.startswith(_FREE_TEXT)}


def queryables_for(layer: str, table: Iterable) -> dict[str, Queryable]:
    """The names a filter on ``layer`` may use: the table's queryables of the layer (``table``:
    ``webapp.queryables.Param`` rows), then the layer's other scalar properties."""
    found: dict[str, Queryable] = {}
    for param in table:
        if layer in param.layers and param.kind in _KIND_TYPES:
            found[param.name] = Queryable(param.name, _KIND_TYPES[param.kind], tuple(param.properties))
    for name, field_ in record_properties(layer).items():
        found.setdefault(name, Queryable(name, field_.type, (name,), field_.description))
    return found


# ---- columns ---------------------------------------------------------------------------------


def _fold(text: str, folds: frozenset) -> str:
    if "accenti" in folds:
        text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
        text = unicodedata.normalize("NFC", text)
    if "casei" in folds:
        text = text.lower()
    return text


@dataclass(eq=False)
class Column:
    """A queryable's values in a layer, dictionary-encoded: entry ``i`` is the value
    ``distinct[codes[i]]`` of record ``rows[i]`` (records without a value have no entry; a
    list-valued record has several). ``distinct`` is sorted and holds each value once, so a
    test runs once per distinct value (a status column holds four), and its position is the
    value's rank for sorting."""

    type: str
    distinct: np.ndarray
    codes: np.ndarray
    rows: np.ndarray
    count: int
    _cache: dict = field(default_factory=dict, repr=False)

    def folded(self, folds: frozenset) -> np.ndarray:
        """The distinct values with CASEI/ACCENTI applied (strings; computed once per fold)."""
        if not folds:
            return self.distinct
        if folds not in self._cache:
            self._cache[folds] = np.array([_fold(str(v), folds) for v in self.distinct], dtype=self.distinct.dtype)
        return self._cache[folds]

    def records(self, hits: np.ndarray) -> np.ndarray:
        """Records (a boolean mask over all of them) with a value for which ``hits`` (one per
        distinct value) holds."""
        mask = np.zeros(self.count, dtype=bool)
        mask[self.rows[hits[self.codes]]] = True
        return mask

    def sort_rank(self, descending: bool) -> np.ndarray:
        """Each record's rank in this column's order (records without a value last, either way)."""
        key = ("rank", descending)
        if key not in self._cache:
            last = len(self.distinct)
            rank = np.full(self.count, last, dtype=np.int64)
            rank[self.rows] = (last - 1 - self.codes) if descending else self.codes
            self._cache[key] = rank
        return self._cache[key]


def build_column(per_record: Sequence[list], type_: str) -> Column:
    """A column of ``type_`` from each record's values (a value of another type counts as none)."""
    accept = {
        STRING: lambda v: isinstance(v, str),
        BOOLEAN: lambda v: isinstance(v, bool),
        INTEGER: lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        NUMBER: lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    }[type_]
    rows, found = [], []
    for index, record_values in enumerate(per_record):
        for value in record_values:
            if accept(value):
                rows.append(index)
                found.append(value)
    dtype = {STRING: np.dtypes.StringDType(), BOOLEAN: bool}.get(type_, float)
    distinct, codes = np.unique(np.array(found, dtype=dtype), return_inverse=True)
    return Column(type_, distinct, codes.astype(np.int32), np.array(rows, dtype=np.int32), len(per_record))


class Columns(Protocol):
    """What a provider offers a compiled filter for one layer."""

    count: int

    def column(self, name: str) -> Column:
        """The values of the queryable ``name`` (an empty column when the layer has none)."""

    def spatial_rows(self, geometry, predicate: str) -> np.ndarray:
        """Indices of the records whose geometry ``g`` has ``predicate(geometry, g)`` (STRtree
        predicates: intersects, within, contains, touches, crosses, overlaps; and equals)."""


# ---- compiling ------------------------------------------------------------------------------
#
# A filter is parsed and checked once into a ``Condition``: a small tree of the conditions below,
# whose names, types and literals are already checked (and literals folded). The files provider
# evaluates it on numpy columns (``Filter.mask``); the PostGIS provider translates the same tree
# into SQL (``webapp.providers.pgsql``), so both read one checked meaning of every filter.


@dataclass(frozen=True)
class Constant:
    """TRUE or FALSE (a literal alone, or a comparison of two literals)."""

    value: bool


@dataclass(frozen=True)
class And:
    left: Condition
    right: Condition


@dataclass(frozen=True)
class Or:
    left: Condition
    right: Condition


@dataclass(frozen=True)
class Not:
    inner: Condition


@dataclass(frozen=True)
class Compare:
    """A value of queryable ``name`` (CASEI/ACCENTI ``folds`` applied) ``op`` ``value`` (a string
    already folded, a float, or a bool with = or <>)."""

    name: str
    op: str
    value: object
    folds: frozenset = frozenset()


@dataclass(frozen=True)
class Like:
    """A string value of ``name`` (folded) matches the CQL2 LIKE ``pattern`` (already folded)."""

    name: str
    pattern: str
    folds: frozenset = frozenset()

    @cached_property
    def regex(self) -> re.Pattern:
        return like_regex(self.pattern)


@dataclass(frozen=True)
class Among:
    """A value of ``name`` (folded) is one of ``values`` (of the queryable's type, folded)."""

    name: str
    values: tuple
    folds: frozenset = frozenset()


@dataclass(frozen=True)
class IsNull:
    """The record has no value of ``name``'s type."""

    name: str


@dataclass(frozen=True)
class Spatial:
    """``predicate(geometry, record's geometry)`` holds (STRtree predicates, and equals)."""

    predicate: str
    geometry: object = field(compare=False)


Condition = Constant | And | Or | Not | Compare | Like | Among | IsNull | Spatial


@dataclass(frozen=True)
class Filter:
    """A parsed, checked filter: its ``condition`` tree and the text it was read from."""

    condition: Condition
    text: str

    def mask(self, columns: Columns) -> np.ndarray:
        """The boolean mask of the records of ``columns`` that match."""
        return evaluate(self.condition, columns)


def evaluate(condition: Condition, columns: Columns) -> np.ndarray:
    """``condition`` on a layer's columns: one boolean per record (two-valued: no value matches nothing)."""
    match condition:
        case Constant(value):
            return np.full(columns.count, value, dtype=bool)
        case And(left, right):
            return evaluate(left, columns) & evaluate(right, columns)
        case Or(left, right):
            return evaluate(left, columns) | evaluate(right, columns)
        case Not(inner):
            return ~evaluate(inner, columns)
        case Compare(name, op, value, folds):
            function = _OPERATORS[op]
            return _on(columns.column(name), folds, lambda found: function(found, value))
        case Like(name, _pattern, folds):
            column = columns.column(name)
            found, regex = column.folded(folds), condition.regex
            return column.records(np.fromiter((regex.fullmatch(v) is not None for v in found), bool, len(found)))
        case Among(name, wanted, folds):
            column = columns.column(name)
            return _on(column, folds, lambda found: np.isin(found, np.array(wanted, dtype=column.distinct.dtype)))
        case IsNull(name):
            column = columns.column(name)
            return ~column.records(np.ones(len(column.distinct), dtype=bool))
        case Spatial(predicate, geometry):
            hit = np.zeros(columns.count, dtype=bool)
            hit[columns.spatial_rows(geometry, predicate)] = True
            return hit
    raise TypeError(f"not a filter condition: {condition!r}")


def _error(message: str) -> InvalidParameter:
    return InvalidParameter(f"filter: {message}")


@dataclass(frozen=True)
class _Property:
    queryable: Queryable
    folds: frozenset = frozenset()


@dataclass(frozen=True)
class _Literal:
    value: object
    folds: frozenset = frozenset()


_FUNCTIONS = {"lower": "casei", "casei": "casei", "accenti": "accenti"}
_COMPARISONS = {
    ast.Equal: "=",
    ast.NotEqual: "<>",
    ast.LessThan: "<",
    ast.LessEqual: "<=",
    ast.GreaterThan: ">",
    ast.GreaterEqual: ">=",
}
_FLIPPED = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
# Each works on a numpy array (element-wise) and on two plain values alike.
_OPERATORS = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
# Spatial functions: their name and the predicate they ask of (first argument, second argument).
_SPATIAL = {
    ast.GeometryIntersects: ("S_INTERSECTS", "intersects"),
    ast.GeometryWithin: ("S_WITHIN", "within"),
    ast.GeometryContains: ("S_CONTAINS", "contains"),
    ast.GeometryTouches: ("S_TOUCHES", "touches"),
    ast.GeometryCrosses: ("S_CROSSES", "crosses"),
    ast.GeometryOverlaps: ("S_OVERLAPS", "overlaps"),
    ast.GeometryEquals: ("S_EQUALS", "equals"),
    ast.GeometryDisjoint: ("S_DISJOINT", "intersects"),  # then negated
}
_SHAPELY = {
    "intersects": shapely.intersects,
    "within": shapely.within,
    "contains": shapely.contains,
    "touches": shapely.touches,
    "crosses": shapely.crosses,
    "overlaps": shapely.overlaps,
    "equals": shapely.equals,
}


class _Compiler:
    def __init__(self, queryables: Mapping[str, Queryable], numeric_booleans: bool = False):
        self.queryables = queryables
        # GDAL's OGR SQL has no boolean literal: its cql-text compares a boolean field with 0 or 1.
        self.numeric_booleans = numeric_booleans

    def names(self) -> str:
        return ", ".join([*self.queryables, GEOMETRY])

    def predicate(self, node) -> Condition:
        if isinstance(node, bool):  # TRUE or FALSE alone
            return Constant(node)
        if isinstance(node, ast.And | ast.Or):
            left, right = self.predicate(node.lhs), self.predicate(node.rhs)
            return And(left, right) if isinstance(node, ast.And) else Or(left, right)
        if isinstance(node, ast.Not):
            return Not(self.predicate(node.sub_node))
        for kind, op in _COMPARISONS.items():
            if isinstance(node, kind):
                return self.comparison(node.lhs, op, node.rhs)
        if isinstance(node, ast.Like):
            return self.negated(self.like(node), node.not_)
        if isinstance(node, ast.In):
            return self.negated(self.among(node), node.not_)
        if isinstance(node, ast.Between):
            low, high = self.comparison(node.lhs, ">=", node.low), self.comparison(node.lhs, "<=", node.high)
            return self.negated(And(low, high), node.not_)
        if isinstance(node, ast.IsNull):
            return self.negated(self.is_null(node.lhs), node.not_)
        if type(node) in _SPATIAL:
            return self.spatial(node)
        if isinstance(node, ast.Node):
            raise _error(
                f"{_describe(node)} is not supported here; use comparisons (= <> < <= > >=), LIKE, IN, "
                "BETWEEN, IS NULL, AND/OR/NOT and the spatial functions (S_INTERSECTS …)"
            )
        raise _error(f"{node!r} is a value, not a condition: compare it, e.g. status = 'operating'")

    @staticmethod
    def negated(condition: Condition, negate: bool) -> Condition:
        return Not(condition) if negate else condition

    def operand(self, node, folds: frozenset = frozenset()):
        if isinstance(node, ast.Attribute):
            if node.name == GEOMETRY:
                raise _error("geometry is compared with the spatial functions (S_INTERSECTS(geometry, …))")
            if node.name not in self.queryables:
                raise _error(f"unknown property {node.name!r}; the queryables here are {self.names()}")
            return _Property(self.queryables[node.name], folds)
        if isinstance(node, ast.Function):
            fold = _FUNCTIONS.get(node.name.lower())
            if fold is None or len(node.arguments) != 1:
                raise _error(f"unknown function {node.name}(); CASEI and ACCENTI (one argument) are supported")
            return self.operand(node.arguments[0], folds | {fold})
        if isinstance(node, ast.Arithmetic):
            raise _error("arithmetic (+ - * /) is not supported; compare a property with a value")
        if isinstance(node, str):
            return _Literal(node.replace(_QUOTE, "'"), folds)
        if isinstance(node, bool | int | float):
            return _Literal(node, folds)
        raise _error(f"{_describe(node)} cannot be compared here; use a string, a number or true/false")

    def check_value(self, prop: _Property, literal: _Literal, op: str):
        """The literal as the column's type, or a 400 that says what the queryable holds."""
        value, kind, name = literal.value, prop.queryable.type, prop.queryable.name
        folds = prop.folds | literal.folds
        if folds and kind != STRING:
            raise _error(f"CASEI and ACCENTI apply to strings; {name} is a {kind}")
        if kind == STRING and isinstance(value, str):
            return _fold(value, folds)
        if kind in (INTEGER, NUMBER) and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if kind == BOOLEAN and self.numeric_booleans and type(value) is int and value in (0, 1):
            value = bool(value)
        if kind == BOOLEAN and isinstance(value, bool):
            if op not in ("=", "<>"):
                raise _error(f"{name} is a boolean: compare it with = or <>")
            return value
        raise _error(f"{name} is a {kind}; {value!r} is not (write strings in single quotes, booleans as true/false)")

    def comparison(self, lhs, op: str, rhs) -> Condition:
        left, right = self.operand(lhs), self.operand(rhs)
        if isinstance(left, _Literal) and isinstance(right, _Property):
            left, right, op = right, left, _FLIPPED[op]
        if isinstance(right, _Property):
            raise _error("comparing two properties is not supported; compare a property with a value")
        if isinstance(left, _Literal):
            return Constant(self.literals(left, op, right))
        value = self.check_value(left, right, op)
        return Compare(left.queryable.name, op, value, left.folds | right.folds)

    @staticmethod
    def literals(left: _Literal, op: str, right: _Literal) -> bool:
        a, b = left.value, right.value
        folds = left.folds | right.folds
        if isinstance(a, str) and isinstance(b, str):
            return bool(_OPERATORS[op](_fold(a, folds), _fold(b, folds)))
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b))
        if numbers or (isinstance(a, bool) and isinstance(b, bool) and op in ("=", "<>")):
            return bool(_OPERATORS[op](a, b))
        raise _error(f"{a!r} {op} {b!r} compares values of different types")

    def like(self, node: ast.Like) -> Condition:
        prop, pattern = self.operand(node.lhs), self.operand(node.pattern)
        if not isinstance(prop, _Property) or not isinstance(pattern, _Literal) or not isinstance(pattern.value, str):
            raise _error("LIKE needs a property on the left and a pattern string on the right: name_en LIKE 'Sh%'")
        if prop.queryable.type != STRING:
            raise _error(f"LIKE matches strings; {prop.queryable.name} is a {prop.queryable.type}")
        folds = prop.folds | pattern.folds
        return Like(prop.queryable.name, _fold(pattern.value, folds), folds)

    def among(self, node: ast.In) -> Condition:
        prop = self.operand(node.lhs)
        if not isinstance(prop, _Property):
            raise _error("IN needs a property on the left: status IN ('planned', 'proposed')")
        items = [self.operand(item) for item in node.sub_nodes]
        if not items or not all(isinstance(item, _Literal) for item in items):
            raise _error("IN takes a list of values: status IN ('planned', 'proposed')")
        wanted = [self.check_value(prop, item, "=") for item in items]
        folds = prop.folds | frozenset().union(*(item.folds for item in items))
        return Among(prop.queryable.name, tuple(wanted), folds)

    def is_null(self, node) -> Condition:
        prop = self.operand(node)
        if not isinstance(prop, _Property):
            return Constant(False)  # a literal is never null (CQL2 has no NULL literal)
        return IsNull(prop.queryable.name)

    def spatial(self, node) -> Condition:
        function, predicate = _SPATIAL[type(node)]
        negate = function == "S_DISJOINT"
        sides = [_is_geometry_property(node.lhs), _is_geometry_property(node.rhs)]
        if all(sides):
            raise _error(f"{function} of geometry with itself: give a geometry literal as the other argument")
        if not any(sides):
            first, second = (self.geometry_literal(arg, function) for arg in (node.lhs, node.rhs))
            return Constant(bool(_SHAPELY[predicate](first, second)) != negate)
        literal = self.geometry_literal(node.rhs if sides[0] else node.lhs, function)
        # The index is asked predicate(literal, feature): the converse when the feature comes first.
        asked = _converse(predicate) if sides[0] else predicate
        return self.negated(Spatial(asked, literal), negate)

    def geometry_literal(self, node, function: str):
        if isinstance(node, ast.Attribute):
            raise _error(f"{function}: {node.name!r} is not a geometry; the spatial queryable is {GEOMETRY}")
        try:
            if isinstance(node, ast.Function) and node.name.lower() == "bbox":
                return _box(node.arguments)
            if isinstance(node, values.Geometry | values.Envelope):
                geometry = shape(node.__geo_interface__)
            else:
                raise _error(f"{function} compares geometry with a geometry (POINT(…), POLYGON(…), BBOX(…))")
        except InvalidParameter:
            raise
        except (ValueError, TypeError, IndexError, KeyError, AttributeError, shapely.errors.ShapelyError) as exc:
            raise _error(f"{function}: not a valid geometry ({exc})") from None
        if geometry.is_empty or not np.isfinite(shapely.get_coordinates(geometry)).all():
            raise _error(f"{function}: the geometry is empty or has coordinates that are not finite numbers")
        return geometry if geometry.is_valid else shapely.make_valid(geometry)


def _converse(predicate: str) -> str:
    """``p`` such that p(b, a) is ``predicate``(a, b)."""
    return {"within": "contains", "contains": "within"}.get(predicate, predicate)


def _is_geometry_property(node) -> bool:
    return isinstance(node, ast.Attribute) and node.name == GEOMETRY


def _box(arguments) -> object:
    numbers = [a for a in arguments if isinstance(a, int | float) and not isinstance(a, bool)]
    if len(numbers) != len(arguments) or len(numbers) not in (4, 6):
        raise _error("BBOX takes 4 numbers (minLon, minLat, maxLon, maxLat) or 6 with heights")
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if not np.isfinite(numbers).all() or numbers[1] > numbers[3]:
        raise _error("BBOX: the numbers must be finite and minLat at most maxLat")
    # minLon above maxLon: a box across the antimeridian, as for the bbox parameter.
    parts = [shapely.box(*part) for part in bbox_parts(tuple(float(n) for n in numbers))]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _on(column: Column, folds: frozenset, test: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """The records with a value that passes ``test``, run once on the column's distinct values."""
    return column.records(np.asarray(test(column.folded(folds)), dtype=bool))


def _describe(node) -> str:
    return type(node).__name__


def like_regex(pattern: str) -> re.Pattern:
    """A CQL2 LIKE pattern as a regular expression: % any run, _ one character, \\ escapes."""
    out, chars = [], iter(pattern)
    for char in chars:
        if char == "\\":
            out.append(re.escape(next(chars, "\\")))
        elif char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        else:
            out.append(re.escape(char))
    return re.compile("".join(out), re.DOTALL)


# ---- parsing --------------------------------------------------------------------------------


def _standard_json(node):
    """CQL2 JSON as pygeofilter 0.4 reads it: ``between`` with its two bounds in one list and a
    ``bbox`` as a polygon (its parser reads those two in an older draft's shape)."""
    if isinstance(node, list):
        return [_standard_json(item) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"bbox"}:
        box = node["bbox"]
        if not isinstance(box, list):
            raise _error("a bbox is a list of 4 or 6 numbers")
        geometry = _box(box)
        return shapely.geometry.mapping(geometry)
    node = {key: _standard_json(value) for key, value in node.items()}
    args = node.get("args")
    if node.get("op") == "between" and isinstance(args, list) and len(args) == 3:
        node["args"] = [args[0], [args[1], args[2]]]
    if node.get("op") == "accenti" and isinstance(args, list) and len(args) == 1:
        return {"function": {"name": "accenti", "arguments": args}}
    return node


# A quote inside a CQL2 string is written twice ('Macau''s'); pygeofilter 0.4 reads '' as the end of
# one string and the start of another, so while it parses, a doubled quote stands as this character.
_QUOTE = "\ue000"
_ILIKE = re.compile(r"([A-Za-z_][A-Za-z_0-9]*) ILIKE ('[^']*')", re.IGNORECASE)


def _protect_quotes(text: str) -> str:
    if _QUOTE in text:
        raise _error("the character U+E000 (private use) cannot be read in a filter")
    out, inside, index = [], False, 0
    while index < len(text):
        char = text[index]
        if char == "'" and inside and text[index + 1 : index + 2] == "'":
            out.append(_QUOTE)
            index += 2
            continue
        if char == "'":
            inside = not inside
        out.append(char)
        index += 1
    return "".join(out)


def parse_filter(
    text: str | None, lang: str | None, crs: str | None, queryables: Mapping[str, Queryable]
) -> Filter | None:
    """The ``filter`` of a request (``filter-lang``, ``filter-crs``) checked against ``queryables``; None
    when there is none. Every problem is a 400 that names it (the parser's own message for bad CQL2)."""
    lang = lang or DEFAULT_FILTER_LANG
    if lang not in ACCEPTED_FILTER_LANGS:
        raise InvalidParameter(f"filter-lang={lang!r}: expected one of {', '.join(FILTER_LANGS)}")
    if crs and crs not in FILTER_CRSS:
        raise InvalidParameter(
            f"filter-crs={crs!r}: filters are in {CRS_URI} (longitude, latitude), the only CRS accepted"
        )
    if text is None or text == "":
        return None
    if len(text) > MAX_FILTER_CHARS:
        raise _error(f"longer than {MAX_FILTER_CHARS:,} characters")
    try:
        if lang == "cql2-json":
            try:
                document = orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                raise _error(f"not JSON ({exc}); filter-lang=cql2-json takes CQL2 JSON") from None
            if isinstance(document, bool):  # true or false alone
                tree = document
            elif not isinstance(document, dict):
                raise _error(f"{text!r} is a value, not a condition: give a CQL2 JSON object")
            else:
                tree = parse_cql2_json(_standard_json(document))
        elif text.strip().upper() in ("TRUE", "FALSE"):  # a boolean literal alone (pygeofilter 0.4 refuses it)
            tree = text.strip().upper() == "TRUE"
        else:
            readable = _protect_quotes(text)
            if lang == GDAL_FILTER_LANG:
                readable = _ILIKE.sub(r"CASEI(\1) LIKE CASEI(\2)", readable)
            tree = parse_cql2_text(readable)
    except InvalidParameter:
        raise
    except RecursionError:
        raise _error("nested too deeply") from None
    except Exception as exc:  # the parsers raise lark's errors, ValueError, KeyError, TypeError …
        cause = getattr(exc, "orig_exc", None) or exc
        raise _error(f"not valid {lang}: {type(cause).__name__}: {cause}".strip()) from None
    try:
        return Filter(_Compiler(queryables, numeric_booleans=lang == GDAL_FILTER_LANG).predicate(tree), text)
    except RecursionError:
        raise _error("nested too deeply") from None


def parse_sortby(value: str | None, queryables: Mapping[str, Queryable]) -> tuple[tuple[str, bool], ...]:
    """``sortby=+year,-name_en`` as ``(("year", False), ("name_en", True))`` (name, descending).

    A ``+`` decodes to a space in a query string, so a leading space is the same as ``+``.
    """
    if value is None or value == "":
        return ()
    keys: dict[str, bool] = {}
    sortable = [name for name, q in queryables.items() if q.sortable]
    for item in value.split(","):
        text = item.strip()
        descending = text.startswith("-")
        name = text[1:] if text[:1] in "+-" and text else text
        if not name:
            raise InvalidParameter(f"sortby={value!r}: an empty item; give names separated by commas")
        if name not in queryables or not queryables[name].sortable:
            raise InvalidParameter(f"sortby: cannot sort by {name!r}; sortable here: {', '.join(sortable)}")
        keys.setdefault(name, descending)
    return tuple(keys.items())


def sortby_values(queryables: Mapping[str, Queryable]) -> list[str]:
    """Every sortby item allowed (for the OpenAPI document): name, +name and -name."""
    return [f"{sign}{name}" for name, q in queryables.items() if q.sortable for sign in ("", "+", "-")]
