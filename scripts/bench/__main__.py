"""Run the benchmarks, each in its own process (each configures Django afresh), with their defaults:

    .venv/bin/python -m scripts.bench [api] [client_credentials] [social]

With no name, all of them. For other options run one directly: ``python -m scripts.bench.api --help``.
"""

import subprocess
import sys

BENCHMARKS = ("api", "client_credentials", "social")


def main(names):
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        raise SystemExit(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    for name in names or BENCHMARKS:
        print(f"== {name}", flush=True)
        subprocess.run([sys.executable, "-m", f"scripts.bench.{name}"], check=True)  # noqa: S603 - our modules


if __name__ == "__main__":
    main(sys.argv[1:])
