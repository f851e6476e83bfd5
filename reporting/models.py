"""The statistics' own tables. The rollups (StatisticsMonth, StatisticsKey)
are caches of what the bookings hold: they may be emptied and are built again
from the bookings (reporting.rollups). MonthlyReportMail is the monthly mail's
ledger. FundingProject, ReportingPeriod, ProjectBooking and
DeMinimisDeclaration are the funder reporting's (reporting.projects,
reporting.deminimis)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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


# --- Funding projects and de minimis (issue 16) ---------------------------------------------


class Funder(models.TextChoices):
    TILLVAXTVERKET_NATIONAL = "tillvaxtverket_national", _("Tillväxtverket, national project funds")
    ERDF = "erdf", _("European Regional Development Fund (ERDF)")
    ESF_PLUS = "esf_plus", _("European Social Fund Plus (ESF+)")
    REGION = "region", _("The region's own funds")
    OTHER = "other", _("Other")


class FundingProject(models.Model):
    """A project a region runs on a funder's money, whose bookings it reports
    (reporting.projects: the membership rule). Its reporting periods tile
    `start`..`end` (both inclusive), checked by reporting.projects when saved.
    `owners` hold the project-owner right: the creator, and the region's
    coordinators they give it to."""

    region = models.ForeignKey(
        "advisors.Region", on_delete=models.PROTECT, related_name="funding_projects", verbose_name=_("region")
    )
    name = models.CharField(_("name"), max_length=200)
    funder = models.CharField(_("funder"), max_length=30, choices=Funder.choices)
    reference = models.CharField(_("reference number"), max_length=100, blank=True)
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))
    hourly_aid_value_sek = models.DecimalField(
        _("aid value per hour of advice (SEK)"), max_digits=10, decimal_places=2
    )
    topics = models.ManyToManyField(
        "advisors.Topic",
        related_name="funding_projects",
        blank=True,
        verbose_name=_("topics"),
        help_text=_("Leave empty for every topic."),
    )
    advisors = models.ManyToManyField(
        "advisors.Advisor",
        related_name="funding_projects",
        blank=True,
        verbose_name=_("advisors"),
        help_text=_("Leave empty for every advisor of the region."),
    )
    owners = models.ManyToManyField(
        "advisors.Coordinator", related_name="owned_funding_projects", verbose_name=_("owners")
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("funding project")
        verbose_name_plural = _("funding projects")
        ordering = ["-start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__lte=models.F("end")), name="project_start_le_end"
            ),
            models.CheckConstraint(
                condition=models.Q(hourly_aid_value_sek__gte=0), name="project_hourly_value_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ReportingPeriod(models.Model):
    """One of a project's reporting periods, numbered 1, 2, … in order; the
    periods of a project tile its span without gap or overlap. Closing one
    (`closed`, a later slice) freezes its report."""

    project = models.ForeignKey(FundingProject, on_delete=models.CASCADE, related_name="periods")
    number = models.PositiveSmallIntegerField(_("number"))
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))
    closed = models.BooleanField(_("closed"), default=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("reporting period")
        verbose_name_plural = _("reporting periods")
        ordering = ["project", "number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="period_number_once"),
            models.CheckConstraint(
                condition=models.Q(start__lte=models.F("end")), name="period_start_le_end"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} {self.number}"


class ProjectBooking(models.Model):
    """An advisor's choice of project for one booking, over the rule
    (reporting.projects.project_of): `project` None means in no project.
    Kept here, not on the booking, because bookings knows nothing of projects."""

    booking = models.OneToOneField("bookings.Booking", on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(
        FundingProject, on_delete=models.CASCADE, null=True, blank=True, related_name="chosen_bookings"
    )
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    chosen_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.booking_id} → {self.project_id}"


class DeMinimisDeclaration(models.Model):
    """What an enterprise declared of the de minimis aid it received in the
    last three years (Regulation (EU) 2023/2831), asked before its first
    session in a project. One a enterprise; a new declaration replaces it,
    the audit trail keeps that it was made."""

    enterprise = models.OneToOneField(
        "bookings.Enterprise", on_delete=models.CASCADE, related_name="de_minimis"
    )
    aid_last_three_years_eur = models.DecimalField(
        _("de minimis aid received in the last three years (EUR)"), max_digits=12, decimal_places=2
    )
    declared_at = models.DateTimeField(_("declared"))
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("de minimis declaration")
        verbose_name_plural = _("de minimis declarations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(aid_last_three_years_eur__gte=0), name="de_minimis_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id}: {self.aid_last_three_years_eur} EUR"


class PeriodSnapshot(models.Model):
    """A closed reporting period's report as it was handed in: the exact
    indicator values, in the period and since the project's start
    (reporting.project_report), and the definitions they were counted by.
    Written once when the period is closed and never changed: later changes
    to bookings change the live report, and the page shows the difference."""

    period = models.OneToOneField(ReportingPeriod, on_delete=models.CASCADE, related_name="snapshot")
    values = models.JSONField()  # {"in_period": {...}, "cumulative": {...}}
    definitions_version = models.PositiveSmallIntegerField()
    created = models.DateTimeField()

    class Meta:
        verbose_name = _("report snapshot")
        verbose_name_plural = _("report snapshots")

    def __str__(self) -> str:
        return f"{self.period} ({self.created:%Y-%m-%d})"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("A closed period's snapshot never changes.")
        super().save(*args, **kwargs)


class ExportReason(models.TextChoices):
    PROGRESS_REPORT = "progress_report", _("Progress report to the funder")
    PAYMENT_REQUEST = "payment_request", _("Payment request to the funder")
    FINAL_REPORT = "final_report", _("Final report to the funder")
    FUNDER_AUDIT = "funder_audit", _("The funder's audit or check")
    OTHER = "other", _("Other (say which)")


class ParticipantListExport(models.Model):
    """The ledger of a project's participant list leaving Rådtid (it holds
    personal data): who, when, which period and why. The audit entry written
    with it records the fact; the reason's own words live here."""

    project = models.ForeignKey(FundingProject, on_delete=models.CASCADE, related_name="participant_exports")
    period = models.PositiveSmallIntegerField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=20, choices=ExportReason.choices)
    reason_text = models.CharField(_("which reason"), max_length=200, blank=True)
    participants = models.PositiveIntegerField()

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.project} {self.period} {self.at:%Y-%m-%d}"
