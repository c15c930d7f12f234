"""Ranking: from a query string to the codes a person most likely means.

Tiers, best first: exact codes, code prefixes/wildcards/ranges, then words. Word search treats
every query word as required (any order), matches each word exactly, by prefix, through the
synonym table or through a typo correction, and ranks by match quality, how much of the title
the query covers, and a static prior that prefers the general billable code people usually mean.
"""

from __future__ import annotations

import heapq
import math
import re
import sqlite3
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import compress, pairwise, product
from operator import add

from .errors import EmptyInputError, NotFoundError, UsageError
from .models import Frozen, SearchHit
from .rerank import POOL, rerank, system_shifts
from .systems import registry
from .text import (
    STOPWORDS,
    clean_text,
    code_shaped,
    deletes1,
    index_terms,
    norm_code,
    osa_distance,
    stem,
    words,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - typing is for the checker only (import cost)
    from typing import Any, Protocol

    from .correct import Corrector

    class _Items(Protocol):
        """A packed array, whole or read item by item (:class:`_BlobValues`)."""

        def __getitem__(self, i: int, /) -> Any: ...

MAX_QUERY_WORDS = 12
MAX_WORD = 40
MAX_LIMIT = 10_000
EVERYTHING = 10_000_000  # the limit behind --all: more than the catalogue holds
_CODE_TOKEN = re.compile(r"^[A-Z0-9][A-Z0-9.*?]*$")
_RANGE = re.compile(r"^([A-Z0-9][A-Z0-9.]*)\s*-\s*([A-Z0-9][A-Z0-9.]*)$")
_SEVERAL = re.compile(r"[\s,;]+")  # separators between several codes in one query

# Match qualities. Anything below FUZZY_BELOW came from a typo correction.
Q_EXACT, Q_PREFIX, Q_LAST_PREFIX = 1.0, 0.9, 0.88
Q_TYPO1, Q_TYPO2, Q_RAPIDFUZZ = 0.75, 0.65, 0.6
Q_KNOWN_PREFIX = 0.55  # prefix guesses for a word the synonym table knows as a whole word
FUZZY_BELOW = 0.8
SYNONYM_FACTOR = 0.9
EXPANSION_STEP = 0.014  # score given up per later expansion of a synonym entry (default first)
OTHER_FIELD = 0.85  # official inclusion terms and plain-language names count less than titles
BODY_FIELD = 0.5  # explanatory text: weakest evidence
TITLE_FLAG = 10.0  # encoded match values: title 10+q, secondary 5+q*OTHER_FIELD, body q*BODY_FIELD
OTHER_FLAG = 5.0
ALIAS_FLAG = 7.5  # our own search phrases (CPT keywords): strong, but no title coverage or bonus
ALIAS_FIELD = 0.95
SIDE_PENALTY = 0.3
LITERAL_BONUS = 0.04
# Fewer full matches than this and the relaxed pass (all but one word) joins in. A constant, not
# the limit, so that --all lists exactly the 'total' a limited search reports.
RELAX_BELOW = 10
MIN_SHARE = 0.5  # the relaxed pass accepts records matching this share of the query words
WEAK_WORDS = frozenset(
    [
        "right",
        "left",
        "bilateral",
        "unilateral",
        "upper",
        "lower",
        "acute",
        "chronic",
        "other",
        "unspecified",
        "initial",
        "subsequent",
        "encounter",
        "part",
        "region",
        "side",
        "site",
    ]
)
COVERAGE_WEIGHT = 0.35
MISSING_PENALTY = 0.3


class SearchResult(Frozen):
    """Hits plus the notes a user should see on stderr (corrections, ambiguities).

    It is also a read-only sequence of its hits (``len``, iteration, indexing, ``== [...]``),
    so ``search(...)`` reads like the list the README shows; no hits is an empty, falsy result
    (data, not an error: the CLI turns it into exit 1 with did-you-mean suggestions).
    """

    __slots__ = ("hits", "notes", "query", "total")
    query: str
    hits: tuple[SearchHit, ...]
    notes: tuple[str, ...]
    total: int  # how many results there are before the limit (>= len(hits))

    def __init__(
        self, query: str, hits: tuple[SearchHit, ...], notes: tuple[str, ...] = (), total: int | None = None
    ) -> None:
        self._init(query=query, hits=hits, notes=notes, total=max(len(hits), total or 0))

    def __len__(self) -> int:
        return len(self.hits)

    def __iter__(self) -> Iterator[SearchHit]:
        return iter(self.hits)

    def __getitem__(self, index: Any) -> Any:
        return self.hits[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, tuple)):
            return list(self.hits) == list(other)
        return super().__eq__(other)

    __hash__ = Frozen.__hash__


class _Scoring:
    """One reading of a query ready to score: its listed candidates and weighted word postings."""

    __slots__ = ("cand", "full", "is_syn", "rank", "slots", "weighted")

    def __init__(
        self,
        cand: set[int],
        weighted: list[tuple[dict[int, float], float]],
        is_syn: bool,
        rank: int,
        slots: list[_Slot],
        full: bool,
    ) -> None:
        self.cand = cand
        self.full = full  # every candidate matches every word
        self.weighted = weighted
        self.is_syn = is_syn
        self.rank = rank
        self.slots = slots


class _Slot:
    """One query word: the index terms that satisfy it, with their match quality."""

    __slots__ = ("terms", "word")

    def __init__(self, word: str) -> None:
        self.word = word
        self.terms: dict[str, float] = {}


def looks_like_code(text: str) -> bool:
    t = text.strip().upper()
    if " " in t or not t or len(t) > 12:
        return False
    return bool(_CODE_TOKEN.match(t)) and any(c.isdigit() for c in t)


def _allowed_ids(wanted: tuple[str, ...] | None) -> set[int] | None:
    """The index bytes (system ids) a system filter keeps, or None for every system.

    Without a filter, systems registered as ``opt_in`` (ICD-9-CM, retired; MS-DRG, payment
    groups) are left out of word searches: they are searched only when named with --system.
    """
    if wanted:
        return {registry.id_of(s) for s in wanted}
    opt_in = {s.id for s in registry.ordered() if s.opt_in}
    return set(range(128)) - opt_in if opt_in else None


FEW_DOCS = 2000  # up to this many records scored, their priors are read one by one (see _prior_tlen)


class _BlobValues:
    """Items of a packed array stored in the ``blob`` table, read where they lie (SQLite's
    incremental blob I/O) and kept: for a few hundred items, far cheaper than the whole array.
    Past ``FEW_DOCS`` items it loads the whole array (``load``) and reads from that."""

    __slots__ = ("_blob", "_full", "_load", "_size", "_type", "_values")

    def __init__(self, con: sqlite3.Connection, name: str, typecode: str, load: Callable[[], _Items]) -> None:
        row = con.execute("SELECT rowid FROM blob WHERE name=?", (name,)).fetchone()
        if row is None:
            raise TypeError(name)
        self._blob = con.blobopen("blob", "data", row[0], readonly=True)
        self._type = typecode
        self._size = array(typecode).itemsize
        self._values: dict[int, Any] = {}
        self._load = load
        self._full: _Items | None = None

    def __getitem__(self, i: int) -> Any:
        if self._full is not None:
            return self._full[i]
        value = self._values.get(i)
        if value is None:
            if len(self._values) >= FEW_DOCS:
                self._full = self._load()
                return self._full[i]
            at = i * self._size  # a slice reads at an offset: no shared position (threads of serve)
            raw: bytes = self._blob[at : at + self._size]  # type: ignore[assignment]  # typeshed: int
            value = self._values[i] = array(self._type, raw)[0]
        return value


class Searcher:
    """Query side of the index. Cheap to create; loads packed arrays lazily and once."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con
        self._vocab: list[str] | None = None
        self._vocab_set: frozenset[str] | None = None
        self._df: array[int] | None = None
        self._prior: array[float] | None = None
        self._tlen: bytes | None = None
        self._few: tuple[_BlobValues, _BlobValues] | None = None
        self._sysb: bytes | None = None
        self._n_live: int | None = None
        self._syn: dict[str, tuple[str, ...]] | None = None
        self._posting_cache: dict[str, tuple[array[int], ...]] = {}
        self._corrector: Corrector | None = None
        self._listed_cache: dict[tuple[frozenset[int] | None, bool], bytes] = {}
        self._buckets: list[tuple[int, list[int], list[float]]] | None = None
        self._docs_cache: dict[tuple[tuple[str, float], ...], dict[int, float]] = {}
        self._docs_held = 0
        self._docs_uses: dict[tuple[tuple[str, float], ...], int] = {}
        # False scores every candidate (the slow path the tests compare the fast one with).
        self.prune = True

    @property
    def corrector(self) -> Corrector:
        if self._corrector is None:
            from .correct import Corrector

            self._corrector = Corrector(self)
        return self._corrector

    # -- lazily loaded tables -------------------------------------------------------------
    def _blob(self, name: str) -> bytes:
        row = self.con.execute("SELECT data FROM blob WHERE name=?", (name,)).fetchone()
        return bytes(row[0]) if row and row[0] is not None else b""

    @property
    def vocab(self) -> list[str]:
        if self._vocab is None:
            self._vocab = self._blob("vocab").decode().split("\n")
            self._vocab_set = frozenset(self._vocab)
        return self._vocab

    @property
    def vocab_set(self) -> frozenset[str]:
        if self._vocab_set is None:
            _ = self.vocab
        assert self._vocab_set is not None
        return self._vocab_set

    @property
    def df(self) -> array[int]:
        if self._df is None:
            self._df = array("I")
            self._df.frombytes(self._blob("df"))
        return self._df

    @property
    def prior(self) -> array[float]:
        if self._prior is None:
            self._prior = array("f")
            self._prior.frombytes(self._blob("prior"))
        return self._prior

    def _prior_tlen(self, docs: Iterable[int]) -> tuple[_Items, _Items]:
        """Priors and title lengths for scoring ``docs``: the whole arrays, or for a few hundred
        documents in a process that has not loaded them, those documents' values read in place.

        A cold ``show`` (similar codes) or a narrow search scores a few hundred records; loading
        the 0.8 MB prior array and the title lengths cost it about 2 ms, more than its scoring.
        """
        if self._prior is not None or not isinstance(docs, (set, frozenset, list, tuple)) or len(docs) > FEW_DOCS:
            return self.prior, self.tlen
        return self.prior_items()

    def prior_items(self) -> tuple[_Items, _Items]:
        """Priors and title lengths: the whole arrays once loaded, else read item by item."""
        if self._prior is not None:
            return self.prior, self.tlen
        if self._few is None:
            try:
                self._few = (
                    _BlobValues(self.con, "prior", "f", lambda: self.prior),
                    _BlobValues(self.con, "tlen", "B", lambda: self.tlen),
                )
            except (sqlite3.Error, TypeError):  # no blob row to open (an index without the arrays)
                return self.prior, self.tlen
        return self._few

    @property
    def tlen(self) -> bytes:
        if self._tlen is None:
            self._tlen = self._blob("tlen")
        return self._tlen

    @property
    def sysb(self) -> bytes:
        if self._sysb is None:
            self._sysb = self._blob("sysb")
        return self._sysb

    @property
    def synonyms(self) -> dict[str, tuple[str, ...]]:
        if self._syn is None:
            self._syn = {
                term: tuple(exp.split("|")) for term, exp in self.con.execute("SELECT term, expansions FROM syn")
            }
        return self._syn

    def postings(self, term: str) -> tuple[array[int], ...]:
        """Record ids containing ``term`` in the title, our aliases, the secondary text, the body."""
        cached = self._posting_cache.get(term)
        if cached is not None:
            return cached
        row = self.con.execute("SELECT t, a, x, b FROM post WHERE term=?", (term,)).fetchone()
        out = (array("I"), array("I"), array("I"), array("I"))
        if row:
            for arr, raw in zip(out, row, strict=True):
                if raw:
                    arr.frombytes(raw)
        if len(self._posting_cache) > 2000:
            self._posting_cache.clear()
        self._posting_cache[term] = out
        return out

    # -- public entry point ---------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        systems: Sequence[str] | None = None,
        billable_only: bool = False,
        limit: int | None = 10,
    ) -> SearchResult:
        """Ranked hits; ``limit=None`` returns every result (``total`` counts them either way)."""
        if limit is None:
            limit = EVERYTHING
        elif limit < 1 or limit > MAX_LIMIT:
            raise UsageError(f"--limit must be between 1 and {MAX_LIMIT:,}, not {limit}")
        text = clean_text(query)
        if not text:
            raise EmptyInputError("empty query", hint="give words or a code, e.g. codelookup search epidural")
        wanted = registry.resolve(systems)
        allowed = _allowed_ids(wanted)
        notes: list[str] = []
        hits: list[SearchHit] = []
        total = [0]
        if looks_like_code(text) or _RANGE.match(text.upper()):
            hits = self._code_hits(text, wanted, billable_only, limit, notes, total)
        elif _SEVERAL.search(text):
            if looks_like_code(_SEVERAL.sub("", text)):
                # 'E 11.9' or '0SR C0J9': accept a code typed with spaces, but only an exact
                # one, so that word queries such as 'type 2' are never read as code prefixes.
                hits = [
                    h
                    for h in self._code_hits(_SEVERAL.sub("", text), wanted, billable_only, limit, notes)
                    if h.match == "exact-code"
                ]
            if not hits:
                hits = self._several_codes(text, wanted, billable_only, notes)
            total[0] = len(hits)
        tokens = [t for t in _SEVERAL.split(text) if t]
        if not hits and (
            not all(looks_like_code(t) and code_shaped(norm_code(t)) for t in tokens) or self._is_word(text)
        ):
            meant = self._corrected(text, notes)
            hits = self._word_hits(meant, allowed, billable_only, limit, notes, counted=total, second_stage=True)
            if meant != text:
                # The same codes in the same order as the corrected query; the match says how.
                hits = [SearchHit(h.code, h.system, h.title, h.billable, h.score, "fuzzy") for h in hits]
        return SearchResult(text, tuple(hits[:limit]), tuple(notes), total[0])

    def _several_codes(
        self, text: str, wanted: tuple[str, ...] | None, billable_only: bool, notes: list[str]
    ) -> list[SearchHit]:
        """'E11.9 I10' or 'E11.9,I10': each code in the order given (codes only, no prefixes).

        Every token must look like a code and at least one must exist; unknown ones are noted.
        """
        tokens = [t for t in _SEVERAL.split(text) if t]
        if len(tokens) < 2 or not all(looks_like_code(t) and code_shaped(norm_code(t)) for t in tokens):
            return []
        out: list[SearchHit] = []
        missing: list[str] = []
        seen: set[tuple[str, str]] = set()
        for token in tokens:
            found = [
                h
                for h in self._code_hits(token, wanted, billable_only, 10, notes)
                if h.match == "exact-code" and (h.code, h.system) not in seen
            ]
            if not found:
                missing.append(token)
            for h in found:
                seen.add((h.code, h.system))
                out.append(SearchHit(h.code, h.system, h.title, h.billable, 100.0 - len(out) * 1e-3, h.match))
        if out and missing:
            notes.append("not codes: " + ", ".join(missing))
        return out

    def _corrected(self, text: str, notes: list[str]) -> str:
        """The query as the user meant it (see :mod:`codelookup.correct`), noted when changed."""
        if not self._may_need_correction(text):
            return text  # every word known, nothing to glue: the corrector is not even imported
        fix = self.corrector.correct(text)
        if not fix.changed:
            return text
        note = f"{text!r} looks misspelt; searched for {fix.text!r}"
        if fix.alternative:
            note += f" (or did you mean {fix.alternative!r}?)"
        notes.append(note)
        return fix.text

    def _may_need_correction(self, text: str) -> bool:
        """False only when :meth:`Corrector.correct` would certainly leave ``text`` unchanged:
        every word is known and no two neighbours glue into a known word."""
        ws = words(text)
        vs, syn = self.vocab_set, self.synonyms
        for w in ws:
            short = w in STOPWORDS or len(w) <= 2 or any(c.isdigit() for c in w)
            if not short and not (w in vs or stem(w) in vs or w in syn):
                return True
            if not short and len(w) >= 4 and w not in syn and self._rare(w):
                return True  # known, but perhaps only as somebody's typo (see Corrector.confusions)
        glued = [a + b for a, b in pairwise(ws) if a.isalpha() and b.isalpha()]
        if any(g in vs or stem(g) in vs or g in syn for g in glued):
            return True
        if glued and self.con.execute("SELECT 1 FROM sqlite_master WHERE name='sword'").fetchone():
            marks = ",".join("?" * len(glued))
            return self.con.execute(f"SELECT 1 FROM sword WHERE word IN ({marks})", glued).fetchone() is not None
        return False

    def _query_kinds(self, text: str) -> frozenset[str]:
        """Kinds (dx, proc...) of the synonym-table phrases in a query, longest phrase first,
        as :meth:`_variants` reads them."""
        ws = words(text)
        syn = self.synonyms
        terms: list[str] = []
        i = 0
        while i < len(ws):
            for n in (4, 3, 2, 1):
                if i + n <= len(ws) and " ".join(ws[i : i + n]) in syn:
                    terms.append(" ".join(ws[i : i + n]))
                    i += n
                    break
            else:
                i += 1
        if not terms:
            return frozenset()
        try:
            marks = ",".join("?" * len(terms))
            return frozenset(r[0] for r in self.con.execute(f"SELECT kind FROM skind WHERE term IN ({marks})", terms))
        except sqlite3.OperationalError:  # an index built before kinds were stored
            return frozenset()

    def _rare(self, w: str) -> bool:
        """Whether a vocabulary word occurs in at most two records (a binary search)."""
        vocab = self.vocab
        for form in (w, stem(w)):
            i = bisect_left(vocab, form)
            if i < len(vocab) and vocab[i] == form:
                return self.df[i] <= 2
        return False

    def _live_records(self) -> int:
        """Records in the index; an index updated after an import has dead slots in its arrays."""
        if self._n_live is None:
            row = self.con.execute("SELECT value FROM meta WHERE key='records'").fetchone()
            self._n_live = int(row[0]) if row else len(self.tlen)
        return self._n_live

    def _is_word(self, text: str) -> bool:
        """A code-shaped query that is also a known word or synonym ('a1c', 'b12', 'hba1c')."""
        folded = text.strip().lower()
        return stem(folded) in self.vocab_set or folded in self.synonyms

    # -- codes ----------------------------------------------------------------------------
    def _filter_sql(self, wanted: tuple[str, ...] | None, billable_only: bool) -> tuple[str, list[str]]:
        sql, args = "", list[str]()
        if wanted:
            sql += " AND system IN ({})".format(",".join("?" * len(wanted)))
            args.extend(wanted)
        if billable_only:
            sql += " AND billable=1"
        return sql, args

    def _rows_to_hits(self, rows: list[tuple[str, str, str, int]], score: float, match: str) -> list[SearchHit]:
        return [
            SearchHit(code, system, title, bool(bill), score - i * 1e-4, match)
            for i, (code, system, title, bill) in enumerate(rows)
        ]

    def _code_hits(
        self,
        text: str,
        wanted: tuple[str, ...] | None,
        billable_only: bool,
        limit: int,
        notes: list[str],
        total: list[int] | None = None,
    ) -> list[SearchHit]:
        """Exact codes, then descendants; ``total`` receives the count before the limit."""
        extra, args = self._filter_sql(wanted, billable_only)
        count = "SELECT count(*) FROM rec WHERE "
        cols = "SELECT code, system, title, billable FROM rec WHERE "
        order = " ORDER BY CASE system {} ELSE 1000 END, id LIMIT ?".format(
            " ".join(f"WHEN '{s.name}' THEN {s.order}" for s in registry.ordered())
        )
        upper = text.strip().upper()
        rng = _RANGE.match(upper)
        if rng and looks_like_code(rng.group(1)) and looks_like_code(rng.group(2)):
            lo, hi = norm_code(rng.group(1)), norm_code(rng.group(2))
            if lo > hi:
                lo, hi = hi, lo
            where = "norm >= ? AND norm <= ? AND length(norm) >= ?" + extra
            params = [lo, hi + "~", min(len(lo), len(hi)), *args]
            rows = self.con.execute(cols + where + order, [*params, limit]).fetchall()
            if total is not None:
                total[0] = self.con.execute(count + where, params).fetchone()[0]
            return self._rows_to_hits(rows, 50.0, "code-prefix")
        key = norm_code(upper)
        if "*" in key or "?" in key:
            # A dotted pattern (E11.6*) means dotted codes (and categories), not HCPCS E1160.
            dotted = " AND (instr(code, '.') > 0 OR length(norm) <= 3)" if "." in upper else ""
            rows = self.con.execute(cols + "norm GLOB ?" + dotted + extra + order, [key, *args, limit]).fetchall()
            if total is not None:
                total[0] = self.con.execute(count + "norm GLOB ?" + dotted + extra, [key, *args]).fetchone()[0]
            return self._rows_to_hits(rows, 50.0, "code-prefix")
        exact = self.con.execute(cols + "norm = ?" + extra + order, [key, *args, limit]).fetchall()
        if len(exact) > 1:  # the reading written as typed wins: J1100 is HCPCS, J11.00 ICD-10-CM
            typed = "".join(upper.split())
            exact.sort(key=lambda r: str(r[0]).upper() != typed)
        hits = self._rows_to_hits(exact, 100.0, "exact-code")
        if len(exact) > 1:
            notes.append(f"{text.strip()} exists in several systems: " + ", ".join(r[1] for r in exact))
        if not exact:
            for alt in placeholder_variants(key, wanted):
                rows = self.con.execute(cols + "norm = ?" + extra + order, [alt, *args, limit]).fetchall()
                if rows:
                    notes.append(f"{text.strip()} is not a code; did you mean {rows[0][0]}?")
                    hits = self._rows_to_hits(rows, 90.0, "exact-code")
                    break
        first = len(hits)
        room = limit - first
        below = [_glob_escape(key) + "*", key, *args]
        if room > 0:
            prefix = self.con.execute(cols + "norm GLOB ? AND norm != ?" + extra + order, [*below, room]).fetchall()
            hits += self._rows_to_hits(prefix, 50.0, "code-prefix")
        if total is not None:
            more = len(hits) - first
            if len(hits) >= limit:
                more = self.con.execute(count + "norm GLOB ? AND norm != ?" + extra, below).fetchone()[0]
            total[0] = first + more
        return hits

    # -- words ----------------------------------------------------------------------------
    def _slot_for(self, word: str, last: bool, notes: list[str], known: bool = False, no_typo: bool = False) -> _Slot:
        """Index terms for one query word. ``known`` words are synonym-table terms: complete words
        the user meant as typed, so prefix guesses for them ('flu' -> 'flushing') rank low."""
        s = stem(word)
        slot = _Slot(word)
        vocab = self.vocab
        if s in self.vocab_set:
            slot.terms[s] = Q_EXACT
            if last and len(s) >= 3:
                self._add_prefix(slot, s, Q_KNOWN_PREFIX if known else Q_LAST_PREFIX, 20)
            return slot
        if word != s and word in self.vocab_set:
            slot.terms[word] = Q_EXACT
            return slot
        if len(s) >= 3:
            self._add_prefix(slot, s, Q_KNOWN_PREFIX if known else Q_PREFIX, 40)
        if not slot.terms and not known and not no_typo and len(s) >= 4 and not s.isdigit():
            fixes = self._typo(s)
            for term, q in fixes:
                slot.terms.setdefault(term, q)
            if fixes:
                notes.append(f"{word!r} looks misspelt; searched for " + " / ".join(repr(t) for t, _ in fixes))
        del vocab
        return slot

    def _add_prefix(self, slot: _Slot, s: str, quality: float, cap: int) -> None:
        vocab = self.vocab
        i = bisect_left(vocab, s)
        found: list[tuple[int, str]] = []
        df = self.df
        while i < len(vocab) and vocab[i].startswith(s):
            if vocab[i] != s:
                found.append((df[i], vocab[i]))
            i += 1
        for _, term in heapq.nlargest(cap, found):
            slot.terms.setdefault(term, quality)

    def _typo(self, s: str) -> list[tuple[str, float]]:
        if len(s) > MAX_WORD:
            return []  # no medical word is this long; the neighbourhood would grow quadratically
        keys = list(deletes1(s))
        marks = ",".join("?" * len(keys))
        cands = {w for (w,) in self.con.execute(f"SELECT word FROM del1 WHERE key IN ({marks})", keys)}
        max_d = 1 if len(s) <= 5 else 2
        scored: list[tuple[int, int, str]] = []
        vocab_index = {w: i for i, w in enumerate(self.vocab)} if cands else {}
        for w in cands:
            d = osa_distance(s, w, max_d)
            if d <= max_d:
                scored.append((d, -self.df[vocab_index[w]], w))
        scored.sort()
        if scored:
            return [(w, Q_TYPO1 if d == 1 else Q_TYPO2) for d, _, w in scored[:3]]
        if len(s) < 5:
            return []
        from rapidfuzz import fuzz, process

        matches = process.extract(s, self.vocab, scorer=fuzz.ratio, limit=3, score_cutoff=80)
        return [(str(m[0]), Q_RAPIDFUZZ) for m in matches]

    def _variants(self, text: str, notes: list[str]) -> list[tuple[list[_Slot], bool, int]]:
        """The literal reading of the query plus readings with synonym phrases replaced."""
        ws = words(text)[: MAX_QUERY_WORDS * 2]
        syn = self.synonyms
        spans: list[tuple[int, int, tuple[str, ...]]] = []
        i = 0
        while i < len(ws):
            for n in (4, 3, 2, 1):
                if i + n <= len(ws):
                    phrase = " ".join(ws[i : i + n])
                    if phrase in syn:
                        spans.append((i, i + n, syn[phrase]))
                        i += n
                        break
            else:
                i += 1
        readings: list[tuple[list[str], bool, int]] = [(ws, False, 0)]
        if spans:
            # Each phrase is read as itself or as one of its expansions ("liver biopsy" may need
            # "liver" kept and "biopsy" expanded); the all-literal combination is the first reading.
            # An entry's expansions are listed default first (the alphabetic index's default
            # code for 'stroke' is cerebral infarction), so later ones weigh slightly less.
            options: list[list[tuple[int, str | None]]] = [[(0, None), *enumerate(exp[:4])] for _, _, exp in spans[:3]]
            for combo in list(product(*options))[1:16]:
                out: list[str] = []
                pos = 0
                for (a, b, _), (_, expansion) in zip(spans, combo, strict=False):
                    out.extend(ws[pos:a])
                    out.extend(ws[a:b] if expansion is None else words(expansion))
                    pos = b
                out.extend(ws[pos:])
                readings.append((out, True, sum(k for k, _ in combo)))
        variants: list[tuple[list[_Slot], bool, int]] = []
        seen: set[tuple[str, ...]] = set()
        dropped: list[str] = []
        # Words inside a synonym phrase ('wetting' in 'bed wetting') are meant as typed: no
        # typo guesses (and no "looks misspelt" note) for them in the literal reading.
        phrase_words = {w for a, b, _ in spans for w in ws[a:b]}
        for reading, is_syn, rank in readings:
            terms = [w for w in index_terms(" ".join(reading))][:MAX_QUERY_WORDS]
            key = tuple(terms)
            if not terms or key in seen:
                continue
            seen.add(key)
            local: list[str] = []
            slots = [
                self._slot_for(w, j == len(terms) - 1, local, w in syn, no_typo=w in phrase_words)
                for j, w in enumerate(terms)
            ]
            empty = [s.word for s in slots if not s.terms]
            if empty and not is_syn and spans:
                continue  # a word only the synonym table knows: the literal reading cannot win
            if empty:
                dropped.extend(empty)
            slots = [s for s in slots if s.terms]
            if slots:
                if is_syn:
                    factor = SYNONYM_FACTOR  # the same for every reading, so slots are shared
                    for s in slots:
                        s.terms = {t: q * factor for t, q in s.terms.items()}
                variants.append((slots, is_syn, rank))
                if not is_syn:
                    notes.extend(local)
        if len(words(text)) > MAX_QUERY_WORDS * 2:
            notes.append(f"query shortened to its first {MAX_QUERY_WORDS} words")
        if dropped and variants:
            notes.append("no code mentions " + ", ".join(repr(w) for w in dict.fromkeys(dropped)))
        return variants

    def _cached_slot_docs(self, key: tuple[tuple[str, float], ...], slot: _Slot) -> dict[int, float]:
        """:meth:`_slot_docs`, kept across queries for common words: a batch meets 'left',
        'unspecified' or 'approach' again and again, and mapping their tens of thousands of
        postings is most of such a query's cost. Bounded; the least used maps go first, and a
        word must come back once before it is kept. The maps are read-only."""
        docs = self._docs_cache.get(key)
        uses = self._docs_uses
        uses[key] = uses.get(key, 0) + 1
        if docs is not None:
            return docs
        docs = self._slot_docs(slot)
        if len(docs) < SLOT_CACHE_FROM or uses[key] < 2:
            if len(uses) > 50_000:
                uses.clear()  # a very long batch of ever-new words: forget, do not grow
            return docs
        held = self._docs_cache
        if self._docs_held + len(docs) > SLOT_CACHE_ENTRIES:
            for old in sorted(held, key=uses.__getitem__):
                if self._docs_held + len(docs) <= SLOT_CACHE_ENTRIES or uses[old] > uses[key]:
                    break
                self._docs_held -= len(held.pop(old))
        if self._docs_held + len(docs) <= SLOT_CACHE_ENTRIES:
            held[key] = docs
            self._docs_held += len(docs)
        return docs

    def _slot_docs(self, slot: _Slot) -> dict[int, float]:
        """doc id -> best encoded match value (see TITLE_FLAG for the encoding)."""
        pairs: list[tuple[float, array[int]]] = []
        for term, q in slot.terms.items():
            t, a, x, b = self.postings(term)
            if t:
                pairs.append((TITLE_FLAG + q, t))
            if a:
                pairs.append((ALIAS_FLAG + q * ALIAS_FIELD, a))
            if x:
                pairs.append((OTHER_FLAG + q * OTHER_FIELD, x))
            if b:
                pairs.append((q * BODY_FIELD, b))
        pairs.sort(key=lambda p: p[0])
        docs: dict[int, float] = {}
        for value, ids in pairs:  # ascending, so better values overwrite worse ones
            docs.update(dict.fromkeys(ids, value))
        return docs

    def _word_hits(
        self,
        text: str,
        allowed: set[int] | None,
        billable_only: bool,
        limit: int,
        notes: list[str],
        min_match: float = 1.0,
        variants: list[tuple[list[_Slot], bool, int]] | None = None,
        counted: list[int] | None = None,
        second_stage: bool = False,
    ) -> list[SearchHit]:
        if variants is None:
            variants = self._variants(text, notes)
        # CPT and HCPCS codes never encode a side: a query that names one is about ICD-10 codes.
        sided = bool({"right", "left", "bilateral"} & set(words(text)))
        sideless = {s.id for s in registry.ordered() if not s.encodes_laterality} if sided else set()
        best: dict[int, tuple[float, str]] = {}
        slot_cache: dict[tuple[tuple[str, float], ...], dict[int, float]] = {}
        # The second stage re-orders a fixed head (not one that grows with the limit), so every
        # limit, --all included, lists a prefix of the same order; the rest keeps its raw order.
        head = RELAX_BELOW + POOL if second_stage else 0
        wanted_top = max(limit, head)
        # -- tail work (issue 20): candidates first, scores later, and only where they can count.
        scored: list[_Scoring] = []
        everyone: list[set[int]] = []  # each reading's listed candidates: their union is 'total'
        for slots, is_syn, rank in variants:
            if all(s.word in WEAK_WORDS for s in slots) and not is_syn and len(slots) < len(words(text)):
                continue  # only words like 'right' survived: whatever matches is noise
            per_slot = []
            for slot in slots:
                key = tuple(sorted(slot.terms.items()))
                docs = slot_cache.get(key)
                if docs is None:  # readings share most words: map each word's postings once
                    docs = slot_cache[key] = self._cached_slot_docs(key, slot)
                per_slot.append(docs)
            n = len(per_slot)
            need = n if min_match >= 1.0 else max(1, math.ceil(n * min_match))
            cand: set[int] = set()
            if need == n:
                # Intersect from the rarest word up: the candidate set never grows.
                order = sorted(range(n), key=lambda k: len(per_slot[k]))
                cand = set(per_slot[order[0]])
                for k in order[1:]:
                    if not cand:
                        break
                    cand = per_slot[k].keys() & cand  # in C, looking up the (smaller) candidates
                if allowed is not None or billable_only:
                    # Count only what may be listed: eleven ICD-9-CM "Behcet's syndrome" codes
                    # (opt-in) must not stop the relaxed pass from finding M35.2.
                    cand = self._listed(cand, allowed, billable_only)
                if len(cand) < RELAX_BELOW and n >= 2:
                    need = n - 1 if n <= 3 else max(1, math.ceil(n * MIN_SHARE))
            if need < n:
                cand = _relaxed_candidates(per_slot, need, self._listed_mask(allowed, billable_only))
            # A missing rare word costs more than a missing common one: 'behcets syndrome'
            # should find Behcet's disease before any other syndrome.
            weighted = list(zip(per_slot, _missing_weights(per_slot, self._live_records()), strict=True))
            everyone.append(cand)
            scored.append(_Scoring(cand, weighted, is_syn, rank, slots, need >= n))
        # The pool is chosen, and the rest ordered, with the intent the rerank applies (a shift
        # per system): the pruned path's bounds include it, so it cuts the same head.
        sysb = self.sysb
        kinds = self._query_kinds(text) if second_stage else frozenset()
        shift = self._shifts(words(text), kinds) if second_stage else None
        pruned = self.prune and sum(len(v.cand) for v in scored) > PRUNE_ABOVE
        if pruned:
            self._score_top(scored, best, wanted_top, sided, sideless, shift)
        else:
            for v in scored:
                self._score(v, v.cand, best, sided, sideless)

        def score_exactly(recs: set[int]) -> None:
            """Records an index path reaches get their exact title score first, so the path is
            judged against it (kept, dropped, or beaten) as when every candidate is scored."""
            for v in scored:
                self._score(v, recs & v.cand, best, sided, sideless)

        # Index entries (issue 14, see indexes.py): scored like titles; a better path wins. The
        # relaxed passes above are decided by title matches alone; the index joins before the
        # count and the cut, so 'total' is what --all lists and every limit lists a prefix of it.
        from .indexes import merge_hits

        paths = merge_hits(
            self,
            variants if min_match >= 1.0 else [],
            best,
            allowed,
            billable_only,
            text,
            score_exactly if pruned else None,
        )
        if counted is not None:  # pruned: every listed candidate, scored or not, and the index's
            counted[0] = len(best.keys() | set().union(*everyone)) if pruned else len(best)
        if shift is None:
            top = heapq.nlargest(wanted_top, best.items(), key=lambda kv: (kv[1][0], -kv[0]))
        else:
            top = heapq.nlargest(wanted_top, best.items(), key=lambda kv: (kv[1][0] + shift[sysb[kv[0]]], -kv[0]))
        if not top:
            return []
        rows: dict[int, tuple[str, str, str, int]] = {}
        ids = [d for d, _ in top]
        for start in range(0, len(ids), 900):  # SQLite limits the number of bound parameters
            chunk = ids[start : start + 900]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT id, code, system, title, billable FROM rec WHERE id IN ({marks})"
            rows.update((r[0], r[1:]) for r in self.con.execute(sql, chunk))
        ranked = [(d, sc, m) for d, (sc, m) in top]
        if second_stage:
            tail = ranked[head:] if shift is None else [(d, sc + shift[sysb[d]], m) for d, sc, m in ranked[head:]]
            ranked = rerank(words(text), ranked[:head], rows, kinds, paths.pending) + tail
        return [
            SearchHit(rows[d][0], rows[d][1], rows[d][2], bool(rows[d][3]), sc, m, paths.get(d, ""))
            for d, sc, m in ranked[:limit]
        ]

    # -- scoring: every candidate, or only those that can reach the top (issue 20) -----------
    def _listed_mask(self, allowed: set[int] | None, billable_only: bool) -> bytes | None:
        """One byte per record, 1 where the system and billable filters keep it (None: no
        filter): a byte translation of the packed system/billable bytes, well under a
        millisecond, so candidates are filtered in C (``compress``) on a cold start too."""
        if allowed is None and not billable_only:
            return None
        key = (frozenset(allowed) if allowed is not None else None, billable_only)
        got = self._listed_cache.get(key)
        if got is None:
            table = bytes(int(_keep(b, allowed, billable_only)) for b in range(256))
            got = self._listed_cache[key] = self.sysb.translate(table)
        return got

    def _listed(self, cand: set[int], allowed: set[int] | None, billable_only: bool) -> set[int]:
        if len(cand) < MASK_FROM and not self._listed_cache:
            sysb = self.sysb  # a few candidates on a cold start: cheaper than building the mask
            return {d for d in cand if _keep(sysb[d], allowed, billable_only)}
        mask = self._listed_mask(allowed, billable_only)
        return cand if mask is None else set(compress(cand, map(mask.__getitem__, cand)))

    def _score(
        self, v: _Scoring, docs: Iterable[int], best: dict[int, tuple[float, str]], sided: bool, sideless: set[int]
    ) -> None:
        """Exact scores of ``docs`` in one reading, kept in ``best`` when better than another's."""
        prior, tlen = self._prior_tlen(docs)
        sysb = self.sysb
        weighted, is_syn, rank = v.weighted, v.is_syn, v.rank
        n = len(weighted)
        fuzzy_below = FUZZY_BELOW * (SYNONYM_FACTOR if is_syn else 1.0) - 1e-9
        for d in docs:
            sb = sysb[d]
            total = 0.0
            in_title = 0
            matched = 0
            in_body = 0
            in_alias = 0
            inexact = 0
            fuzzy = False
            lost = 0.0
            for docs_of_slot, weight in weighted:
                val = docs_of_slot.get(d)
                if val is None:
                    lost += weight
                    continue
                matched += 1
                if val >= TITLE_FLAG:
                    val -= TITLE_FLAG
                    in_title += 1
                    q = val
                elif val >= ALIAS_FLAG:
                    val -= ALIAS_FLAG
                    q = val / ALIAS_FIELD
                    in_alias += 1
                elif val >= OTHER_FLAG:
                    val -= OTHER_FLAG
                    q = val / OTHER_FIELD
                else:
                    q = val / BODY_FIELD
                    in_body += 1
                if q < fuzzy_below:
                    fuzzy = True
                if q < Q_EXACT - 1e-9:
                    inexact += 1
                total += val
            coverage = min(1.0, in_title / tlen[d])
            score = total / n + COVERAGE_WEIGHT * coverage + prior[d]
            score -= MISSING_PENALTY * lost + EXPANSION_STEP * rank
            if not is_syn and not inexact and matched == n and not in_body and not in_alias:
                score += LITERAL_BONUS  # the user's own words, in a title or official term
            if sided and sb >> 1 in sideless:
                score -= SIDE_PENALTY
            match = "synonym" if is_syn else ("fuzzy" if fuzzy else "title")
            cur = best.get(d)
            if cur is None or score > cur[0]:
                best[d] = (score, match)

    @property
    def buckets(self) -> list[tuple[int, list[int], list[float]]]:
        """Every record id grouped by its title's content-word count, each group by prior, best
        first (with the negated priors, ascending, for bisection): the order in which records
        can score highest. Built once per process, at the first broad query (~0.1 s)."""
        if self._buckets is None:
            prior, tlen = self.prior, self.tlen
            neg = [-x for x in prior.tolist()]
            groups: dict[int, list[int]] = {}
            for d in sorted(range(len(neg)), key=neg.__getitem__):
                groups.setdefault(tlen[d], []).append(d)
            self._buckets = [(t, ids, [neg[d] for d in ids]) for t, ids in sorted(groups.items())]
        return self._buckets

    def _score_top(
        self,
        scored: list[_Scoring],
        best: dict[int, tuple[float, str]],
        wanted: int,
        sided: bool,
        sideless: set[int],
        shift: list[float] | None = None,
    ) -> None:
        """Exact scores for every record that can be among the ``wanted`` best, and few others.

        In a reading, a record matching ``m`` of its ``n`` words scores at most
        ``A(m) + prior + COVERAGE_WEIGHT * min(1, m / tlen)``, where ``A(m)`` (the ``m`` best
        match values averaged over ``n``, the literal bonus when ``m == n``, less the smallest
        possible missing-word penalty and the reading's expansion step) is the same for every
        such record. Records are visited in falling order of that bound, a little at a time
        (a group's best-bounded records picked in C; a group holding much of the catalogue
        walks ``buckets``, every record by title length and prior), and scored exactly; once
        the ``wanted``-th best score so far is above every unvisited bound, no unvisited record
        can enter the head or tie with it, in any reading: the head is exactly what scoring
        every candidate gives. Readings and groups with few candidates are scored in full.
        With ``shift`` (the intent shift per system byte the head is chosen with), bounds and
        the ``wanted``-th best score are compared shifted: a record's bound takes its own
        system's shift (a group walked through ``buckets`` takes the largest shift of any).
        """
        sysb = self.sysb
        walks: list[_SelectWalk | _BucketWalk] = []
        for v in scored:
            if len(v.cand) <= PRUNE_ABOVE // 4 or len(v.cand) <= wanted:
                self._score(v, v.cand, best, sided, sideless)
                continue
            for a, m, group in _bound_groups(v, BOUND_SLACK):
                if len(group) <= WALK_ABOVE:
                    self._score(v, group, best, sided, sideless)
                elif len(group) * BUCKETS_SHARE >= len(self.tlen):
                    lift = max(shift) if shift is not None else 0.0
                    walks.append(_BucketWalk(v, a + lift, m, group, self.buckets))
                else:
                    walk = _SelectWalk(v, a, m, group, self.prior, self.tlen, sysb, shift)
                    self._score(v, walk.first(wanted), best, sided, sideless)
                    walks.append(walk)
        rounds = 0
        while walks:
            head = max(w.head() for w in walks)  # the highest bound of any unvisited record
            if head == -math.inf:
                return  # everything visited
            threshold = head - THRESHOLD_STEP
            if len(best) >= wanted:
                if shift is None:
                    kth = heapq.nlargest(wanted, (sc for sc, _ in best.values()))[-1]
                else:
                    kth = heapq.nlargest(wanted, (sc + shift[sysb[d]] for d, (sc, _) in best.items()))[-1]
                if kth > head:
                    return
                # A couple of small steps first (the head may lift the wanted-th best score),
                # then straight down to it: each step costs a pass over the larger groups.
                threshold = max(threshold, kth) if rounds < 2 else kth
            rounds += 1
            for w in walks:
                docs = w.take(threshold)
                if docs:
                    self._score(w.reading, docs, best, sided, sideless)

    def _shifts(self, query_words: list[str], kinds: frozenset[str]) -> list[float] | None:
        """Intent shift per packed system/billable byte (see :func:`rerank.system_shifts`)."""
        proc_shift, other_shift = system_shifts(query_words, kinds)
        if not proc_shift and not other_shift:
            return None
        procedural = {registry.id_of(name) for name in registry.with_feature("codes_procedures")}
        return [proc_shift if sb >> 1 in procedural else other_shift for sb in range(256)]

    def related(self, text: str, limit: int = 12, systems: Sequence[str] | None = None) -> list[SearchHit]:
        """Codes whose wording overlaps most with ``text`` (most, not all, words required).

        Only the most distinctive words are used (at most five, none found in a tenth of the
        catalogue): words such as 'approach' or 'right' appear in tens of thousands of titles and
        would cost far more time than they add meaning.
        """
        allowed = _allowed_ids(registry.resolve(systems))
        stems = list(dict.fromkeys(stem(w) for w in index_terms(clean_text(text))))
        if not stems:
            return []
        # Document frequencies straight from the posting sizes: no need to load the vocabulary.
        marks = ",".join("?" * len(stems))
        sizes = self.con.execute(
            "SELECT term, (coalesce(length(t),0) + coalesce(length(a),0) + coalesce(length(x),0)"
            f" + coalesce(length(b),0)) / 4 FROM post WHERE term IN ({marks})",
            stems,
        ).fetchall()
        common = self._live_records() // 10
        chosen = [term for term, df in sorted(sizes, key=lambda r: r[1]) if df < common][:5]
        if not chosen:
            return []
        slots = []
        for term in chosen:
            slot = _Slot(term)
            slot.terms[term] = Q_EXACT
            slots.append(slot)
        return self._word_hits(" ".join(chosen), allowed, False, limit, [], min_match=0.6, variants=[(slots, False, 0)])

    # -- did you mean ---------------------------------------------------------------------
    def suggestions(self, text: str, limit: int = 5) -> tuple[str, ...]:
        """Close vocabulary words for each unknown word, or close codes for a code."""
        text = clean_text(text)
        if looks_like_code(text):
            return self.code_suggestions(norm_code(text), limit)
        from rapidfuzz import fuzz, process

        out: list[str] = []
        for w in index_terms(text)[:MAX_QUERY_WORDS]:
            if stem(w) in self.vocab_set:
                continue
            for m in process.extract(w, self.vocab, scorer=fuzz.ratio, limit=3, score_cutoff=70):
                out.append(str(m[0]))
        return tuple(dict.fromkeys(out))[:limit]

    def code_suggestions(self, key: str, limit: int = 5, systems: Sequence[str] | None = None) -> tuple[str, ...]:
        """Real codes near a code that does not exist: X placeholders added, then the nearest prefix."""
        extra, args = self._filter_sql(tuple(systems) if systems else None, False)
        key = key[:12]  # the longest code is 8 characters; anything longer cannot help
        out: list[str] = []
        for alt in placeholder_variants(key, tuple(systems) if systems else None):
            out += [r[0] for r in self.con.execute("SELECT code FROM rec WHERE norm=?" + extra, (alt, *args))]
        trimmed = key
        while len(trimmed) > 1 and len(out) < limit:
            trimmed = trimmed[:-1]
            rows = self.con.execute(
                "SELECT code FROM rec WHERE norm GLOB ?" + extra + " ORDER BY id LIMIT ?",
                (_glob_escape(trimmed) + "*", *args, limit),
            ).fetchall()
            if rows:
                out += [r[0] for r in rows]
                break
        return tuple(dict.fromkeys(out))[:limit]


PRUNE_ABOVE = 4_000  # candidates in all readings beyond which only those that can reach the top are scored
THRESHOLD_STEP = 0.02  # how far below the best unvisited bound each round of scoring reaches
SLOT_CACHE_FROM = 2_000  # a word's record map this large is kept for the next query...
SLOT_CACHE_ENTRIES = 1_000_000  # ... up to this many records in all (~80 MB, batches only)
WALK_ABOVE = 300  # smaller groups of candidates are scored in full, not walked
BUCKETS_SHARE = 8  # a group holding an eighth of the catalogue walks the shared buckets instead
MASK_FROM = 1_000  # candidates from which a cold start builds the filter mask rather than test each
BOUND_SLACK = 1e-6  # floating-point headroom: a bound must never fall below the exact score
BIG_POSTINGS = 15_000  # words this common ('left', 'open', 'approach') only score, never seed
RELAXED_ENOUGH = 400  # relaxed candidates kept, best-matching first
RELAXED_IN_C = 4_000  # counted records beyond which each level is picked out in C


class _SelectWalk:
    """One group of candidates with their score bounds, picked from in C (``compress``, ``max``,
    ``heapq.nlargest``) without sorting the group: a threshold pass costs one scan."""

    def __init__(
        self,
        v: _Scoring,
        a: float,
        m: int,
        group: set[int],
        prior: array[float],
        tlen: bytes,
        sysb: bytes = b"",
        shift: list[float] | None = None,
    ) -> None:
        self.reading = v
        cov = [a] + [a + COVERAGE_WEIGHT * min(1.0, m / t) for t in range(1, 256)]
        self.ids = list(group)
        # a + coverage + prior per record, computed in C (maps, not a Python loop).
        parts = map(cov.__getitem__, map(tlen.__getitem__, self.ids))
        self.bounds = list(map(add, parts, map(prior.__getitem__, self.ids)))
        if shift is not None:  # each record's own system's intent shift
            self.bounds = list(map(add, self.bounds, map(shift.__getitem__, map(sysb.__getitem__, self.ids))))
        self.ceiling = math.inf  # every record bounded at or above it is visited, no other

    def first(self, wanted: int) -> list[int]:
        """The ``wanted`` records with the highest bounds (and any tied with the last): visited."""
        top = heapq.nlargest(wanted, zip(self.bounds, self.ids, strict=True))
        return self.take(top[-1][0]) if top else []

    def head(self) -> float:
        """The highest bound of an unvisited record."""
        ceiling = self.ceiling
        return max(compress(self.bounds, map(ceiling.__gt__, self.bounds)), default=-math.inf)

    def take(self, threshold: float) -> list[int]:
        """The unvisited records bounded at or above ``threshold``, now visited."""
        if threshold >= self.ceiling:
            return []
        ceiling = self.ceiling
        ids = compress(self.ids, map(threshold.__le__, self.bounds))  # the scan, in C
        bounds = compress(self.bounds, map(threshold.__le__, self.bounds))
        out = [d for d, b in zip(ids, bounds, strict=True) if b < ceiling]  # the few selected, in Python
        self.ceiling = threshold
        return out


class _BucketWalk:
    """A group too large to sort (a broad word's tens of thousands of records): the catalogue's
    records by title length, each by prior (``Searcher.buckets``), skipping the others."""

    def __init__(
        self, v: _Scoring, a: float, m: int, group: set[int], buckets: list[tuple[int, list[int], list[float]]]
    ) -> None:
        self.reading = v
        self.group = group
        # Per title length: the bound's constant part, the ids and their negated priors.
        self.parts = [(a + COVERAGE_WEIGHT * min(1.0, m / t), ids, neg) for t, ids, neg in buckets]
        self.pos = [0] * len(buckets)

    def head(self) -> float:
        out = -math.inf
        for (part, ids, neg), p in zip(self.parts, self.pos, strict=True):
            if p < len(ids) and part - neg[p] > out:
                out = part - neg[p]
        return out

    def take(self, threshold: float) -> list[int]:
        out: list[int] = []
        group = self.group
        for k, (part, ids, neg) in enumerate(self.parts):
            end = bisect_right(neg, part - threshold)  # prior >= threshold - part
            start = self.pos[k]
            if end > start:
                out += [d for d in ids[start:end] if d in group]
                self.pos[k] = end
        return out


def _bound_groups(v: _Scoring, slack: float) -> list[tuple[float, int, set[int]]]:
    """A reading's candidates grouped by how many query words they match, each group with the
    part of the score bound that is the same for all its records (see ``_score_top``)."""
    n = len(v.weighted)
    tops = sorted((max(s.terms.values()) for s in v.slots), reverse=True)
    weights = sorted(w for _, w in v.weighted)
    base = slack - EXPANSION_STEP * v.rank
    if v.full:
        return [(base + sum(tops) / n + LITERAL_BONUS, n, v.cand)]  # every word matched
    from collections import Counter

    counts: Counter[int] = Counter()
    for docs, _ in v.weighted:
        counts.update(docs.keys() & v.cand)  # in C, over the smaller side
    groups = {m: set(compress(counts.keys(), map(m.__eq__, counts.values()))) for m in set(counts.values())}
    if len(counts) < len(v.cand):
        groups[0] = v.cand - counts.keys()
    out = []
    for m, group in groups.items():
        a = base + sum(tops[:m]) / n - MISSING_PENALTY * sum(weights[: n - m])
        out.append((a + (LITERAL_BONUS if m == n else 0.0), m, group))
    return out


def _keep(sb: int, allowed: set[int] | None, billable_only: bool) -> bool:
    """Whether a record (its packed system/billable byte) passes the system and billable filters."""
    return (allowed is None or sb >> 1 in allowed) and (not billable_only or bool(sb & 1))


def _relaxed_candidates(per_slot: list[dict[int, float]], need: int, keep: bytes | None = None) -> set[int]:
    """Records matching at least ``need`` of the query words, cheaply.

    Counting runs in C (``Counter``) over the rarer words only; a very common word can still
    add to a record's score but does not make it a candidate on its own. Only the best-matching
    levels are kept: a record missing more words cannot outrank one missing fewer.
    """
    from collections import Counter
    from itertools import chain

    rare = [docs for docs in per_slot if len(docs) <= BIG_POSTINGS] or per_slot
    need_rare = max(1, need - (len(per_slot) - len(rare)))
    counts = Counter(chain.from_iterable(rare))
    # Records matching enough of the rarer words, picked out in C (usually a small share).
    enough = list(map(need_rare.__le__, counts.values()))
    docs = list(compress(counts.keys(), enough))
    found = list(compress(counts.values(), enough))
    if keep is not None:
        kept = list(map(keep.__getitem__, docs))
        docs, found = list(compress(docs, kept)), list(compress(found, kept))
    out: set[int] = set()
    if len(docs) < RELAXED_IN_C:  # a few: one Python pass beats a C pass per level
        levels: dict[int, list[int]] = {}
        for doc, count in zip(docs, found, strict=True):
            levels.setdefault(count, []).append(doc)
        for count in sorted(levels, reverse=True):
            out.update(levels[count])
            if len(out) >= RELAXED_ENOUGH:
                break
        return out
    for count in sorted(set(found), reverse=True):  # many: each level picked out in C
        out.update(compress(docs, map(count.__eq__, found)))
        if len(out) >= RELAXED_ENOUGH:
            break
    return out


def _missing_weights(per_slot: list[dict[int, float]], n_docs: int) -> list[float]:
    """Each query word's share of the missing-word penalty: its IDF over the mean IDF."""
    idf = [math.log((n_docs + 1) / (1 + len(docs))) for docs in per_slot]
    mean = sum(idf) / len(idf) if idf else 0.0
    return [x / mean if mean > 0 else 1.0 for x in idf]


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def placeholder_variants(key: str, wanted: Sequence[str] | None = None) -> list[str]:
    """'W2189A' -> 'W2189XA': ICD-10-CM 7th characters need X placeholders before them.

    Only for the systems (of ``wanted``, or all) whose registry entry has ``placeholder_x``.
    """
    if not any(s.placeholder_x for s in registry.ordered() if not wanted or s.name in wanted):
        return []
    if len(key) < 4 or len(key) >= 7 or not key[0].isalpha() or not key[-1].isalpha():
        return []
    return [key[:-1] + "X" * (7 - len(key)) + key[-1]]


def not_found(searcher: Searcher, result: SearchResult) -> NotFoundError:
    sugg = searcher.suggestions(result.query)
    hint = ("did you mean: " + ", ".join(sugg)) if sugg else "try fewer or different words"
    return NotFoundError(f"no match for {result.query!r}", hint=hint, suggestions=sugg)
