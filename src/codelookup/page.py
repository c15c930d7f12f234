"""Rendering a code's detail page: Rich panels for people, plain text for pipes.

The section order and headings come from :mod:`codelookup.sections`, the single source of
truth shared with the JSON output. Catalogue text is always wrapped in ``Text`` objects so that
brackets in titles are shown literally and never parsed as Rich markup.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

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


# -- plain text ---------------------------------------------------------------------------
def _wrap(text: str, indent: str, width: int) -> list[str]:
    return textwrap.wrap(
        " ".join(str(text).split()),
        width=max(width, 40),
        initial_indent=indent,
        subsequent_indent=indent,
    ) or [indent]


def plain_page(detail: CodeDetail, only: list[str] | None, width: int = 100) -> str:
    rec = detail.record
    lines = [f"{rec.code}  {rec.system}", *_wrap(rec.title, "", width)]
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
        lines += _plain_section(sec.shape, value, width, rec.system)
    lines += ["", *_wrap(source_line(detail), "", width)]
    return "\n".join(lines) + "\n"


def _plain_section(shape: Shape, value: Any, width: int, system: str = "") -> list[str]:
    out: list[str] = []
    if shape is Shape.TEXT:
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
    console.print(Text(source_line(detail), style="dim italic"))


def _rich_body(shape: Shape, value: Any, Table: Any, Text: Any, system: str = "", code: str = "") -> Any:
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
