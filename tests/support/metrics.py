"""Reading the /metrics exposition the way Prometheus does (prometheus-client's own parser)."""

from prometheus_client.parser import text_string_to_metric_families

METRICS_TOKEN = "metrics-token-for-tests-" + "m" * 24  # noqa: S105 - a test value


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample: ``(name, frozenset(labels.items())) -> value``."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def names(text: str) -> set[str]:
    """Every metric family's name and every sample's name in the exposition."""
    found = set()
    for family in text_string_to_metric_families(text):
        found.add(family.name)
        found.update(sample.name for sample in family.samples)
    return found


def value(scraped: dict, name: str, **labels) -> float:
    """One sample's value; 0 when the series does not exist yet."""
    return scraped.get((name, frozenset(labels.items())), 0.0)
