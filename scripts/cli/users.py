"""rmledger subcommands: users (accounts, their roles, and bearer tokens for the HTTP
API; docs/rules.md R11). Each module lists its click commands in COMMANDS."""

from __future__ import annotations

import getpass
import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import click

from domain.account_commands import require_account
from domain.errors import RuleBroken
from domain.principal import BRANCH_HEAD, MANAGER, ROLES
from projections.audit.accounts import account_rows
from projections.escape import json_text, terminal
from scripts.cli.context import Context
from scripts.cli.options import IDENT
from scripts.cli.text_table import text_table
from scripts.identity.passwords import WeakPassword, generate_password, hash_password
from scripts.identity.tokens import issue_token, parse_ttl, token_keys


class Duration(click.ParamType):
    """A token's life: ``90s``, ``30m``, ``8h`` (scripts/identity/tokens.py::parse_ttl)."""

    name = "DURATION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return parse_ttl(str(value))
        except ValueError as error:
            self.fail(terminal(str(error)), param, ctx)


_ROLE = click.option(
    "--role", required=True, type=click.Choice(ROLES), help="The role the user holds."
)
_MANAGER = click.option(
    "--manager", "manager_id", type=IDENT, help="The manager id a manager is bound to."
)
_BRANCH = click.option(
    "--branch", "branch_id", type=IDENT, help="The branch a branch head is bound to."
)
_NAME = click.argument("name", type=IDENT)


def operator() -> str:
    """Who ran the command, as recorded in the account's events: ``cli:<login name>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "cli"


def bound_to(role: str, manager_id: str | None, branch_id: str | None) -> str:
    """What a role is bound to, in words: ``manager M001``, ``branch B01``, or ``-``."""
    if role == MANAGER:
        return f"manager {manager_id}"
    if role == BRANCH_HEAD:
        return f"branch {branch_id}"
    return "-"


def _refused(error: RuleBroken) -> click.ClickException:
    return click.ClickException(terminal(error.describe()))


@click.group()
def users() -> None:
    """Accounts of the people who use the HTTP API, their roles and bearer tokens."""


@users.command("add")
@_NAME
@_ROLE
@_MANAGER
@_BRANCH
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of generating one.",
)
@click.pass_obj
def add(
    ctx: Context,
    name: str,
    role: str,
    manager_id: str | None,
    branch_id: str | None,
    password_stdin: bool,
) -> None:
    """Add an account; without --password-stdin a password is generated and printed once."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else generate_password()
    try:
        password_hash = hash_password(password)
    except WeakPassword as error:
        raise click.ClickException(f"password: {error}") from None
    ctx.creates_store = True  # the first account may come before any message
    try:
        ctx.ledger.add_account(name, role, manager_id, branch_id, password_hash, operator())
    except RuleBroken as error:
        raise _refused(error) from None
    click.echo(f"added {name}: {role}, bound to {bound_to(role, manager_id, branch_id)}")
    if not password_stdin:
        click.echo(f"password (shown once): {password}")


@users.command("role")
@_NAME
@_ROLE
@_MANAGER
@_BRANCH
@click.pass_obj
def role(ctx: Context, name: str, role: str, manager_id: str | None, branch_id: str | None) -> None:
    """Grant a user another role (or the same role bound to another manager or branch)."""
    try:
        ctx.ledger.change_role(name, role, manager_id, branch_id, operator())
    except RuleBroken as error:
        raise _refused(error) from None
    click.echo(f"{name} is now {role}, bound to {bound_to(role, manager_id, branch_id)}")


@users.command("disable")
@_NAME
@click.pass_obj
def disable(ctx: Context, name: str) -> None:
    """Disable a user for good: no sign-in, and their tokens stop working."""
    try:
        ctx.ledger.disable_account(name, operator())
    except RuleBroken as error:
        raise _refused(error) from None
    click.echo(f"disabled {name}")


@users.command("token")
@_NAME
@click.option(
    "--ttl",
    type=Duration(),
    default="8h",
    show_default=True,
    help="How long the token is valid: 90s, 30m, 8h (at most 7 days).",
)
@click.pass_obj
def token(ctx: Context, name: str, ttl: timedelta) -> None:
    """Print a bearer token for the HTTP API, alone on its line."""
    try:
        require_account(ctx.ledger, name)
    except RuleBroken as error:
        raise _refused(error) from None
    key = token_keys(ctx.data_dir)[0]
    click.echo(issue_token(key, name, datetime.now(UTC) + ttl))


_HEADINGS = ("username", "role", "bound to", "status", "added")


def account_json(row: dict[str, Any]) -> dict[str, Any]:
    """One account as ``users list --json`` prints it."""
    return {
        "username": row["username"],
        "role": row["role"],
        "manager_id": row["manager_id"],
        "branch_id": row["branch_id"],
        "status": "disabled" if row["disabled"] else "active",
        "added_by": row["added_by"],
        "added_at": row["added_at"].isoformat(),
    }


def accounts_text(rows: list[dict[str, Any]]) -> str:
    """The accounts for people: a table, or a sentence when there is none."""
    if not rows:
        return "no users yet: add one with `rmledger users add NAME --role ROLE`"
    body = [
        [
            r["username"],
            r["role"],
            terminal(bound_to(r["role"], r["manager_id"], r["branch_id"])),
            "disabled" if r["disabled"] else "active",
            r["added_at"].date().isoformat(),
        ]
        for r in rows
    ]
    return f"{text_table(_HEADINGS, body)}\n{len(rows)} user{'' if len(rows) == 1 else 's'}"


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of the accounts.")
@click.pass_obj
def list_users(ctx: Context, as_json: bool) -> None:
    """Every account with its role, what the role is bound to, and whether it is disabled."""
    rows, _ = ctx.query_read_model(account_rows)
    if as_json:
        click.echo(json_text(json.dumps([account_json(r) for r in rows], indent=2)))
    else:
        click.echo(accounts_text(rows))


COMMANDS: list[click.Command] = [users]
