"""Coordinators asking for the same report at once, on a live server, while
none of its months is built yet: each request builds the months and numbers
the region's people and enterprises (reporting.rollups) at the same
time as the others. Every answer is the same report, with the figures read
from the bookings, and nothing fails for the race."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.integration.conftest import PASSWORD, Call, LiveStack, race

pytestmark = [pytest.mark.integration, pytest.mark.services]

COORDINATOR = "coordinator.dalarna@example.se"
TODAY = datetime.now(ZoneInfo("Europe/Stockholm")).date()
END = TODAY.replace(day=1) - timedelta(days=1)  # the last whole month
START = (date(END.year - 1, END.month, 28) + timedelta(days=4)).replace(day=1)  # twelve months
REPORT = f"/api/v1/statistics/regions/20/?start={START}&end={END}"

SAME_AS_FROM_BOOKINGS = f"""
import json
from datetime import date

from django.conf import settings

from advisors.models import Region
from reporting.selectors import region_figures

region = Region.objects.get(code="20")
period = dict(region=region, start=date.fromisoformat("{START}"), end=date.fromisoformat("{END}"))
from_months = region_figures(**period)
settings.STATISTICS_MONTHLY_ROLLUPS = False
print(json.dumps(from_months == region_figures(**period)))
"""


@pytest.fixture(scope="module")
def stack(database_vendor, tmp_path_factory):
    with LiveStack.running(
        database_vendor,
        workdir=tmp_path_factory.mktemp(f"statistics-{database_vendor}"),
        entrepreneurs=1,
        advisors={"anna": {}},
    ) as live:
        live.manage("seed_demo", "--password", PASSWORD, "--history-bookings", "3000")
        live.log_in(COORDINATOR)
        yield live


def test_reports_building_the_same_months_at_once_all_give_the_figures_of_the_bookings(stack: LiveStack):
    assert stack.sql("SELECT count(*) FROM reporting_statisticsmonth") == [(0,)]

    outcomes = race(stack, [Call("GET", REPORT, None, COORDINATOR)] * 8)

    assert [o.status for o in outcomes] == [200] * 8, [o.body for o in outcomes if o.status != 200][:1]
    first = outcomes[0].body
    assert first["totals"]["bookings"] > 1000
    assert all(o.body == first for o in outcomes)
    months = stack.sql(
        "SELECT count(*), count(DISTINCT month) FROM reporting_statisticsmonth WHERE region = '20'"
    )
    assert months == [(12, 12)]
    assert json.loads(stack.manage("shell", "-c", SAME_AS_FROM_BOOKINGS).splitlines()[-1]) is True
