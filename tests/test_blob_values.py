"""Priors and title lengths read item by item (a cold page's few hundred records) are the arrays'
own values, switch to the whole arrays past FEW_DOCS items, and rank exactly as the arrays do."""

from __future__ import annotations

import random
from typing import Any

from codelookup.api import Library
from codelookup.search import FEW_DOCS, Searcher


def test_items_read_in_place_equal_the_arrays(lib: Any) -> None:
    fresh = Searcher(lib.con)
    prior, tlen = fresh.prior_items()
    full = Searcher(lib.con)
    ids = [*random.Random(4).sample(range(len(full.tlen)), 500), 0, len(full.tlen) - 1]
    assert [prior[i] for i in ids] == [full.prior[i] for i in ids]
    assert [tlen[i] for i in ids] == [full.tlen[i] for i in ids]
    assert fresh._prior is None  # nothing loaded whole yet
    for i in range(FEW_DOCS + 10):  # past the threshold the whole array serves
        assert prior[i] == full.prior[i]
    assert fresh._prior is not None


def test_a_cold_library_ranks_as_a_warm_one(lib: Any) -> None:
    warm = Library(lib.con)
    _ = warm.searcher.prior, warm.searcher.tlen  # the whole arrays
    for query in ("heart attack", "wheelchair", "knee replacement", "E11.621 foot", "insulin pump supplies"):
        cold = Library(lib.con)
        assert [(h.code, h.score) for h in cold.search(query, limit=25).hits] == [
            (h.code, h.score) for h in warm.search(query, limit=25).hits
        ], query
    for code in ("E11.621", "I10", "0SR90J9", "J1100", "62264"):
        cold = Library(lib.con)
        similar = cold.lookup(code).sections.get("similar_codes")
        assert similar and similar == warm.lookup(code).sections.get("similar_codes"), code
