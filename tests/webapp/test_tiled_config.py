"""Which layers the map draws from vector tiles: the setting TILE_THRESHOLD, and what the page
config tells the front end (tests/browser/test_tiled_layer.py drives the page itself)."""

from __future__ import annotations

import re

import pytest

from geo.schema import LINK_LAYER
from tests.conftest import DATA_DIR
from tests.webapp.test_views import get_config
from webapp import create_app
from webapp.assets import static_imports
from webapp.mapview import LAYER_PLACEHOLDER, TILED_MODULE, VECTOR_GRID_JS, tile_template, tiled_layers


def counts(app) -> dict[str, int]:
    provider = app.extensions["gba_provider"]
    return {layer: provider.layer_info(layer)["count"] for layer in provider.layers()}


def make(threshold) -> object:
    return create_app({"TESTING": True, "DATA_DIR": str(DATA_DIR), "TILE_THRESHOLD": threshold})


def test_a_layer_is_tiled_when_it_has_more_features_than_the_threshold():
    app = make(0)
    sizes = counts(app)
    provider = app.extensions["gba_provider"]
    # Every layer but the links (their arrows, stubs and partners need whole records).
    assert tiled_layers(provider, 0) == tuple(layer for layer in provider.layers() if layer != LINK_LAYER)
    middle = sorted(sizes.values())[len(sizes) // 2]
    assert tiled_layers(provider, middle) == tuple(
        layer for layer, n in sizes.items() if n > middle and layer != LINK_LAYER
    )
    # At the threshold exactly a layer is still downloaded whole.
    assert tiled_layers(provider, max(sizes.values())) == ()


def test_the_default_threshold_tiles_nothing_of_the_shipped_data():
    app = create_app({"TESTING": True, "DATA_DIR": str(DATA_DIR)})
    assert app.config["TILE_THRESHOLD"] == 20000
    config = get_config(app.test_client(), "/?lang=en")
    assert not [overlay for overlay in config["overlays"] if "tiled" in overlay]
    # No byte of the tiles' URLs on a page without a tiled layer.
    assert "tiles" not in config["urls"] and "items" not in config["urls"]


@pytest.mark.parametrize("path", ["/?lang=en", "/embed?lang=en"])
def test_the_page_config_marks_tiled_layers_and_gives_their_urls(path):
    app = make("10")
    sizes = counts(app)
    config = get_config(app.test_client(), path)
    tiled = {overlay["name"] for overlay in config["overlays"] if overlay.get("tiled")}
    assert tiled == {layer for layer, n in sizes.items() if n > 10 and layer != LINK_LAYER}
    assert tiled  # the shipped data has a layer of more than 10
    assert config["urls"]["tiles"] == tile_template() == f"/tiles/{LAYER_PLACEHOLDER}/{{z}}/{{x}}/{{y}}.mvt"
    assert config["urls"]["items"] == f"/ogcapi/collections/{LAYER_PLACEHOLDER}/items"
    assert config["urls"]["layerPlaceholder"] == LAYER_PLACEHOLDER


def test_the_threshold_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("GBA_TILE_THRESHOLD", "12")
    assert create_app({"TESTING": True, "DATA_DIR": str(DATA_DIR)}).config["TILE_THRESHOLD"] == 12


@pytest.mark.parametrize("bad", ["-1", "1e5", "twenty", "", "1.5", "２０"])
def test_a_bad_threshold_stops_the_app_at_start_up(bad):
    with pytest.raises(ValueError, match="TILE_THRESHOLD"):
        make(bad)


def preloads(html: str) -> tuple[list[str], list[str]]:
    """The page's module preloads and its classic-script preloads, by href."""
    from bench.report import _Assets

    modules = re.findall(r'<link rel="modulepreload" href="([^"]+)">', html)
    scripts = re.findall(r'<link rel="preload" as="script" href="([^"]+)">', html)
    parser = _Assets()
    parser.feed(html)
    assert set(modules + scripts) <= set(parser.scripts)  # what bench.report's page weight counts
    return modules, scripts


@pytest.mark.parametrize("path", ["/?lang=en", "/embed?lang=en"])
def test_a_page_with_a_tiled_layer_preloads_what_draws_its_first_tile(path):
    """tiled.js, every module it imports and Leaflet.VectorGrid come with the page's own modules,
    not one import after another once main.js runs; a page without a tiled layer fetches none."""
    client = make("10").test_client()
    html = client.get(path).get_data(as_text=True)
    config = get_config(client, path)
    modules, scripts = preloads(html)
    names = [url.rsplit("/js/", 1)[-1] for url in modules]
    assert TILED_MODULE in names
    assert set(static_imports(f"js/{TILED_MODULE}")) <= {f"js/{name}" for name in names}
    assert len(names) == len(set(names))
    assert scripts == [config["urls"]["vectorGrid"]] and scripts[0].endswith(VECTOR_GRID_JS)
    assert client.get(scripts[0]).status_code == 200

    untiled = make("1000000").test_client().get(path).get_data(as_text=True)
    modules, scripts = preloads(untiled)
    assert scripts == [] and not [url for url in modules if url.endswith(f"/{TILED_MODULE}")]
    assert "vectorgrid" not in untiled.lower()
