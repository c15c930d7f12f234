"""The content lints' one-test-over-many-cases helper reports every failing case, and fails loudly when empty."""

from __future__ import annotations

import pytest

from .cases import each


def test_every_failing_case_is_named() -> None:
    def check(n: int) -> None:
        assert n % 2 == 0, f"{n} is odd"

    test = each([(1,), (2,), (3,)], ["one", "two", "three"])(check)
    with pytest.raises(AssertionError) as caught:
        test()
    text = str(caught.value)
    assert "2 of 3 fail" in text and "one: 1 is odd" in text and "three: 3 is odd" in text
    assert "two:" not in text
    assert test.__name__ == "check"


def test_no_cases_or_all_skipped_is_a_failure() -> None:
    with pytest.raises(AssertionError, match="no cases"):
        each([], [])(lambda: None)()

    def skip_all(n: int) -> None:
        pytest.skip("does not apply")

    with pytest.raises(AssertionError, match="applied to no case"):
        each([(1,)], ["one"])(skip_all)()
    each([(1,), (2,)], ["one", "two"])(lambda n: None if n == 1 else pytest.skip("not this one"))()
