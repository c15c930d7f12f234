"""A code's page in a terminal without importing Rich, byte for byte what :func:`page.rich_page` prints.

Same idea as :mod:`codelookup.richtable`: ``Panel`` (ROUNDED, title on the left, padding
``(0, 1)``), ``Text`` with styled spans (the head), ``Table.grid`` lists, the notes (lead-in rows,
nested lists as a ``Group`` of text and a grid, measured the way Rich measures tables and
groups), CC/MCC lines and the header tables (``box=None``: related codes, seventh characters,
ICD-10-PCS axes), all by Rich's own layout rules. Text Rich would measure with its width tables,
or a pager, return None, and Rich draws them. ``tests/test_richtable.py``
compares both on every CPT page and a sample of ICD-10-CM pages at several widths.
"""

from __future__ import annotations

import os
from itertools import pairwise

from .richtable import R_BOTTOM, R_SIDE, R_TOP, Col, _divide, _printable, column_widths, wrap
from .sections import BY_SLUG, Shape

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - for the checker only (import cost)
    from typing import Any

    from .models import CodeDetail

# SGR codes of the styles the page uses: (attributes, colour)
Style = tuple[frozenset[int], int | None]
NONE: Style = (frozenset(), None)
BOLD: Style = (frozenset({1}), None)
DIM: Style = (frozenset({2}), None)
DIM_ITALIC: Style = (frozenset({2, 3}), None)
CYAN: Style = (frozenset(), 36)
BOLD_CYAN: Style = (frozenset({1}), 36)
GREEN: Style = (frozenset(), 32)
YELLOW: Style = (frozenset(), 33)
MAGENTA: Style = (frozenset(), 35)
BOLD_GREEN: Style = (frozenset({1}), 32)
# Characters outside Latin that pages use and Rich measures as one cell (checked by the tests).
EXTRA_ONE_CELL = frozenset("•–›…’‘“”—→←")
SHAPES = tuple(Shape)  # every section shape is drawn here


def _ok(text: str) -> bool:
    return _printable(text) or _printable("".join(c for c in text if c not in EXTRA_ONE_CELL))


class Painter:
    def __init__(self, styled: bool) -> None:
        self.styled = styled
        self.no_color = os.environ.get("NO_COLOR", "") != ""

    def __call__(self, text: str, style: Style) -> str:
        attrs, colour = style
        if self.no_color:
            colour = None
        if not (self.styled and text and (attrs or colour)):
            return text
        codes = [str(a) for a in sorted(attrs)] + ([str(colour)] if colour else [])
        return f"\x1b[{';'.join(codes)}m{text}\x1b[0m"


def _combine(styles: list[Style]) -> Style:
    attrs: frozenset[int] = frozenset()
    colour: int | None = None
    for a, c in styles:
        attrs |= a
        colour = c if c is not None else colour
    return attrs, colour


Span = tuple[int, int, Style]


def text_lines(
    plain: str, spans: list[Span], width: int, paint: Painter, *, fold: bool = True
) -> list[tuple[str, int]]:
    """``Text(plain, spans).wrap(width)`` with justify "default", rendered: (escaped line, cells)."""
    out: list[tuple[str, int]] = []
    start = 0
    for raw in plain.split("\n"):
        end = start + len(raw)
        offsets = _divide(raw, width, fold)
        for a, b in zip([0, *offsets], [*offsets, len(raw)], strict=True):
            piece = raw[a:b]
            if len(piece) > width:  # rstrip_end
                stripped = piece.rstrip(" ")
                piece = piece[: len(piece) - min(len(piece) - len(stripped), len(piece) - width)]
            if len(piece) > width:  # truncate with the overflow method
                piece = piece[:width] if fold else piece[: width - 1] + "…"
            lo, hi = start + a, start + a + len(piece)
            mine = [(max(s, lo) - lo, min(e, hi) - lo, st) for s, e, st in spans if s < hi and e > lo]
            cuts = sorted({0, len(piece), *(s for s, _, _ in mine), *(e for _, e, _ in mine)})
            line = "".join(
                paint(piece[x:y], _combine([st for s, e, st in mine if s <= x and e >= y]))
                for x, y in pairwise(cuts)
                if y > x
            )
            out.append((line, len(piece)))
        start = end + 1
    return out


def _grid(rows: list[tuple[str, str]], inner: int, paint: Painter) -> list[tuple[str, int]] | None:
    """``Table.grid(padding=(0, 1))``: a no-wrap marker column and a wrapping text column."""
    cols = [Col("", no_wrap=True), Col("")]
    widths = column_widths(cols, [[m for m, _ in rows], [t for _, t in rows]], inner, pads=[1, 0])
    if widths[0] < 2 or widths[1] < 1 or sum(widths) > inner:
        return None
    out = []
    for marker, text in rows:
        left = [line + " " for line in wrap(marker, widths[0] - 1, no_wrap=True, fold=False)]
        right = wrap(text, widths[1], no_wrap=False, fold=False)
        left += [" " * widths[0]] * (len(right) - len(left))
        right += [" " * widths[1]] * (len(left) - len(right))
        out += [(a + b, sum(widths)) for a, b in zip(left, right, strict=True)]
    return out


def _codes(value: Any, system: str, inner: int, paint: Painter) -> list[tuple[str, int]] | None:
    """The CODES table: ``Table(show_header=True, box=None, padding=(0, 1))``, Code / Title / Why."""
    rows: list[list[tuple[str, Style]]] = []
    for ref in value if isinstance(value, list) else [value]:
        if isinstance(ref, dict):
            why = str(ref.get("reason", ""))
            if not why and ref.get("billable") is not None:
                why = "billable" if ref["billable"] else "not billable"
            code = str(ref.get("code", ""))
            if ref.get("system") and ref.get("system") != system:
                code += f"\n({ref['system']})"
            rows.append([(code, NONE), (str(ref.get("title", "")), NONE), (why, NONE)])
    cols = [Col("Code", no_wrap=True), Col("Title"), Col("Why")]
    return _table(cols, [CYAN, NONE, NONE], rows, 1, inner, paint, breaks=(0,))


def _mapping(value: Any, system: str, code: str, inner: int, paint: Painter) -> list[tuple[str, int]] | None:
    """The seventh characters: ``Table(show_header=True, box=None, padding=(0, 2))``, Char (bold) /
    Meaning, this code's character in bold green."""
    from .systems import registry

    if not isinstance(value, dict):
        return None
    mine = code.replace(".", "")[6:7] if registry.has(system, "seventh_characters") else ""
    rows: list[list[tuple[str, Style]]] = []
    for char, meaning in value.items():
        style = BOLD_GREEN if char == mine else NONE
        note = "  ← this code" if char == mine else ""
        rows.append([(str(char), style), (str(meaning) + note, style)])
    return _table([Col("Char"), Col("Meaning")], [BOLD, NONE], rows, 2, inner, paint)


def _axes(value: Any, inner: int, paint: Painter) -> list[tuple[str, int]] | None:
    """The ICD-10-PCS axes: ``Table(show_header=True, box=None, padding=(0, 1))``, five plain columns."""
    keys = ("position", "axis", "value", "label", "definition")
    rows = [[(str(axis.get(k) or ""), NONE) for k in keys] for axis in (value if isinstance(value, list) else [value])]
    cols = [Col(h) for h in ("#", "Axis", "Value", "Meaning", "Definition")]
    return _table(cols, [NONE] * 5, rows, 1, inner, paint)


def _table(
    cols: list[Col],
    col_styles: list[Style],
    rows: list[list[tuple[str, Style]]],
    pad: int,
    inner: int,
    paint: Painter,
    breaks: tuple[int, ...] = (),
) -> list[tuple[str, int]] | None:
    """A header table with ``box=None`` and ``padding=(0, pad)``: the bold header row, then each
    row's cells (text, its own style) over the column's style. Only the columns in ``breaks`` may
    hold a line break (a cell of several lines, measured line by line, as Rich does)."""
    texts = [c.heading for c in cols] + [t for row in rows for t, _ in row]
    if not all(_ok(t.replace("\n", " ")) for t in texts):
        return None
    if any("\n" in row[ci][0] for row in rows for ci in range(len(cols)) if ci not in breaks):
        return None
    cells = [[c.heading] + [row[ci][0] for row in rows] for ci, c in enumerate(cols)]
    flat = [[line for c in col for line in c.split("\n")] for col in cells]
    widths = column_widths(cols, flat, inner, pads=[2 * pad] * len(cols))
    if any(w < 2 * pad + 1 for w in widths):
        return None
    edge = " " * pad
    out = []
    for index, row in enumerate([[(c.heading, NONE) for c in cols], *rows]):
        header = index == 0
        rendered = []
        for ci, (w, (cell, own)) in enumerate(zip(widths, row, strict=True)):
            base = BOLD if header else col_styles[ci]
            style = _combine([base, own])
            lines: list[str] = []
            for part in cell.split("\n"):
                lines += wrap(part, w - 2 * pad, no_wrap=cols[ci].no_wrap, fold=False)
            rendered.append(([paint(edge, base) + paint(line, style) + paint(edge, base) for line in lines],
                             paint(" " * w, base)))  # fmt: skip
        height = max(len(lines) for lines, _ in rendered)
        shaped = []
        for lines, blank in rendered:
            fill = [blank] * (height - len(lines))
            shaped.append(fill + lines if header else lines + fill)
        out += [("".join(c[n] for c in shaped), sum(widths)) for n in range(height)]
    return out


# -- nested grids (the notes) ------------------------------------------------------------------
# A renderable: ("text", plain, base style) | ("group", [renderables]) | ("grid", [(marker, body), ...])
if TYPE_CHECKING:  # pragma: no cover
    Node = tuple[Any, ...]  # ("text", plain, style) | ("group", children) | ("grid", None, rows)


def _norm(lo: int, hi: int, limit: int) -> tuple[int, int]:
    """``Measurement.normalize().with_maximum(limit)``, then (0, 0) when nothing fits, as ``Measurement.get``."""
    lo = min(max(0, lo), hi)
    hi = max(0, max(lo, hi))
    lo, hi = min(lo, limit), min(hi, limit)
    return (0, 0) if hi < 1 else (min(max(0, lo), hi), hi)


def _measure_node(node: Node, limit: int) -> tuple[int, int]:
    if limit < 1:
        return 0, limit
    if node[0] == "text":
        plain = node[1]
        lines = plain.splitlines()
        longest = max((len(line) for line in lines), default=0)
        words = plain.split()
        return _norm(max((len(w) for w in words), default=longest), longest, limit)
    if node[0] == "group":
        ms = [_measure_node(child, limit) for child in node[1]]
        return _norm(max(m[0] for m in ms), max(m[1] for m in ms), limit)
    widths = _grid_widths(node[2], limit)
    total = sum(widths)
    ms = [_measure_grid_column(node[2], col, total) for col in (0, 1)]
    return _norm(sum(m[0] for m in ms), sum(m[1] for m in ms), limit)


def _measure_padded(node: Node, limit: int, extra: int) -> tuple[int, int]:
    """``Measurement.get`` of ``Padding(node, ...)`` with ``extra`` horizontal cells."""
    if limit < 1:
        return 0, 0
    if limit - extra < 1:
        return _norm(limit, limit, limit)
    lo, hi = _measure_node(node, limit)
    return _norm(min(lo + extra, limit), min(hi + extra, limit), limit)


def _measure_grid_column(rows: list[tuple[Node, Node]], col: int, limit: int) -> tuple[int, int]:
    if limit < 1:
        return 0, 0
    ms = [_measure_padded(row[col], limit, 1 - col) for row in rows]
    lo = max((m[0] for m in ms), default=1)
    hi = max((m[1] for m in ms), default=limit)
    return min(lo, limit), min(hi, limit)


def _grid_widths(rows: list[tuple[Node, Node]], limit: int) -> list[int]:
    """``Table.grid(padding=(0, 1))`` with a no-wrap first column: ``_calculate_column_widths``."""
    from .richtable import _collapse, _ratio_reduce

    widths = [_measure_grid_column(rows, col, limit)[1] or 1 for col in (0, 1)]
    if sum(widths) > limit:
        widths = _collapse(widths, [False, True], limit)
        if sum(widths) > limit:
            widths = _ratio_reduce(sum(widths) - limit, [1, 1], widths, widths)
        widths = [_measure_grid_column(rows, col, w)[1] or 0 for col, w in zip((0, 1), widths, strict=True)]
    return widths


def _render_node(node: Node, width: int, paint: Painter, no_wrap: bool = False) -> list[str]:
    """Lines exactly ``width`` cells wide (justify "left", overflow "ellipsis": a grid cell's options)."""
    if node[0] == "text":
        return [paint(line, node[2]) for line in wrap(node[1], width, no_wrap=no_wrap, fold=False)]
    if node[0] == "group":
        return [line for child in node[1] for line in _render_node(child, width, paint)]
    rows = node[2]
    widths = _grid_widths(rows, width)
    if widths[0] < 2 or widths[1] < 1 or sum(widths) > width:
        raise _Decline
    fill = " " * (width - sum(widths))
    out: list[str] = []
    for marker, body in rows:
        left = [line + " " for line in _render_node(marker, widths[0] - 1, paint, no_wrap=True)]
        right = _render_node(body, widths[1], paint)
        left += [" " * widths[0]] * (len(right) - len(left))
        right += [" " * widths[1]] * (len(left) - len(right))
        out += [a + b + fill for a, b in zip(left, right, strict=True)]
    return out


class _Decline(Exception):
    """Layout the Rich-free drawing does not model: Rich draws the page."""


def _note_rows(notes: list[dict[str, Any]], depth: int = 0) -> list[tuple[Node, Node]]:
    from .page import note_text

    rows: list[tuple[Node, Node]] = []
    for note in notes:
        body: Node = ("text", note_text(note), NONE)
        items = list(note.get("items", ()))
        if items:
            body = ("group", [body, ("grid", None, _note_rows(items, depth + 1))])
        rows.append((("text", "•" if depth == 0 else "–", NONE), body))
    return rows


def _texts(node: Node) -> list[str]:
    if node[0] == "text":
        return [node[1]]
    if node[0] == "group":
        return [t for child in node[1] for t in _texts(child)]
    return [t for m, b in node[2] for t in (*_texts(m), *_texts(b))]


def _notes(value: Any, code: str, inner: int, paint: Painter) -> list[tuple[str, int]] | None:
    """The NOTES body: lead-in rows (dim italic) and bullet rows, nested lists as grids in a Group."""
    from .page import note_groups

    rows: list[tuple[Node, Node]] = []
    for label, notes in note_groups(value, code):
        if label:
            rows.append((("text", "", NONE), ("text", label, DIM_ITALIC)))
        rows += _note_rows(notes)
    grid: Node = ("grid", None, rows)
    if not rows or not all(_ok(t) and "\n" not in t for t in _texts(grid)):
        return None
    try:
        widths = _grid_widths(rows, inner)
        lines = _render_node(grid, sum(widths), paint)
    except _Decline:
        return None
    return [(line, sum(widths)) for line in lines]


def render(detail: CodeDetail, only: list[str] | None, width: int, styled: bool) -> str | None:
    """The page as ``page.rich_page`` prints it on a console ``width`` wide, or None."""
    from .page import _numbered_chapter, missing_lines, selected, source_line

    rec = detail.record
    paint = Painter(styled)
    inner = width - 4
    if inner < 10:
        return None
    sections = selected(detail, only)
    if any(BY_SLUG[slug].shape not in SHAPES for slug in sections):
        return None
    # -- the head: one Text with spans, in a cyan-bordered panel
    plain = ""
    spans: list[Span] = []

    def add(text: str, style: Style) -> None:
        nonlocal plain
        spans.append((len(plain), len(plain) + len(text), style))
        plain += text

    add(rec.code, BOLD_CYAN)
    add(f"  {rec.system}\n", BOLD)
    add(rec.title + "\n", BOLD)
    if rec.extra.get("resolution_note"):
        add(f"Note: {rec.extra['resolution_note']}.\n", MAGENTA)
    add(detail.billable_reason, GREEN if rec.billable else YELLOW)
    for depth, ref in enumerate(detail.breadcrumb):
        label = f"Chapter {ref.code}" if _numbered_chapter(detail, ref.code) else ref.code
        add("\n" + "  " * depth + ("› " if depth else ""), DIM)
        add(label, CYAN)
        add(f"  {ref.title}", DIM)
    if detail.also_in:
        add(f"\nAlso a code in: {', '.join(detail.also_in)} (use --system to choose)", MAGENTA)
    if detail.release:
        add(f"\nRelease: {detail.release}", DIM)
    if not _ok(plain.replace("\n", " ")):
        return None
    out: list[str] = []
    head = text_lines(plain, spans, inner, paint)
    out += _panel("Code", head, width, paint, CYAN)
    for slug, value in sections.items():
        sec = BY_SLUG[slug]
        if not _ok(sec.heading) or len(sec.heading) + 2 > inner:
            return None
        body: list[tuple[str, int]] | None
        if sec.shape in (Shape.TEXT, Shape.CLAIM):
            from .page import claim_lines

            text = str(value) if sec.shape is Shape.TEXT else "\n".join(claim_lines(value, rec.code))
            body = text_lines(text, [], inner, paint) if _ok(text.replace("\n", " ")) else None
        elif sec.shape in (Shape.BULLETS, Shape.STEPS):
            items = value if isinstance(value, list) else [value]
            rows = [(f"{i}." if sec.shape is Shape.STEPS else "•", str(item)) for i, item in enumerate(items, 1)]
            body = _grid(rows, inner, paint) if all(_ok(t) for _, t in rows) else None
        elif sec.shape is Shape.NOTES:
            body = _notes(value, rec.code, inner, paint)
        elif sec.shape is Shape.MAPPING:
            body = _mapping(value, rec.system, rec.code, inner, paint)
        elif sec.shape is Shape.AXES:
            body = _axes(value, inner, paint)
        else:
            body = _codes(value, rec.system, inner, paint)
        if body is None:
            return None
        out += _panel(sec.heading, body, width, paint, NONE)
    for line in missing_lines(detail, only):
        if not _ok(line):
            return None
        out += [text + "\n" for text, _ in text_lines(line, [(0, len(line), YELLOW)], width, paint)]
    source = source_line(detail)
    if not _ok(source):
        return None
    out += [text + "\n" for text, _ in text_lines(source, [(0, len(source), DIM_ITALIC)], width, paint)]
    return "".join(out)


def _panel(title: str, lines: list[tuple[str, int]], width: int, paint: Painter, border: Style) -> list[str]:
    inner = width - 4
    excess = inner - len(title) - 2
    top = (paint(R_TOP[0] + R_TOP[1], border) + paint(f" {title} ", border) + paint(R_TOP[1] * excess, border)
           + paint(R_TOP[1] + R_TOP[2], border) + "\n")  # fmt: skip
    side = paint(R_SIDE, border)
    body = [f"{side} {text}{' ' * (inner - cells)} {side}\n" for text, cells in lines]
    return [top, *body, paint(R_BOTTOM[0] + R_BOTTOM[1] * (width - 2) + R_BOTTOM[2], border) + "\n"]


__all__ = ["render", "text_lines"]
