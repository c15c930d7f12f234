"""Per-query latency of the batch path ``search - --jsonl`` on a realistic mix of queries.

    python bench/batch_mix.py                    # 2,000 queries, seed 20 (issue 20)
    python bench/batch_mix.py --n 500 --slowest 20
    python bench/batch_mix.py --profile 15       # cProfile over the 15 slowest, top functions
    python bench/batch_mix.py --write mix.txt    # the mix itself, one query a line

People paste what they have: a title with words left out, a title with a slip of the finger,
a few words of one, or one broad word. The mix is built here, deterministically (fixed seed),
from the catalogue's own titles of every system (sampled in proportion to the square root of
each system's size, so CPT and HCPCS are not drowned by ICD-10-CM and ICD-10-PCS):

- 35% a title with one to three words dropped (at most its first 12 words are kept);
- 25% a title (or its first words) with one typo in its longest word: a deleted, doubled or
  replaced letter, or two neighbours swapped;
- 20% two to four consecutive words of a title;
- 10% a whole title as printed;
- 10% one broad word: approach, fracture, injection, left, unspecified, and a few more.

The queries run through the real batch command (``commands.run_search`` with query ``-`` and
JSON Lines output, exactly what ``codelookup search - --jsonl`` calls) in this one process,
with one shared index connection. Each query's time is the time between reading its line and
reading the next one: search, not-found suggestions and rendering included. The index is
warmed first by one pass over the first 50 queries (a long-running batch is warm).
"""

from __future__ import annotations

import argparse
import io
import math
import os
import random
import re
import sys
import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if not os.environ.get("CODELOOKUP_BENCH_INSTALLED"):
    sys.path.insert(0, str(REPO / "src"))

SEED = 20
BROAD = (
    "approach",
    "fracture",
    "injection",
    "left",
    "unspecified",
    "right",
    "open",
    "disorder",
    "pain",
    "infection",
    "replacement",
    "syndrome",
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*|\d[\dA-Za-z.]*")


def catalogue_titles() -> dict[str, list[str]]:
    """Titles per system, in record order, from the search index (all systems, no groups)."""
    from codelookup.api import Library

    con = Library(progress=False).con
    out: dict[str, list[str]] = {}
    sql = "SELECT system, title FROM rec WHERE kind NOT IN ('chapter','block','section','body_system','table')"
    for system, title in con.execute(sql + " ORDER BY id"):
        if title and len(title.split()) >= 2:
            out.setdefault(system, []).append(title)
    return out


def _typo(word: str, rng: random.Random) -> str:
    """One edit: delete, double, replace a letter, or swap two neighbours (never the first)."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    if kind == 2:
        letters = "aeioulnrst" if word[i] in "aeiou" else "bcdfghklmnprstv"
        return word[:i] + rng.choice([c for c in letters if c != word[i]]) + word[i + 1 :]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def build_mix(n: int = 2000, seed: int = SEED, titles: dict[str, list[str]] | None = None) -> list[str]:
    """The deterministic realistic mix (see the module docstring); same ``n`` and seed, same list."""
    titles = titles if titles is not None else catalogue_titles()
    rng = random.Random(seed)
    systems = sorted(titles)
    weights = [math.sqrt(len(titles[s])) for s in systems]
    out: list[str] = []
    while len(out) < n:
        roll = rng.random()
        if roll < 0.10:
            out.append(rng.choice(BROAD))
            continue
        system = rng.choices(systems, weights)[0]
        ws = _WORD.findall(rng.choice(titles[system]))[:12]
        if len(ws) < 2:
            continue
        if roll < 0.45:
            drop = min(len(ws) - 1, rng.randint(1, 3))
            gone = set(rng.sample(range(len(ws)), drop))
            ws = [w for k, w in enumerate(ws) if k not in gone]
        elif roll < 0.70:
            ws = ws[: rng.randint(2, 8)]
            longest = max(range(len(ws)), key=lambda k: (len(ws[k]), -k))
            ws[longest] = _typo(ws[longest], rng)
        elif roll < 0.90:
            size = min(len(ws), rng.randint(2, 4))
            start = rng.randrange(len(ws) - size + 1)
            ws = ws[start : start + size]
        out.append(" ".join(ws).lower() if rng.random() < 0.7 else " ".join(ws))
    return out


class _TimedInput(io.TextIOBase):
    """stdin for the batch command that notes when each line is taken: the gap between two
    takes is the previous query's whole cost in the batch loop."""

    def __init__(self, queries: list[str]) -> None:
        self.queries = queries
        self.marks: list[float] = []
        self.cpu: list[float] = []

    def isatty(self) -> bool:
        return False

    def __iter__(self) -> Iterator[str]:  # type: ignore[override]
        for q in self.queries:
            self.cpu.append(time.process_time())
            self.marks.append(time.perf_counter())
            yield q + "\n"
        self.cpu.append(time.process_time())
        self.marks.append(time.perf_counter())


def run_batch(queries: list[str], lib: object | None = None) -> tuple[list[float], str, list[float]]:
    """Seconds per query through ``search - --jsonl`` in this process (wall), the JSON Lines
    written, and the CPU seconds per query (what machine load does not inflate)."""
    from codelookup.api import Library
    from codelookup.commands import SearchOptions, Streams, run_search
    from codelookup.formats import OutputFormat

    library = lib if lib is not None else Library(progress=False)
    inp = _TimedInput(queries)
    out, err = io.StringIO(), io.StringIO()
    run_search(SearchOptions("-", fmt=OutputFormat.JSONL), library, Streams(out=out, err=err, inp=inp))
    marks, cpu = inp.marks, inp.cpu
    return (
        [b - a for a, b in pairwise(marks)],
        out.getvalue(),
        [b - a for a, b in pairwise(cpu)],
    )


def percentile(values: list[float], p: float) -> float:
    s = sorted(values)
    k = (len(s) - 1) * p
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--slowest", type=int, default=10)
    parser.add_argument("--profile", type=int, default=0, metavar="K", help="cProfile the K slowest queries")
    parser.add_argument("--write", metavar="FILE", help="write the mix, one query a line, and stop")
    args = parser.parse_args(argv)

    from codelookup.api import Library

    queries = build_mix(args.n, args.seed)
    if args.write:
        Path(args.write).write_text("\n".join(queries) + "\n", encoding="utf-8")
        return 0
    lib = Library(progress=False)
    run_batch(queries[:50], lib)  # warm: index pages, vocabulary, priors
    started = time.perf_counter()
    times, _, cpu_times = run_batch(queries, lib)
    wall = time.perf_counter() - started
    ms = [t * 1000 for t in times]
    cpu = [t * 1000 for t in cpu_times]
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"batch mix: {len(queries):,} queries (seed {args.seed}), `search - --jsonl` in one process")
    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
    print(
        f"queries/s {len(queries) / wall:,.0f} | mean {sum(ms) / len(ms):.2f} ms | p50 {percentile(ms, 0.5):.2f}"
        f" | p95 {percentile(ms, 0.95):.2f} | p99 {percentile(ms, 0.99):.2f} | max {max(ms):.2f} ms"
    )
    print(
        f"CPU time per query: mean {sum(cpu) / len(cpu):.2f} ms | p50 {percentile(cpu, 0.5):.2f}"
        f" | p95 {percentile(cpu, 0.95):.2f} | p99 {percentile(cpu, 0.99):.2f} | max {max(cpu):.2f} ms"
    )
    slow = sorted(range(len(ms)), key=lambda k: -ms[k])
    print(f"\n{args.slowest} slowest:")
    for k in slow[: args.slowest]:
        print(f"  {ms[k]:7.2f} ms  {queries[k]}")
    if args.profile:
        import cProfile
        import pstats

        worst = [queries[k] for k in slow[: args.profile]]
        prof = cProfile.Profile()
        prof.enable()
        run_batch(worst, lib)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
