"""The shipped ``data/codes.json``: layout, checksum, structure and schema.

These tests read only the file (and the schema), never the build inputs, so they run in CI
without the build extra.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).parents[1]
CATALOGUE = REPO_ROOT / "data" / "codes.json"
SCHEMA = REPO_ROOT / "src" / "codelookup" / "catalogue.schema.json"
SYSTEM_ORDER = ["ICD-10-CM", "ICD-10-PCS", "CPT", "HCPCS", "MS-DRG", "ICD-9-CM"]

pytestmark = pytest.mark.skipif(not CATALOGUE.is_file(), reason="data/codes.json not built")


@pytest.fixture(scope="module")
def raw() -> bytes:
    return CATALOGUE.read_bytes()


@pytest.fixture(scope="module")
def lines(raw: bytes) -> list[str]:
    return raw.decode("utf-8").split("\n")


@pytest.fixture(scope="module")
def header(lines: list[str]) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(lines[0].rstrip().rstrip(",") + "}")
    return parsed


@pytest.fixture(scope="module")
def document(raw: bytes) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(raw)
    return parsed


@pytest.fixture(scope="module")
def records(document: dict[str, Any]) -> list[dict[str, Any]]:
    return list(document["records"])


def test_header_from_line_one(header: dict[str, Any], raw: bytes) -> None:
    assert header["format"] == "codelookup-catalogue"
    assert header["schema_version"] == 1
    assert re.fullmatch(r"\d{4}\.\d{2}\.\d{2}", header["catalogue_release"])
    body = raw.split(b"\n", 1)[1]
    assert header["content_sha256"] == hashlib.sha256(body).hexdigest()
    assert list(header["systems"]) == sorted(header["systems"])
    assert {"ICD-10-CM", "ICD-10-PCS"} <= set(header["systems"])
    assert header["systems"]["HCPCS"]["release"] == "HCPCS Level II, January 2026"


def test_one_value_per_line(lines: list[str], records: list[dict[str, Any]]) -> None:
    assert lines[1].startswith('"pcs_tables":{') and lines[1].endswith(",")
    assert lines[2] == '"records":['
    assert lines[-2:] == ["]}", ""]
    record_lines = lines[3:-2]
    assert len(record_lines) == len(records)
    assert all(line.endswith(",") for line in record_lines[:-1])
    assert not record_lines[-1].endswith(",")
    for index in random.Random(1).sample(range(len(records)), 200):
        line = record_lines[index].rstrip(",")
        assert line == json.dumps(records[index], sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def test_counts_match_header(header: dict[str, Any], records: list[dict[str, Any]]) -> None:
    per_system = Counter(r["system"] for r in records)
    billable = Counter(r["system"] for r in records if r["billable"])
    assert set(per_system) == set(header["systems"])
    for system, info in header["systems"].items():
        assert info["counts"]["records"] == per_system[system], system
        assert info["counts"]["billable"] == billable[system], system
    cm = header["systems"]["ICD-10-CM"]["counts"]
    assert (cm["records"], cm["billable"]) == (98_505, 74_719)
    assert header["systems"]["ICD-10-PCS"]["counts"]["codes"] == 79_115
    assert header["systems"]["ICD-10-PCS"]["counts"]["tables"] == 914
    assert (header["systems"]["HCPCS"]["counts"]["codes"], header["systems"]["HCPCS"]["counts"]["modifiers"]) == (
        8_623,
        383,
    )


def test_structure(records: list[dict[str, Any]]) -> None:
    seen: dict[str, set[str]] = {}
    parents: dict[str, set[str]] = {}
    order = [SYSTEM_ORDER.index(r["system"]) for r in records]
    assert order == sorted(order)
    for rec in records:
        codes = seen.setdefault(rec["system"], set())
        assert rec["code"] not in codes, rec["code"]
        if rec["parent"] is not None:
            assert rec["parent"] in codes, rec["code"]  # parents come first
            parents.setdefault(rec["system"], set()).add(rec["parent"])
        codes.add(rec["code"])
    for rec in records:
        if rec["billable"]:
            assert rec["code"] not in parents[rec["system"]], rec["code"]


def test_known_codes(records: list[dict[str, Any]]) -> None:
    index = {(r["system"], r["code"]): r for r in records}
    e11 = index[("ICD-10-CM", "E11.621")]
    assert e11["billable"] and e11["title"] == "Type 2 diabetes mellitus with foot ulcer"
    assert e11["chapter"] == "4" and e11["block"] == "E08-E13"
    fracture = index[("ICD-10-CM", "S72.001A")]
    assert fracture["parent"] == "S72.001" and fracture["title"].endswith("closed fracture")
    assert "seventh_characters" in index[("ICD-10-CM", "S72")]["sections"]
    assert "sections" not in fracture  # inherited notes are not copied down
    knee = index[("ICD-10-PCS", "0SRC0J9")]
    assert knee["billable"] and knee["parent"] == "0SR"
    assert index[("ICD-10-PCS", "0")]["title"] == "Medical and Surgical"


def test_pcs_tables(document: dict[str, Any], records: list[dict[str, Any]]) -> None:
    tables = document["pcs_tables"]
    table_codes = {r["code"] for r in records if r["system"] == "ICD-10-PCS" and r["kind"] == "table"}
    keys = {k for k in tables if not k.startswith("_")}
    assert keys <= table_codes
    knee = tables["0SR"]
    assert knee["section"] == ["0", "Medical and Surgical"]
    assert knee["operation"][:2] == ["R", "Replacement"]
    assert knee["body_part"]["C"] and knee["approach"]["0"] == "Open"
    assert tables["_definitions"]["0"]["5"]["Open"]


def test_cpt_records(records: list[dict[str, Any]]) -> None:
    cpt = [r for r in records if r["system"] == "CPT"]
    for rec in cpt:
        if rec["kind"] == "section":
            assert rec["parent"] is None and re.fullmatch(r"\d{5}-\d{5}", rec["code"])
        else:
            assert re.fullmatch(r"\d{5}", rec["code"]) and len(rec["title"]) <= 90
            first, last = rec["parent"].split("-")
            assert first <= rec["code"] <= last and rec["family"]


def test_schema(document: dict[str, Any], records: list[dict[str, Any]]) -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the test extra")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    # About 0.6 s per thousand records: every written page (the richest records), every 20th
    # record with official notes, every 60th group of every system, a thousand drawn at random.
    pages = [r for r in records if r.get("sections") and r["system"] in ("CPT", "HCPCS")]
    pages += [r for r in records if r.get("sections") and r["system"] not in ("CPT", "HCPCS")][::20]
    groups = [r for r in records if not r["billable"] and not r.get("sections")][::60]
    sample = random.Random(3).sample(records, 1000)
    subset = dict(document, records=pages + groups + sample)
    errors = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(subset)]
    assert errors == []
    broken = dict(document, records=[dict(records[0], colour="red")])
    assert list(validator.iter_errors(broken))
