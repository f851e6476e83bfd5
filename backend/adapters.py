"""allauth's account adapter: what sign-up stores, where each role lands after
signing in, and allauth's mails and errors in our words and the recipient's
language; allauth.mfa's errors in our words too (MFAAdapter)."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .models import Role, User

# Where each role starts: the page of what they come here to do.
LANDING = {
    Role.ENTREPRENEUR: "bookings:list",
    Role.ADVISOR: "advisor:calendar",
    Role.COORDINATOR: "statistics:dashboard",
}
STAFF_LANDING = "staff-status"


def landing_url(user: User) -> str:
    """The page `user` starts on after signing in (without a `next`)."""
    if user.is_staff and not user.is_coordinator:
        return resolve_url(STAFF_LANDING)
    return resolve_url(LANDING.get(Role(user.role), settings.LOGIN_REDIRECT_URL))


class AccountAdapter(DefaultAccountAdapter):
    # allauth's refusals that reach our pages, in our words (the keys are
    # allauth's; the rest keep allauth's text).
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "account_inactive": _("This account is closed."),
        "cannot_remove_primary_email": _(
            "You cannot remove the address you sign in with. Make another address the one you sign in "
            "with first."
        ),
        "duplicate_email": _("This address is already on your account."),
        "email_password_mismatch": _("The email address or the password is wrong."),
        "email_taken": _("There is already an account with this email address."),
        "enter_current_password": _(
            "Your current password is wrong. Type the password you sign in with now."
        ),
        "incorrect_password": _("The password is wrong."),
        "invalid_password_reset": _("This link to choose a password has already been used or is too old."),
        "max_email_addresses": _("You cannot add more than %d email addresses."),
        "same_as_current": _("That is the address you have already."),
        "too_many_login_attempts": _("Too many failed sign-in attempts. Wait a while and try again."),
        "unverified_primary_email": _("Confirm your email address first."),
        "rate_limited": _("Too many attempts in a short time. Wait a minute and try again."),
    }

    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        """A new account with the name and the language of mail the person
        gave (backend.forms.SignupForm)."""
        data = form.cleaned_data
        user.full_name = data.get("full_name", "")
        user.language = data.get("language") or (translation.get_language() or settings.LANGUAGE_CODE)[:2]
        return super().save_user(request, user, form, commit=commit)

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        # Signing up makes an entrepreneur; once the address is confirmed
        # they land where entrepreneurs do (an explicit `next` wins).
        return resolve_url(LANDING[Role.ENTREPRENEUR])

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        # An explicit `next` wins over this (allauth asks it first).
        return landing_url(request.user)  # type: ignore[arg-type]

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """allauth's mails in the recipient's language when they have an
        account (a person signing up chose it on the form), else in the
        page's; `person` (to greet by name) and `site_url` for the templates
        (templates/account/email/)."""
        user = context.get("user")
        if not isinstance(user, User):
            user = User.objects.filter(email__iexact=email).first()
        language = user.language if user is not None and user.language else translation.get_language()
        with translation.override(language or settings.LANGUAGE_CODE):
            super().send_mail(
                template_prefix, email, {"person": user, "site_url": settings.SITE_URL, **context}
            )


class MFAAdapter(DefaultMFAAdapter):
    # allauth.mfa's refusals on the two-factor pages, in our words.
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "add_email_blocked": _(
            "Turn off two-factor authentication before you add an email address to your account."
        ),
        "cannot_delete_authenticator": _("Two-factor authentication cannot be turned off for this account."),
        "cannot_generate_recovery_codes": _(
            "Set up an authenticator app first: recovery codes come with two-factor authentication."
        ),
        "incorrect_code": _("The code is wrong or too old. Type the code the app shows now."),
        "unverified_email": _("Confirm your email address before you set up two-factor authentication."),
    }
