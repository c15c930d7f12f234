"""The result table of ``search``/``browse``/``systems`` in a terminal, drawn without importing Rich.

Importing Rich's console, table and text modules costs more than a whole fast-path search
(about 45 ms on the benchmark machine, with ``typing``, ``inspect``, ``dataclasses`` and
``fractions`` behind them), so a search typed in a terminal took 2.5x the same search in a
pipe. This module draws the one table :class:`codelookup.formats.TableRenderer` asks Rich for
(a ``Table`` with the ``HEAVY_HEAD`` box, a left-justified title, padding ``(0, 1)``, not
expanded) by Rich's own layout rules, so the output is **byte for byte** what Rich prints:
column measurement, ``Table._collapse_widths`` and ``ratio_reduce`` when the table is too
wide, word wrapping as ``rich._wrap.divide_line`` does it (folding or ellipsis per column),
alignment and the ANSI style codes. ``tests/test_richtable.py`` compares both on hundreds of
real result lists at several widths, with and without colour.

It declines (returns None, and Rich draws the table) whenever the output could differ:
a character outside the ones Rich treats as one cell without its width tables (printable ASCII
and Latin up to U+02FF, less the no-break space), a Rich setting read from the environment that it does
not model (``FORCE_COLOR``, ``TTY_COMPATIBLE``, ``TTY_INTERACTIVE``, a dumb terminal;
``NO_COLOR`` is modelled: bold stays, colour goes, as in Rich), a non-UTF-8 stream (Rich would
switch to an ASCII box), Windows, or columns too narrow.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - for the checker only (import cost)
    import re
    from collections.abc import Sequence
    from typing import TextIO

# Rich's HEAVY_HEAD box: top, head row, line under the head, body rows, bottom.
TOP = ("┏", "━", "┳", "┓")
HEAD = ("┃", "┃", "┃")
UNDER_HEAD = ("┡", "━", "╇", "┩")
BODY = ("│", "│", "│")
BOTTOM = ("└", "─", "┴", "┘")
BOLD = "1"  # Rich's "table.header" style
BOLD_CYAN = "1;36"  # TableRenderer's code column: "bold cyan" (a standard colour: the same code in every colour system)
_ENV_DECLINES = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS")


class Col:
    """One column as TableRenderer declares it: heading, cell style, whether it wraps, overflow."""

    __slots__ = ("fold", "heading", "no_wrap", "style")

    def __init__(self, heading: str, style: str = "", no_wrap: bool = False, fold: bool = False) -> None:
        self.heading = heading
        self.style = style
        self.no_wrap = no_wrap
        self.fold = fold  # overflow="fold" (long words broken); otherwise Rich's default "ellipsis"


def console_setup(out: TextIO) -> tuple[int, bool] | None:
    """(width, styled) as ``rich.console.Console(file=out)`` would decide them, or None to leave it to Rich.

    ``styled`` is False in a pipe (Rich then writes no escape codes at all).
    """
    env = os.environ
    if sys.platform == "win32" or any(name in env for name in _ENV_DECLINES):
        return None
    if not (getattr(out, "encoding", "") or "").lower().replace("-", "").startswith("utf"):
        return None
    try:
        terminal = out.isatty()
    except (AttributeError, ValueError):
        return None
    if terminal and env.get("TERM", "").lower() in ("dumb", "unknown"):
        return None
    width = 0
    for fd in (0, 1, 2):  # Rich asks stdin first, then stdout and stderr
        try:
            width = os.get_terminal_size(fd).columns
        except (AttributeError, ValueError, OSError):
            continue
        break
    columns = env.get("COLUMNS")
    if columns is not None and columns.isdigit():
        width = int(columns)
    return width or 80, terminal


# Characters Rich itself treats as one cell wide without its width tables (``rich.cells``), less
# U+00A0 (a space to str.split and to Rich's word splitting, not to ours) and U+00AD.
_ONE_CELL = frozenset(chr(c) for lo, hi in ((0x20, 0x7E), (0xA1, 0xAC), (0xAE, 0x2FF)) for c in range(lo, hi + 1))


def _printable(text: str) -> bool:
    return (text.isascii() and text.isprintable()) or _ONE_CELL.issuperset(text)


def _measure(text: str, limit: int, extra: int = 2) -> tuple[int, int]:
    """``Measurement.get`` of ``Padding(Text(text), ...)`` with ``extra`` cells of padding, at ``max_width=limit``."""
    if limit < 1:
        return 0, 0
    if limit - extra < 1:
        return limit, limit
    words = text.split()
    longest = len(text)
    shortest = max(len(w) for w in words) if words else longest
    shortest = min(shortest, longest)
    inner = (min(shortest, limit), min(longest, limit))
    if inner[1] < 1:
        inner = (0, 0)
    lo, hi = min(inner[0] + extra, limit), min(inner[1] + extra, limit)
    lo = min(max(0, lo), hi)
    return (lo, hi) if hi >= 1 else (0, 0)


def _measure_column(cells: Sequence[str], limit: int, extra: int = 2) -> tuple[int, int]:
    if limit < 1:
        return 0, 0
    ranges = [_measure(c, limit, extra) for c in cells]
    lo = max(r[0] for r in ranges) if ranges else 1
    hi = max(r[1] for r in ranges) if ranges else limit
    return min(lo, limit), min(hi, limit)


def _ratio_reduce(total: int, ratios: list[int], maximums: list[int], values: list[int]) -> list[int]:
    """``rich._ratio.ratio_reduce``."""
    ratios = [ratio if top else 0 for ratio, top in zip(ratios, maximums, strict=True)]
    total_ratio = sum(ratios)
    if not total_ratio:
        return values[:]
    remaining = total
    result: list[int] = []
    for ratio, top, value in zip(ratios, maximums, values, strict=True):
        if ratio and total_ratio > 0:
            given = min(top, round(ratio * remaining / total_ratio))
            result.append(value - given)
            remaining -= given
            total_ratio -= ratio
        else:
            result.append(value)
    return result


def _collapse(widths: list[int], wrapable: list[bool], max_width: int) -> list[int]:
    """``Table._collapse_widths``: shrink the widest wrapable columns first."""
    total = sum(widths)
    excess = total - max_width
    if any(wrapable):
        while total and excess > 0:
            widest = max(w for w, ok in zip(widths, wrapable, strict=True) if ok)
            second = max(w if ok and w != widest else 0 for w, ok in zip(widths, wrapable, strict=True))
            difference = widest - second
            ratios = [1 if (w == widest and ok) else 0 for w, ok in zip(widths, wrapable, strict=True)]
            if not any(ratios) or not difference:
                break
            widths = _ratio_reduce(excess, ratios, [min(excess, difference)] * len(widths), widths)
            total = sum(widths)
            excess = total - max_width
    return widths


def column_widths(
    cols: Sequence[Col], cells: Sequence[Sequence[str]], max_width: int, pads: Sequence[int] | None = None
) -> list[int]:
    """``Table._calculate_column_widths`` for a table that is not expanded (``pads``: each column's padding)."""
    pads = pads or [2] * len(cols)
    ranges = [_measure_column(c, max_width, p) for c, p in zip(cells, pads, strict=True)]
    widths = [r[1] or 1 for r in ranges]
    if sum(widths) > max_width:
        widths = _collapse(widths, [not c.no_wrap for c in cols], max_width)
        if sum(widths) > max_width:
            widths = _ratio_reduce(sum(widths) - max_width, [1] * len(widths), widths, widths)
        widths = [_measure_column(c, w, p)[1] or 0 for c, w, p in zip(cells, widths, pads, strict=True)]
    return widths


_WORD_RUN: re.Pattern[str] | None = None  # compiled on first use: spaces, non-spaces, spaces


def _words(text: str) -> list[tuple[int, str]]:
    """``rich._wrap.words``: each run of non-space characters with the spaces around it."""
    global _WORD_RUN
    if _WORD_RUN is None:
        import re

        _WORD_RUN = re.compile(r" *[^ ]+ *")
    return [(m.start(), m.group()) for m in _WORD_RUN.finditer(text)]


def _divide(text: str, width: int, fold: bool) -> list[int]:
    """``rich._wrap.divide_line`` for ASCII text (one cell per character)."""
    breaks: list[int] = []
    offset = 0
    for start, word in _words(text):
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:
            if fold:
                pieces = [word[i : i + width] for i in range(0, len(word), width)]
                for k, piece in enumerate(pieces):
                    if start:
                        breaks.append(start)
                    if k == len(pieces) - 1:
                        offset = len(piece)
                    else:
                        start += len(piece)
            else:
                if start:
                    breaks.append(start)
                offset = len(word)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    return breaks


def _fit(line: str, width: int, fold: bool) -> str:
    """``Text.truncate(width, overflow, pad=True)``."""
    if len(line) > width:
        line = line[:width] if fold else line[: width - 1] + "…"
    return line + " " * (width - len(line))


def wrap(text: str, width: int, *, no_wrap: bool, fold: bool) -> list[str]:
    """``Text.wrap(width, justify="left")``: lines padded to ``width``."""
    if no_wrap:
        return [_fit(text, width, fold)]
    offsets = _divide(text, width, fold)
    lines = [text[a:b] for a, b in zip([0, *offsets], [*offsets, len(text)], strict=True)]
    out = []
    for line in lines:
        if len(line) > width:  # rstrip_end: drop trailing spaces beyond the width
            stripped = line.rstrip(" ")
            line = line[: len(line) - min(len(line) - len(stripped), len(line) - width)]
        out.append(_fit(line, width, fold))
    return out


def render(
    title: str | None, cols: Sequence[Col], rows: Sequence[Sequence[str]], width: int, styled: bool
) -> str | None:
    """The table as Rich prints it on a console ``width`` wide, or None when that is not certain."""
    texts = [c.heading for c in cols] + [cell for row in rows for cell in row] + ([title] if title else [])
    if not all(_printable(t) for t in texts):
        return None
    extra = len(cols) + 1  # the box's vertical lines
    cells = [[c.heading] + [row[i] for row in rows] for i, c in enumerate(cols)]
    widths = column_widths(cols, cells, width - extra)
    if any(w < 3 for w in widths):
        return None

    no_color = os.environ.get("NO_COLOR", "") != ""  # Rich drops colours, keeps bold

    def paint(text: str, style: str) -> str:
        if no_color and style == BOLD_CYAN:
            style = BOLD
        return f"\x1b[{style}m{text}\x1b[0m" if styled and style and text else text

    out: list[str] = []
    table_width = sum(widths) + extra
    if title:
        out += [line + "\n" for line in wrap(title, table_width, no_wrap=False, fold=True)]
    out.append(TOP[0] + TOP[2].join(TOP[1] * w for w in widths) + TOP[3] + "\n")
    for index, row in enumerate([[c.heading for c in cols], *rows]):
        header = index == 0
        left, divider, right = HEAD if header else BODY
        rendered = []
        for col, w, cell in zip(cols, widths, row, strict=True):
            style = BOLD if header else col.style
            lines = [paint(" ", style) + paint(line, style) + paint(" ", style)
                     for line in wrap(cell, w - 2, no_wrap=col.no_wrap, fold=col.fold)]  # fmt: skip
            rendered.append((lines, paint(" " * w, style)))
        height = max(len(lines) for lines, _ in rendered)
        shaped = []
        for lines, blank in rendered:
            fill = [blank] * (height - len(lines))
            shaped.append(fill + lines if header else lines + fill)  # the head aligns to the bottom
        for n in range(height):
            out.append(left + divider.join(cell[n] for cell in shaped) + right + "\n")
        if header:
            out.append(UNDER_HEAD[0] + UNDER_HEAD[2].join(UNDER_HEAD[1] * w for w in widths) + UNDER_HEAD[3] + "\n")
    out.append(BOTTOM[0] + BOTTOM[2].join(BOTTOM[1] * w for w in widths) + BOTTOM[3] + "\n")
    return "".join(out)


# Rich's ROUNDED box, the default of Panel.
R_TOP, R_SIDE, R_BOTTOM = ("╭", "─", "╮"), "│", ("╰", "─", "╯")


def label_panels(panels: Sequence[tuple[str, str, Sequence[tuple[str, str]]]], width: int, styled: bool) -> str | None:
    """``page.rich_systems``: per item a ``Panel`` titled ``Text(name, "bold cyan")`` + ``"  origin"``
    (dim), holding a ``Table.grid(padding=(0, 1))`` of a bold no-wrap label column and a wrapping
    value column. None when the output might differ from Rich's."""
    no_color = os.environ.get("NO_COLOR", "") != ""
    title_style, origin_style = ("1", "1;2") if no_color else ("1;36", "1;2;36")

    def paint(text: str, style: str) -> str:
        return f"\x1b[{style}m{text}\x1b[0m" if styled and style and text else text

    inner = width - 4  # borders and the panel's padding (0, 1)
    out: list[str] = []
    cols = [Col("", style=BOLD, no_wrap=True), Col("")]
    for name, origin, pairs in panels:
        texts = [name, origin, *(t for pair in pairs for t in pair)]
        if not all(_printable(t) for t in texts) or len(name) + len(origin) + 4 > inner or inner < 4:
            return None
        if pairs:
            # Table.grid: no edge padding, collapsed padding: the label column keeps 1 cell on its right
            widths = column_widths(cols, [[a for a, _ in pairs], [b for _, b in pairs]], inner, pads=[1, 0])
            if widths[0] < 2 or widths[1] < 1 or sum(widths) > inner:
                return None
        excess = inner - (len(name) + len(origin) + 4)
        out.append(R_TOP[0] + R_TOP[1] + paint(" " + name, title_style) + paint("  " + origin, origin_style)
                   + paint(" ", title_style) + R_TOP[1] * excess + R_TOP[1] + R_TOP[2] + "\n")  # fmt: skip
        for label, value in pairs:
            left = [
                paint(line, BOLD) + paint(" ", BOLD) for line in wrap(label, widths[0] - 1, no_wrap=True, fold=False)
            ]
            right = wrap(value, widths[1], no_wrap=False, fold=False)
            left += [paint(" " * widths[0], BOLD)] * (len(right) - len(left))
            right += [" " * widths[1]] * (len(left) - len(right))
            fill = " " * (inner - sum(widths))
            out += [f"{R_SIDE} {a}{b}{fill} {R_SIDE}\n" for a, b in zip(left, right, strict=True)]
        out.append(R_BOTTOM[0] + R_BOTTOM[1] * (width - 2) + R_BOTTOM[2] + "\n")
    return "".join(out)
