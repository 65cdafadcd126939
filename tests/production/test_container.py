"""The Dockerfile, compose.yaml and systemd units, read as text: no container runtime here.

What they must hold for ops/entrypoint.sh (tested by running it, test_entrypoint.py) to be what the
image and the units run.
"""

import configparser
import re

import yaml

from tests.production.servers import REPO

ENTRYPOINT = REPO / "ops" / "entrypoint.sh"


def subcommands() -> set[str]:
    """The entry point's subcommands: the labels of its `case "$command" in` block."""
    script = ENTRYPOINT.read_text().split('case "$command" in', 1)[1]
    return set(re.findall(r"^    ([a-z]+)\)$", script, re.M))


def dockerfile_stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuations joined, comments dropped), one list per stage."""
    text = re.sub(r"\\\n\s*", " ", (REPO / "Dockerfile").read_text())
    stages: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        stages[-1].append(line)
    return stages


def test_the_entrypoint_has_the_documented_subcommands():
    assert subcommands() == {"web", "migrate", "worker", "jobs", "manage"}


def test_the_image_is_multi_stage_slim_and_not_root():
    stages = dockerfile_stages()
    runtime = stages[-1]

    assert len(stages) >= 2
    assert all(re.match(r"FROM python:3\.\d+-slim\b", stage[0]) for stage in stages)
    users = [line.split()[1] for line in runtime if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}
    assert 'ENTRYPOINT ["/app/ops/entrypoint.sh"]' in runtime
    assert 'CMD ["web"]' in runtime
    assert any("collectstatic" in line for stage in stages for line in stage if line.startswith("RUN "))
    assert "DJANGO_STATIC_MANIFEST=1" in " ".join(runtime)  # the collected (hashed) files are served
    assert not any(line.startswith("ADD ") for stage in stages for line in stage)


def test_the_image_never_receives_local_settings_or_keys():
    ignored = (REPO / ".dockerignore").read_text().split()

    assert {".env", "var/", "*.sqlite3", ".venv/", ".git/", "secrets/"} <= set(ignored)


def test_compose_runs_every_part_with_health_checks():
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    services = compose["services"]

    assert set(services) == {"web", "logoutworker", "jobs", "db", "redis"}
    ours = {name: service for name, service in services.items() if service.get("build")}
    assert set(ours) == {"web", "logoutworker", "jobs"}
    assert {service["command"][0] for service in ours.values()} <= subcommands()
    assert [ours[name]["command"][0] for name in ("web", "logoutworker", "jobs")] == ["web", "worker", "jobs"]
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert "ping" in services["redis"]["healthcheck"]["test"]
    # The worker and the jobs start once web has migrated; web once the database and cache answer.
    assert services["web"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("logoutworker", "jobs"):
        assert services[name]["depends_on"]["web"]["condition"] == "service_healthy"
    # Published on loopback only: the TLS proxy in front is the one way in.
    assert all(port.startswith("127.0.0.1:") for port in services["web"]["ports"])


def test_compose_holds_no_secret_and_requires_each_one():
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    environment = compose["services"]["web"]["environment"]

    for name in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "EMAIL_URL"):
        assert re.fullmatch(rf"\$\{{{name}:\?[^}}]+\}}", environment[name]), environment[name]
    assert "${POSTGRES_PASSWORD:?" in environment["DATABASE_URL"]
    assert environment["OIDC_RSA_PRIVATE_KEY_FILE"] == "/run/secrets/oidc_key"
    assert "DJANGO_DEBUG" not in environment


def test_systemd_units_run_the_entrypoint():
    units = {path.name: path for path in (REPO / "ops" / "systemd").iterdir()}
    assert set(units) == {
        "beerlocker-web.service",
        "beerlocker-logoutworker.service",
        "beerlocker-jobs.service",
        "beerlocker-jobs.timer",
    }
    commands = {}
    for name, path in units.items():
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.optionxform = str  # systemd keys are case-sensitive
        unit.read(path)
        if name.endswith(".service"):
            assert unit["Service"]["User"] == "beerlocker"
            assert unit["Service"]["EnvironmentFile"] == "/etc/beerlocker/env"
            command = unit["Service"]["ExecStart"].split()
            assert command[0] == "/srv/beerlocker/ops/entrypoint.sh"
            commands[name] = command[1]
        else:
            assert unit["Timer"]["OnCalendar"] and unit["Timer"]["Persistent"] == "true"
    assert commands == {
        "beerlocker-web.service": "web",
        "beerlocker-logoutworker.service": "worker",
        "beerlocker-jobs.service": "jobs",
    }
