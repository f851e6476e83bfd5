"""Signing in by allauth's rules where allauth's pages are not used: the API
token (backend/api.py), the admin and the staff status page (backend/middleware.py).

The token endpoint checks the password through allauth's account adapter and
the second factor through allauth.mfa's own form, so both count their failures
into the very buckets of allauth's rate limits (ACCOUNT_RATE_LIMITS
"login_failed": per address and per account) that the web sign-in counts
into: failures on either lock both, and a code used on one is spent on both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.mfa import signals
from allauth.mfa.base.forms import AuthenticateForm
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django import forms
from django.conf import settings
from django.http import HttpRequest

if TYPE_CHECKING:
    from .models import User

# The authenticators for which allauth's login asks for a second factor
# (allauth.mfa.stages.AuthenticateStage); recovery codes alone are no such.
SECOND_FACTOR_TYPES = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
# allauth's error code for a locked sign-in (account and mfa adapters alike).
LOCKED = "too_many_login_attempts"


class SignInLocked(Exception):
    """Too many failed sign-ins for this account or from this address (allauth's
    "login_failed" rate limit); `message` is allauth's, in the active language."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def has_two_factor(user: User) -> bool:
    """Whether signing in as `user` takes a second factor, as on allauth's pages."""
    return is_mfa_enabled(user, SECOND_FACTOR_TYPES)


def staff_lacks_two_factor(user: User) -> bool:
    """The admin's rule, also for the staff status page and staff API tokens:
    staff see everyone's data, so with ADMIN_REQUIRES_MFA (the default) a
    staff account without two-factor sign-in set up is kept out until it has."""
    return bool(settings.ADMIN_REQUIRES_MFA and user.is_staff and not has_two_factor(user))


def _locked(error: forms.ValidationError) -> bool:
    return any(e.code == LOCKED for e in error.error_list)


def password_sign_in(request: HttpRequest, *, email: str, password: str) -> User | None:
    """The account whose email and password these are, or None, exactly as
    allauth's login form authenticates: a failure counts toward the lockout, a
    success takes back its own count (not the others'). SignInLocked when the
    account or the address is locked, whatever the password."""
    try:
        return get_account_adapter(request).authenticate(request, email=email, password=password)
    except forms.ValidationError as error:
        if _locked(error):
            raise SignInLocked(error.messages[0]) from error
        raise


def second_factor_check(request: HttpRequest, *, user: User, code: str) -> str | None:
    """Check `code` (TOTP or recovery code) through allauth.mfa's sign-in form,
    which spends it: a TOTP code is refused a second time within its window, a
    recovery code for good. None when it was right, else the error to show.
    A wrong code counts toward the lockout; SignInLocked once locked."""
    form = AuthenticateForm(data={"code": code}, user=user)
    if not form.is_valid():
        error = form.errors.as_data()["code"][0]
        if error.code == LOCKED:
            raise SignInLocked(str(error.message))
        return form.errors["code"][0]
    # What form.save() does, except that it notes the method in the session,
    # and a token request has no session to keep.
    form.authenticator.record_usage()
    signals.authenticator_used.send(
        sender=Authenticator,
        request=request,
        user=user,
        authenticator=form.authenticator,
        reauthenticated=False,
        passwordless=False,
    )
    return None


def confirm_address_on_password_reset(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """A password chosen through a reset link proves the address the link was
    mailed to (allauth's password_reset signal, before it signs the person
    in): mark it confirmed, as a confirmation link would. This is how an
    account an advisor made when booking for someone (bookings.callers)
    becomes its owner's. Only for an account with that one address: with
    several, the link may have gone to another."""
    from allauth.account.models import EmailAddress

    addresses = list(EmailAddress.objects.filter(user=user))
    if len(addresses) > 1 or (addresses and addresses[0].email.lower() != user.email.lower()):
        return
    if not user.has_mailbox:
        return
    if addresses:
        if not addresses[0].verified:
            addresses[0].verified = True
            addresses[0].save(update_fields=["verified"])
    else:
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
