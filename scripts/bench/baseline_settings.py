"""Settings of the baseline server the served benchmark measures the project against.

Production settings (same middleware, database, cache, logging) with one difference: the URLconf
is ``scripts.bench.baselines``, which holds only the two baseline views. Used by ``make bench``
and nothing else: the baselines are never in the project's URLs.
"""

from beerlocker.settings import *  # noqa: F403 - the production settings, unchanged

ROOT_URLCONF = "scripts.bench.baselines"
