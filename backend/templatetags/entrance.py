"""{% sign_in_reason as reason %}: why the sign-in page was asked for
(backend/entrance.py), from the `next` it carries."""

from __future__ import annotations

from typing import Any

from django import template

from backend import entrance

register = template.Library()


@register.simple_tag(takes_context=True)
def sign_in_reason(context: Any) -> str | None:
    request = context.get("request")
    if request is None:
        return None
    next_url = context.get("redirect_field_value") or request.GET.get("next")
    return entrance.sign_in_reason(request, next_url)
