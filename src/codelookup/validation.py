"""Bulk validation for analysts: is each of millions of claim codes valid, billable, current?

``lookup`` builds a whole page per code (hundreds per second); claims work needs membership at
memory speed. :class:`CodeTable` is a compact, column-oriented copy of every record's code,
system, title, billable flag and status, loaded once per process from the search index, with one
dict from every accepted spelling of a code (``E11.9``, ``E119``) to its row. Validation is then a
dict lookup per input plus list comprehensions over precomputed per-row columns; only inputs that
miss the dict (lower case, stray spaces, missing placeholders, unknown codes) take a slower path.

Results are columnar (:class:`Validation`): one list per field, so a million rows cost a few
lists, not a million objects. pandas, polars and pyarrow inputs are accepted when those packages
are installed, and none of them is imported unless such an input is given.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .errors import UsageError

#: Every field a validation can return, in output order.
FIELDS: tuple[str, ...] = ("input", "code", "system", "valid", "billable", "status", "status_date", "title", "reason")

NO_SUCH_CODE = "no such code"
CATEGORY = "a category, not billable: add characters"
HEADING = "a heading, not a code"

# Kinds of records that are groupings rather than codes (see index.GROUP_KINDS).
_GROUP_KINDS = frozenset({"chapter", "block", "section", "body_system", "table", "group"})



def _key(code: str) -> str:
    return code.replace(".", "").replace(" ", "").upper()


class CodeTable:
    """Every record of the current catalogue (bundled plus imported layers) as parallel columns."""

    def __init__(self, rows: Iterable[tuple[str, str, str, int, str, str | None, str | None]]) -> None:
        self.code: list[str] = []
        self.system: list[str] = []
        self.title: list[str] = []
        self.billable: list[bool] = []
        self.valid: list[bool] = []
        self.status: list[str | None] = []
        self.status_date: list[str | None] = []
        self.reason: list[str] = []
        self.keys: dict[str, int] = {}
        self.by_system: dict[str, dict[str, int]] = {}
        self._flags: dict[str, dict[str, bool]] | None = None
        self._padded: dict[str, list[Any]] = {}
        exact: dict[str, int] = {}
        from .systems import registry

        order = registry.order_of
        # Opt-in systems (ICD-9-CM, MS-DRG) never take a displayed code from another system:
        # V01.0 is an ICD-10-CM code and a retired ICD-9-CM one (issue 18).
        opt_in = frozenset(s.name for s in registry.ordered() if s.opt_in)
        for code, system, title, billable, kind, status_value, when_value in rows:
            i = len(self.code)
            status = str(status_value or "")
            when = str(when_value or "")
            bill = bool(billable) and not status
            self.code.append(code)
            self.system.append(system)
            self.title.append(title)
            self.billable.append(bill)
            group = kind in _GROUP_KINDS
            self.valid.append(not status and not group)
            self.status.append(status or None)
            self.status_date.append(when or None)
            if status == "deleted":
                reason = f"deleted ({when})" if when else "deleted"
            elif status:
                reason = f"{status} {when}".strip()
            elif group:
                reason = HEADING
            elif not bill:
                reason = CATEGORY
            else:
                reason = ""
            self.reason.append(reason)
            key = _key(code)
            per = self.by_system.setdefault(system, {})
            per.setdefault(key, i)
            per.setdefault(code, i)
            if system not in opt_in or code not in exact:
                exact[code] = i
            other = self.keys.get(key)
            # One undotted spelling in two systems: a code beats a heading, then display order.
            if other is None or (not group and order(system) < order(self.system[other])):
                self.keys[key] = i
        # The code as displayed always means that record (J11.00 is ICD-10-CM, J1100 is HCPCS).
        self.keys.update(exact)

    def __len__(self) -> int:
        return len(self.code)

    @classmethod
    def from_index(cls, con: sqlite3.Connection) -> CodeTable:
        # SQLite's JSON functions read the two status fields in C: parsing every record's extra
        # data in Python took seconds.
        rows = con.execute(
            "SELECT code, system, title, billable, kind, json_extract(data, '$.status'), "
            "coalesce(json_extract(data, '$.termination_date'), json_extract(data, '$.hcpcs.termination_date'), "
            "json_extract(data, '$.deleted_in')) "
            "FROM rec ORDER BY id"
        )
        return cls(rows)

    def nbytes(self) -> int:
        """Approximate memory held (strings, lists, dicts), for the README's size figure."""
        import sys

        total = sum(sys.getsizeof(col) for col in (self.code, self.system, self.title, self.billable, self.valid,
                                                     self.status, self.status_date, self.reason))  # fmt: skip
        total += sum(sys.getsizeof(s) for s in self.code) + sum(sys.getsizeof(s) for s in set(self.title))
        total += sys.getsizeof(self.keys) + sum(sys.getsizeof(d) for d in self.by_system.values())
        return total

    # -- lookups ---------------------------------------------------------------------------------
    def rows(self, codes: Sequence[str], system: str | None = None) -> list[int]:
        """The row of each input (-1 where there is none); the exact spelling is one dict lookup.

        ``map`` over the dict's ``get`` runs the loop in C; only the inputs it misses (lower case,
        spaces, unknown codes) are looked at again in Python.
        """
        mapping = self.keys if system is None else self._system_map(system)
        found: list[int | None] = list(map(mapping.get, codes))
        if None in found:
            for i, j in enumerate(found):
                if j is None:
                    c = codes[i]
                    found[i] = mapping.get(_key(c.strip()), -1) if isinstance(c, str) else -1
        return found  # type: ignore[return-value]  # no None is left

    def flags(self, codes: Sequence[str], which: str) -> list[bool]:
        """Only ``valid`` or only ``billable``, from a dict of every spelling: the fastest path."""
        lookup = self._flag_maps()[which]
        out: list[bool | None] = list(map(lookup.get, codes))
        if None in out:
            keys = self.keys
            col = getattr(self, which)
            for i, v in enumerate(out):
                if v is None:
                    c = codes[i]
                    j = keys.get(_key(c.strip()), -1) if isinstance(c, str) else -1
                    out[i] = j >= 0 and col[j]
        return out  # type: ignore[return-value]  # no None is left

    def padded(self, field: str) -> list[Any]:
        """A column with one more item at the end, the value of an input that has no row."""
        col = self._padded.get(field)
        if col is None:
            missing: dict[str, Any] = {"valid": False, "billable": False, "reason": NO_SUCH_CODE}
            col = self._padded[field] = [*getattr(self, field), missing.get(field)]
        return col

    def _flag_maps(self) -> dict[str, dict[str, bool]]:
        if self._flags is None:
            valid, billable = self.valid, self.billable
            self._flags = {
                "valid": {k: valid[j] for k, j in self.keys.items()},
                "billable": {k: billable[j] for k, j in self.keys.items()},
            }
        return self._flags

    def _system_map(self, system: str) -> dict[str, int]:
        from .systems import registry

        names = registry.resolve([system])
        name = names[0] if names else system
        if name not in self.by_system:
            raise UsageError(f"{name} is not in the catalogue", hint="see 'codelookup systems'")
        return self.by_system[name]

    def miss_reason(self, code: object, system: str | None) -> tuple[str, str]:
        """(reason, the code it probably meant) for an input with no row."""
        if not isinstance(code, str) or not code.strip():
            return "empty", ""
        key = _key(code.strip())
        get = self.keys.get if system is None else self._system_map(system).get
        if 4 <= len(key) < 7 and key[0].isalpha() and key[-1].isalpha():
            alt = key[:-1] + "X" * (7 - len(key)) + key[-1]
            j = get(alt, -1)
            if j >= 0:
                return f"placeholder X missing: {self.code[j]}", self.code[j]
        return NO_SUCH_CODE, ""


_TABLE: CodeTable | None = None
_TABLE_SECONDS = 0.0


def code_table(con: sqlite3.Connection | None = None) -> CodeTable:
    """The process-wide table, loaded on first use (about half a second; see the README)."""
    global _TABLE, _TABLE_SECONDS
    if _TABLE is None:
        started = time.perf_counter()
        if con is None:
            from .index import connect

            con = connect(progress=False)
        _TABLE = CodeTable.from_index(con)
        _TABLE_SECONDS = time.perf_counter() - started
    return _TABLE


class Validation:
    """Columnar result: one list per field, aligned with the inputs."""

    def __init__(self, columns: dict[str, list[Any]]) -> None:
        self.columns = columns

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()), []))

    def __getitem__(self, field: str) -> list[Any]:
        return self.columns[field]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        names = list(self.columns)
        for values in zip(*self.columns.values(), strict=True):
            yield dict(zip(names, values, strict=True))

    def records(self) -> list[dict[str, Any]]:
        return list(self)

    def summary(self) -> dict[str, Any]:
        """Counts for the CLI's stderr line: n, valid, billable, invalid by reason."""
        n = len(self)
        valid = sum(self.columns["valid"]) if "valid" in self.columns else 0
        billable = sum(self.columns["billable"]) if "billable" in self.columns else 0
        by_reason: dict[str, int] = {}
        if "reason" in self.columns and "valid" in self.columns:
            for ok, reason in zip(self.columns["valid"], self.columns["reason"], strict=True):
                if not ok:
                    label = reason.split(":", 1)[0].split(" (", 1)[0]
                    by_reason[label] = by_reason.get(label, 0) + 1
        return {"n": n, "valid": valid, "billable": billable, "invalid": n - valid, "invalid_by_reason": by_reason}


def _as_list(codes: Any) -> tuple[list[Any], str]:
    """Inputs as a plain list, and the library they came from ("", "pandas", "polars", "pyarrow")."""
    module = type(codes).__module__.split(".", 1)[0]
    if module == "pandas":
        return codes.tolist(), "pandas"
    if module == "polars":
        return codes.to_list(), "polars"
    if module == "pyarrow":
        return codes.to_pylist(), "pyarrow"
    if isinstance(codes, str):
        return [codes], ""
    return codes if isinstance(codes, list) else list(codes), ""


def validate_columns(
    codes: Sequence[Any], system: str | None = None, fields: Sequence[str] = FIELDS, table: CodeTable | None = None
) -> Validation:
    """The core: per-field lists for a list of code strings."""
    unknown = [f for f in fields if f not in FIELDS]
    if unknown:
        raise UsageError(f"unknown field {unknown[0]!r}", hint="use: " + ", ".join(FIELDS))
    t = table if table is not None else code_table()
    if system is None and len(fields) == 1 and fields[0] in ("valid", "billable"):
        return Validation({fields[0]: t.flags(codes, fields[0])})
    idx = t.rows(codes, system)
    misses = [i for i, j in enumerate(idx) if j < 0] if -1 in idx else []
    out: dict[str, list[Any]] = {}
    for field in fields:
        if field == "input":
            out[field] = list(codes)
            continue
        # Row -1 is each column's last item: the value for "no such code" (see _padded).
        col = list(map(t.padded(field).__getitem__, idx))
        if misses and field in ("reason", "code"):
            for i in misses:
                reason, meant = t.miss_reason(codes[i], system)
                col[i] = reason if field == "reason" else (meant or None)
        out[field] = col
    return Validation(out)


def validate(codes: Any, system: str | None = None, fields: Sequence[str] = FIELDS) -> Any:
    """Validate codes: normalised code, system, valid, billable, status (deleted/terminated) with
    its date, title, and the reason when a code is not valid or not billable.

    ``codes`` is any iterable of strings, or a pandas Series / polars Series / pyarrow array, in
    which case the answer is a DataFrame / polars DataFrame / pyarrow Table with one column per
    field. Otherwise a :class:`Validation` (columnar; iterate it for one dict per input).
    """
    values, kind = _as_list(codes)
    result = validate_columns(values, system, fields)
    if kind == "pandas":
        import pandas as pd

        return pd.DataFrame(result.columns, index=codes.index)
    if kind == "polars":
        import polars as pl

        return pl.DataFrame(result.columns, strict=False)
    if kind == "pyarrow":
        import pyarrow as pa

        return pa.table(result.columns)
    return result


def is_valid(codes: Iterable[str], system: str | None = None) -> list[bool]:
    """Membership only (valid, current codes): the fastest check."""
    values, _ = _as_list(codes)
    return validate_columns(values, system, ("valid",))["valid"]


def is_billable(codes: Iterable[str], system: str | None = None) -> list[bool]:
    values, _ = _as_list(codes)
    return validate_columns(values, system, ("billable",))["billable"]


def annotate(df: Any, column: str, fields: Sequence[str] = ("valid", "billable", "title"), system: str | None = None,
             prefix: str = "") -> Any:  # fmt: skip
    """A copy of a pandas or polars DataFrame with validation columns added next to ``column``.

    Works unchanged on every partition of a Dask DataFrame
    (``ddf.map_partitions(annotate, "dx")``) and in Spark's ``mapInPandas``.
    """
    module = type(df).__module__.split(".", 1)[0]
    if module not in ("pandas", "polars"):
        raise UsageError("annotate takes a pandas or polars DataFrame", hint="for lists use codelookup.validate")
    if column not in df.columns:
        raise UsageError(f"no column {column!r}", hint="columns: " + ", ".join(map(str, df.columns)))
    wanted = [f for f in fields if f != "input"]
    if module == "pandas":
        result = validate_columns(df[column].tolist(), system, wanted)
        out = df.copy()
        for name, values in result.columns.items():
            out[prefix + name] = values
        return out
    import polars as pl

    result = validate_columns(df.get_column(column).to_list(), system, wanted)
    return df.with_columns([pl.Series(prefix + name, values, strict=False) for name, values in result.columns.items()])
