"""Option types of the command line: every bad value is a usage error (exit 2) that
names the option and says what is expected, never a traceback.

One place for months, dates, timestamps, identifiers, Kafka addresses and bounded
numbers, so that every command reads them alike (tests/cli/test_cli_bad_options.py runs
every command with bad values).
"""

from __future__ import annotations

import ipaddress
import math
import re
from datetime import date, datetime
from typing import Any

import click

from projections.escape import CONTROL

_MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_ONE_HOST = r"(\[[0-9A-Fa-f:.]+\]|[^\s,:\[\]]+):[0-9]{1,5}"  # host:port, or [IPv6]:port
_HOST_PORT = re.compile(rf"^{_ONE_HOST}(,{_ONE_HOST})*$")
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")  # one label of a host name
MAX_POSITION = 2**63 - 1  # an event-log position is a signed 64-bit integer


def _shown(value: Any) -> str:
    """A bad value as an error message shows it: quoted, control characters escaped."""
    return repr(str(value))


# -- the values themselves: each raises ValueError with the sentence a user reads ---------
# (the click types below, and the web application's parameters, read values with these)


def month_text(value: Any) -> str:
    """A month, ``YYYY-MM``, as the text (``2026-03``)."""
    if isinstance(value, str) and _MONTH.match(value):
        return value
    raise ValueError(f"{_shown(value)} is not a month like 2026-03")


def day_value(value: Any) -> date:
    """A calendar date, ``YYYY-MM-DD``, that exists (no 2026-02-30)."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{_shown(value)} is not a date like 2026-03-31")


def timestamp_value(value: Any) -> datetime:
    """An ISO 8601 timestamp with its time zone."""
    if isinstance(value, datetime):
        return value
    try:
        moment = (
            datetime.fromisoformat(value)
            if isinstance(value, str) and value[:1].isdigit()
            else None
        )
    except ValueError:
        moment = None
    if moment is None:
        raise ValueError(f"{_shown(value)} is not a timestamp like 2026-03-31T18:00:00+08:00")
    if moment.tzinfo is None:
        raise ValueError(
            f"{_shown(value)} has no time zone: give one, e.g. 2026-03-31T18:00:00+08:00"
        )
    return moment


IDENT_MAX = 200


def ident_text(value: Any) -> str:
    """An identifier or name: not empty, no control characters, at most IDENT_MAX characters."""
    text = str(value)
    if not text.strip():
        raise ValueError("is empty")
    if CONTROL.search(text):
        raise ValueError(f"{_shown(text)} holds a control character")
    if len(text) > IDENT_MAX:
        raise ValueError(f"is longer than {IDENT_MAX} characters")
    return text


def position_value(value: Any) -> int:
    """An event-log position: a whole number from 0 to MAX_POSITION."""
    try:
        number = int(value) if isinstance(value, int) or str(value).strip().isdigit() else -1
    except ValueError:
        number = -1
    if not 0 <= number <= MAX_POSITION:
        raise ValueError(
            f"{_shown(value)} is not an event-log position (a whole number from 0 to {MAX_POSITION})"
        )
    return number


# -- click's types -------------------------------------------------------------------------


class Month(click.ParamType):
    """A month, ``YYYY-MM``; the value stays the text (``2026-03``)."""

    name = "YYYY-MM"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return month_text(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


class Day(click.ParamType):
    """A calendar date, ``YYYY-MM-DD``, that exists (no 2026-02-30)."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        try:
            return day_value(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


class Timestamp(click.ParamType):
    """An ISO 8601 timestamp with its time zone (``2026-03-31T18:00:00+08:00``); words
    such as ``now`` or ``yesterday`` are not timestamps."""

    name = "TIMESTAMP"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        try:
            return timestamp_value(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


class Ident(click.ParamType):
    """An identifier or name (manager, client, group, topic): not empty, no control
    characters, at most 200 characters."""

    name = "ID"
    MAX = IDENT_MAX

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return ident_text(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


class HostPort(click.ParamType):
    """Kafka bootstrap servers: ``HOST:PORT`` (several separated by commas)."""

    name = "HOST:PORT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        if (
            _HOST_PORT.match(text)
            and not CONTROL.search(text)
            and all(0 < int(part.rsplit(":", 1)[1]) < 65536 for part in text.split(","))
        ):
            return text
        self.fail(f"{_shown(text)} is not HOST:PORT, e.g. 127.0.0.1:9092", param, ctx)


class Host(click.ParamType):
    """An address to listen on: an IPv4 or IPv6 literal, or a host name (RFC 1123)."""

    name = "HOST"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        try:
            return str(ipaddress.ip_address(text))
        except ValueError:
            pass
        if len(text) <= 253 and all(_HOST_LABEL.match(label) for label in text.split(".")):
            return text
        self.fail(f"{_shown(text)} is not an IP address or a host name, e.g. 127.0.0.1", param, ctx)


class Seconds(click.ParamType):
    """A duration in seconds: a finite number, zero or more (``minimum``)."""

    name = "SECONDS"

    def __init__(self, minimum: float = 0.0) -> None:
        self.minimum = minimum

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{_shown(value)} is not a number of seconds", param, ctx)
        if not math.isfinite(number) or number < self.minimum:
            self.fail(
                f"{_shown(value)} is not a number of seconds of {self.minimum:g} or more",
                param,
                ctx,
            )
        return number


class SafePath(click.Path):
    """A path (click's checks), refused first when it holds a control character
    (a NUL would otherwise escape as an exception from the operating system call)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and CONTROL.search(value):
            self.fail(f"{_shown(value)} holds a control character", param, ctx)
        return super().convert(value, param, ctx)


MONTH = Month()
DAY = Day()
TIMESTAMP = Timestamp()
IDENT = Ident()
HOST_PORT = HostPort()
HOST = Host()
SECONDS = Seconds()
POSITION = click.IntRange(min=0, max=MAX_POSITION)
COUNT = click.IntRange(min=1, max=10_000_000)
