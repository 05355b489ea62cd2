"""A progress bar for a sweep: runs done, failed and to go, with the time left (rich, on
standard error, so that standard output keeps only the results table)."""

from __future__ import annotations


class SweepProgress:
    """Shown only when ``enabled`` (a terminal, not ``--quiet``); a no-op otherwise.
    ``start`` is told the total and how many runs an earlier attempt already made."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None
        self.task = None
        self.failed = 0

    def start(self, total: int, kept: int, workers: int, executor: str) -> None:
        if not self.enabled:
            return
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)
        self.bar = Progress(TextColumn(f"runs ({executor}, {workers} worker"
                                       f"{'s' if workers != 1 else ''})"),
                            BarColumn(), MofNCompleteColumn(),
                            TextColumn("[red]{task.fields[failed]} failed[/red]"),
                            TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                            transient=True, console=Console(stderr=True))
        self.bar.start()
        self.task = self.bar.add_task("sweep", total=total, completed=kept, failed=0)

    def advance(self, ok: bool) -> None:
        if not ok:
            self.failed += 1
        if self.bar is not None:
            self.bar.update(self.task, advance=1, failed=self.failed)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
