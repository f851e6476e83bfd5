"""Types the code's annotations share."""

from __future__ import annotations

from django.http import HttpRequest

from .models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request to a view that only signed-in people reach (login_required,
    or a role check before it): its user is a User, never AnonymousUser.
    Only an annotation; Django makes the request."""

    user: User
