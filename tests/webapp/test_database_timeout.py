"""GBA_DATABASE_TIMEOUT read at start (a bad value stops the app, naming the setting), and the
tiled layers' words sent only to pages with a tiled layer.  The limit at work: tests/postgis/test_timeout.py."""

from __future__ import annotations

import pytest

from webapp import create_app
from webapp.errors import SLOW_ADVICE, too_slow
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


def test_the_503_names_the_limit_when_there_is_one():
    assert too_slow("tile", 20).message == f"{SLOW_ADVICE['tile']} (the server stops a query after 20 s)"
    assert too_slow("search", 0.5).message.endswith("after 0.5 s)")
    assert too_slow("items", 0).message == SLOW_ADVICE["items"]  # cancelled by someone else
    error = too_slow("items", 20)
    assert (error.status, error.code, error.retry_after) == (503, "QueryTimeout", 30)
