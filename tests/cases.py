"""One test over many cases, every failing case reported: the content lints' shape.

A rule checked on 771 CPT pages was 771 parametrized tests; at about a millisecond of pytest
(and xdist) bookkeeping each, thirteen rules cost more than the checks themselves. ``each``
runs the rule over every case inside one test and fails with the id and message of every case
that breaks it, so nothing is hidden behind the first failure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest


def each(cases: Sequence[Sequence[Any]], ids: Sequence[str]) -> Callable[[Callable[..., None]], Callable[[], None]]:
    """Decorate ``check(*case)``: the result is a test that runs it for every case."""

    def wrap(check: Callable[..., None]) -> Callable[[], None]:
        def test() -> None:
            assert cases, "no cases to check"
            failures: list[str] = []
            skipped = 0
            for case, case_id in zip(cases, ids, strict=True):
                try:
                    check(*case)
                except AssertionError as exc:
                    failures.append(f"{case_id}: {str(exc).strip()[:500]}")
                except pytest.skip.Exception:
                    skipped += 1  # the check does not apply to this case
            assert skipped < len(cases), "the check applied to no case"
            assert not failures, f"{len(failures)} of {len(cases)} fail:\n" + "\n".join(failures)

        # Not functools.wraps: pytest would read the check's parameters through __wrapped__.
        test.__name__ = check.__name__
        test.__qualname__ = check.__qualname__
        test.__doc__ = check.__doc__
        test.__module__ = check.__module__
        return test

    return wrap
