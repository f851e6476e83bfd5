"""A person's rights over their data: export it, erase it (GDPR articles 15,
17 and 20), and the record of staff looking at it (in the audit trail).

Each app knows its own models, and imports flow one way (notifications →
bookings → advisors → backend), so this module holds only registries: every
app registers, in its AppConfig.ready(), an export section, erasure steps and
checks that may refuse an erasure (as bookings registers its booked source
with advisors.busy). `person_export` and `person_erase` ask every registered
part; none of them reaches into another app's models.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .audit import audit
from .errors import DomainError, ErrorKind
from .models import ApiToken, User

# user -> JSON-ready data about them (None or empty: the section is left out).
ExportSection = Callable[[User], Any]
# (user, now) -> None; runs inside the erasure's transaction.
ErasureStep = Callable[[User, datetime], object]  # what a step returns is not used
# (user, now) -> a message for the person when their account cannot be erased now.
ErasureCheck = Callable[[User, datetime], Any]

_sections: dict[str, ExportSection] = {}
_steps: list[tuple[int, str, ErasureStep]] = []
_checks: list[ErasureCheck] = []

# The order of erasure steps: first what still needs the person (cancelling
# their bookings sends notices), then what removes data about them, the
# account itself last.
ORDER_RELEASE = 10
ORDER_NOTIFY = 20
ORDER_SCRUB = 30
ORDER_ACCOUNT = 90


class ErasureRefused(DomainError):
    """The account cannot be erased now (409); nothing was changed."""

    kind = ErrorKind.CONFLICT


def register_export_section(name: str, section: ExportSection) -> None:
    _sections[name] = section


def register_erasure_step(name: str, step: ErasureStep, *, order: int) -> None:
    if all(existing != name for _order, existing, _step in _steps):
        _steps.append((order, name, step))
        _steps.sort(key=lambda item: item[0])


def register_erasure_check(check: ErasureCheck) -> None:
    if check not in _checks:
        _checks.append(check)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def person_export(user: User) -> dict[str, Any]:
    """Everything Rådtid holds about `user`, section by section, as JSON-ready
    data. Secrets (password hash, token keys, feed tokens) are never in it."""
    data: dict[str, Any] = {"exported_at": timezone.now().isoformat()}
    for name, section in _sections.items():
        value = section(user)
        if value not in (None, [], {}):
            data[name] = value
    return data


def password_matches(user: User, password: str) -> bool:
    return bool(password) and user.check_password(password)


def person_erase(*, user: User, now: datetime | None = None) -> None:
    """Erase `user`: every registered step in one transaction, so an erasure
    happens whole or not at all. The statistical facts of their bookings stay
    (invariant 5), tied to nobody. Raises ErasureRefused (409) when a
    registered check says it cannot happen now; nothing is changed then."""
    now = now or timezone.now()
    with transaction.atomic():
        # Lock the person's row: an erasure and a booking of theirs at once must
        # not leave a booking made after the erasure's cancellations ran.
        user = User.objects.select_for_update().get(pk=user.pk)
        if not user.is_active and user.email.endswith(ERASED_DOMAIN):
            return  # already erased: erasing twice changes nothing
        for check in _checks:
            message = check(user, now)
            if message:
                raise ErasureRefused(message)
        for _order, _name, step in _steps:
            step(user, now)


def record_access(
    *, actor: User, subjects: Iterable[int | None], what: str, subject: models.Model | None = None
) -> None:
    """Note in the audit trail that staff `actor` opened `subject` (what: "admin:bookings.booking:12",
    "export:7", …), which holds data about `subjects` (user ids)."""
    people = sorted({pk for pk in subjects if pk is not None})
    audit("personal_data.viewed", actor=actor, subject=subject, subjects=people, what=what)


# --- The account's own part (registered in BackendConfig.ready) ---------------

ERASED_DOMAIN = "@erased.invalid"


def export_account(user: User) -> dict[str, Any]:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    return {
        "email": user.email,
        "full_name": user.full_name,
        "phone": user.phone,
        "role": user.role,
        "language": user.language,
        "timezone": user.timezone,
        "date_joined": iso(user.date_joined),
        "last_login": iso(user.last_login),
        "is_active": user.is_active,
        "email_addresses": [
            {"email": e.email, "verified": e.verified, "primary": e.primary}
            for e in EmailAddress.objects.filter(user=user).order_by("pk")
        ],
        "two_factor_authenticators": [
            {"type": a.type, "created": iso(a.created_at), "last_used": iso(a.last_used_at)}
            for a in Authenticator.objects.filter(user=user).order_by("pk")
        ],
        # When made and last used; the key itself is stored only as a digest.
        "api_tokens": [
            {"created": iso(t.created), "last_used": iso(t.last_used)}
            for t in ApiToken.objects.filter(user=user).order_by("created", "pk")
        ],
    }


def erase_account(user: User, now: datetime) -> None:
    """Name, phone number and email go, the address becomes a placeholder no one can receive
    mail at, the account can no longer sign in (every session and token dies
    with the password and the tokens)."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    ApiToken.objects.filter(user=user).delete()
    user.email = f"erased-{uuid.uuid4().hex}{ERASED_DOMAIN}"
    user.full_name = ""
    user.phone = ""
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
