"""Booking for someone else: an advisor books a free time, their own or a
colleague's in any organisation, for a person who called or walked in.

The booking needs an account to belong to, as every booking does (its mails,
its signed links, erasure and the statistics keys all go by the person's
account). So the person's account is found or made here:

- an address that already has an entrepreneur's account: that account. The
  booking is theirs at once; only whoever can sign in to that account (its
  address confirmed, ACCOUNT_EMAIL_VERIFICATION is mandatory) ever sees it;
- a new address: a new account without a usable password. The confirmation
  mail goes to the address, with the signed links to move or cancel and a
  link to choose a password. Nobody signs in to the account until someone
  proves the address by choosing a password through such a link (or through
  the reset that signing up again with the address offers): a booking never
  becomes anyone's by their typing an address alone;
- only a phone number: an account whose address is on NO_MAILBOX_DOMAIN, which
  no mail reaches, found again by the number next time;
- an advisor's, coordinator's or staff account's address: refused, since
  those accounts do not book.

The enterprise is one of the person's own with the same organisation number
(or, without one, the same name), else a new one with them as its member.
Everything is made in the booking's transaction: a time taken meanwhile
leaves no account or enterprise behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from advisors.models import Advisor, Municipality, Topic
from backend.errors import ErrorKind
from backend.models import NO_MAILBOX_DOMAIN, Role, User
from backend.phone import normalise_phone

from .models import Booking, Enterprise, EnterpriseKind
from .services import BookingError, booking_create
from .validation import normalise_org_number

# The keys of on_behalf_of that errors may name (the API puts them under it).
CALLER_FIELDS = ("name", "email", "phone", "enterprise_name", "org_number", "municipality", "kind")


@dataclass(frozen=True)
class Caller:
    """Who the advisor books for, as they told the advisor."""

    name: str
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class CallerEnterprise:
    """The caller's enterprise. Municipality and kind are for the
    statistics; left out, they are "not stated" and "other"."""

    name: str
    org_number: str = ""
    municipality: Municipality | None = None
    kind: str = EnterpriseKind.OTHER


def booking_create_for(
    *,
    by: User,
    caller: Caller,
    enterprise: CallerEnterprise,
    advisor: Advisor,
    start: datetime,
    duration: int,
    topic: Topic,
    mode: str,
    message: str = "",
    needs: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> Booking:
    """`by`, an advisor, books `start` with `advisor` for `caller`: the
    booking of bookings.services.booking_create, recording `by`. BookingError
    (403) when `by` is not an active advisor, (400) for a caller or an
    enterprise that cannot be read, and whatever booking_create refuses;
    nothing is written then."""
    if not Advisor.objects.filter(user=by, is_active=True).exists():
        raise BookingError(_("Only advisors book for someone else."), kind=ErrorKind.FORBIDDEN)
    name = " ".join(caller.name.split())
    if not name:
        raise BookingError(_("Write the person's name."), field="name")
    if len(name) > 150:
        raise BookingError(_("Write at most 150 characters."), field="name")
    email = User.objects.normalize_email(caller.email.strip()).lower()
    try:
        phone = normalise_phone(caller.phone) if caller.phone.strip() else ""
    except ValidationError as error:
        raise BookingError(error.messages[0], field="phone") from None
    if not email and not phone:
        raise BookingError(_("Give the person's email address, phone number or both."), field="email")
    company = _cleaned(enterprise)
    with transaction.atomic():
        person = _account_for(name=name, email=email, phone=phone)
        return booking_create(
            entrepreneur=person,
            advisor=advisor,
            start=start,
            duration=duration,
            topic=topic,
            mode=mode,
            message=message,
            enterprise=_enterprise_for(person, company),
            phone=phone,
            needs=needs,
            booked_by=by,
            now=now,
        )


def _cleaned(enterprise: CallerEnterprise) -> CallerEnterprise:
    name = " ".join(enterprise.name.split())
    if not name:
        raise BookingError(_("Write the name of the person's enterprise (or idea)."), field="enterprise_name")
    if len(name) > 200:
        raise BookingError(_("Write at most 200 characters."), field="enterprise_name")
    org_number = ""
    if enterprise.org_number.strip():
        try:
            org_number = normalise_org_number(enterprise.org_number)
        except ValidationError as error:
            raise BookingError(error.messages[0], field="org_number") from None
    if enterprise.kind not in EnterpriseKind.values:
        raise BookingError(_("Choose one of the kinds of enterprise."), field="kind")
    return CallerEnterprise(name, org_number, enterprise.municipality, enterprise.kind)


def _account_for(*, name: str, email: str, phone: str) -> User:
    """The person's account, found or made (the rules are in the module's docstring)."""
    if email:
        # A secondary address of someone's account counts too: allauth signs
        # people in by any of their addresses.
        owner = (
            User.objects.select_for_update()
            .filter(Q(email__iexact=email) | Q(emailaddress__email__iexact=email))
            .first()
        )
        if owner is not None:
            if not owner.is_entrepreneur:
                raise BookingError(
                    _(
                        "This address belongs to an advisor's or coordinator's account, which cannot be "
                        "booked for. Ask for the address the person uses for their enterprise."
                    ),
                    field="email",
                )
            return owner
        try:
            # Two advisors booking for the same new address at once: the unique address stops the second.
            with transaction.atomic():
                person = User.objects.create_user(
                    email=email, password=None, full_name=name, phone=phone, role=Role.ENTREPRENEUR
                )
        except IntegrityError:
            raise BookingError(
                _("Someone booked for this address at the same moment. Try again."), field="email"
            ) from None
        # Not verified: choosing a password through a link mailed there proves it (backend.signin).
        EmailAddress.objects.create(user=person, email=email, verified=False, primary=True)
        return person
    known = (
        User.objects.select_for_update()
        .filter(phone=phone, role=Role.ENTREPRENEUR, email__iendswith="@" + NO_MAILBOX_DOMAIN)
        .order_by("pk")
        .first()
    )
    if known is not None:
        return known
    return User.objects.create_user(
        email=f"{uuid.uuid4().hex}@{NO_MAILBOX_DOMAIN}",
        password=None,
        full_name=name,
        phone=phone,
        role=Role.ENTREPRENEUR,
    )


def _enterprise_for(person: User, enterprise: CallerEnterprise) -> Enterprise:
    """One of the person's enterprises with the organisation number (or,
    without one, the name), else a new one with them as its member."""
    own = Enterprise.objects.filter(members=person)
    found = (
        own.filter(org_number=enterprise.org_number)
        if enterprise.org_number
        else own.filter(name__iexact=enterprise.name)
    ).first()
    if found is not None:
        return found
    made = Enterprise.objects.create(
        name=enterprise.name,
        org_number=enterprise.org_number,
        kind=enterprise.kind,
        municipality=enterprise.municipality,
    )
    made.members.add(person)
    return made
