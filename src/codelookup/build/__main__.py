"""``python -m codelookup.build [--output PATH] [--check]``: write or verify data/codes.json."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from codelookup.build import pipeline, sources
from codelookup.build.writer import write_atomic
from codelookup.errors import CodelookupError

ROOT = sources.repository_root()
DEFAULT_OUTPUT = ROOT / "data" / "codes.json"
DEFAULT_CONTENT = ROOT / "content" / "cpt"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m codelookup.build",
        description="Build the codelookup catalogue from the bundled sources and CPT pages.",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"catalogue file to write or check (default: {DEFAULT_OUTPUT})",
    )
    parser.add_argument("--content", type=Path, default=DEFAULT_CONTENT, help="directory of CPT page TOML files")
    parser.add_argument("--check", action="store_true", help="rebuild in memory; exit 1 if the file on disk differs")
    return parser


def run(output: Path, content: Path, check: bool, console: Console) -> int:
    cat = pipeline.Catalogue()
    steps = pipeline.steps(content)
    with Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("building catalogue", total=len(steps) + 2)
        for name, step in steps:
            progress.update(task, description=name)
            step(cat)
            progress.advance(task)
        progress.update(task, description="validating")
        data = pipeline.finish(cat)
        progress.advance(task)
        sides = {output.parent / name: blob for name, blob in cat.side_files.items()}
        if check:
            progress.update(task, description="comparing")
            same = output.is_file() and output.read_bytes() == data
            same = same and all(p.is_file() and p.read_bytes() == b for p, b in sides.items())
        else:
            progress.update(task, description="writing")
            for path, blob in sides.items():
                write_atomic(path, blob)
            write_atomic(output, data)
            same = True
        progress.advance(task)
    same = _indexes(output, cat, check, console) and same
    if check:
        verdict = "matches the rebuild" if same else "differs from the rebuild; run python -m codelookup.build"
        console.print(f"{output}: {verdict}")
        return 0 if same else 1
    console.print(f"wrote {output} ({len(data):,} bytes, {len(cat.records):,} records)")
    return 0


def _indexes(output: Path, cat: pipeline.Catalogue, check: bool, console: Console) -> bool:
    """The coders' indexes companion (indexes.json.gz next to the catalogue), checked against it."""
    from codelookup.build import cm_index

    target = output.parent / "indexes.json.gz"
    data, report = cm_index.build(ROOT / cm_index.SOURCES, cat.records)
    console.print(cm_index.summary(report), markup=False, highlight=False)
    if check:
        same = target.is_file() and target.read_bytes() == data
        console.print(f"{target}: {'matches the rebuild' if same else 'differs from the rebuild'}")
        return same
    write_atomic(target, data)
    console.print(f"wrote {target} ({len(data):,} bytes)")
    return True


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console(stderr=True)
    try:
        return run(args.output, args.content, args.check, console)
    except CodelookupError as exc:
        console.print(f"error: {exc}", markup=False, highlight=False)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
