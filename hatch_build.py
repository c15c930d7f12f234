"""Packaging hook: build the search index for the bundled catalogue into the wheel.

With it, the first ``codelookup`` call after ``pip install`` opens a ready index instead of
spending about five seconds building one in the user's cache. It runs our own stdlib-only index
builder from ``src/``. If anything goes wrong the wheel is still built, without the index, and
the tool builds it on first use as before: packaging never fails because of this step.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class PrebuiltIndexHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        if os.environ.get("CODELOOKUP_SKIP_PREBUILT_INDEX"):
            self.app.display_info("codelookup: prebuilt search index skipped (CODELOOKUP_SKIP_PREBUILT_INDEX)")
            return
        catalogue = os.path.join(self.root, "data", "codes.json")
        self._tmpdir: str | None = tempfile.mkdtemp(prefix="codelookup-index-")  # removed in finalize()
        out = os.path.join(self._tmpdir, "index.sqlite")
        sys.path.insert(0, os.path.join(self.root, "src"))
        try:
            from codelookup.index import build_bundled_index

            key = build_bundled_index(out, catalogue)
        except Exception as exc:  # never fail the build: the index is an optimisation
            self.app.display_warning(f"codelookup: prebuilt search index skipped ({exc}); built on first use instead")
            self._cleanup()
            return
        finally:
            sys.path.pop(0)
        build_data["force_include"][out] = "codelookup/_data/index.sqlite"
        self.app.display_info(f"codelookup: prebuilt search index {key} added to the wheel")

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        """The wheel now holds its copy of the index: leave nothing behind in the temp folder."""
        self._cleanup()

    def _cleanup(self) -> None:
        tmpdir = getattr(self, "_tmpdir", None)
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
            self._tmpdir = None
