"""reporting's writes: the monthly statistics mail. On the first of each month
(beat, 06:00, reporting.tasks.send_monthly_reports) every region's active
coordinators get last month's report as an XLSX attachment, one mail each, in
their own language. The mail goes through the outbox like every other:
written here, delivered and retried by notifications. Which mails are
recorded is kept in a ledger of its own (MonthlyReportMail), not in the audit
trail."""

from __future__ import annotations

import logging
from datetime import date

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from advisors.models import Coordinator, Region

from . import periods, signals
from .export import XLSX_CONTENT_TYPE, filename, report_xlsx
from .models import MonthlyReportMail
from .selectors import region_report

logger = logging.getLogger(__name__)


def _not_yet_sent(region: Region, month: date) -> list[Coordinator]:
    """The region's active coordinators whose mail for `month` (its first day)
    is not recorded yet."""
    done = set(MonthlyReportMail.objects.filter(region=region, month=month).values_list("user_id", flat=True))
    return [
        c
        for c in Coordinator.objects.filter(region=region, user__is_active=True)
        .select_related("user")
        .order_by("pk")
        if c.user_id not in done
    ]


class _Reports:
    """One region's report for the month as XLSX, built once per language."""

    def __init__(self, region: Region, start: date, end: date) -> None:
        self.region, self.start, self.end = region, start, end
        self._files: dict[str, tuple[str, bytes]] = {}

    def file(self, language: str) -> tuple[str, bytes]:
        if language not in self._files:
            with translation.override(language):
                report = region_report(region=self.region, start=self.start, end=self.end)
                self._files[language] = (filename(report, "xlsx"), report_xlsx(report))
        return self._files[language]


def _language(coordinator: Coordinator) -> str:
    return coordinator.user.language or settings.LANGUAGE_CODE


def _announce(coordinator: Coordinator, reports: _Reports, month: str) -> None:
    """The coordinator's mail, written in their language, handed to whoever
    mails it (notifications' outbox) by the statistics_report_ready signal."""
    region, start, end = reports.region, reports.start, reports.end
    language = _language(coordinator)
    name, content = reports.file(language)
    with translation.override(language):
        context = {
            "user": coordinator.user,
            "region": region,
            "month_name": date_format(start, "F Y"),
            "dashboard_url": settings.SITE_URL
            + reverse("statistics:dashboard")
            + f"?period=custom&start={start}&end={end}",
            "definitions_url": settings.SITE_URL + reverse("statistics:definitions"),
        }
        subject = render_to_string("reporting/email/monthly_report_subject.txt", context)
        body = render_to_string("reporting/email/monthly_report.txt", context)
    signals.statistics_report_ready.send(
        sender=Region,
        coordinator=coordinator,
        region=region,
        month=month,
        subject=subject,
        body=body,
        attachment=(name, content, XLSX_CONTENT_TYPE),
    )


def _record_region(region: Region, start: date, end: date, month: str) -> int:
    """Record the region's mails for `month`, each in the ledger; returns how many."""
    reports = _Reports(region, start, end)
    due = _not_yet_sent(region, start)
    if not due:
        return 0
    # The reports are built before the transaction: on SQLite an open write
    # transaction holds up every booking.
    for coordinator in due:
        reports.file(_language(coordinator))
    with transaction.atomic():
        # Two runs can overlap (a redelivered task, beat restarted at 06:00).
        # Lock the region row so the check and the ledger's rows are one
        # step; the ledger's unique constraint and the outbox row's key (one
        # per coordinator, region and month) are the last lines of defence.
        # Ledger row and mail are written together or not at all.
        Region.objects.select_for_update().filter(pk=region.pk).first()
        due = _not_yet_sent(region, start)
        MonthlyReportMail.objects.bulk_create(
            MonthlyReportMail(region=region, month=start, user=c.user) for c in due
        )
        for coordinator in due:
            _announce(coordinator, reports, month)
    return len(due)


def monthly_reports_record(*, today: date | None = None) -> int:
    """Record last month's report mail to every region's active coordinators
    in the outbox, which sends it, retries it while the mail server is down
    and shows it in the admin if it fails for good. Safe to run twice: a
    coordinator whose mail for the month is recorded is skipped. A region
    whose report cannot be built is logged and the others go on; running
    again that month records the missing ones. Returns the number of mails
    recorded."""
    start, end = periods.last_complete("month", today or periods.today())
    month = f"{start:%Y-%m}"
    recorded = 0
    regions = Region.objects.filter(coordinators__user__is_active=True).distinct().order_by("code")
    for region in regions:
        try:
            recorded += _record_region(region, start, end, month)
        except Exception:
            logger.exception("Monthly statistics for region %s failed", region.code)
    return recorded
