"""Why a page sent the person to sign in, said on the sign-in page: "Sign in
to book the time Tuesday 8 December 2026, 10:00 with Anna Lindqvist."

Only the app behind a page knows what its address means, and imports flow
one way (bookings → advisors → backend), so this holds a registry, as
backend/privacy.py does: an app registers, in its AppConfig.ready(), a
function from the page's address to a sentence, or None when the address is
not one of its pages."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

# (request, path, query string) -> a sentence for the sign-in page, or None.
SignInReason = Callable[[HttpRequest, str, str], str | None]

_reasons: list[SignInReason] = []


def register_sign_in_reason(reason: SignInReason) -> None:
    if reason not in _reasons:
        _reasons.append(reason)


def sign_in_reason(request: HttpRequest, next_url: str | None) -> str | None:
    """What the registered apps say about `next_url` (the `next` the sign-in
    page carries), when it leads to a page of this site; None otherwise."""
    if not next_url or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    parts = urlsplit(next_url)
    for reason in _reasons:
        sentence = reason(request, parts.path, parts.query)
        if sentence:
            return sentence
    return None
