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

from codelookup import pcs
from codelookup.build import cpt, hcpcs, icd9, icd10cm, icd10pcs, msdrg, msdrg_table5, sources
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
    "ICD-10-PCS": {"codes": 79_115, "billable": 79_115, "tables": 914, "deleted_codes": 100},
    "HCPCS": {"codes": 8_623, "modifiers": 383},
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
    "All {codes} codes of the {tables} tables of CMS's FY2026 tables XML, with the seven labels of "
    "each code from its own table row and axis titles per section; definitions, explanations and "
    "'includes' lists from the FY2026 definitions XML. Long titles are CMS's official ones from the "
    "FY2024 code list (Tuva Project list shipped in drg 1.0.0) for every code that still exists; "
    "the {new} codes new since then get a title composed from their labels ({sibling} of them by "
    "swapping labels into the official title of a code of the same table), marked as composed. "
    "The {deleted} FY2024 codes that FY2026 no longer has are kept as deleted records, never "
    "billable."
)

HCPCS_NOTES = (
    "Every one of the {codes} codes and {modifiers} modifiers of the CMS quarterly file, read from "
    "the vendored zip with the positions of its own record layout: long and short descriptions and "
    "every billing field (pricing, multiple pricing, coverage, BETOS, type of service, lab "
    "certification, cross-reference, processing note with its text from the zip's notes file, ASC "
    "group, added/action/termination dates, action code). {terminated} codes whose termination date "
    "is before {period} are kept as terminated records (findable, never billable). Group names are "
    "our own words for the HCPCS ranges."
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
    # Files written next to the catalogue (name -> bytes), e.g. crosswalk.tsv (issue 18).
    side_files: dict[str, bytes] = field(default_factory=dict)

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
    """ICD-10-PCS FY2026 from CMS's tables and definitions XML; official long titles from the
    FY2024 list where the code still exists; the codes FY2026 deleted kept as deleted records."""
    tables_path = sources.vendored(sources.PCS_TABLES_XML)
    defs_path = sources.vendored(sources.PCS_DEFINITIONS_XML)
    titles_src = sources.locate(sources.PCS_CSV)
    official = dict(read_titles_csv(titles_src.path))
    try:
        version, tables = pcs.parse_tables(tables_path)
        _, definitions = pcs.parse_definitions(defs_path)
        labels = pcs.code_labels(tables)
        release = f"FY{version}"
        axis_titles = {t.prefix: t.titles for t in tables}
        records, built = pcs.records_from_tables(labels, axis_titles, official, release)
    except pcs.PcsFileError as exc:
        raise CatalogueError(str(exc)) from exc
    counts: dict[str, int] = {"records": len(records)}
    for kind, key in (("section", "sections"), ("body_system", "body_systems"), ("table", "tables")):
        counts[key] = sum(1 for r in records if r["kind"] == kind)
    counts["codes"] = len(labels)
    counts["billable"] = sum(1 for r in records if r["billable"])
    counts["new_codes"] = built["composed_titles"]
    counts["deleted_codes"] = built["deleted"]
    counts["rows"] = sum(len(t.rows) for t in tables)
    cat.systems[icd10pcs.SYSTEM] = {
        "name": icd10pcs.SYSTEM,
        "release": f"{release} (October 1, 2025)",
        "source": (
            f"CMS ICD-10-PCS {version} tables and definitions XML (codes, axis labels, definitions); "
            f"official long titles from the FY2024 code list in {_source_text(titles_src)}"
        ),
        "source_file": f"data/sources/{sources.PCS_TABLES_XML}; data/sources/{sources.PCS_DEFINITIONS_XML}; "
        f"{titles_src.relative}",
        "publisher": "Centers for Medicare & Medicaid Services (CMS)",
        "licence": "US public domain",
        "counts": counts,
        "notes": PCS_NOTES_TEMPLATE.format(
            codes=f"{len(labels):,}",
            tables=f"{counts['tables']:,}",
            new=f"{built['composed_titles']:,}",
            sibling=f"{built['sibling_titles']:,}",
            deleted=f"{built['deleted']:,}",
        ),
    }
    out = pcs.catalogue_tables(tables)
    out["_definitions"] = definitions
    cat.pcs_tables = out
    cat.records.extend(records)


def add_hcpcs(cat: Catalogue, content_dir: Path | None = None) -> None:
    """HCPCS Level II from CMS's quarterly zip, read in place, with our pages attached."""
    path = sources.vendored(sources.HCPCS_ZIP)
    release, records, counts = hcpcs.load_release(path)
    if content_dir is not None:
        from codelookup.systems import registry

        pages = frozenset(
            r["code"] for r in cat.records if r.get("sections") and registry.has(r["system"], "has_pages")
        )
        counts["pages"] = hcpcs.attach_pages(records, content_dir, pages)
    cat.systems[hcpcs.SYSTEM] = {
        "name": hcpcs.SYSTEM,
        "release": release.label,
        "source": f"CMS HCPCS quarterly file {release.data_name} with its record layout and processing notes"
        + ("; plain-language pages written by the codelookup team (content/hcpcs)" if counts.get("pages") else ""),
        "source_file": f"data/sources/{sources.HCPCS_ZIP}",
        "publisher": "Centers for Medicare & Medicaid Services (CMS)",
        "licence": "US public domain"
        + ("; plain-language pages © codelookup contributors (MIT)" if counts.get("pages") else ""),
        "counts": {"records": len(records), **counts},
        "notes": HCPCS_NOTES.format(
            codes=f"{counts['codes']:,}",
            modifiers=f"{counts['modifiers']:,}",
            terminated=f"{counts['terminated']:,}",
            period=release.period.isoformat(),
        ),
    }
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


def add_icd9(cat: Catalogue) -> None:
    """ICD-9-CM records, CCSR on ICD-10-CM codes, and the GEM crosswalk file (needs CM and PCS first)."""
    records, crosswalk = icd9.build_icd9(icd9.repository_root(), cat.records, cat.systems)
    cat.records.extend(records)
    cat.side_files[CROSSWALK_FILE] = crosswalk


CROSSWALK_FILE = "crosswalk.tsv"


def add_msdrg(cat: Catalogue) -> None:
    """MS-DRG v43 from CMS Table 5 (issue 22)."""
    cat.records.extend(msdrg_table5.build_msdrg(cat.systems))


def finish(cat: Catalogue, expected: dict[str, dict[str, int]] | None = None) -> bytes:
    ensure_valid(cat.records, cat.systems, EXPECTED_COUNTS if expected is None else expected)
    return cat.to_bytes()


Step = tuple[str, Callable[[Catalogue], None]]


def steps(content_dir: Path) -> list[Step]:
    """The build, as named steps in system order (progress reporting walks this list)."""
    return [
        ("ICD-10-CM tabular", add_icd10cm),
        ("ICD-10-PCS tables and titles", add_icd10pcs),
        ("MS-DRG CC/MCC designations", add_cc_mcc),
        ("CPT pages", lambda cat: add_cpt(cat, content_dir)),
        ("HCPCS Level II", lambda cat: add_hcpcs(cat, content_dir.parent / "hcpcs")),
        ("MS-DRG v43 (Table 5)", add_msdrg),
        ("ICD-9-CM, GEMs and CCSR", add_icd9),
    ]


def build(content_dir: Path) -> bytes:
    cat = Catalogue()
    for _, step in steps(content_dir):
        step(cat)
    return finish(cat)
