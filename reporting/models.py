"""The statistics' own tables. The rollups (StatisticsMonth, StatisticsKey)
are caches of what the bookings hold: they may be emptied and are built again
from the bookings (reporting.rollups). MonthlyReportMail is the monthly mail's
ledger."""

from django.conf import settings
from django.db import models


class StatisticsKey(models.Model):
    """A region's small number for a person's or an enterprise's statistics
    key (`Booking.stat_person_key`, `stat_enterprise_key`): the bit it owns in
    the sets of the monthly rollups. Numbers only grow; none is reused."""

    class Kind(models.TextChoices):
        PERSON = "p", "person"
        ENTERPRISE = "e", "enterprise"

    region = models.CharField(max_length=2)
    kind = models.CharField(max_length=1, choices=Kind.choices)
    key = models.CharField(max_length=64)
    number = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["region", "kind", "key"], name="statistics_key_once"),
            models.UniqueConstraint(fields=["region", "kind", "number"], name="statistics_number_once"),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.kind} {self.number}"


class StatisticsMonth(models.Model):
    """One region's statistics of one month (by session start, local time),
    built from its bookings (reporting.rollups): the additive figures
    and, per row and kind of figure, the set of people and enterprises as a
    bitmap, so that a period of whole months counts everyone once without
    reading its bookings. `fingerprint` is of the bookings it was built from;
    a month whose bookings no longer match is built again before it is read."""

    region = models.CharField(max_length=2)
    month = models.DateField()
    fingerprint = models.CharField(max_length=100)
    built = models.DateTimeField()
    data = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["region", "month"], name="statistics_month_once")]

    def __str__(self) -> str:
        return f"{self.region} {self.month:%Y-%m}"


class MonthlyReportMail(models.Model):
    """A coordinator's monthly statistics mail for a region and month, recorded
    in the outbox (reporting.tasks.send_monthly_reports). Written in the
    transaction that writes the outbox row: a run that fails leaves neither,
    so the next run records the mail; a mail recorded is never recorded
    again. Delivering it, and retrying while the mail server is down, is the
    outbox's business."""

    region = models.ForeignKey("advisors.Region", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # its first day
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    recorded = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["region", "month", "user"], name="monthly_report_mail_once")
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.month:%Y-%m} {self.user_id}"
