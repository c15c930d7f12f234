"""Read the first worksheet of an ``.xlsx`` workbook with the standard library (zipfile + XML).

CMS ships HCPCS as an Excel workbook too; reading it must work after a plain ``pip install .``,
so instead of depending on openpyxl (a 4 MB dependency with its own import cost) this module
reads the few parts of the Office Open XML package a plain data sheet needs: the workbook's
first sheet, its relationship target, the shared strings table, and cell values (shared
strings, inline strings, numbers, booleans). Styles, formulas and dates-as-serials are not
interpreted: cells come back as the text or number Excel stored.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import Path

_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "p": "http://schemas.openxmlformats.org/package/2006/relationships",
}
_REF = re.compile(r"([A-Z]+)(\d+)")


class XlsxError(ValueError):
    """Not a readable workbook (the caller turns this into its own error)."""


def _column(ref: str) -> int:
    match = _REF.match(ref or "")
    if not match:
        raise XlsxError(f"bad cell reference {ref!r}")
    index = 0
    for ch in match.group(1):
        index = index * 26 + (ord(ch) - 64)
    return index - 1


def _text(element: ET.Element) -> str:
    # Rich text is split into runs (<r><t>..</t></r>); phonetic runs (<rPh>) are not content.
    return "".join(t.text or "" for t in element.iter(f"{{{_NS['m']}}}t") if t is not None)


def _first_sheet(zf: zipfile.ZipFile) -> str:
    workbook = ET.fromstring(zf.read("xl/workbook.xml"))
    sheet = workbook.find("m:sheets/m:sheet", _NS)
    if sheet is None:
        raise XlsxError("the workbook has no sheets")
    rel_id = sheet.get(f"{{{_NS['r']}}}id")
    rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.findall("p:Relationship", _NS):
        if rel.get("Id") == rel_id:
            target = rel.get("Target") or ""
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    raise XlsxError("the first sheet's part is not in the workbook relationships")


def read_rows(path: Path) -> Iterator[list[str | float | None]]:
    """Rows of the first worksheet, each a list indexed by column (gaps are None)."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise XlsxError(f"not a readable .xlsx workbook ({exc})") from exc
    with zf:
        try:
            sheet_name = _first_sheet(zf)
            shared: list[str] = []
            if "xl/sharedStrings.xml" in zf.namelist():
                sst = ET.fromstring(zf.read("xl/sharedStrings.xml"))
                shared = [_text(si) for si in sst.findall("m:si", _NS)]
            handle = zf.open(sheet_name)
        except (KeyError, ET.ParseError, zipfile.BadZipFile) as exc:
            raise XlsxError(f"not a readable .xlsx workbook ({exc})") from exc
        with handle:
            try:
                for _, elem in ET.iterparse(handle, events=("end",)):
                    if elem.tag != f"{{{_NS['m']}}}row":
                        continue
                    row: list[str | float | None] = []
                    for cell in elem.findall("m:c", _NS):
                        col = _column(cell.get("r", ""))
                        kind = cell.get("t", "n")
                        value_el = cell.find("m:v", _NS)
                        raw = value_el.text if value_el is not None else None
                        value: str | float | None
                        if kind == "s":
                            value = shared[int(raw)] if raw is not None else ""
                        elif kind == "inlineStr":
                            inline = cell.find("m:is", _NS)
                            value = _text(inline) if inline is not None else ""
                        elif kind in ("str", "e"):
                            value = raw or ""
                        elif kind == "b":
                            value = "TRUE" if raw == "1" else "FALSE"
                        else:
                            value = float(raw) if raw not in (None, "") else None
                        while len(row) <= col:
                            row.append(None)
                        row[col] = value
                    elem.clear()
                    yield row
            except (ET.ParseError, IndexError, ValueError) as exc:
                raise XlsxError(f"not a readable .xlsx workbook ({exc})") from exc
