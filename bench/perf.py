"""Performance benchmark: cold starts, per-query latency, memory and index build, beside a peer.

Run from anywhere: ``python bench/perf.py`` (``--runs N``, ``--json``, ``--no-peer``; see
``docs/performance.md``). It prints one Markdown table.

Every CLI call is a cold start, so the numbers that matter are wall times of whole processes,
measured against the peer tool ``icd10-coder`` (0.2.3) and against ``python -c pass`` in the
same run. Commands are interleaved round by round, each round in a rotated order, so a burst of
machine load lands on all of them rather than on whichever happened to run in it; medians, not
means, because one descheduled run should not move the result.

Each child is reaped with ``os.wait4``, which reports that process's own peak RSS; the
``RUSAGE_CHILDREN`` figure would be the maximum over every child so far.

The benchmark never touches the user's cache or imported layers: it points
``CODELOOKUP_CACHE_DIR`` and ``CODELOOKUP_DATA_DIR`` at temporary directories, so the first
measured runs are genuine first runs and the rest read a bundled-catalogue index only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
QUERIES = REPO / "bench" / "perf_queries.txt"
SEARCH_Q = "diabetis foot ulcer"
SHOW_CODE = "E11.621"
JSONL_RUNS = 3


@dataclass
class Sample:
    """One finished child process."""

    wall: float  # seconds
    maxrss_kb: int
    rc: int


@dataclass
class Command:
    """A command line timed cold; ``peer`` names the row of ours it is compared with."""

    key: str
    label: str
    argv: list[str]
    ok_rcs: tuple[int, ...] = (0,)
    prints: bool = True
    tty: bool = False  # stdout is a pseudo-terminal (the interactive path)
    split: bool = False  # a phase child: its JSON report is kept, its wall time is not reported
    env: dict[str, str] | None = None  # its own environment (the baseline's own cache directory)
    samples: list[Sample] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)

    def median_ms(self) -> float:
        return statistics.median(s.wall for s in self.samples) * 1000

    def median_rss_mb(self) -> float:
        return statistics.median(s.maxrss_kb for s in self.samples) / 1024


@dataclass
class Setup:
    """How codelookup, its interpreter and the peer are reached, and the isolated environment."""

    ours: list[str]
    how: str
    python: str
    peer: list[str] | None
    env: dict[str, str]
    baseline: list[str] | None = None  # another codelookup (e.g. the previous commit), same rounds


def run(argv: Sequence[str], env: dict[str, str], *, stdin: Path | None = None, stderr: Path | None = None) -> Sample:
    """Run one child to completion; its own peak RSS comes from wait4, not RUSAGE_CHILDREN."""
    with (
        open(stdin or os.devnull, "rb") as inp,
        open(stderr or os.devnull, "wb") as err,
    ):
        started = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdin=inp, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    rc = os.waitstatus_to_exitcode(status)
    proc.returncode = rc  # already reaped; keeps Popen from waiting again
    return Sample(wall, int(usage.ru_maxrss), rc)


TTY_COLUMNS, TTY_LINES = 120, 40


def tty_env(env: dict[str, str]) -> dict[str, str]:
    """A terminal of 120x40 for everyone (Rich and the peer read COLUMNS/LINES), pagers that just print."""
    return dict(env, PAGER="cat", MANPAGER="cat", COLUMNS=str(TTY_COLUMNS), LINES=str(TTY_LINES), SHELL="/bin/sh")


# Last argument of a terminal row whose output goes through ``| cat`` inside the same wrapper:
# the pipe to compare a terminal page with, the wrapper's own cost on both sides.
PIPED = "<piped>"


def run_tty(argv: Sequence[str], env: dict[str, str], timeout: float = 60.0) -> Sample:
    """Run one child with a pseudo-terminal as stdout/stderr: what someone typing sees.

    Through ``script -qc CMD /dev/null`` (util-linux) when it exists, as a person's terminal
    would start it; the ``script -qc true`` row gives that wrapper's own cost. Without
    ``script``, a pty of our own. The child is polled rather than waited on so a command
    that opens a pager cannot hang the benchmark. Peak RSS is the wrapper's, so not reported.
    """
    script = shutil.which("script")
    piped = bool(argv) and argv[-1] == PIPED
    if piped:
        argv = argv[:-1]
        if not script:  # no wrapper to share: the plain pipe is the fair comparison
            return run(argv, env)
    if script:
        import shlex

        full = [script, "-qc", shlex.join(argv) + (" | cat" if piped else ""), "/dev/null"]
        started = time.perf_counter()
        proc = subprocess.Popen(full, env=tty_env(env), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)  # fmt: skip
        return _reap(proc, started, timeout)
    import fcntl
    import pty
    import struct
    import termios
    import threading

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", TTY_LINES, TTY_COLUMNS, 0, 0))

    def drain() -> None:
        while True:
            try:
                if not os.read(master, 65536):
                    return
            except OSError:  # EIO once the child has exited and the slave side is closed
                return

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=tty_env(env), stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
    os.close(slave)
    sample = _reap(proc, started, timeout)
    reader.join(timeout=2)
    os.close(master)
    return sample


def _reap(proc: subprocess.Popen[bytes], started: float, timeout: float) -> Sample:
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.0005)
    wall = time.perf_counter() - started
    rc = os.waitstatus_to_exitcode(status)
    proc.returncode = rc
    return Sample(wall, int(usage.ru_maxrss), rc)


def check(argv: Sequence[str], env: dict[str, str], ok_rcs: tuple[int, ...] = (0,), prints: bool = True) -> None:
    """Refuse to time a command that fails: a fast error would look like a fast tool."""
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    if proc.returncode not in ok_rcs or (prints and not proc.stdout.strip()):
        raise SystemExit(
            f"perf: {' '.join(argv)!r} failed (exit {proc.returncode}, {len(proc.stdout)} bytes of output):\n"
            f"{proc.stderr.strip()[-2000:]}"
        )


def _shebang_python(script: str) -> str | None:
    """The interpreter a console script runs under, so in-process numbers use the same install."""
    try:
        with open(script, "rb") as fh:
            first = fh.readline().decode(errors="replace").strip()
    except OSError:
        return None
    if first.startswith("#!"):
        interp = first[2:].strip().split()[0]
        if os.path.basename(interp).startswith("python") and os.access(interp, os.X_OK):
            return interp
    return None


def _which(name: str, explicit: str | None) -> str | None:
    """Prefer the executable next to this interpreter (an unactivated venv), then PATH."""
    if explicit:
        return explicit
    sibling = Path(sys.executable).parent / name
    if sibling.is_file() and os.access(sibling, os.X_OK):
        return str(sibling)
    return shutil.which(name)


def find_setup(args: argparse.Namespace, cache: Path, data: Path) -> Setup:
    env = dict(os.environ)
    env["CODELOOKUP_CACHE_DIR"] = str(cache)
    env["CODELOOKUP_DATA_DIR"] = str(data)
    env.pop("CODELOOKUP_DEBUG", None)
    # Measure the index codelookup builds in the cache (what imports and source checkouts use);
    # the wheel's prebuilt index is timed separately in time_build.
    env["CODELOOKUP_PREBUILT"] = "0"
    exe = _which("codelookup", args.codelookup)
    if exe:
        python = _shebang_python(exe) or sys.executable
        ours, how = [exe], f"installed executable {exe}"
    else:
        import importlib.util

        python = sys.executable
        ours = [python, "-m", "codelookup"]
        if importlib.util.find_spec("codelookup") is None:
            src = str(REPO / "src")
            env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
            how = f"`python -m codelookup` from {src} (no `codelookup` executable found; not a faithful install)"
        else:
            how = "`python -m codelookup` (no `codelookup` executable found; an installed script starts the same way)"
    peer_exe = None if args.no_peer else _which("icd10-coder", args.peer)
    baseline = [args.baseline] if args.baseline else None
    return Setup(ours, how, python, [peer_exe] if peer_exe else None, env, baseline)


# -- cold starts ------------------------------------------------------------------------


# Each of our cold rows: key, label, arguments, in a terminal?, the row it must beat, goal.
# "peer_*" keys are icd10-coder's equivalents; "search"/"floor" compare with our own fast path
# or the interpreter. ``--baseline`` times the same rows for another install (before/after).
OURS: list[tuple[str, str, list[str], bool, str, str]] = [
    ("search", f"`search '{SEARCH_Q}'` (pipe)", ["search", SEARCH_Q], False, "peer_dx", "≤ peer"),
    ("search_json", f"`search '{SEARCH_Q}' --json`", ["search", SEARCH_Q, "--json"], False, "peer_dx", "≤ peer"),
    ("search_typo", "`search 'diabeties type 2'` (typo fallback; pipe)", ["search", "diabeties type 2"], False,
     "peer_dx", "≤ peer"),
    ("show", f"`show {SHOW_CODE}` (pipe)", ["show", SHOW_CODE], False, "peer_code", "≤ peer"),
    ("show_json", f"`show {SHOW_CODE} --json`", ["show", SHOW_CODE, "--json"], False, "peer_code", "≤ peer"),
    ("show_cpt", "`show 62264` (pipe)", ["show", "62264"], False, "", "info"),
    ("browse", "`browse E11` (pipe)", ["browse", "E11"], False, "peer_hierarchy", "≤ peer"),
    ("browse_json", "`browse E11 --json`", ["browse", "E11", "--json"], False, "peer_hierarchy", "≤ peer"),
    ("systems", "`systems` (pipe)", ["systems"], False, "search", "≤ 1.3× search"),
    ("sections", "`sections` (pipe)", ["sections"], False, "search", "≤ 1.3× search"),
    ("version", "`--version`", ["--version"], False, "peer_help", "≤ peer"),
    ("help", "`--help`", ["--help"], False, "peer_help", "≤ peer"),
    ("search_help", "`search --help`", ["search", "--help"], False, "peer_dx_help", "≤ peer"),
    ("search_tty", "`search` in a terminal", ["search", SEARCH_Q], True, "peer_dx_tty", "≤ peer"),
    ("show_tty", f"`show {SHOW_CODE}` in a terminal", ["show", SHOW_CODE], True, "peer_code_tty", "≤ peer"),
    ("show_cpt_tty", "`show 62264` in a terminal", ["show", "62264"], True, "show_cpt_wrapped", "≤ 1.5× pipe"),
    ("show_cpt_wrapped", "`show 62264 \\| cat` in the same wrapper", ["show", "62264", PIPED], True, "", "info"),
    ("show_pcs_tty", "`show 0SR90J9` (PCS axes) in a terminal", ["show", "0SR90J9"], True, "show_pcs_wrapped",
     "≤ 1.5× pipe"),
    ("show_pcs_wrapped", "`show 0SR90J9 \\| cat` in the same wrapper", ["show", "0SR90J9", PIPED], True, "",
     "info"),
    ("show_7th_tty", "`show S52.501A` (7th characters) in a terminal", ["show", "S52.501A"], True,
     "show_7th_wrapped", "≤ 1.5× pipe"),
    ("show_7th_wrapped", "`show S52.501A \\| cat` in the same wrapper", ["show", "S52.501A", PIPED], True, "",
     "info"),
    ("browse_tty", "`browse E11` in a terminal", ["browse", "E11"], True, "peer_hierarchy_tty", "≤ peer"),
    ("systems_tty", "`systems` in a terminal", ["systems"], True, "systems_wrapped", "≤ 1.5× pipe"),
    ("systems_wrapped", "`systems \\| cat` in the same wrapper", ["systems", PIPED], True, "", "info"),
    ("search_table", "`search ... --format table` (pipe)", ["search", SEARCH_Q, "--format", "table"], False,
     "", "info"),
]  # fmt: skip
PEER: list[tuple[str, str, list[str], bool]] = [
    ("peer_dx", f"`dx '{SEARCH_Q}'`", ["dx", SEARCH_Q], False),
    ("peer_code", f"`code {SHOW_CODE}`", ["code", SHOW_CODE], False),
    ("peer_hierarchy", "`hierarchy E11`", ["hierarchy", "E11"], False),
    ("peer_help", "`--help`", ["--help"], False),
    ("peer_dx_help", "`dx --help`", ["dx", "--help"], False),
    ("peer_dx_tty", "`dx` in a terminal", ["dx", SEARCH_Q], True),
    ("peer_code_tty", "`code` in a terminal", ["code", SHOW_CODE], True),
    ("peer_hierarchy_tty", "`hierarchy E11` in a terminal", ["hierarchy", "E11"], True),
]
# What a goal's ratio is multiplied by before comparing with 1.
GOAL_LIMIT = {"≤ peer": 1.0, "≤ 1.3× search": 1.3, "≤ 1.5× pipe": 1.5}


def cold_commands(setup: Setup, baseline: list[str] | None = None) -> list[Command]:
    # The baseline builds and keeps its own index: sharing a cache directory, each version would
    # remove the other's index as stale and rebuild it on every call.
    base_env = dict(setup.env, CODELOOKUP_CACHE_DIR=setup.env["CODELOOKUP_CACHE_DIR"] + "-baseline")
    cmds = [
        Command("python", "`python -c pass` (interpreter floor)", [setup.python, "-c", "pass"], prints=False),
    ]
    if shutil.which("script"):
        cmds.append(Command("tty_floor", "`script -qc true` (terminal wrapper floor)", ["true"], prints=False,
                            tty=True))  # fmt: skip
    for key, label, args, tty, _, _ in OURS:
        cmds.append(Command(key, label, [*setup.ours, *args], tty=tty))
        if baseline:
            cmds.append(Command("base_" + key, label, [*baseline, *args], tty=tty, env=base_env))
    if setup.peer:
        for key, label, args, tty in PEER:
            cmds.append(Command(key, label, [*setup.peer, *args], tty=tty))
    return cmds


def time_cold(cmds: list[Command], env: dict[str, str], runs: int) -> None:
    default_env = env
    for cmd in cmds:  # warm the page cache (and record help texts) and fail early; not counted
        env = cmd.env or default_env
        if cmd.split:
            run_split(cmd.argv, env)
        elif cmd.tty:
            sample = run_tty(cmd.argv, env)
            if sample.rc not in cmd.ok_rcs:
                raise SystemExit(f"perf: {' '.join(cmd.argv)!r} failed in a terminal (exit {sample.rc})")
        else:
            check(cmd.argv, env, cmd.ok_rcs, cmd.prints)
    for r in range(runs):
        shift = r % len(cmds)
        for cmd in cmds[shift:] + cmds[:shift]:
            env = cmd.env or default_env
            if cmd.split:
                cmd.reports.append(run_split(cmd.argv, env))
                continue
            sample = run_tty(cmd.argv, env) if cmd.tty else run(cmd.argv, env)
            if sample.rc not in cmd.ok_rcs:
                raise SystemExit(f"perf: {cmd.argv!r} exited {sample.rc} during timing")
            cmd.samples.append(sample)


# -- where a cold start goes -------------------------------------------------------------

PHASE_ARGS = {"search": ["search", SEARCH_Q], "show": ["show", SHOW_CODE]}
COLD_MODULES = ("codelookup.fastpath", "codelookup.api", "codelookup.commands")


# Run as ``python -c``: the benchmark's own imports (argparse, dataclasses, subprocess…) would
# otherwise be loaded already and hide part of the import cost being measured.
PHASE_CHILD = """
import time
t0 = time.perf_counter()
import importlib, os, sys
for name in MODULES:
    try:
        importlib.import_module(name)
    except ImportError:
        pass
t1 = time.perf_counter()
from codelookup.fastpath import try_run
real = sys.stdout
with open(os.devnull, "w") as sink:
    sys.stdout = sink
    try:
        rc = try_run(sys.argv[1:])
    finally:
        sys.stdout = real
t2 = time.perf_counter()
import json
print(json.dumps({"imports_s": t1 - t0, "rest_s": t2 - t1, "rc": rc, "modules": len(sys.modules)}))
""".replace("MODULES", repr(COLD_MODULES))


def split_commands(setup: Setup) -> list[Command]:
    """Phase children, timed in the same rounds as the cold commands so load affects both alike."""
    return [
        Command(f"split_{which}", which, [setup.python, "-c", PHASE_CHILD, *call], split=True)
        for which, call in PHASE_ARGS.items()
    ]


def run_split(argv: Sequence[str], env: dict[str, str]) -> dict[str, Any]:
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"perf: phase run failed:\n{proc.stderr.strip()[-2000:]}")
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


def summarise_splits(cmds: Sequence[Command]) -> dict[str, Any]:
    """Imports versus everything after them, for one cold search and one cold show.

    Only the documented fast-path entry (``fastpath.try_run``) is called, so internal
    refactoring does not break the benchmark; a module that no longer exists is skipped.
    """
    out: dict[str, Any] = {}
    for cmd in cmds:
        if not cmd.split:
            continue
        if any(rep["rc"] is None for rep in cmd.reports):
            out[cmd.label] = None  # the fast path declined: the numbers would not describe a real call
            continue
        out[cmd.label] = {
            "imports_ms": statistics.median(rep["imports_s"] for rep in cmd.reports) * 1000,
            "rest_ms": statistics.median(rep["rest_s"] for rep in cmd.reports) * 1000,
            "modules": cmd.reports[0]["modules"],
        }
    return out


# -- per-query latency ------------------------------------------------------------------


def inproc_main(queries_file: str) -> None:
    """Child mode: time Library.search over the query set inside one process, print JSON."""
    import resource

    t0 = time.perf_counter()
    from codelookup.api import Library
    from codelookup.errors import NotFoundError

    t1 = time.perf_counter()
    lib = Library(progress=False)
    _ = lib.searcher  # opens the index and loads what the searcher keeps in memory
    t2 = time.perf_counter()
    queries = read_queries(Path(queries_file))
    times: list[float] = []
    missing = 0
    for q in queries:
        started = time.perf_counter()
        try:
            lib.search(q)
        except NotFoundError:
            missing += 1
        times.append(time.perf_counter() - started)
    out = {
        "import_s": t1 - t0,
        "open_s": t2 - t1,
        "times_s": times,
        "not_found": missing,
        "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    print(json.dumps(out))


def read_queries(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), on a sorted list."""
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def latency_summary(times_s: Sequence[float]) -> dict[str, float]:
    ms = sorted(t * 1000 for t in times_s)
    return {
        "n": len(ms),
        "mean": statistics.fmean(ms),
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "p99": percentile(ms, 99),
        "max": ms[-1],
    }


def time_inproc(setup: Setup, queries: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [setup.python, str(Path(__file__).resolve()), "--inproc", str(queries)],
        env=setup.env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"perf: in-process run failed:\n{proc.stderr.strip()[-2000:]}")
    raw: dict[str, Any] = json.loads(proc.stdout)
    summary = latency_summary(raw["times_s"])
    slowest = sorted(zip(raw["times_s"], read_queries(queries), strict=True), reverse=True)[:5]
    return {
        **summary,
        "import_ms": raw["import_s"] * 1000,
        "open_ms": raw["open_s"] * 1000,
        "first_ms": raw["times_s"][0] * 1000,
        "not_found": raw["not_found"],
        "maxrss_mb": raw["maxrss_kb"] / 1024,
        "slowest": [{"query": q, "ms": t * 1000} for t, q in slowest],
    }


def time_jsonl(setup: Setup, queries: Path) -> dict[str, Any]:
    """Whole-process wall time of ``search - --jsonl`` over the query set, per query."""
    n = len(read_queries(queries))
    argv = [*setup.ours, "search", "-", "--jsonl"]
    samples = []
    for _ in range(JSONL_RUNS):
        sample = run(argv, setup.env, stdin=queries)
        if sample.rc not in (0, 1):  # 1: some query found nothing
            raise SystemExit(f"perf: {argv!r} exited {sample.rc}")
        samples.append(sample)
    total = statistics.median(s.wall for s in samples)
    return {
        "n": n,
        "runs": JSONL_RUNS,
        "total_s": total,
        "per_query_ms": total * 1000 / n,
        "maxrss_mb": max(s.maxrss_kb for s in samples) / 1024,
    }


# -- index build ------------------------------------------------------------------------


def time_build(setup: Setup, runs: int, keep: Path) -> dict[str, Any]:
    """First search against an empty cache directory, ``runs`` times; plus a corrupt-index rebuild.

    The last fresh build is left in ``keep`` (the benchmark's cache) so later runs read it.
    """
    argv = [*setup.ours, "search", SEARCH_Q]
    walls: list[float] = []
    rss: list[int] = []
    progress = True
    atomic = True
    for i in range(runs):
        cache = keep if i == runs - 1 else Path(tempfile.mkdtemp(prefix="perf-build-"))
        env = dict(setup.env, CODELOOKUP_CACHE_DIR=str(cache))
        with tempfile.NamedTemporaryFile(suffix=".err", delete=False) as fh:
            err = Path(fh.name)
        try:
            sample = run(argv, env, stderr=err)
            stderr_text = err.read_text(errors="replace")
        finally:
            err.unlink()
        if sample.rc != 0:
            raise SystemExit(f"perf: first run exited {sample.rc}:\n{stderr_text[-2000:]}")
        walls.append(sample.wall)
        rss.append(sample.maxrss_kb)
        progress = progress and "index" in stderr_text.lower()
        files = [p.name for p in cache.iterdir()]
        atomic = atomic and any(f.endswith(".sqlite") for f in files) and not any(f.endswith(".tmp") for f in files)
        if cache != keep:
            shutil.rmtree(cache, ignore_errors=True)
    out: dict[str, Any] = {
        "runs": runs,
        "walls_s": walls,
        "median_s": statistics.median(walls) if walls else None,
        "maxrss_mb": max(rss) / 1024 if rss else None,
        "progress_on_stderr": progress if walls else None,
        "atomic": atomic if walls else None,
    }
    if walls:
        out["damaged"] = _damage_checks(setup, argv, keep)
        out["stale"] = _stale_rebuild(setup, argv)
    out["prebuilt"] = _prebuilt_first_run(setup, argv, runs)
    return out


def _prebuilt_first_run(setup: Setup, argv: list[str], runs: int) -> dict[str, Any]:
    """First search after installing a wheel: the shipped index is used, nothing is built."""
    walls: list[float] = []
    used = True
    for _ in range(max(runs, 1)):
        cache = Path(tempfile.mkdtemp(prefix="perf-prebuilt-"))
        try:
            env = {k: v for k, v in setup.env.items() if k != "CODELOOKUP_PREBUILT"}
            env["CODELOOKUP_CACHE_DIR"] = str(cache / "cache")
            sample = run(argv, env)
            walls.append(sample.wall)
            used = used and sample.rc == 0 and not (cache / "cache").exists()
        finally:
            shutil.rmtree(cache, ignore_errors=True)
    return {"median_s": statistics.median(walls), "used": used}


def _damage_checks(setup: Setup, argv: list[str], keep: Path) -> dict[str, Any]:
    """Damage copies of the built index two ways; within two runs codelookup must answer again.

    Garbage fails when the index is opened; a truncated file can look valid until a query reads a
    missing page, where one failing run (exit 3, index removed) before the rebuild is acceptable.
    """
    out: dict[str, Any] = {}
    for kind in ("garbage", "truncated"):
        cache = Path(tempfile.mkdtemp(prefix=f"perf-{kind}-"))
        try:
            for src in keep.glob("index-*.sqlite"):
                dst = cache / src.name
                if kind == "garbage":
                    dst.write_bytes(b"not a database\n" * 64)
                else:
                    shutil.copyfile(src, dst)
                    os.truncate(dst, dst.stat().st_size // 2)
            env = dict(setup.env, CODELOOKUP_CACHE_DIR=str(cache))
            runs = []
            for _ in range(2):
                sample = run(argv, env)
                runs.append({"rc": sample.rc, "wall_s": sample.wall})
                if sample.rc == 0:
                    break
            out[kind] = {"runs": runs, "recovered": runs[-1]["rc"] == 0}
        finally:
            shutil.rmtree(cache, ignore_errors=True)
    return out


def _stale_rebuild(setup: Setup, argv: list[str]) -> dict[str, Any] | None:
    """Touch a copy of the catalogue after building from it: the next run must rebuild and leave
    one index behind. ``None`` when the catalogue's location cannot be asked for."""
    probe = subprocess.run(
        [setup.python, "-c", "from codelookup.catalogue import catalogue_path; print(catalogue_path())"],
        env=setup.env,
        capture_output=True,
        text=True,
        check=False,
    )
    catalogue = Path(probe.stdout.strip())
    if probe.returncode != 0 or not catalogue.is_file():
        return None
    work = Path(tempfile.mkdtemp(prefix="perf-stale-"))
    try:
        copy = work / "codes.json"
        shutil.copyfile(catalogue, copy)
        env = dict(setup.env, CODELOOKUP_CACHE_DIR=str(work / "cache"), CODELOOKUP_CATALOGUE=str(copy))
        first = run(argv, env)
        st = copy.stat()
        os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns + 60 * 10**9))
        err = work / "stderr.txt"
        second = run(argv, env, stderr=err)
        announced = "index" in err.read_text(errors="replace").lower()
        left = len(list((work / "cache").glob("index-*.sqlite")))
        return {
            "first_rc": first.rc,
            "rc": second.rc,
            "wall_s": second.wall,
            "rebuilt": first.rc == 0 and second.rc == 0 and announced and second.wall > 0.5,
            "indexes_left": left,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


# -- report -----------------------------------------------------------------------------


def _fmt_ms(v: float) -> str:
    return f"{v:.1f} ms" if v < 1000 else f"{v / 1000:.2f} s"


def _cold_cell(c: dict[str, Any]) -> str:
    return f"{_fmt_ms(c['median_ms'])} (min {c['min_ms']:.1f})"


def paired_ratio(ours_ms: Sequence[float], peer_ms: Sequence[float]) -> float:
    """Median of per-round ratios: both runs of a pair ran within a second of each other, so a
    burst of load from other processes inflates numerator and denominator alike."""
    return statistics.median(a / b for a, b in zip(ours_ms, peer_ms, strict=True))


def _yes(ok: bool | None) -> str:
    return "–" if ok is None else ("yes" if ok else "**NO**")


def render_cold(result: dict[str, Any]) -> str:
    """The cold-start table: each command beside the floor, the baseline (before), the peer and its goal.

    Every ratio is the median of per-round ratios (``paired_ratio``): × floor against
    ``python -c pass``, after / before against the ``--baseline`` install, and the goal's
    ratio against the row the goal names (the peer's equivalent, our fast-path search, or the
    same command in a pipe).
    """
    cold = {c["key"]: c for c in result["cold"]}
    floor = cold["python"]
    header = ["command (cold)", "before", "codelookup", "× floor", "after / before", "icd10-coder",
              "ratio for the goal", "goal", "met"]  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|---|---:|---:|---:|---:|---:|---:|---|---|"]

    def ratio(a: dict[str, Any], b: dict[str, Any]) -> float:
        return paired_ratio(a["walls_ms"], b["walls_ms"])

    lines.append(f"| {floor['label']} | | {_cold_cell(floor)} | 1.00 | | | | floor | |")
    if "tty_floor" in cold:
        t = cold["tty_floor"]
        lines.append(f"| {t['label']} | | {_cold_cell(t)} | {ratio(t, floor):.2f} | | | | info | |")
    for key, label, _, _, against, goal in OURS:
        c = cold[key]
        base = cold.get("base_" + key)
        other = cold.get(against)
        peer = _cold_cell(other) if other and against.startswith("peer_") else ""
        if other:
            r = ratio(c, other)
            goal_ratio, met = f"{r:.2f}", _yes(r <= GOAL_LIMIT.get(goal, float("inf")))
        else:
            goal_ratio, met = "", "–" if goal != "info" else ""
        if goal.startswith("≤ peer") and not other:
            goal_ratio = "no peer"
        lines.append(
            f"| {label} | {_cold_cell(base) if base else ''} | {_cold_cell(c)} | {ratio(c, floor):.2f} | "
            f"{f'{ratio(c, base):.2f}' if base else ''} | {peer} | {goal_ratio} | {goal} | {met} |"
        )
    return "\n".join(lines)


def render(result: dict[str, Any]) -> str:
    """The other measurements: every goal from the issue beside our number, the peer's and the verdict."""
    cold = {c["key"]: c for c in result["cold"]}
    rows: list[tuple[str, ...]] = []

    def row(label: str, ours: str, goal: str = "info", met: str = "", peer: str = "", ratio: str = "") -> None:
        rows.append((label, ours, peer, ratio, goal, met))

    for which, ph in result["phases"].items():
        if ph:
            row(
                f"… cold `{which}` split: imports ({ph['modules']} modules) / index open + query + output",
                f"{ph['imports_ms']:.1f} / {ph['rest_ms']:.1f} ms",
            )
    lat = result["inproc"]
    row(
        f"in-process `Library.search`, {lat['n']} queries: mean",
        f"{lat['mean']:.2f} ms",
        "≤ 5 ms",
        _yes(lat["mean"] <= 5),
    )
    row("… p95", f"{lat['p95']:.2f} ms", "< 20 ms", _yes(lat["p95"] < 20))
    row("… p50 / p99 / max", f"{lat['p50']:.2f} / {lat['p99']:.1f} / {lat['max']:.1f} ms")
    row("… import / index open (once per process)", f"{lat['import_ms']:.1f} / {lat['open_ms']:.1f} ms")
    jl = result["jsonl"]
    row(
        f"`search - --jsonl` subprocess, {jl['n']} queries: total / n",
        f"{jl['per_query_ms']:.2f} ms",
        "≤ 5 ms",
        _yes(jl["per_query_ms"] <= 5),
    )
    rss = cold["search"]["median_rss_mb"]
    peer_rss = cold["peer_dx"]["median_rss_mb"] if "peer_dx" in cold else None
    row(
        "peak RSS, cold search process",
        f"{rss:.1f} MB",
        "< 150 MB",
        _yes(rss < 150),
        f"{peer_rss:.1f} MB" if peer_rss else "",
        f"{rss / peer_rss:.2f}" if peer_rss else "",
    )
    row("peak RSS, in-process run over all queries", f"{lat['maxrss_mb']:.1f} MB")
    row(f"`search - --jsonl` peak RSS, {jl['n']} queries", f"{jl['maxrss_mb']:.1f} MB")
    b = result["build"]
    if b["runs"]:
        walls = ", ".join(f"{w:.2f}" for w in b["walls_s"])
        row(
            f"index build: first search, empty cache (median of {b['runs']}: {walls} s)",
            f"{b['median_s']:.2f} s",
            "≤ 5 s",
            _yes(b["median_s"] <= 5),
        )
        row("… peak RSS while building", f"{b['maxrss_mb']:.1f} MB", "info (< 150 MB is for search)")
        pre = b.get("prebuilt") or {}
        if pre:
            row(
                "first search after installing the wheel (its prebuilt index; nothing built)",
                f"{pre['median_s'] * 1000:.1f} ms" if pre["used"] else "not used (no prebuilt index)",
                "≤ 5 s",
                _yes(pre["median_s"] <= 5),
            )
        row(
            "… progress on stderr / atomic (no temp file left)",
            f"{_yes(b['progress_on_stderr'])} / {_yes(b['atomic'])}",
            "yes",
            _yes(b["progress_on_stderr"] and b["atomic"]),
        )
        dmg = b["damaged"]

        def story(kind: str) -> str:
            return f"{kind}: " + ", then ".join(f"exit {r['rc']} ({r['wall_s']:.1f} s)" for r in dmg[kind]["runs"])

        row(
            "… damaged index (garbage / truncated copy): answers again within two runs",
            "; ".join(story(k) for k in dmg),
            "rebuilds",
            _yes(all(v["recovered"] for v in dmg.values())),
        )
        st = b["stale"]
        if st is None:
            row("… stale index (catalogue touched): rebuilt", "not measured (catalogue path unknown)")
        else:
            row(
                "… stale index (catalogue touched): rebuilt, old index removed",
                f"exit {st['rc']}, {st['wall_s']:.1f} s, {st['indexes_left']} index file(s) left",
                "rebuilds",
                _yes(st["rebuilt"] and st["indexes_left"] == 1),
            )
    header = ("measurement", "codelookup", "icd10-coder", "ours / peer", "goal", "met")
    lines = ["| " + " | ".join(header) + " |", "|---|---:|---:|---:|---|---|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _revision() -> str:
    """The work tree's commit (``-dirty`` if edited): what an installed copy was probably built from."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True, text=True, check=False
        )
    except OSError:
        return "unknown"
    return proc.stdout.strip() or "unknown"


def environment() -> dict[str, Any]:
    return {
        "work_tree": _revision(),
        "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "loadavg": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    ap.add_argument("--runs", type=int, default=15, help="cold runs per command (default 15)")
    ap.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    ap.add_argument("--no-peer", action="store_true", help="skip icd10-coder")
    ap.add_argument("--queries", type=Path, default=QUERIES, help="one query per line")
    ap.add_argument("--build-runs", type=int, default=3, help="fresh index builds to time (default 3)")
    ap.add_argument("--codelookup", help="path of the codelookup executable to measure")
    ap.add_argument("--peer", help="path of the icd10-coder executable")
    ap.add_argument(
        "--baseline",
        help="another codelookup executable (e.g. an install of an older commit): timed in the same rounds, "
        "shown as 'before' with paired after/before ratios",
    )
    ap.add_argument("--inproc", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.inproc:
        inproc_main(args.inproc)
        return 0
    if args.runs < 1 or args.build_runs < 0:
        ap.error("--runs must be at least 1 and --build-runs at least 0")
    started = time.perf_counter()
    cache = Path(tempfile.mkdtemp(prefix="perf-cache-"))
    data = Path(tempfile.mkdtemp(prefix="perf-data-"))
    try:
        setup = find_setup(args, cache, data)

        def log(msg: str) -> None:
            if not args.json:
                print(f"perf: {msg}", file=sys.stderr, flush=True)

        log(f"codelookup: {setup.how}")
        log(f"icd10-coder: {setup.peer[0] if setup.peer else 'not measured'}")
        if args.build_runs:
            log(f"timing {args.build_runs} fresh index build(s), then damaged and stale indexes…")
        build = time_build(setup, args.build_runs, cache)
        if not args.build_runs:
            check([*setup.ours, "search", SEARCH_Q], setup.env)
        baseline = [args.baseline] if args.baseline else None
        if baseline:
            log(f"baseline (before): {args.baseline}")
        cmds = cold_commands(setup, baseline) + split_commands(setup)
        log(f"timing cold starts: {len(cmds)} commands × {args.runs} interleaved rounds…")
        time_cold(cmds, setup.env, args.runs)
        phases = summarise_splits(cmds)
        log(f"timing {len(read_queries(args.queries))} queries in one process…")
        inproc = time_inproc(setup, args.queries)
        log("timing `search - --jsonl`…")
        jsonl = time_jsonl(setup, args.queries)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(str(cache) + "-baseline", ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)
    result: dict[str, Any] = {
        "environment": environment(),
        "codelookup": setup.how,
        "peer": setup.peer[0] if setup.peer else None,
        "baseline": args.baseline,
        "runs": args.runs,
        "cold": [
            {
                "key": c.key,
                "label": c.label,
                "argv": c.argv,
                "median_ms": c.median_ms(),
                "min_ms": min(s.wall for s in c.samples) * 1000,
                "walls_ms": [s.wall * 1000 for s in c.samples],  # in round order, for paired ratios
                "median_rss_mb": c.median_rss_mb(),
            }
            for c in cmds
            if not c.split
        ],
        "phases": phases,
        "inproc": inproc,
        "jsonl": jsonl,
        "build": build,
        "bench_seconds": time.perf_counter() - started,
    }
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    env = result["environment"]
    print(
        f"codelookup perf — {env['date_utc']} UTC, Python {env['python']}, {env['machine']}, "
        f"load {env['loadavg'][0]:.2f}; work tree {env['work_tree']}; codelookup via {setup.how}; "
        f"medians of {args.runs} interleaved cold runs\n"
    )
    print(render_cold(result))
    print()
    print(render(result))
    slow = ", ".join(f"{s['query']!r} {s['ms']:.1f} ms" for s in inproc["slowest"])
    print(f"\nslowest in-process queries: {slow}; not found: {inproc['not_found']}")
    print(f"benchmark took {result['bench_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
