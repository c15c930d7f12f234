"""The README's opening table states how many plain-language pages ship; keep it true.

It said "444 pages" while 771 CPT pages were bundled (and did not mention the HCPCS pages).
The numbers come from the content files the build reads, so a page added without updating the
README fails here.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pages(folder: str) -> int:
    total = 0
    for path in sorted((ROOT / "content" / folder).glob("*.toml")):
        total += len(tomllib.loads(path.read_text(encoding="utf-8")).get("codes", []))
    return total


def _row(system: str) -> str:
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith(f"| {system}"):
            return line
    raise AssertionError(f"no README table row for {system}")


def test_readme_states_the_cpt_page_count() -> None:
    count = _pages("cpt")
    assert count >= 600
    cell = _row("CPT").rsplit("|", 2)[-2]
    assert re.search(rf"\b{count:,} pages\b", cell), f"README CPT row says {cell.strip()!r}, not {count:,} pages"


def test_readme_states_the_hcpcs_page_count() -> None:
    count = _pages("hcpcs")
    assert count >= 60
    cell = _row("HCPCS").rsplit("|", 2)[-2]
    assert re.search(rf"\b{count:,} plain-language pages\b", cell), f"README HCPCS row says {cell.strip()!r}"


def test_readme_shows_the_bulk_throughput_from_bench() -> None:
    """Issue 20 asks for the validate rates at 1M and 10M codes and the Dask rows/s in the README."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## For analysts", 1)[1].split("\n## ", 1)[0]
    assert "python bench/bulk.py" in section
    for size in ("1,000,000", "10,000,000"):
        rates = re.findall(rf"^\| {size} \| [^|]+\| ([\d,]+) \|", section, flags=re.M)
        assert len(rates) == 4, f"no rows for {size} codes"
        assert int(rates[0].replace(",", "")) >= 1_000_000  # membership
    assert re.search(r"^\| Dask, [\d,]+ rows \|.*\| [\d,]+ rows/s \|", section, flags=re.M)


def test_readme_output_contract_names_the_rows_without_schema_version() -> None:
    """validate/export rows carry only their data fields (tests/test_bulk.py checks them exactly),
    so the README's "every JSON Lines line carries schema_version" must say so."""
    import io
    import json

    from codelookup.bulk import run_validate
    from codelookup.validation import FIELDS

    out = io.StringIO()
    run_validate(io.StringIO("E119\n"), out, io.StringIO())
    row = json.loads(out.getvalue().splitlines()[0])
    assert list(row) == list(FIELDS) and "schema_version" not in row
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    sentence = text.split("every JSON Lines line, carries `schema_version`", 1)[1].split(". ", 1)[0]
    assert "`validate`" in sentence and "`export`" in sentence
