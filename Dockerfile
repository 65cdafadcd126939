# Beer Locker's image: ops/entrypoint.sh does the work (web | migrate | worker | jobs | manage),
# and CI runs that script on the host (tests/production/test_entrypoint.py); this file only builds
# around it. docs/deploying.md ("Containers") explains compose.yaml, which runs it.

# --- build: the virtualenv and the collected static files -------------------------------------
FROM python:3.12-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
# Dependencies first: this layer is rebuilt only when pyproject.toml changes.
COPY pyproject.toml README.md MANIFEST.in CHANGELOG.md LICENSE ./
COPY beerlocker_api/ beerlocker_api/
COPY lockers/ lockers/
COPY oauthclients/ oauthclients/
COPY socialaccounts/ socialaccounts/
RUN pip install ".[server]"
COPY . .
# Hashed, compressed files for WhiteNoise (DJANGO_STATIC_MANIFEST=1). Debug on for this one command
# only: collecting static files needs no secret and no signing key; nothing of it is kept.
RUN DJANGO_DEBUG=1 DJANGO_STATIC_MANIFEST=1 DJANGO_ENV_FILE=/dev/null \
    python manage.py collectstatic --noinput --verbosity 0

# --- runtime: the virtualenv, the code and static files, no compiler, not root ------------------
FROM python:3.12-slim
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin beerlocker
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_STATIC_MANIFEST=1 \
    GUNICORN_BIND=0.0.0.0:8000
USER 10001
EXPOSE 8000
# Liveness only (no database): compose.yaml's web service probes /readyz for readiness.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["/app/ops/entrypoint.sh"]
CMD ["web"]
