"""The claim checks' base: a violation raises, a comparison follows the intervals, and a sentence
that asserts a direction the numbers do not support fails."""

import pytest

from midlib.checks import ClaimViolation, check, compare


def test_check_raises_on_any_false_entry():
    check([True, True], "all hold")
    with pytest.raises(ClaimViolation, match="bound"):
        check([True, False], "the bound holds", details="row 1")
    with pytest.raises(AssertionError):  # a violation fails a notebook like an assert
        check(False, "x")


@pytest.mark.parametrize("a, ai, b, bi, expected", [
    (0.3, (0.2, 0.4), 0.6, (0.5, 0.7), "below"),
    (0.6, (0.5, 0.7), 0.3, (0.2, 0.4), "above"),
    (0.45, (0.3, 0.6), 0.5, (0.4, 0.6), "none"),
])
def test_compare_reads_the_intervals(a, ai, b, bi, expected):
    assert compare(a, ai, b, bi).direction == expected


def test_expect_fails_when_the_text_would_contradict_the_numbers():
    c = compare(0.45, (0.3, 0.6), 0.5, (0.4, 0.6))
    assert c.expect("below", "none").words == "not significantly different from"
    with pytest.raises(ClaimViolation, match="MID beats DP"):
        c.expect("below", claim="MID beats DP at matched MSE")  # planted: overlapping intervals


def test_compare_refuses_an_estimate_outside_its_interval():
    with pytest.raises(ValueError, match="interval"):
        compare(0.9, (0.2, 0.4), 0.5, (0.4, 0.6))
