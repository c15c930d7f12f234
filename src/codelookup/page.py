"""Rendering a code's detail page: Rich panels for people, plain text for pipes.

The section order and headings come from :mod:`codelookup.sections`, the single source of
truth shared with the JSON output. Catalogue text is always wrapped in ``Text`` objects so that
brackets in titles are shown literally and never parsed as Rich markup.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping

from .models import CodeDetail
from .sections import BY_SLUG, Shape
from .systems import registry

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - typing is for the checker only (import cost)
    from typing import Any

    from rich.console import Console

DISCLAIMER = "Informational, not medical or coding advice."


def selected(detail: CodeDetail, only: list[str] | None) -> dict[str, Any]:
    if not only:
        return dict(detail.sections)
    return {slug: value for slug, value in detail.sections.items() if slug in only}


def missing_lines(detail: CodeDetail, only: list[str] | None) -> list[str]:
    """'E11.9 has no Code First note': a requested section the page lacks is said, not left blank."""
    out = []
    for slug in only or ():
        if slug not in detail.sections:
            sec = BY_SLUG[slug]
            noun = "note" if sec.group == "official" else "section"
            out.append(f"{detail.record.code} has no {sec.heading} {noun}.")
    return out


def note_groups(value: Any, code: str = "") -> list[tuple[str, list[dict[str, Any]]]]:
    """Notes grouped by where they come from, nearest first: ('', own), ('from block E08-E13 …', …)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for note in _as_list(value):
        if not isinstance(note, dict):
            note = {"text": str(note)}
        label = ""
        if note.get("level") and note.get("source") != code:
            label = f"from {note['level']} {note['source']}"
            title = str(note.get("source_title") or "")
            # Block titles repeat their range ("Injuries to the hip and thigh (S70-S79)"): say it once.
            title = title.removesuffix(f" ({note['source']})")
            if title:
                label += f" ({title})"
        groups.setdefault(label, []).append(note)
    return list(groups.items())


def note_text(note: dict[str, Any]) -> str:
    """The official wording, with each range it names collapsed to a count (the JSON lists them all)."""
    text = str(note.get("text", ""))
    counts = [f"{r['range']}: {len(r['codes'])} {_noun(r['codes'])}" for r in note.get("ranges", ())]
    return text + (f"  [{'; '.join(counts)}]" if counts else "")


def _noun(codes: list[str]) -> str:
    if all(len(c) == 3 for c in codes):
        return "category" if len(codes) == 1 else "categories"
    return "code" if len(codes) == 1 else "codes"


def claim_lines(value: Any, code: str) -> list[str]:
    """The CC/MCC section as sentences; a long exclusion list shows its start and its size."""
    if not isinstance(value, dict):
        return [str(value)]
    counts = value.get("billable_codes")
    if isinstance(counts, dict):  # a category or subcategory: how its billable codes divide
        total = sum(int(n) for n in counts.values())
        parts = [f"{int(counts.get(k, 0)):,} {k}{'' if counts.get(k) == 1 else 's'}" for k in ("MCC", "CC", "non-CC")]
        return [
            f"{str(value.get('of') or code).capitalize()} is not a complete code, so it has no designation of "
            f"its own; of its {total:,} billable codes, {parts[0]}, {parts[1]} and {parts[2]} in "
            f"{value.get('version', 'MS-DRG')}.",
            str(value.get("meaning", "")),
        ]
    level = value.get("designation", "")
    what = {"MCC": "an MCC (major complication or comorbidity)", "CC": "a CC (complication or comorbidity)",
            "non-CC": "a non-CC (neither a CC nor an MCC)"}.get(level, level)  # fmt: skip
    lines = [f"{code} is {what} in {value.get('version', 'MS-DRG')}.", str(value.get("meaning", ""))]
    excluded = value.get("cc_excluded_principal_diagnoses")
    if level in ("CC", "MCC"):
        if excluded:
            head = ", ".join(excluded[:12])
            more = f" and {len(excluded) - 12:,} more (--json lists them all)" if len(excluded) > 12 else ""
            lines.append(
                f"CC exclusions (PDX collection {value.get('cc_exclusion_collection')}): it counts as a non-CC when "
                f"the principal diagnosis is one of {len(excluded):,} codes: {head}{more}."
            )
        else:
            lines.append("CC exclusions: none; it counts whatever the principal diagnosis.")
    if value.get("only_if_discharged_alive"):
        lines.append(f"It counts as {level} only if the patient was discharged alive.")
    raised = value.get("can_raise_drgs")
    if isinstance(raised, list) and raised:  # issue 22
        member = "with MCC" if level == "MCC" else "with CC"
        examples = "; ".join(f"{r.get('code')} {r.get('title')}" for r in raised[:3] if isinstance(r, dict))
        lines.append(
            f"DRG families it can raise: as a secondary diagnosis it can move a stay to the '{member}' "
            f"(or 'with CC/MCC') MS-DRG of {len(raised):,} families, e.g. {examples} (--json lists them all; "
            "codelookup show DRG explains one)."
        )
    return [x for x in lines if x]


def breadcrumb_text(detail: CodeDetail, sep: str) -> str:
    parts = []
    for ref in detail.breadcrumb:
        chapter = detail.record.kind != "chapter" and _numbered_chapter(detail, ref.code)
        parts.append(f"Chapter {ref.code}" if chapter else ref.code)
    parts.append(detail.record.code)
    return sep.join(parts)


def _numbered_chapter(detail: CodeDetail, code: str) -> bool:
    """Whether a breadcrumb entry is a numbered chapter (ICD-10-CM's '4'), shown as 'Chapter 4'."""
    return code.isdigit() and registry.has(detail.record.system, "numbered_chapters")


def source_line(detail: CodeDetail) -> str:
    bits = [b for b in (detail.source, detail.release) if b]
    return f"{DISCLAIMER} Source: {', '.join(bits)}." if bits else DISCLAIMER


# -- pager --------------------------------------------------------------------------------
def pager_command(env: MutableMapping[str, str]) -> str:
    """The pager pydoc (and so Rich) will run: $MANPAGER/$PAGER, else less."""
    return (env.get("MANPAGER") or env.get("PAGER") or "less").strip() or "less"


def pager_styles(env: MutableMapping[str, str]) -> bool:
    """Whether the page may go to the pager in colour, preparing ``LESS`` for it when needed.

    Only ``less`` shows colour, and only with -R: when LESS is unset it becomes "R" (we never
    override a user's own LESS). Other pagers (``more``, ``most``, ``cat``), NO_COLOR or
    --no-color get the plain page, which has no escape codes to garble.
    """
    if env.get("NO_COLOR"):
        return False
    words = pager_command(env).split()
    if not words or words[0].rsplit("/", 1)[-1] != "less":
        return False
    if any((w.startswith("-") and "R" in w.lstrip("-")) or w in ("--RAW-CONTROL-CHARS", "-r") for w in words[1:]):
        return True
    if "LESS" not in env:
        env["LESS"] = "R"
        return True
    return "R" in env["LESS"] or "r" in env["LESS"]


# -- plain text ---------------------------------------------------------------------------
def _wrap(text: str, indent: str, width: int) -> list[str]:
    import textwrap  # here, not at the top: a page in a terminal (richpage) never needs it

    return textwrap.wrap(
        " ".join(str(text).split()),
        width=max(width, 40),
        break_on_hyphens=False,  # never split a code range such as E08-E13
        initial_indent=indent,
        subsequent_indent=indent,
    ) or [indent]


def plain_page(detail: CodeDetail, only: list[str] | None, width: int = 100) -> str:
    rec = detail.record
    lines = [f"{rec.code}  {rec.system}", *_wrap(rec.title, "", width)]
    if rec.extra.get("resolution_note"):
        lines += _wrap(f"Note: {rec.extra['resolution_note']}.", "", width)
    lines.append(f"Status: {detail.billable_reason}")
    if detail.breadcrumb:
        lines.append(f"Hierarchy: {breadcrumb_text(detail, ' > ')}")
    if detail.also_in:
        lines.append(f"Also a code in: {', '.join(detail.also_in)} (use --system to choose)")
    if detail.release:
        lines.append(f"Release: {detail.release}")
    for slug, value in selected(detail, only).items():
        sec = BY_SLUG[slug]
        lines += ["", sec.heading]
        lines += _plain_section(sec.shape, value, width, rec.system, rec.code)
    for line in missing_lines(detail, only):
        lines += ["", *_wrap(line, "", width)]
    lines += ["", *_wrap(source_line(detail), "", width)]
    return "\n".join(lines) + "\n"


def _plain_notes(notes: list[dict[str, Any]], indent: str, width: int) -> list[str]:
    out: list[str] = []
    for note in notes:
        wrapped = _wrap(note_text(note), indent + "  ", width)
        wrapped[0] = indent + "- " + wrapped[0].lstrip()
        out += wrapped
        out += _plain_notes(list(note.get("items", ())), indent + "    ", width)
    return out


def _plain_section(shape: Shape, value: Any, width: int, system: str = "", code: str = "") -> list[str]:
    out: list[str] = []
    if shape is Shape.NOTES:
        for label, notes in note_groups(value, code):
            if label:
                out += _wrap(label + ":", "  ", width)
            out += _plain_notes(notes, "    " if label else "  ", width)
    elif shape is Shape.CLAIM:
        for line in claim_lines(value, code):
            out += _wrap(line, "  ", width)
    elif shape is Shape.TEXT:
        out += _wrap(str(value), "  ", width)
    elif shape in (Shape.BULLETS, Shape.STEPS):
        for i, item in enumerate(_as_list(value), 1):
            mark = f"{i}. " if shape is Shape.STEPS else "- "
            wrapped = _wrap(str(item), "    ", width)
            wrapped[0] = "  " + mark + wrapped[0].lstrip()
            out += wrapped
    elif shape is Shape.MAPPING and isinstance(value, dict):
        for char, meaning in value.items():
            out.append(f"  {char}  {meaning}")
    elif shape is Shape.AXES:
        for axis in _as_list(value):
            label = axis.get("label") or "(no label)"
            line = f"  {axis.get('position')}. {axis.get('axis')}: {axis.get('value')} = {label}"
            out.append(line)
            if axis.get("definition"):
                out += _wrap(str(axis["definition"]), "       ", width)
    elif shape is Shape.CODES:
        for ref in _as_list(value):
            if isinstance(ref, dict):
                text = f"{ref.get('code')}  {ref.get('title', '')}"
                if ref.get("system") and ref.get("system") != system:
                    text += f"  ({ref['system']})"
                out += _wrap(text, "  ", width)
                if ref.get("reason"):
                    out += _wrap(str(ref["reason"]), "      ", width)
    else:
        out += _wrap(str(value), "  ", width)
    return out


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


# -- Rich ---------------------------------------------------------------------------------
def rich_page(detail: CodeDetail, only: list[str] | None, console: Console) -> None:
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    rec = detail.record
    head = Text()
    head.append(rec.code, style="bold cyan")
    head.append(f"  {rec.system}\n", style="bold")
    head.append(rec.title + "\n", style="bold")
    if rec.extra.get("resolution_note"):
        head.append(f"Note: {rec.extra['resolution_note']}.\n", style="magenta")
    head.append(detail.billable_reason, style="green" if rec.billable else "yellow")
    for depth, ref in enumerate(detail.breadcrumb):
        label = f"Chapter {ref.code}" if _numbered_chapter(detail, ref.code) else ref.code
        head.append("\n" + "  " * depth + ("› " if depth else ""), style="dim")
        head.append(label, style="cyan")
        head.append(f"  {ref.title}", style="dim")
    if detail.also_in:
        head.append(
            f"\nAlso a code in: {', '.join(detail.also_in)} (use --system to choose)",
            style="magenta",
        )
    if detail.release:
        head.append(f"\nRelease: {detail.release}", style="dim")
    console.print(Panel(head, title=Text("Code"), title_align="left", border_style="cyan"))
    for slug, value in selected(detail, only).items():
        sec = BY_SLUG[slug]
        body = _rich_body(sec.shape, value, Table, Text, rec.system, rec.code)
        console.print(Panel(body, title=Text(sec.heading), title_align="left"))
    for line in missing_lines(detail, only):
        console.print(Text(line, style="yellow"))
    console.print(Text(source_line(detail), style="dim italic"))


def _rich_notes(notes: list[dict[str, Any]], table: Any, Text: Any, depth: int = 0) -> None:
    """Notes as bullet rows; a lead-in's list is a nested grid, so wrapped lines hang under it."""
    from rich.console import Group

    for note in notes:
        body: Any = Text(note_text(note))
        items = list(note.get("items", ()))
        if items:
            sub = type(table).grid(padding=(0, 1))
            sub.add_column(no_wrap=True)
            sub.add_column(ratio=1)
            _rich_notes(items, sub, Text, depth + 1)
            body = Group(body, sub)
        table.add_row(Text("•" if depth == 0 else "–"), body)


def _rich_body(shape: Shape, value: Any, Table: Any, Text: Any, system: str = "", code: str = "") -> Any:
    if shape is Shape.NOTES:
        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True)
        table.add_column(ratio=1)
        for label, notes in note_groups(value, code):
            if label:
                table.add_row(Text(""), Text(label, style="dim italic"))
            _rich_notes(notes, table, Text)
        return table
    if shape is Shape.CLAIM:
        return Text("\n".join(claim_lines(value, code)))
    if shape is Shape.TEXT:
        return Text(str(value))
    if shape in (Shape.BULLETS, Shape.STEPS):
        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True)
        table.add_column(ratio=1)
        for i, item in enumerate(_as_list(value), 1):
            table.add_row(Text(f"{i}." if shape is Shape.STEPS else "•"), Text(str(item)))
        return table
    if shape is Shape.MAPPING and isinstance(value, dict):
        table = Table(show_header=True, box=None, padding=(0, 2))
        table.add_column("Char", style="bold")
        table.add_column("Meaning", ratio=1)
        mine = code.replace(".", "")[6:7] if registry.has(system, "seventh_characters") else ""
        for char, meaning in value.items():
            style = "bold green" if char == mine else ""
            note = "  ← this code" if char == mine else ""
            table.add_row(Text(str(char), style=style), Text(str(meaning) + note, style=style))
        return table
    if shape is Shape.AXES:
        table = Table(show_header=True, box=None, padding=(0, 1))
        for heading in ("#", "Axis", "Value", "Meaning", "Definition"):
            table.add_column(heading, ratio=1 if heading in ("Meaning", "Definition") else None)
        for axis in _as_list(value):
            table.add_row(*[Text(str(axis.get(k) or "")) for k in ("position", "axis", "value", "label", "definition")])
        return table
    if shape is Shape.CODES:
        table = Table(show_header=True, box=None, padding=(0, 1))
        table.add_column("Code", style="cyan", no_wrap=True)
        table.add_column("Title", ratio=2)
        table.add_column("Why", ratio=1)
        for ref in _as_list(value):
            if isinstance(ref, dict):
                why = str(ref.get("reason", ""))
                if not why and ref.get("billable") is not None:
                    why = "billable" if ref["billable"] else "not billable"
                code = str(ref.get("code", ""))
                if ref.get("system") and ref.get("system") != system:
                    code += f"\n({ref['system']})"
                table.add_row(Text(code), Text(str(ref.get("title", ""))), Text(why))
        return table
    return Text(str(value))


def section_rows(slugs: Iterable[str]) -> list[dict[str, str]]:
    return [{"slug": s, "heading": BY_SLUG[s].heading, "shape": BY_SLUG[s].shape.value} for s in slugs]


# -- systems ------------------------------------------------------------------------------
def rich_systems(rows: list[dict[str, Any]], console: Console) -> None:
    """One panel per code system: long sources and licences wrap as prose, never truncated.

    A seven-column table cannot fit 80 columns (it cut 'ICD-10-PCS' to 'ICD-10-P…' and wrapped
    the CPT licence over 16 lines); label/value lines read well at any width.
    """
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    for row in rows:
        name, origin, pairs = systems_panel(row)
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(ratio=1)
        for label, value in pairs:
            grid.add_row(Text(label), Text(value))
        title = Text(name, style="bold cyan")
        title.append(f"  {origin}", style="dim")
        console.print(Panel(grid, title=title, title_align="left"))


def systems_panel(row: dict[str, Any]) -> tuple[str, str, list[tuple[str, str]]]:
    """One system's panel: its name, its origin and the label/value lines (shared with richtable)."""
    records, billable = row.get("records"), row.get("billable")
    count = f"{records:,} ({billable:,} billable)" if isinstance(records, int) and isinstance(billable, int) else ""
    pairs = [
        (label, str(value))
        for label, value in (
            ("Release", row.get("release")),
            ("Records", count),
            ("Source", row.get("source")),
            ("Licence", row.get("licence")),
            ("Publisher", row.get("publisher")),
        )
        if value
    ]
    return str(row.get("name", "")), str(row.get("origin", "")), pairs
