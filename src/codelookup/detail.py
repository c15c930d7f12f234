"""Assembling the detail page of one code from the index.

The catalogue stores each official note once, on the record that declares it; this module
resolves what applies to a code (7th characters and notes inherited from its category), its
place in the hierarchy, its children, the decoded ICD-10-PCS axes and similar codes.
"""

from __future__ import annotations

import json
import re
import sqlite3

from . import cmnotes
from .errors import EmptyInputError, NotFoundError, UnknownSectionError
from .models import CodeDetail, CodeRecord, CodeRef
from .search import Searcher, looks_like_code, placeholder_variants
from .sections import BY_SLUG, SECTIONS
from .systems import registry
from .text import clean_text, norm_code

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - typing is for the checker only (import cost)
    from collections.abc import Iterable, Iterator
    from typing import Any

    from .systems import CodeSystem

_COLS = "id, system, code, title, billable, kind, parent, depth, nbill, data"
_CPT_SHAPE = re.compile(r"\d{4}[0-9FTU]")  # CPT: 5 digits, or 4 digits + F/T/U (categories II, III, PLA)
_PCS_SHAPE = re.compile(r"[0-9A-HJ-NP-Z]{7}")
# A dotted ICD-9-CM spelling (250.00, V10.3, E800.0, 81.54): only then are near codes of the
# systems a word search leaves out (opt_in: ICD-9-CM, MS-DRG) suggested before the others.
_ICD9_DOTTED = re.compile(r"[EV]?\d{2,4}\.\d{1,2}", re.IGNORECASE)
_HCPCS_SHAPE = re.compile(r"[A-V]\d{4}")
NOTE_SLUGS = ("includes", "excludes1", "excludes2", "code_first", "use_additional_code", "code_also", "notes")
PCS_AXES = (
    "Section",
    "Body System",
    "Root Operation",
    "Body Part",
    "Approach",
    "Device",
    "Qualifier",
)
PCS_KEYS = ("section", "body_system", "operation", "body_part", "approach", "device", "qualifier")




class Row:
    """One record row from the index, with its JSON extras parsed on demand."""

    __slots__ = (
        "billable",
        "code",
        "data",
        "depth",
        "id",
        "kind",
        "nbill",
        "parent",
        "system",
        "title",
    )

    def __init__(self, row: tuple[Any, ...]) -> None:
        (
            self.id,
            self.system,
            self.code,
            self.title,
            bill,
            self.kind,
            self.parent,
            self.depth,
            self.nbill,
            raw,
        ) = row
        self.billable = bool(bill)
        self.data: dict[str, Any] = json.loads(raw) if raw else {}

    def record(self) -> CodeRecord:
        extra = {k: v for k, v in self.data.items() if k != "sections"}
        return CodeRecord(
            self.code,
            self.system,
            self.title,
            self.billable,
            self.kind,
            self.parent,
            self.data.get("sections") or {},
            extra,
        )

    def ref(self, reason: str = "") -> CodeRef:
        return CodeRef(self.code, self.system, self.title, reason, self.billable)


class Details:
    """Lookups by code and the detail page; shares the connection with the searcher."""

    def __init__(self, con: sqlite3.Connection, searcher: Searcher) -> None:
        self.con = con
        self.searcher = searcher
        self._systems: dict[str, Any] | None = None
        self._pcs_cache: dict[str, dict[str, Any]] = {}
        self._note_cache: dict[str, Any] = {}  # the category list, read once per session

    @property
    def systems(self) -> dict[str, Any]:
        if self._systems is None:
            row = self.con.execute("SELECT value FROM meta WHERE key='systems'").fetchone()
            self._systems = json.loads(row[0]) if row else {}
        return self._systems

    def _get(self, system: str, code: str | None) -> Row | None:
        if not code:
            return None
        row = self.con.execute(f"SELECT {_COLS} FROM rec WHERE system=? AND code=?", (system, code)).fetchone()
        return Row(row) if row else None

    def _get_many(self, system: str, codes: Iterable[str]) -> dict[str, Row]:
        """The records of many codes of one system in one query per 500 (a page's notes name dozens)."""
        wanted = sorted(set(codes))
        out: dict[str, Row] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            sql = f"SELECT {_COLS} FROM rec WHERE system=? AND code IN ({','.join('?' * len(chunk))})"
            for r in self.con.execute(sql, (system, *chunk)):
                row = Row(r)
                out[row.code] = row
        return out

    def find(self, text: str, systems: list[str] | None = None) -> list[Row]:
        """All records whose code is ``text`` (any form: dots, case, spaces ignored)."""
        cleaned = clean_text(text)
        if not cleaned:
            raise EmptyInputError("empty code", hint="give a code such as E11.9, 0SRC0J9 or 62264")
        key = norm_code(cleaned)
        wanted = registry.resolve(systems)
        rows = [Row(r) for r in self.con.execute(f"SELECT {_COLS} FROM rec WHERE norm=? ORDER BY id", (key,))]
        if wanted:
            rows = [r for r in rows if r.system in wanted]
        if "." in cleaned and len(rows) > 1:
            # The decimal point is part of what was typed: 001.0 (ICD-9-CM diagnosis) is not 00.10
            # (ICD-9-CM procedure), though both are 0010 without it (issue 18).
            exact = [r for r in rows if r.code == cleaned.upper().replace(" ", "")]
            rows = exact or rows
        if len(rows) > 1:
            # The reading that matches the code as typed wins: J1100 is HCPCS first, J11.00 ICD-10-CM.
            typed = "".join(cleaned.split()).upper()
            rows.sort(key=lambda r: r.code.upper() != typed)
        return rows

    def not_found(self, text: str, systems: list[str] | None = None) -> NotFoundError:
        cleaned = clean_text(text)
        key = norm_code(cleaned)
        sugg: tuple[str, ...] = ()
        wanted = registry.resolve(systems)
        if key and wanted:
            elsewhere = [r for r in self.find(cleaned) if r.system not in wanted]
            if elsewhere:
                names = ", ".join(r.system for r in elsewhere)
                return NotFoundError(
                    f"no code {elsewhere[0].code!r} in {', '.join(wanted)}; it is a code in {names}",
                    hint=f"drop --system, or use --system {elsewhere[0].system}",
                    suggestions=tuple(r.code for r in elsewhere),
                )
        if key and looks_like_code(cleaned):
            if not wanted and not _ICD9_DOTTED.fullmatch(cleaned.strip()):
                # `show 29888` should suggest 29880-29882, not the retired ICD-9-CM code 298.8.
                usual = tuple(s.name for s in registry.ordered() if not s.opt_in)
                sugg = self.searcher.code_suggestions(key, systems=usual)
            sugg = sugg or self.searcher.code_suggestions(key, systems=wanted)
        if not sugg and cleaned and not looks_like_code(cleaned):
            # Not code-shaped: suggest what a word search finds as typed; a guessed spelling
            # ('nope' -> 'nose') would suggest unrelated codes, so then suggest nothing.
            try:
                res = self.searcher.search(cleaned, systems=systems, limit=3)
                sugg = tuple(h.code for h in res.hits if h.match in ("title", "synonym", "index"))
            except EmptyInputError:
                sugg = ()
        where = f" in {', '.join(wanted or ())}" if systems else ""
        if sugg:
            hint = "did you mean: " + ", ".join(sugg)
        elif cleaned and not looks_like_code(cleaned):
            hint = f"it is not shaped like a code; to search by words: codelookup search '{cleaned[:40]}'"
        else:
            hint = "check the code, or search by words"
        shown = cleaned if len(cleaned) <= 60 else cleaned[:57] + "..."
        shaped = self.shape_answer(cleaned, wanted)
        if shaped:
            return NotFoundError(shaped, hint=hint, suggestions=sugg)
        return NotFoundError(f"no code {shown!r}{where}", hint=hint, suggestions=sugg)

    def shape_answer(self, text: str, wanted: tuple[str, ...] | None) -> str:
        """An honest answer for a string shaped like a code of a system that does not have it."""
        code = "".join(text.split()).upper()

        def release(system: str) -> str:
            return str((self.systems.get(system) or {}).get("release", "")) or "the bundled release"

        if (not wanted or "CPT" in wanted) and _CPT_SHAPE.fullmatch(code):
            return (
                f"{code} is a CPT code without a page here; CPT descriptors are licensed by the AMA "
                "(see `codelookup import cpt`)"
            )
        if (not wanted or "ICD-10-PCS" in wanted) and _PCS_SHAPE.fullmatch(code) and any(c.isdigit() for c in code):
            return f"{code} is shaped like an ICD-10-PCS code but is not in ICD-10-PCS {release('ICD-10-PCS')}"
        if (not wanted or "HCPCS" in wanted) and _HCPCS_SHAPE.fullmatch(code):
            return f"{code} is shaped like an HCPCS Level II code but is not in {release('HCPCS')}"
        return ""

    def lookup(self, text: str, systems: list[str] | None = None, *, by_wording: bool = True) -> list[CodeDetail]:
        rows = self.find(text, systems)
        resolved = ""
        if not rows:
            # As search does: 'W21.89A' lacks the X placeholders ICD-10-CM 7th characters need.
            wanted = registry.resolve(systems)
            for alt in placeholder_variants(norm_code(clean_text(text)), wanted):
                rows = [r for r in self.find(alt, systems) if registry.has(r.system, "placeholder_x")]
                if rows:
                    resolved = clean_text(text)
                    break
        if not rows:
            raise self.not_found(text, systems)
        also = tuple(r.system for r in rows)
        details = [self.detail(r, tuple(s for s in also if s != r.system), by_wording) for r in rows]
        if resolved:
            details = [_resolved(d, resolved) for d in details]
        return details

    def ancestors(self, row: Row) -> list[Row]:
        chain: list[Row] = []
        cur = self._get(row.system, row.parent)
        while cur is not None and len(chain) < 12:
            chain.append(cur)
            cur = self._get(cur.system, cur.parent)
        return chain

    def children(self, row: Row, limit: int = 10_000) -> list[Row]:
        return [
            Row(r)
            for r in self.con.execute(
                f"SELECT {_COLS} FROM rec WHERE system=? AND parent=? ORDER BY id LIMIT ?",
                (row.system, row.code, limit),
            )
        ]

    def billable_reason(self, row: Row) -> str:
        retired = registry.get(row.system)
        if retired is not None and retired.retired:  # issue 18: ICD-9-CM
            what = "; this was a complete code in its final release" if row.kind == "code" else ""
            return f"retired: {row.system} is not valid for services after {retired.retired}{what}"
        status = release_status(row, self.systems)
        if status and not row.billable:
            return "not billable: " + status.split(":")[0]
        if row.billable:
            return registry.billable_wording(row.system)
        kind = row.kind or "group"
        if kind == "modifier":
            return "not billable (modifier): added to a code on a claim line to tell more, never billed alone"
        if row.nbill:
            noun = "code" if row.nbill == 1 else "codes"
            return f"not billable ({kind}): choose one of its {row.nbill:,} billable {noun}"
        return f"not billable ({kind})"

    def detail(self, row: Row, also_in: tuple[str, ...] = (), by_wording: bool = True) -> CodeDetail:
        ancestors = self.ancestors(row)
        sections: dict[str, Any] = {}
        own = row.data.get("sections") or {}
        for sec in SECTIONS:
            if own.get(sec.slug):
                sections[sec.slug] = own[sec.slug]
        system = registry.get(row.system)
        if system is not None and (system.inherits_notes or system.seventh_characters):
            self._inherit(row, ancestors, sections, system)
        status = release_status(row, self.systems)
        if status:
            sections["release_status"] = status
        if isinstance(row.data.get("hcpcs"), dict):  # CMS's raw HCPCS fields, explained
            from .hcpcs_fields import explain

            billing = explain(row.data["hcpcs"])
            if billing:
                sections["cms_fields"] = billing
        if system is not None and system.has_axes:
            axes = self.pcs_axes(row.code, row.system)
            if axes:
                sections["axes"] = axes
        if row.system in ("ICD-10-CM", "ICD-10-PCS"):  # issue 14: the coders' indexes
            from .indexes import entries_leading_to

            paths = entries_leading_to(self.con, row.system, row.code)
            if paths:
                sections["index_entries"] = paths
        if system is not None and system.page_sections:
            sections.update(_page_hook(system.page_sections)(self, row))  # issues 18, 22
        if not row.billable:
            kids = self.children(row, 500)
            if kids:
                sections["children"] = [k.ref().as_dict() for k in kids]
        similar = self.similar(row, ancestors, by_wording)
        if similar:
            sections["similar_codes"] = [r.as_dict() for r in similar]
        ordered = {s.slug: sections[s.slug] for s in SECTIONS if s.slug in sections}
        prov = self.systems.get(row.system, {})
        breadcrumb = tuple(a.ref() for a in reversed(ancestors))
        rec = row.record()
        if system is not None and system.derived_fields:
            # e.g. chapter and block come from the hierarchy (the index does not repeat them per code)
            fields = system.derived_fields
            derived = {a.kind: a.code for a in ancestors if a.kind in fields}
            if row.kind in fields:
                derived[row.kind] = row.code
            if derived:
                rec = CodeRecord(rec.code, rec.system, rec.title, rec.billable, rec.kind, rec.parent,
                                 rec.sections, {**derived, **rec.extra})  # fmt: skip
        return CodeDetail(
            rec,
            breadcrumb,
            self.billable_reason(row),
            ordered,
            str(prov.get("release", "")),
            str(prov.get("source", "")),
            also_in,
        )

    def _inherit(self, row: Row, ancestors: list[Row], sections: dict[str, Any], system: CodeSystem) -> None:
        """Notes of every level, 7th characters, claim context, manifestation and named codes."""
        notes: dict[str, list[dict[str, Any]]] = {}
        if system.inherits_notes:
            levels = [(r.kind, r.code, r.title, r.data.get("sections") or {}) for r in [row, *ancestors]]
            resolver = cmnotes.NoteResolver(self.con, self._note_cache.setdefault(system.name, {}), system.name)
            notes = cmnotes.gather(levels, resolver)
            for slug in cmnotes.NOTE_SECTIONS:
                sections.pop(slug, None)
            sections.update(notes)
        if system.seventh_characters and "seventh_characters" not in sections:
            for anc in ancestors:
                sev = (anc.data.get("sections") or {}).get("seventh_characters")
                if sev:
                    sections["seventh_characters"] = sev
                    break
        if cmnotes.is_manifestation(row.title, notes):
            sections["manifestation"] = cmnotes.manifestation_text(notes)
        claim = cmnotes.claim_context(row.data, self.con)
        if claim is None and not row.billable:
            span = self._span(row)
            if span is not None:
                claim = cmnotes.claim_summary(*span, self.con, row.system)
                if claim is not None:
                    claim["of"] = f"{row.kind} {row.code}"
        if claim is not None:
            sections["cc_mcc"] = claim
        refs = self.cross_references(notes, system.name) if system.note_references else []
        if refs:
            sections["cross_references"] = refs

    def _span(self, row: Row) -> tuple[str, str] | None:
        """First and last code below a group: itself (category), its range (block), its blocks (chapter)."""
        if "-" in row.code:
            first, _, last = row.code.partition("-")
            return first, last
        if row.kind != "chapter":
            return row.code, row.code
        blocks = [k.code for k in self.children(row) if "-" in k.code]
        if not blocks:
            return None
        return blocks[0].partition("-")[0], blocks[-1].partition("-")[2]

    def cross_references(
        self, notes: dict[str, list[dict[str, Any]]], system: str, limit: int = 60
    ) -> list[dict[str, Any]]:
        """Codes the notes name, resolved so they can be shown next; a range is one entry listing all it covers."""
        out: list[dict[str, Any]] = []
        seen: set[str] = set()

        def named(note: dict[str, Any]) -> Iterator[str]:
            yield from note.get("codes", ())
            for rng in note.get("ranges", ()):
                yield from (rng["codes"][0], rng["codes"][-1])
            for item in note.get("items", ()):
                yield from named(item)

        rows = self._get_many(system, (c for slug in NOTE_SLUGS for n in notes.get(slug) or () for c in named(n)))

        def visit(note: dict[str, Any], slug: str) -> None:
            heading = BY_SLUG[slug].heading
            why = f"named in the {heading}" if slug == "notes" else f"named in the {heading} note"
            for code in note.get("codes", ()):
                if code not in seen and len(seen) < limit:
                    hit = rows.get(code)
                    if hit is not None:
                        seen.add(code)
                        out.append(hit.ref(why).as_dict())
            for rng in note.get("ranges", ()):
                if rng["range"] in seen:
                    continue
                seen.add(rng["range"])
                covered = rng["codes"]
                noun = "categories" if all(len(c) == 3 for c in covered) else "codes"
                first, last = rows.get(covered[0]), rows.get(covered[-1])
                span = f"{len(covered)} {noun}" if len(covered) > 1 else f"1 {noun.rstrip('s').replace('ie', 'y')}"
                title = span + (f": {first.title} … {last.title}" if first and last and len(covered) > 1 else
                                f": {first.title}" if first else "")  # fmt: skip
                out.append({"code": rng["range"], "system": system, "title": title, "reason": why,
                            "range": covered})  # fmt: skip
            for item in note.get("items", ()):
                visit(item, slug)

        for slug in NOTE_SLUGS:
            for note in notes.get(slug) or ():
                visit(note, slug)
        return out

    def _pcs_meta(self, name: str) -> dict[str, Any]:
        cache = self._pcs_cache
        if name not in cache:
            row = self.con.execute("SELECT data FROM pcs WHERE prefix=?", (name,)).fetchone()
            cache[name] = json.loads(row[0]) if row else {}
        value: dict[str, Any] = cache[name]
        return value

    def pcs_axes(self, code: str, system: str) -> list[dict[str, str]]:
        """The seven decoded axes of a code of a system with ``has_axes`` (ICD-10-PCS tables)."""
        if len(code) != 7:
            return []
        row = self.con.execute("SELECT data FROM pcs WHERE prefix=?", (code[:3],)).fetchone()
        if not row:
            return self._bare_axes(code, system)
        table: dict[str, Any] = json.loads(row[0])
        override = self._pcs_meta("_overrides").get(code, {})
        titles = table.get("titles") or PCS_AXES
        definitions: dict[str, dict[str, str]] = self._pcs_meta("_definitions").get(code[0], {})
        approach_defs: dict[str, str] = self._pcs_meta("_approach_definitions") if code[0] == "0" else {}
        body_system = table.get("body_system") or ["", ""]
        axes: list[dict[str, str]] = []
        for pos, key in enumerate(PCS_KEYS):
            char = code[pos]
            value = table.get(key)
            label, definition = "", ""
            if isinstance(value, list):  # [char, label] or [char, label, definition]
                label = str(value[1]) if len(value) > 1 else ""
                definition = str(value[2]) if len(value) > 2 else ""
            elif isinstance(value, dict):
                label = str(override.get(key) or value.get(char, ""))
                if key == "approach" and char in approach_defs:
                    definition = approach_defs[char]
            by_label = definitions.get(str(pos + 1), {})
            if label:
                # Device terms may be defined per operation and body system ("Synthetic Substitute,
                # Metal for Replacement in Lower Joints", "Spacer in Lower Joints"): most specific first.
                operation = table.get("operation") or ["", ""]
                definition = (
                    by_label.get(f"{label} for {operation[1]} in {body_system[1]}")
                    or by_label.get(f"{label} in {body_system[1]}")
                    or by_label.get(label)
                    or definition
                )
            axes.append(
                {
                    "position": str(pos + 1),
                    "axis": str(titles[pos]) if pos < len(titles) else PCS_AXES[pos],
                    "value": char,
                    "label": label,
                    "definition": definition,
                }
            )
        if not any(a["label"] for a in axes[3:]):
            return []
        return axes

    def _bare_axes(self, code: str, system: str) -> list[dict[str, str]]:
        """The seven characters of a code whose table has no labels in this release, said plainly."""
        section = self._get(system, code[0])
        axes = [{"position": "1", "axis": "Section", "value": code[0], "label": section.title if section else "",
                 "definition": ""}]  # fmt: skip
        for pos in range(1, 7):
            axes.append({"position": str(pos + 1), "axis": f"Character {pos + 1}", "value": code[pos], "label": "",
                         "definition": ""})  # fmt: skip
        axes[1]["definition"] = (
            "The labels of this section's characters are not in the bundled release (its sources cover "
            "sections 0 and 1); importing CMS's tables XML with `codelookup import icd10pcs` adds them."
        )
        return axes

    def similar(self, row: Row, ancestors: list[Row], by_wording: bool = True) -> list[CodeRef]:
        """Authored neighbours (CPT), siblings in the hierarchy, then the nearest by wording."""
        out: list[CodeRef] = []
        seen = {(row.system, row.code)}
        authored = (row.data.get("sections") or {}).get("similar_codes") or []
        for item in authored:
            if not isinstance(item, dict) or "code" not in item:
                continue
            target = self._get(row.system, str(item["code"]))
            title = target.title if target else ""
            out.append(
                CodeRef(
                    str(item["code"]),
                    row.system,
                    title,
                    str(item.get("reason", "")),
                    target.billable if target else None,
                )
            )
            seen.add((row.system, str(item["code"])))
        drg = row.data.get("drg")
        drg_family = drg.get("family") if isinstance(drg, dict) else None
        for sib_code in drg_family or ():  # issue 22: the with MCC / with CC / without siblings first
            sib_row = self._get(row.system, str(sib_code))
            if sib_row is not None and (sib_row.system, sib_row.code) not in seen:
                from .msdrg import family_reason

                seen.add((sib_row.system, sib_row.code))
                out.append(sib_row.ref(family_reason(sib_row.title)))
        if authored and registry.has(row.system, "has_pages"):
            # Written relationships say how codes differ; a generated neighbour on a page system
            # could only say "same family" or "similar wording" (62264 got the diagnostic tap
            # 62270), which misleads more than it helps, so those pages keep what was written.
            return out
        parent = ancestors[0] if ancestors else None
        family = row.data.get("family")
        if isinstance(family, str) and family:
            # CPT sections are huge (all of surgery); the page family is the meaningful neighbourhood.
            sibs = self.con.execute(
                f"SELECT {_COLS} FROM rec WHERE system=? AND id!=? AND data LIKE ? ORDER BY abs(id - ?) LIMIT 4",
                (row.system, row.id, f'%"family":"{family}"%', row.id),
            ).fetchall()
            for sib in sorted((Row(s) for s in sibs), key=lambda r: r.id):
                if (sib.system, sib.code) not in seen:
                    seen.add((sib.system, sib.code))
                    out.append(sib.ref(f"same family of pages: {family.replace('-', ' ')}"))
        elif parent is not None and row.kind not in ("chapter", "section"):
            sibs = self.con.execute(
                f"SELECT {_COLS} FROM rec WHERE system=? AND parent=? AND id!=? ORDER BY abs(id - ?) LIMIT 4",
                (row.system, parent.code, row.id, row.id),
            ).fetchall()
            for sib in sorted((Row(s) for s in sibs), key=lambda r: r.id):
                if (sib.system, sib.code) in seen:
                    continue
                seen.add((sib.system, sib.code))
                why = self._difference(row, sib.code, ancestors) or (
                    f"same {parent.kind or 'group'} {parent.code}: {_short(parent.title)}"
                )
                out.append(sib.ref(why))
        if not by_wording or row.kind in ("chapter", "block", "section", "body_system"):
            return out
        lineage = {(a.system, a.code) for a in ancestors}
        own_system = (row.system,)
        added = 0
        opt_in = [row.system] if registry.has(row.system, "opt_in") else None  # retired/payment: their own
        for hit in self.searcher.related(row.title, limit=16, systems=opt_in):
            key = (hit.system, hit.code)
            if key in seen or key in lineage:
                continue
            at_home = hit.system in own_system  # the same system as the page's code
            diff = self._difference(row, hit.code, ancestors) if at_home else ""
            if diff:
                reason = diff
            elif (
                at_home
                and parent is not None
                and hit.code.startswith(parent.code.replace(".", "")[:3])
                and registry.has(row.system, "related_by_category")
            ):
                reason = "similar wording, same category"
            elif at_home:
                reason = "similar wording elsewhere in " + row.system
            else:
                reason = f"similar wording in {hit.system}"
            seen.add(key)
            out.append(CodeRef(hit.code, hit.system, hit.title, reason, hit.billable))
            added += 1
            if added >= 4:
                break
        return out

    def _difference(self, row: Row, other: str, ancestors: list[Row]) -> str:
        """One line on how ``other`` differs from ``row``, where the code structure can say it."""
        same_table = len(row.code) == 7 and len(other) == 7 and other[:3] == row.code[:3]
        if same_table and registry.has(row.system, "has_axes"):
            mine, theirs = self.pcs_axes(row.code, row.system), self.pcs_axes(other, row.system)
            differing = [(a, b) for a, b in zip(mine, theirs, strict=True) if a["value"] != b["value"]]
            if mine and theirs and all(a["label"] and b["label"] for a, b in differing):
                parts = [
                    f"{b['axis'].lower()}: {b['label'] or b['value']} instead of {a['label'] or a['value']}"
                    for a, b in zip(mine, theirs, strict=True)
                    if a["value"] != b["value"]
                ]
                if parts:
                    return "same table, but " + "; ".join(parts)
        if registry.has(row.system, "seventh_characters"):
            a, b = row.code.replace(".", ""), other.replace(".", "")
            if len(a) == len(b) == 7 and a[:6] == b[:6]:
                for anc in ancestors:
                    sev = (anc.data.get("sections") or {}).get("seventh_characters")
                    if isinstance(sev, dict) and b[6] in sev:
                        return f"same condition; 7th character {b[6]}: {sev[b[6]]}"
        return ""

    def section_names(self) -> list[tuple[str, str]]:
        return [(s.slug, s.heading) for s in SECTIONS]


def _page_hook(spec: str) -> Any:
    """The registry's ``page_sections`` hook ("module:function"), imported only when a page is shown."""
    from importlib import import_module

    module, _, name = spec.partition(":")
    return getattr(import_module(module), name)


def release_status(row: Row, systems: dict[str, Any]) -> str:
    """A sentence on where the code stands in its release: deleted, terminated, or a composed title."""
    data = row.data
    release = str((systems.get(row.system) or {}).get("release", "")).split(" (")[0]
    if data.get("status") == "deleted":
        where = data.get("deleted_in") or release
        return (
            f"deleted in {where}: this code is no longer in ICD-10-PCS and is not valid on claims "
            f"for discharges from the start of {where}; choose a current code of table {row.parent}"
        )
    raw = data.get("hcpcs")
    fields: dict[str, Any] = raw if isinstance(raw, dict) else {}
    if data.get("status") == "terminated" or (fields and fields.get("terminated")):
        end = fields.get("termination_date") or "an earlier release"
        xref = fields.get("cross_reference") or []
        instead = f"; CMS cross-references it to {', '.join(xref)}" if xref else ""
        return f"terminated {end}: not valid on claims for dates of service after {end}{instead}"
    if data.get("title_source") == "composed":
        added = data.get("added_in") or release
        return (
            f"new in {added}; the title was composed by codelookup from the official axis labels, "
            "in the shape of CMS's long titles (the official long title is not in the bundled sources)"
        )
    return ""


def placeholder_note(query: str, code: str) -> str:
    return f"{query} is not a code: ICD-10-CM 7th characters need X placeholders before them; showing {code}"


def _resolved(d: CodeDetail, query: str) -> CodeDetail:
    """The page of the placeholder-completed code, saying which input it stands for."""
    rec = d.record
    extra = {**rec.extra, "resolved_from": query, "resolution_note": placeholder_note(query, rec.code)}
    record = CodeRecord(rec.code, rec.system, rec.title, rec.billable, rec.kind, rec.parent, rec.sections, extra)
    return CodeDetail(record, d.breadcrumb, d.billable_reason, d.sections, d.release, d.source, d.also_in)


def _short(text: str, n: int = 50) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def resolve_sections(names: list[str] | None) -> list[str] | None:
    """Map --section values (slug, heading or unique prefix, any case) to slugs."""
    if not names:
        return None
    out: list[str] = []
    for raw in names:
        name = clean_text(raw).lower().replace("-", "_").replace(" ", "_")
        if not name:
            raise UnknownSectionError("empty section name", hint="run 'codelookup sections' for the list")
        exact = [s.slug for s in SECTIONS if name in (s.slug, s.heading.lower().replace(" ", "_"))]
        matches = exact or [
            s.slug for s in SECTIONS if s.slug.startswith(name) or s.heading.lower().replace(" ", "_").startswith(name)
        ]
        if len(matches) != 1:
            what = "ambiguous" if matches else "unknown"
            # ambiguous: only the names it could mean; unknown: the whole list
            valid = ", ".join(matches) if matches else ", ".join(s.slug for s in SECTIONS)
            shown = raw if len(raw) <= 40 else raw[:37] + "..."
            label = "it matches" if matches else "valid sections"
            raise UnknownSectionError(f"{what} section {shown!r}", hint=f"{label}: {valid}")
        if matches[0] not in out:
            out.append(matches[0])
    return out


__all__ = ["BY_SLUG", "Details", "Row", "resolve_sections"]
