"""The fonts the images are drawn with: DejaVu Sans (shipped with matplotlib) and Noto Sans CJK.

matplotlib only knows the fonts it ships and those it found when it built its
cache; the Noto CJK collection that ``make fonts`` installs (Debian's
``fonts-noto-cjk``) is registered here explicitly, once per process.  Without
it a Chinese image would be drawn with empty boxes (tofu), so ``families``
refuses instead, naming the fix.
"""

from __future__ import annotations

import threading
from pathlib import Path

from matplotlib import font_manager

from webapp.errors import ApiError

# Where Debian's fonts-noto-cjk puts its collections (.ttc: one file, every CJK region's face).
CJK_FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"),)
CJK_FONT_GLOB = "NotoSansCJK-*.ttc"
LATIN_FAMILY = "DejaVu Sans"
# The regional face of the collection for each language: traditional forms for zh_hant.
CJK_FAMILIES = {"zh_hant": "Noto Sans CJK TC", "zh_hans": "Noto Sans CJK SC", "en": "Noto Sans CJK SC"}

_lock = threading.Lock()
_registered: dict[tuple[Path, ...], frozenset[str]] = {}


class FontMissing(ApiError):
    """No CJK font on the server: a setup problem the operator fixes, not a bad request."""

    status = 503
    code = "FontMissing"


def cjk_font_files(directories: tuple[Path, ...] = CJK_FONT_DIRS) -> list[Path]:
    return sorted(path for directory in directories for path in directory.glob(CJK_FONT_GLOB))


def register_cjk_fonts(directories: tuple[Path, ...] = CJK_FONT_DIRS) -> frozenset[str]:
    """Add the Noto CJK collections under ``directories`` to matplotlib; the family names now known."""
    with _lock:
        if directories not in _registered:
            for path in cjk_font_files(directories):
                font_manager.fontManager.addfont(str(path))
            _registered[directories] = frozenset(entry.name for entry in font_manager.fontManager.ttflist)
        return _registered[directories]


def families(lang: str, directories: tuple[Path, ...] = CJK_FONT_DIRS) -> list[str]:
    """The font family list for text in ``lang`` (a schema key), first choice first.

    Chinese text needs the CJK face (503 naming ``make fonts`` when it is missing);
    English text is drawn in DejaVu Sans, with the CJK face as a fallback when present.
    """
    known = register_cjk_fonts(directories)
    cjk = CJK_FAMILIES[lang]
    if lang == "en":
        return [LATIN_FAMILY, cjk] if cjk in known else [LATIN_FAMILY]
    if cjk not in known:
        raise FontMissing(
            f"no Chinese font ({cjk}) is installed on the server, so the image cannot show Chinese text: "
            "run `make fonts` (installs Debian's fonts-noto-cjk) and restart the server"
        )
    return [cjk, LATIN_FAMILY]
