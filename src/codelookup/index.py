"""The search index: a SQLite file derived from the catalogue and the user's layers.

Every invocation is a cold start, so nothing large is parsed per run: the index holds records
keyed by normalised code, posting lists (arrays of record ids) per word and field, a
delete-neighbourhood table for typo correction, per-record ranking priors as packed arrays, and
the synonym table. It is built once per catalogue version into the user's cache directory,
written to a temporary file and renamed into place, so concurrent first runs all succeed and a
crash never leaves a half-written index behind.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import time
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator

from . import __version__
from .catalogue import catalogue_file, open_catalogue, read_first_line
from .errors import CatalogueError, CodelookupError, IndexDamagedError, IndexIOError
from .paths import cache_dir_str, layers_dir_str
from .systems import registry
from .text import GENERIC, deletes1, index_terms, norm_code, stem, without_parentheses

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - for the checker only (import cost)
    from pathlib import Path
    from typing import Any

    from .index_parallel import Child

INDEX_VERSION = 21  # bump whenever tokenising, stemming or priors change
STANDARD_KEYS = frozenset({"code", "system", "title", "billable", "kind", "parent"})
# Fields the detail page derives from the hierarchy, so the index need not store them per record.
DERIVED_KEYS = frozenset({"chapter", "block"})
GROUP_KINDS = frozenset({"chapter", "block", "section", "body_system", "table", "group"})


def _layer_files() -> list[str]:
    directory = layers_dir_str()
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    return [p for p in (os.path.join(directory, n) for n in names if n.endswith(".json")) if os.path.isfile(p)]


def index_key(cat: str | Path, first_line: bytes, layers: list[str]) -> str:
    """Identity of the inputs: cheap to compute (stat calls and the raw header line only).

    The header line carries the catalogue's content hash and schema version, so a different
    catalogue never reuses an index; the file is fully parsed and validated only when building.
    """
    st = os.stat(cat)
    parts = [
        str(INDEX_VERSION),
        __version__,
        os.path.realpath(cat),
        str(st.st_size),
        str(st.st_mtime_ns),
        f"{zlib.crc32(first_line):08x}",
    ]
    for layer in layers:
        lst = os.stat(layer)
        parts += [os.path.basename(layer), str(lst.st_size), str(lst.st_mtime_ns)]
    # Package data that shapes the index (synonyms, common codes) is keyed by its file stats.
    data = os.path.join(os.path.dirname(__file__), "data")
    for name in ("synonyms.tsv", "common_codes.tsv"):
        with contextlib.suppress(OSError):
            dst = os.stat(os.path.join(data, name))
            parts += [name, str(dst.st_size), str(dst.st_mtime_ns)]
    from .indexes import key_parts  # the coders' indexes (companion file, imported index)

    parts += key_parts()
    raw = "\x1f".join(parts).encode()
    # Two CRCs make a 64-bit identity: plenty for a cache key, and zlib is already loaded
    # (hashlib would add an import to every cold start).
    return f"{zlib.crc32(raw):08x}{zlib.adler32(raw):08x}"


def load_common_codes() -> frozenset[str]:
    """Codes people usually mean (package data written by us; see common_codes.tsv)."""
    from importlib.resources import files

    text = files("codelookup").joinpath("data/common_codes.tsv").read_text(encoding="utf-8")
    out = set()
    for line in text.splitlines():
        if line and not line.startswith("#") and not line.startswith("code\t"):
            out.add(line.split("\t", 1)[0].strip())
    return frozenset(out)


def _title_prior(
    rec: dict[str, Any], common: frozenset[str] = frozenset(), terms: list[str] | None = None
) -> tuple[float, int]:
    """Static ranking prior and the title's content-word count (for coverage)."""
    title = str(rec.get("title", ""))
    kind = str(rec.get("kind", ""))
    billable = bool(rec.get("billable"))
    system = registry.get(str(rec.get("system", "")))
    # ICD-10-CM puts nonessential modifiers in parentheses; our CPT titles use them for lay names.
    modifiers = system is not None and system.parenthetical_modifiers
    if terms is None or ("(" in title and modifiers):
        counted = without_parentheses(title) if modifiers else title
        terms = index_terms(counted)
    tlen = sum(1 for t in terms if t not in GENERIC) or 1
    prior = 0.0
    if billable:
        prior += 0.10
    if kind in GROUP_KINDS:
        prior -= 0.12
    low = title.lower()
    if (
        "without complication" in low
        or low.endswith(("unspecified", ", nos"))
        or ", unspecified" in low
        or low.startswith("unspecified ")
    ):
        prior += 0.05
    if "other specified" in low or "due to underlying condition" in low or "drug or chemical" in low:
        prior -= 0.02
    if system is not None:  # the system's own ranking hook (CodeSystem.rank_prior)
        prior += system.rank_prior(rec, str(rec.get("code", "")), billable, common)
    return prior, min(tlen, 255)



def _field_terms(rec: dict[str, Any], stems: dict[str, str]) -> tuple[list[str], list[list[str]]]:
    """Title terms, and the stems each field posts (title, aliases, secondary text, body): a stem
    is posted once per record, in the first field that has it. ``stems`` memoises ``stem``."""
    title_terms = index_terms(str(rec.get("title", "")))
    seen: set[str] = set()
    per_field: list[list[str]] = []
    for text in (None, _alias_text(rec), _other_text(rec), _body_text(rec)):
        terms = title_terms if text is None else index_terms(text) if text else ()  # most records: no text
        mine: list[str] = []
        for term in terms:
            st = stems.get(term)
            if st is None:
                st = stems[term] = stem(term)
            if st not in seen:
                seen.add(st)
                mine.append(st)
        per_field.append(mine)
    return title_terms, per_field


def _alias_text(rec: dict[str, Any]) -> str:
    """Our search phrases for a code (CPT keywords, HCPCS short names): indexed like titles."""
    terms = rec.get("terms")
    if isinstance(terms, list):
        return " ".join(str(t) for t in terms)
    return terms if isinstance(terms, str) else ""


def _other_text(rec: dict[str, Any]) -> str:
    """Secondary text: official inclusion terms, plain-language names, licensed descriptors."""
    parts: list[str] = []
    sections = rec.get("sections") or {}
    value = sections.get("inclusion_terms")
    if isinstance(value, list):
        parts.extend(str(v) for v in value)
    for key in ("name", "official_descriptor"):
        value = sections.get(key)
        if isinstance(value, str):
            parts.append(value)
    return " ".join(parts)


def _body_text(rec: dict[str, Any]) -> str:
    """Plain-language explanations: searchable, but the weakest evidence."""
    sections = rec.get("sections") or {}
    return " ".join(str(sections[k]) for k in ("summary", "purpose") if isinstance(sections.get(k), str))


def read_layers(
    bundled_systems: dict[str, Any], pcs_tables: dict[str, Any], layer_files: list[str]
) -> tuple[
    dict[str, Any], dict[str, Any], set[str], list[dict[str, Any]], dict[tuple[str, str], dict[str, Any]]
]:
    """Read the user's layers: provenance per system, PCS tables, the systems a layer replaces,
    the replacement records and the overlay records (by system and normalised code)."""
    from pathlib import Path

    from .layers import read_layer

    systems = {k: dict(v, origin="bundled") for k, v in bundled_systems.items()}
    replaced: set[str] = set()
    replacements: list[dict[str, Any]] = []
    overlays: dict[tuple[str, str], dict[str, Any]] = {}
    for path in layer_files:
        lheader, lrecords = read_layer(Path(path))
        mode = lheader.get("mode", "replace")
        for name, prov in (lheader.get("systems") or {}).items():
            base = systems.get(name, {}) if mode == "overlay" else {}
            if mode == "overlay" and base:
                entry = dict(base)
                entry["overlay"] = dict(prov, imported_at=lheader.get("imported_at", ""))
                entry["origin"] = "bundled + imported"
            else:
                entry = dict(prov, origin="imported", imported_at=lheader.get("imported_at", ""))
            systems[name] = entry
            if mode != "overlay":
                replaced.add(name)
        if lheader.get("pcs_tables"):
            # A new release's tables replace the bundled ones table by table; the bundled
            # approach definitions stay (releases rarely change them), per-code overrides do not.
            fresh = dict(lheader["pcs_tables"])
            for keep in ("_approach_definitions", "_definitions"):
                if keep not in fresh and keep in pcs_tables:
                    fresh[keep] = pcs_tables[keep]
            # MS-DRG CC exclusion collections belong to ICD-10-CM, not to the PCS tables.
            fresh.update({k: v for k, v in pcs_tables.items() if k.startswith("_ccx_") and k not in fresh})
            pcs_tables = fresh
        if mode == "overlay":
            for rec in lrecords:
                overlays[(rec["system"], norm_code(rec["code"]))] = rec
        else:
            replacements.extend(lrecords)
    return systems, pcs_tables, replaced, replacements, overlays


def _merge_layers(
    header: dict[str, Any], pcs_tables: dict[str, Any], records: Iterator[dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any], Iterator[dict[str, Any]]]:
    """Overlay the user's imported layers on the bundled catalogue."""
    layer_files = _layer_files()
    if not layer_files:
        return header["systems"], pcs_tables, records
    systems, pcs_tables, replaced, replacements, overlays = read_layers(header["systems"], pcs_tables, layer_files)

    def merged() -> Iterator[dict[str, Any]]:
        seen: set[tuple[str, str]] = set()
        # Our written pages survive a "replace" import of their system: the official release
        # brings codes and titles, the bundled record its plain-language sections.
        pages: dict[tuple[str, str], dict[str, Any]] = {}
        for rec in records:
            if rec["system"] in replaced:
                if rec.get("sections") and registry.has(rec["system"], "has_pages"):
                    pages[(rec["system"], norm_code(rec["code"]))] = rec
                continue
            key = (rec["system"], norm_code(rec["code"]))
            extra = overlays.get(key)
            if extra is not None:
                seen.add(key)
                rec = dict(rec)
                rec["sections"] = {**(rec.get("sections") or {}), **(extra.get("sections") or {})}
            yield rec
        for rec in sorted(replacements, key=lambda r: registry.order_of(r["system"])):
            page = pages.get((rec["system"], norm_code(rec["code"]))) if pages else None
            if page is not None and rec.get("billable"):  # a terminated/deleted code keeps none
                rec = _with_page(rec, page)
            yield rec
        for key, rec in overlays.items():
            if key not in seen:
                yield rec

    return systems, pcs_tables, merged()


def _with_page(rec: dict[str, Any], page: dict[str, Any]) -> dict[str, Any]:
    """A newer release's record of a code we wrote a page for keeps the page (sections, family,
    search phrases); its own official title and fields stay."""
    out = dict(rec)
    out["sections"] = {**page["sections"], **(rec.get("sections") or {})}
    for key in ("family", "page_kind"):
        if key in page:
            out[key] = page[key]
    terms = list(rec.get("terms") or [])
    for term in page.get("terms") or []:
        if term not in terms:
            terms.append(term)
    if terms:
        out["terms"] = terms
    return out


def _load_synonyms() -> dict[str, tuple[str, ...]]:
    try:
        from .synonyms import load_synonyms
    except ImportError:  # pragma: no cover - the table ships with the package
        return {}
    return load_synonyms()


def build_index(db_path: str, cat: str | Path, key: str, progress: bool = True, use_layers: bool = True) -> None:
    """Build the index into ``db_path`` (a temp file or ``:memory:`` connection target)."""
    started = time.perf_counter()
    show = progress and sys.stderr.isatty()
    header, pcs_tables, records = open_catalogue(cat)  # validated here, before any child starts
    from .index_parallel import start

    # The coders' indexes are filled in a second process meanwhile, where that is safe.
    child = start(cat, use_layers) if os.environ.get(ENV_PARALLEL, "1") != "0" else None
    try:
        _build(db_path, header, pcs_tables, records, key, show, use_layers, child)
    finally:
        if child is not None:
            child.close()
    if progress:
        took = time.perf_counter() - started
        print(f"codelookup: search index ready ({took:.1f} s, one-time)", file=sys.stderr)


def _build(
    db_path: str,
    header: dict[str, Any],
    pcs_tables: dict[str, Any],
    records: Iterator[dict[str, Any]],
    key: str,
    show: bool,
    use_layers: bool,
    child: Child | None,
) -> None:
    if use_layers:
        systems, pcs_tables, records = _merge_layers(header, pcs_tables, records)
    else:
        systems = header["systems"]
    con = sqlite3.connect(db_path)
    # A temporary file, renamed into place only when complete: no journal or sync is needed, and
    # a large page cache keeps the index builds (CREATE INDEX over 200k rows) in memory.
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-262144")
    try:
        _fill(con, header, systems, pcs_tables, records, key, show, imports=use_layers,
              prefilled=child.join if child is not None else None)  # fmt: skip
        con.commit()
    finally:
        con.close()


def _fill(
    con: sqlite3.Connection,
    header: dict[str, Any],
    systems: dict[str, Any],
    pcs_tables: dict[str, Any],
    records: Iterable[dict[str, Any]],
    key: str,
    show: bool,
    imports: bool = True,
    prefilled: Callable[[sqlite3.Connection], dict[str, array[int]] | None] | None = None,
) -> None:
    """Create and fill every table; ``prefilled`` copies in the coders' indexes a child built."""
    import json

    con.executescript(
        """
        PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
        CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE blob(name TEXT PRIMARY KEY, data BLOB);
        CREATE TABLE rec(id INTEGER PRIMARY KEY, system TEXT, code TEXT, norm TEXT,
            title TEXT, billable INT, kind TEXT, parent TEXT, depth INT, nbill INT, data TEXT);
        CREATE TABLE post(term TEXT PRIMARY KEY, t BLOB, a BLOB, x BLOB, b BLOB) WITHOUT ROWID;
        CREATE TABLE del1(key TEXT, word TEXT, PRIMARY KEY(key, word)) WITHOUT ROWID;
        CREATE TABLE syn(term TEXT PRIMARY KEY, expansions TEXT) WITHOUT ROWID;
        CREATE TABLE pcs(prefix TEXT PRIMARY KEY, data TEXT) WITHOUT ROWID;
        """
    )
    common = load_common_codes()
    rows: list[tuple[Any, ...]] = []
    post_t: dict[str, array[int]] = {}
    post_x: dict[str, array[int]] = {}
    post_b: dict[str, array[int]] = {}
    post_a: dict[str, array[int]] = {}
    priors = array("f")
    tlens = array("B")
    sysb = array("B")
    ids: dict[tuple[str, str], int] = {}
    parents: list[int] = []
    depth: list[int] = []
    billable: list[bool] = []
    counts: dict[str, list[int]] = {}
    stems: dict[str, str] = {}  # memo: ~50k distinct words, ~1.5M occurrences
    fields = (post_t, post_a, post_x, post_b)
    for i, rec in enumerate(records):
        system = str(rec["system"])
        code = str(rec["code"])
        title = str(rec.get("title", ""))
        parent = rec.get("parent")
        pid = ids.get((system, str(parent)), -1) if parent else -1
        ids[(system, code)] = i
        parents.append(pid)
        d = depth[pid] + 1 if pid >= 0 else 0
        depth.append(d)
        bill = bool(rec.get("billable"))
        billable.append(bill)
        c = counts.setdefault(system, [0, 0])
        c[0] += 1
        c[1] += int(bill)
        extra = {k: v for k, v in rec.items() if k not in STANDARD_KEYS and k not in DERIVED_KEYS}
        data = json.dumps(extra, ensure_ascii=False, separators=(",", ":")) if extra else None
        rows.append(
            (
                i,
                system,
                code,
                norm_code(code),
                title,
                int(bill),
                rec.get("kind", ""),
                parent,
                d,
                0,
                data,
            )
        )
        title_terms, per_field = _field_terms(rec, stems)
        prior, tlen = _title_prior(rec, common, title_terms)
        priors.append(prior - 0.004 * d)
        tlens.append(tlen)
        sysb.append(registry.id_of(system) * 2 + int(bill))
        for stems_of_field, postings in zip(per_field, fields, strict=True):
            for st in stems_of_field:
                posting = postings.get(st)
                if posting is None:
                    posting = postings[st] = array("I")
                posting.append(i)
        if show and i % 20000 == 0:
            print(f"\rcodelookup: building search index… {i:,} records", end="", file=sys.stderr)
    if show:
        print("\r" + " " * 60 + "\r", end="", file=sys.stderr)
    if not rows:
        raise CatalogueError("the catalogue holds no records")
    # Billable descendants per record, accumulated bottom-up (children follow their parents).
    nbill = [0] * len(rows)
    for i in range(len(rows) - 1, -1, -1):
        if billable[i]:
            nbill[i] += 1
        if parents[i] >= 0:
            nbill[parents[i]] += nbill[i]
    rows = [(*r[:9], nbill[r[0]], *r[10:]) for r in rows]
    con.executemany("INSERT INTO rec VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
    con.execute("CREATE INDEX rec_norm ON rec(norm)")
    con.execute("CREATE INDEX rec_code ON rec(system, code)")
    con.execute("CREATE INDEX rec_parent ON rec(system, parent)")
    # The coders' indexes (issue 14, see indexes.py): their words join the vocabulary.
    from .indexes import fill as fill_indexes

    post_i = prefilled(con) if prefilled is not None else None
    if post_i is None:  # no child, or it failed: fill them here
        post_i = fill_indexes(con, rows, stem, use_imported=imports)
    vocab = sorted(set(post_t) | set(post_a) | set(post_x) | set(post_b) | set(post_i))
    con.executemany(
        "INSERT INTO post VALUES (?,?,?,?,?)",
        ((term, *(f[term].tobytes() if term in f else None for f in fields)) for term in vocab),
    )
    # Words the catalogue already has keep their record counts (the corrector is tuned on them);
    # words only the coders' indexes have count their index aliases.
    dfs = array("I", (sum(len(f.get(t, ())) for f in fields) or len(post_i.get(t, ())) for t in vocab))
    con.executemany(
        "INSERT OR IGNORE INTO del1 VALUES (?,?)",
        ((d, w) for w in vocab if len(w) >= 4 and not w.isdigit() for d in deletes1(w)),
    )
    syn = _load_synonyms()
    con.executemany("INSERT INTO syn VALUES (?,?)", ((k, "|".join(v)) for k, v in syn.items()))
    from .correct import build_tables
    from .synonyms import load_kinds

    build_tables(con, vocab, syn, load_kinds())
    con.executemany(
        "INSERT INTO pcs VALUES (?,?)",
        ((k, json.dumps(v, ensure_ascii=False)) for k, v in pcs_tables.items()),
    )
    from .cmnotes import CATEGORIES_SQL, SYSTEM, categories_blob

    categories = [r[0] for r in con.execute(CATEGORIES_SQL, (SYSTEM,) * 3)]
    con.executemany(
        "INSERT INTO blob VALUES (?,?)",
        [
            (categories_blob(SYSTEM), "\n".join(categories).encode()),
            ("prior", priors.tobytes()),
            ("tlen", tlens.tobytes()),
            ("sysb", sysb.tobytes()),
            ("vocab", "\n".join(vocab).encode()),
            ("df", dfs.tobytes()),
        ],
    )
    for name, (n, b) in counts.items():
        prov = systems.setdefault(name, {"name": name})
        prov["records"] = n
        prov["billable"] = b
    meta = {
        "key": key,
        "schema_version": str(header.get("schema_version")),
        "catalogue_release": str(header.get("catalogue_release", "")),
        "content_sha256": str(header.get("content_sha256", "")),
        "systems": json.dumps(systems, ensure_ascii=False, sort_keys=True),
        "synonyms": str(len(syn)),
        "records": str(len(rows)),
    }
    con.executemany("INSERT INTO meta VALUES (?,?)", meta.items())


def recover(exc: BaseException) -> CodelookupError | None:
    """The user-facing error for an SQLite failure on the search index (None for other errors).

    The index is opened read-only and checked by its key only, so damage inside a page (disk
    trouble, a stray write) surfaces only when a query reads that page: the file is removed so
    that the next run rebuilds it instead of failing the same way forever. A full or failing
    disk under the cache directory is an input/output error, not a bug.
    """
    if not isinstance(exc, sqlite3.DatabaseError):
        return None
    directory = cache_dir_str()
    name = getattr(exc, "sqlite_errorname", "")
    if name.startswith(("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_CANTOPEN")):
        return IndexIOError(f"input/output error on the search index in {directory}: {exc}")
    if not name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return None
    removed = False
    with contextlib.suppress(OSError):
        for entry in os.listdir(directory):
            if entry.startswith("index-") and entry.endswith(".sqlite"):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(directory, entry))
                    removed = True
    what = "it was removed; the next run rebuilds it" if removed else "delete it by hand"
    return IndexDamagedError(f"the search index in {directory} is damaged ({exc}); {what}")


def _sqlite_uri(path: str) -> str:
    """A read-only SQLite URI; '%', '?' and '#' in a directory name must not end the path."""
    escaped = path.replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    return f"file:{escaped}?mode=ro"


def _open_ro(path: str, key: str) -> sqlite3.Connection | None:
    try:
        con = sqlite3.connect(_sqlite_uri(path), uri=True, check_same_thread=False)
    except sqlite3.Error:
        return None
    try:
        row = con.execute("SELECT value FROM meta WHERE key='key'").fetchone()
    except sqlite3.DatabaseError:
        con.close()
        return None
    if not row or row[0] != key:
        con.close()
        return None
    return con


def _cleanup(directory: str, keep: str, base: str | None = None) -> None:
    """Remove older indexes (not ``base``, the bundled catalogue's index that imports update
    from), and temp files that a killed build left more than an hour ago."""
    now = time.time()
    with contextlib.suppress(OSError):
        for name in os.listdir(directory):
            old = os.path.join(directory, name)
            if name.startswith("index-") and name.endswith(".sqlite") and old not in (keep, base):
                os.unlink(old)
            elif name.startswith(".index-") and name.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    if now - os.stat(old).st_mtime > 3600:
                        os.unlink(old)


def _base_index(cat: str, first_line: bytes, directory: str) -> str | None:
    """The index of the bundled catalogue without layers, if one is at hand: the cache's, else
    the wheel's prebuilt one. Imports update a copy of it instead of rebuilding everything."""
    own = os.path.join(directory, f"index-{index_key(cat, first_line, [])}.sqlite")
    candidates = [(own, index_key(cat, first_line, []))]
    if os.environ.get(ENV_PREBUILT, "1") != "0" and os.path.isfile(PREBUILT):
        with contextlib.suppress(OSError):
            candidates.append((PREBUILT, bundled_key(first_line)))
    for path, key in candidates:
        con = _open_ro(path, key) if os.path.isfile(path) else None
        if con is not None:
            con.close()
            return path
    return None


def _empty(tmp: str) -> None:
    """The update may copy the base into ``tmp`` before it gives up: the full rebuild that
    follows must start from an empty database file."""
    with open(tmp, "wb"):
        pass


def _update_index(base: str, tmp: str, cat: str, layers: list[str], key: str, progress: bool) -> bool:
    """Apply the layers to a copy of ``base`` (see index_delta); False means rebuild instead."""
    started = time.perf_counter()
    try:
        from .catalogue import read_header
        from .index_delta import NotApplicable, update

        try:
            update(base, tmp, read_header(cat)["systems"], layers, key)
        except NotApplicable:  # overlay layers, or the indexes point into a replaced system
            _empty(tmp)
            return False
    except CodelookupError:
        raise
    except Exception:
        if os.environ.get("CODELOOKUP_DEBUG"):
            raise
        _empty(tmp)
        return False
    if progress:
        took = time.perf_counter() - started
        print(f"codelookup: search index ready ({took:.1f} s)", file=sys.stderr)
    return True


PREBUILT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_data", "index.sqlite")
ENV_PREBUILT = "CODELOOKUP_PREBUILT"
ENV_PARALLEL = "CODELOOKUP_PARALLEL_BUILD"  # "0": build the index in one process


def bundled_key(first_line: bytes) -> str:
    """Content identity of an index built from a catalogue without layers.

    Unlike :func:`index_key` it names no path or file time, so the index built into the wheel
    at packaging time still matches after installation, for that catalogue and no other.
    """
    parts = [str(INDEX_VERSION), __version__, f"{zlib.crc32(first_line):08x}"]
    data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
    for name in ("synonyms.tsv", "common_codes.tsv"):
        with open(os.path.join(data, name), "rb") as fh:
            parts.append(f"{zlib.crc32(fh.read()):08x}")
    from .indexes import bundled_key_part

    parts.append(bundled_key_part())
    raw = "\x1f".join(parts).encode()
    return f"b{zlib.crc32(raw):08x}{zlib.adler32(raw):08x}"


def build_bundled_index(db_path: str, cat: str | Path) -> str:
    """Build the prebuilt index shipped in the wheel (run by the packaging hook)."""
    key = bundled_key(read_first_line(cat))
    build_index(db_path, cat, key, progress=False, use_layers=False)
    return key


def _prebuilt(cat: str, first_line: bytes, layers: list[str]) -> sqlite3.Connection | None:
    """The wheel's own index, when it fits: no imported layers and the same catalogue."""
    if layers or os.environ.get(ENV_PREBUILT, "1") == "0" or not os.path.isfile(PREBUILT):
        return None
    from .indexes import imported_file

    if os.path.isfile(imported_file()):  # the user's official Alphabetic Index replaces the bundled one
        return None
    try:
        key = bundled_key(first_line)
    except OSError:
        return None
    return _open_ro(PREBUILT, key)


class _BuildLock:
    """An exclusive lock on the cache directory while one process builds the index.

    Ten processes starting at once on a cold cache then build once: the others wait, find
    the finished index and use it. Where locking is unavailable, each builds its own copy and
    the atomic rename still leaves one valid index.
    """

    def __init__(self, directory: str) -> None:
        self.fd: int | None = None
        try:
            import fcntl

            self.fd = os.open(os.path.join(directory, ".build.lock"), os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except (ImportError, OSError):
            self.release()

    def release(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)  # closing drops the flock
            self.fd = None


def connect(progress: bool = True) -> sqlite3.Connection:
    """An open, valid index for the current catalogue and layers, building it if needed."""
    cat = catalogue_file()
    first_line = read_first_line(cat)
    layers = _layer_files()
    con = _prebuilt(cat, first_line, layers)
    if con is not None:
        return con
    key = index_key(cat, first_line, layers)
    directory = cache_dir_str()
    path = os.path.join(directory, f"index-{key}.sqlite")
    con = _open_ro(path, key)
    if con is not None:
        return con
    tmp: str | None = None
    lock: _BuildLock | None = None
    try:
        os.makedirs(directory, exist_ok=True)
        lock = _BuildLock(directory)
        con = _open_ro(path, key)  # built by another process while this one waited
        if con is not None:
            lock.release()
            return con
        import tempfile

        fd, tmp = tempfile.mkstemp(prefix=".index-", suffix=".tmp", dir=directory)
        os.close(fd)
    except OSError:
        tmp = None
    why = "updating the search index after the import" if layers else "building the search index (first run)"
    if tmp is None:
        # No writable cache directory: build in memory; slower per run, but it works.
        if progress:
            print(f"codelookup: {why}, a few seconds…", file=sys.stderr)
        if lock is not None:
            lock.release()
        con = sqlite3.connect(":memory:", check_same_thread=False)
        header2, pcs_tables, records = open_catalogue(cat)
        systems, pcs_tables, records = _merge_layers(header2, pcs_tables, records)
        _fill(con, header2, systems, pcs_tables, records, key, False)
        return con
    base = _base_index(cat, first_line, directory) if layers else None
    try:
        if progress:  # announced inside the try: an interrupt right after it still removes tmp
            print(f"codelookup: {why}, a few seconds…", file=sys.stderr)
        if base is None or not _update_index(base, tmp, cat, layers, key, progress):
            build_index(tmp, cat, key, progress)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    finally:
        if lock is not None:
            lock.release()
    _cleanup(directory, path, base)
    con = _open_ro(path, key)
    if con is None:  # pragma: no cover - replaced under our feet by a broken writer
        raise CatalogueError(f"{path}: could not open the freshly built search index")
    return con
