"""The detail page's sections: one stable slug per section, its heading and its shape.

Slugs are the keys of a record's ``sections`` object in ``data/codes.json`` and in ``--json``
output, so they are part of the documented contract and must never be renamed.
"""

from __future__ import annotations

from enum import StrEnum

from .models import Frozen


class Shape(StrEnum):
    """How a section's value is stored and rendered."""

    TEXT = "text"  # one string (paragraph)
    BULLETS = "bullets"  # list of strings, rendered as bullets
    STEPS = "steps"  # list of strings, rendered as a numbered list
    CODES = "codes"  # list of {"code", "system", "title", "reason"} objects
    MAPPING = "mapping"  # object: character -> meaning (7th characters)
    AXES = "axes"  # list of {"position", "axis", "value", "label", "definition"} objects
    NOTES = "notes"  # list of note objects {"text", "level", "source", "source_title", "codes", "ranges", "items"}
    CLAIM = "claim"  # object: MS-DRG CC/MCC designation and CC exclusions


class Section(Frozen):
    """One section of the detail page."""

    __slots__ = ("group", "heading", "shape", "slug")
    slug: str
    heading: str
    shape: Shape
    group: str  # "page" (plain-language), "official" (ICD-10-CM notes), "structure"

    def __init__(self, slug: str, heading: str, shape: Shape, group: str) -> None:
        self._init(slug=slug, heading=heading, shape=shape, group=group)


# Order is the model page's order, then official ICD-10-CM notes, then structural sections.
SECTIONS: tuple[Section, ...] = (
    Section("release_status", "Release Status", Shape.TEXT, "official"),
    Section("name", "Name of the Procedure", Shape.TEXT, "page"),
    Section("summary", "Summary", Shape.TEXT, "page"),
    Section("purpose", "Purpose", Shape.TEXT, "page"),
    Section("indications", "Indications", Shape.BULLETS, "page"),
    Section("preparation", "Preparation", Shape.BULLETS, "page"),
    Section("procedure_description", "Procedure Description", Shape.STEPS, "page"),
    Section("duration", "Duration", Shape.TEXT, "page"),
    Section("setting", "Setting", Shape.TEXT, "page"),
    Section("personnel", "Personnel", Shape.BULLETS, "page"),
    Section("risks_and_complications", "Risks and Complications", Shape.BULLETS, "page"),
    Section("benefits", "Benefits", Shape.BULLETS, "page"),
    Section("recovery", "Recovery", Shape.BULLETS, "page"),
    Section("alternatives", "Alternatives", Shape.BULLETS, "page"),
    Section("patient_experience", "Patient Experience", Shape.BULLETS, "page"),
    Section("medical_policies", "Medical Policies and Guidelines", Shape.TEXT, "page"),
    Section("health_plan_policies", "Related Policies from Health Plans", Shape.TEXT, "page"),
    Section("manifestation", "Manifestation Code", Shape.TEXT, "official"),
    Section("includes", "Includes", Shape.NOTES, "official"),
    Section("inclusion_terms", "Inclusion Terms", Shape.NOTES, "official"),
    Section("excludes1", "Excludes1", Shape.NOTES, "official"),
    Section("excludes2", "Excludes2", Shape.NOTES, "official"),
    Section("code_first", "Code First", Shape.NOTES, "official"),
    Section("use_additional_code", "Use Additional Code", Shape.NOTES, "official"),
    Section("code_also", "Code Also", Shape.NOTES, "official"),
    Section("notes", "Notes", Shape.NOTES, "official"),
    Section("seventh_characters", "7th Characters", Shape.MAPPING, "official"),
    Section("cc_mcc", "CC/MCC (MS-DRG v43, FY2026)", Shape.CLAIM, "official"),
    Section("cms_fields", "CMS Fields for Billers (HCPCS)", Shape.BULLETS, "official"),
    Section("official_descriptor", "Official Descriptor (licensed import)", Shape.TEXT, "official"),
    Section("axes", "Code Structure (ICD-10-PCS axes)", Shape.AXES, "structure"),
    # issue 18: AHRQ CCSR category and CMS GEM equivalents (see codelookup.crosswalk)
    Section("ccsr", "CCSR Category (AHRQ)", Shape.TEXT, "structure"),
    Section("icd9_equivalents", "ICD-9-CM Equivalents (CMS GEMs 2018)", Shape.CODES, "structure"),
    Section("icd10_equivalents", "ICD-10 Equivalents (CMS GEMs 2018)", Shape.CODES, "structure"),
    # issue 22: MS-DRG facts from Table 5 and their meaning (see codelookup.msdrg)
    Section("drg_facts", "DRG Facts (CMS Table 5, FY2026)", Shape.BULLETS, "structure"),
    Section("drg_explanation", "What This DRG Means", Shape.TEXT, "structure"),
    Section("cross_references", "Codes Named in These Notes", Shape.CODES, "structure"),
    Section("index_entries", "Index Entries That Lead Here", Shape.BULLETS, "structure"),
    Section("children", "Codes Below This One", Shape.CODES, "structure"),
    Section("similar_codes", "Similar Codes", Shape.CODES, "structure"),
)

BY_SLUG: dict[str, Section] = {s.slug: s for s in SECTIONS}

# The plain-language page sections every CPT page must carry (similar_codes is authored too).
PAGE_SLUGS: tuple[str, ...] = tuple(s.slug for s in SECTIONS if s.group == "page")

# HCPCS Level II pages (content/hcpcs/*.toml) describe things as different as an ambulance ride,
# a drug, a box of test strips and a wheelchair, so each page declares a kind, and only the
# sections that make sense for that kind are written (and required). This is the one place that
# says which: the build validates pages against it and the README in content/hcpcs quotes it.
HCPCS_KINDS: dict[str, tuple[str, ...]] = {
    "service": PAGE_SLUGS,
    "drug": tuple(s for s in PAGE_SLUGS if s != "recovery"),
    "supply": tuple(s for s in PAGE_SLUGS if s not in ("duration", "setting", "personnel", "recovery")),
    "equipment": tuple(s for s in PAGE_SLUGS if s not in ("setting", "personnel", "recovery")),
    "transport": tuple(s for s in PAGE_SLUGS if s != "recovery"),
}
