"""Scale-out on an existing engine: the same ``annotate`` on every partition of a Dask DataFrame.

A local Dask cluster (two worker processes) builds and annotates a half-million-row synthetic
claims table, partition by partition (the rows are generated on the workers from a seed, as a
real job reads its own files); the totals must equal what ``validate`` says of the code pool.
"""

from __future__ import annotations

from typing import Any

import pytest

ROWS = 500_000  # bench/bulk.py measures 5,000,000; the test proves the totals, not the speed
PARTS = 8
SEED = 20261129


def claims_partition(part: int, pool: Any) -> Any:
    """One partition of synthetic claims: a claim id and a diagnosis code drawn from ``pool``."""
    import numpy as np
    import pandas as pd

    size = ROWS // PARTS
    picks = np.random.default_rng(SEED + part).integers(0, len(pool), size)
    return pd.DataFrame({"claim_id": np.arange(part * size, (part + 1) * size), "dx": pool[picks]})


def test_annotate_half_a_million_claims_on_a_local_dask_cluster(lib: Any) -> None:
    # Imported here, not at collection: dask costs every xdist worker 1.3 s to import.
    dd = pytest.importorskip("dask.dataframe", reason="dask[dataframe] not installed (pip install '.[test]')")
    distributed = pytest.importorskip("distributed", reason="distributed not installed (pip install '.[test]')")
    import numpy as np

    from codelookup import annotate
    from codelookup.validation import code_table, validate_columns

    table = code_table(lib.con)
    # Real codes of every system, undotted as on claims, plus a few invalid strings.
    pool = np.array([c.replace(".", "") for c in table.code[::7]] + ["ZZZ99", "E1199999", "W2189A"], dtype=object)
    fields = ("valid", "billable", "title")
    meta = annotate(claims_partition(0, pool).head(2), "dx", fields=fields).iloc[:0]
    ddf = dd.from_map(claims_partition, range(PARTS), pool=pool, meta=claims_partition(0, pool).iloc[:0])
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster),
    ):
        out = ddf.map_partitions(annotate, "dx", fields=fields, meta=meta)
        valid, billable, n = dd.compute(out["valid"].sum(), out["billable"].sum(), out["claim_id"].count())
        sample = out.partitions[3].compute()
    # Expected totals from the pool: how often each code was drawn times what validate says of it.
    drawn = sum(np.bincount(claims_partition(p, np.arange(len(pool)))["dx"].astype(int), minlength=len(pool))
                for p in range(PARTS))  # fmt: skip
    truth = validate_columns(pool.tolist(), None, ("valid", "billable"), table)
    assert n == ROWS
    assert valid == int(np.dot(drawn, np.array(truth["valid"], dtype=int)))
    assert billable == int(np.dot(drawn, np.array(truth["billable"], dtype=int)))
    local = annotate(claims_partition(3, pool), "dx", fields=fields)
    assert sample[list(fields)].to_dict("list") == local[list(fields)].to_dict("list")
