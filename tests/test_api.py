"""One API contract: the module functions are the default Library's methods, as the README shows."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import codelookup
from codelookup.api import Library
from codelookup.errors import NotFoundError, UnknownSystemError

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Python API") :]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README's Python API section has a python block"
    return match.group(1)


def test_the_readme_example_runs_twice_in_a_row_in_a_fresh_interpreter() -> None:
    # The first call used to rebind codelookup.search to the submodule: the second failed with
    # "'module' object is not callable". Both runs must work, in one process.
    example = readme_example()
    program = f"{example}\n{example}\nprint('ok', hits[0].code)\n"
    proc = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("ok I21.9")


def test_public_names_stay_functions_after_their_submodules_are_imported() -> None:
    import codelookup.search  # binds the submodule, as any internal import does
    import codelookup.systems

    for name in ("search", "lookup", "browse", "systems"):
        assert callable(getattr(codelookup, name)) and not isinstance(getattr(codelookup, name), type(sys))
    from codelookup import search

    assert search("heart attack", limit=5)[0].code == "I21.9"


def test_module_functions_and_library_agree(lib: Any) -> None:
    mine = Library()
    assert codelookup.search("heart attack", limit=5) == mine.search("heart attack", limit=5).hits
    assert codelookup.lookup("E11.621") == mine.lookup("E11.621")
    assert codelookup.browse("E11") == mine.browse("E11")[1]
    assert codelookup.systems() == list(mine.system_info().values())


def test_an_empty_result_is_data_and_an_unknown_code_an_error(lib: Any) -> None:
    result = codelookup.search("qqqxzv")
    assert result == [] and len(result) == 0 and not result
    assert lib.not_found(result).suggestions is not None
    with pytest.raises(NotFoundError):
        codelookup.lookup("NOPE99")
    with pytest.raises(UnknownSystemError):
        codelookup.search("fracture", systems=["icd-11"])


def test_lookup_all_gives_every_system(lib: Any) -> None:
    systems = [d.record.system for d in lib.lookup_all("B20")]
    assert len(systems) >= 2 and systems[0] == lib.lookup("B20").record.system
