"""Hand-written reads for the path every visitor takes: the slot engine's
inputs (an advisor's row, weekly hours, bookings and busy times), read on
every advisor page, slots request and directory page.

Building a queryset and compiling it costs Django about a millisecond a
query, more than SQLite or PostgreSQL takes to answer one of these, and its
converters cost more again for a window's bookings. These run fixed SQL
through Django's cursor (so query counts still see them) and read what the
driver gives: PostgreSQL's aware datetimes, SQLite's naive ones (UTC, as
USE_TZ stores them; Django's SQLite backend declares the column types the
driver converts). Tests hold their answers equal to the ORM's on both
databases (tests/advisors/test_directory_representation.py,
tests/bookings/test_booked_source.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time
from typing import Any, overload

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model


def table(model: type[Model]) -> str:
    """The model's table, quoted for SQL."""
    return connections[DEFAULT_DB_ALIAS].ops.quote_name(model._meta.db_table)


def placeholders(count: int) -> str:
    """ "%s, %s, …" for `count` parameters (an IN list)."""
    return ", ".join(["%s"] * count)


def rows(sql: str, params: Sequence[Any], *, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
    """The rows of `sql` as the database driver gives them."""
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def moment_param(value: datetime, *, using: str = DEFAULT_DB_ALIAS) -> object:
    """An aware datetime as the database compares it with a stored one."""
    return connections[using].ops.adapt_datetimefield_value(value)


@overload
def moment(value: datetime | str) -> datetime: ...
@overload
def moment(value: None) -> None: ...
def moment(value: datetime | str | None) -> datetime | None:
    """A stored datetime as an aware one; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):  # an expression's value, which SQLite gives undeclared
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def clock(value: time | str) -> time:
    """A stored time of day as a time."""
    return value if isinstance(value, time) else time.fromisoformat(value)
