"""GBA_DATABASE_TIMEOUT read at start (a bad value stops the app, naming the setting), and the
tiled layers' words sent only to pages with a tiled layer.  The limit at work: tests/postgis/test_timeout.py."""

from __future__ import annotations

import pytest

from webapp import create_app
from webapp.mapview import page_text


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf", "20s", "", " ", "1e999"])
def test_a_bad_timeout_stops_the_app_at_start(value, mini_data_dir):
    with pytest.raises(ValueError, match=r"DATABASE_TIMEOUT=.*a number of seconds, 0 or more"):
        create_app({"TESTING": True, "DATA_DIR": str(mini_data_dir), "DATABASE_TIMEOUT": value})


@pytest.mark.parametrize(("value", "read"), [("20", 20.0), (" 0.5 ", 0.5), ("0", 0.0), (3, 3.0)])
def test_good_timeouts_are_read(value, read, mini_data_dir):
    app = create_app({"TESTING": True, "DATA_DIR": str(mini_data_dir), "DATABASE_TIMEOUT": value})
    assert app.config["DATABASE_TIMEOUT"] == read


def test_the_tiled_words_go_only_to_a_page_with_a_tiled_layer():
    text = {"load_error": "Could not load", "tiled.refused": "Some tiles ...", "queryable.status": "Status"}
    assert page_text(text, embed=False, tiled=True) == {
        "load_error": "Could not load",
        "tiled.refused": "Some tiles ...",
    }
    assert page_text(text, embed=True, tiled=True) == {
        "load_error": "Could not load",
        "tiled.refused": "Some tiles ...",
    }
    assert page_text(text, embed=True) == page_text(text, embed=False) == {"load_error": "Could not load"}
