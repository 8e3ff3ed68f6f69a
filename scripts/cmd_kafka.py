"""rmledger subcommands: kafka. Each module lists its click commands in COMMANDS."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
