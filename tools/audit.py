"""``make audit``: pip-audit over every pinned package, and an honest answer when it cannot look.

pip-audit prints "No known vulnerabilities found" and exits 0 when its database does not
answer (every package "skipped"), which reads like a clean bill of health.  This wrapper
first audits a canary that is known to be vulnerable; unless pip-audit reports it, the
database is not answering and the result is "not audited" with a non-zero exit.  Then it
audits the exact versions installed in the virtualenv (``pip freeze``: the pins of
requirements.txt and everything they pulled in) and fails on any package it skipped.

Exit status: 0 audited and clean, 1 vulnerabilities found, 2 not audited.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

# A release with published advisories (CVE-2019-10906 and later): a working database reports it.
CANARY = "jinja2==2.10"
EXIT_CLEAN, EXIT_VULNERABLE, EXIT_NOT_AUDITED = 0, 1, 2


@dataclass(frozen=True)
class Verdict:
    status: int
    message: str


def _dependencies(report: dict) -> list[dict]:
    deps = report.get("dependencies") if isinstance(report, dict) else None
    return deps if isinstance(deps, list) else []


def canary_answered(report: dict | None) -> bool:
    """True when the canary came back with at least one known vulnerability."""
    if report is None:
        return False
    return any(dep.get("vulns") for dep in _dependencies(report) if not dep.get("skip_reason"))


def assess(canary: dict | None, report: dict | None, expected: int) -> Verdict:
    """The verdict from pip-audit's JSON reports (``None`` when pip-audit gave no JSON)."""
    if not canary_answered(canary):
        return Verdict(
            EXIT_NOT_AUDITED,
            f"not audited: the vulnerability database did not answer (the known-vulnerable canary {CANARY} "
            "came back clean or skipped); this machine may not reach it",
        )
    if report is None:
        return Verdict(EXIT_NOT_AUDITED, "not audited: pip-audit gave no report for the requirements")
    deps = _dependencies(report)
    skipped = [f"{d.get('name')} {d.get('version', '')}".strip() for d in deps if d.get("skip_reason")]
    if skipped:
        shown = ", ".join(skipped[:10]) + (" …" if len(skipped) > 10 else "")
        return Verdict(EXIT_NOT_AUDITED, f"not audited: pip-audit skipped {len(skipped)} package(s): {shown}")
    if len(deps) < expected:
        return Verdict(
            EXIT_NOT_AUDITED, f"not audited: pip-audit reported {len(deps)} of the {expected} pinned packages"
        )
    found = [
        f"{d['name']} {d.get('version', '')}: {v.get('id')} (fixed in {', '.join(v.get('fix_versions') or []) or 'no release'})"
        for d in deps
        for v in d.get("vulns") or []
    ]
    if found:
        return Verdict(EXIT_VULNERABLE, "known vulnerabilities:\n  " + "\n  ".join(found))
    return Verdict(EXIT_CLEAN, f"audited {len(deps)} pinned packages: no known vulnerabilities")


def _run_pip_audit(pip_audit: str, requirements: Path) -> dict | None:
    command = [pip_audit, "-r", str(requirements), "--no-deps", "--disable-pip", "--progress-spinner", "off"]
    done = subprocess.run([*command, "-f", "json"], capture_output=True, text=True, timeout=900, check=False)
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        return None


def frozen_requirements(python: str) -> list[str]:
    """Every package installed in the virtualenv, pinned (``name==version``), without editable installs."""
    out = subprocess.run(
        [python, "-m", "pip", "freeze", "--all", "--exclude-editable"], capture_output=True, text=True, check=True
    ).stdout
    return sorted(line for line in out.splitlines() if "==" in line and not line.startswith("#"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.audit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pip-audit", default="pip-audit", help="the pip-audit executable")
    parser.add_argument("--python", default=sys.executable, help="the virtualenv's python to audit")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        canary_file = Path(tmp) / "canary.txt"
        canary_file.write_text(CANARY + "\n")
        pinned = frozen_requirements(args.python)
        pins_file = Path(tmp) / "pinned.txt"
        pins_file.write_text("\n".join(pinned) + "\n")
        print(f"auditing {len(pinned)} pinned packages with pip-audit (canary first)…", file=sys.stderr, flush=True)
        try:
            canary = _run_pip_audit(args.pip_audit, canary_file)
            report = _run_pip_audit(args.pip_audit, pins_file) if canary_answered(canary) else None
        except FileNotFoundError:
            print(f"not audited: {args.pip_audit} is not installed", file=sys.stderr)
            return EXIT_NOT_AUDITED
        except subprocess.TimeoutExpired:
            print("not audited: pip-audit did not finish in 15 minutes", file=sys.stderr)
            return EXIT_NOT_AUDITED
    verdict = assess(canary, report, expected=len(pinned))
    print(verdict.message, file=sys.stderr if verdict.status else sys.stdout)
    return verdict.status


if __name__ == "__main__":
    sys.exit(main())
