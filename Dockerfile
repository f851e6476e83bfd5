# One image for every Rådtid process: web (gunicorn, the default CMD),
# worker (celery worker), beat (celery beat) and the one-off migrate job.
# docker-compose.yml picks the process with `command:`.
FROM python:3.11-slim

# PYTHONPATH: `pip install .` also puts backend/, advisors/, ... into
# site-packages, but without the templates, static files, locale and data next
# to them. /app first on the path makes every process (gunicorn, celery,
# manage.py) import the project from /app, where BASE_DIR finds all of it.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONPATH=/app

# gettext provides msgfmt for compilemessages.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, from the lock alone (every package pinned, with its
# hashes; `make lock` writes it from pyproject.toml), so that this slow layer is
# rebuilt only when the dependencies change and every build installs the same.
COPY requirements/base.txt requirements/
RUN pip install --no-cache-dir -r requirements/base.txt

# The project itself (see .dockerignore for what stays out); its dependencies
# are all in the layer above.
COPY . .
RUN pip install --no-cache-dir --no-deps . \
    && rm -rf build *.egg-info

# Translations: locale/*/LC_MESSAGES/*.po -> .mo. Runs with the embedded-mode
# defaults, which need no services.
RUN python manage.py compilemessages

# Static files into var/static (STATIC_ROOT), hashed and compressed by
# WhiteNoise's manifest storage, which is used only with DEBUG off. The
# production-only checks in settings.py want these variables; the values are
# placeholders that exist for this RUN line only and are not kept in the image.
RUN DJANGO_DEBUG=0 \
    SECRET_KEY=build-time-dummy-not-a-secret \
    SITE_URL=https://example.invalid \
    ALLOWED_HOSTS='*' \
    python manage.py collectstatic --noinput

# Unprivileged user. The code stays owned by root (read-only to the app); only
# var/ (RADTID_VAR_DIR: SQLite, file broker, mail files in embedded mode) is
# writable.
RUN groupadd --system radtid \
    && useradd --system --gid radtid --home-dir /app --no-create-home --shell /usr/sbin/nologin radtid \
    && mkdir -p /app/var \
    && chown -R radtid:radtid /app/var
USER radtid

EXPOSE 8000

CMD ["gunicorn", "backend.wsgi", "-b", "0.0.0.0:8000", "-w", "3", "--threads", "4", "--timeout", "60", "--access-logfile", "-"]
