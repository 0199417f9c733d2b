"""Which layers the map draws from vector tiles: the setting TILE_THRESHOLD, and what the page
config tells the front end (tests/browser/test_tiled_layer.py drives the page itself)."""

from __future__ import annotations

import pytest

from geo.schema import LINK_LAYER
from tests.conftest import DATA_DIR
from tests.webapp.test_views import get_config
from webapp import create_app
from webapp.mapview import LAYER_PLACEHOLDER, tile_template, tiled_layers


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
