"""Regions, municipalities, topics and the advisors who give advice in them."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import validation


class Region(models.Model):
    """A Swedish region (län), by its official two-digit code ("20" Dalarna)."""

    code = models.CharField(_("code"), max_length=2, primary_key=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Municipality(models.Model):
    """A Swedish municipality (kommun), by its four-digit code ("2080" Falun)."""

    code = models.CharField(_("code"), max_length=4, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="municipalities")

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TranslatedName(models.Model):
    """A name kept in Swedish and English, shown in the viewer's language."""

    name_sv = models.CharField(_("name (Swedish)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "sv").startswith("en") else self.name_sv


class Topic(TranslatedName):
    """What advice is about (financing, public procurement, …). Staff edit these."""

    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["position", "slug"]


class Language(TranslatedName):
    """A language an advisor can give advice in (ISO 639 code)."""

    code = models.CharField(_("code"), max_length=8, primary_key=True)

    class Meta:
        verbose_name = _("language")
        verbose_name_plural = _("languages")
        ordering = ["name_sv"]


class MeetingMode(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    VIDEO = "video", _("Video")


def default_session_lengths() -> list[int]:
    return [60]


class Advisor(models.Model):
    """An advisor's profile: who they are, where and what they advise on, and how."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="advisor")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="advisors")
    organisation = models.CharField(
        _("organisation"),
        max_length=150,
        help_text=_("For example Coompanion Dalarna, Almi or Region Dalarna."),
    )
    title = models.CharField(_("title"), max_length=150, blank=True)
    bio = models.TextField(_("about"), blank=True, max_length=4000)
    topics = models.ManyToManyField(Topic, related_name="advisors", verbose_name=_("topics"), blank=True)
    languages = models.ManyToManyField(
        Language, related_name="advisors", verbose_name=_("languages"), blank=True
    )
    municipalities = models.ManyToManyField(
        Municipality,
        related_name="advisors",
        verbose_name=_("municipalities served"),
        blank=True,
        help_text=_("Leave empty to serve the whole region."),
    )
    offers_in_person = models.BooleanField(_("meets in person"), default=True)
    address = models.CharField(_("address"), max_length=250, blank=True)
    accessibility_note = models.CharField(
        _("accessibility of the premises"),
        max_length=500,
        blank=True,
        help_text=_("For example step-free entrance, hearing loop, parking."),
    )
    offers_phone = models.BooleanField(_("meets by phone"), default=True)
    phone = models.CharField(_("phone number"), max_length=30, blank=True)
    offers_video = models.BooleanField(_("meets by video"), default=True)
    meeting_url = models.URLField(_("video meeting link"), blank=True)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive advisors are hidden and cannot be booked.")
    )
    created = models.DateTimeField(auto_now_add=True)

    # Booking settings. Weekly hours are rows of WeeklyHours; date overrides and
    # time off are small documents edited as a whole (PUT /api/v1/me/availability/),
    # kept on this row so that the directory and the slot engine read an
    # advisor's rules in one query.
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Stockholm")
    session_lengths = models.JSONField(
        _("session lengths"), default=default_session_lengths, help_text=_("Minutes, for example [30, 60].")
    )
    slot_step = models.PositiveSmallIntegerField(_("slot step (minutes)"), default=30)
    buffer_before = models.PositiveSmallIntegerField(_("buffer before (minutes)"), default=0)
    buffer_after = models.PositiveSmallIntegerField(_("buffer after (minutes)"), default=15)
    min_notice_hours = models.PositiveSmallIntegerField(_("minimum notice (hours)"), default=24)
    horizon_days = models.PositiveSmallIntegerField(_("bookable days ahead"), default=90)
    max_per_day = models.PositiveSmallIntegerField(
        _("maximum sessions a day"), null=True, blank=True, default=6
    )
    closed_on_public_holidays = models.BooleanField(_("closed on public holidays"), default=True)
    # An interpreter service needs notice: a session with an interpreter
    # starts no sooner than this many working days ahead (bookings.needs).
    interpreter_lead_days = models.PositiveSmallIntegerField(
        _("working days' notice for an interpreter"),
        default=5,
        validators=[MaxValueValidator(validation.INTERPRETER_LEAD_DAYS_MAX)],
    )
    date_overrides = models.JSONField(
        _("date overrides"),
        default=list,
        blank=True,
        help_text=_(
            'Other hours on given dates: [{"date": "2026-12-23", "intervals": [{"start": "10:00", "end": "12:00"}]}]'
        ),
    )
    time_off = models.JSONField(
        _("time off"),
        default=list,
        blank=True,
        help_text=_(
            '[{"start": "2027-07-01T00:00:00+02:00", "end": "2027-08-02T00:00:00+02:00", "reason": "…"}]'
        ),
    )

    # An external calendar (ICS) whose events block slots; see advisors.busy_calendar.
    busy_calendar_url = models.URLField(_("busy calendar (ICS link)"), max_length=1000, blank=True)
    busy_calendar_checked_at = models.DateTimeField(_("busy calendar last checked"), null=True, blank=True)
    busy_calendar_synced_at = models.DateTimeField(_("busy calendar last read"), null=True, blank=True)
    busy_calendar_error = models.CharField(_("busy calendar error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("advisor")
        verbose_name_plural = _("advisors")
        ordering = ["pk"]

    def __str__(self) -> str:
        return str(self.user)

    @property
    def meeting_modes(self) -> list[str]:
        offered = (
            (MeetingMode.IN_PERSON, self.offers_in_person),
            (MeetingMode.PHONE, self.offers_phone),
            (MeetingMode.VIDEO, self.offers_video),
        )
        return [mode.value for mode, on in offered if on]

    @property
    def zone(self) -> ZoneInfo:
        """The advisor's time zone: weekly hours and the days of their calendar are local to it."""
        return ZoneInfo(self.timezone)

    @property
    def is_bookable(self) -> bool:
        """Whether people may book this advisor now: the row of `bookable_advisors()`."""
        return self.is_active and self.user.is_active


class WeeklyHours(models.Model):
    """One interval of an advisor's working week, in local wall-clock time.
    Several a day; the gaps between them are breaks."""

    advisor = models.ForeignKey(Advisor, on_delete=models.CASCADE, related_name="weekly_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), help_text=_("0 is Monday, 6 is Sunday."))
    start = models.TimeField(_("from"))
    end = models.TimeField(_("to"))

    class Meta:
        verbose_name = _("weekly hours")
        verbose_name_plural = _("weekly hours")
        ordering = ["advisor", "weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="weekly_hours_weekday_0_6"),
            # An end of 00:00 is midnight at the end of the day.
            models.CheckConstraint(
                condition=models.Q(start__lt=models.F("end")) | models.Q(end=time(0)),
                name="weekly_hours_start_before_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start:%H:%M}–{self.end:%H:%M}"


class ExternalBusy(models.Model):
    """A busy interval read from an advisor's external calendar. Replaced as a
    whole by each successful read; a failed read leaves the last good copy."""

    advisor = models.ForeignKey(Advisor, on_delete=models.CASCADE, related_name="external_busy")
    start = models.DateTimeField()
    end = models.DateTimeField()

    class Meta:
        verbose_name = _("external busy time")
        verbose_name_plural = _("external busy times")
        indexes = [models.Index(fields=["advisor", "end"])]

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M}–{self.end:%H:%M}"


class Coordinator(models.Model):
    """A regional coordinator at the regional development office of one region."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coordinator"
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="coordinators")
    organisation = models.CharField(_("organisation"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("regional coordinator")
        verbose_name_plural = _("regional coordinators")

    def __str__(self) -> str:
        return f"{self.user} ({self.region})"
