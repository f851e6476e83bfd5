"""The custom user (email is the login; a role says what the person does
here), API tokens, and the audit trail every app writes to."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from .phone import PHONE_MAX_LENGTH


class Role(models.TextChoices):
    ENTREPRENEUR = "entrepreneur", _("Entrepreneur")
    ADVISOR = "advisor", _("Advisor")
    COORDINATOR = "coordinator", _("Regional coordinator")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, email: str | None) -> User:
        return self.get(email__iexact=email)


# The domain of the addresses given to accounts of people without email (an
# advisor booked for a caller who gave only a phone number). `.invalid` is
# reserved (RFC 2606): no mail can ever reach it, and none is sent.
NO_MAILBOX_DOMAIN = "no-mailbox.invalid"


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account. Advisors and coordinators are bound to one
    region by their records in the advisors app; staff is `is_staff`.

    An account made by an advisor booking for someone (bookings.callers) has
    no usable password: no one signs in to it until the person proves the
    address is theirs by choosing a password through a reset link."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.ENTREPRENEUR)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language of emails sent to this person."),
    )
    timezone = models.CharField(_("time zone"), max_length=64, default=settings.TIME_ZONE)
    phone = models.CharField(
        _("phone number"),
        max_length=PHONE_MAX_LENGTH,
        blank=True,
        help_text=_("For sessions by phone: the number the advisor calls."),
    )
    is_staff = models.BooleanField(
        _("staff status"), default=False, help_text=_("Platform operators who may use the admin.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=dj_timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return (self.full_name.split() or [self.email])[0]

    @property
    def has_mailbox(self) -> bool:
        """Whether mail can reach this person (not an account without email)."""
        return bool(self.email) and not self.email.endswith("@" + NO_MAILBOX_DOMAIN)

    @property
    def is_entrepreneur(self) -> bool:
        return self.role == Role.ENTREPRENEUR

    @property
    def is_advisor(self) -> bool:
        return self.role == Role.ADVISOR

    @property
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def for_key(self, key: str) -> ApiToken | None:
        return self.select_related("user").filter(digest=ApiToken.digest_of(key)).first()


class ApiToken(models.Model):
    """An API token. Only its SHA-256 digest is stored, so a leaked database
    gives no working tokens; the key itself is shown once, when issued."""

    MAX_PER_USER = 10

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        max_length=8, editable=False, help_text=_("The first characters, to tell tokens apart.")
    )
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def digest_of(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def about(self, subject: models.Model) -> AuditEntryQuerySet:
        """The entries whose subject is `subject`."""
        return self.filter(
            content_type=ContentType.objects.get_for_model(subject),
            object_id=subject.pk,
        )


class AuditEntry(models.Model):
    """Who did what, when, and to what: one row per action, written through
    backend.audit.audit() by every app (pretix's LogEntry is the model).

    The subject is any object (a booking, a person, an enterprise), or none
    for actions about nothing in particular; `data` holds the action's facts
    as ids, counts and flags, never free text a person wrote, so erasing a
    person leaves nothing of them here."""

    created = models.DateTimeField(_("when"), default=dj_timezone.now, db_index=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("content_type", "object_id")
    data = models.JSONField(default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="audit_subject")]

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M} {self.action}"


class WorkerHeartbeat(models.Model):
    """When a Celery worker last ran the heartbeat task (backend/tasks.py):
    one row per worker name, so the staff status page and /healthz can tell
    a worker that stopped answering, in the embedded mode (no shared cache)
    and with several workers alike."""

    worker = models.CharField(_("worker"), max_length=255, unique=True)
    answered_at = models.DateTimeField(_("last answered"))

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.worker} {self.answered_at:%Y-%m-%d %H:%M:%S}"
