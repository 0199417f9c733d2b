"""Small parsing helpers for parameters that are not in the tables of ``webapp.queryables``.

Everything a page, a download or the OGC API accepts is defined and parsed in
``webapp.queryables``; this module only re-exports its primitives for routes
that parse one or two values of their own (``f`` of the OGC API). Numbers are
parsed by ``queryables.parse_number`` (the one strict grammar), never by int() or float().
"""

from __future__ import annotations

from webapp.queryables import parse_bbox, reject_unknown, single

__all__ = ["parse_bbox", "reject_unknown", "single"]
