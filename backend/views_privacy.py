"""The account's privacy pages: download one's data, erase one's account.
The work is backend.privacy's; these only parse, call and render."""

from __future__ import annotations

import json

from django import forms
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from .errors import add_to_form
from .models import User
from .privacy import ErasureRefused, password_matches, person_erase, person_export
from .types import AuthenticatedHttpRequest


def export_response(user: User) -> HttpResponse:
    """The export of `user` as a JSON file to save."""
    body = json.dumps(person_export(user), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"radtid-data-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "account/privacy.html")


@never_cache
@login_required
@require_GET
def privacy_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    return export_response(request.user)


class EraseForm(forms.Form):
    password = forms.CharField(
        label=_("Your current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=_("I understand that my account and my data are erased for good and cannot be restored.")
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not password_matches(self.user, password):
            raise forms.ValidationError(_("The password is wrong."))
        return password


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def privacy_erase(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = EraseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            person_erase(user=request.user)
        except ErasureRefused as refused:
            status = add_to_form(form, refused)
            return render(request, "account/privacy_erase.html", {"form": form}, status=status)
        logout(request)
        return render(request, "account/privacy_erased.html")
    status = 400 if request.method == "POST" else 200
    return render(request, "account/privacy_erase.html", {"form": form}, status=status)
