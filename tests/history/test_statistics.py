"""5-minute statistics: a time-weighted mean, min and max of what the value really was."""

from __future__ import annotations

import pytest

from hub.history.statistics import BucketAccumulator

T0 = 1_800_000_000  # a bucket boundary (divisible by 300)


def test_a_value_held_most_of_a_bucket_weighs_most_in_its_mean() -> None:
    acc = BucketAccumulator(1)
    assert acc.add(T0 - 10, 20.0) is None  # the bucket before: the value held as T0 begins
    assert acc.add(T0 + 240, 30.0) is not None  # closes the earlier bucket
    bucket = acc.close_due(T0 + 300)
    assert bucket is not None
    assert bucket.start == T0
    assert bucket.mean == pytest.approx((20 * 240 + 30 * 60) / 300)
    assert (bucket.min, bucket.max, bucket.first, bucket.last) == (20, 30, 20, 30)


def test_a_first_bucket_averages_only_the_time_the_value_was_known() -> None:
    acc = BucketAccumulator(1)
    acc.add(T0 + 100, 10.0)
    acc.add(T0 + 200, 40.0)
    bucket = acc.close_due(T0 + 300)
    assert bucket is not None
    assert bucket.first is None
    assert bucket.mean == pytest.approx((10 * 100 + 40 * 100) / 200)
    assert (bucket.min, bucket.max) == (10, 40)


def test_a_bucket_without_change_yields_nothing_and_the_next_starts_from_the_held_value() -> None:
    acc = BucketAccumulator(1)
    acc.add(T0 + 10, 5.0)
    assert acc.close_due(T0 + 300) is not None
    assert acc.close_due(T0 + 900) is None  # two quiet buckets: no rows
    finished = acc.add(T0 + 960, 7.0)
    assert finished is None
    bucket = acc.close_now(T0 + 1020)  # the hub stops half-way through the bucket
    assert bucket is not None
    assert bucket.start == T0 + 900
    assert bucket.first == 5.0
    assert bucket.mean == pytest.approx((5 * 60 + 7 * 60) / 120)
