"""The production settings, with static files referred to by their plain
names rather than collectstatic's hashed ones: for a live stack that renders
the web pages but proves nothing about static files (tests/e2e does), so
that it need not spend minutes hashing and compressing them first."""

from backend.settings import *  # noqa: F403
from backend.settings import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
