"""The check's table: one row per check, expected against observed."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Results", "Row"]


@dataclass
class Row:
    """One line of the table."""

    check: str
    expected: str
    observed: str
    ok: bool


@dataclass
class Results:
    """The table: one row per check."""

    rows: list[Row] = field(default_factory=list)

    def add(self, check: str, expected: object, observed: object) -> bool:
        """A row that passes when ``observed`` equals ``expected``."""
        ok = expected == observed
        self.rows.append(Row(check, str(expected), str(observed), ok))
        return ok

    def require(self, check: str, ok: bool, observed: str, expected: str = "yes") -> bool:
        """A row judged by the caller."""
        self.rows.append(Row(check, expected, observed, ok))
        return ok

    @property
    def passed(self) -> bool:
        """True when there are rows and every one passed."""
        return bool(self.rows) and all(r.ok for r in self.rows)

    def table(self) -> str:
        """The rows as a fixed-width table with a summary line."""
        widths = [
            max(len(h), *(len(getattr(r, a)) for r in self.rows))
            for h, a in (("check", "check"), ("expected", "expected"), ("observed", "observed"))
        ]
        line = "  ".join([f"{{:<{w}}}" for w in widths] + ["{}"])
        out = [line.format("check", "expected", "observed", "result")]
        out.append(line.format(*("-" * w for w in widths), "------"))
        for r in self.rows:
            out.append(line.format(r.check, r.expected, r.observed, "PASS" if r.ok else "FAIL"))
        failed = sum(not r.ok for r in self.rows)
        out.append(
            f"\n{len(self.rows) - failed} passed, {failed} failed"
            + ("" if failed else ": the deployment is consistent")
        )
        return "\n".join(out)
