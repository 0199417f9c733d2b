"""Data directories for the API tests: the shipped layers, with a synthetic enterprises layer.

The shipped data is small (a few dozen features a layer); replacing its
enterprises with seeded synthetic points (``bench.synthetic``) gives the API
enough features to page through, and an optional hostile name to escape.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson

from bench.synthetic import generate_collection
from tests.conftest import DATA_DIR

XSS_NAME = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
XSS_ID = "syn-enterprises-xss"


def xss_feature() -> dict:
    """A valid enterprise whose names try to inject markup (HTML pages must escape them)."""
    feature = generate_collection(1, seed=99)["features"][0]
    properties = feature["properties"]
    properties.update(id=XSS_ID, name_en=XSS_NAME, name_zh_hant=XSS_NAME, name_zh_hans=XSS_NAME)
    properties["description_en"] = f"{XSS_NAME} & more"
    feature["id"] = XSS_ID
    return feature


def write_api_data_dir(root: Path, enterprises: int, seed: int = 0, hostile: bool = False) -> Path:
    """Copy the shipped layers into ``root`` and replace enterprises with ``enterprises`` synthetic points."""
    target = root / "geojson"
    target.mkdir(parents=True, exist_ok=True)
    for path in (DATA_DIR / "geojson").glob("*.geojson"):
        shutil.copy(path, target / path.name)
    collection = generate_collection(enterprises, seed=seed)
    if hostile:
        collection["features"].append(xss_feature())
    (target / "enterprises.geojson").write_bytes(orjson.dumps(collection))
    return root
