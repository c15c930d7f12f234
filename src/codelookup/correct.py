"""Query correction: turn a sloppy query into the query the user meant, before searching.

Correcting word by word inside the ranking (one slot widened to a few look-alike words) loses
the rest of the pipeline: a corrected word never forms a synonym phrase with its neighbours
('hart attack' never becomes the 'heart attack' entry) and look-alikes such as 'store' for
'storke' get mixed into the results. So this module rewrites the whole query first and the
search then runs on the rewritten text exactly as if it had been typed: a confident correction
gives exactly the corrected query's results.

What it fixes, for words neither the catalogue vocabulary nor the synonym table knows:
- typos within one or two edits (insertions, deletions, substitutions, transpositions), against
  the index vocabulary (titles, official terms, our aliases) and the synonym table's own words
  ('aifb' -> 'afib', 'hvies' -> 'hives');
- phonetic spellings that edit distance misses ('skitsofrenia' -> 'schizophrenia'), through a
  small phonetic key of our own (:func:`phonetic_key`, no dependency);
- words split or glued ('bi polar' -> 'bipolar', 'ring worm' -> 'ringworm').
Candidates are chosen in context: a correction that completes a synonym phrase or co-occurs
with the other query words beats one that does not ('nee replacment' -> 'knee replacement').

Cost: a correctly spelled query only does set look-ups here (the vocabulary and the synonym
table are loaded by the search anyway); SQLite look-ups and distance computations run only for
unknown words. Nothing here imports rapidfuzz or any phonetic library.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain, product

from .models import Frozen
from .text import STOPWORDS, deletes1, osa_distance, stem, words

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - for the checker only
    from .search import Searcher

MAX_CANDIDATES = 4  # per unknown word
MAX_UNKNOWN = 4  # unknown words corrected per query (the rest are left to the search)
MAX_COMBOS = 64
PHRASE_BONUS = 2.0  # a correction that completes a synonym-table phrase
SYNONYM_WORD_BONUS = 0.6  # a single-word synonym-table entry: a lay word people type
TRANSPOSITION_BONUS = 0.3  # the commonest typing slip, and an unambiguous one
COOC_WEIGHT = 0.35  # per decade of records sharing all the query's words
DF_WEIGHT = 0.2  # per decade of records containing the word
CONFIDENT_MARGIN = 0.5
OMISSION_BONUS = 0.6
RARE_DF = 2  # a known word this rare may itself be a misspelling in the catalogue's text
CONFUSION_RATIO = 100  # ... when a word one edit away is this many times more frequent
RARE_TYPED_BONUS = 0.5  # the benefit of the doubt for the word as typed
SOUND_BONUS = 0.3


class Correction(Frozen):
    """The rewritten query, whether it differs, and the runner-up reading if close."""

    __slots__ = ("alternative", "changed", "confident", "text")
    text: str
    changed: bool
    confident: bool
    alternative: str

    def __init__(self, text: str, changed: bool, confident: bool = True, alternative: str = "") -> None:
        self._init(text=text, changed=changed, confident=confident, alternative=alternative)


# -- phonetic key ----------------------------------------------------------------------------
_SPELLINGS = (
    ("sth", "s"),  # asthma: the 'th' is silent
    ("sch", "sk"),
    ("tch", "ch"),
    ("ph", "f"),
    ("ch", "k"),
    ("ck", "k"),
    ("q", "k"),
    ("x", "ks"),
)
_SOUNDS = (("dg", "j"), ("ts", "s"), ("tz", "s"), ("z", "s"), ("th", "t"), ("y", "i"))


def phonetic_key(word: str) -> str:  # changing it means bumping index.INDEX_VERSION
    """A coarse sound-alike key: consonant skeleton after English spelling rules.

    'schizophrenia' and 'skitsofrenia' both give 'sksfrn'; 'pharyngitis' and 'faringitis'
    both give 'frnjts'. Deliberately simpler than Metaphone: it only has to group the
    spellings people produce for medical words, and ties are broken by edit distance. Plain
    string operations, no regular expressions: it runs on the cold path of a misspelt query.
    """
    w = word.lower()
    if w[:2] in ("ps", "pn", "kn", "gn", "wr"):  # silent first letters: psoriasis, pneumonia, knee
        w = w[1:]
    elif w[:2] == "rh":  # rheumatism
        w = "r" + w[2:]
    for a, b in _SPELLINGS:
        w = w.replace(a, b)
    out = []
    for i, ch in enumerate(w):
        soft = i + 1 < len(w) and w[i + 1] in "eiy"
        if ch == "c":
            ch = "s" if soft else "k"
        elif ch == "g" and soft:
            ch = "j"
        out.append(ch)
    w = "".join(out)
    for a, b in _SOUNDS:
        w = w.replace(a, b)
    if not w:
        return w
    skeleton = [w[0]]
    for ch in w[1:]:  # no h, vowels or w after the first letter; no doubled letters
        if ch not in "haeiouw" and ch != skeleton[-1]:
            skeleton.append(ch)
    return "".join(skeleton)


def _plural_like(typed: str, word: str) -> str:
    """The vocabulary holds stems ('complication', 'calory'); a typed plural ('compliations')
    is corrected to the plural form with that stem, so the rewritten query reads as meant and
    finds the same synonym phrases ('kidney stones')."""
    if not typed.endswith("s") or word.endswith("s"):
        return word
    forms = [word + "s", word + "es"] + ([word[:-1] + "ies"] if word.endswith("y") else [])
    fitting = [f for f in forms if stem(f) == word]
    if not fitting:
        return word
    best = min(fitting, key=lambda f: osa_distance(typed, f, len(f)))
    return best if osa_distance(typed, best, len(best)) < osa_distance(typed, word, len(word)) else word


def _subsequence(short: str, long: str) -> bool:
    """Whether every letter of ``short`` appears in ``long`` in order."""
    it = iter(long)
    return all(ch in it for ch in short)


# -- building (called by the index builder) --------------------------------------------------
def synonym_words(syn: Iterable[str]) -> set[str]:
    """Words of the synonym table's terms (a term's words are what people type)."""
    out: set[str] = set()
    for term in syn:
        out.update(term.split())
    return out


def build_tables(
    con: sqlite3.Connection, vocab: Sequence[str], syn: Iterable[str], kinds: Mapping[str, str] | None = None
) -> None:
    """Correction tables: deletes of synonym-only words, phonetic keys of every word, phrase
    patterns, and the kind (dx, proc...) of each synonym term, which the ranking reads as intent."""
    known = set(vocab)
    extra = sorted(w for w in synonym_words(syn) if w not in known and len(w) >= 3 and not w.isdigit())
    con.executescript(
        """
        CREATE TABLE cdel(key TEXT, word TEXT, PRIMARY KEY(key, word)) WITHOUT ROWID;
        CREATE TABLE phon(key TEXT, word TEXT, PRIMARY KEY(key, word)) WITHOUT ROWID;
        CREATE TABLE sword(word TEXT PRIMARY KEY) WITHOUT ROWID;
        CREATE TABLE sphr(pattern TEXT, word TEXT, PRIMARY KEY(pattern, word)) WITHOUT ROWID;
        CREATE TABLE skind(term TEXT PRIMARY KEY, kind TEXT) WITHOUT ROWID;
        """
    )
    con.executemany("INSERT OR IGNORE INTO skind VALUES (?,?)", sorted((kinds or {}).items()))
    con.executemany("INSERT INTO sword VALUES (?)", ((w,) for w in extra))
    patterns: set[tuple[str, str]] = set()
    for term in syn:
        parts = term.split()
        if len(parts) >= 2:
            for k in range(len(parts)):
                patterns.add((" ".join((*parts[:k], "*", *parts[k + 1 :])), parts[k]))
    con.executemany("INSERT INTO sphr VALUES (?,?)", sorted(patterns))
    con.executemany("INSERT OR IGNORE INTO cdel VALUES (?,?)", ((d, w) for w in extra for d in deletes1(w)))
    con.executemany(
        "INSERT OR IGNORE INTO phon VALUES (?,?)",
        ((phonetic_key(w), w) for w in (*vocab, *extra) if len(w) >= 5 and w.isalpha()),
    )


# -- query side ------------------------------------------------------------------------------
class Corrector:
    """Rewrites queries against one index (held by a :class:`~codelookup.search.Searcher`)."""

    def __init__(self, searcher: Searcher) -> None:
        self.s = searcher
        self._syn_word: dict[str, bool] = {}  # words of synonym terms outside the vocabulary
        self._has_tables: bool | None = None

    def known(self, w: str) -> bool:
        """A word the catalogue or the synonym table knows (or one too short to correct)."""
        if w in STOPWORDS or w.isdigit() or len(w) <= 2 or any(c.isdigit() for c in w):
            return True
        vs = self.s.vocab_set
        if w in vs or stem(w) in vs or w in self.s.synonyms:
            return True
        found = self._syn_word.get(w)
        if found is None:
            if self._tables():
                found = self.s.con.execute("SELECT 1 FROM sword WHERE word=?", (w,)).fetchone() is not None
            else:
                found = w in synonym_words(self.s.synonyms)
            self._syn_word[w] = found
        return found

    def df(self, w: str) -> int:
        """Records containing the word (the vocabulary is sorted: a binary search, no dict)."""
        from bisect import bisect_left

        vocab = self.s.vocab
        for form in (w, stem(w)):
            i = bisect_left(vocab, form)
            if i < len(vocab) and vocab[i] == form:
                return self.s.df[i]
        return 0

    def cooc(self, ws: Sequence[str]) -> int:
        """Records whose title, aliases or official terms hold every content word."""
        content = [stem(w) for w in ws if w not in STOPWORDS]
        if not content:
            return 0
        postings = sorted((self.s.postings(w)[:3] for w in dict.fromkeys(content)), key=lambda p: sum(map(len, p)))
        docs = set(chain.from_iterable(postings[0]))  # the rarest word's records, then narrowed
        for fields in postings[1:]:
            if not docs:
                return 0
            docs = docs.intersection(chain.from_iterable(fields))  # no set built for common words
        return len(docs)

    def _tables(self) -> bool:
        if self._has_tables is None:
            row = self.s.con.execute("SELECT 1 FROM sqlite_master WHERE name='phon'").fetchone()
            self._has_tables = row is not None
        return self._has_tables

    def candidates(self, w: str) -> list[tuple[str, float]]:
        """Look-alike known words for an unknown word, each with its own (context-free) score."""
        con = self.s.con
        forms = {w, stem(w)}
        keys: set[str] = set()
        for f in forms:
            if 3 <= len(f) <= 40:
                keys |= deletes1(f)
        found: set[str] = set()
        if keys:
            marks = ",".join("?" * len(keys))
            found.update(r[0] for r in con.execute(f"SELECT word FROM del1 WHERE key IN ({marks})", list(keys)))
            if self._tables():
                found.update(r[0] for r in con.execute(f"SELECT word FROM cdel WHERE key IN ({marks})", list(keys)))
        max_d = 1 if len(w) <= 4 else 2
        scored: dict[str, float] = {}
        for c in found:
            d = min(osa_distance(f, c, max_d) for f in forms)
            if d <= max_d:
                scored[c] = self._word_score(w, c, d)
        key = phonetic_key(w)
        if self._tables() and len(w) >= 4 and len(key) >= 3:
            for (c,) in con.execute("SELECT word FROM phon WHERE key=?", (key,)):
                if c in scored:
                    continue
                d = osa_distance(w, c, len(w))
                if d <= max(3, len(w) // 2):
                    scored[c] = self._word_score(w, c, 2) - 0.2  # sound-alike, not a slip
        ranked = sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))
        return [(_plural_like(w, c), score) for c, score in ranked[:MAX_CANDIDATES]]

    def confusions(self, w: str) -> list[tuple[str, float]]:
        """For a known but rare word (document frequency <= RARE_DF), common words one edit
        away that are far more frequent: the word itself may be a slip that made it into a
        title or descriptor. Empty for ordinary words, so they are never second-guessed."""
        if len(w) < 4 or w in STOPWORDS or not w.isalpha() or w in self.s.synonyms:
            return []
        df = self.df(w)
        if df > RARE_DF:
            return []
        out = []
        for c, score in self.candidates(w):
            # Only slips that lose or swap letters ('replacment', 'recieve'): a substituted
            # letter makes another real word too often ('nailing' is not 'failing').
            slip = (len(c) == len(w) + 1 and _subsequence(w, c)) or (len(c) == len(w) and sorted(c) == sorted(w))
            if slip and osa_distance(w, c, 1) <= 1 and self.df(c) >= CONFUSION_RATIO * max(1, df):
                out.append((c, score))
        return out

    def _word_score(self, w: str, c: str, d: int) -> float:
        """Context-free plausibility of reading ``w`` as ``c`` (higher is better)."""
        score = -float(d)
        if d == 1 and len(w) == len(c) and sorted(w) == sorted(c):
            score += TRANSPOSITION_BONUS
        if len(c) > len(w) and _subsequence(w, c):
            score += OMISSION_BONUS  # letters left out ('sorisis', 'concusion'): the usual slip
        if phonetic_key(w) == phonetic_key(c):
            score += SOUND_BONUS  # spelt as it sounds
        expansions = self.s.synonyms.get(c)
        if expansions and not any(osa_distance(c, e, 2) <= 2 for e in expansions):
            score += SYNONYM_WORD_BONUS  # a lay word, not a spelling variant ('haemorrhoids')
        score += DF_WEIGHT * math.log10(1 + self.df(c))
        return score

    def phrase_candidates(self, ws: Sequence[str], j: int) -> list[tuple[str, float]]:
        """Words that would complete a synonym-table phrase at position ``j`` of the query
        ('high blood pleasure' -> 'pressure'), within a few edits of what was typed."""
        w = ws[j]
        if not self._tables():
            return []
        patterns = [
            " ".join((*ws[start:j], "*", *ws[j + 1 : start + n]))
            for n in (2, 3, 4)
            for start in range(max(0, j - n + 1), min(j, len(ws) - n) + 1)
        ]
        if not patterns:
            return []
        marks = ",".join("?" * len(patterns))
        found = {r[0] for r in self.s.con.execute(f"SELECT word FROM sphr WHERE pattern IN ({marks})", patterns)}
        out: dict[str, float] = {}
        limit = max(2, len(w) // 3)
        for c in found:
            d = osa_distance(w, c, limit)
            if d <= limit:
                out[c] = self._word_score(w, c, d)
        return sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_CANDIDATES]

    def _has_prefix(self, w: str) -> bool:
        from bisect import bisect_left

        vocab = self.s.vocab
        i = bisect_left(vocab, w)
        return i < len(vocab) and vocab[i].startswith(w)

    # -- joins and splits -----------------------------------------------------------------
    def _joins(self, ws: list[str]) -> list[str]:
        """'bi polar' -> 'bipolar', 'ring worm' -> 'ringworm' when the glued word is known
        and the separate words do not already belong together."""
        out: list[str] = []
        i = 0
        syn = self.s.synonyms
        while i < len(ws):
            if i + 1 < len(ws):
                a, b = ws[i], ws[i + 1]
                glued = a + b
                if (
                    not (a in STOPWORDS and b in STOPWORDS)
                    and a.isalpha()
                    and b.isalpha()
                    and len(a) >= 2
                    and len(b) >= 2
                    and f"{a} {b}" not in syn
                    and self.known(glued)
                    and (not self.known(a) or not self.known(b) or not self._adjacent(a, b))
                ):
                    out.append(glued)
                    i += 2
                    continue
            out.append(ws[i])
            i += 1
        return out

    def _adjacent(self, a: str, b: str) -> bool:
        """Whether 'a b' occurs as a phrase in some title (then it is not a split word)."""
        if f"{a} {b}" in self.s.synonyms:
            return True
        content = [stem(x) for x in (a, b) if x not in STOPWORDS]
        docs: set[int] | None = None
        for x in content:
            here = set(self.s.postings(x)[0])
            docs = here if docs is None else docs & here
        if not docs:
            return False
        if len(docs) > 300:
            return True  # common together: surely a phrase somewhere
        ids = sorted(docs)
        marks = ",".join("?" * len(ids))
        phrase = f"{a} {b}"
        for (title,) in self.s.con.execute(f"SELECT title FROM rec WHERE id IN ({marks})", ids):
            if phrase in " ".join(words(title)):
                return True
        return False

    def _split(self, w: str) -> list[str] | None:
        """'heartattack' -> ['heart', 'attack'] when the halves form a synonym phrase or
        co-occur in the catalogue."""
        if len(w) < 6 or not w.isalpha():
            return None
        best: tuple[int, list[str]] | None = None
        for i in range(3, len(w) - 2):
            a, b = w[:i], w[i:]
            if not (self.known(a) and self.known(b)) or a in STOPWORDS or b in STOPWORDS:
                continue
            n = 10**6 if f"{a} {b}" in self.s.synonyms else self.cooc([a, b])
            if n and (best is None or n > best[0]):
                best = (n, [a, b])
        return best[1] if best else None

    # -- the rewrite ----------------------------------------------------------------------
    def correct(self, text: str) -> Correction:
        ws = words(text)
        if not ws or len(ws) > 24:
            return Correction(" ".join(ws), False)
        joined = self._joins(ws)
        options: list[list[tuple[str, float]]] = []
        unknown = 0
        for j, w in enumerate(joined):
            if self.known(w):
                confusions = self.confusions(w)
                if confusions:
                    # A word the catalogue has only once or twice, one slip from a common one
                    # ('replacment' in one descriptor): both readings compete, context decides.
                    options.append([(w, DF_WEIGHT * math.log10(1 + self.df(w)) + RARE_TYPED_BONUS), *confusions])
                else:
                    options.append([(w, 0.0)])
                continue
            split = self._split(w)
            if split is not None:
                options.append([(" ".join(split), -0.5)])
                continue
            unknown += 1
            if unknown > MAX_UNKNOWN:
                options.append([(w, 0.0)])
                continue
            cands = self.candidates(w)
            if len(joined) > 1:
                seen = {c for c, _ in cands}
                cands += [cw for cw in self.phrase_candidates(joined, j) if cw[0] not in seen]
            opts: list[tuple[str, float]] = []
            if self._has_prefix(w):
                # A partial word the search completes by prefix ('diab'): a reading of its own.
                opts.append((w, -1.2 if j == len(joined) - 1 else -1.6))
            opts.extend(cands)
            options.append(opts or [(w, 0.0)])
        if joined == ws and all(len(o) == 1 and o[0][0] == w for o, w in zip(options, ws, strict=True)):
            return Correction(" ".join(ws), False)
        readings: list[tuple[float, list[str]]] = []
        multi = sum(1 for o in options if len(o) > 1)
        for combo in list(product(*options))[:MAX_COMBOS]:
            reading = [c for c, _ in combo]
            score = sum(s for _, s in combo)
            flat = " ".join(reading).split()
            changed = {k for k, (c, _) in enumerate(combo) if c != joined[k]}
            score += self._phrase_bonus(reading, changed)
            if multi and len(flat) > 1:
                score += COOC_WEIGHT * math.log10(1 + self.cooc(flat))
            readings.append((score, flat))
        readings.sort(key=lambda r: (-r[0], r[1]))
        best_score, best = readings[0]
        text_out = " ".join(best)
        if text_out == " ".join(ws):
            return Correction(text_out, False)
        alt = ""
        confident = True
        for score, other in readings[1:]:
            if " ".join(other) != text_out:
                confident = best_score - score >= CONFIDENT_MARGIN
                if not confident:
                    alt = " ".join(other)
                break
        return Correction(text_out, True, confident, alt)

    def _phrase_bonus(self, reading: list[str], changed: set[int]) -> float:
        """Bonus when a corrected word completes a phrase of the synonym table."""
        if not changed:
            return 0.0
        syn = self.s.synonyms
        bonus = 0.0
        for n in (4, 3, 2):
            for i in range(0, len(reading) - n + 1):
                if changed & set(range(i, i + n)) and " ".join(reading[i : i + n]) in syn:
                    bonus = max(bonus, PHRASE_BONUS * (1 + 0.1 * n))
        return bonus
