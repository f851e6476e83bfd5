"""The OpenAPI schema's view of the error answers (drf-spectacular).

Every endpoint answers bad input, missing authentication, objects that are
not yours and rate limits the same way, in DRF's error shape: `{"detail": …}`
or field errors `{"field": ["…"]}`. This AutoSchema documents those answers
for each operation where they can happen, so that clients (and the fuzzing in
tests/security) find every status in the schema. A clash with the current
state (409) is specific to an operation: views document it with
`responses={409: CONFLICT}`.
"""

from __future__ import annotations

from typing import Any, Literal

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import AllowAny, IsAuthenticatedOrReadOnly

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": '`{"detail": "…"}` for the request as a whole, or a list of messages for each field.',
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
CONFLICT = OpenApiResponse(description="The request clashes with the current state (the detail says how).")

ERRORS = {
    "400": "Bad input: the field errors, or the detail, say what to change. Nothing was changed.",
    "401": "Not signed in: send `Authorization: Token <key>` (or a session cookie).",
    "403": "Signed in, but this is not for your role (or the CSRF token of a session is missing).",
    "404": "Not found, or not yours to see (the same answer, so nobody learns what exists).",
    "409": "The request clashes with the current state (the detail says how). Nothing was changed.",
    "429": "Too many requests: try again after the seconds in Retry-After.",
}


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction: Literal["request", "response"] = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            responses.setdefault(code, self._error(code))
        # A view's `409: CONFLICT` comes without a body: give it the error shape.
        if "409" in responses and not responses["409"].get("content"):
            responses["409"] = self._error("409")
        return responses

    def _error(self, code: str) -> dict[str, Any]:
        return {"content": {"application/json": {"schema": ERROR_SCHEMA}}, "description": ERRORS[code]}

    def _error_codes(self) -> list[str]:
        method = self.method.upper()
        codes = []
        if method in {"POST", "PUT", "PATCH"} or self._has_query_parameters():
            codes.append("400")
        if self._needs_authentication(method):
            codes += ["401", "403"]
        if "{" in self.path or self._is_paginated():
            codes.append("404")  # an object that is not there, or a page past the end
        if getattr(self.view, "throttle_scope", None):
            codes.append("429")
        return codes

    def _has_query_parameters(self) -> bool:
        return any(p.get("in") == "query" for p in self._get_parameters())

    def _is_paginated(self) -> bool:
        return self._is_list_view() and self._get_paginator() is not None

    def _needs_authentication(self, method: str) -> bool:
        if not self.view.get_authenticators():
            return False
        for permission in self.view.get_permissions():
            if isinstance(permission, AllowAny):
                continue
            if isinstance(permission, IsAuthenticatedOrReadOnly) and method in {"GET", "HEAD", "OPTIONS"}:
                continue
            return True
        return False
