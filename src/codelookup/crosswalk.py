"""ICD-9-CM <-> ICD-10 through the CMS General Equivalence Mappings (GEMs), both ways.

The GEMs live in their own file (``crosswalk.tsv``, written by ``python -m codelookup.build``;
layout in :func:`codelookup.build.icd9.crosswalk_bytes`), never in the search index, so that
``search`` and ``show`` of codes without equivalents do not pay for them. A single lookup seeks
to one section of the file and finds its line with one ``bytes.find``; a batch turns the
sections it touches into dictionaries once.

Vocabulary, as CMS uses it: the *forward* GEM maps ICD-9-CM to ICD-10, the *backward* GEM maps
ICD-10 to ICD-9-CM. Each can be read from its source side (where does this code map?) or from
its target side (which codes map to this one?); ``crosswalk`` shows both GEMs for any code, so
an ICD-9-CM code shows the forward GEM read from the source side and the backward GEM read
from the target side, and an ICD-10 code the other way round.
"""

from __future__ import annotations

import json
import os

from .errors import CatalogueError, NotFoundError, UsageError
from .systems import registry
from .text import clean_text

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - for the checker only (import cost)
    from collections.abc import Callable
    from typing import Any

ENV_CROSSWALK = "CODELOOKUP_CROSSWALK"
FILE_NAME = "crosswalk.tsv"
RETIRED_NOTE = "ICD-9-CM is retired: not valid for services after 2015-09-30"
DEFAULT_FLAGS = "10000"

# GEM name -> (source system, target system, kind, forward/backward)
GEMS: dict[str, tuple[str, str, str, str]] = {
    "dx9to10": ("ICD-9-CM", "ICD-10-CM", "diagnosis", "forward"),
    "dx10to9": ("ICD-10-CM", "ICD-9-CM", "diagnosis", "backward"),
    "pr9to10": ("ICD-9-CM", "ICD-10-PCS", "procedure", "forward"),
    "pr10to9": ("ICD-10-PCS", "ICD-9-CM", "procedure", "backward"),
}
# What a query code can be: (system, kind) -> (GEM read from the source side, GEM read from the target side)
READINGS: dict[tuple[str, str], tuple[str, str]] = {
    ("ICD-9-CM", "diagnosis"): ("dx9to10", "dx10to9"),
    ("ICD-9-CM", "procedure"): ("pr9to10", "pr10to9"),
    ("ICD-10-CM", "diagnosis"): ("dx10to9", "dx9to10"),
    ("ICD-10-PCS", "procedure"): ("pr10to9", "pr9to10"),
}


def crosswalk_file() -> str:
    """``$CODELOOKUP_CROSSWALK``, the copy in the wheel, or the checkout's ``data/crosswalk.tsv``."""
    env = os.environ.get(ENV_CROSSWALK)
    if env:
        return os.path.expanduser(env)
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (
        os.path.join(here, "_data", FILE_NAME),
        os.path.join(os.path.dirname(os.path.dirname(here)), "data", FILE_NAME),
    ):
        if os.path.isfile(candidate):
            return candidate
    raise CatalogueError(
        "the crosswalk file crosswalk.tsv is missing from this installation",
        hint="reinstall codelookup, or rebuild it with python -m codelookup.build",
    )


# What the GEMs need to know per system, as data (the registry owns everything else):
# GEM codes have no decimal points; this is where people put them.
_DOT_AFTER: dict[tuple[str, str], int] = {
    ("ICD-10-CM", "diagnosis"): 3,  # E11.9
    ("ICD-9-CM", "diagnosis"): 3,  # 250.00 (E codes: 4, E880.9)
    ("ICD-9-CM", "procedure"): 2,  # 81.54
}
# The GEM whose source side a system is on; the other GEM has it as target.
OWN_GEM: dict[str, str] = {"ICD-9-CM": "forward", "ICD-10-CM": "backward", "ICD-10-PCS": "backward"}
# The page section listing a code's equivalents in the other revision.
EQUIVALENTS_SLUG: dict[str, str] = {
    "ICD-9-CM": "icd10_equivalents",
    "ICD-10-CM": "icd9_equivalents",
    "ICD-10-PCS": "icd9_equivalents",
}
ICD10_KIND: dict[str, str] = {"ICD-10-CM": "diagnosis", "ICD-10-PCS": "procedure"}  # GEM kind of an ICD-10 system
CCSR_SYSTEMS = frozenset({"ICD-10-CM"})  # AHRQ CCSR categorises ICD-10-CM diagnoses


def dotted(system: str, kind: str, code: str) -> str:
    """The way people write a GEM code (GEMs have no decimal points)."""
    head = _DOT_AFTER.get((system, kind))
    if head is None:
        return code
    if kind == "diagnosis" and code.startswith("E") and OWN_GEM.get(system) == "forward":
        head = 4  # ICD-9-CM E codes (external causes): E880.9
    return code if len(code) <= head else f"{code[:head]}.{code[head:]}"


def flag_words(flags: str) -> dict[str, Any]:
    """The five GEM flag digits as named values plus a phrase for people."""
    approximate, no_map, combination = flags[0] == "1", flags[1] == "1", flags[2] == "1"
    scenario, choice = int(flags[3]), int(flags[4])
    if no_map:
        meaning = "no map: nothing in the other code set corresponds"
    else:
        meaning = "approximate" if approximate else "exact (identical meaning)"
        if combination:
            meaning += f"; combination: scenario {scenario}, choice list {choice}"
    return {
        "flags": flags,
        "approximate": approximate,
        "no_map": no_map,
        "combination": combination,
        "scenario": scenario,
        "choice_list": choice,
        "meaning": meaning,
    }


class Crosswalk:
    """Reader of ``crosswalk.tsv``: sections loaded on first use."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path or crosswalk_file()
        try:
            with open(self.path, "rb") as fh:
                first = fh.readline()
        except OSError as exc:
            raise CatalogueError(f"{self.path}: cannot read crosswalk ({exc.strerror or exc})") from None
        if not first.startswith(b"#codelookup-crosswalk "):
            raise CatalogueError(f"{self.path}: not a codelookup crosswalk file")
        try:
            self.meta: dict[str, Any] = json.loads(first[len(b"#codelookup-crosswalk ") :])
        except json.JSONDecodeError as exc:
            raise CatalogueError(f"{self.path}: invalid crosswalk header ({exc.msg})") from None
        self._base = len(first)
        self._raw: dict[str, bytes] = {}
        self._dicts: dict[str, dict[str, str]] = {}

    def _section(self, name: str) -> bytes:
        raw = self._raw.get(name)
        if raw is None:
            try:
                start, end = self.meta["sections"][name]
            except (KeyError, TypeError, ValueError):
                raise CatalogueError(f"{self.path}: crosswalk has no section {name!r}") from None
            with open(self.path, "rb") as fh:
                fh.seek(self._base + start)
                raw = b"\n" + fh.read(end - start)
            self._raw[name] = raw
        return raw

    def preload(self) -> None:
        """Turn every section into a dictionary (batches: thousands of lookups follow)."""
        for name in self.meta.get("sections", {}):
            self._as_dict(name)

    def _as_dict(self, name: str) -> dict[str, str]:
        table = self._dicts.get(name)
        if table is None:
            text = self._section(name).decode("utf-8")
            table = dict(line.split("\t", 1) for line in text.split("\n") if line)
            self._dicts[name] = table
        return table

    def line(self, name: str, key: str) -> str | None:
        """The entries of ``key`` in a section, or None."""
        table = self._dicts.get(name)
        if table is not None:
            return table.get(key)
        if name not in self._raw:
            return self._bisect(name, key)
        raw = self._section(name)
        needle = b"\n" + key.encode("ascii", "replace") + b"\t"
        at = raw.find(needle)
        if at < 0:
            return None
        start = at + len(needle)
        end = raw.find(b"\n", start)
        return raw[start : end if end >= 0 else len(raw)].decode("utf-8")

    def _bisect(self, name: str, key: str) -> str | None:
        """One line of a section not yet read, by binary search in the file (sections are sorted).

        A page asks for a handful of codes; reading and scanning whole sections (up to 1.3 MB)
        for them cost a cold ``show`` about 2 ms, these few small reads a tenth of that.
        """
        try:
            start, end = self.meta["sections"][name]
        except (KeyError, TypeError, ValueError):
            raise CatalogueError(f"{self.path}: crosswalk has no section {name!r}") from None
        needle = key.encode("ascii", "replace")
        lo, hi = self._base + start, self._base + end  # lo is always the start of a line
        with open(self.path, "rb") as fh:
            while hi - lo > 8192:
                mid = (lo + hi) // 2
                fh.seek(mid)
                fh.readline()  # to the start of the next line
                pos = fh.tell()
                if pos >= hi:
                    break
                found = fh.readline()
                k = found.split(b"\t", 1)[0]
                if k == needle:
                    return found.rstrip(b"\n").split(b"\t", 1)[1].decode("utf-8")
                if k < needle:
                    lo = pos + len(found)
                else:
                    hi = pos
            fh.seek(lo)
            window = b"\n" + fh.read(hi - lo)
        at = window.find(b"\n" + needle + b"\t")
        if at < 0:
            return None
        first = at + len(needle) + 2
        stop = window.find(b"\n", first)
        return window[first : stop if stop >= 0 else len(window)].decode("utf-8")

    def entries(self, name: str, key: str) -> list[tuple[str, str]]:
        """(code, flags) pairs in file order."""
        found = self.line(name, key)
        if found is None:
            return []
        out: list[tuple[str, str]] = []
        for item in found.split(" "):
            code, _, flags = item.partition(":")
            out.append((code, flags or DEFAULT_FLAGS))
        return out

    def stale(self, system: str, code: str) -> list[str] | None:
        """None when ``code`` is valid in the catalogue; else its current descendants (maybe none)."""
        if system not in ("ICD-10-CM", "ICD-10-PCS"):
            return None
        found = self.line(f"stale.{system}", code)
        if found is None:
            return None
        return found.split() if found else []

    def has(self, system: str, kind: str, code: str) -> bool:
        src, tgt = READINGS[(system, kind)]
        return self.line(f"{src}.src", code) is not None or self.line(f"{tgt}.tgt", code) is not None


def candidates(text: str) -> list[tuple[str, str, str]]:
    """(system, kind, undotted code) readings of what the user typed, most likely first.

    A dot decides between an ICD-9-CM diagnosis and procedure (001.0 versus 00.10); without
    one, both are tried.
    """
    raw = clean_text(text).upper().replace(" ", "")
    if not raw:
        raise UsageError("empty code", hint="give a code such as 250.00, E11.9, 81.54 or 0SRC0J9")
    key = raw.replace(".", "")
    if not key.isalnum() or len(key) > 8:
        return []
    dot = raw.find(".")
    out: list[tuple[str, str, str]] = []
    if len(key) == 7 and "." not in raw:
        out.append(("ICD-10-PCS", "procedure", key))
    if key[0].isalpha() and key[1:2].isdigit():
        out.append(("ICD-10-CM", "diagnosis", key))
    if key[0] in "VE" or key.isdigit():
        if dot < 0 or (dot == 4 if key[0] == "E" else dot == 3):
            out.append(("ICD-9-CM", "diagnosis", key))
        if key.isdigit() and (dot < 0 or dot == 2):
            out.append(("ICD-9-CM", "procedure", key))
    return out


class Resolver:
    """Looks codes up in the GEMs and dresses the entries with titles and validity."""

    def __init__(self, cross: Crosswalk, title: Callable[[str, str], str], gems: str = "both") -> None:
        if gems not in ("both", "forward", "backward"):
            raise UsageError(f"--gem must be forward, backward or both, not {gems!r}")
        self.gems = gems
        self.cross = cross
        self.title = title  # (system, dotted code) -> title or ""
        self._entries: dict[tuple[str, str, str, str], dict[str, Any]] = {}

    def lookup(self, text: str) -> list[dict[str, Any]]:
        """Every reading of ``text`` that the GEMs know; NotFoundError when there is none."""
        results = [
            self.describe(system, kind, code)
            for system, kind, code in candidates(text)
            if self.cross.has(system, kind, code)
        ]
        if not results:
            shown = clean_text(text)
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            raise NotFoundError(
                f"no GEM entry for {shown!r}",
                hint="the 2018 GEMs cover ICD-9-CM v32 and ICD-10 codes of FY2018; newer codes have none",
            )
        return results

    def describe(self, system: str, kind: str, code: str) -> dict[str, Any]:
        src_gem, tgt_gem = READINGS[(system, kind)]
        out: dict[str, Any] = {
            "code": dotted(system, kind, code),
            "system": system,
            "kind": kind,
            "title": self.title(system, dotted(system, kind, code)),
        }
        out.update(self._validity(system, code))
        maps: dict[str, Any] = {}
        for gem, reading in ((src_gem, "source"), (tgt_gem, "target")):
            gsrc, gtgt, _, direction = GEMS[gem]
            if self.gems not in ("both", direction):
                continue
            other = gtgt if reading == "source" else gsrc
            section = f"{gem}.{'src' if reading == 'source' else 'tgt'}"
            entries = [self._entry(other, kind, ocode, flags) for ocode, flags in self.cross.entries(section, code)]
            what = f"{direction} GEM ({gsrc} to {gtgt}): " + (
                f"what {out['code']} maps to" if reading == "source" else f"{other} codes that map to {out['code']}"
            )
            block: dict[str, Any] = {
                "gem": f"{gsrc} to {gtgt}",
                "direction": direction,
                "reading": reading,
                "description": what,
                "entries": entries,
            }
            if reading == "source":
                scen = scenarios(entries)
                if scen:
                    block["scenarios"] = scen
            maps[direction] = block
        out["forward"] = maps.get("forward")
        out["backward"] = maps.get("backward")
        return out

    def _entry(self, system: str, kind: str, code: str, flags: str) -> dict[str, Any]:
        """One GEM entry as shown; memoised, since batches meet the same targets again and again.

        The dictionaries are shared between results and must not be modified by callers.
        """
        key = (system, kind, code, flags)
        found = self._entries.get(key)
        if found is None:
            no_map = code in ("NoDx", "NoPCS")
            shown = code if no_map else dotted(system, kind, code)
            found = {"code": shown, "system": system, "title": "" if no_map else self.title(system, shown)}
            found.update(flag_words(flags))
            if not found["no_map"]:
                found.update(self._validity(system, code))
            self._entries[key] = found
        return found

    def _validity(self, system: str, code: str) -> dict[str, Any]:
        if system not in ICD10_KIND:
            return {"valid": False, "status": RETIRED_NOTE}
        below = self.cross.stale(system, code)
        if below is None:
            return {"valid": True}
        kind = ICD10_KIND[system]
        current = [{"code": (d := dotted(system, kind, c)), "title": self.title(system, d)} for c in below]
        status = (
            f"no longer a valid {system} code; current codes below it: " + ", ".join(c["code"] for c in current)
            if current
            else f"no longer a valid {system} code (deleted since 2018; no current code begins with it)"
        )
        return {"valid": False, "status": status, "current_codes": current}


def scenarios(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Combination entries grouped: each scenario needs one code from each of its choice lists."""
    grouped: dict[int, dict[int, list[str]]] = {}
    for e in entries:
        if e["combination"]:
            grouped.setdefault(e["scenario"], {}).setdefault(e["choice_list"], []).append(e["code"])
    out = []
    for scen in sorted(grouped):
        lists = [grouped[scen][k] for k in sorted(grouped[scen])]
        words = ", ".join(f"one from list {i} ({' or '.join(codes)})" for i, codes in enumerate(lists, 1))
        out.append({"scenario": scen, "choice_lists": lists, "text": f"scenario {scen}: all of: {words}"})
    return out


# -- plain text ---------------------------------------------------------------------------------
def plain(result: dict[str, Any]) -> list[str]:
    """The human reading of one result (used on terminals and in pipes alike)."""
    lines = [f"{result['code']}  {result['system']} {result['kind']}"]
    if result.get("title"):
        lines.append(result["title"])
    if result.get("status"):
        lines.append(f"Status: {result['status']}")
    for key in ("forward", "backward"):
        block = result.get(key)
        if not block:
            continue
        lines += ["", block["description"][0].upper() + block["description"][1:] + " (CMS GEMs 2018)"]
        if not block["entries"]:
            lines.append("  (none)")
        for e in block["entries"]:
            label = e["meaning"]
            if e.get("combination") and block["reading"] == "target":
                label = label.replace("combination:", f"part of a combination for {e['code']}:")
            lines.append(f"  {e['code']:<9} {e['title'] or ''}".rstrip())
            lines.append(f"            [{label}]")
            if e.get("status") and not registry.has(e["system"], "retired"):  # retirement is said once, above
                lines.append(f"            {e['status']}")
        for scen in block.get("scenarios", ()):
            lines.append(f"  Combination {scen['text']}")
    return lines


def rows(query: str, result: dict[str, Any]) -> list[list[str]]:
    """Tab-separated rows for batches: one per GEM entry."""
    out = []
    for key in ("forward", "backward"):
        block = result.get(key) or {}
        for e in block.get("entries", ()):
            retired = registry.has(e["system"], "retired")
            note = "retired" if retired else "" if e.get("valid", True) else "not valid today"
            out.append([query, result["code"], result["system"], key, block["reading"], e["code"], e["system"],
                        e["flags"], e["meaning"], note])  # fmt: skip
    return out


ROW_HEADER = ["query", "code", "system", "gem", "reading", "other_code", "other_system", "flags", "meaning", "note"]


# -- the command ------------------------------------------------------------------------------
def title_lookup(con: Any, preload: bool) -> Callable[[str, str], str]:
    """Titles from the search index; a batch reads all of the three systems' titles at once."""
    systems = ("ICD-9-CM", "ICD-10-CM", "ICD-10-PCS")
    cache: dict[tuple[str, str], str] = {}
    if preload:
        for system, code, title in con.execute("SELECT system, code, title FROM rec WHERE system IN (?,?,?)", systems):
            cache[(system, code)] = title
        return lambda system, code: cache.get((system, code), "")

    def one(system: str, code: str) -> str:
        key = (system, code)
        found = cache.get(key)
        if found is None:
            row = con.execute("SELECT title FROM rec WHERE system=? AND code=?", key).fetchone()
            found = cache[key] = str(row[0]) if row else ""
        return found

    return one


def run_crosswalk(codes: tuple[str, ...], fmt: Any, lib: Any, streams: Any, gems: str = "both") -> int:
    """``codelookup crosswalk CODE... | -``: GEM entries of each code, both GEMs, both readings."""
    from .commands import check_format, check_length, envelope, stdin_lines
    from .errors import ExitCode
    from .formats import OutputFormat, dumps, resolve_format

    check_format(fmt, (OutputFormat.AUTO, OutputFormat.TABLE, OutputFormat.PLAIN, OutputFormat.JSON,
                       OutputFormat.JSONL, OutputFormat.CSV), "crosswalk")  # fmt: skip
    if not codes:
        raise UsageError("no code given", hint="e.g. codelookup crosswalk 250.00")
    batch = codes == ("-",)
    fmt = resolve_format(fmt, streams.out.isatty())
    cross = Crosswalk()
    if batch:
        cross.preload()
    resolver = Resolver(cross, title_lookup(lib.con, batch), gems)
    env = envelope(lib)
    inputs = stdin_lines(streams) if batch else iter(codes)
    collected: list[dict[str, Any]] = []
    missing = 0
    first = True
    writer = None
    if fmt is OutputFormat.CSV:
        import csv

        writer = csv.writer(streams.out, lineterminator="\n")
        writer.writerow(ROW_HEADER)
    elif batch and fmt in (OutputFormat.PLAIN, OutputFormat.TABLE):
        streams.out.write("\t".join(ROW_HEADER) + "\n")
    out = streams.out
    memo: dict[str, tuple[list[dict[str, Any]], str]] = {}  # upper-cased query -> results, their JSON
    head = dumps(env)[:-1] + ',"query":'
    for text in inputs:
        key = text.upper()
        cached = memo.get(key)
        if cached is not None and fmt is OutputFormat.JSONL:
            out.write(head + dumps(text) + ',"results":' + cached[1] + "}\n")
            continue
        try:
            check_length(text, "code")
            results = cached[0] if cached is not None else resolver.lookup(text)
        except (NotFoundError, UsageError) as exc:
            if isinstance(exc, UsageError) and not batch:
                raise
            missing += 1
            err = {"query": text, "error": exc.message}
            if fmt is OutputFormat.JSONL:
                out.write(dumps({**env, **err, "results": []}) + "\n")
            elif fmt is OutputFormat.JSON:
                collected.append({**err, "results": []})
            if not batch:
                streams.err.write(f"codelookup: {exc}\n")
            continue
        if fmt is OutputFormat.JSONL:
            encoded = dumps(results)
            if batch and len(memo) < 200_000:
                memo[key] = (results, encoded)
            out.write(head + dumps(text) + ',"results":' + encoded + "}\n")
        elif fmt is OutputFormat.JSON:
            collected.append({"query": text, "results": results})
        elif writer is not None:
            for r in results:
                writer.writerows(rows(text, r))
        elif batch:
            for r in results:
                out.writelines("\t".join(" ".join(c.split()) for c in row) + "\n" for row in rows(text, r))
        else:
            for r in results:
                if not first:
                    out.write("\n")
                out.write("\n".join(plain(r)) + "\n")
                first = False
    if fmt is OutputFormat.JSON:
        doc = {**env, "gems": cross.meta.get("gems", {}), "count": len(collected), "queries": collected}
        out.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    elif not batch and fmt in (OutputFormat.PLAIN, OutputFormat.TABLE) and not first:
        out.write("\nInformational, not coding advice: GEMs are reference mappings, not a substitute for coding "
                  "from the record. Source: CMS GEMs 2018 (final).\n")  # fmt: skip
    if missing and batch:
        streams.err.write(f"codelookup: {missing} code{'' if missing == 1 else 's'} had no GEM entry\n")
    return ExitCode.NOT_FOUND if missing else ExitCode.OK


# -- the detail page ------------------------------------------------------------------------------
CCSR_VERSION_FALLBACK = "see codelookup systems"
MAX_EQUIVALENTS = 12
_shared: Crosswalk | None = None


def _shared_crosswalk() -> Crosswalk:
    global _shared
    if _shared is None:
        _shared = Crosswalk()
    return _shared


def page_sections(system: str, code: str, kind: str, billable: bool, extra: dict[str, Any],
                  title: Callable[[str, str], str], ccsr_version: str) -> dict[str, Any]:  # fmt: skip
    """Sections this module adds to a detail page: CCSR category and GEM equivalents.

    Read lazily from ``crosswalk.tsv`` (two sections, found with one ``bytes.find`` each), and
    only for the systems the GEMs cover; a missing crosswalk file leaves the page without them.
    """
    out: dict[str, Any] = {}
    if system in CCSR_SYSTEMS and billable:
        category = extra.get("ccsr")
        out["ccsr"] = (
            f"{category}: AHRQ CCSR {ccsr_version} default category; "
            f"'codelookup browse {category}' lists every code in it."
            if category
            else f"No CCSR category: this code is newer than AHRQ CCSR {ccsr_version}."
        )
    slug = EQUIVALENTS_SLUG.get(system)
    if slug is None:
        return out
    gem_kind = ICD10_KIND.get(system) or str(extra.get("icd9_type") or "")
    if (system, gem_kind) not in READINGS:
        return out
    try:
        cross = _shared_crosswalk()
        result = Resolver(cross, title).describe(system, gem_kind, code.replace(".", ""))
    except CatalogueError:
        return out
    refs: list[dict[str, Any]] = []
    seen: set[str] = set()
    own = OWN_GEM[system]
    for key in (own, "backward" if own == "forward" else "forward"):
        block = result.get(key) or {}
        for e in block.get("entries", ()):
            if e["no_map"]:
                refs.append({"code": e["code"], "system": e["system"], "title": "",
                             "reason": f"{key} GEM: no map (nothing in {e['system']} corresponds)"})  # fmt: skip
                continue
            if e["code"] in seen:
                continue
            seen.add(e["code"])
            if block["reading"] == "source":
                why = f"{key} GEM: {e['meaning']}"
            else:
                why = f"{key} GEM maps {e['code']} to this code ({e['meaning']})"
            if e.get("status") and not registry.has(e["system"], "retired"):
                why += f"; {e['status']}"
            refs.append({"code": e["code"], "system": e["system"], "title": e["title"], "reason": why})
    if len(refs) > MAX_EQUIVALENTS:
        more = len(refs) - MAX_EQUIVALENTS
        refs = refs[:MAX_EQUIVALENTS]
        refs.append({"code": "…", "system": "", "title": f"{more} more: codelookup crosswalk {result['code']}",
                     "reason": ""})  # fmt: skip
    for scen in (result.get(own) or {}).get("scenarios", ()):
        refs.append({"code": "combination", "system": "", "title": scen["text"], "reason": "needed together"})
    if refs:
        out[slug] = refs
    return out


# Record kinds that can have GEM equivalents or a CCSR category.
_GEM_KINDS = frozenset({"code", "category", "subcategory"})


def detail_sections(details: Any, row: Any) -> dict[str, Any]:
    """The registry's page hook for ICD-9-CM, ICD-10-CM and ICD-10-PCS pages (see systems.py)."""
    if row.kind not in _GEM_KINDS:
        return {}
    ccsr = (details.systems.get("ICD-10-CM") or {}).get("ccsr") or {}
    return page_sections(row.system, row.code, row.kind, row.billable, row.data,
                         title_lookup(details.con, False), str(ccsr.get("version", "")))  # fmt: skip
