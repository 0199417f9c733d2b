"""Small parsing helpers for parameters that are not in the tables of ``webapp.queryables``.

Everything a page, a download or the OGC API accepts is defined and parsed in
``webapp.queryables``; this module only re-exports its primitives for routes
that parse one or two values of their own (``f``, ``limit``/``offset`` of the OGC API).
"""

from __future__ import annotations

from webapp.errors import InvalidParameter
from webapp.queryables import parse_bbox, reject_unknown, single


def parse_int(value: str | None, name: str, default: int | None, minimum: int, maximum: int) -> int | None:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise InvalidParameter(f"{name}={value!r}: expected a whole number from {minimum} to {maximum}") from None
    if not minimum <= number <= maximum:
        raise InvalidParameter(f"{name}={value!r}: must be from {minimum} to {maximum}")
    return number


__all__ = ["parse_bbox", "parse_int", "reject_unknown", "single"]
