"""A URL whose view fails with a bug, not the database (test_database_down.py)."""

from django.urls import path


def broken(request):
    raise RuntimeError("a bug of ours")


urlpatterns = [path("broken/", broken)]

handler500 = "backend.views.server_error"
