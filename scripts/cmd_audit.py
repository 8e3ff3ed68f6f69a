"""rmledger subcommands: audit. Each module lists its click commands in COMMANDS."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
