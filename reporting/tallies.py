"""Reading the report's tallies from the bookings, aggregated in the database:
one query for the totals and every breakdown (`tallies`). Monthly rollups
(reporting.rollups) give the same tallies for periods of whole months."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, transaction
from django.db.models import Case, F, QuerySet, TextField, Value, When
from django.db.models.functions import Cast, TruncMonth

from bookings import needs, rules
from bookings.models import Booking, BookingStatus, Gender

from .periods import REPORT_ZONE

# The groupings the report reads, by the expression each groups on. The
# totals group on the region, the same for every booking read.
GROUPINGS = {
    "totals": F("stat_region"),
    "by_month": TruncMonth("start", tzinfo=REPORT_ZONE),
    "by_topic": F("topic_id"),
    "by_municipality": F("stat_municipality"),
    "by_enterprise_kind": F("stat_enterprise_kind"),
    "by_gender": Case(
        When(stat_gender=Gender.WOMAN, then=Value("women")),
        When(stat_gender=Gender.MAN, then=Value("men")),
        default=Value("other_or_not_stated"),
    ),
    "by_mode": F("mode"),
    "by_advisor_organisation": F("stat_advisor_organisation"),
    "by_booked_by": Case(When(stat_booked_by_advisor=True, then=Value("advisor")), default=Value("person")),
    "by_need": "stat_needs",
    "by_need_not_met": "needs_not_met",
}
# Groupings by a list of kinds of need (a JSON list field, named above): a
# booking is in the row of each kind its list holds, so one with two needs is
# in two rows and one without any in none.
LISTED = {"by_need": needs.KINDS, "by_need_not_met": needs.KINDS}
# Groupings whose keys seldom change between one person's (or enterprise's)
# bookings: PostgreSQL reads them in one grouping by person and all of them,
# about one row a person, and groups that apart in a second step. Only a matter
# of speed: grouping finer first gives the same counts, whatever the data.
READ_TOGETHER = ("totals", "by_municipality", "by_enterprise_kind", "by_gender", "by_advisor_organisation")
# The facts read from each booking, besides the groupings (named without
# "fact_" in the SQL; the ORM will not alias a field by its own name).
FACTS = {
    "fact_person": F("stat_person_key"),
    "fact_enterprise": F("stat_enterprise_key"),
    "fact_municipality": F("stat_municipality"),
    "fact_status": F("status"),
    "fact_first_time": F("stat_first_time"),
    "fact_waiting": F("stat_waiting_days"),
    "fact_minutes": F("duration"),
    "fact_rating": F("feedback__rating"),
}


@dataclass
class Tally:
    """What the database counted for one row: people and enterprises (all,
    held, outcome, booked, rated; enterprises also first-time and returning),
    the municipalities covered, and the bookings by waiting days."""

    people: tuple[int, ...] = (0, 0, 0, 0, 0)
    enterprises: tuple[int, ...] = (0, 0, 0, 0, 0, 0, 0)
    covered: int = 0
    # (waiting days, bookings, held, no-show, cancelled, held minutes, booked minutes, rating sum, ratings)
    by_waiting: list[tuple[int, ...]] = field(default_factory=list)


def read_tallies(
    bookings: QuerySet[Booking], region_code: str, groupings: Mapping[str, Any] = GROUPINGS
) -> dict[str, dict[str, Tally]]:
    """Every grouping's tallies, aggregated in the database: one query for
    the groupings by one key a booking, and one more for those by a list of
    kinds (LISTED), if any are asked for.

    Four kinds of rows per grouping ("arms"): people, enterprises, covered
    municipalities and bookings by waiting days. Distinct people and
    enterprises are counted in two steps (group by row and person, then count
    the groups) rather than with COUNT(DISTINCT …), which would sort once per
    distinct count. Waiting days come back as a histogram per row (a few dozen
    values), from which the percentiles are exact. The booking rows are read
    once, as a common table expression built by the ORM.

    On PostgreSQL each arm is one GROUP BY GROUPING SETS over all groupings, so
    a year of a big region is read four times rather than 32 (SQLite has no
    grouping sets: there each arm is a UNION ALL of one GROUP BY per grouping).
    Both give the same rows, which the tests check on both databases.

    The listed groupings are read from the bookings with any need, a row of
    them per kind in one of their lists ("by_need:interpreter", …), as one
    grouping of those keys."""
    connection = connections[bookings.db]
    plain = {name: e for name, e in groupings.items() if name not in LISTED}
    listed = [name for name in groupings if name in LISTED]
    queries: list[tuple[str, list, list[str]]] = []
    if plain:
        columns = {f"g{i}": expression for i, expression in enumerate(plain.values())}
        base = bookings.values(**columns, **FACTS)
        base_sql, base_params = base.query.get_compiler(using=bookings.db).as_sql()
        queries.append(
            (
                *_arms_sql(connection.vendor, base_sql, list(base_params), list(plain), region_code),
                list(plain),
            )
        )
    if listed:
        base_sql, base_params = _listed_base(bookings, {name: groupings[name] for name in listed})
        queries.append(
            (*_arms_sql(connection.vendor, base_sql, base_params, ["listed"], region_code), ["listed"])
        )

    grouping_sets = connection.vendor == "postgresql"
    # SET LOCAL needs a transaction: our own, or the caller's (then the
    # settings last until the caller's ends, harmless for what follows).
    own = transaction.atomic(using=bookings.db) if connection.get_autocommit() else nullcontext()
    found: dict[str, dict[str, Tally]] = {name: {} for name in groupings}
    with own, connection.cursor() as cursor:
        if grouping_sets:
            # The planner prices these queries high enough to JIT-compile their
            # many expressions, which takes longer than running them. work_mem
            # stays the server's: with the monthly rollups on (the default)
            # reports do not run them, and without them a big period spills to
            # disk rather than taking a backend past a gigabyte (issue 17).
            cursor.execute("SET LOCAL jit = off")
        for sql, params, names_by_index in queries:
            cursor.execute(sql, params)
            for name, key, tally in _tallies_of(cursor.fetchall(), names_by_index, grouping_sets):
                if name == "listed":
                    name, key = key.split(":", 1)
                found[name][key] = tally
    return found


def _listed_base(bookings: QuerySet[Booking], fields: Mapping[str, str]) -> tuple[str, list]:
    """The rows of the listed groupings (`fields`: name, list field): the
    bookings with any need, once per kind in each list, keyed
    "name:kind", with the FACTS. A kind is found in a list's JSON text by its
    quoted name, the same text on both databases."""
    lists = {f"l{i}": Cast(field, TextField()) for i, field in enumerate(fields.values())}
    # A booking without a need has nothing in any list (needs_not_met is a part of stat_needs).
    inner = bookings.exclude(stat_needs=[]).values(**lists, **FACTS)
    inner_sql, inner_params = inner.query.get_compiler(using=bookings.db).as_sql()
    kinds, kind_params = [], []
    for i, name in enumerate(fields):
        for kind in LISTED[name]:
            escaped = kind.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            kinds.append("SELECT %s AS k, %s AS pattern, %s AS l")
            kind_params += [f"{name}:{kind}", f'%"{escaped}"%', i]
    which = " ".join(f"WHEN {i} THEN x.l{i}" for i in range(len(fields)))
    facts = ", ".join(f"x.{name}" for name in FACTS)
    sql = (
        f"SELECT kinds.k, {facts} FROM ({inner_sql}) AS x "  # noqa: S608 - names from FACTS, values are parameters
        f"JOIN ({' UNION ALL '.join(kinds)}) AS kinds ON (CASE kinds.l {which} END) LIKE kinds.pattern ESCAPE '\\'"
    )
    return sql, [*inner_params, *kind_params]


def _arms_sql(
    vendor: str, base_sql: str, base_params: list, names_by_index: list[str], region_code: str
) -> tuple[str, list]:
    """The query of read_tallies over `base_sql`, whose columns are g0, g1, …
    (the groupings `names_by_index`, in order) and then the FACTS."""
    columns = [f"g{i}" for i in range(len(names_by_index))]
    names = ", ".join([*columns, *(name.removeprefix("fact_") for name in FACTS)])
    (held,) = rules.HELD
    no_show, cancelled, booked = BookingStatus.NO_SHOW, BookingStatus.CANCELLED, rules.BOOKED
    flags = (
        "MAX(CASE WHEN status = %s THEN 1 ELSE 0 END) AS f_held, "
        "MAX(CASE WHEN status IN (%s, %s) THEN 1 ELSE 0 END) AS f_outcome, "
        "MAX(CASE WHEN status IN (%s, %s, %s) THEN 1 ELSE 0 END) AS f_booked, "
        "MAX(CASE WHEN rating IS NOT NULL THEN 1 ELSE 0 END) AS f_rated"
    )
    flag_params = [held, held, no_show, *booked]
    # Each arm groups the bookings by grouping key and `by`, aggregating
    # `inner` (named as in `cols`); `rollup` aggregates those again (grouping
    # them coarser gives the same result); `outer` makes the arm's numbers
    # from the groups of each key. Columns: grouping, arm, key, waiting days,
    # then eight numbers.
    arms: list[dict[str, Any]] = [
        {
            "by": "person",
            "inner": flags,
            "params": flag_params,
            "cols": ("f_held", "f_outcome", "f_booked", "f_rated"),
            "rollup": "MAX",
            "outer": "CAST(NULL AS INTEGER), COUNT(*), SUM(f_held), SUM(f_outcome), SUM(f_booked), "
            "SUM(f_rated), 0, 0, 0",
        },
        {
            "by": "enterprise",
            "inner": f"{flags}, MAX(CASE WHEN status = %s AND first_time THEN 1 ELSE 0 END) AS f_first, "
            "MAX(CASE WHEN status = %s AND NOT first_time THEN 1 ELSE 0 END) AS f_returning",
            "params": [*flag_params, held, held],
            "cols": ("f_held", "f_outcome", "f_booked", "f_rated", "f_first", "f_returning"),
            "rollup": "MAX",
            "outer": "CAST(NULL AS INTEGER), COUNT(*), SUM(f_held), SUM(f_outcome), SUM(f_booked), "
            "SUM(f_rated), SUM(f_first), SUM(f_returning), 0",
        },
        {
            # A municipality code starts with its region's code.
            "by": "municipality",
            "where": ("WHERE status = %s AND municipality LIKE %s", [held, f"{region_code}%"]),
            "outer": "CAST(NULL AS INTEGER), COUNT(*), 0, 0, 0, 0, 0, 0, 0",
        },
        {
            "by": "waiting",
            "inner": "COUNT(*) AS n, SUM(CASE WHEN status = %s THEN 1 ELSE 0 END) AS n_held, "
            "SUM(CASE WHEN status = %s THEN 1 ELSE 0 END) AS n_no_show, "
            "SUM(CASE WHEN status = %s THEN 1 ELSE 0 END) AS n_cancelled, "
            "SUM(CASE WHEN status = %s THEN minutes ELSE 0 END) AS m_held, "
            "SUM(CASE WHEN status IN (%s, %s, %s) THEN minutes ELSE 0 END) AS m_booked, "
            "SUM(rating) AS r_sum, COUNT(rating) AS r_n",
            "params": [held, no_show, cancelled, held, *booked],
            "cols": ("n", "n_held", "n_no_show", "n_cancelled", "m_held", "m_booked", "r_sum", "r_n"),
            "rollup": "SUM",
            # One row per key and waiting days already: the outer step passes it on.
            "outer": "waiting, SUM(n), SUM(n_held), SUM(n_no_show), SUM(n_cancelled), SUM(m_held), "
            "SUM(m_booked), SUM(r_sum), SUM(r_n)",
        },
    ]
    grouping_sets = vendor == "postgresql"
    ctes, parts, params, cte_params = [], [], [], []
    every = ", ".join(columns)
    together = [f"g{names_by_index.index(name)}" for name in READ_TOGETHER if name in names_by_index]
    alone = [c for c in columns if c not in together]
    for a, arm in enumerate(arms):
        by: str = arm["by"]
        where, where_params = arm.get("where", ("", []))
        inner = f", {arm['inner']}" if "inner" in arm else ""
        then_by = ", waiting" if by == "waiting" else ""
        if not grouping_sets:
            steps = [
                f"SELECT {i} AS g, CAST({c} AS VARCHAR(200)) AS k, {by}{inner} FROM b {where} "  # noqa: S608 - names from GROUPINGS, values are parameters
                f"GROUP BY {c}, {by}"
                for i, c in enumerate(columns)
            ]
            parts.append(
                f"SELECT g, {a}, k, {arm['outer']} FROM ({' UNION ALL '.join(steps)}) AS x GROUP BY g, k{then_by}"  # noqa: S608 - fixed text
            )
            params += [*arm.get("params", []), *where_params] * len(columns)
            continue
        # GROUPING() sets the bit of every grouping column not in the row's
        # set, and those columns are null there: the key is the one that is
        # not, made text only once the rows are few. The groupings read
        # together are grouped apart in a second step, over few rows.
        sets = [f"({c}, {by})" for c in alone] + ([f"({', '.join(together)}, {by})"] if together else [])
        ctes.append(
            f"i{a} AS (SELECT GROUPING({every}) AS g, {every}, {by}{inner} FROM b {where} "  # noqa: S608 - names from GROUPINGS, values are parameters
            f"GROUP BY GROUPING SETS ({', '.join(sets)}))"
        )
        cte_params += [*arm.get("params", []), *where_params]
        cols = "".join(f", {c}" for c in arm.get("cols", ()))
        rolled = "".join(f", {arm['rollup']}({c}) AS {c}" for c in arm.get("cols", ()))
        combined = _grouping(together, columns)
        rows = f"SELECT g, {every}, {by}{cols} FROM i{a} WHERE g <> {combined}"  # noqa: S608 - fixed text
        if together:
            # GROUPING() here takes only this step's own grouping columns; the
            # others are null in these rows.
            grouped = ", ".join(c if c in together else "NULL" for c in columns)
            gid = " ".join(f"WHEN GROUPING({c}) = 0 THEN {_grouping([c], columns)}" for c in together)
            rows += (
                f" UNION ALL SELECT CASE {gid} END, {grouped}, {by}{rolled} FROM i{a} WHERE g = {combined} "  # noqa: S608 - fixed text
                f"GROUP BY GROUPING SETS ({', '.join(f'({c}, {by})' for c in together)})"
            )
        key = "COALESCE(" + ", ".join(f"CAST({c} AS VARCHAR(200))" for c in columns) + ")"
        parts.append(
            f"SELECT g, {a}, {key}, {arm['outer']} FROM ({rows}) AS x GROUP BY g, {every}{then_by}"  # noqa: S608 - fixed text
        )
    sql = f"WITH b ({names}) AS ({base_sql}){''.join(f', {c}' for c in ctes)} " + " UNION ALL ".join(parts)
    params = [*cte_params, *params]
    return sql, [*base_params, *params]


def _tallies_of(
    rows: list[tuple], names_by_index: list[str], grouping_sets: bool
) -> Iterator[tuple[str, str, Tally]]:
    """The tallies in the rows of an `_arms_sql` query: (grouping, key, tally)."""
    columns = [f"g{i}" for i in range(len(names_by_index))]
    if grouping_sets:
        index_of = {_grouping([c], columns): i for i, c in enumerate(columns)}
    found: dict[tuple[str, str], Tally] = {}
    for g, arm, key, waiting, *numbers in rows:
        index = index_of[g] if grouping_sets else g
        tally = found.setdefault((names_by_index[index], key), Tally())
        numbers = [int(n or 0) for n in numbers]
        if arm == 0:
            tally.people = tuple(numbers[:5])
        elif arm == 1:
            tally.enterprises = tuple(numbers[:7])
        elif arm == 2:
            tally.covered = numbers[0]
        else:
            tally.by_waiting.append((int(waiting), *numbers))
    for (name, key), tally in found.items():
        yield name, key, tally


def _grouping(included: Iterable[str], columns: Collection[str]) -> int:
    """What PostgreSQL's GROUPING(all `columns`) is for a grouping set of the
    `included` ones: a bit for each column not in it, the first the highest."""
    return sum(1 << (len(columns) - 1 - i) for i, c in enumerate(columns) if c not in set(included))
