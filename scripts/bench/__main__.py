"""Run the benchmarks, each in its own process (each configures Django afresh):

    .venv/bin/python -m scripts.bench [served] [parts] [api] [client_credentials] [social] [-- ARGS]

With no name, all of them. ``served`` is issue 10's benchmark: the hot paths under gunicorn on
PostgreSQL next to the baselines, and with ``-- --growth [--scale S]`` the growth case. ARGS go to
every named benchmark; for the options run one directly, e.g. ``python -m scripts.bench.served --help``.
"""

import subprocess
import sys

BENCHMARKS = ("served", "parts", "api", "client_credentials", "social")


def main(argv):
    names, _, args = (
        (argv[: argv.index("--")], None, argv[argv.index("--") + 1 :]) if "--" in argv else (argv, None, [])
    )
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        raise SystemExit(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    for name in names or BENCHMARKS:
        print(f"== {name}", flush=True)
        subprocess.run([sys.executable, "-m", f"scripts.bench.{name}", *args], check=True)  # noqa: S603 - our modules


if __name__ == "__main__":
    main(sys.argv[1:])
