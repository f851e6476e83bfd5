"""Rate limits of the HTTP API (DRF throttles), by scope.

A view names its scope with `throttle_scope`; the rate of each scope is in
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (settings, from the environment). A
signed-in client is counted by account, anyone else by client address, which
DRF takes from X-Forwarded-For only behind a trusted proxy (NUM_PROXIES in the
settings); otherwise a client could claim a new address with every request.
Over the limit the answer is 429 with Retry-After (DRF's exception handler).
"""

from __future__ import annotations

from typing import cast

from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle as DRFScopedRateThrottle

TOKEN = "token"
BOOKING_CREATE = "booking_create"
DIRECTORY = "directory"
SLOTS = "slots"


class ScopedRateThrottle(DRFScopedRateThrottle):
    """DRF's scoped throttle, reading the rates when asked rather than once at
    import, so that changed settings (tests, a reloaded configuration) count."""

    def get_rate(self) -> str | None:
        return cast("str | None", api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or ""))
