"""``make audit`` never reports "no known vulnerabilities" when it could not look (issue 10)."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

from tools.audit import CANARY, EXIT_CLEAN, EXIT_NOT_AUDITED, EXIT_VULNERABLE, assess

REPO = Path(__file__).resolve().parent.parent
VULN = {"id": "PYSEC-2019-217", "fix_versions": ["2.10.1"], "aliases": ["CVE-2019-10906"]}
CANARY_FOUND = {"dependencies": [{"name": "jinja2", "version": "2.10", "vulns": [VULN]}], "fixes": []}
# What pip-audit 2.10 prints on these machines: the package is "skipped", and it still says
# "No known vulnerabilities found" with exit 0.
CANARY_SKIPPED = {
    "dependencies": [{"name": "jinja2", "skip_reason": "Dependency not found on PyPI and could not be audited"}],
    "fixes": [],
}


def _clean(*names):
    return {"dependencies": [{"name": n, "version": "1.0", "vulns": []} for n in names], "fixes": []}


def test_an_unreachable_database_is_not_audited_never_clean():
    verdict = assess(CANARY_SKIPPED, _clean("flask", "shapely"), expected=2)
    assert verdict.status == EXIT_NOT_AUDITED
    assert verdict.message.startswith("not audited")
    assert "no known vulnerabilities" not in verdict.message
    assert assess(None, None, expected=2).status == EXIT_NOT_AUDITED


def test_a_skipped_package_is_not_audited():
    report = _clean("flask")
    report["dependencies"].append({"name": "shapely", "skip_reason": "could not be audited"})
    verdict = assess(CANARY_FOUND, report, expected=2)
    assert verdict.status == EXIT_NOT_AUDITED
    assert "shapely" in verdict.message


def test_missing_packages_in_the_report_are_not_audited():
    assert assess(CANARY_FOUND, _clean("flask"), expected=3).status == EXIT_NOT_AUDITED


def test_vulnerabilities_are_listed_with_their_fix():
    report = _clean("flask")
    report["dependencies"].append({"name": "jinja2", "version": "2.10", "vulns": [VULN]})
    verdict = assess(CANARY_FOUND, report, expected=2)
    assert verdict.status == EXIT_VULNERABLE
    assert "jinja2 2.10: PYSEC-2019-217 (fixed in 2.10.1)" in verdict.message


def test_clean_only_when_the_canary_answered_and_every_package_was_checked():
    verdict = assess(CANARY_FOUND, _clean("flask", "shapely"), expected=2)
    assert verdict.status == EXIT_CLEAN
    assert verdict.message == "audited 2 pinned packages: no known vulnerabilities"


def test_the_command_says_not_audited_against_an_offline_pip_audit(tmp_path):
    """The whole command, with a stand-in for pip-audit that behaves as it does offline here."""
    fake = tmp_path / "pip-audit"
    fake.write_text(
        f"#!/bin/sh\necho 'No known vulnerabilities found' >&2\necho '{json.dumps(CANARY_SKIPPED)}'\nexit 0\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    done = subprocess.run(
        [sys.executable, "-m", "tools.audit", "--pip-audit", str(fake)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == EXIT_NOT_AUDITED
    assert "not audited" in done.stderr
    assert CANARY in done.stderr
    assert "no known vulnerabilities" not in (done.stdout + done.stderr).lower()
