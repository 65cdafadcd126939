#!/usr/bin/env python3
"""Two (or more) Beer Locker instances behind nginx: the several-instances deployment, on one machine.

    DATABASE_URL=postgres://... REDIS_URL=redis://... scripts/lb/run.py [--instances 2] [--workers 1]

Each instance is a production gunicorn (gunicorn.conf.py, debug off) on a free port of 127.0.0.1;
nginx, on another free port, balances requests between them round robin. The instances share what
a real deployment shares and nothing else: the PostgreSQL database, the Redis cache, and by
configuration DJANGO_SECRET_KEY and OIDC_RSA_PRIVATE_KEY (taken from the environment, or generated
once here and given to every instance). OIDC_ISSUER is the load balancer's URL, so every instance
names the same issuer.

nginx comes from Debian's packages (installed with apt-get when missing and run as root) and runs
as the current user from a generated configuration in a temporary directory: no system service,
no file outside that directory. When everything answers /readyz, one JSON line is printed:
{"lb": url, "instances": [urls], "dir": logs and config}. Ctrl-C (or SIGTERM) stops it all.
"""

import argparse
import getpass
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"

NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
{user}
events {{ worker_connections 256; }}

http {{
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;

    # $uri, not $request: query strings carry authorization codes and must stay out of logs.
    log_format beerlocker '$remote_addr "$request_method $uri" $status $request_time '
                          'upstream=$upstream_addr id=$beerlocker_request_id';
    access_log {dir}/nginx-access.log beerlocker;

    # A client's X-Request-ID passes through (the app checks it); otherwise nginx's own id.
    map $http_x_request_id $beerlocker_request_id {{
        default $http_x_request_id;
        ""      $request_id;
    }}

    upstream beerlocker {{
{servers}
        keepalive 16;
    }}

    server {{
        listen {host}:{port};
        location / {{
            proxy_pass http://beerlocker;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Request-ID $beerlocker_request_id;
        }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def find_nginx() -> str | None:
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx", "/sbin/nginx") if os.access(path, os.X_OK)), None
    )


def ensure_nginx() -> str:
    """nginx from Debian's packages; installed when missing (as root, or the script says how)."""
    nginx = find_nginx()
    if nginx:
        return nginx
    if os.geteuid() != 0:
        sys.exit(
            "nginx is not installed: sudo apt-get install nginx (Debian's package), then run this again."
        )
    print("Installing nginx from Debian's packages (apt-get install nginx)...", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # Its output goes to stderr: stdout carries only the one JSON line callers wait for.
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, stdout=sys.stderr)  # noqa: S607
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "nginx"]
    subprocess.run(install, check=True, env=env, stdout=sys.stderr)  # noqa: S603
    nginx = find_nginx()
    if not nginx:
        sys.exit("apt-get install nginx finished but no nginx binary was found")
    return nginx


def get(url: str, timeout: float = 2) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - our own http URL
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def wait_ready(url: str, processes: list[subprocess.Popen], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args[0]} exited with {process.returncode} (see the logs)")
        if get(f"{url}/readyz") == 200:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{url}/readyz never answered 200")


def shared_env(lb_url: str, workers: int, workdir: Path) -> dict:
    """The one configuration every instance gets."""
    env = dict(os.environ)
    for name in ("DATABASE_URL", "REDIS_URL"):
        if not env.get(name):
            sys.exit(
                f"Set {name}: the instances share a PostgreSQL database and a Redis cache, and nothing else."
            )
    if not env["DATABASE_URL"].startswith(("postgres://", "postgresql://", "pgsql://")):
        sys.exit("DATABASE_URL must name a PostgreSQL database: every instance must see the same rows.")
    if not env.get("DJANGO_SECRET_KEY"):
        import secrets

        env["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    if not env.get("OIDC_RSA_PRIVATE_KEY") and not env.get("OIDC_RSA_PRIVATE_KEY_FILE"):
        from oauthclients.keys import generate_rsa_private_key_pem  # the venv's editable install

        env["OIDC_RSA_PRIVATE_KEY"] = generate_rsa_private_key_pem()
    env.update(
        DJANGO_SETTINGS_MODULE="beerlocker.settings",
        DJANGO_DEBUG="0",
        DJANGO_ALLOWED_HOSTS=env.get("DJANGO_ALLOWED_HOSTS") or f"{HOST},localhost",
        # Plain http on loopback in this example; behind TLS, leave secure cookies on.
        DJANGO_SECURE_COOKIES=env.get("DJANGO_SECURE_COOKIES") or "0",
        DJANGO_SECURE_SSL_REDIRECT=env.get("DJANGO_SECURE_SSL_REDIRECT") or "0",
        OIDC_ISSUER=env.get("OIDC_ISSUER") or f"{lb_url}/api/oauth2",
        # Production refuses console mail (it would print reset links into the log): files instead.
        EMAIL_URL=env.get("EMAIL_URL") or f"filemail://{workdir / 'mail'}",
        # Not the checkout's .env (`make run` writes one for development; production refuses it).
        DJANGO_ENV_FILE=env.get("DJANGO_ENV_FILE") or os.devnull,
        WEB_CONCURRENCY=str(workers),
    )
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers per instance (default 1)")
    parser.add_argument("--port", type=int, default=0, help="the load balancer's port (default: a free one)")
    parser.add_argument("--no-migrate", action="store_true", help="skip `manage.py migrate` before starting")
    parser.add_argument("--keep", action="store_true", help="keep the directory of logs and config on exit")
    args = parser.parse_args()

    nginx = ensure_nginx()
    lb_port = args.port or free_port()
    lb_url = f"http://{HOST}:{lb_port}"
    workdir = Path(tempfile.mkdtemp(prefix="beerlocker-lb-"))
    env = shared_env(lb_url, args.workers, workdir)
    (workdir / "tmp").mkdir()
    processes: list[subprocess.Popen] = []

    def stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        if not args.no_migrate:
            # Once per deploy, before any instance starts: never N instances racing to migrate.
            migrate = [sys.executable, "manage.py", "migrate", "--noinput"]
            # Its report goes to stderr: stdout is the one JSON line a caller reads.
            subprocess.run(migrate, cwd=REPO, env=env, check=True, stdout=sys.stderr)  # noqa: S603
        ports = [free_port() for _ in range(args.instances)]
        for number, port in enumerate(ports, start=1):
            log = open(workdir / f"instance-{number}.log", "ab")  # noqa: SIM115 - open while it runs
            processes.append(
                subprocess.Popen(  # noqa: S603
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "--config",
                        "gunicorn.conf.py",
                        "--bind",
                        f"{HOST}:{port}",
                    ],
                    cwd=REPO,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        instances = [f"http://{HOST}:{port}" for port in ports]
        for url in instances:
            wait_ready(url, processes)

        user = f"user {getpass.getuser()};" if os.geteuid() == 0 else ""
        servers = "\n".join(f"        server {HOST}:{port};" for port in ports)
        conf = workdir / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=workdir, user=user, servers=servers, host=HOST, port=lb_port))
        nginx_cmd = [nginx, "-p", str(workdir), "-c", str(conf), "-e", str(workdir / "nginx-error.log")]
        subprocess.run([*nginx_cmd, "-t", "-q"], check=True)  # noqa: S603
        processes.append(subprocess.Popen(nginx_cmd))  # noqa: S603
        wait_ready(lb_url, processes)

        print(json.dumps({"lb": lb_url, "instances": instances, "dir": str(workdir)}), flush=True)
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        print("a process stopped; stopping the rest", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
