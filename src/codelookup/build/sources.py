"""Where the bundled build inputs live inside their installed packages.

This is the only module that knows package-internal paths; everything else takes a ``Path``.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from codelookup.errors import CatalogueError

CM_XML = ("simple_icd_10_cm", "data/icd10c-tabular-April-1-2026.xml")
CM_CODE_LIST = ("simple_icd_10_cm", "data/code-list-April-2026.txt")
PCS_CSV = ("drg", "data/tuva/icd_10_pcs.csv")
CC_EXCLUSIONS = ("drg", "data/cms/cc_exclusions.txt")  # also 6I/6J: see codelookup.build.msdrg


@dataclass(frozen=True)
class Source:
    """One input file and the distribution that ships it (for provenance)."""

    path: Path
    distribution: str
    version: str
    relative: str  # "<package>/<path inside the package>", stable across machines


@functools.cache
def _distributions() -> Mapping[str, list[str]]:
    """Top-level package -> distributions; it scans every installed one (~0.1 s), so once."""
    return metadata.packages_distributions()


def locate(spec: tuple[str, str]) -> Source:
    """Find a data file inside an installed package, or explain how to install it."""
    package, inner = spec
    found = importlib.util.find_spec(package)
    if found is None or found.submodule_search_locations is None:
        raise CatalogueError(
            f"build input package {package!r} is not installed",
            hint="pip install -e '.[build]'",
        )
    base = Path(next(iter(found.submodule_search_locations)))
    path = base / inner
    if not path.is_file():
        raise CatalogueError(f"build input {package}/{inner} is missing from the installed package")
    dist = _distributions().get(package, [package])[0]
    dist = dist.lower().replace("_", "-")  # the PyPI spelling (PEP 503), e.g. simple-icd-10-cm
    return Source(path=path, distribution=dist, version=metadata.version(dist), relative=f"{package}/{inner}")


def available() -> bool:
    """True when every build input file can be found (tests skip otherwise)."""
    try:
        for spec in (CM_XML, CM_CODE_LIST, PCS_CSV, CC_EXCLUSIONS):
            locate(spec)
    except CatalogueError:
        return False
    return True


def repository_root() -> Path:
    """The checkout whose data/sources the build reads.

    From a source checkout (editable install) that is the checkout this module lives in; an
    installed copy (``pip install .``, as CI does) has no data/sources beside it, so the build
    and its tests use the working directory, the repository they are run from.
    """
    checkout = Path(__file__).resolve().parents[3]
    return checkout if (checkout / "pyproject.toml").is_file() else Path.cwd()


# Official release files vendored unmodified in the repository (see data/sources/SOURCES.tsv).
HCPCS_ZIP = "hcpcs_2026_jan/january-2026-alpha-numeric-hcpcs-file.zip"
PCS_TABLES_XML = "pcs_fy2026/icd10pcs_tables_2026.xml"
PCS_DEFINITIONS_XML = "pcs_fy2026/icd10pcs_definitions_2026.xml"


def vendored(relative: str) -> Path:
    """A file under data/sources, or an error naming it (the build runs from a checkout)."""
    path = repository_root() / "data" / "sources" / relative
    if not path.is_file():
        raise CatalogueError(f"vendored release file data/sources/{relative} is missing")
    return path
