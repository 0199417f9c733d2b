"""Docs that tests keep honest: every setting and make target is documented."""

import re

from tests.conftest import REPO
from webapp import SETTINGS

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_every_setting_and_its_environment_variable_is_documented():
    for key, (env, _default, _doc) in SETTINGS.items():
        assert f"`{key}`" in README, key
        assert f"`{env}`" in README, env


def test_every_make_target_is_documented():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    targets = re.findall(r"^([a-z-]+):.*## ", makefile, flags=re.M)
    assert "run" in targets and "test" in targets
    for target in targets:
        if target in ("help", "install", "browser"):
            continue  # plumbing the documented targets call
        assert f"make {target}" in README, target


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    assert "make run" in README and "make test" in README
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")
