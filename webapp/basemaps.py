"""The basemaps the map offers: tile URL, attribution and the datum their tiles are drawn in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Basemap:
    """A tile service; ``datum`` says which coordinates its tiles are drawn in."""

    label: Mapping[str, str]
    tiles: str
    attribution: str
    subdomains: str
    max_zoom: int
    datum: str


OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
BASEMAPS = {
    "osm": Basemap(
        {"en": "OpenStreetMap", "zh_hant": "OpenStreetMap", "zh_hans": "OpenStreetMap"},
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        OSM_ATTRIBUTION,
        "abc",
        19,
        "wgs84",
    ),
    "positron": Basemap(
        {
            "en": "CartoDB Positron (light)",
            "zh_hant": "CartoDB Positron（淺色）",
            "zh_hans": "CartoDB Positron（浅色）",
        },
        "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
        OSM_ATTRIBUTION + ' &copy; <a href="https://carto.com/attributions">CARTO</a>',
        "abcd",
        20,
        "wgs84",
    ),
    # The dark theme's basemap (theme=dark, or auto on a dark system, without a basemap of its own).
    "dark": Basemap(
        {
            "en": "CartoDB Dark Matter (dark)",
            "zh_hant": "CartoDB Dark Matter（深色）",
            "zh_hans": "CartoDB Dark Matter（深色）",
        },
        "https://{s}.basemaps.cartocdn.com/dark_all/{z}/{x}/{y}{r}.png",
        OSM_ATTRIBUTION + ' &copy; <a href="https://carto.com/attributions">CARTO</a>',
        "abcd",
        20,
        "wgs84",
    ),
    # Gaode's tiles are drawn in GCJ-02, so the map shifts mainland features onto them.
    "gaode": Basemap(
        {"en": "Gaode (Amap)", "zh_hant": "高德地圖", "zh_hans": "高德地图"},
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
        '&copy; <a href="https://www.amap.com/">高德地图 AutoNavi</a>',
        "1234",
        18,
        "gcj02",
    ),
}
DEFAULT_BASEMAP = "osm"
DARK_BASEMAP = "dark"  # the default of the dark theme

MIN_ZOOM = 0
MAX_ZOOM = 18  # Gaode serves tiles up to 18, the lowest maximum of the three basemaps
