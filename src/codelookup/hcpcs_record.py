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

# Our names for the ranges HCPCS Level II is organised in (the HCPCS manual's headings, in plain
# words). A group's code is the range its codes actually span (A0021-A0999), found per release.
RANGES: tuple[tuple[str, str, str], ...] = (
    ("A0000", "A0999", "Transportation services, including ambulance"),
    ("A2000", "A2999", "Skin substitutes and wound matrix products"),
    ("A4000", "A8999", "Medical and surgical supplies"),
    ("A9000", "A9999", "Administrative, miscellaneous and investigational items"),
    ("B0000", "B9999", "Enteral and parenteral therapy (tube and IV feeding)"),
    ("C0000", "C9999", "Hospital outpatient codes (temporary, outpatient payment system)"),
    ("D0000", "D9999", "Dental procedures"),
    ("E0000", "E9999", "Durable medical equipment"),
    ("G0000", "G9999", "Procedures and professional services (temporary)"),
    ("H0000", "H9999", "Behavioral health and substance use treatment services"),
    ("J0000", "J8999", "Drugs administered other than by mouth (and some oral drugs)"),
    ("J9000", "J9999", "Chemotherapy drugs"),
    ("K0000", "K9999", "Temporary codes for durable medical equipment"),
    ("L0000", "L4999", "Orthotic procedures and devices (braces and supports)"),
    ("L5000", "L9999", "Prosthetic procedures and devices (artificial limbs and parts)"),
    ("M0000", "M0999", "Other medical services"),
    ("M1000", "M9999", "Quality measures and MIPS value pathways (reporting codes)"),
    ("P0000", "P9999", "Pathology and laboratory services"),
    ("Q0000", "Q9999", "Temporary codes"),
    ("R0000", "R9999", "Diagnostic radiology services"),
    ("S0000", "S9999", "Temporary national codes (not used by Medicare)"),
    ("T0000", "T9999", "National codes for state Medicaid agencies"),
    ("U0000", "U9999", "Coronavirus laboratory tests"),
    ("V0000", "V2999", "Vision services"),
    ("V5000", "V5299", "Hearing services"),
    ("V5300", "V5999", "Speech-language pathology services"),
)


def range_of(code: str) -> tuple[str, str, str] | None:
    """The named range a code falls in, or None for a code outside every range we name."""
    for first, last, title in RANGES:
        if first <= code <= last:
            return first, last, title
    return None


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
