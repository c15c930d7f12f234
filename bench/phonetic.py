"""What phonetic matching buys the query corrector: none, our own key, or jellyfish's Metaphone.

Run from the repository: ``python bench/phonetic.py`` (needs ``pip install jellyfish`` for the
third row; it is a benchmark-only comparison, never a dependency). For each key function the
search index is rebuilt into a temporary cache with that key in its phonetic table, then the
misspelling-heavy categories of ``bench/queries.tsv`` are scored (hit@1 / hit@10), and the cost
of importing the library is measured in a fresh interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
CATEGORIES = ("misspelling", "typo", "lay-typo")


def _none(word: str) -> str:
    return ""  # keys shorter than three letters are never looked up: phonetic matching off


def _metaphone(word: str) -> str:
    import jellyfish

    return str(jellyfish.metaphone(word)).lower()


def score(name: str, key: Callable[[str], str]) -> dict[str, tuple[float, float, int]]:
    import relevance as rel

    import codelookup.correct as correct
    from codelookup.api import Library

    correct.phonetic_key = key  # used by the index build and by the query side alike
    with tempfile.TemporaryDirectory(prefix=f"phon-{name}-") as cache:
        os.environ["CODELOOKUP_CACHE_DIR"] = cache
        os.environ["CODELOOKUP_PREBUILT"] = "0"
        lib = Library(progress=False)
        queries = rel.load_queries()
        queries += rel.generate_variants(queries)
        out: dict[str, tuple[float, float, int]] = {}
        for cat in CATEGORIES:
            s = rel.Score()
            for q in (q for q in queries if q.category == cat):
                try:
                    hits = [(h.code, h.system) for h in lib.search(q.text).hits]
                except Exception:
                    hits = []
                s.add(rel.score_one(q, hits))
            out[cat] = (s.hit_at(1), s.hit_at(10), s.n)
        lib.con.close()
    return out


def import_ms(module: str) -> float:
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
        best = min(best, time.perf_counter() - started)
    floor = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        floor = min(floor, time.perf_counter() - started)
    return (best - floor) * 1000


def main() -> int:
    import codelookup.correct as correct

    rows: list[tuple[str, Callable[[str], str], str]] = [
        ("no phonetic matching", _none, "–"),
        ("our key (codelookup.correct.phonetic_key)", correct.phonetic_key, "0 (part of codelookup.correct)"),
    ]
    try:
        import jellyfish  # noqa: F401

        rows.append(("jellyfish.metaphone", _metaphone, f"{import_ms('jellyfish'):.1f} ms import"))
    except ImportError:
        print("(jellyfish not installed: pip install jellyfish for the third row)\n")
    head = "| phonetic key | " + " | ".join(f"{c} hit@1 / hit@10" for c in CATEGORIES) + " | cold cost |"
    print(head)
    print("|---|" + "---:|" * len(CATEGORIES) + "---|")
    for name, key, cost in rows:
        res = score(name.split()[0], key)
        cells = [f"{100 * h1:.1f}% / {100 * h10:.1f}% (n={n})" for h1, h10, n in (res[c] for c in CATEGORIES)]
        print(f"| {name} | " + " | ".join(cells) + f" | {cost} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
