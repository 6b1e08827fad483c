"""The labelled colloquial queries (search_queries.tsv) against the demo catalogue: the top-3 hit
rate must not fall below what it reached when the set was written."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

QUERIES = Path(__file__).with_name("search_queries.tsv")
MIN_HIT_RATE = 0.98


def load_queries() -> list[tuple[str, list[str]]]:
    rows = []
    for line in QUERIES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            query, expected = line.split("\t")
            rows.append((query, expected.split("|")))
    return rows


def hit(names: Iterable[str], expected: list[str]) -> bool:
    return any(e in name for name in names for e in expected)


def test_the_labelled_set_is_large_enough() -> None:
    assert len(load_queries()) >= 80


@pytest.mark.django_db
def test_hit_rate_on_the_demo_catalogue() -> None:
    from onewindow.catalogue import search
    from onewindow.catalogue.models import Item

    if not Item.objects.filter(published__isnull=False).exists():
        pytest.fail("the demo catalogue is not loaded")
    search.clear_index()
    misses = []
    queries = load_queries()
    for query, expected in queries:
        names = [h.name for h in search.search(query, limit=3)]
        if not hit(names, expected):
            misses.append(f"{query} → {names} (expected {'/'.join(expected)})")
    rate = 1 - len(misses) / len(queries)
    assert rate >= MIN_HIT_RATE, f"top-3 hit rate {rate:.1%}; misses:\n" + "\n".join(misses)
