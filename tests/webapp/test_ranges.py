"""Byte-range requests on every download (issue 11, finding 5): what GDAL's /vsicurl/ and QGIS need
to open a download by its URL, and what a resumed download needs."""

from __future__ import annotations

import pytest

# The app tests run with the files and the postgis provider (tests/conftest.py).
pytestmark = pytest.mark.both_providers


DOWNLOADS = [
    "/download/hospitals.geojson",
    "/download/all.geojson",
    "/download/zones.geojson?texts=en",
    "/download/all.geojson?status=operating&jurisdiction=Shenzhen",
    "/context/jurisdictions.geojson",
]


def whole(client, url: str):
    response = client.get(url, headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    return response


def ranged(client, url: str, spec: str, **headers: str):
    # Every range request also says it takes gzip: a 206 must still be the identity bytes.
    return client.get(url, headers={"Range": spec, "Accept-Encoding": "gzip", **headers})


@pytest.mark.parametrize("url", DOWNLOADS)
def test_a_whole_download_says_it_takes_ranges(client, url):
    assert whole(client, url).headers["Accept-Ranges"] == "bytes"
    packed = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip" and packed.headers["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize("url", DOWNLOADS)
def test_each_range_is_that_slice_of_the_whole_body(client, url):
    full = whole(client, url)
    body = full.get_data()
    size = len(body)
    assert size > 2000
    cases = {
        "bytes=0-0": (0, 0),
        "bytes=0-99": (0, 99),
        "bytes=10-1009": (10, 1009),
        f"bytes={size - 5}-{size - 1}": (size - 5, size - 1),
        f"bytes={size - 10}-{size + 1000}": (size - 10, size - 1),  # an end past the end stops at the end
        "bytes=1500-": (1500, size - 1),
        "bytes=-50": (size - 50, size - 1),
        f"bytes=-{size + 10}": (0, size - 1),  # a suffix longer than the body is the whole body
    }
    for spec, (first, last) in cases.items():
        part = ranged(client, url, spec)
        assert part.status_code == 206, spec
        assert part.headers["Content-Range"] == f"bytes {first}-{last}/{size}", spec
        assert part.get_data() == body[first : last + 1], spec
        assert part.headers["Content-Length"] == str(last + 1 - first), spec
        assert "Content-Encoding" not in part.headers, spec
        assert part.headers["ETag"] == full.headers["ETag"], spec
        assert part.headers["Content-Type"] == full.headers["Content-Type"], spec
        assert "Accept-Encoding" in part.headers["Vary"], spec
        assert part.headers["Access-Control-Allow-Origin"] == "*", spec


@pytest.mark.parametrize("url", DOWNLOADS)
def test_a_range_past_the_end_is_a_json_416_with_the_length(client, url):
    size = len(whole(client, url).get_data())
    for spec in (f"bytes={size}-", f"bytes={size + 100}-{size + 200}", "bytes=-0", "bytes=9-3"):
        refused = ranged(client, url, spec)
        assert refused.status_code == 416, spec
        assert refused.headers["Content-Range"] == f"bytes */{size}", spec
        assert refused.headers["Content-Type"] == "application/json", spec
        error = refused.get_json()
        assert error["status"] == 416 and error["code"] == "RequestedRangeNotSatisfiable", spec
        assert f"{size} bytes" in error["description"] and spec in error["description"], spec


@pytest.mark.parametrize("url", DOWNLOADS)
def test_if_range_gives_the_range_only_while_the_etag_is_the_same(client, url):
    full = whole(client, url)
    etag = full.headers["ETag"]
    assert ranged(client, url, "bytes=100-199", **{"If-Range": etag}).get_data() == full.get_data()[100:200]
    packed = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["ETag"] == "W/" + etag  # other bytes than the identity body: the same tag, weak
    # A changed download, the gzip copy's weak tag and a date the answer cannot be checked against
    # each get the whole body (a client must not splice our bytes onto a different copy).
    for other in ('"0123456789abcdef"', packed.headers["ETag"], "Sun, 29 Nov 2026 00:00:00 GMT"):
        answer = ranged(client, url, "bytes=100-199", **{"If-Range": other, "Accept-Encoding": "identity"})
        assert answer.status_code == 200, other
        assert "Content-Range" not in answer.headers, other
        assert answer.get_data() == full.get_data(), other
    # If-None-Match (a weak comparison) goes first: a current copy, plain or gzip, is a 304.
    for current in (etag, packed.headers["ETag"]):
        answer = ranged(client, url, "bytes=0-9", **{"If-None-Match": current})
        assert answer.status_code == 304, current


@pytest.mark.parametrize(
    "spec",
    ["bytes=0-9,20-29", "bytes=20-29,0-9", "bytes=0-9, -5", "items=0-9", "lines=-3"],
    ids=["two ranges", "two ranges out of order", "a range and a suffix", "another unit", "another unit suffix"],
)
def test_several_ranges_or_another_unit_get_the_whole_200(client, spec):
    full = whole(client, "/download/zones.geojson")
    answer = ranged(client, "/download/zones.geojson", spec, **{"Accept-Encoding": "identity"})
    assert answer.status_code == 200 and "Content-Range" not in answer.headers
    assert answer.get_data() == full.get_data()
    assert answer.headers["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize("url", ["/download/hospitals.geojson", "/download/all.geojson?status=operating"])
def test_head_gives_the_length_and_the_ranges(client, url):
    size = len(whole(client, url).get_data())
    head = client.head(url)
    assert head.status_code == 200 and head.get_data() == b""
    assert head.headers["Content-Length"] == str(size) and head.headers["Accept-Ranges"] == "bytes"
    part = client.head(url, headers={"Range": "bytes=100-149"})
    assert part.status_code == 206 and part.get_data() == b""
    assert part.headers["Content-Range"] == f"bytes 100-149/{size}" and part.headers["Content-Length"] == "50"


def test_scripts_on_other_sites_may_send_if_range_and_read_content_range(client):
    part = ranged(client, "/download/hospitals.geojson", "bytes=0-9")
    exposed = {name.strip().lower() for name in part.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"etag", "content-range", "accept-ranges"} <= exposed
    preflight = client.options(
        "/download/hospitals.geojson",
        headers={
            "Origin": "https://news.example.com",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "range, if-range",
        },
    )
    allowed = {name.strip().lower() for name in preflight.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"range", "if-range"} <= allowed
