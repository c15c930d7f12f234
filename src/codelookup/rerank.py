"""Second-stage ranking of the best word-search candidates: intent and family diversity.

The first stage (:mod:`codelookup.search`) scores each record on its own: how well its words
match. Two things it cannot see need the candidates side by side, so they are decided here on
a small pool (the top few dozen):

- **Intent.** 'kidney transplant' or 'cataract extraction' asks for the procedure; the
  diagnosis codes that merely mention it ('Z94.0 Kidney transplant status', 'T86.1x kidney
  transplant complication') match the words just as well. Procedure words (removal,
  replacement, transplant, bypass, -ectomy, -scopy, scan, test...) lift procedure codes (CPT
  pages, ICD-10-PCS, HCPCS) and push status and complication codes below them; condition words
  (pain, infection, -itis...) leave diagnoses first; a query with both keeps both near the top.
- **Families.** Near-identical codes of one family (the eight 6232x epidural injection pages,
  the left/right/bilateral variants of one fracture) tie on the words and would fill the first
  page; each further member of a family already listed gives up a little score, so a distinct
  code (62264 for 'epidural') makes the top ten. The order within a family does not change.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping, Sequence

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - for the checker only (typing costs ~2 ms to import)
    from typing import Any

PROC_WORDS = frozenset(
    [
        "removal",
        "remove",
        "removed",
        "extraction",
        "extract",
        "replacement",
        "replace",
        "transplant",
        "transplantation",
        "bypass",
        "repair",
        "injection",
        "injections",
        "inject",
        "shot",
        "shots",
        "vaccine",
        "vaccination",
        "immunization",
        "scan",
        "scans",
        "xray",
        "ray",
        "test",
        "tests",
        "testing",
        "biopsy",
        "surgery",
        "surgical",
        "operation",
        "implant",
        "implantation",
        "insertion",
        "insert",
        "resection",
        "ablation",
        "epidural",
        "mri",
        "ct",
        "ultrasound",
        "sonogram",
        "echocardiogram",
        "ekg",
        "ecg",
        "stent",
        "stenting",
        "angioplasty",
        "fusion",
        "amputation",
        "excision",
        "drainage",
        "drain",
        "dialysis",
        "transfusion",
        "reconstruction",
        "graft",
        "grafting",
        "catheterization",
        "catheter",
        "screening",
        "cesarean",
        "csection",
        "section",
        "delivery",
        "circumcision",
        "mammogram",
        "lithotripsy",
        "release",
        "revision",
        "reduction",
        "fixation",
        "therapy",
        "infusion",
        "tap",
        "puncture",
        "procedure",
        "placement",
        "cauterization",
        "ligation",
        "banding",
        "sterilization",
    ]
)
# Things a patient is given or uses (equipment, supplies): asking for one asks for the codes that
# bill it (HCPCS Level II, CPT), not for a diagnosis whose index path happens to name it ('late
# walker' → R62.0, 'crutch paralysis' → S14.3). They count as procedure words for intent.
ITEM_WORDS = frozenset(
    [
        "wheelchair", "wheelchairs", "walker", "walkers", "rollator", "crutch", "crutches", "cane",
        "canes", "brace", "braces", "splint", "splints", "orthosis", "orthotic", "orthotics",
        "prosthesis", "prosthetic", "cpap", "bipap", "nebulizer", "nebuliser", "commode", "glucometer",
        "lancet", "lancets", "syringe", "syringes", "eyeglasses", "eyeglass", "spectacles", "frames",
        "lenses", "hearing", "aid", "aids", "stockings", "oxygen", "concentrator", "ambulance",
        "dressing", "dressings", "supplies", "supply", "equipment", "pump", "pumps", "scooter",
        "scooters", "mattress", "shoes", "insoles", "bag", "bags", "monitor", "strips",
    ]
)  # fmt: skip
PROC_SUFFIXES = (
    "ectomy",
    "otomy",
    "ostomy",
    "plasty",
    "scopy",
    "graphy",
    "gram",
    "pexy",
    "centesis",
    "tripsy",
    "rrhaphy",
)
COND_WORDS = frozenset(
    [
        "pain",
        "ache",
        "aches",
        "disease",
        "syndrome",
        "disorder",
        "infection",
        "fracture",
        "broken",
        "cancer",
        "tumor",
        "tumour",
        "failure",
        "ulcer",
        "deficiency",
        "injury",
        "sprain",
        "strain",
        "attack",
        "bleeding",
        "rash",
        "cyst",
        "stone",
        "stones",
        "allergy",
        "palsy",
        "paralysis",
        "cough",
        "fever",
        "complication",
        "complications",
        "rejection",
        "status",
        "history",
    ]
)
COND_SUFFIXES = ("itis", "osis", "emia", "aemia", "algia", "oma", "pathy", "plegia", "uria", "rrhea", "rrhoea")
# Diagnosis codes that record a past or failed procedure rather than the procedure itself.
_STATUS = re.compile(
    r"\b(status|complications?|rejection|failure|breakdown|displacement|leakage|malfunction|"
    r"presence|history|encounter|aftercare|mechanical|infection|inflammatory|atherosclerosis)\b",
    re.IGNORECASE,
)
# Accessories and parts of an item (walker attachments, wheelchair accessories, HCPCS
# "Replacement, handgrip, ..." parts; not PCS "Replacement of ..."): below the item itself
# unless the query asks for them.
_ACCESSORY = re.compile(r"\b(accessor(?:y|ies)|attachments?|replacement parts?)\b|^replacement,", re.IGNORECASE)
ACCESSORY_PENALTY = 0.15
# Codes that are about a procedure or a disease without being it: anesthesia for an operation,
# a vaccine against a disease. Below the thing itself unless the query asks for them.
_ASK_ONLY = re.compile(r"^anesthesia\b|\banesthesia for\b|\bvaccines?\b|\bvaccination\b|\bimmunization\b", re.I)
ASK_ONLY_WORDS = frozenset(
    ["anesthesia", "anaesthesia", "anesthetic", "sedation", "vaccine", "vaccines", "vaccination", "shot", "shots",
     "immunization", "immunisation", "jab"]
)  # fmt: skip
ASK_ONLY_PENALTY = 0.2
COND_ONLY_PENALTY = 0.1  # procedure codes, for a query that names only a condition
PROC_BOOST = 0.15  # procedure codes, for a procedure query
STATUS_PENALTY = 0.3  # status/complication diagnoses, for a bare procedure query
OTHER_DX_PENALTY = 0.05  # other diagnoses, for a procedure query
FAMILY_STEP = 0.025  # per earlier member of the same family
POOL = 30  # candidates looked at beyond the limit


def _is_proc(w: str) -> bool:
    return w in PROC_WORDS or w in ITEM_WORDS or (len(w) > 6 and w.endswith(PROC_SUFFIXES))


def _is_cond(w: str) -> bool:
    return w in COND_WORDS or (len(w) > 5 and w.endswith(COND_SUFFIXES))


def intent(query_words: Sequence[str]) -> tuple[bool, bool]:
    """(procedure words present, condition words present)."""
    return any(_is_proc(w) for w in query_words), any(_is_cond(w) for w in query_words)


def system_shifts(query_words: Sequence[str], kinds: frozenset[str] = frozenset()) -> tuple[float, float]:
    """(procedure systems, other systems): the most :func:`rerank` may add for the query's intent.

    The first stage orders every candidate with it before cutting the pool, so that a CPT page
    that a procedure query lifts is not left out of the pool by diagnoses that only matched
    the words a little better ('cesarean delivery': 59514 below eighty index diagnoses).
    """
    proc, cond = intent(query_words)
    proc = proc or "proc" in kinds
    cond = cond or "dx" in kinds
    if proc and not cond:
        return PROC_BOOST, -OTHER_DX_PENALTY  # status codes lose more, in rerank
    if cond and not proc:
        return -COND_ONLY_PENALTY, 0.0
    return 0.0, 0.0


_FAMILY_CHARS: dict[str, int] = {}


def family(code: str, system: str) -> str:
    """Codes that differ only in their last characters: a family for diversity."""
    n = _FAMILY_CHARS.get(system)
    if n is None:
        from .systems import registry

        spec = registry.get(system)
        n = _FAMILY_CHARS[system] = spec.family_chars if spec else 4
    return system + code.replace(".", "").upper()[:n]


def rerank(
    query_words: Sequence[str],
    pool: Sequence[tuple[int, float, str]],
    info: Mapping[int, tuple[str, str, str, Any]],
    kinds: frozenset[str] = frozenset(),
    via_index: Container[int] = frozenset(),
) -> list[tuple[int, float, str]]:
    """Re-order ``(record id, score, match)`` candidates, best first, with adjusted scores.

    ``info`` maps a record id to (code, system, title, billable); ``kinds`` are the synonym-table
    kinds of the lay phrases in the query ('dx' for 'the flu', 'proc' for 'c-section');
    ``via_index`` are the records whose best match is a coders' index path. A diagnosis reached
    that way by a bare procedure query is what the procedure is done for or what went wrong
    ('Delivery, cesarean (for), eclampsia → O15.9'), not the procedure: it ranks like a status code.
    """
    from .systems import registry

    proc, cond = intent(query_words)
    proc = proc or "proc" in kinds
    cond = cond or "dx" in kinds
    asked = set(query_words)
    procedural = set(registry.with_feature("codes_procedures"))
    adjusted: list[tuple[float, int, str, str]] = []
    for d, score, match in pool:
        code, system, title, _ = info[d]
        if cond and not proc and system in procedural:
            score -= COND_ONLY_PENALTY
        if _ASK_ONLY.search(title) and not asked & ASK_ONLY_WORDS:
            score -= ASK_ONLY_PENALTY
        if proc:
            if system in procedural:
                if not cond:
                    score += PROC_BOOST
            else:
                m = _STATUS.search(title)
                status = m and m.group(1).lower() not in asked and not asked & {"status", "complication", "history"}
                if status or (not cond and d in via_index):
                    score -= STATUS_PENALTY
                elif not cond:
                    score -= OTHER_DX_PENALTY
        acc = _ACCESSORY.search(title)
        if acc and not asked & {"accessory", "accessories", "attachment", "attachments", "part", "parts"}:
            score -= ACCESSORY_PENALTY
        adjusted.append((score, d, match, family(code, system)))
    # Greedy diversity: repeatedly take the best candidate after its family's penalty.
    seen: dict[str, int] = {}
    remaining = sorted(adjusted, key=lambda x: (-x[0], x[1]))
    out: list[tuple[int, float, str]] = []
    while remaining:
        best_i = 0
        best_v = float("-inf")
        for i, (score, _d, _m, fam) in enumerate(remaining):
            v = score - FAMILY_STEP * seen.get(fam, 0)
            if v > best_v + 1e-12:
                best_v, best_i = v, i
            if score <= best_v:
                break  # sorted by raw score: nothing later can beat the best so far
        score, d, match, fam = remaining.pop(best_i)
        seen[fam] = seen.get(fam, 0) + 1
        out.append((d, best_v, match))
    return out
