"""Test settings: the real settings, made faster where speed costs no realism."""

import os
from urllib.parse import urlsplit

from backend.settings import *  # noqa: F403
from backend.settings import CACHES, REDIS_URL, REST_FRAMEWORK, STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
# Rate limits are tested on purpose where they matter, not tripped by accident.
ACCOUNT_RATE_LIMITS = False
# API throttles are off here (no rate: no limit); tests/security turns them on.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": dict.fromkeys(REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]),
}
# The busy-calendar tests serve ICS files from a server on 127.0.0.1; the one
# test of the private-address refusal turns this off again.
BUSY_CALENDAR_ALLOW_PRIVATE_HOSTS = True
# On Redis (the second pass of `make test`) each xdist worker caches in a
# database of its own, REDIS_URL's number plus the worker's: tests empty the
# cache (a FLUSHDB) around the rate-limit counts they make, and one worker's
# must not reset the other's.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if REDIS_URL and _worker.startswith("gw"):
    _url = urlsplit(REDIS_URL)
    _number = int(_url.path.strip("/") or 0) + int(_worker.removeprefix("gw"))
    CACHES = {"default": {**CACHES["default"], "LOCATION": _url._replace(path=f"/{_number}").geturl()}}
