"""Batch crosswalk throughput: 100,000 codes through ``codelookup crosswalk - --jsonl``, one process.

An analyst converting a historical column of ICD-9-CM codes pipes it through the command; this
measures exactly that. The input is drawn (fixed seed, with replacement) from the codes the GEMs
know: by default ICD-9-CM diagnoses and procedures in their real proportion (``--mix``),
typed with their decimal points as people write them. Output goes to /dev/null; the time
includes the process start, loading the crosswalk and the titles, and writing every JSON line.
The process's CPU time is reported too: on a shared machine, wall time mostly measures the load.

    python bench/crosswalk_batch.py              # 100,000 codes, 3 runs, median
    python bench/crosswalk_batch.py --codes 20000 --runs 1 --json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))


def sample_codes(n: int, seed: int, mix: str) -> list[str]:
    from codelookup.crosswalk import Crosswalk, dotted

    cross = Crosswalk()
    pools: list[tuple[str, str, list[str]]] = []
    wanted = {
        "icd9": [("dx9to10", "ICD-9-CM", "diagnosis"), ("pr9to10", "ICD-9-CM", "procedure")],
        "icd10": [("dx10to9", "ICD-10-CM", "diagnosis"), ("pr10to9", "ICD-10-PCS", "procedure")],
    }
    for gem, system, kind in wanted["icd9"] + wanted["icd10"] if mix == "all" else wanted[mix]:
        keys = [line.split("\t", 1)[0] for line in cross._section(f"{gem}.src").decode().split("\n") if line]
        pools.append((system, kind, keys))
    rng = random.Random(seed)
    flat = [(system, kind, key) for system, kind, keys in pools for key in keys]
    return [dotted(s, k, c) for s, k, c in (rng.choice(flat) for _ in range(n))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--codes", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--mix", choices=("icd9", "icd10", "all"), default="icd9")
    parser.add_argument("--gem", choices=("both", "forward", "backward"), default="both")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    codes = sample_codes(args.codes, args.seed, args.mix)
    data = ("\n".join(codes) + "\n").encode()
    exe = [sys.executable, "-m", "codelookup", "crosswalk", "-", "--jsonl", "--gem", args.gem]
    env = dict(os.environ)
    subprocess.run([sys.executable, "-m", "codelookup", "search", "E11.9"], env=env, capture_output=True, check=False)
    times = []
    cpu = []
    lines = 0
    for _ in range(args.runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(exe, input=data, capture_output=True, env=env, check=False)
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        lines = proc.stdout.count(b"\n")
        if proc.returncode not in (0, 1) or lines != len(codes):
            sys.stderr.write(proc.stderr.decode(errors="replace"))
            return 1
    med = statistics.median(times)
    med_cpu = statistics.median(cpu)
    result = {
        "codes": len(codes),
        "mix": args.mix,
        "gem": args.gem,
        "runs": args.runs,
        "median_seconds": round(med, 3),
        "codes_per_second": round(len(codes) / med),
        "cpu_seconds": round(med_cpu, 3),
        "codes_per_cpu_second": round(len(codes) / med_cpu),
        "load_average": os.getloadavg()[0],
        "output_lines": lines,
        "output_mb": None,
    }
    result["output_mb"] = round(len(proc.stdout) / 1e6, 1)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{len(codes):,} codes ({args.mix}, --gem {args.gem}) in {med:.2f} s (median of {args.runs}): "
            f"{len(codes) / med:,.0f} codes/s; {med_cpu:.2f} s of CPU: {len(codes) / med_cpu:,.0f} codes per CPU "
            f"second; {result['output_mb']} MB of JSON Lines (load average {os.getloadavg()[0]:.1f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
