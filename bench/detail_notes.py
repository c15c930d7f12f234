"""Cost of an ICD-10-CM page without the similar-by-wording search (notes of every level, ranges).

Usage: python bench/detail_notes.py [N]   (N random billable codes, default 300, fixed seed)
"""

from __future__ import annotations

import random
import sys
import time

from codelookup.api import Library


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    lib = Library(progress=False)
    codes = [r[0] for r in lib.con.execute("SELECT code FROM rec WHERE system='ICD-10-CM' AND billable=1")]
    sample = random.Random(1).sample(codes, n)
    lib.lookup(sample[0], by_wording=False)  # warm: category list and SQLite pages
    times = []
    for code in sample:
        started = time.perf_counter()
        lib.lookup(code, by_wording=False)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    print(f"{n} pages: median {times[n // 2]:.2f} ms, p90 {times[n * 9 // 10]:.2f} ms, max {times[-1]:.2f} ms")


if __name__ == "__main__":
    main()
