"""The indexes coders work from, inside the search index: entries, aliases and lookups.

Coders look a term up in the Alphabetic Index and verify the code in the tabular list; titles
alone miss every clinical name that is not in a title ("pheochromocytoma"). At search-index
build time the companion file ``indexes.json.gz`` (see :mod:`codelookup.build.cm_index`), or
the user's imported official index, is loaded into a few SQLite tables of the search index:

- ``ixe``: every index line (book, level, parent, title, modifiers, codes, see/see also/use,
  table cells), in book order, for ``codelookup index|neoplasm|drug`` and the detail page;
- ``ixa``: search aliases, one per (full term path → code), with the path as a coder reads it
  (``Pheochromocytoma, unspecified site → D35.00``; see references followed:
  ``Chordoma → see Neoplasm, vertebral (column), malignant → C41.2``);
- ``ixpost``: the aliases' posting lists per word, whose words also join the search
  vocabulary (so typo correction knows them).

Search scores an alias exactly like a title (same match qualities, coverage of the path's
essential words, the code's prior), so a precise index path beats a loose title match and a
title match beats an index path that says no more.
"""

from __future__ import annotations

import heapq
import os
import re
import sqlite3
from array import array
from collections.abc import Callable, Iterable, Sequence

from .paths import data_dir_str
from .systems import registry
from .text import GENERIC, index_terms, norm_code, words

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - for the checker only (import cost)
    from typing import Any

    from .search import Searcher, _Slot

COMPANION = "indexes.json.gz"
IMPORTED = "icd10cm-index.json.gz"  # the user's official Alphabetic Index (import icd10cm-index)
BOOK_SYSTEM = {"cm": "ICD-10-CM", "ecm": "ICD-10-CM", "neoplasm": "ICD-10-CM", "drug": "ICD-10-CM", "pcs": "ICD-10-PCS"}
ARROW = " → "
_PARENS = re.compile(r"\s*\([^)]*\)")
NEOPLASM_COLUMNS = ("malignant", "secondary", "in situ", "benign", "uncertain behavior", "unspecified behavior")
COLUMN_WORDS = (
    ("Malignant Primary", "malignant primary"),
    ("Malignant Secondary", "malignant secondary"),
    ("Ca in situ", "carcinoma in situ"),
    ("Benign", "benign"),
    ("Uncertain Behavior", "uncertain behavior"),
    ("Unspecified Behavior", "unspecified behavior"),
)


# -- where the data comes from ----------------------------------------------------------------
def companion_file() -> str | None:
    """The coders' indexes that belong to the catalogue in use: ``indexes.json.gz`` beside it.

    The build writes the two side by side (``data/`` in a checkout, ``_data/`` in the wheel, or
    wherever ``--output`` points). A catalogue from elsewhere (``CODELOOKUP_CATALOGUE``) with no
    companion beside it gets no coders' indexes: their codes were resolved against another build.
    """
    from .catalogue import catalogue_file
    from .errors import CatalogueError

    try:
        path = os.path.join(os.path.dirname(catalogue_file()), COMPANION)
    except CatalogueError:
        return None
    return path if os.path.isfile(path) else None


def imported_file() -> str:
    return os.path.join(data_dir_str(), "imports", IMPORTED)


def key_parts() -> list[str]:
    """Stats of the files that shape the index tables (joined into the search index's key)."""
    parts: list[str] = []
    for path in (companion_file(), imported_file()):
        if path is None:
            continue
        try:
            st = os.stat(path)
        except OSError:
            continue
        parts += [os.path.basename(path), str(st.st_size), str(st.st_mtime_ns)]
    return parts


def bundled_key_part() -> str:
    """Content identity of the companion (the prebuilt index must match it, not its path)."""
    import zlib

    path = companion_file()
    if path is None:
        return "no-indexes"
    with open(path, "rb") as fh:
        return f"{zlib.crc32(fh.read()):08x}"


def load_books(use_imported: bool = True) -> dict[str, dict[str, Any]]:
    """The books to index: the companion's, with the user's official CM index replacing ``cm``."""
    import gzip
    import json

    books: dict[str, dict[str, Any]] = {}
    path = companion_file()
    if path is not None:
        with gzip.open(path, "rb") as fh:
            books = dict(json.loads(fh.read())["books"])
    if use_imported and os.path.isfile(imported_file()):
        try:
            with gzip.open(imported_file(), "rb") as fh:
                books["cm"] = json.loads(fh.read())["book"]
        except (OSError, ValueError, KeyError, EOFError):
            pass  # a damaged import: the bundled index serves ('import --list' reports it)
    return books


# -- building the tables ----------------------------------------------------------------------
def _key(text: str) -> str:
    """Lookup key of a title or see-reference: essential words, lower case, comma-joined parts."""
    text = _PARENS.sub("", text).lower()
    return ", ".join(" ".join(p.split()) for p in text.split(",") if p.strip())


def _label(title: str, nemod: str) -> str:
    return f"{title} {nemod}" if nemod else title


class _Targets:
    """Index codes → catalogue record ids (with the 7th character a search result needs)."""

    def __init__(self, rows: Sequence[tuple[Any, ...]]) -> None:
        self.by: dict[tuple[str, str], tuple[int, bool, str]] = {}
        self.norm: dict[str, str] = {}
        # A table or partial PCS code ('0DQA') -> the first code that completes it (catalogue order)
        self.pcs_first: dict[str, int] = {}
        for r in rows:
            self.by[(r[1], r[3])] = (r[0], bool(r[5]), r[2])
            if registry.has(r[1], "has_axes") and len(r[3]) == 7:
                for n in (4, 5, 6):
                    self.pcs_first.setdefault(r[3][:n], r[0])

    def resolve(self, system: str, code: str) -> tuple[int, str, str] | None:
        """(record id, code shown, note) for an index code; None when nothing is near."""
        key = self.norm.get(code)
        if key is None:  # index codes repeat: normalise each once
            key = self.norm[code] = norm_code(code).replace("-", "")
        if registry.has(system, "has_axes") and 3 < len(key) < 7 and key in self.pcs_first:
            # The index names a table or partial code: search shows a code that completes it
            # (the path keeps the index's own characters, so the reader sees what to finish).
            return self.pcs_first[key], code, ""
        hit = self.by.get((system, key))
        note = ""
        if hit is None:
            k = key
            while k and (system, k) not in self.by:
                k = k[:-1]
            if not k:
                return None
            hit = self.by[(system, k)]
            note = f"{code} is no longer a code; nearest {hit[2]}"
            return hit[0], hit[2], note
        if registry.has(system, "seventh_characters") and not hit[1] and len(key) < 7:
            # T39.1X1 in the Table of Drugs: the initial-encounter code is the one people mean.
            seventh = self.by.get((system, key.ljust(6, "X") + "A"))
            if seventh is not None:
                return seventh[0], seventh[2], note
        return hit[0], hit[2], note


def _paths(entries: list[list[Any]]) -> Iterable[tuple[int, list[list[Any]]]]:
    """(index, ancestors-and-self) for every entry of a flat preorder list."""
    stack: list[list[Any]] = []
    for i, e in enumerate(entries):
        level = int(e[0])
        del stack[level:]
        stack.append(e)
        yield i, stack


class _PathWords:
    """Each index line's path words, essential and nonessential (stemmed), worked out on demand.

    Only lines that lead to a record need them: with a catalogue that lacks most indexed codes,
    most lines never do. Cumulative: a line's words are its parent's plus its own.
    """

    def __init__(
        self, entries: list[list[Any]], up: list[int], neoplasm: bool, toks: Callable[[str], list[str]]
    ) -> None:
        self.entries, self.up, self.neoplasm, self.toks = entries, up, neoplasm, toks
        self.memo: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {}

    def __call__(self, i: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        got = self.memo.get(i)
        if got is None:
            up = self.up[i]
            up_ess, up_ext = self(up) if up >= 0 else ((), ())
            e = self.entries[i]
            # the Neoplasm Table's main term reads 'Neoplasm' in paths ('Neoplasm, breast')
            shown = "Neoplasm" if self.neoplasm and int(e[0]) == 0 else str(e[1])
            got = self.memo[i] = (
                (*up_ess, *(t for t in dict.fromkeys(self.toks(shown)) if t not in up_ess)),
                (*up_ext, *self.toks(str(e[2]))) if e[2] else up_ext,
            )
        return got


def fill(
    con: sqlite3.Connection,
    rows: Sequence[tuple[Any, ...]],
    stem: Callable[[str], str],
    use_imported: bool = True,
) -> dict[str, array[int]]:
    """Create and fill the index tables; return the aliases' postings (stemmed word → alias ids).

    ``rows`` are the search index's record rows ``(id, system, code, norm, title, billable, …)``.
    """
    import json

    con.executescript(
        """
        CREATE TABLE ixe(id INTEGER PRIMARY KEY, book TEXT, level INT, parent INT, title TEXT,
            nemod TEXT, codes TEXT, see TEXT, seealso TEXT, use TEXT, cells TEXT, key TEXT);
        CREATE TABLE ixa(id INTEGER PRIMARY KEY, rec INT, entry INT, col INT, code TEXT, key TEXT);
        CREATE TABLE ixpost(term TEXT PRIMARY KEY, ess BLOB, ext BLOB) WITHOUT ROWID;
        CREATE TABLE ixbook(book TEXT PRIMARY KEY, info TEXT) WITHOUT ROWID;
        """
    )
    books = load_books(use_imported)
    targets = _Targets(rows)
    erows: list[tuple[Any, ...]] = []
    arows: list[tuple[Any, ...]] = []
    alen = array("B")
    aflag = bytearray()  # per alias: 1 = its path has a 'with' subterm, 2 = a 'without' one
    post: dict[str, array[int]] = {}  # essential words: main term and subterms
    post_x: dict[str, array[int]] = {}  # nonessential modifiers, table column names
    stems: dict[str, str] = {}

    def toks(text: str) -> list[str]:
        out = []
        for term in index_terms(text):
            st = stems.get(term)
            if st is None:
                st = stems[term] = stem(term)
            out.append(st)
        return out

    def add_alias(
        rec: int, entry: int, col: int, code: str, ess: tuple[str, ...], ext: Iterable[str], flag: int = 0
    ) -> None:
        aid = len(arows)
        # The path text is rebuilt from the entry when shown (storing it doubled the tables);
        # 'key' is kept for PCS only, whose entries name tables and partial codes.
        arows.append((aid, rec, entry, col, code, targets.norm.get(code) if registry.has(system, "has_axes") else None))
        alen.append(min(255, sum(1 for t in ess if t not in GENERIC) or 1))
        aflag.append(flag)
        for st in ess:
            p = post.get(st)
            if p is None:
                p = post[st] = array("I")
            p.append(aid)
        for st in dict.fromkeys(ext):
            if st in ess:
                continue
            p = post_x.get(st)
            if p is None:
                p = post_x[st] = array("I")
            p.append(aid)

    for book_name in ("cm", "ecm", "neoplasm", "drug", "pcs"):
        book = books.get(book_name)
        if not book:
            continue
        con.execute(
            "INSERT INTO ixbook VALUES (?,?)",
            (book_name, json.dumps({k: v for k, v in book.items() if k != "entries"}, ensure_ascii=False)),
        )
        system = BOOK_SYSTEM[book_name]
        entries: list[list[Any]] = book["entries"]
        base = len(erows)
        keyed: dict[str, int] = {}
        stack_ids: list[int] = []
        lvl_keys: list[str] = []
        lvl_flag: list[int] = []
        ent_flag: list[int] = []
        # Per entry: its parent (local index) and the words it adds to its path. The path's words
        # (essential and nonessential, stemmed) are worked out only for entries that lead to a
        # record: with a catalogue that lacks most indexed codes, most entries never need them.
        ent_up: list[int] = []
        words = _PathWords(entries, ent_up, book_name == "neoplasm", toks)
        for i, e in enumerate(entries):
            level = int(e[0])
            del stack_ids[level:], lvl_keys[level:], lvl_flag[level:]
            parent = stack_ids[-1] if stack_ids else -1
            ent_up.append(parent - base)  # -1 - base < 0 for a main term
            stack_ids.append(base + i)
            title = str(e[1])
            own_key = _key(title)
            lvl_keys.append("neoplasm" if book_name == "neoplasm" and level == 0 else own_key)
            keyed.setdefault(", ".join(k for k in lvl_keys if k), i)
            if level == 0 and "," in title:
                keyed.setdefault(_key(title.split(",")[0]), i)
            first = own_key.split(" ", 1)[0]
            lvl_flag.append(
                (lvl_flag[-1] if lvl_flag else 0) | (1 if first == "with" else 2 if first == "without" else 0)
            )
            ent_flag.append(lvl_flag[-1])
            erows.append(
                (
                    base + i,
                    book_name,
                    level,
                    parent,
                    e[1],
                    e[2],
                    "|".join(e[3]),
                    e[4],
                    e[5],
                    e[6],
                    "|".join(e[7]) if e[7] else "",
                    own_key,
                )
            )
        # Aliases: every line's full path leads to the codes it names, or that its see leads to.
        heads = book.get("heads") or []
        # The table's own name is context of every row: 'drug overdose tylenol'.
        col_words = [
            toks(COLUMN_WORDS[c][1] if book_name == "neoplasm" else f"{heads[c]} drug chemical")
            for c in range(len(heads))
        ]
        for i, e in enumerate(entries):
            if e[7]:  # table rows: one alias per column
                for col, cell in enumerate(e[7]):
                    if not cell or col >= len(col_words):
                        continue
                    found = targets.resolve(system, cell)
                    if found is not None:
                        ess, ext = words(i)
                        add_alias(found[0], base + i, col, cell, ess, (*ext, *col_words[col]), ent_flag[i])
                continue
            codes = list(e[3])
            # '… specified site → see Neoplasm, benign, by site' needs the site: nothing to follow.
            by_site = "specified site" in str(e[1]).lower() and "unspecified" not in str(e[1]).lower()
            if not codes and (e[4] or e[5]) and book_name != "pcs" and not by_site:
                codes = _follow(e[4] or e[5], keyed, entries, books)
            for code in codes:
                found = targets.resolve(system, code.split()[0])
                if found is not None:
                    ess, ext = words(i)
                    add_alias(found[0], base + i, -1, code.split()[0], ess, ext, ent_flag[i])
    con.executemany("INSERT INTO ixe VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", erows)
    con.execute("CREATE INDEX ixe_key ON ixe(book, key) WHERE level <= 1")
    con.execute("CREATE INDEX ixe_parent ON ixe(parent)")
    con.executemany("INSERT INTO ixa VALUES (?,?,?,?,?,?)", arows)
    con.execute("CREATE INDEX ixa_rec ON ixa(rec)")
    con.execute("CREATE INDEX ixa_key ON ixa(key) WHERE key IS NOT NULL")
    con.executemany(
        "INSERT INTO ixpost VALUES (?,?,?)",
        (
            (t, post[t].tobytes() if t in post else None, post_x[t].tobytes() if t in post_x else None)
            for t in sorted(set(post) | set(post_x))
        ),
    )
    con.execute("INSERT INTO blob VALUES ('ixlen', ?)", (alen.tobytes(),))
    con.execute("INSERT INTO blob VALUES ('ixflag', ?)", (bytes(aflag),))
    for t, p in post_x.items():
        post.setdefault(t, array("I")).extend(p)
    return post


def _follow(ref: str, keyed: dict[str, int], entries: list[list[Any]], books: dict[str, Any]) -> list[str]:
    """Codes a see / see also reference leads to (the Neoplasm Table for 'Neoplasm, …')."""
    key = _key(ref)
    if key.startswith("neoplasm") and "neoplasm" in books:
        return _follow_neoplasm(key, books["neoplasm"]["entries"])
    i = keyed.get(key)
    if i is None:
        return []
    return list(entries[i][3])


_NEO_CACHE: dict[int, dict[str, int]] = {}


def _follow_neoplasm(key: str, entries: list[list[Any]]) -> list[str]:
    """'neoplasm, vertebral, malignant' → the Malignant Primary cell of the vertebral row."""
    keyed = _NEO_CACHE.get(id(entries))
    if keyed is None:
        keyed = {}
        for j, stack in _paths(entries):
            keyed.setdefault(", ".join(_key(str(s[1])) for s in stack[1:]), j)
        _NEO_CACHE.clear()
        _NEO_CACHE[id(entries)] = keyed
    parts = [p.strip() for p in key.split(",")[1:]]
    col = -1
    site: list[str] = []
    for p in parts:
        if p in ("by site", "site"):
            continue
        if p == "malignant" and col < 0:
            col = 0
        elif p in NEOPLASM_COLUMNS:
            col = NEOPLASM_COLUMNS.index(p)
        elif p.startswith("malignant") or p.startswith("benign"):
            col = 0 if p.startswith("malignant") else 3
        else:
            site.append(p)
    if col < 0:
        return []
    want = ", ".join(site)
    i = keyed.get(want)
    if i is None and site:  # 'vertebral' in a see-reference, 'vertebra' in the table
        for cut in (1, 2):
            i = keyed.get(want[:-cut])
            if i is not None:
                break
    if i is None:
        return []
    cell = entries[i][7][col] if entries[i][7] else ""
    return [cell] if cell else []


# -- search ------------------------------------------------------------------------------------
def merge_hits(
    searcher: Searcher,
    variants: list[tuple[list[_Slot], bool, int]],
    best: dict[int, tuple[float, str]],
    allowed: set[int] | None,
    billable_only: bool,
    text: str = "",
    score_exactly: Callable[[set[int]], None] | None = None,
) -> LazyPaths:
    """Score index aliases like titles; where one beats a record's best match, it wins.

    Updates ``best`` (record id → (score, match)) in place and returns record id → index path.
    ``score_exactly`` is called with the records the best paths reach before they are compared
    with ``best``: a search that scored only the candidates that can reach its head (issue 20)
    adds their exact title scores there, so each path is judged as if every one was scored.
    """
    from .search import (
        COVERAGE_WEIGHT,
        EXPANSION_STEP,
        FUZZY_BELOW,
        LITERAL_BONUS,
        MISSING_PENALTY,
        OTHER_FIELD,
        Q_EXACT,
        SYNONYM_FACTOR,
    )

    con = searcher.con
    try:
        alen_raw = searcher._blob("ixlen")
    except sqlite3.Error:
        return LazyPaths(con)
    if not alen_raw:
        return LazyPaths(con)
    prior, sysb = searcher.prior_items()[0], searcher.sysb
    # 'with' and 'without' are stopwords, yet an index path 'with esophagitis' contradicts a query
    # '… without esophagitis': such a path pays more than a missing word would.
    said = set(words(text)) & {"with", "without"}
    contradicts = 1 if said == {"without"} else 2 if said == {"with"} else 0
    flags = searcher._blob("ixflag") if contradicts else b""
    # Two words that no title shares ('bold fracture'): let an entry match one of them, at a cost.
    nothing_else = not best
    winners: dict[int, tuple[float, str]] = {}  # alias id -> (score, match label)
    cache: dict[str, tuple[frozenset[int], frozenset[int]]] = {}
    slot_cache: dict[tuple[tuple[str, float], ...], _SlotSets] = {}
    for slots, is_syn, rank in variants:
        per_slot: list[_SlotSets] = []
        for slot in slots:
            key = tuple(sorted(slot.terms.items()))
            sets = slot_cache.get(key)
            if sets is None:  # readings share most words: fetch each word's aliases once
                sets = slot_cache[key] = _SlotSets(con, cache, slot.terms)
            per_slot.append(sets)
        n = len(per_slot)
        fuzzy_below = FUZZY_BELOW * (SYNONYM_FACTOR if is_syn else 1.0) - 1e-9
        live = sorted((p.all for p in per_slot if p.all), key=len)
        if not live:
            continue
        cand: set[int] = set()
        if len(live) == n:
            cand = set(live[0])
            for d in live[1:]:
                cand.intersection_update(d)
                if not cand:
                    break
        if len(cand) < RELAXED_BELOW and (n >= 3 or (n == 2 and nothing_else)) and len(live) >= n - 1:
            # Like titles: with three words or more, an entry may miss one (at a cost). Each
            # "all but one word" intersection runs in C, far cheaper than counting every id.
            groups = [live[:i] + live[i + 1 :] for i in range(len(live))] if len(live) == n else [live]
            for group in groups:
                if any(len(d) > RELAXED_MAX for d in group[:1]):
                    continue  # even the rarest remaining word is everywhere: no useful candidates
                found = set(group[0])
                for d in group[1:]:
                    found.intersection_update(d)
                    if not found:
                        break
                cand |= found
        for a in cand:
            total = 0.0
            essential = matched = 0
            exact = True
            fuzzy = False
            for sl in per_slot:
                v = sl.value(a)
                if v is None:
                    continue
                matched += 1
                fuzzy = fuzzy or abs(v) < fuzzy_below
                if v > 0:
                    essential += 1
                    total += v
                    exact = exact and v >= Q_EXACT - 1e-9
                else:
                    total += -v * OTHER_FIELD
                    exact = False
            if not essential or (matched < n and essential < matched):
                # only modifiers matched ('(attack) (heart)' is not a heart attack), or a word is
                # missing and another only in a modifier: too loose ('Anteversion, femur (neck)')
                continue
            coverage = min(1.0, essential / alen_raw[a])
            score = total / n + COVERAGE_WEIGHT * coverage - MISSING_PENALTY * (n - matched)
            score -= EXPANSION_STEP * rank  # a later expansion of a synonym, as for titles
            if flags and flags[a] & contradicts and not flags[a] & (3 - contradicts):
                score -= CONTRADICTION  # worse than a missing word: the path says the opposite
            if not is_syn and exact and matched == n:
                score += LITERAL_BONUS
            cur = winners.get(a)
            if cur is None or score > cur[0]:
                # Exact words through the index say "index"; corrections and synonyms say so.
                winners[a] = (score, "synonym" if is_syn else ("fuzzy" if fuzzy else "index"))
    if not winners:
        return LazyPaths(con)
    # The best alias per record (ties: the shorter path, then book order).
    top = heapq.nlargest(TOP_ALIASES, winners.items(), key=lambda kv: kv[1][0])
    ids = [a for a, _ in top]
    rows: dict[int, tuple[int, int, int, str]] = {}
    for chunk in range(0, len(ids), 900):
        part = ids[chunk : chunk + 900]
        marks = ",".join("?" * len(part))
        for aid, rec, entry, col, code in con.execute(
            f"SELECT id, rec, entry, col, code FROM ixa WHERE id IN ({marks})", part
        ):
            rows[aid] = (rec, entry, col, code)
    if score_exactly is not None:
        score_exactly({r[0] for r in rows.values()})
    chosen: dict[int, tuple[float, int]] = {}  # record -> (score, alias id)
    from .systems import registry

    labels: dict[int, str] = {}
    # PCS entries whose code's own title matched as well: does the query name the entry's main
    # term (the root operation or procedure name) and its own line, or only words around them?
    pcs_id = registry.id_of("ICD-10-PCS")
    subterm_only = _subterm_only(
        con,
        {
            a: rows[a][1]
            for a, (score, _label) in top
            if sysb[rows[a][0]] >> 1 == pcs_id and score + prior[rows[a][0]] > best.get(rows[a][0], (9.0,))[0]
        },  # only the paths that would beat the title are looked at
        {t for slots, *_ in variants for slot in slots for t in slot.terms},
    )
    for aid, (score, label) in top:
        rec = rows[aid][0]
        sb = sysb[rec]
        if allowed is not None and sb >> 1 not in allowed:
            continue
        if billable_only and not sb & 1:
            continue
        if aid in subterm_only:
            # 'epidural' finds 'Drainage, Epidural Space, Intracranial → 0093': the query names
            # neither the main term (the operation) nor the line itself, only words the code's
            # own title already has; likewise 'Extraction, Products of Conception, Vacuum' for
            # 'cesarean delivery'. Such a path is one refinement among its siblings, and being
            # shorter than the title it would lift every such table above the CPT pages about
            # epidurals or cesareans: the title's own match stands instead.
            continue
        total = score + prior[rec]
        prev = chosen.get(rec)
        if prev is not None and prev[0] >= total:
            continue  # ties keep the earlier (book order) entry
        chosen[rec] = (total, aid)
        labels[rec] = label
    out = LazyPaths(con)
    for rec, (total, aid) in chosen.items():
        held = best.get(rec)
        if held is None or total > held[0]:
            best[rec] = (total, labels[rec])
            out.pending[rec] = rows[aid]
    return out


def _subterm_only(con: sqlite3.Connection, entries: dict[int, int], terms: set[str]) -> set[int]:
    """Aliases (of ``entries``: alias id -> entry id) whose main term or own line has none of ``terms``."""
    if not entries:
        return set()
    from .text import stem

    ids = sorted(set(entries.values()))
    marks = ",".join("?" * len(ids))
    ends: dict[int, list[str]] = {}  # entry -> [main term, own line]
    for start, at, title, level in con.execute(
        "WITH RECURSIVE up(s, id) AS (SELECT id, id FROM ixe WHERE id IN (" + marks + ")"
        " UNION ALL SELECT up.s, ixe.parent FROM up JOIN ixe ON ixe.id = up.id WHERE ixe.parent >= 0)"
        " SELECT up.s, up.id, ixe.title, ixe.level FROM up JOIN ixe ON ixe.id = up.id"
        " WHERE ixe.level = 0 OR up.id = up.s",
        ids,
    ):
        pair = ends.setdefault(start, ["", ""])
        if level == 0:
            pair[0] = str(title)
        if at == start:
            pair[1] = str(title)
    named: dict[str, bool] = {}

    def names(title: str) -> bool:
        hit = named.get(title)
        if hit is None:
            hit = named[title] = any(stem(t) in terms or t in terms for t in index_terms(title))
        return hit

    return {aid for aid, entry in entries.items() if not all(names(t) for t in ends.get(entry, ["", ""]))}


class LazyPaths:
    """Record id -> index path, composed only for the hits that are actually shown."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con
        self.pending: dict[int, tuple[int, int, int, str]] = {}

    def get(self, rec: int, default: str = "") -> str:
        row = self.pending.get(rec)
        return default if row is None else alias_path(self.con, *row)


def _ixe(con: sqlite3.Connection, entry: int, memo: dict[int, Any] | None) -> Any:
    if memo is not None and entry in memo:
        return memo[entry]
    row = con.execute("SELECT book, parent, title, nemod, codes, see, seealso FROM ixe WHERE id=?", (entry,)).fetchone()
    if memo is not None:
        memo[entry] = row
    return row


def alias_path(
    con: sqlite3.Connection, rec: int, entry: int, col: int, code: str, memo: dict[int, Any] | None = None
) -> str:
    """The path as a coder reads it: 'Chordoma → see Neoplasm, vertebral (column), malignant → C41.2'."""
    chain: list[tuple[Any, ...]] = []
    cur = _ixe(con, entry, memo)
    if cur is None:
        return ""
    book, first = cur[0], cur
    while cur is not None:
        chain.append(cur)
        cur = _ixe(con, cur[1], memo) if cur[1] >= 0 else None
    labels = [_label(str(c[2]), str(c[3])) for c in reversed(chain) if c[2]]
    if book == "neoplasm" and labels:
        labels[0] = "Neoplasm"
    parts = [", ".join(labels)]
    if col >= 0:
        info = con.execute("SELECT info FROM ixbook WHERE book=?", (book,)).fetchone()
        import json

        heads = json.loads(info[0]).get("heads") or [] if info else []
        parts.append(heads[col] if col < len(heads) else "")
    elif book == "pcs" and first[5]:
        parts.append(f"see {first[5]}")
    elif not first[4] and (first[5] or first[6]):
        parts.append(f"see {first[5] or first[6]}")
    row = con.execute("SELECT code, norm, system FROM rec WHERE id=?", (rec,)).fetchone()
    shown = code
    if row is not None:
        key = norm_code(code).replace("-", "")
        if registry.has(row[2], "has_axes") and len(key) < 7:
            shown = code  # a table or partial code: the reader finishes it
        elif key != row[1] and key.startswith(row[1]):
            shown = f"{row[0]} ({code} is no longer a code; nearest {row[0]})"
        else:
            shown = row[0]
    parts.append(shown)
    return ARROW.join(parts)


CONTRADICTION = 0.5  # an index path 'with X' for a query '… without X' (and the reverse)
RELAXED_BELOW = 20  # fewer strict candidates than this: also accept entries missing one word
RELAXED_MAX = 20_000  # words this common only score, never make a candidate alone
TOP_ALIASES = 400  # only the best aliases can beat a title; the rest are not even looked up


class _SlotSets:
    """One query word's aliases: (quality, essential ids, modifier ids) per matching index term."""

    __slots__ = ("all", "terms")

    def __init__(
        self,
        con: sqlite3.Connection,
        cache: dict[str, tuple[frozenset[int], frozenset[int]]],
        terms: dict[str, float],
    ) -> None:
        self.terms: list[tuple[float, frozenset[int], frozenset[int]]] = []
        union: set[int] = set()
        for term, q in sorted(terms.items(), key=lambda kv: -kv[1]):
            got = cache.get(term)
            if got is None:
                row = con.execute("SELECT ess, ext FROM ixpost WHERE term=?", (term,)).fetchone()
                ess, ext = array("I"), array("I")
                if row:
                    if row[0]:
                        ess.frombytes(row[0])
                    if row[1]:
                        ext.frombytes(row[1])
                got = cache[term] = (frozenset(ess), frozenset(ext))
            if got[0] or got[1]:
                self.terms.append((q, *got))
                union |= got[0]
                union |= got[1]
        self.all = union

    def value(self, alias: int) -> float | None:
        """q for the best essential match, -q for a modifier-only match, None for none."""
        modifier: float | None = None
        for q, ess, ext in self.terms:
            if alias in ess:
                return q
            if modifier is None and alias in ext:
                modifier = -q
        return modifier


# -- lookups for the commands and the detail page ----------------------------------------------
def entries_leading_to(con: sqlite3.Connection, system: str, code: str, limit: int = 12) -> list[str]:
    """Index paths whose code is ``code`` (the detail page's "Index entries that lead here")."""
    try:
        row = con.execute("SELECT id FROM rec WHERE system=? AND code=?", (system, code)).fetchone()
        if row is None:
            return []
        cols = "SELECT rec, entry, col, code FROM ixa"
        if registry.has(system, "has_axes"):
            # Index entries name tables and partial codes: those this code completes lead here
            # (a table's page lists the entries naming the table itself).
            key = norm_code(code)
            keys = [key[:n] for n in range(3, len(key) + 1)]
            marks = ",".join("?" * len(keys))
            found = con.execute(f"{cols} WHERE key IN ({marks}) ORDER BY id LIMIT ?", (*keys, limit * 3)).fetchall()
        else:
            found = con.execute(f"{cols} WHERE rec=? ORDER BY id LIMIT ?", (row[0], limit * 3)).fetchall()
        memo: dict[int, Any] = {}  # entries of one code share their ancestors
        paths: dict[str, None] = {}
        for r in found:
            paths.setdefault(alias_path(con, r[0], r[1], r[2], r[3], memo))
            if len(paths) >= limit:
                break
    except sqlite3.Error:
        return []
    return list(paths)
