"""MS-DRG pages: the facts of Table 5 and what they mean, in plain words.

Stored per DRG (see :mod:`codelookup.build.msdrg`) are only the numbers; the explanation is
written here at show time from them, so it is said once in the code instead of 770 times in the
catalogue. No dollar amounts: a DRG's payment depends on the hospital (wage index, teaching and
low-income adjustments, outliers), which the weight alone cannot tell.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - for the checker only (import cost)
    import sqlite3
    from typing import Any

SYSTEM = "MS-DRG"
BILLABLE = "payable MS-DRG: one hospital stay is paid under one DRG"

WHAT_A_DRG_IS = (
    "An MS-DRG (Medicare Severity Diagnosis Related Group) is the group a hospital stay is "
    "sorted into for payment. It is not coded by hand: grouping software assigns it from the "
    "stay's diagnosis and procedure codes (the main reason for the stay decides the major "
    "diagnostic category, an operating-room procedure makes it surgical, and other conditions "
    "that are complications or comorbidities (CC) or major ones (MCC) raise the severity level). "
    "Medicare, and many other payers, pay a hospital one amount per stay for the DRG, whatever "
    "the actual length of stay, with exceptions for unusually costly stays and early transfers."
)


def _num(value: Any, digits: int = 4) -> str:
    return "not given" if value is None else f"{value:.{digits}f}".rstrip("0").rstrip(".")


def page_sections(code: str, info: dict[str, Any]) -> dict[str, Any]:
    """``drg_facts`` (bullets) and ``drg_explanation`` (text) for one DRG record's ``drg`` data."""
    facts: list[str] = []
    mdc, name = info.get("mdc"), info.get("mdc_name") or ""
    if mdc and mdc != "PRE":
        facts.append(f"Major diagnostic category (MDC) {mdc}: {name}")
    elif name:
        facts.append(name)
    kind = info.get("type")
    if kind:
        facts.append(
            "Surgical: the stay included an operating-room procedure that defines this group"
            if kind == "surgical"
            else "Medical: grouped by diagnosis, without a defining operating-room procedure"
        )
    weight = info.get("weight")
    if weight is not None:
        facts.append(f"Relative weight: {_num(weight)} (before the 10% cap on reductions: "
                     f"{_num(info.get('weight_before_cap'))})")  # fmt: skip
    if info.get("gmlos") is not None:
        facts.append(
            f"Mean length of stay: {_num(info.get('gmlos'), 1)} days (geometric), "
            f"{_num(info.get('amlos'), 1)} days (arithmetic)"
        )
    facts.append("Post-acute transfer DRG: yes" if info.get("post_acute") else "Post-acute transfer DRG: no")
    facts.append("Special pay DRG: yes" if info.get("special_pay") else "Special pay DRG: no")
    facts.append(f"Version: MS-DRG {info.get('version', 'v43')} (FY2026, effective 2025-10-01)")
    parts = [WHAT_A_DRG_IS]
    if weight is not None:
        parts.append(
            f"A relative weight of {_num(weight)} means a stay in DRG {code} is expected to cost "
            f"about {_num(weight, 2)} times the average Medicare stay (weight 1.0); Medicare's "
            "payment is the hospital's own base rate multiplied by this weight, before adjustments "
            "for the hospital (local wages, teaching, share of low-income patients) and any outlier "
            "payment, so the same DRG is paid differently at different hospitals."
        )
    if info.get("gmlos") is not None:
        parts.append(
            "The geometric mean length of stay is the typical stay CMS uses when it pays for "
            "transfers; the arithmetic mean is the plain average, pulled up by a few long stays."
        )
    if info.get("post_acute"):
        parts.append(
            "As a post-acute transfer DRG, a stay that ends early with a transfer to a skilled "
            "nursing facility, rehabilitation or long-term care hospital, or home health care can "
            "be paid less than the full DRG amount (a per-day amount up to the full payment)."
        )
    if info.get("special_pay"):
        parts.append(
            "As a special pay DRG, such an early transfer is paid by a different formula that "
            "gives the hospital more for the first day."
        )
    if not kind:
        parts.append(
            f"DRG {code} is an error group: the stay could not be grouped as billed, so the "
            "codes need correcting before it can be paid."
        )
    return {"drg_facts": facts, "drg_explanation": " ".join(parts)}


def family_reason(title: str) -> str:
    """How a sibling differs: by the severity words in its title."""
    low = title.lower()
    for words in ("without cc/mcc", "without mcc", "with cc/mcc", "with mcc", "with cc", "without cc"):
        if words in low:
            return f"same family, {words.replace('cc/mcc', 'CC/MCC').replace('mcc', 'MCC').replace('cc', 'CC')}"
    return "same family of DRGs"


def detail_sections(details: Any, row: Any) -> dict[str, Any]:
    """The registry's page hook for MS-DRG pages (see systems.py): facts and explanation."""
    info = row.data.get("drg")
    return page_sections(row.code, info) if isinstance(info, dict) else {}


# The family member a secondary diagnosis of each level moves a stay into: an MCC the "with MCC"
# (or, in two-way families, "with CC/MCC") DRG; a CC the "with CC" or "with CC/MCC" DRG.
_RAISED_TO = {
    "MCC": re.compile(r"\bwith (?:MCC|CC/MCC)\b"),
    "CC": re.compile(r"\bwith CC(?:/MCC)?\b"),
}


def raised_drgs(con: sqlite3.Connection, level: str) -> list[dict[str, str]]:
    """The MS-DRGs a CC or MCC can raise a stay to: one per family split by that severity.

    Read from the catalogue's MS-DRG titles (about 800 rows through the (system, code) index);
    empty when the catalogue has no MS-DRG records or the level raises nothing.
    """
    pattern = _RAISED_TO.get(level)
    if pattern is None:
        return []
    rows = con.execute("SELECT code, title FROM rec WHERE system=? AND kind='code' ORDER BY id", (SYSTEM,))
    return [{"code": code, "title": title} for code, title in rows if pattern.search(title)]
