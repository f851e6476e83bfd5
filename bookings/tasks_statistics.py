"""The monthly statistics mail: on the first of each month (beat, 06:00) every
region's active coordinators get last month's report as an XLSX attachment,
one mail each, in their own language."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from advisors.models import Coordinator, Region

from .models import AuditEntry
from .statistics import REPORT_ZONE, region_report
from .statistics_export import XLSX_CONTENT_TYPE, filename, report_xlsx

logger = logging.getLogger(__name__)

ACTION = "statistics.monthly_report"


def last_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def _claim(region: Region, month: str) -> list[Coordinator]:
    """The region's active coordinators not yet sent `month`'s report, each
    now marked as sent (an AuditEntry) so that a second run skips them."""
    # Two runs can overlap (a redelivered task, beat restarted at 06:00).
    # Lock the region row so the check and the marking are one step; the
    # marks are committed before any mail leaves.
    with transaction.atomic():
        Region.objects.select_for_update().filter(pk=region.pk).first()
        done = set(
            AuditEntry.objects.filter(action=ACTION, data__region=region.code, data__month=month).values_list(
                "actor_id", flat=True
            )
        )
        coordinators = [
            c
            for c in Coordinator.objects.filter(region=region, user__is_active=True)
            .select_related("user")
            .order_by("pk")
            if c.user_id not in done
        ]
        AuditEntry.objects.bulk_create(
            AuditEntry(action=ACTION, actor=c.user, data={"region": region.code, "month": month})
            for c in coordinators
        )
    return coordinators


def _unclaim(region: Region, month: str, coordinator: Coordinator) -> None:
    AuditEntry.objects.filter(
        action=ACTION, actor=coordinator.user, data__region=region.code, data__month=month
    ).delete()


@shared_task
def send_monthly_reports() -> int:
    """Mail last month's report to every region's active coordinators. Safe
    to run twice: a coordinator already sent this month's report is skipped.
    A mail that fails is unmarked, so the next run sends it. Returns the
    number of mails sent."""
    today = timezone.localtime(timezone.now(), REPORT_ZONE).date()
    start, end = last_month(today)
    month = f"{start:%Y-%m}"
    sent = 0
    regions = Region.objects.filter(coordinators__user__is_active=True).distinct().order_by("code")
    for region in regions:
        coordinators = _claim(region, month)
        files: dict[str, tuple[str, bytes]] = {}  # one report per language
        for coordinator in coordinators:
            user = coordinator.user
            language = user.language or settings.LANGUAGE_CODE
            try:
                with translation.override(language):
                    if language not in files:
                        report = region_report(region=region, start=start, end=end)
                        files[language] = (filename(report, "xlsx"), report_xlsx(report))
                    context = {
                        "user": user,
                        "region": region,
                        "month_name": date_format(start, "F Y"),
                        "dashboard_url": settings.SITE_URL
                        + reverse("statistics:dashboard")
                        + f"?period=custom&start={start}&end={end}",
                        "definitions_url": settings.SITE_URL + reverse("statistics:definitions"),
                    }
                    subject = render_to_string(
                        "bookings/statistics/email/monthly_report_subject.txt", context
                    )
                    body = render_to_string("bookings/statistics/email/monthly_report.txt", context)
                message = EmailMessage(" ".join(subject.split()), body, to=[user.email])
                message.attach(*files[language], XLSX_CONTENT_TYPE)
                message.send()
            except Exception:
                # Leave no mark, so the next run tries this coordinator again.
                logger.exception(
                    "Monthly statistics for region %s to coordinator %s failed", region.code, user.pk
                )
                _unclaim(region, month, coordinator)
                continue
            sent += 1
    return sent
