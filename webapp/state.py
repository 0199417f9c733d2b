"""What the app derives from the served data, kept in step with the data's version.

``create_app`` derives, from the provider, the context collections (``gba_context``), the
parameter tables completed with the values found in the data (``gba_tables``), the timeline's
span (``gba_timeline``) and the search index (``gba_search``), and keeps them in
``app.extensions``, where the routes read them.  A provider whose data can change while the
app runs (``postgis``: a new ``geo load``) changes its ``version()``; before each request
``refresh`` compares it with the version these were derived from and derives them again when
it differs, so a new load is served whole without a restart.  The version check is the
provider's (the postgis provider reads ``gba.current`` at most once a second).

The search index is built with the rest when the provider says so (``build_search_at_start``:
the files provider, so gunicorn ``--preload`` builds it once before forking), else on the
first search (``webapp.search.index``): a million-record database does not pay for it at
start, nor on every new version.
"""

from __future__ import annotations

import threading

from flask import Flask, current_app

_lock = threading.Lock()


def derive(app: Flask) -> None:
    """Derive everything from the provider's current data (the version first: a load that lands
    meanwhile makes the next request derive again)."""
    from webapp import search

    provider = app.extensions["gba_provider"]
    version = provider.version()
    tables = app.extensions["gba_base_tables"]
    # Jurisdictions outside the GBA that the data names (Beijing) are valid filter values too.
    found = {
        j
        for layer in provider.layers()
        for name in ("jurisdiction", "touches_jurisdiction")
        for j in provider.values(layer, name)
    }
    app.extensions["gba_context"] = provider.context()
    app.extensions["gba_tables"] = tables.resolved(provider.layers(), found)
    app.extensions["gba_timeline"] = provider.year_span()
    if provider.build_search_at_start:
        app.extensions["gba_search"] = search.build_index(provider)
    else:
        app.extensions.pop("gba_search", None)  # built on the first search
    app.extensions["gba_derived_version"] = version


def refresh(app: Flask) -> None:
    """Derive again when the provider serves another version than the one derived from."""
    if app.extensions["gba_provider"].version() == app.extensions.get("gba_derived_version"):
        return
    with _lock:
        if app.extensions["gba_provider"].version() != app.extensions.get("gba_derived_version"):
            derive(app)


def register(app: Flask) -> None:
    derive(app)
    app.before_request(lambda: refresh(current_app))
