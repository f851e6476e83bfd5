"""Writes a regional coordinator makes: inviting the region's advisors and
taking them out of (and back into) the directory."""

from __future__ import annotations

import logging
from datetime import datetime

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from backend.errors import DomainError
from backend.models import Role

from . import signals
from .models import Advisor, Coordinator

logger = logging.getLogger(__name__)

User = get_user_model()


class AdvisorAdminError(DomainError):
    """A coordinator's change that cannot be made (400; the field it is about, if any)."""


def _email_taken(email: str) -> AdvisorAdminError | None:
    """Why `email` cannot get a new advisor account, or None if it can."""
    # A secondary address of someone's account is taken too: allauth signs
    # people in by any of their verified addresses.
    owner = User.objects.filter(Q(email__iexact=email) | Q(emailaddress__email__iexact=email)).first()
    if owner is None:
        return None
    if Advisor.objects.filter(user=owner).exists():
        return AdvisorAdminError(_("There is already an advisor with this email address."), field="email")
    # Entrepreneurs, coordinators and staff keep their accounts as they are: an
    # account has one role, and turning an entrepreneur into an advisor would
    # mix their own bookings with the ones they advise on.
    return AdvisorAdminError(
        _(
            "Someone already has an account with this email address. "
            "Invite the advisor with another address, for example their work address."
        ),
        field="email",
    )


def invitation_url(user) -> str:
    """An absolute link at which `user` sets their password. It is allauth's
    password-reset link: it stops working once a password is set, and after
    PASSWORD_RESET_TIMEOUT. Made by the invitation mail when it is sent
    (notifications), so the token is never stored."""
    path = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)},
    )
    return f"{settings.SITE_URL}{path}"


def advisor_invite(
    *, coordinator: Coordinator, email: str, full_name: str, organisation: str, title: str = ""
) -> Advisor:
    """Create an advisor in the coordinator's region and mail them, in Swedish
    and English, a link to set their password.

    Keeps: one account per email address (allauth's addresses included), and
    an account is an advisor's only if it was made one here. An address that
    already has an account is refused with AdvisorAdminError and nothing is
    written. The user, their verified email address, the advisor profile and
    the invitation mail (an outbox row, written by notifications on the
    `advisor_invited` signal) are created together or not at all; the mail
    leaves after commit and is retried while the mail server is down.
    """
    email = User.objects.normalize_email(email.strip()).lower()
    with transaction.atomic():
        if error := _email_taken(email):
            raise error
        try:
            # Two coordinators can invite the same address at once; both pass
            # the check above, and the unique email constraint stops the second.
            with transaction.atomic():
                user = User.objects.create_user(
                    email=email, password=None, full_name=full_name.strip(), role=Role.ADVISOR
                )
        except IntegrityError:
            raise AdvisorAdminError(
                _("There is already an account with this email address."), field="email"
            ) from None
        # The invitation link proves the address, as a confirmation mail would.
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        advisor = Advisor.objects.create(
            user=user, region=coordinator.region, organisation=organisation.strip(), title=title.strip()
        )
        signals.advisor_invited.send(sender=Advisor, advisor=advisor, coordinator=coordinator)
        logger.info(
            "advisor invited: advisor=%s region=%s by coordinator user=%s",
            advisor.pk,
            coordinator.region_id,
            coordinator.user_id,
        )
    return advisor


def advisor_invitation_resend(*, coordinator: Coordinator, advisor: Advisor, now: datetime) -> Advisor:
    """Send an invited advisor of the coordinator's region the invitation
    again, with a new link (the old one may have expired).

    Keeps: only the coordinator's own region (else AdvisorAdminError: the
    views answer 404); only while the advisor has not chosen a password
    (after that they reset it themselves from the sign-in page, and a new
    link here would be a way into their account). Sent once a minute at most,
    so a double click sends one mail.
    """
    with transaction.atomic():
        locked = Advisor.objects.select_for_update().select_related("user").filter(pk=advisor.pk).first()
        if locked is None or locked.region_id != coordinator.region_id:
            raise AdvisorAdminError(_("This advisor is not in your region."))
        if locked.user.has_usable_password():
            raise AdvisorAdminError(
                _(
                    "%(name)s has already chosen a password. If they have forgotten it, they can choose "
                    "a new one from the sign-in page."
                )
                % {"name": locked.user.get_full_name()}
            )
        signals.advisor_invited.send(
            sender=Advisor, advisor=locked, coordinator=coordinator, resent=f"{now:%Y%m%dT%H%M}"
        )
        logger.info(
            "advisor invitation sent again: advisor=%s region=%s by coordinator user=%s",
            locked.pk,
            coordinator.region_id,
            coordinator.user_id,
        )
    return locked


def advisor_set_active(*, coordinator: Coordinator, advisor: Advisor, active: bool) -> Advisor:
    """Show (active=True) or hide (active=False) an advisor of the
    coordinator's own region in the directory, the slots and booking.

    Keeps: a coordinator changes only their own region's advisors; any other
    advisor raises AdvisorAdminError (the views answer 404, so another
    region's advisors are not even confirmed to exist). Nothing is deleted:
    the profile, rules and bookings stay, and reactivating restores them.
    Setting the state an advisor already has changes nothing.
    """
    with transaction.atomic():
        # Same lock the booking service and the availability editor take, so
        # a booking that is being made finishes against a consistent row.
        locked = Advisor.objects.select_for_update().filter(pk=advisor.pk).first()
        if locked is None or locked.region_id != coordinator.region_id:
            raise AdvisorAdminError(_("This advisor is not in your region."))
        if locked.is_active != active:
            locked.is_active = active
            locked.save(update_fields=["is_active"])
            logger.info(
                "advisor %s: advisor=%s region=%s by coordinator user=%s",
                "reactivated" if active else "deactivated",
                locked.pk,
                locked.region_id,
                coordinator.user_id,
            )
    return locked
