"""Problems found in the data, reported as values: file, record id, line and what is wrong."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    record_id: str | None
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        who = f" [{self.record_id}]" if self.record_id else ""
        return f"{where}{who}: {self.message}"


class PipelineError(Exception):
    """Raised by the pipeline with the problems that stopped it."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
