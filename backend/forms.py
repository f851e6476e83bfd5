"""The account's forms: the person's details, and allauth's forms in our own
words (ACCOUNT_FORMS). allauth keeps doing the work (checking passwords,
sending the mails, its rate limits); these only give its fields our labels,
help and error messages, and add the name and the language of mail to
sign-up. allauth.mfa's code forms likewise (MFA_FORMS)."""

from __future__ import annotations

from typing import Any

from allauth.account import forms as allauth_forms
from allauth.mfa.base import forms as mfa_base_forms
from allauth.mfa.totp import forms as mfa_totp_forms
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext_lazy as _

from .formfields import ErrorLinksMixin, PhoneField
from .services import AccountError, clean_full_name, clean_language, clean_phone

PASSWORD_HELP = _(
    "At least 10 characters. Not a common password, not only digits and not too like your email address."
)
PASSWORD_MISMATCH = _("The two passwords are not the same. Type the same password twice.")


def language_choices() -> list[tuple[str, str]]:
    """Each language in its own name ("Svenska", "English"), as a person
    looks for their own."""
    return [(code, capfirst(get_language_info(code)["name_local"])) for code in dict(settings.LANGUAGES)]


def _from_service(clean: Any, value: str) -> str:
    try:
        return clean(value)
    except AccountError as error:
        raise ValidationError(str(error.message)) from error


# An empty field of allauth's forms, said as what to do rather than Django's "This field is required."
REQUIRED_WORDS = {
    "login": _("Type your email address."),
    "email": _("Type your email address."),
    "password": _("Type your password."),
    "oldpassword": _("Type your current password."),
    "password1": _("Choose a password."),
    "password2": _("Type the password again."),
}


class SiteFormMixin(ErrorLinksMixin):
    """Labels without Django's trailing colon, no placeholders (one that
    repeats the label is gone the moment one types), and an error summary
    that links to every field."""

    def _site_look(self) -> None:
        self.label_suffix = ""
        for name, field in self.fields.items():
            field.widget.attrs.pop("placeholder", None)
            if name in REQUIRED_WORDS:
                field.error_messages["required"] = REQUIRED_WORDS[name]

    def _words(self, **labels: Any) -> None:
        for name, label in labels.items():
            if name in self.fields:
                self.fields[name].label = label


class SamePasswordTwiceMixin:
    """The second password must match the first, said in our words. Checked as
    the field is cleaned, so allauth's own check (in the form's clean) finds
    no second password to compare and says nothing more."""

    cleaned_data: dict[str, Any]

    def clean_password2(self) -> str:
        password2 = self.cleaned_data["password2"]
        password1 = self.cleaned_data.get("password1")
        if password1 and password2 and password1 != password2:
            raise ValidationError(PASSWORD_MISMATCH, code="password_mismatch")
        return password2


def _new_password_field(field: forms.Field, label: Any) -> None:
    field.label = label
    field.help_text = PASSWORD_HELP


class NameAndLanguageFields(forms.Form):
    full_name = forms.CharField(
        label=_("Your name"),
        help_text=_("First name and surname, as you would like advisors to see them."),
        max_length=150,
        error_messages={"required": _("Write your name, as you would like advisors to see it.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    language = forms.ChoiceField(
        label=_("Language of your email"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose Swedish or English."),
            "invalid_choice": _("Choose Swedish or English."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = language_choices()  # type: ignore[attr-defined]

    def clean_full_name(self) -> str:
        return _from_service(clean_full_name, self.cleaned_data["full_name"])

    def clean_language(self) -> str:
        return _from_service(clean_language, self.cleaned_data["language"])


class AccountDetailsForm(SiteFormMixin, NameAndLanguageFields):
    """The account page: name, language of mail, phone number."""

    phone = PhoneField(
        label=_("Phone number (optional)"),
        help_text=_("For sessions by phone: the number the advisor calls you on."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._site_look()

    def clean_phone(self) -> str:
        return _from_service(clean_phone, self.cleaned_data["phone"])


# --- allauth's forms (ACCOUNT_FORMS) ---------------------------------------------------


class LoginForm(SiteFormMixin, allauth_forms.LoginForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._site_look()
        self._words(
            login=_("Email address"), password=_("Password"), remember=_("Stay signed in on this device")
        )
        # The page links to "Forgot your password?" itself, after the button.
        self.fields["password"].help_text = ""


class SignupForm(SiteFormMixin, SamePasswordTwiceMixin, NameAndLanguageFields, allauth_forms.SignupForm):
    """allauth's sign-up with the person's name and the language of their
    mail; backend.adapters.AccountAdapter.save_user stores them."""

    field_order = ["full_name", "email", "language", "password1", "password2"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = (get_language() or settings.LANGUAGE_CODE)[:2]
        self.order_fields(self.field_order)
        self._site_look()
        self._words(email=_("Email address"), password2=_("Password again"))
        self.fields["email"].help_text = _("You sign in with it, and we send your confirmations to it.")
        _new_password_field(self.fields["password1"], _("Choose a password"))


class ResetPasswordForm(SiteFormMixin, allauth_forms.ResetPasswordForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._site_look()
        self._words(email=_("Your email address"))


class ResetPasswordKeyForm(SiteFormMixin, SamePasswordTwiceMixin, allauth_forms.ResetPasswordKeyForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._site_look()
        _new_password_field(self.fields["password1"], _("New password"))
        self._words(password2=_("New password again"))


class ChangePasswordForm(SiteFormMixin, SamePasswordTwiceMixin, allauth_forms.ChangePasswordForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._site_look()
        self._words(oldpassword=_("Your current password"), password2=_("New password again"))
        self.fields["oldpassword"].help_text = ""
        _new_password_field(self.fields["password1"], _("New password"))


class SetPasswordForm(SiteFormMixin, SamePasswordTwiceMixin, allauth_forms.SetPasswordForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._site_look()
        _new_password_field(self.fields["password1"], _("Choose a password"))
        self._words(password2=_("Password again"))


class AddEmailForm(SiteFormMixin, allauth_forms.AddEmailForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._site_look()
        self._words(email=_("New email address"))


class ReauthenticateForm(SiteFormMixin, allauth_forms.ReauthenticateForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._site_look()
        self._words(password=_("Your password"))
        self.fields["password"].help_text = ""


# --- Two-factor authentication (allauth.mfa; MFA_FORMS) ----------------------------

TOTP_CODE_HELP = _("Six digits. The app shows a new code every 30 seconds.")
TOTP_CODE_REQUIRED = _("Type the code your app shows now.")


class _CodeFieldMixin(SiteFormMixin):
    """The code field of a two-factor form: our label and help, digits on a phone's keyboard."""

    def _code_field(self, label: Any, help_text: Any, required: Any) -> None:
        self._site_look()
        code = self.fields["code"]
        code.label = label
        code.help_text = help_text
        code.error_messages["required"] = required
        code.widget.attrs.update(
            {"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "off"}
        )


class MFAAuthenticateForm(_CodeFieldMixin, mfa_base_forms.AuthenticateForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._code_field(
            _("Code"),
            _("The six digits your authenticator app shows now, or one of your recovery codes."),
            _("Type the code from your app, or a recovery code."),
        )


class MFAReauthenticateForm(_CodeFieldMixin, mfa_base_forms.ReauthenticateForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._code_field(_("Code from the app"), TOTP_CODE_HELP, TOTP_CODE_REQUIRED)


class MFAActivateTOTPForm(_CodeFieldMixin, mfa_totp_forms.ActivateTOTPForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._code_field(_("Code from the app"), TOTP_CODE_HELP, TOTP_CODE_REQUIRED)
