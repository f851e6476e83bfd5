# Celery's app is loaded with Django so that `shared_task` and `delay_on_commit`
# use it (cookiecutter-django's pattern).
from .celery import app as celery_app

__all__ = ("celery_app",)
