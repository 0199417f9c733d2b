"""``python -m bench.page``'s command line: ``--production`` only with ``--tiled``."""

from __future__ import annotations

import pytest

from bench import page


def test_production_without_tiled_is_refused_with_a_message(capsys):
    with pytest.raises(SystemExit) as stopped:
        page.main(["--production"])
    assert stopped.value.code == 2
    assert "--production goes with --tiled" in capsys.readouterr().err
