"""Running the command line in-process in tests: a command's output, and an ingest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from scripts.cli.main import cli


def run(data_dir: Path, *args: str) -> str:
    """``rmledger --data-dir DATA_DIR ARGS...``'s output; the command must succeed."""
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def ingest(data_dir: Path, messages: list[dict[str, Any]]) -> None:
    """``rmledger ingest`` of ``messages`` as a JSON Lines file; every one applied."""
    source = data_dir / "messages.jsonl"
    source.write_text("".join(json.dumps(m) + "\n" for m in messages))
    assert run(data_dir, "ingest", str(source)).startswith(f"applied: {len(messages)} ")
