"""What the pages say about a view to social sites, printers and readers without JavaScript.

``page_card`` is computed per request (it needs the request's query), apart
from ``mapview.map_page``, which is cached by view and stays independent of the request.
The image URL of a page is the page's own recognised parameters (``fbclid`` and
other unknown ones dropped), its language made explicit, plus the card's size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlencode

import orjson

from webapp import i18n, queryables
from webapp.image.scene import subtitle
from webapp.image.state import DEFAULT_HEIGHT, DEFAULT_WIDTH, ImageState
from webapp.mapview import MapView

# og:locale wants language_TERRITORY; the map's readers are mostly in Hong Kong and Guangdong.
OG_LOCALES = {"zh-Hant": "zh_HK", "zh-Hans": "zh_CN", "en": "en_GB"}


@dataclass(frozen=True)
class ImageLink:
    format: str
    href: str


@dataclass(frozen=True)
class SocialCard:
    """The values ``_social.html``, ``_noscript.html`` and ``_image_button.html`` place."""

    title: str
    description: str
    page_url: str  # absolute: og:url
    image_url: str  # absolute: og:image, twitter:image, <noscript> and the print image
    image_width: int
    image_height: int
    image_alt: str
    locale: str
    locale_alternates: tuple[str, ...]
    downloads: tuple[ImageLink, ...]  # the Download image menu: PNG and SVG of the view (app-relative)
    data_download: str  # the GeoJSON of what the view shows (app-relative)
    print_css: str


def view_query(args: Mapping, tables: queryables.Tables, lang: str) -> list[tuple[str, str]]:
    """The page's recognised parameters, in the URL's order, with ``lang`` set to the page's language."""
    names = {param.name for param in tables.page}
    pairs = [(name, value) for name, value in args.items(multi=True) if name in names and name != "lang"]
    return [("lang", lang), *pairs]


@lru_cache(maxsize=8)
def _place_names(outlines: bytes, lang: str) -> dict[str, str]:
    names = {}
    for feature in orjson.loads(outlines)["features"] if outlines else ():
        props = feature["properties"]
        if props.get("level") == "jurisdiction":
            names[props.get("jurisdiction")] = props.get(f"name_{lang}") or props.get("jurisdiction")
    return names


def description(view: MapView, args: Mapping, tables: queryables.Tables, all_layers: list[str], context: dict) -> str:
    """The card's description: what the map is, then the view's filters and year, in its language."""
    text = i18n.text(view.lang_key)
    filters = queryables.filters_from(queryables.parse_page(args, tables), tables)
    state = ImageState(lang=view.lang, layers=view.layers, filters=filters, width=DEFAULT_WIDTH, height=DEFAULT_HEIGHT)
    outlines = context.get("jurisdictions", (b"",))[0]
    narrowed = subtitle(state, all_layers, _place_names(outlines, view.lang_key))
    joiner = " " if view.lang_key == "en" else ""
    return f"{text['og_description']}{joiner}{narrowed}" if narrowed else text["og_description"]


def page_card(
    view: MapView,
    args: Mapping,
    tables: queryables.Tables,
    all_layers: list[str],
    context: dict,
    urls: Mapping[str, str],
) -> SocialCard:
    """The card of one page view. ``urls``: ``page_url`` and ``png_url`` (absolute, for the card),
    ``png``, ``svg``, ``data`` (app-relative paths, for the page's own links) and ``print_css``."""
    text = i18n.text(view.lang_key)
    query = view_query(args, tables, view.lang)
    size = [("width", str(DEFAULT_WIDTH)), ("height", str(DEFAULT_HEIGHT))]
    data_query = [(k, v) for k, v in query if k in {q.name for q in tables.queryables} or k == "layers"]
    return SocialCard(
        title=text["title"],
        description=description(view, args, tables, all_layers, context),
        page_url=f"{urls['page_url']}?{urlencode(query)}",
        image_url=f"{urls['png_url']}?{urlencode(query + size)}",
        image_width=DEFAULT_WIDTH,
        image_height=DEFAULT_HEIGHT,
        image_alt=text["image_alt"],
        locale=OG_LOCALES[view.lang],
        locale_alternates=tuple(locale for tag, locale in OG_LOCALES.items() if tag != view.lang),
        downloads=tuple(ImageLink(fmt, f"{urls[fmt]}?{urlencode(query + size)}") for fmt in ("png", "svg")),
        data_download=f"{urls['data']}?{urlencode(data_query)}" if data_query else urls["data"],
        print_css=urls["print_css"],
    )
