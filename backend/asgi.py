import os

from django.core.asgi import get_asgi_application

from backend.checks import refuse_to_start_when_misconfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

application = get_asgi_application()
# ASGI servers run no system checks: what must stop a server stops it here too.
refuse_to_start_when_misconfigured()
