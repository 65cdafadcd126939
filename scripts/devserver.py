"""`make run`'s preparation, before Django is imported: the port is free, a local .env exists.

    python scripts/devserver.py HOST PORT

Exits 1 (changing nothing) when HOST:PORT is taken, e.g. by a first `make run`; otherwise writes
.env on the first start (debug on, a generated secret key; ignored by git) and exits 0.
"""

import os
import secrets
import socket
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ENV_FILE = REPO / ".env"
sys.path.insert(0, str(REPO))
from ops.production import MAKE_RUN_HEADER  # noqa: E402 - production refuses the file by this line


def port_is_free(host: str, port: int) -> bool:
    """True when a server could listen on host:port right now."""
    host = host.strip("[]")
    for family, kind, proto, _name, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as runserver does
            try:
                probe.bind(address)
            except OSError:
                return False
    return True


def write_env_file(path: Path) -> bool:
    """Create ``path`` (owner-only) with debug on and a new secret key; False when it exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as file:
        file.write(
            f"{MAKE_RUN_HEADER} on its first start, for local development only (ignored by git).\n"
            "# Every variable is listed in .env.example and explained in docs/configuration.md.\n"
            "DJANGO_DEBUG=1\n"
            f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}\n"
        )
    return True


def main(host: str, port: str) -> int:
    if not port_is_free(host, int(port)):
        print(
            f"Port {port} on {host} is in use (is another `make run` serving?). Nothing was changed.\n"
            f"Stop that server, or start on another port: make run PORT={int(port) + 1}",
            file=sys.stderr,
        )
        return 1
    if write_env_file(ENV_FILE):
        print(f"Wrote {ENV_FILE.name}: DJANGO_DEBUG=1 and a new DJANGO_SECRET_KEY (local development only).")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
