import os

from django.core.wsgi import get_wsgi_application

from backend.checks import refuse_to_start_when_misconfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

application = get_wsgi_application()
# gunicorn runs no system checks: what must stop a server stops it here too.
refuse_to_start_when_misconfigured()
