"""Issue 14's index hits inside issue 15's ranking: counted before the limit, re-ranked like titles.

Each branch passed its own tests; together the index hits were merged after the count (totals
changed with the limit) and lifted PCS tables and index diagnoses above the CPT pages.
"""

from __future__ import annotations

from typing import Any

import pytest

from codelookup.rerank import rerank, system_shifts


@pytest.mark.parametrize("query", ["pheochromocytoma", "cesarean delivery", "epidural"])
def test_index_hits_are_counted_before_the_limit(lib: Any, query: str) -> None:
    everything = lib.search(query, limit=None)
    assert any(h.match == "index" for h in everything.hits)  # the index does take part
    assert len(everything.hits) == everything.total == lib.search(query, limit=3).total
    assert [h.code for h in lib.search(query, limit=3).hits] == [h.code for h in everything.hits[:3]]


def test_diagnoses_an_index_path_reaches_rank_below_the_procedure(lib: Any) -> None:
    """'Delivery, cesarean (for), eclampsia → O15.9' is why a cesarean is done, not the cesarean."""
    hits = lib.search("cesarean delivery", limit=20).hits
    cpt = min(i for i, h in enumerate(hits) if h.code in ("59510", "59514", "59515"))
    reasons = [i for i, h in enumerate(hits) if h.system == "ICD-10-CM" and h.path.startswith("Delivery")]
    assert all(i > cpt for i in reasons), [(h.code, h.path) for h in hits]


def test_a_pcs_path_named_only_by_its_body_part_does_not_beat_the_title(lib: Any) -> None:
    """'epidural' is only a body part in 'Drainage, Epidural Space, Intracranial → 0093'."""
    top = lib.search("epidural").hits
    assert not [h.code for h in top if h.system == "ICD-10-PCS" and h.match == "index"]
    # a path whose main term the query names still leads ('Tonsillectomy → see Excision, ...')
    assert any(h.path.startswith("Tonsillectomy") for h in lib.search("tonsillectomy", limit=3).hits)


def test_rerank_treats_an_index_diagnosis_like_a_status_code_for_a_procedure_query() -> None:
    info = {
        1: ("O15.9", "ICD-10-CM", "Eclampsia, unspecified as to time period", True),
        2: ("59514", "CPT", "a cesarean page", True),
    }
    pool = [(1, 1.45, "index"), (2, 1.20, "title")]
    assert [d for d, _, _ in rerank(["cesarean", "delivery"], pool, info, via_index={1})] == [2, 1]
    assert [d for d, _, _ in rerank(["cesarean", "delivery"], pool, info)] == [1, 2]  # by its title only
    # a condition in the query keeps the diagnosis where its words put it
    assert [d for d, _, _ in rerank(["cesarean", "infection"], pool, info, via_index={1})] == [1, 2]


def test_system_shifts_bound_what_rerank_adds() -> None:
    assert system_shifts(["kidney", "transplant"]) == (0.15, -0.05)
    assert system_shifts(["kidney", "pain"]) == (-0.1, 0.0)
    assert system_shifts(["kidney", "transplant", "rejection"]) == (0.0, 0.0)
    assert system_shifts(["kidney"]) == (0.0, 0.0)
