"""The registry of code systems: one entry per system, and nobody else compares system names."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from codelookup.errors import ExitCode, UnknownSystemError, UsageError
from codelookup.systems import CodeSystem, registry

SRC = Path(__file__).resolve().parents[1] / "src" / "codelookup"


def test_no_module_but_the_registry_compares_system_names() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.name == "systems.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            names = "|".join(re.escape(n) for n in registry.names())
            if re.search(rf"system\s*[!=]=|system\"\]\s*[!=]=\s*\"|[!=]=\s*\"({names})\"", line):
                offenders.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    assert offenders == []


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        ("cm", "ICD-10-CM"),
        ("ICD10CM", "ICD-10-CM"),
        ("icd_10_cm", "ICD-10-CM"),
        ("pcs", "ICD-10-PCS"),
        ("Icd-10-Pcs", "ICD-10-PCS"),
        ("cpt", "CPT"),
        ("hcpcs", "HCPCS"),
        ("HCPCS-II", "HCPCS"),
    ],
)
def test_aliases(spelling: str, name: str) -> None:
    assert registry.resolve([spelling]) == (name,)


def test_unknown_system_is_a_usage_error_naming_the_choices() -> None:
    with pytest.raises(UnknownSystemError) as info:
        registry.resolve(["=cm"])
    assert isinstance(info.value, UsageError) and info.value.exit_code is ExitCode.USAGE
    assert "ICD-10-CM" in str(info.value) and "'=cm'" in str(info.value)


def test_ids_are_unique_and_fit_one_byte_with_the_billable_bit() -> None:
    ids = [s.id for s in registry.ordered()]
    assert len(ids) == len(set(ids)) and all(0 <= i <= 126 for i in ids)
    assert registry.names()[:4] == ("ICD-10-CM", "ICD-10-PCS", "CPT", "HCPCS")


def test_code_shapes() -> None:
    assert registry.shaped_like("E119")[0] == "ICD-10-CM"
    assert "ICD-10-PCS" in registry.shaped_like("0SRC0J9")
    assert "CPT" in registry.shaped_like("62264") and "ICD-10-CM" not in registry.shaped_like("62264")
    assert "HCPCS" in registry.shaped_like("J3420")
    assert set(registry.shaped_like("B20")) >= {"ICD-10-CM", "ICD-10-PCS"}


def test_import_kinds_come_from_the_registry() -> None:
    from codelookup.importers import ImportKind
    from codelookup.layers import layer_kinds

    assert set(layer_kinds()) == {k.value for k in ImportKind} == set(registry.import_kinds())
    assert layer_kinds()["cpt"].mode == "overlay"


def test_the_registry_is_cheap_to_import() -> None:
    # It is imported on every cold start: it must pull in no other module and run in microseconds.
    code = (
        "import sys, time, importlib.util, codelookup\n"
        "before = set(sys.modules)\n"
        "import codelookup.systems\n"
        "print(sorted(set(sys.modules) - before))\n"
        "body = importlib.util.find_spec('codelookup.systems').loader.get_code('codelookup.systems')\n"
        "best = min(-time.perf_counter() + (exec(body, {'__name__': 'x'}) or time.perf_counter()) for _ in range(50))\n"
        "print(best * 1e6)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    new_modules, micros = proc.stdout.splitlines()
    assert set(eval(new_modules)) <= {"codelookup.systems", "__future__"}
    assert float(micros) < 500, micros  # typically 25 µs; "well under 1 ms" even on a loaded machine


# -- a toy system: one registry entry is all it takes ---------------------------------------
TOY = CodeSystem(
    "TOY-1",
    id=99,
    order=5,  # before ICD-10-CM
    aliases=("toy",),
    code_pattern=r"^T[0-9]{3}$",
    description="a toy system for tests",
    billable_wording="reportable toy code",
    kinds=("section", "code"),
)


@pytest.fixture
def toy() -> Iterator[CodeSystem]:
    registry.register(TOY)
    try:
        yield TOY
    finally:
        registry.unregister(TOY.name)


def _toy_library() -> object:
    from codelookup.api import Library
    from codelookup.index import _fill

    records = [
        {"code": "T000", "system": "TOY-1", "title": "Toy things", "billable": False, "kind": "section",
         "parent": None},
        {"code": "T001", "system": "TOY-1", "title": "Wooden zebra toy", "billable": True, "kind": "code",
         "parent": "T000"},
        {"code": "T002", "system": "TOY-1", "title": "Plastic zebra toy", "billable": True, "kind": "code",
         "parent": "T000"},
        {"code": "E11.9", "system": "ICD-10-CM", "title": "Type 2 diabetes mellitus without complications",
         "billable": True, "kind": "code", "parent": None},
    ]  # fmt: skip
    header = {"schema_version": 1, "catalogue_release": "toy", "systems": {}}
    systems = {"TOY-1": {"name": "TOY-1", "release": "2026", "source": "tests", "licence": "CC0"}}
    con = sqlite3.connect(":memory:", check_same_thread=False)
    _fill(con, header, systems, {}, iter(records), "toy", False)
    return Library(con)


def test_a_toy_system_needs_one_registry_entry(toy: CodeSystem) -> None:
    from codelookup.build.validate import validate_records

    lib = _toy_library()
    result = lib.search("zebra", systems=["toy"])  # type: ignore[attr-defined]
    assert [h.code for h in result.hits] == ["T001", "T002"] and {h.system for h in result.hits} == {"TOY-1"}
    assert [h.code for h in lib.search("t001").hits] == ["T001"]  # type: ignore[attr-defined]
    detail = lib.lookup("t001")  # type: ignore[attr-defined]
    assert detail.billable_reason == "reportable toy code"
    assert [r.code for r in detail.breadcrumb] == ["T000"]
    names = [i.name for i in lib.system_info().values()]  # type: ignore[attr-defined]
    assert names[0] == "TOY-1"  # display order from the entry
    assert validate_records([{"code": "T1", "system": "TOY-1", "title": "t", "billable": True, "kind": "code",
                              "parent": None}]) == []  # fmt: skip


def test_registering_a_taken_id_is_refused() -> None:
    with pytest.raises(ValueError, match="taken"):
        registry.register(CodeSystem("OTHER", id=0, order=1))
