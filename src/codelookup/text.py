"""Text normalisation shared by the index builder and the query side.

Both sides must tokenise identically, otherwise a word indexed one way is searched another way;
keeping it in one small module (standard library only, cheap to import) guarantees that.
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[a-z0-9]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")

# Words too common to help ranking; they are skipped in queries and in the index.
STOPWORDS: frozenset[str] = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "of",
        "on",
        "or",
        "the",
        "to",
        "via",
        "w",
        "with",
        "without",
    ]
)
# Words that say "this is the general code": they do not count against title coverage.
GENERIC: frozenset[str] = frozenset(
    ["unspecified", "nos", "not", "elsewhere", "classified", "site", "type", "initial", "encounter", "approach"]
)
_PARENS = re.compile(r"\([^)]*\)")


def without_parentheses(text: str) -> str:
    """Drop ICD-10-CM nonessential modifiers: '(primary)' does not make a title more specific."""
    return _PARENS.sub(" ", text)


def code_shaped(key: str) -> bool:
    """Whether a normalised string has the shape of a code in some system (see the registry)."""
    from .systems import registry

    return any(s.matches_code(key) for s in registry.ordered())


def clean_text(text: str) -> str:
    """Remove terminal escape sequences and control characters; collapse white space."""
    text = _ANSI.sub(" ", text)
    text = _CONTROL.sub(" ", text)
    return " ".join(text.split())


# Letters that NFKD does not decompose, and apostrophe look-alikes (curly quotes, primes,
# modifier letters) that must vanish like a plain apostrophe: "Behçet’s" = "behcets".
_FOLD_TABLE = str.maketrans(
    {
        "æ": "ae",
        "œ": "oe",
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
        "\u2019": "",
        "\u2018": "",
        "\u02bc": "",
        "\u2032": "",
        "`": "",
        "\u00b4": "",
    }
)


def fold(text: str) -> str:
    """Case-fold and strip accents so that 'Ménière' matches 'meniere' and 'ß' matches 'ss'.

    The same function runs on catalogue text at build time and on queries, so both sides agree
    on every accented letter, ligature and typographic apostrophe.
    """
    if text.isascii():
        return text.lower()
    text = text.casefold().translate(_FOLD_TABLE)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """All word tokens of a text, folded, stopwords kept (used for phrases and synonyms)."""
    return _WORD.findall(fold(text).replace("'", ""))


def index_terms(text: str) -> list[str]:
    """The tokens that are indexed and searched: words without stopwords."""
    return [w for w in words(text) if w not in STOPWORDS]


# Singular words that end like plurals; stripping their "s" would hide them from typo matching.
_NOT_PLURAL: frozenset[str] = frozenset(
    [
        "diabetes",
        "herpes",
        "rabies",
        "scabies",
        "species",
        "series",
        "feces",
        "faeces",
        "caries",
        "menses",
        "measles",
        "mumps",
        "shingles",
        "rickets",
        "lues",
        "pubes",
        "mellitus",
        "various",
        "nervous",
        "venous",
        "serous",
        "mucous",
        "fibrous",
        "news",
        "biceps",
        "triceps",
        "quadriceps",
        "forceps",
        "lens",  # 'lenses' stems to 'lens': 'contact lenses' must find 'Contact lens' (V25xx)
    ]
)


# Plurals in -es whose singular ends in -e ('causes'), and Greek -ses plurals of -sis singulars
# ('metastases'): neither rule below gets them right.
_PLURAL_EXCEPTIONS: dict[str, str] = {
    "causes": "cause", "abuses": "abuse", "uses": "use", "misuses": "misuse", "overuses": "overuse",
    "fuses": "fuse", "houses": "house", "excuses": "excuse", "refuses": "refuse", "spouses": "spouse",
    "blouses": "blouse", "mouses": "mouse", "bruises": "bruise", "cruises": "cruise",
    "metastases": "metastasis", "prostheses": "prosthesis", "diagnoses": "diagnosis",
    "anastomoses": "anastomosis", "stenoses": "stenosis", "psychoses": "psychosis",
    "neuroses": "neurosis", "thromboses": "thrombosis", "analyses": "analysis", "paralyses": "paralysis",
    "dialyses": "dialysis", "syntheses": "synthesis", "hypotheses": "hypothesis", "crises": "crisis",
    "theses": "thesis", "axes": "axis", "lenses": "lens", "calories": "calorie",
    "microcuries": "microcurie", "millicuries": "millicurie",
}  # fmt: skip


def stem(word: str) -> str:
    """A deliberately tiny plural stemmer: enough to join 'fractures'/'fracture'.

    '-es' is dropped only after a sibilant that a singular cannot end with an 'e' after ('glasses',
    'boxes', 'buzzes', 'rashes', 'crutches', 'viruses'); elsewhere only the 's' ('diseases',
    'headaches', 'sizes', 'doses' keep the singular's 'e').
    """
    if word in _NOT_PLURAL:
        return word
    exception = _PLURAL_EXCEPTIONS.get(word)
    if exception is not None:
        return exception
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and (
        word.endswith(("sses", "xes", "zzes", "shes", "uses"))
        or (word.endswith("ches") and not (word.endswith("aches") and (len(word) == 5 or word[-6] not in "aeiou")))
    ):  # ('headaches', 'aches' keep the e; 'approaches', 'reaches' do not)
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def norm_code(text: str) -> str:
    """The lookup key of a code: upper case, no dots, no spaces ('e11.9 ' -> 'E119')."""
    return "".join(ch for ch in text.upper() if ch.isalnum() or ch in "*?-")


def osa_distance(a: str, b: str, limit: int = 3) -> int:
    """Optimal string alignment distance (Levenshtein plus adjacent transpositions).

    Only ever run on a handful of candidates found through the delete-neighbourhood table, so a
    plain Python implementation is fast enough and avoids importing rapidfuzz on the hot path.
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def deletes1(word: str) -> set[str]:
    """All strings one deletion away (SymSpell's neighbourhood), plus the word itself."""
    out = {word}
    for i in range(len(word)):
        out.add(word[:i] + word[i + 1 :])
    return out
