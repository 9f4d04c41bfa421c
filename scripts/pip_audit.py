"""Run pip-audit over the installed environment, bounded and honest about being offline.

Exit 0 with "pip-audit: no known vulnerabilities (N packages audited)" when the
advisory source answered and found nothing; exit 1 listing each vulnerable package when
it found something; exit 0 with "pip-audit: advisory source unreachable, skipped" when
the source could not be reached, timed out, or could audit no package at all (a mirror
without the vulnerability API answers "not found" for every name). Being offline must
not fail CI; a known vulnerability must.

Usage: python scripts/pip_audit.py [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

UNREACHABLE = "pip-audit: advisory source unreachable, skipped"


def main() -> int:
    """Run the audit; the exit status CI should see (see the module docstring)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    audit = Path(sys.executable).with_name("pip-audit")
    if not audit.exists():
        print("pip-audit: not installed (pip install -e '.[test]'), skipped")
        return 0
    command = [str(audit), "--format", "json", "--progress-spinner", "off", "--skip-editable"]
    try:
        done = subprocess.run(  # noqa: S603 - our own venv's pip-audit, fixed arguments
            command, capture_output=True, text=True, timeout=args.timeout, check=False
        )
    except subprocess.TimeoutExpired:
        print(f"{UNREACHABLE} (no answer within {args.timeout:.0f} s)")
        return 0
    try:
        report = json.loads(done.stdout or "{}")
    except json.JSONDecodeError:
        report = {}
    dependencies = report.get("dependencies") if isinstance(report, dict) else None
    if not isinstance(dependencies, list):
        print(f"{UNREACHABLE} (pip-audit exited {done.returncode} without a report)")
        return 0
    audited = [d for d in dependencies if "version" in d and "skip_reason" not in d]
    if not audited:
        print(f"{UNREACHABLE} (no package could be looked up)")
        return 0
    vulnerable = [d for d in audited if d.get("vulns")]
    if vulnerable:
        for dep in vulnerable:
            ids = ", ".join(
                f"{v.get('id')} (fixed in {', '.join(v.get('fix_versions') or ['?'])})"
                for v in dep["vulns"]
            )
            print(f"pip-audit: {dep['name']} {dep['version']}: {ids}")
        return 1
    skipped = len(dependencies) - len(audited)
    print(
        f"pip-audit: no known vulnerabilities ({len(audited)} packages audited, "
        f"{skipped} not found at the advisory source)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
