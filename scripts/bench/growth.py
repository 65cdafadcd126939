"""The growth case (issue 10, item 6): filled in below."""


def run(seeded, *, scale):
    raise SystemExit("growth case not implemented yet")
