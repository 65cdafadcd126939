"""What production refuses to start with: one list, checked by every entry point.

``problems()`` is a Django system check tagged deploy (ops/apps.py registers it), so
``manage.py check --deploy`` reports it; ``python -m ops.production`` runs ``check --deploy`` and
exits non-zero on any error. ``make serve``, gunicorn.conf.py's ``on_starting`` hook and the
container's entry point (ops/entrypoint.sh) run it before they serve, migrate or work.

Settings refuse by themselves, at import, what they cannot do without (DJANGO_SECRET_KEY, the
OpenID Connect signing key, SOCIAL_AUTH_TOKEN_ENCRYPTION_KEYS once a provider is configured);
``main()`` prints their message without a traceback.
"""

import os
import sys
from pathlib import Path

from django.core import checks

# The first line of the .env `make run` writes (scripts/devserver.py): that file holds debug on and
# a key generated for one developer's machine, never a production configuration.
MAKE_RUN_HEADER = "# Written by `make run`"


def written_by_make_run(path: Path | None) -> bool:
    """True when ``path`` is the development .env that `make run` wrote."""
    try:
        with open(path) as file:  # type: ignore[arg-type]
            return file.readline().startswith(MAKE_RUN_HEADER)
    except (OSError, TypeError):
        return False


def problems() -> list[checks.CheckMessage]:
    """Each setting that makes this configuration unfit to serve, with how to fix it."""
    from django.conf import settings

    found: list[checks.CheckMessage] = []
    env_file = getattr(settings, "ENV_FILE", None)
    if written_by_make_run(env_file):
        found.append(
            checks.Error(
                f"{env_file} was written by `make run` for local development: its DJANGO_DEBUG and "
                "DJANGO_SECRET_KEY are a development machine's.",
                hint=f"Delete {env_file} (or move it away) and set the production variables in the "
                "environment (docs/deploying.md), or point DJANGO_ENV_FILE at a file of your own.",
                id="ops.E002",
            )
        )
    if settings.DEBUG:
        found.append(
            checks.Error(
                "DJANGO_DEBUG is on: error pages would show settings and stack traces to anyone.",
                hint="Set DJANGO_DEBUG=0 (or leave it unset: off is the default).",
                id="ops.E001",
            )
        )
    key = settings.SECRET_KEY
    # Django's own test (security.W009, a warning); the development key is shorter than 50 too.
    if len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure-"):
        found.append(
            checks.Error(
                "DJANGO_SECRET_KEY is the development key or too weak (fewer than 50 characters).",
                hint="Set DJANGO_SECRET_KEY to 50+ random characters, the same on every instance: "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'",
                id="ops.E003",
            )
        )
    if not settings.ALLOWED_HOSTS or "*" in settings.ALLOWED_HOSTS:
        found.append(
            checks.Error(
                "DJANGO_ALLOWED_HOSTS is "
                + ("empty: every request would be refused." if not settings.ALLOWED_HOSTS else "'*'.")
                + " Links the server mails (password reset) are built from the Host header.",
                hint="Set DJANGO_ALLOWED_HOSTS to the public host name(s), e.g. beerlocker.example.com.",
                id="ops.E004",
            )
        )
    if not os.environ.get("DATABASE_URL"):
        found.append(
            checks.Error(
                "DATABASE_URL is not set: the server would use db.sqlite3 next to the code.",
                hint="Set DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/beerlocker (docs/deploying.md "
                "creates the database and its role).",
                id="ops.E005",
            )
        )
    elif settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        found.append(
            checks.Warning(
                "DATABASE_URL names SQLite: one instance on one host only (no second instance, no "
                "concurrent logout workers, one writer at a time).",
                hint="Use PostgreSQL: DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/beerlocker",
                id="ops.W001",
            )
        )
    if settings.EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":
        found.append(
            checks.Error(
                "EMAIL_URL is unset or console: mail (password-reset links) would be written into the log.",
                hint="Set EMAIL_URL to your SMTP server, e.g. smtp+tls://USER:PASSWORD@smtp.example.com:587.",
                id="ops.E006",
            )
        )
    if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        found.append(
            checks.Warning(
                "REDIS_URL is not set: guessing limits, throttles and cached sessions count per process.",
                hint="Set REDIS_URL=redis://HOST:6379/0, shared by every instance.",
                id="ops.W002",
            )
        )
    return found


def production_settings(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """The deploy-tagged system check (``manage.py check --deploy``)."""
    return problems()


def main() -> int:
    """Exit 0 when this environment may serve production; else log why and exit 1.

    Every deploy-tagged check runs (Django's, DOT's, ours); errors refuse, warnings are logged.
    Through the project's logging, so with DJANGO_LOG_FORMAT=json they are JSON lines like the rest.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "beerlocker.settings")
    import logging

    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as error:  # before logging is configured: plain text
        print(f"Refusing to start: {error}", file=sys.stderr)
        return 1
    log = logging.getLogger("ops.production")
    issues = [issue for issue in checks.run_checks(include_deployment_checks=True) if not issue.is_silenced()]
    for issue in sorted(issues, key=lambda issue: -issue.level):  # errors first
        log.log(logging.ERROR if issue.is_serious() else logging.WARNING, "%s", issue)
    if any(issue.is_serious() for issue in issues):
        log.error("Refusing to start: fix the settings named above (docs/deploying.md).")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
