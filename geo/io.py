"""Deterministic, atomic GeoJSON writing and RFC 7946 coordinate hygiene."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from geo.schema import COORD_DECIMALS


def _round_coords(coords, decimals: int):
    if isinstance(coords[0], (int, float)):
        return [round(float(c), decimals) for c in coords]
    return [_round_coords(c, decimals) for c in coords]


def round_geometry(geometry: dict, decimals: int = COORD_DECIMALS) -> dict:
    """Return a GeoJSON geometry dict with every coordinate rounded to ``decimals``."""
    return {"type": geometry["type"], "coordinates": _round_coords(list(geometry["coordinates"]), decimals)}


def dumps(obj, compact: bool = False) -> str:
    """The one serialisation used for committed files: sorted keys, UTF-8, a trailing newline.

    Sorting keys and a fixed float repr make rebuilding byte-identical.  Reviewed tables are
    indented so diffs read well; ``compact`` is for bulky geometry nobody reviews by eye.
    """
    if compact:
        return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False) + "\n"
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=1, allow_nan=False) + "\n"


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json_atomic(path: Path, obj) -> None:
    write_text_atomic(path, dumps(obj))
