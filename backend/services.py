"""Account operations."""

from __future__ import annotations

import secrets

from django.db import transaction

from .models import ApiToken, User


@transaction.atomic
def api_token_issue(*, user: User) -> str:
    """Create an API token for `user` and return its key: the only time the key
    is known, since only its digest is stored. Keeps the newest
    ApiToken.MAX_PER_USER tokens of the user, so repeated logins from scripts
    do not pile up live credentials."""
    key = secrets.token_hex(20)
    ApiToken.objects.create(user=user, digest=ApiToken.digest_of(key), prefix=key[:8])
    keep = ApiToken.objects.filter(user=user).order_by("-created", "-pk").values_list("pk", flat=True)
    ApiToken.objects.filter(user=user).exclude(pk__in=list(keep[: ApiToken.MAX_PER_USER])).delete()
    return key
