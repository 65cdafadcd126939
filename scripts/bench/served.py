"""Issue 10's benchmark: the hot paths served as in production, against two baselines served the same way.

Seeds a PostgreSQL database through the services, starts the project (``beerlocker.settings``) and
the baselines (``scripts.bench.baseline_settings``: a bare Django view after one indexed query, and
a plain DRF list of the same beers) under gunicorn with the same gunicorn.conf.py, worker count,
database and Redis, then alternates baseline and project rounds at each connection count and
prints each hot path's ratio, requests/s and p99, the CPU time the servers' workers spent per
request (read from /proc on Linux: less disturbed than the rates by other load on a shared machine),
plus the SQL statements per request of each hot path and of the whole authorization-code flow
(authorize page, consent, token).

DPoP (RFC 9449, ``beers_dpop``): the JWT access token bound to a key, sent with a fresh proof per
request, against the same token's list sent as a bearer token: the ratio, each one's worker CPU per
request (the difference is the proof's cost on the server) and the proof verification alone, timed
in this process. Its load is always the Python load generator, with proofs made before each round.

    .venv/bin/python -m scripts.bench.served [--seconds 10] [--rounds 3] [--connections 16 64]
    .venv/bin/python -m scripts.bench.served --growth [--scale 1.0]    # + 1,000,000 beers etc.

Load comes from wrk when it is installed (Debian: ``apt-get install wrk``; macOS: ``brew install
wrk``), else from a Python load generator (threads, one keep-alive connection each), which is
slower than the server on small machines: its ratios are still comparable, its absolute rates not.
The database (``--database-url``, default ``bl_bench`` on the local PostgreSQL) is dropped and
re-created: never point it at data you want to keep. On a shared machine only the ratios within
one run mean anything.
"""

import argparse
import http.client
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

from scripts.bench import growth, harness

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bl_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/1"
TARGETS = {"beers": 1.0, "beers_jwt": 1.0, "token": 0.35, "introspect": 0.5}
# Measured against the JWT bearer list rather than a baseline, with no target: the proof's cost.
DPOP = "beers_dpop"
# The JWT access token the load sends outlives the run (the default lifetime is 5 minutes).
JWT_BENCH_LIFETIME = 6 * 3600


# --- Database ----------------------------------------------------------------------------------


def recreate_database(url):
    """Drop and create the database ``url`` names (connecting to its server's ``postgres``)."""
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise SystemExit(f"refusing an unusual database name: {name!r}")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


# --- Seeding (through the services) ------------------------------------------------------------


class Seeded:
    """What the hot paths need: a user with 100 beers and a token, a resource server, a machine client."""

    def __init__(self):
        from oauthclients import services
        from oauthclients.grants import AUTHORIZATION_CODE, CLIENT_CREDENTIALS, REFRESH_TOKEN

        self.user, self.password = harness.seed_user("bench", beers=100)
        self.app, self.app_secret = harness.seed_client(
            self.user,
            name="bench-app",
            grant_types=[AUTHORIZATION_CODE, REFRESH_TOKEN],
            scope="openid beers:read",
        )
        self.resource_server, self.rs_secret = harness.seed_client(
            self.user, name="bench-rs", grant_types=[CLIENT_CREDENTIALS]
        )
        services.client_set_trust(client=self.resource_server, allow_introspection=True, first_party=False)
        self.machine, self.machine_secret = harness.seed_client(
            self.user, name="bench-machine", grant_types=[CLIENT_CREDENTIALS], scope="stats:read"
        )
        self.token = harness.mint_access_token(self.user, self.app, "beers:read")
        # RFC 9068: the same user's token from a client that registered JWT access tokens, minted
        # for the origin the load is sent to (its iss and aud name it): see mint_jwt.
        self.jwt_app, _ = harness.seed_client(
            self.user,
            name="bench-jwt-app",
            grant_types=[AUTHORIZATION_CODE, REFRESH_TOKEN],
            scope="openid beers:read",
            access_token_format="jwt",  # noqa: S106 - a format, not a secret
        )
        self.dpop_key = harness.DPoPKey()
        self.mint_jwts("http://testserver")

    def mint_jwts(self, origin):
        """JWT access tokens of ``jwt_app`` for the user, as the server at ``origin`` issues them: a
        bearer one and one DPoP-bound to ``dpop_key``."""
        self.jwt_token = harness.mint_jwt_access_token(
            self.user, self.jwt_app, "beers:read", origin=origin, lifetime=JWT_BENCH_LIFETIME
        )
        self.dpop_token = harness.mint_jwt_access_token(
            self.user,
            self.jwt_app,
            "beers:read",
            origin=origin,
            lifetime=JWT_BENCH_LIFETIME,
            jkt=self.dpop_key.jkt,
        )

    def hot_paths(self):
        """name -> (method, path, headers, body, baseline path)."""
        form = "application/x-www-form-urlencoded"
        return {
            "beers": (
                "GET",
                "/api/beers",
                {"Authorization": f"Bearer {self.token}"},
                "",
                "/bench/beers",
            ),
            "beers_jwt": (
                "GET",
                "/api/beers",
                {"Authorization": f"Bearer {self.jwt_token}"},
                "",
                "/bench/beers",
            ),
            "token": (
                "POST",
                "/api/oauth2/token",
                {
                    "Authorization": harness.basic_auth(self.machine.client_id, self.machine_secret),
                    "Content-Type": form,
                },
                "grant_type=client_credentials",
                "/bench/bare",
            ),
            "introspect": (
                "POST",
                "/api/oauth2/introspect",
                {
                    "Authorization": harness.basic_auth(self.resource_server.client_id, self.rs_secret),
                    "Content-Type": form,
                },
                urllib.parse.urlencode({"token": self.token}),
                "/bench/bare",
            ),
        }


# --- Statements per request (in this process, Django's test client, same database) ---------------


def statements(call):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call()  # warm: first-use work (content types, caches) is not per request
    with CaptureQueriesContext(connection) as queries:
        response = call()
    return len(queries), response


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.fields = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""


def authorization_code_flow_statements(seeded):
    """SQL statements of one authorization-code flow by a signed-in user who consents: the
    authorize page, the consent POST and the token request (code exchange)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    browser = harness.http()
    browser.force_login(seeded.user)
    redirect_uri = "https://bench.example.com/callback"
    params = {
        "response_type": "code",
        "client_id": seeded.app.client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid beers:read",
        "state": "s",
        "nonce": "n",
    }
    with CaptureQueriesContext(connection) as queries:
        page = harness.expect_ok(browser.get("/api/oauth2/authorize", params), "GET authorize")
        inputs = _Inputs()
        inputs.feed(page.content.decode())
        answer = browser.post("/api/oauth2/authorize", {**inputs.fields, "allow": "Allow"})
        if answer.status_code != 303:  # See Other, after the consent form's POST
            raise SystemExit(f"consent failed: {answer.status_code}")
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(answer["Location"]).query)["code"][0]
        token = browser.post(
            "/api/oauth2/token",
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
            HTTP_AUTHORIZATION=harness.basic_auth(seeded.app.client_id, seeded.app_secret),
        )
        harness.expect_ok(token, "code exchange")
    return len(queries)


def statement_counts(seeded):
    http = harness.http()
    counts = {}
    for name, (method, path, headers, body, _baseline) in seeded.hot_paths().items():
        meta = {"HTTP_AUTHORIZATION": headers["Authorization"]}
        if method == "GET":
            counts[name], response = statements(lambda path=path, meta=meta: http.get(path, **meta))
        else:
            data = dict(urllib.parse.parse_qsl(body))
            counts[name], response = statements(
                lambda path=path, data=data, meta=meta: http.post(path, data, **meta)
            )
        harness.expect_ok(response, name)
    counts[DPOP], response = statements(
        lambda: http.get(
            "/api/beers",
            HTTP_AUTHORIZATION=f"DPoP {seeded.dpop_token}",
            HTTP_DPOP=seeded.dpop_key.proof("GET", "http://testserver/api/beers", seeded.dpop_token),
        )
    )
    harness.expect_ok(response, DPOP)
    counts["authorization code flow"] = authorization_code_flow_statements(seeded)
    return counts


# --- Servers -----------------------------------------------------------------------------------


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """One gunicorn with gunicorn.conf.py on a free port; its log goes to a file."""

    def __init__(self, name, settings_module, environment, log_dir, port=None):
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log = open(Path(log_dir) / f"{name}.log", "wb")  # noqa: SIM115 - closed in stop()
        env = {
            **environment,
            "DJANGO_SETTINGS_MODULE": settings_module,
            "GUNICORN_BIND": f"{HOST}:{self.port}",
        }
        self.process = subprocess.Popen(  # noqa: S603 - our own gunicorn and config
            [str(Path(sys.executable).parent / "gunicorn"), "--config", "gunicorn.conf.py"],
            cwd=REPO,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited; see {self.log.name}")
            try:
                connection = http.client.HTTPConnection(HOST, self.port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer in {timeout}s; see {self.log.name}")

    def cpu_seconds(self):
        """User and system CPU time of the workers so far (Linux's /proc), else None."""
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
            total = 0
            for pid in children:
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
        except (OSError, ValueError, IndexError):
            return None
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


# --- Load ----------------------------------------------------------------------------------------


class Measured:
    def __init__(self, per_second, p99_ms, errors, requests):
        self.per_second, self.p99_ms, self.errors, self.requests = per_second, p99_ms, errors, requests
        self.cpu_us = None  # the server's worker CPU per request, when known


def wrk(url, method, headers, body, connections, seconds, workdir):
    script = Path(workdir) / "request.lua"
    lines = [f'wrk.method = "{method}"', f"wrk.body = {lua_string(body)}"]
    lines += [f"wrk.headers[{lua_string(name)}] = {lua_string(value)}" for name, value in headers.items()]
    script.write_text("\n".join(lines) + "\n")
    threads = min(connections, os.cpu_count() or 2)
    output = subprocess.run(  # noqa: S603 - wrk with our arguments
        [
            shutil.which("wrk"),
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    per_second = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors:.*", output)
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    return Measured(per_second, p99, int(errors.group(1)) if errors else 0, requests), socket_errors


def lua_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def python_load(url, method, headers, body, connections, seconds, per_request=None):
    """The fallback: ``connections`` threads, each sending requests on its own connection.
    ``per_request``: an iterator of headers added to one request each (a DPoP proof); the round
    ends early when it runs out."""
    parts = urllib.parse.urlsplit(url)
    latencies, errors, lock = [], [0], threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker():
        mine, bad = [], 0
        while time.perf_counter() < deadline:
            sent = headers
            if per_request is not None:
                with lock:
                    extra = next(per_request, None)
                if extra is None:
                    break
                sent = {**headers, **extra}
            started = time.perf_counter()
            try:
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                connection.request(method, parts.path, body=body or None, headers=sent)
                response = connection.getresponse()
                response.read()
                connection.close()
                if response.status != 200:
                    bad += 1
            except OSError:
                bad += 1
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    p99 = ordered[max(int(len(ordered) * 0.99) - 1, 0)] * 1000 if ordered else float("nan")
    return Measured(len(latencies) / elapsed, p99, errors[0], len(latencies)), None


def load(loader, server, url, method, headers, body, connections, seconds, workdir, per_request=None):
    cpu_before = server.cpu_seconds()
    if loader == "wrk":
        measured, _ = wrk(url, method, headers, body, connections, seconds, workdir)
    else:
        measured, _ = python_load(url, method, headers, body, connections, seconds, per_request)
    cpu_after = server.cpu_seconds()
    if measured.errors:
        raise SystemExit(f"{method} {url}: {measured.errors} responses were not 2xx; not a measurement")
    if cpu_before is not None and cpu_after is not None and cpu_after >= cpu_before and measured.requests:
        measured.cpu_us = (cpu_after - cpu_before) / measured.requests * 1e6
    return measured


def warm(url, method, headers, body, seconds=1.0):
    python_load(url, method, headers, body, connections=4, seconds=seconds)


def median_cpu(rounds):
    known = [m.cpu_us for m in rounds if m.cpu_us is not None]
    return statistics.median(known) if known else None


def measure(seeded, project, baseline, args, loader, workdir):
    """Alternate baseline and project rounds for each hot path and connection count."""
    rows = []
    for name, (method, path, headers, body, baseline_path) in seeded.hot_paths().items():
        if args.paths and name not in args.paths:
            continue
        # Untimed: each worker's first requests (imports, connections, caches) are not per request.
        warm(baseline.url + baseline_path, "GET", {}, "")
        warm(project.url + path, method, headers, body)
        for connections in args.connections:
            base_rounds, project_rounds = [], []
            for _ in range(args.rounds):
                base_rounds.append(
                    load(
                        loader,
                        baseline,
                        baseline.url + baseline_path,
                        "GET",
                        {},
                        "",
                        connections,
                        args.seconds,
                        workdir,
                    )
                )
                project_rounds.append(
                    load(
                        loader,
                        project,
                        project.url + path,
                        method,
                        headers,
                        body,
                        connections,
                        args.seconds,
                        workdir,
                    )
                )
            base = statistics.median(m.per_second for m in base_rounds)
            mine = statistics.median(m.per_second for m in project_rounds)
            rows.append(
                {
                    "name": name,
                    "connections": connections,
                    "ratio": mine / base,
                    "project": mine,
                    "project_p99": statistics.median(m.p99_ms for m in project_rounds),
                    "baseline": base,
                    "baseline_p99": statistics.median(m.p99_ms for m in base_rounds),
                    "baseline_name": baseline_path,
                    "project_cpu": median_cpu(project_rounds),
                    "baseline_cpu": median_cpu(base_rounds),
                }
            )
            cpu = f"{cpu_text(rows[-1]['project_cpu'])} vs {cpu_text(rows[-1]['baseline_cpu'])}"
            print(
                f"  {name:<10} c={connections:<3} {mine:8.0f}/s vs {base:8.0f}/s  ratio {mine / base:.2f}"
                f"  worker CPU/request {cpu}",
                flush=True,
            )
    return rows


def cpu_text(microseconds):
    return "n/a" if microseconds is None else f"{microseconds:.0f} µs"


# --- DPoP ----------------------------------------------------------------------------------------


def proof_verification_us(seeded, rounds=300):
    """Microseconds per DPoP proof verification in this process (signature, claims, the jti spent
    in the shared cache), on proofs made beforehand."""
    from beerlocker_api import dpop

    url = "http://testserver/api/beers"
    proofs = [seeded.dpop_key.proof("GET", url, seeded.dpop_token) for _ in range(rounds + 20)]
    for proof in proofs[:20]:  # warm
        dpop.verify_proof(proof, method="GET", uri=url, access_token=seeded.dpop_token)
    started = time.perf_counter()
    for proof in proofs[20:]:
        dpop.verify_proof(proof, method="GET", uri=url, access_token=seeded.dpop_token)
    return (time.perf_counter() - started) / rounds * 1e6


def measure_dpop(seeded, project, args, workdir):
    """Alternate rounds of the JWT bearer list and of the same list with a DPoP-bound JWT and a
    fresh proof per request (made before the round: the load generator's signing is not timed)."""
    rows = []
    url = project.url + "/api/beers"
    bearer_headers = {"Authorization": f"Bearer {seeded.jwt_token}"}
    dpop_headers = {"Authorization": f"DPoP {seeded.dpop_token}"}
    proofs = iter([{"DPoP": seeded.dpop_key.proof("GET", url, seeded.dpop_token)} for _ in range(500)])
    python_load(url, "GET", dpop_headers, "", 4, 1.0, proofs)  # untimed, as in measure()
    for connections in args.connections:
        bearer_rounds, dpop_rounds = [], []
        for _ in range(args.rounds):
            bearer_rounds.append(
                load("python", project, url, "GET", bearer_headers, "", connections, args.seconds, workdir)
            )
            # Enough proofs for this round: DPoP is no faster than the bearer round just measured.
            count = int(bearer_rounds[-1].requests * 1.5) + 200
            proofs = iter(
                [{"DPoP": seeded.dpop_key.proof("GET", url, seeded.dpop_token)} for _ in range(count)]
            )
            dpop_rounds.append(
                load(
                    "python",
                    project,
                    url,
                    "GET",
                    dpop_headers,
                    "",
                    connections,
                    args.seconds,
                    workdir,
                    per_request=proofs,
                )
            )
        bearer = statistics.median(m.per_second for m in bearer_rounds)
        bound = statistics.median(m.per_second for m in dpop_rounds)
        row = {
            "connections": connections,
            "ratio": bound / bearer,
            "dpop": bound,
            "bearer": bearer,
            "dpop_cpu": median_cpu(dpop_rounds),
            "bearer_cpu": median_cpu(bearer_rounds),
        }
        rows.append(row)
        cpu = f"{cpu_text(row['dpop_cpu'])} vs {cpu_text(row['bearer_cpu'])}"
        print(
            f"  {DPOP:<10} c={connections:<3} {bound:8.0f}/s vs {bearer:8.0f}/s JWT bearer  ratio "
            f"{bound / bearer:.2f}  worker CPU/request {cpu}",
            flush=True,
        )
    return rows


def dpop_table(rows, counts, verification_us):
    lines = [
        "\n| DPoP-bound JWT list vs JWT bearer list | conns | DPoP req/s | bearer req/s | ratio "
        "| worker CPU/request DPoP | bearer | proof's share | SQL/request |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        share = (
            f"{row['dpop_cpu'] - row['bearer_cpu']:.0f} µs"
            if row["dpop_cpu"] is not None and row["bearer_cpu"] is not None
            else "n/a"
        )
        lines.append(
            f"| `GET /api/beers, DPoP JWT + proof` | {row['connections']} | {row['dpop']:.0f} "
            f"| {row['bearer']:.0f} | **{row['ratio']:.2f}×** | {cpu_text(row['dpop_cpu'])} "
            f"| {cpu_text(row['bearer_cpu'])} | {share} | {counts[DPOP]} |"
        )
    lines.append(
        f"\nDPoP proof verification alone (ES256 signature, claims, jti spent in the cache), in this "
        f"process: {verification_us:.0f} µs per proof"
    )
    return "\n".join(lines)


LABELS = {
    "beers": ("GET /api/beers, bearer token (20 of 100)", "plain DRF"),
    "beers_jwt": ("GET /api/beers, JWT access token (20 of 100)", "plain DRF"),
    "token": ("POST /api/oauth2/token client_credentials", "bare"),
    "introspect": ("POST /api/oauth2/introspect", "bare"),
}


def table(rows, counts):
    lines = [
        "| hot path | conns | project req/s | p99 ms | baseline req/s | p99 ms | ratio | target "
        "| worker CPU/request project | baseline | SQL/request |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        label, baseline = LABELS[row["name"]]
        target = TARGETS[row["name"]]
        met = "met" if row["ratio"] >= target else "MISSED"
        lines.append(
            f"| `{label}` | {row['connections']} | {row['project']:.0f} | {row['project_p99']:.1f} "
            f"| {row['baseline']:.0f} ({baseline}) | {row['baseline_p99']:.1f} | **{row['ratio']:.2f}×** "
            f"| ≥ {target}× ({met}) | {cpu_text(row['project_cpu'])} | {cpu_text(row['baseline_cpu'])} "
            f"| {counts[row['name']]} |"
        )
    flow = counts["authorization code flow"]
    lines.append(
        f"\nAuthorization-code flow, authorize page + consent + token: {flow} SQL statements (target ≤ 25)"
    )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL))
    parser.add_argument("--seconds", type=int, default=10, help="Length of each round.")
    parser.add_argument("--rounds", type=int, default=3, help="Baseline/project round pairs per cell.")
    parser.add_argument("--connections", type=int, nargs="+", default=[16, 64])
    parser.add_argument(
        "--workers", type=int, default=2, help="gunicorn workers of each server (issue: 2 on 2 cores)."
    )
    parser.add_argument(
        "--paths", nargs="+", choices=[*sorted(TARGETS), DPOP], help="Only these hot paths (default: all)."
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("BENCH_PORT", "0")),
        help="The project's port (the baseline's is the next one); default: free ports.",
    )
    parser.add_argument("--loader", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--growth", action="store_true", help="Also run the growth case (minutes).")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="Growth size: 1.0 = 1,000,000 beers/tokens, 100,000 users."
    )
    parser.add_argument("--growth-only", action="store_true", help="Only the growth case.")
    args = parser.parse_args(argv)

    loader = args.loader
    if loader == "auto":
        loader = "wrk" if shutil.which("wrk") else "python"
    if loader == "python":
        print(
            "wrk not found: using the Python load generator (install wrk: apt-get install wrk).", flush=True
        )
    if loader == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk (Debian/Ubuntu) or brew install wrk.")

    recreate_database(args.database_url)
    harness.configure(
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        DJANGO_ALLOWED_HOSTS=f"testserver,{HOST},localhost",
    )
    from django.core.cache import cache

    cache.clear()
    started = time.perf_counter()
    seeded = Seeded()
    print(f"seeded through the services in {time.perf_counter() - started:.1f}s", flush=True)

    if not args.growth_only:
        counts = statement_counts(seeded)
        environment = {
            **os.environ,
            "WEB_CONCURRENCY": str(args.workers),
            "BENCH_OWNER_ID": str(seeded.user.pk),
        }
        with tempfile.TemporaryDirectory(prefix="beerlocker-bench-") as workdir:
            ports = (args.port, args.port + 1) if args.port else (None, None)
            project = Server("project", "beerlocker.settings", environment, workdir, port=ports[0])
            baseline = Server(
                "baseline", "scripts.bench.baseline_settings", environment, workdir, port=ports[1]
            )
            # The JWT names the origin it is sent to (iss, aud), as a token endpoint there issues it.
            seeded.mint_jwts(project.url)
            try:
                project.wait_ready()
                baseline.wait_ready()
                print(
                    f"load: {loader}; {args.rounds} rounds of {args.seconds}s per cell, alternating",
                    flush=True,
                )
                rows = measure(seeded, project, baseline, args, loader, workdir)
                dpop_rows = None
                if not args.paths or DPOP in args.paths:
                    dpop_rows = measure_dpop(seeded, project, args, workdir)
            finally:
                project.stop()
                baseline.stop()
        if rows:
            harness.report("", table(rows, counts))
        if dpop_rows is not None:
            harness.report(dpop_table(dpop_rows, counts, proof_verification_us(seeded)))
    if args.growth or args.growth_only:
        growth.run(seeded, scale=args.scale)


if __name__ == "__main__":
    main()
