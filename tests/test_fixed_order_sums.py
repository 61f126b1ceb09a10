"""The engine's generated fixed-order sums against the order written out in Python.

The order a run's numbers depend on (and that keeps them the same whatever the batch, the
thread count or the engine version): four partial sums, point p to partial p mod 4 in point
order, the points past the last multiple of 4 to the first partial, combined as
(s0 + s1) + (s2 + s3).  Equal bit for bit, for row counts on both sides of the group widths
and point counts on both sides of multiples of 4.
"""

import numpy as np
import pytest
from numba import njit

from scorematch.engine import _add_row_dots


@njit
def add_row_dots(factor_a, rows_a, out_a, factor_b, rows_b, out_b, count):
    _add_row_dots(factor_a, rows_a, out_a, factor_b, rows_b, out_b, count)


def fixed_order_dot(a, b, count):
    partials = [0.0, 0.0, 0.0, 0.0]
    whole = count - count % 4
    for p in range(whole):
        partials[p % 4] += float(a[p]) * float(b[p])
    for p in range(whole, count):
        partials[0] += float(a[p]) * float(b[p])
    return (partials[0] + partials[1]) + (partials[2] + partials[3])


@pytest.mark.parametrize("count", [0, 1, 3, 4, 5, 8, 13, 307])
@pytest.mark.parametrize(("rows_a", "rows_b"), [(1, 0), (3, 0), (1, 2), (3, 4), (4, 5), (5, 6), (9, 0)])
def test_sums_follow_the_fixed_order_bit_for_bit(count, rows_a, rows_b):
    rng = np.random.default_rng(count * 100 + rows_a * 10 + rows_b)
    size = count + 5  # points past count must not be read
    # magnitudes over many decades: a different order would round differently
    factor_a, factor_b = (rng.standard_normal(size) * 10.0 ** rng.integers(-8, 8, size) for _ in range(2))
    table_a = rng.standard_normal((rows_a, size)) * 10.0 ** rng.integers(-8, 8, (rows_a, size))
    table_b = rng.standard_normal((rows_b, size)) * 10.0 ** rng.integers(-8, 8, (rows_b, size))
    table_a[:, count:] = np.nan
    table_b[:, count:] = np.nan
    out_a = rng.standard_normal(rows_a + 1)
    out_b = rng.standard_normal(rows_b + 1)
    expected_a = out_a.copy()
    expected_b = out_b.copy()
    for r in range(rows_a):
        expected_a[r] += fixed_order_dot(factor_a, table_a[r], count)
    for r in range(rows_b):
        expected_b[r] += fixed_order_dot(factor_b, table_b[r], count)
    add_row_dots(factor_a, table_a, out_a, factor_b, table_b, out_b, count)
    np.testing.assert_array_equal(out_a, expected_a)
    np.testing.assert_array_equal(out_b, expected_b)
