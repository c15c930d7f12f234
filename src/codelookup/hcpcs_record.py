"""The billing fields of one CMS HCPCS Level II fixed-width record, read alike by build and import.

CMS's record layout (``HCPC<YYYY>_recordlayout.txt`` in the quarterly zip) fixes every field's
positions; :mod:`codelookup.build.hcpcs` lists them. Reading them lives here, in a runtime
module, because ``codelookup import hcpcs`` needs the same reader as the build, and the runtime
never imports ``codelookup.build``. :mod:`codelookup.hcpcs_fields` explains the values at show
time. Standard library only.
"""

from __future__ import annotations

from datetime import date
from typing import Any

RECORD_LENGTH = 320


def _slots(line: str, start: int, width: int, count: int) -> list[str]:
    """A repeating field (1-based start): its non-blank occurrences, in order."""
    out = []
    for i in range(count):
        value = line[start - 1 + i * width : start - 1 + (i + 1) * width].strip()
        if value:
            out.append(value)
    return out


def _field(line: str, start: int, end: int) -> str:
    return line[start - 1 : end].strip()


def _iso(value: str) -> str | None:
    value = value.strip()
    if not value or set(value) == {"0"}:
        return None
    if not (len(value) == 8 and value.isdigit()):
        raise ValueError(f"{value!r} is not a YYYYMMDD date")
    return date(int(value[:4]), int(value[4:6]), int(value[6:])).isoformat()


def detail_fields(line: str) -> dict[str, Any]:
    """Every billing field of a first line (record id 3 or 7), raw values, empty ones left out.

    The build (:mod:`codelookup.build.hcpcs`) and ``codelookup import hcpcs`` both read records
    with it, so a user's newer fixed-width release carries the same fields as the bundled one.
    """
    line = line.ljust(RECORD_LENGTH)
    fields: dict[str, Any] = {
        "short_description": " ".join(line[91:119].split()),
        "pricing": _slots(line, 120, 2, 4),
        "multiple_pricing": _field(line, 128, 128),
        "cim": _slots(line, 129, 6, 3),
        "mcm": _slots(line, 147, 8, 3),
        "statute": _field(line, 171, 180),
        "lab_certification": _slots(line, 181, 3, 8),
        "cross_reference": _slots(line, 205, 5, 5),
        "coverage": _field(line, 230, 230),
        "asc_group": _field(line, 231, 232),
        "asc_date": _iso(line[232:240]),
        "processing_note": _field(line, 253, 256),
        "betos": _field(line, 257, 259),
        "type_of_service": _slots(line, 261, 1, 5),
        "anesthesia_base_units": _field(line, 266, 268),
        "added": _iso(line[268:276]),
        "action_date": _iso(line[276:284]),
        "termination_date": _iso(line[284:292]),
        "action_code": _field(line, 293, 293),
    }
    if fields["anesthesia_base_units"].strip("0") == "":
        fields["anesthesia_base_units"] = ""  # zero base units: the field does not apply
    return {k: v for k, v in fields.items() if v not in ("", None, [])}
