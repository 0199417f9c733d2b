"""Where features come from, chosen by the ``FEATURE_PROVIDER`` setting.

Backends register by name with a lazy import path, so an optional backend
(a database, say) costs nothing when it is not the one configured.
"""

from __future__ import annotations

import importlib
import inspect

from webapp.providers.base import FeatureProvider, Page, ProviderConfigError

PROVIDERS = {
    "files": "webapp.providers.files:FileProvider",
    "postgis": "webapp.providers.postgis:PostgisProvider",
}


def load_provider(name: str, **options) -> FeatureProvider:
    """Instantiate the provider registered as ``name`` with the ``options`` its constructor takes
    (the app offers every backend's settings: ``data_dir`` to one, ``database_url`` to another)."""
    try:
        target = PROVIDERS[name]
    except KeyError:
        raise ProviderConfigError(f"unknown FEATURE_PROVIDER {name!r}; known: {', '.join(sorted(PROVIDERS))}") from None
    module_name, class_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    accepted = inspect.signature(cls).parameters
    return cls(**{key: value for key, value in options.items() if key in accepted})


__all__ = ["PROVIDERS", "FeatureProvider", "Page", "ProviderConfigError", "load_provider"]
