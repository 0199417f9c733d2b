"""Offline geocoding (gazetteer + boundary names) and the opt-in Nominatim backend."""

import pytest

from geo.geocode import GazetteerError, NominatimGeocoder, OfflineGeocoder, default_geocoder, read_gazetteer
from geo.pipeline import load_boundaries
from tests.conftest import DATA_DIR


@pytest.fixture(scope="module")
def boundaries():
    return load_boundaries(DATA_DIR)


@pytest.fixture()
def gazetteer(tmp_path):
    path = tmp_path / "gazetteer.csv"
    path.write_text(
        "name,lon,lat,datum,precision,source\n"
        "深圳技術大學,114.4017,22.6943,wgs84,campus,test\n"
        "Amap Point,114.0596,22.5429,gcj02,building,read off Amap\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("query", ["坪山区", "坪山區", "Pingshan", " pingshan "])
def test_district_names_in_any_script_resolve_inside_the_district(boundaries, query):
    result = OfflineGeocoder(boundaries).geocode(query)
    assert result is not None and result.precision == "district"
    unit = boundaries.locate(__import__("shapely").Point(result.lon, result.lat))
    assert unit.name_en == "Pingshan"


@pytest.mark.parametrize(("query", "jurisdiction"), [("香港", "Hong Kong"), ("澳門", "Macau"), ("深圳市", "Shenzhen")])
def test_city_and_sar_names_resolve_at_city_precision(boundaries, query, jurisdiction):
    result = OfflineGeocoder(boundaries).geocode(query)
    assert result.precision == "city"
    assert boundaries.locate(__import__("shapely").Point(result.lon, result.lat)).jurisdiction == jurisdiction


def test_gazetteer_entries_match_across_scripts_and_are_converted_to_wgs84(boundaries, gazetteer):
    geocoder = OfflineGeocoder(boundaries, gazetteer)
    hit = geocoder.geocode("深圳技术大学")  # simplified query, traditional entry
    assert (hit.lon, hit.lat, hit.precision) == (114.4017, 22.6943, "campus")
    converted = geocoder.geocode("amap point")
    assert converted.lon != 114.0596 and abs(converted.lon - 114.0596) < 0.01


def test_unknown_place_is_none_not_a_guess(boundaries):
    assert OfflineGeocoder(boundaries).geocode("平山") is None


def test_bad_gazetteer_row_names_file_line_and_problem(tmp_path):
    path = tmp_path / "gazetteer.csv"
    path.write_text("name,lon,lat,datum,precision,source\nX,abc,22.5,wgs84,campus,t\n", encoding="utf-8")
    with pytest.raises(GazetteerError, match=r"gazetteer.csv:2: lon/lat of 'X' are not numbers"):
        read_gazetteer(path)


class FakeNominatim:
    """Stands in for geopy's Nominatim: counts calls, never touches the network."""

    def __init__(self):
        self.calls = []

    def geocode(self, query):
        self.calls.append(query)
        if query == "nowhere":
            return None
        return type("Location", (), {"longitude": 114.123456789, "latitude": 22.5})()


def test_nominatim_is_throttled_and_cached_on_disk(tmp_path):
    now = [100.0]
    sleeps = []
    fake = FakeNominatim()
    cache = tmp_path / "cache.json"
    geocoder = NominatimGeocoder(cache, client=fake, clock=lambda: now[0], sleep=sleeps.append)
    first = geocoder.geocode("Shenzhen Bay")
    geocoder.geocode("nowhere")
    assert sleeps == [1.0]  # the second request waited out Nominatim's one-per-second policy
    assert first.precision == "street" and first.lon == 114.123457
    again = NominatimGeocoder(cache, client=fake, clock=lambda: now[0], sleep=sleeps.append)
    assert again.geocode("shenzhen  bay") == first and again.geocode("nowhere") is None
    assert fake.calls == ["Shenzhen Bay", "nowhere"]  # answered from the disk cache the second time


def test_default_geocoder_is_offline_and_rejects_unknown_settings(boundaries):
    assert isinstance(default_geocoder(boundaries, DATA_DIR, "offline"), OfflineGeocoder)
    with pytest.raises(ValueError, match="expected 'offline' or 'nominatim'"):
        default_geocoder(boundaries, DATA_DIR, "google")


@pytest.mark.parametrize(
    ("query", "note"), [("坪山区", "坪山區的代表點（邊界資料）"), ("Hong Kong", "香港特別行政區的代表點（邊界資料）")]
)
def test_boundary_answers_carry_their_note_in_chinese_too(boundaries, query, note):
    assert OfflineGeocoder(boundaries).geocode(query).source_zh_hant == note


def test_gazetteer_chinese_note_is_an_optional_column(boundaries, tmp_path):
    path = tmp_path / "gazetteer.csv"
    path.write_text(
        "name,lon,lat,datum,precision,source,source_zh_hant\n"
        "横琴,113.52,22.13,wgs84,district,island centre,島的中心\n"
        "珠海保税区,113.52,22.17,wgs84,district,rough estimate,\n",
        encoding="utf-8",
    )
    geocoder = OfflineGeocoder(boundaries, path)
    assert geocoder.geocode("橫琴").source_zh_hant == "島的中心"
    assert geocoder.geocode("珠海保稅區").source_zh_hant == ""
