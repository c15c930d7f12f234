"""Throughput of the analysts' tools: ``validate`` at 1M and 10M codes, and the Dask scale-out.

    python bench/bulk.py                 # validate at 1M and 10M codes, then Dask on 5M rows
    python bench/bulk.py --no-dask
    python bench/bulk.py --sizes 1000000

Codes are drawn (fixed seed) from the catalogue itself, undotted as on claims, with 2% invalid
strings mixed in. Peak RSS is the process's high-water mark after each size.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000_000, 10_000_000])
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--dask-rows", type=int, default=5_000_000)
    args = parser.parse_args()

    import codelookup.validation as v

    started = time.perf_counter()
    table = v.code_table()
    load = time.perf_counter() - started
    print(f"code table: {len(table):,} records, ~{table.nbytes() / 1e6:.0f} MB, loaded in {load:.2f} s "
          f"(RSS {rss_mb():.0f} MB)\n")  # fmt: skip
    rng = random.Random(20261129)
    pool = [c.replace(".", "") for c in table.code] + [f"ZZ{i:03d}" for i in range(len(table.code) // 50)]
    print("| codes | check | codes/s | peak RSS MB |\n|---:|---|---:|---:|")
    for size in args.sizes:
        codes = [pool[rng.randrange(len(pool))] for _ in range(size)]
        for label, fields in (
            ("membership (valid)", ("valid",)),
            ("valid + billable", ("valid", "billable")),
            ("with titles", ("code", "system", "valid", "billable", "title")),
            ("every field", v.FIELDS),
        ):
            t0 = time.perf_counter()
            v.validate_columns(codes, None, fields, table)
            rate = size / (time.perf_counter() - t0)
            print(f"| {size:,} | {label} | {rate:,.0f} | {rss_mb():.0f} |")
        del codes
    if not args.no_dask:
        dask_rate(args.dask_rows, table)
    return 0


def dask_rate(rows: int, table: object) -> None:
    try:
        import dask.dataframe as dd
        import distributed
        import numpy as np
        import pandas as pd
    except ImportError as exc:
        print(f"\nDask skipped: {exc}", file=sys.stderr)
        return
    from codelookup import annotate

    codes = table.code  # type: ignore[attr-defined]
    pool = np.array([c.replace(".", "") for c in codes[::7]], dtype=object)
    parts = 8

    def part(i: int) -> pd.DataFrame:
        size = rows // parts
        picks = np.random.default_rng(i).integers(0, len(pool), size)
        return pd.DataFrame({"claim_id": np.arange(i * size, (i + 1) * size), "dx": pool[picks]})

    meta = annotate(part(0).head(2), "dx").iloc[:0]
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.run(lambda: __import__("codelookup.validation").validation.code_table())  # warm the workers
        t0 = time.perf_counter()
        claims = dd.from_map(part, range(parts), meta=part(0).iloc[:0])
        n = claims.map_partitions(annotate, "dx", meta=meta)["valid"].count()
        total = int(n.compute())
        wall = time.perf_counter() - t0
    print(f"\nDask (LocalCluster, 2 worker processes): {total:,} rows generated and annotated "
          f"(valid, billable, title) in {wall:.1f} s = {total / wall:,.0f} rows/s")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
