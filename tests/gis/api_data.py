"""Data directories for the API tests: the shipped layers, with a synthetic enterprises layer.

Links to the shipped enterprises are left out (their endpoints are gone).

The shipped data is small (a few dozen features a layer); replacing its
enterprises with seeded synthetic points (``bench.synthetic``) gives the API
enough features to page through, and an optional hostile name to escape.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from bench.synthetic import generate_collection
from geo.dataset import read_dataset, write_dataset
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
    """Publish the shipped layers in ``root`` with enterprises replaced by ``enterprises`` synthetic points."""
    shipped = read_dataset(DATA_DIR / "geojson")
    texts = {path: body for path, body in shipped.files.items() if "/" not in path}
    collection = generate_collection(enterprises, seed=seed)
    if hostile:
        collection["features"].append(xss_feature())
    texts["enterprises.geojson"] = orjson.dumps(collection)
    # Links to the shipped enterprises would point at nothing: the app refuses such a dataset.
    ids = {
        f["properties"]["id"]
        for path, body in texts.items()
        if path != "links.geojson"
        for f in orjson.loads(body)["features"]
    }
    links = orjson.loads(texts["links.geojson"])
    links["features"] = [f for f in links["features"] if {f["properties"]["from_id"], f["properties"]["to_id"]} <= ids]
    texts["links.geojson"] = orjson.dumps(links)
    write_dataset(root / "geojson", texts)
    return root
