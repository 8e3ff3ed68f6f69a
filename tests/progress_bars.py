"""Recording the rich progress bars a command shows, for the CLI tests."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from rich.progress import Progress

Bars = list[list[tuple[float | None, float]]]


def record_progress_bars(monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> Bars:
    """Make rich take stderr for a terminal (CliRunner's is not, and rich draws no bar
    there), and record the (total, completed) of each bar ``module`` shows, when it
    is taken down."""
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TTY_INTERACTIVE", "1")
    shown: Bars = []

    class RecordingProgress(Progress):
        def __exit__(self, *exc_info: Any) -> None:
            shown.append([(task.total, task.completed) for task in self.tasks])
            super().__exit__(*exc_info)

    monkeypatch.setattr(module, "Progress", RecordingProgress)
    return shown
