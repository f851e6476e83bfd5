"""The account page: the person's name, the language of their mail and their
phone number. The form parses, backend.services saves."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .errors import add_to_form
from .forms import AccountDetailsForm
from .services import AccountError, account_details_update
from .types import AuthenticatedHttpRequest


@login_required
@require_http_methods(["GET", "POST"])
def details(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    initial = {"full_name": user.full_name, "language": user.language, "phone": user.phone}
    form = AccountDetailsForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                account_details_update(user=user, **form.cleaned_data)
            except AccountError as error:
                status = add_to_form(form, error)
            else:
                messages.success(request, _("Your details are saved."))
                return redirect("account_details")
        else:
            status = 400
    return render(request, "account/details.html", {"form": form}, status=status)
