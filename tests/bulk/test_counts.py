"""What operations cost over protocol v2, counted in frames and round trips (never timed)."""

from __future__ import annotations

import gc
from typing import Any

import ferry
import pytest

pytestmark = pytest.mark.servers("ferry")


def test_iterating_ten_thousand_elements_takes_a_handful_of_round_trips(
    data: Any, gw: Any, delta: Any
) -> None:
    jlist = data.range(10_000)
    d = delta(gw)
    assert list(jlist) == list(range(10_000))
    # size() (list() asks for the length), iterator(), then chunks of 256, 1024, 4096, 16384.
    assert d()["round_trips"] <= 6, d()
    jset = ferry.to_java(set(range(10_000)), gw)
    d = delta(gw)
    assert set(jset) == set(range(10_000))
    assert d()["round_trips"] <= 6, d()
    jmap = ferry.to_java({i: -i for i in range(10_000)}, gw)
    d = delta(gw)
    assert sorted(jmap) == list(range(10_000))
    assert d()["round_trips"] <= 7, d()


def test_an_iterator_java_handed_out_reads_ahead_in_growing_chunks(
    data: Any, gw: Any, delta: Any
) -> None:
    it = data.range(10_000).iterator()
    d = delta(gw)
    assert next(it) == 0  # one element asked for: the Java iterator is not ahead
    assert d()["round_trips"] == 1
    rest = list(it)
    assert rest == list(range(1, 10_000))
    # 4, 16, 64, 256, 1024, 4096, 16384 (the last one finds the end).
    assert d()["round_trips"] <= 8, d()
    with pytest.raises(StopIteration):
        next(it)


def test_an_array_is_iterated_in_pipelined_batches(
    data: Any, gw: Any, delta: Any
) -> None:
    array = data.ints(5000)
    d = delta(gw)
    assert list(array) == list(range(-2500, 2500))
    # The length, then 5 batches of 1024 reads.
    assert d()["round_trips"] <= 6, d()


def test_to_python_is_one_round_trip_whatever_the_size(
    data: Any, gw: Any, delta: Any
) -> None:
    jlist = data.range(100_000)
    d = delta(gw)
    assert ferry.to_python(jlist) == list(range(100_000))
    assert (d()["round_trips"], d()["frames"]) == (1, 1)
    nested = data.nested()
    d = delta(gw)
    ferry.to_python(nested)
    assert d()["round_trips"] == 1


def test_releases_go_as_one_notice_per_batch(data: Any, gw: Any, delta: Any) -> None:
    objects = [gw.jvm.java.lang.StringBuilder(str(i)) for i in range(50)]
    client = gw._gateway_client
    client.flush_releases()
    d = delta(gw)
    del objects
    gc.collect()
    assert data.byteLength(b"x") == 1
    moved = d()
    # 50 releases and the call: one notice frame and one request frame, in one round trip
    # (unless the background flusher took some of them first, in a frame of its own).
    assert moved["releases"] == 50 or client.stats()["pending_releases"] > 0
    assert moved["frames"] <= 4, moved
    assert moved["round_trips"] <= 3, moved


def test_a_hundred_thousand_ints_under_auto_convert_are_one_frame(
    auto_gw: Any, delta: Any
) -> None:
    jlist = auto_gw.jvm.java.util.ArrayList()
    d = delta(auto_gw)
    assert jlist.addAll(list(range(100_000))) is True
    assert (d()["frames"], d()["round_trips"], d()["commands"]) == (1, 1, 1)
    assert jlist.size() == 100_000
