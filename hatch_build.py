"""Packaging hook: build the search index for the bundled catalogue into the wheel.

With it, the first ``codelookup`` call after ``pip install`` opens a ready index instead of
spending about five seconds building one in the user's cache. It runs our own stdlib-only index
builder from ``src/``. If anything goes wrong the wheel is still built, without the index, and
the tool builds it on first use as before: packaging never fails because of this step.

Nothing is left behind: the index is built into a private temporary folder that ``finalize``
removes once the wheel is written (and an ``atexit`` handler removes if the build dies before
that). A finished index is also kept under ``build/prebuilt-index/`` in the source tree (git
ignores ``/build/``), named by its content key, so a repeated ``pip install .`` of an unchanged
catalogue copies it (well under a second) instead of building it again (about five seconds).
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

KEPT = os.path.join("build", "prebuilt-index")  # under the project root


class PrebuiltIndexHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"
    workdir: str | None = None

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        if os.environ.get("CODELOOKUP_SKIP_PREBUILT_INDEX"):
            self.app.display_info("codelookup: prebuilt search index skipped (CODELOOKUP_SKIP_PREBUILT_INDEX)")
            return
        catalogue = os.path.join(self.root, "data", "codes.json")
        self.workdir = tempfile.mkdtemp(prefix="codelookup-index-")
        atexit.register(shutil.rmtree, self.workdir, True)  # the build may die before finalize
        out = os.path.join(self.workdir, "index.sqlite")
        sys.path.insert(0, os.path.join(self.root, "src"))
        try:
            from codelookup.catalogue import read_first_line
            from codelookup.index import build_bundled_index, bundled_key

            key = bundled_key(read_first_line(catalogue))
            kept = os.path.join(self.root, KEPT, f"index-{key}.sqlite")
            if os.path.isfile(kept):
                shutil.copyfile(kept, out)
                how = f"reused from {os.path.join(KEPT, os.path.basename(kept))}"
            else:
                build_bundled_index(out, catalogue)
                how = "built"
                self._keep(out, kept)
        except Exception as exc:  # never fail the build: the index is an optimisation
            self.cleanup()
            self.app.display_warning(f"codelookup: prebuilt search index skipped ({exc}); built on first use instead")
            return
        finally:
            sys.path.pop(0)
        build_data["force_include"][out] = "codelookup/_data/index.sqlite"
        self.app.display_info(f"codelookup: prebuilt search index {key} {how} and added to the wheel")

    def _keep(self, built: str, kept: str) -> None:
        """Keep one copy for the next build of the same catalogue (best effort: the tree may be read-only)."""
        folder = os.path.dirname(kept)
        try:
            os.makedirs(folder, exist_ok=True)
            for old in os.listdir(folder):  # only the current key is worth keeping
                if old.startswith("index-") and old.endswith(".sqlite"):
                    os.remove(os.path.join(folder, old))
            tmp = kept + ".tmp"
            shutil.copyfile(built, tmp)
            os.replace(tmp, kept)
        except OSError:
            pass

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        self.cleanup()

    def cleanup(self) -> None:
        """Remove the temporary folder (the wheel already holds its copy of the index)."""
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
