"""The batch search tail (issue 20): pruned scoring gives exactly the results of scoring everything.

``Searcher.prune`` (default True) scores only the candidates whose score bound can reach the
head, caches common words' record maps across queries and counts relaxed candidates in C. The
reference here is an independent slow path computed in the same run (nothing from an old run is
stored): a second searcher that scores every candidate, maps every word afresh and picks relaxed
candidates with the previous pure-Python level loop, copied below. Both answer the first few
hundred queries of the benchmark's own mix (``bench/batch_mix.py``: catalogue titles with dropped
words and typos, broad single words), and everything a caller sees must be identical: codes,
systems, scores, match kinds, order, totals and notes.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from itertools import chain
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
search_mod = sys.modules.get("codelookup.search") or importlib.import_module("codelookup.search")


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("batch_mix", REPO / "bench" / "batch_mix.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _reference_relaxed(per_slot: list[dict[int, float]], need: int, keep: bytes | None = None) -> set[int]:
    """The relaxed-candidate rule as it was written before issue 20's tail work (Python loop)."""
    rare = [docs for docs in per_slot if len(docs) <= search_mod.BIG_POSTINGS] or per_slot
    need_rare = max(1, need - (len(per_slot) - len(rare)))
    counts = Counter(chain.from_iterable(rare))
    levels: dict[int, list[int]] = {}
    for doc, count in counts.items():
        if count >= need_rare and (keep is None or keep[doc]):  # keep: 1 per listed record
            levels.setdefault(count, []).append(doc)
    out: set[int] = set()
    for count in sorted(levels, reverse=True):
        out.update(levels[count])
        if len(out) >= search_mod.RELAXED_ENOUGH:
            break
    return out


def _answers(lib: Any, queries: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    out = []
    for query, kwargs in queries:
        r = lib.search(query, **kwargs)
        out.append(([(h.code, h.system, h.score, h.match, h.path) for h in r], r.total, r.notes))
    return out


@pytest.fixture(scope="module")
def mix() -> list[str]:
    return list(_bench().build_mix(2000))


@pytest.fixture(scope="module")
def libs() -> Iterator[tuple[Any, Any]]:
    from codelookup.api import Library

    fast, slow = Library(progress=False), Library(progress=False)
    searcher = slow.searcher
    searcher.prune = False
    searcher._cached_slot_docs = lambda key, slot: searcher._slot_docs(slot)
    yield fast, slow


def _same(libs: tuple[Any, Any], queries: list[tuple[str, dict[str, Any]]], monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = libs
    got = _answers(fast, queries)
    with monkeypatch.context() as m:
        m.setattr(search_mod, "_relaxed_candidates", _reference_relaxed)
        want = _answers(slow, queries)
    diffs = [q for (q, _), a, b in zip(queries, got, want, strict=True) if a != b]
    assert not diffs, f"{len(diffs)} of {len(queries)} queries differ, e.g. {diffs[:5]}"


def test_the_mix_is_deterministic_and_realistic(mix: list[str]) -> None:
    again = _bench().build_mix(2000)
    assert mix == again
    assert len(mix) == 2000 and len(set(mix)) > 1500
    broad = Counter(q for q in mix if " " not in q)
    assert {"approach", "fracture", "injection", "left", "unspecified"} <= set(broad)
    assert sum(len(q.split()) >= 5 for q in mix) > 500  # long titles with words left out


def test_pruned_search_equals_scoring_everything_on_the_mix(
    libs: tuple[Any, Any], mix: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _same(libs, [(q, {}) for q in mix[:300]], monkeypatch)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"limit": 1},
        {"limit": 100},
        {"billable_only": True},
        {"systems": ["ICD-10-PCS"]},
        {"systems": ["ICD-9-CM"], "limit": 25},
    ],
    ids=["limit1", "limit100", "billable", "pcs", "icd9"],
)
def test_pruned_search_equals_scoring_everything_with_options(
    libs: tuple[Any, Any], mix: list[str], kwargs: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    queries = [(q, kwargs) for q in mix[300:360]]
    queries += [(w, kwargs) for w in ("approach", "left", "unspecified", "fracture", "open approach", "right arm")]
    _same(libs, queries, monkeypatch)


def test_broad_words_score_only_a_few_candidates(libs: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """'approach' matches tens of thousands of records; the head needs only a few hundred scored."""
    fast, _ = libs
    scored = [0]
    real: Callable[..., None] = search_mod.Searcher._score

    def counting(self: Any, v: Any, docs: Any, *rest: Any) -> None:
        docs = list(docs)
        scored[0] += len(docs)
        real(self, v, docs, *rest)

    monkeypatch.setattr(search_mod.Searcher, "_score", counting)
    result = fast.search("approach")
    assert result.total > 50_000
    assert 0 < scored[0] < result.total // 20


# Queries with an intent (a procedure or a condition) shift each system before the head is cut,
# and reach records through the coders' index; broad ones are pruned (fixsearch merged into tail).
INTENT = ["injection", "excision", "drainage", "biopsy", "cesarean delivery", "epidural", "x-ray"]
INTENT += ["fracture", "infection", "pain", "repair open approach", "removal of device", "the flu"]


def test_pruned_search_equals_scoring_everything_with_intent_and_index_paths(
    libs: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, _ = libs
    shifted = pruned = 0
    real_top: Callable[..., None] = search_mod.Searcher._score_top

    def watching(self: Any, scored: Any, best: Any, wanted: int, sided: bool, sideless: Any, shift: Any = None) -> None:
        nonlocal shifted, pruned
        pruned += 1
        shifted += shift is not None
        real_top(self, scored, best, wanted, sided, sideless, shift)

    with monkeypatch.context() as m:
        m.setattr(search_mod.Searcher, "_score_top", watching)
        for limit in (1, 10, 60):
            _same(libs, [(q, {"limit": limit}) for q in INTENT], monkeypatch)
    assert pruned and shifted  # the comparison did exercise pruning with a shift
    for q in ("injection", "excision", "fracture"):
        everything = fast.search(q, limit=None)
        limited = fast.search(q, limit=10)
        assert limited.total == everything.total == len(everything.hits)
        assert [h.code for h in limited] == [h.code for h in everything.hits[:10]]
