"""Lay-language synonym table used to widen search queries.

The table lives in ``codelookup/data/synonyms.tsv`` (format in ``docs/synonyms.md``). It is read
through :mod:`importlib.resources` so it works from a wheel, a zip or a source checkout, and the
module imports nothing heavy because it sits on the start-up path of every search.

Keys are normalised with :func:`codelookup.text.words`, the tokenizer the search applies to
queries, so ``c-section`` in the file and ``C Section`` typed by a user meet on ``"c section"``.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

from .text import words

__all__ = [
    "HEADER",
    "KINDS",
    "MAX_TERM_WORDS",
    "SynonymFormatError",
    "load_kinds",
    "load_synonyms",
    "normalise_term",
    "parse_synonyms",
]

HEADER = ("term", "expansions", "kind")
KINDS = frozenset({"dx", "proc", "anat", "abbr", "drug", "general"})
# The search looks for phrases of at most this many words; a longer term could never match.
MAX_TERM_WORDS = 4

_PACKAGE = "codelookup"
_RESOURCE = ("data", "synonyms.tsv")


class SynonymFormatError(ValueError):
    """Raised when the shipped table is malformed: a packaging bug, not a user error."""


def normalise_term(term: str) -> str:
    """The key a term is stored under: the query tokenizer's words joined by single spaces."""
    return " ".join(words(term))


def parse_synonyms(text: str) -> dict[str, tuple[str, ...]]:
    """Parse the TSV text into ``normalised term -> expansions``.

    Kept separate from :func:`load_synonyms` so tests can feed small tables, and strict so a bad
    edit to the data file fails loudly in CI instead of silently weakening search.
    """
    table: dict[str, tuple[str, ...]] = {}
    header_seen = False
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = tuple(line.split("\t"))
        if not header_seen:
            if fields != HEADER:
                raise SynonymFormatError(f"line {lineno}: expected header {HEADER!r}")
            header_seen = True
            continue
        if len(fields) != 3:
            raise SynonymFormatError(f"line {lineno}: expected 3 tab-separated fields")
        term, expansions_field, kind = (f.strip() for f in fields)
        if not term or term != term.lower():
            raise SynonymFormatError(f"line {lineno}: term must be non-empty lower case")
        if kind not in KINDS:
            raise SynonymFormatError(f"line {lineno}: unknown kind {kind!r}")
        expansions = tuple(e.strip() for e in expansions_field.split("|"))
        if not expansions or any(not e or e != e.lower() for e in expansions):
            raise SynonymFormatError(f"line {lineno}: empty or non-lower-case expansion")
        key = normalise_term(term)
        if not key or len(key.split()) > MAX_TERM_WORDS:
            raise SynonymFormatError(f"line {lineno}: term must have 1-{MAX_TERM_WORDS} words")
        if key in table:
            # Also catches "x-ray" next to "x ray": the index stores keys as a primary key.
            raise SynonymFormatError(f"line {lineno}: duplicate term {term!r}")
        table[key] = expansions
    if not header_seen:
        raise SynonymFormatError("missing header line")
    return table


def _table_text() -> str:
    return files(_PACKAGE).joinpath(*_RESOURCE).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _load_cached() -> tuple[tuple[str, tuple[str, ...]], ...]:
    # Cached as an immutable tuple so every caller gets a fresh dict it may mutate safely.
    return tuple(parse_synonyms(_table_text()).items())


def load_synonyms() -> dict[str, tuple[str, ...]]:
    """Return the shipped table as ``normalised term -> expansions`` (a fresh dict per call)."""
    return dict(_load_cached())


def load_kinds() -> dict[str, str]:
    """``normalised term -> kind`` (dx, proc, anat, ...): search reads a query's intent from it
    ('the flu' names a condition, 'c-section' a procedure)."""
    kinds: dict[str, str] = {}
    for line in _table_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) == 3 and tuple(fields) != HEADER:
            kinds[normalise_term(fields[0].strip())] = fields[2].strip()
    return kinds
