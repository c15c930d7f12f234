"""The terminal result table drawn without Rich is byte for byte the table Rich draws.

Both are produced for the same rows (``TableRenderer.listing`` takes the Rich-free path,
``listing_with_rich`` is the Rich original) on real search and browse results at many widths, in
a terminal (colour) and a pipe (``--format table``), and on generated tables that exercise
wrapping, folding, ellipsis and collapsing. Where the Rich-free path is not sure it declines,
and Rich draws the table.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codelookup import richtable
from codelookup.errors import NotFoundError
from codelookup.formats import SEARCH_COLUMNS, TableRenderer

from .conftest import REPO

QUERIES = [line.strip() for line in (REPO / "bench" / "perf_queries.txt").read_text().splitlines() if line.strip()]
SYSTEM_COLUMNS = (("name", "System"), ("release", "Release"), ("source", "Source"), ("records", "Records"))


class Terminal(io.StringIO):
    encoding = "utf-8"

    def isatty(self) -> bool:
        return True


class Pipe(Terminal):
    def isatty(self) -> bool:
        return False


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """conftest sets NO_COLOR and TERM=dumb for Rich; here both renderers see an ordinary terminal."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


def _take_turns(monkeypatch: pytest.MonkeyPatch, n: int, widths: tuple[int, int, int]) -> int:
    """The n-th case's terminal: the widths take turns, the middle one with NO_COLOR."""
    width = widths[n % 3]
    monkeypatch.setenv("COLUMNS", str(width))
    if n % 3 == 1:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    return width


def both(
    stream: type[Terminal], query: str | None, rows: list[dict[str, Any]], columns: Any = SEARCH_COLUMNS
) -> tuple[str, str]:
    fast, rich = stream(), stream()
    TableRenderer(fast, {}, columns).listing(rows, query=query)
    TableRenderer(rich, {}, columns).listing_with_rich(rows, query)
    return fast.getvalue(), rich.getvalue()


def test_real_results_at_every_width(lib: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = declined = 0
    calls: list[bool] = []
    real = richtable.render

    def counting(*args: Any, **kwargs: Any) -> str | None:
        out = real(*args, **kwargs)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(richtable, "render", counting)
    listings: list[tuple[str, list[dict[str, Any]]]] = []
    for query in QUERIES[::3]:
        try:
            result = lib.search(query, limit=10)
        except NotFoundError:
            continue
        listings.append((result.query, [h.as_dict() for h in result.hits]))
    for target in ("E11", "ICD-10-CM", "ICD-10-PCS", "CPT", "0SR", "S52.5"):
        heading, refs = lib.browse(target)
        listings.append((heading, [r.as_dict() for r in refs]))
    for width in (40, 80, 100, 200):  # the narrowest, the common, the pinned (no colour), the widest
        monkeypatch.setenv("COLUMNS", str(width))
        if width == 100:
            monkeypatch.setenv("NO_COLOR", "1")
        else:
            monkeypatch.delenv("NO_COLOR", raising=False)
        # The pipe draws the same layout without escape codes: two widths prove it.
        for stream in (Terminal, Pipe) if width in (40, 100) else (Terminal,):
            for query, rows in listings:
                fast, rich = both(stream, query, rows)
                assert fast == rich, f"{query!r} at {width} columns ({stream.__name__})"
    drawn, declined = calls.count(True), calls.count(False)
    assert drawn > 0.95 * (drawn + declined), f"declined {declined} of {drawn + declined}"


def test_the_terminal_table_is_coloured_and_the_pipe_table_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    rows = [
        {
            "code": "E11.621",
            "system": "ICD-10-CM",
            "title": "Type 2 diabetes mellitus with foot ulcer",
            "billable": True,
        }
    ]
    assert "\x1b[1;36mE11.621" in both(Terminal, "q", rows)[0]
    assert "\x1b" not in both(Pipe, "q", rows)[0]
    monkeypatch.setenv("NO_COLOR", "1")
    fast, rich = both(Terminal, "q", rows)
    assert fast == rich and "\x1b[1mE11.621" in fast


WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-.()é©", min_size=1, max_size=30)
CELL = st.lists(WORD, max_size=8).map(" ".join)


@settings(max_examples=250, derandomize=True, deadline=None)
@given(
    rows=st.lists(st.tuples(CELL, CELL, CELL, CELL), max_size=6),
    title=st.one_of(st.none(), CELL),
    width=st.integers(min_value=20, max_value=160),
    wide=st.booleans(),
)
def test_generated_tables(rows: list[tuple[str, ...]], title: str | None, width: int, wide: bool) -> None:
    columns = SYSTEM_COLUMNS if wide else SEARCH_COLUMNS  # ellipsis columns, or the search table's
    keys = [k for k, _ in columns]
    dicts = [dict(zip(keys, row, strict=True)) for row in rows]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COLUMNS", str(width))
        fast, rich = both(Terminal, title, dicts, columns)
    assert fast == rich


def test_declines_what_it_does_not_model(monkeypatch: pytest.MonkeyPatch) -> None:
    cols = [richtable.Col("Title", fold=True)]
    assert richtable.render(None, cols, [["Acné excoriée"]], 80, True) is not None  # Latin: one cell each
    assert richtable.render(None, cols, [["中文"]], 80, True) is None  # wide: Rich's width tables decide
    assert richtable.render(None, cols, [["a\u00a0b"]], 80, True) is None  # no-break space: a word break to Rich
    assert richtable.render(None, cols, [["a\x07b"]], 80, True) is None
    assert richtable.console_setup(Terminal()) is not None
    for name, value in (("FORCE_COLOR", "1"), ("TERM", "dumb")):
        with monkeypatch.context() as mp:
            mp.setenv(name, value)
            assert richtable.console_setup(Terminal()) is None


# -- the systems panels ----------------------------------------------------------------------
def panels_both(rows: list[dict[str, Any]]) -> tuple[str | None, str]:
    from rich.console import Console

    from codelookup.page import rich_systems, systems_panel

    setup = richtable.console_setup(Terminal())
    assert setup is not None
    fast = richtable.label_panels([systems_panel(r) for r in rows], *setup)
    rich = Terminal()
    rich_systems(rows, Console(file=rich, highlight=False))
    return fast, rich.getvalue()


def test_systems_panels_at_every_width(lib: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [i.as_dict() for i in lib.system_info().values()]
    assert any("©" in str(r.get("licence")) for r in rows)  # Latin-1 text is drawn too
    for width in range(30, 201, 10):
        monkeypatch.setenv("COLUMNS", str(width))
        for no_color in (False, True):
            if no_color:
                monkeypatch.setenv("NO_COLOR", "1")
            else:
                monkeypatch.delenv("NO_COLOR", raising=False)
            fast, rich = panels_both(rows)
            assert fast == rich, f"{width} columns, NO_COLOR={no_color}"


@settings(max_examples=150, derandomize=True, deadline=None)
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {"name": WORD, "origin": st.sampled_from(["bundled", "imported", ""]), "release": CELL, "source": CELL,
             "licence": CELL, "records": st.integers(0, 10**6), "billable": st.integers(0, 10**6)}
        ),
        min_size=1, max_size=3,
    ),
    width=st.integers(min_value=24, max_value=140),
)  # fmt: skip
def test_generated_systems_panels(rows: list[dict[str, Any]], width: int) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COLUMNS", str(width))
        fast, rich = panels_both(rows)
    assert fast is None or fast == rich


# -- code pages ----------------------------------------------------------------------------
def test_extra_characters_are_one_cell_in_rich() -> None:
    from rich.cells import cell_len

    from codelookup.richpage import EXTRA_ONE_CELL

    assert all(cell_len(c) == 1 for c in EXTRA_ONE_CELL)
    assert all(cell_len(c) == 1 for c in richtable._ONE_CELL)


def test_every_cpt_page_as_rich_draws_it(lib: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    from codelookup import richpage
    from codelookup.page import rich_page

    codes = [c for (c,) in lib.con.execute("SELECT code FROM rec WHERE system='CPT' AND kind='code'")]
    assert len(codes) > 200
    declined = []
    # Every page once, the widths (and colour) taking turns: each page shape meets each width
    # across the 700-odd pages, at a third of the cost of every page at every width.
    for n, code in enumerate(codes):
        width = _take_turns(monkeypatch, n, (70, 100, 140))
        detail = lib.lookup(code, system="CPT")
        setup = richtable.console_setup(Terminal())
        assert setup is not None
        fast = richpage.render(detail, None, *setup)
        if fast is None:
            declined.append(code)
            continue
        rich = Terminal()
        rich_page(detail, None, Console(file=rich, highlight=False))
        assert fast == rich.getvalue(), f"{code} at {width} columns"
    assert not declined
    page = lib.lookup("62264")
    assert richpage.render(page, ["summary"], 100, True) is not None  # a --section selection too


@pytest.mark.parametrize("system", ["ICD-10-PCS", "ICD-10-CM"])
def test_axes_and_seventh_character_pages_as_rich_draws_them(
    lib: Any, monkeypatch: pytest.MonkeyPatch, system: str
) -> None:
    """ICD-10-PCS axes (five columns, long definitions, deleted codes) and seventh-character
    tables (this code's character in bold green), colour and NO_COLOR, narrow and wide."""
    import random

    from rich.console import Console

    from codelookup import richpage
    from codelookup.page import rich_page

    if system == "ICD-10-PCS":
        sql = "SELECT code FROM rec WHERE system='ICD-10-PCS' AND length(code)=7 ORDER BY id"
        fixed = ["0SR90J9", "3E01340", "XNS4032", "0SG604Z", "BW03ZZZ", "GZ3ZZZZ"]
    else:
        sql = "SELECT code FROM rec WHERE system='ICD-10-CM' AND length(replace(code,'.',''))=7 ORDER BY id"
        fixed = ["S52.501A", "S72.001D", "T39.1X1A", "O9A.311", "M80.08XA"]
    codes = [c for (c,) in lib.con.execute(sql)]
    sample = fixed + random.Random(27).sample(codes, 40)
    drawn = 0
    for n, code in enumerate(sample):
        width = _take_turns(monkeypatch, n, (64, 100, 150))
        for detail in lib.lookup_all(code, systems=[system]):
            fast = richpage.render(detail, None, width, True)
            if fast is None:
                continue
            drawn += 1
            rich = Terminal()
            rich_page(detail, None, Console(file=rich, highlight=False))
            assert fast == rich.getvalue(), f"{code} at {width} columns"
    assert drawn >= 40  # nearly every page is drawn without Rich now


def test_icd10cm_pages_with_notes_as_rich_draws_them(lib: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Notes of every level (lead-ins, nested lists), CC/MCC, code tables; pages with other shapes decline."""
    import random

    from rich.console import Console

    from codelookup import richpage
    from codelookup.page import rich_page

    codes = [c for (c,) in lib.con.execute("SELECT code FROM rec WHERE system='ICD-10-CM' ORDER BY id")]
    sample = ["E11.621", "I10", "J45.909", "O24.410", "C50.911", *random.Random(21).sample(codes, 60)]
    drawn = 0
    for width in (72, 120):
        monkeypatch.setenv("COLUMNS", str(width))
        for code in sample:
            for detail in lib.lookup_all(code, systems=["ICD-10-CM"]):
                fast = richpage.render(detail, None, width, True)
                if fast is None:
                    continue
                drawn += 1
                rich = Terminal()
                rich_page(detail, None, Console(file=rich, highlight=False))
                assert fast == rich.getvalue(), f"{code} at {width} columns"
    notes_page = lib.lookup("E11.621")
    assert richpage.render(notes_page, None, 100, True) is not None
    assert drawn > 40
