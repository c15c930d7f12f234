"""CPT page loading: the build accepts good pages and refuses bad ones with a precise message."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).parents[1]
if importlib.util.find_spec("codelookup") is None:  # checkout without an installed package
    sys.path.insert(0, str(REPO_ROOT / "src"))

from codelookup.build import cpt  # noqa: E402
from codelookup.errors import CatalogueError  # noqa: E402
from codelookup.sections import BY_SLUG, PAGE_SLUGS, Shape  # noqa: E402


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    return "[" + ", ".join(_toml_value(v) for v in value) + "]"


def page(code: str, title: str = "Our own short name", drop: str = "", extra: str = "") -> str:
    lines = [
        "[[codes]]",
        f'code = "{code}"',
        f"title = {_toml_value(title)}",
        'keywords = ["lay term", "another term"]',
        extra,
        "[codes.sections]",
    ]
    for slug in PAGE_SLUGS:
        if slug == drop:
            continue
        shape = BY_SLUG[slug].shape
        value: Any = f"Plain text for {slug}." if shape is Shape.TEXT else [f"Item for {slug}."]
        lines.append(f"{slug} = {_toml_value(value)}")
    lines.append(f'similar_codes = [ {{ code = "{code}", reason = "Itself, for the test." }} ]')
    return "\n".join(lines) + "\n"


def write(tmp_path: Path, name: str, family: str, *pages: str) -> Path:
    path = tmp_path / name
    head = f'[family]\nid = "{family}"\ntitle = "A family"\n\n'
    path.write_text(head + "\n".join(pages), encoding="utf-8")
    return path


def test_zero_files_give_no_records(tmp_path: Path) -> None:
    assert cpt.load_records(cpt.content_files(tmp_path)) == []
    assert cpt.content_files(tmp_path / "missing") == []


def test_groups_and_order(tmp_path: Path) -> None:
    write(tmp_path, "b.toml", "visits", page("99213"), page("99500"))
    write(tmp_path, "a.toml", "spine", page("62264"), page("00100"))
    records = cpt.load_records(cpt.content_files(tmp_path))
    assert [(r["code"], r["kind"], r["parent"]) for r in records] == [
        ("00100-01999", "section", None),
        ("00100", "code", "00100-01999"),
        ("10004-69990", "section", None),
        ("62264", "code", "10004-69990"),
        ("90281-99607", "section", None),
        ("99500", "code", "90281-99607"),
        ("99202-99499", "section", None),
        ("99213", "code", "99202-99499"),
    ]
    code = next(r for r in records if r["code"] == "62264")
    assert code["family"] == "spine"
    assert code["terms"] == ["lay term", "another term"]
    assert code["billable"] is True
    assert code["sections"]["similar_codes"] == [{"code": "62264", "reason": "Itself, for the test."}]
    assert set(code["sections"]) == {*PAGE_SLUGS, "similar_codes"}


@pytest.mark.parametrize(
    ("pages", "message"),
    [
        ((page("6226"),), "code 6226: code must be a string of 5 digits"),
        ((page("62264", title="x" * 91),), "code 62264: title is 91 characters"),
        ((page("62264", drop="summary"),), "code 62264: missing section(s) summary"),
        ((page("62264", extra='colour = "red"'),), "code 62264: unknown key(s) colour"),
        ((page("62264"), page("62264")), "code 62264: duplicate code"),
        ((page("0001U"),), "code 0001U: code must be a string of 5 digits"),
    ],
)
def test_bad_pages_fail_naming_file_and_code(tmp_path: Path, pages: tuple[str, ...], message: str) -> None:
    write(tmp_path, "bad.toml", "bad", *pages)
    with pytest.raises(CatalogueError) as caught:
        cpt.load_records(cpt.content_files(tmp_path))
    text = str(caught.value)
    assert "bad.toml" in text and message in text
    assert "\n" not in text


def test_duplicates_across_files(tmp_path: Path) -> None:
    write(tmp_path, "one.toml", "one", page("62264"))
    write(tmp_path, "two.toml", "two", page("62264"))
    with pytest.raises(CatalogueError, match=r"two.toml code 62264: duplicate code \(also in one"):
        cpt.load_records(cpt.content_files(tmp_path))


def test_unknown_section_and_bad_shapes(tmp_path: Path) -> None:
    bad = (
        page("62264")
        .replace('summary = "', 'summary = ["')
        .replace('Plain text for summary."', 'Plain text for summary."]')
    )
    write(tmp_path, "shape.toml", "shape", bad)
    with pytest.raises(CatalogueError, match="section summary must be non-empty text"):
        cpt.load_records(cpt.content_files(tmp_path))
    (tmp_path / "shape.toml").unlink()
    write(tmp_path, "slug.toml", "slug", page("62264") + 'axes = "no"\n')
    with pytest.raises(CatalogueError, match="unknown section 'axes'"):
        cpt.load_records(cpt.content_files(tmp_path))


def test_group_of_puts_em_before_medicine() -> None:
    assert cpt.group_of("99214") == ("99202-99499", "Evaluation and Management")
    assert cpt.group_of("99605") == ("90281-99607", "Medicine")
    with pytest.raises(CatalogueError):
        cpt.group_of("99999")


def test_repository_pages_load() -> None:
    """The real content directory must always build (zero files is fine)."""
    records = cpt.load_records(cpt.content_files(REPO_ROOT / "content" / "cpt"))
    codes = [r["code"] for r in records if r["kind"] == "code"]
    assert len(codes) == len(set(codes))
