"""No silent changes: mistakes YAML or the build used to swallow are `file:line` errors.

Each test edits a copy of the mini sources, runs ``python -m geo build`` and expects a non-zero
exit, a message naming the file, the line and the problem, no traceback, and not one byte of the
previously built data changed.
"""

import json
import re
import shutil

import pytest

from geo.schema import ID_PATTERN, RESERVED_IDS, id_problem
from geo.sources import read_sources
from tests.conftest import DATA_DIR
from tests.geo.test_cli import mini, run

# The quotes of the mini sources, as an article that would back every one of them.
ARTICLE = "同香港生產力促進局合作。深圳市政府發布了第三個區域發展支持意見。早在2019年，香港名醫診療中心在坪山揭牌。坪山高新區的規劃面積達到51.6平方公里。\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    data = mini(tmp_path_factory.mktemp("built"))
    result = run("--data-dir", str(data), "-q", "build")
    assert result.returncode == 0, result.stderr
    return data


@pytest.fixture()
def data(built, tmp_path):
    shutil.copytree(built, tmp_path / "data", symlinks=True)
    return tmp_path / "data"


def published(data):
    """Every file outside the sources, by path: what a failed build must leave alone."""
    return {
        path.relative_to(data): path.read_bytes()
        for path in sorted(data.rglob("*"))
        if path.is_file() and path.relative_to(data).parts[0] != "sources"
    }


def replace(data, table, old, new):
    path = data / "sources" / f"{table}.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {table}.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")


def rejected(data, *expected):
    """Build, expect failure with every ``expected`` text in the messages and nothing written."""
    before = published(data)
    result = run("--data-dir", str(data), "-q", "build")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    for text in expected:
        assert text in result.stderr, result.stderr
    assert "no file was changed" in result.stderr
    assert published(data) == before
    return result.stderr


def accepted(data):
    result = run("--data-dir", str(data), "-q", "build")
    assert result.returncode == 0, result.stderr


# -- duplicate keys -------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "old", "new", "where", "key", "first"),
    [
        ("hospitals", "  year: 2019\n", "  year: 2019\n  status: planned\n", "hospitals.yaml:7", "status", 5),
        ("agencies", "lat: 22.3361,", "lat: 22.3361, lon: 113.9,", "agencies.yaml:9", "lon", 9),
        ("citations", '  date: "2021"\n', '  date: "2021"\n  date: "2022"\n', "citations.yaml:5", "date", 4),
        ("links", "- id: gov-pingshan\n", "- id: gov-pingshan\n  id: gov-pingshan-2\n", "links.yaml:14", "id", 13),
    ],
)
def test_duplicate_key_names_both_lines(data, table, old, new, where, key, first):
    replace(data, table, old, new)
    rejected(data, f"{where}: duplicate key '{key}' (first at line {first})")


# -- unknown keys -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "old", "new", "message"),
    [
        (
            "hospitals",
            "  year: 2019",
            "  yaer: 2019",
            "hospitals.yaml:6 [clinic]: unknown field 'yaer' (did you mean 'year'?)",
        ),
        (
            "agencies",
            "{lon: 114.1786",
            "{lng: 114.1786",
            "agencies.yaml:9 [hkpc]: unknown field 'lng' in location (did you mean 'lon'?)",
        ),
        (
            "hospitals",
            "      quote:",
            "      qoute:",
            "hospitals.yaml:13 [clinic]: unknown field 'qoute' in sources (did you mean 'quote'?)",
        ),
        (
            "zones",
            "        - centre:",
            "        - center:",
            "zones.yaml:14 [pingshan-zone]: unknown field 'center' in outline.approximate.parts (did you mean 'centre'?)",
        ),
        (
            "links",
            "  from: hkpc\n",
            "  form: hkpc\n",
            "links.yaml:2 [hkpc-pingshan]: unknown field 'form' (did you mean 'from'?)",
        ),
        (
            "citations",
            "  publisher:",
            "  publsher:",
            "citations.yaml:3 [article]: unknown field 'publsher' (did you mean 'publisher'?)",
        ),
        (
            "links",
            "  directed: true\n  description_zh_hant: 市",
            "  directed: true\n  category: x\n  description_zh_hant: 市",
            "links.yaml:19 [gov-pingshan]: unknown field 'category'",
        ),
    ],
)
def test_unknown_field_is_an_error_with_a_suggestion(data, table, old, new, message):
    replace(data, table, old, new)
    rejected(data, message)


def test_shipped_sources_use_only_known_fields():
    assert read_sources(DATA_DIR / "sources").problems == []


# -- empty layer files ------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "[]\n", "# every link moved to another file\n\n", "---\n"])
def test_empty_layer_file_is_an_error(data, text):
    (data / "sources" / "links.yaml").write_text(text, encoding="utf-8")
    rejected(data, "links.yaml:1: holds no records", "no_records:")


def test_a_layer_empty_on_purpose_says_why(data):
    (data / "sources" / "universities.yaml").write_text(
        "# none of the articles names a university yet\nno_records: none of the cited articles names one\n",
        encoding="utf-8",
    )
    accepted(data)
    (data / "sources" / "universities.yaml").write_text("no_records: ''\n", encoding="utf-8")
    rejected(data, "universities.yaml:1: holds no records")


# -- cited files ------------------------------------------------------------------


def cite(data, path):
    with (data / "sources" / "citations.yaml").open("a", encoding="utf-8") as out:
        out.write(f"  file: {path}\n")


def test_cited_file_inside_articles_is_read(data):
    (data / "sources" / "articles").mkdir()
    (data / "sources" / "articles" / "article.txt").write_text(ARTICLE, encoding="utf-8")
    cite(data, "articles/article.txt")
    accepted(data)


@pytest.mark.parametrize("how", ["absolute", "dotdot", "symlink"])
def test_cited_file_outside_articles_is_an_error(data, how):
    outside = data / "article.txt"  # next to sources/, outside data/sources/articles/
    outside.write_text(ARTICLE, encoding="utf-8")
    (data / "sources" / "articles").mkdir()
    if how == "absolute":
        cite(data, str(outside))
    elif how == "dotdot":
        cite(data, "articles/../../article.txt")
    else:
        (data / "sources" / "articles" / "article.txt").symlink_to(outside)
        cite(data, "articles/article.txt")
    rejected(data, "citations.yaml:5 [article]: cited file", "must lie inside articles/")


# -- aliases, merge keys and nesting ---------------------------------------------


def test_a_few_aliases_are_fine(data):
    replace(
        data,
        "agencies",
        "  sources:\n    - citation: article\n      quote: 同",
        "  sources: &cited\n    - citation: article\n      quote: 同",
    )
    replace(
        data,
        "agencies",
        "  sources:\n    - citation: article\n      quote: 深",
        "  sources: *cited\n  x: 1\n  sources_unused:\n    - citation: article\n      quote: 深",
    )
    # Only the misspelt fields fail: the alias itself was read.
    stderr = rejected(data, "agencies.yaml:22 [shenzhen-gov]: unknown field 'x'")
    assert "(*name)" not in stderr and "2 problem(s) found" in stderr
    replace(
        data,
        "agencies",
        "  x: 1\n  sources_unused:\n    - citation: article\n      quote: 深圳市政府發布了第三個區域發展支持意見\n",
        "",
    )
    accepted(data)


LAUGHS = "  year: 2019\n  laughs0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n  laughs1: &l1 [{}]\n  laughs2: &l2 [{}]\n  people:\n    - name_zh_hant: 笑\n      name_en: [*l2, *l2, *l2]\n".format(
    ", ".join(["*l0"] * 9), ", ".join(["*l1"] * 9)
)
WIDE = "  year: 2019\n  wide: &w [{}]\n  people:\n    - name_zh_hant: 笑\n      name_en: [*w, *w, *w, *w, *w, *w]\n".format(
    ", ".join(["lol"] * 2000)
)
RECURSIVE = "  year: 2019\n  loop: &r [*r]\n"


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (LAUGHS, "hospitals.yaml:12: more than 20 aliases (*name) in one file"),
        (WIDE, "hospitals.yaml:10: aliases (*name) here expand to more than 10000 values"),
        (RECURSIVE, "hospitals.yaml:7: alias *r refers to the collection it is inside"),
    ],
)
def test_alias_bombs_are_stopped_before_they_expand(data, new, message):
    replace(data, "hospitals", "  year: 2019\n", new)
    rejected(data, message)


def test_merge_keys_count_as_aliases(data):
    merges = "".join(f"  m{i}: {{<<: *loc}}\n" for i in range(21))
    replace(data, "hospitals", "  year: 2019\n", "  year: 2019\n  loc: &loc {a: 1}\n" + merges)
    rejected(data, "hospitals.yaml:28: more than 20 aliases (*name) in one file")


@pytest.mark.parametrize(("opening", "closing"), [("[", "]"), ("{a: ", "}")])
def test_deeply_nested_yaml_is_an_error_not_a_traceback(data, opening, closing):
    (data / "sources" / "hospitals.yaml").write_text(
        "- id: deep\n  people: " + opening * 10_000 + "1" + closing * 10_000 + "\n", encoding="utf-8"
    )
    rejected(data, "hospitals.yaml:2: nested more than 20 levels deep")


# -- coordinates ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "old", "new", "message"),
    [
        ("agencies", "lon: 114.1786", "lon: .nan", "agencies.yaml:1 [hkpc]: location lon nan is not a finite number"),
        ("agencies", "lat: 22.3361", "lat: .inf", "agencies.yaml:1 [hkpc]: location lat inf is not a finite number"),
        ("agencies", "lon: 114.1786", "lon: 'nan'", "agencies.yaml:1 [hkpc]: location lon 'nan' is not a number"),
        (
            "zones",
            "{lon: 114.35,",
            "{lon: .NaN,",
            "zones.yaml:1 [pingshan-zone]: outline part 1 centre lon nan is not a finite number",
        ),
        (
            "zones",
            "{lon: 114.35,",
            "{lon: 'inf',",
            "zones.yaml:1 [pingshan-zone]: outline part 1 centre lon 'inf' is not a number",
        ),
        (
            "zones",
            "          area_km2: 51.6",
            "          area_km2: .inf",
            "zones.yaml:1 [pingshan-zone]: outline part 1 area_km2 inf is not a positive finite number",
        ),
        (
            "zones",
            "figures: {area_km2: 51.6}",
            "figures: {area_km2: .nan}",
            "zones.yaml:1 [pingshan-zone]: figure 'area_km2' must be a finite number, not nan",
        ),
    ],
)
def test_non_finite_numbers_are_named_never_zero(data, table, old, new, message):
    replace(data, table, old, new)
    stderr = rejected(data, message)
    assert "(0.0, 0.0)" not in stderr


# -- ids --------------------------------------------------------------------------


@pytest.mark.parametrize("rid", ["constructor", "prototype", "tostring", "hasownproperty", "valueof", "__proto__"])
def test_ids_that_objects_already_have_are_refused_by_build(data, rid):
    replace(data, "hospitals", "- id: clinic\n", f"- id: {rid}\n")
    rejected(data, f"hospitals.yaml:1 [{rid}]: id '{rid}' ")


@pytest.mark.parametrize("rid", ["constructor", "toString", "__proto__", "Bad ID"])
def test_ids_that_objects_already_have_are_refused_by_validate(built, tmp_path, rid):
    collection = json.loads((built / "geojson" / "hospitals.geojson").read_text(encoding="utf-8"))
    collection["features"][0]["id"] = collection["features"][0]["properties"]["id"] = rid
    path = tmp_path / "hospitals.geojson"
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    result = run("validate", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"hospitals.geojson [{rid}]: id {rid!r} " in result.stderr


def test_validate_names_a_position_that_is_not_finite(built, tmp_path):
    text = (built / "geojson" / "hospitals.geojson").read_text(encoding="utf-8")
    collection = json.loads(text)
    collection["features"][0]["geometry"]["coordinates"][0] = float("nan")
    path = tmp_path / "hospitals.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    result = run("validate", str(path))
    assert result.returncode == 1 and "[clinic]: position [nan, " in result.stderr
    assert "is not a finite number" in result.stderr


def test_validate_names_a_file_nested_too_deeply(tmp_path):
    path = tmp_path / "hospitals.geojson"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    result = run("validate", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "hospitals.geojson: nested too deeply" in result.stderr


def test_one_id_rule_gives_the_pattern_and_the_messages():
    for rid in RESERVED_IDS:
        assert re.fullmatch(ID_PATTERN, rid) is None and "reserved" in id_problem(rid)
        assert "reserved" in id_problem(rid.upper())
    for rid in ("hkpc", "hkpc-pingshan", "constructors", "to-string", "2021"):
        assert re.fullmatch(ID_PATTERN, rid) and id_problem(rid) is None
    for rid in ("Bad ID", "a--b", "-a", "a-", "", "ä"):
        assert re.fullmatch(ID_PATTERN, rid) is None and "lower-case" in id_problem(rid)
