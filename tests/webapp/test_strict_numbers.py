"""Numbers in URLs have one strict grammar, on every route that takes one (webapp.queryables).

float() and int() take much more than a number written in ASCII: "+5", "1_0", " 5 ",
"nan", "inf", "1e999", Arabic-Indic or full-width digits. Each of those is a 400 JSON
error naming the parameter, for limit, offset, bbox, year and datetime, on the OGC API,
the downloads, search, oEmbed, the static image and the map page alike; the plain forms
are accepted.
"""

from __future__ import annotations

import re

import pytest

from webapp import queryables
from webapp.errors import InvalidParameter
from webapp.ogcapi import core

ITEMS = "/ogcapi/collections/hospitals/items"
BOX = ["113.8", "22.4", "114.5", "22.8"]

# Lenient spellings of a valid value: what float()/int() accept and the grammar does not.
LENIENT_WHOLE = [
    "+5",  # a plus sign
    "1_0",  # an underscore (PEP 515)
    " 5",
    "5 ",
    "5\n",
    "\u0661\u0660",  # ١٠, Arabic-Indic digits
    "\uff15",  # ５, a full-width digit
    "5.0",  # a whole number is written without a fraction
    "0x10",
    "1e1",
    "nan",
    "inf",
    "9" * 40,  # longer than any number the grammar takes
]
LENIENT_DECIMAL = [
    "+114",
    "1_14.5",
    "114.5 ",
    " 114.5",
    "\u0661\u0661\u0664",
    "nan",
    "NaN",
    "inf",
    "-Infinity",
    "1e999",
    "1_0.5",
    ".5",
    "114.",
    "1" * 40,  # longer than any number the grammar takes
]


def assert_names(response, name: str) -> None:
    assert response.status_code == 400, (name, response.get_data(as_text=True))
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["code"] == "InvalidParameterValue"
    assert f"{name}=" in body["description"], body["description"]


def with_part(index: int, value: str, box: list[str] = BOX) -> str:
    return ",".join(value if i == index else part for i, part in enumerate(box))


# ---- the OGC API ----


@pytest.mark.parametrize("value", LENIENT_WHOLE)
@pytest.mark.parametrize("name", ["limit", "offset"])
def test_ogcapi_limit_and_offset_refuse_lenient_numbers(client, name, value):
    assert_names(client.get(ITEMS, query_string={name: value}), name)


@pytest.mark.parametrize("value", LENIENT_DECIMAL)
def test_ogcapi_bbox_refuses_lenient_numbers_in_2d_and_3d(client, value):
    assert_names(client.get(ITEMS, query_string={"bbox": with_part(0, value.replace("114", "113"))}), "bbox")
    box3d = "113.8,22.4,{},114.5,22.8,50".format(value.replace("114", "0"))
    assert_names(client.get(ITEMS, query_string={"bbox": box3d}), "bbox")


@pytest.mark.parametrize("value", [v.replace("5", "2021") for v in LENIENT_WHOLE if v != "9" * 40])
def test_ogcapi_year_refuses_lenient_numbers(client, value):
    assert_names(client.get(ITEMS, query_string={"year": value}), "year")


@pytest.mark.parametrize(
    "value",
    [
        "20210601",  # ISO 8601 basic format, not RFC 3339
        "2021-06-01T00:00",  # no seconds, no zone
        "2021-06-01T00:00:00",  # no zone
        "2021-W22",
        " 2021-06-01",
        "2021-06-01 ",
        "+2021-06-01",
        "2021-02-30",
        "2021-13-01",
        "0000-01-01",  # RFC 3339 has a year 0, Python and this API do not (the document says so)
        "\u0662\u0660\u0662\u0661-06-01",
        "2021-06-01T00:00:00Z/2021-01-01",  # start after end
        "../..",
        "/",
    ],
)
def test_ogcapi_datetime_is_rfc_3339_and_nothing_else(client, value):
    assert_names(client.get(ITEMS, query_string={"datetime": value}), "datetime")


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "10", "offset": "0"},
        {"limit": "20000"},  # above the page maximum: answered, with limitApplied
        {"offset": str(core.COUNT_MAXIMUM)},
        {"bbox": "113.8,22.4,114.5,22.8"},
        {"bbox": "-180,-90,180,90"},
        {"bbox": "113,22,-10.5,115,23,1e3"},
        {"bbox": "113.80000,22.4,114.5,2.28e1"},
        {"year": "2021"},
        {"datetime": ""},  # empty: the same as absent, as for every parameter
        {"datetime": "2021-06-01"},
        {"datetime": "2021-06-01T08:00:00.5+08:00/.."},
        {"datetime": "../2021-06-01t00:00:00z"},
        {"f": ""},
    ],
)
def test_ogcapi_takes_the_plain_forms(client, query):
    response = client.get(ITEMS, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)


# ---- the same parsers behind the downloads, search, oEmbed and the map page ----


@pytest.mark.parametrize("value", LENIENT_DECIMAL)
def test_download_bbox_refuses_lenient_numbers(client, value):
    response = client.get("/download/hospitals.geojson", query_string={"bbox": with_part(2, value)})
    assert_names(response, "bbox")


@pytest.mark.parametrize("value", [v.replace("5", "2021") for v in LENIENT_WHOLE if v != "9" * 40])
@pytest.mark.parametrize("path", ["/download/hospitals.geojson", "/download/all.geojson", "/"])
def test_download_and_page_year_refuse_lenient_numbers(client, path, value):
    assert_names(client.get(path, query_string={"year": value}), "year")


@pytest.mark.parametrize("value", LENIENT_WHOLE)
def test_search_limit_refuses_lenient_numbers(client, value):
    assert_names(client.get("/api/search", query_string={"q": "pingshan", "limit": value}), "limit")


@pytest.mark.parametrize("value", [v.replace("5", "500") for v in LENIENT_WHOLE])
def test_oembed_maxwidth_refuses_lenient_numbers(client, value):
    response = client.get("/oembed", query_string={"url": "http://localhost/", "maxwidth": value})
    assert_names(response, "maxwidth")


@pytest.mark.parametrize("value", [v.replace("5", "500") for v in LENIENT_WHOLE])
@pytest.mark.parametrize("path", ["/image.png", "/image.svg"])
def test_image_width_refuses_lenient_numbers(client, path, value):
    assert_names(client.get(path, query_string={"width": value}), "width")


@pytest.mark.parametrize("value", LENIENT_DECIMAL)
def test_map_page_lat_refuses_lenient_numbers(client, value):
    value = value.replace("114", "22")
    assert_names(client.get("/", query_string={"lat": value, "lon": "114"}), "lat")


def test_download_search_and_page_take_the_plain_forms(client):
    assert client.get("/download/hospitals.geojson?bbox=113.8,22.4,114.5,22.8&year=2021").status_code == 200
    assert client.get("/api/search?q=pingshan&limit=5").status_code == 200
    assert client.get("/?lat=22.5&lon=114.25&zoom=11").status_code == 200
    assert client.get("/?lat=-0.5&lon=1e-5").status_code == 200


# ---- the grammar itself, and the OpenAPI document that states it ----


@pytest.mark.parametrize("value", LENIENT_DECIMAL)
def test_parse_number_refuses_each_lenient_form_and_names_the_parameter(value):
    with pytest.raises(InvalidParameter, match=r"^lat="):
        queryables.parse_number("lat", value, -90, 90)


@pytest.mark.parametrize("value", ["0", "-0", "22", "22.5", "-22.25", "1e-5", "2.25E1", "2.25e+1", "022.5"])
def test_parse_number_reads_the_plain_forms(value):
    assert queryables.parse_number("lat", value, -90, 90) == float(value)


def test_the_openapi_document_states_the_grammar_the_server_applies(client):
    document = client.get("/ogcapi/openapi?f=json").get_json(force=True)
    parameters = document["components"]["parameters"]
    for name, minimum in (("limit", 1), ("offset", 0)):
        schema = parameters[name]["schema"]
        assert (schema["type"], schema["minimum"], schema["maximum"]) == ("integer", minimum, core.COUNT_MAXIMUM)
        assert_names(client.get(ITEMS, query_string={name: str(core.COUNT_MAXIMUM + 1)}), name)
        assert_names(client.get(ITEMS, query_string={name: str(minimum - 1)}), name)
    datetime = re.compile(parameters["datetime"]["schema"]["pattern"])
    for value in ("2021-06-01", "2021-06-01T00:00:00Z/..", "20210601", "2021-06-01T00:00", " 2021-06-01", "../.."):
        accepted = client.get(ITEMS, query_string={"datetime": value}).status_code == 200
        assert bool(datetime.search(value)) == accepted, value
    assert all(p["allowEmptyValue"] for p in parameters.values())
