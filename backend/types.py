"""Types the code's annotations share."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from .models import User


class HtmxHttpRequest(HttpRequest):
    """Every request, as django-htmx's middleware (on for all) leaves it."""

    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    """A request to a view that only signed-in people reach (login_required,
    or a role check before it): its user is a User, never AnonymousUser.
    Only an annotation; Django makes the request."""

    user: User
