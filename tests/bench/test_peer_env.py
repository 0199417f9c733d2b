"""A fresh clone has no peer virtualenv yet: probing it must say "not there", not crash (issue 12)."""

from __future__ import annotations

import sys
from pathlib import Path

from bench import peer


def test_probing_a_virtualenv_that_does_not_exist_yet_says_no(tmp_path):
    assert peer._imports(tmp_path / "pygeoapi-venv" / "bin" / "python", "pass") is False


def test_probing_a_real_interpreter_runs_the_code():
    python = Path(sys.executable)
    assert peer._imports(python, "import sys; sys.exit(0)") is True
    assert peer._imports(python, "import sys; sys.exit(3)") is False
