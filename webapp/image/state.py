"""What an image URL asks for: the map page's state (view, layers, filters, year) plus a size.

The image routes are an API: a parameter the page and the image do not know is a
400 (a page ignores it, because social sites append ``fbclid``; the page's
``og:image`` URL is built from the recognised parameters only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from geo.schema import URL_LANGS
from webapp import mapview, queryables
from webapp.providers.base import FeatureProvider, Filters

FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
# The social-card size (Facebook, X and LinkedIn crop to 1.91:1): the tables' defaults.
DEFAULT_WIDTH = 1200
DEFAULT_HEIGHT = 630


@dataclass(frozen=True)
class ImageState:
    """Everything that decides an image's pixels (and so its cache key and ETag)."""

    lang: str  # URL tag: zh-Hant | zh-Hans | en
    layers: tuple[str, ...]
    filters: Filters
    width: int
    height: int
    bbox: tuple[float, float, float, float] | None = None
    center: tuple[float, float] | None = None  # lat, lon
    zoom: int | None = None
    focus: str | None = None
    select: str | None = None  # the highlighted record (focus selects too)
    theme: str = "light"  # light | dark (auto is light: a server cannot know the reader's setting)

    @property
    def lang_key(self) -> str:
        """The schema's key for the language (``zh_hant``), used in labels and property names."""
        return URL_LANGS[self.lang]

    @property
    def highlighted(self) -> str | None:
        return self.focus or self.select


def _shown(source: FeatureProvider, record_id: str, filters: Filters) -> bool:
    found = source.find(record_id)
    if found is None:
        return False
    page = source.query(found[0], filters=filters)
    return record_id in page.ids


def parse_image(args: Mapping, source: FeatureProvider, tables: queryables.Tables, default_lang: str) -> ImageState:
    """Check an image URL: 400 for an unknown parameter or a bad value, 404 for an unknown id.

    The page's rules apply as on the map: ``focus`` drops the filters and year that would
    hide its record; ``select`` of a record the filters hide selects nothing.
    """
    parsed = queryables.parse_query(args, tables.page + tables.image, strict=True)
    view = mapview.parse_view(args, source, default_lang, tables)
    filters = queryables.filters_from(parsed, tables)
    select = view.select
    if view.focus is not None and not _shown(source, view.focus, filters):
        filters = Filters()
    if select is not None and not _shown(source, select, filters):
        select = None
    return ImageState(
        lang=view.lang,
        layers=view.layers,
        filters=filters,
        width=parsed.get("width", DEFAULT_WIDTH),
        height=parsed.get("height", DEFAULT_HEIGHT),
        bbox=view.bbox,
        center=view.center,
        zoom=view.zoom,
        focus=view.focus,
        select=select,
        theme="dark" if view.theme == "dark" else "light",
    )
