"""Large bytes, bytearray and numpy arguments of a call are written from where they are (not
copied into the request): the Java side gets every byte in place, whatever sits around them in
the same frame, and a bytearray can be resized again once the call returns. Large primitive
arrays and bytes in replies, which the server writes from where they are, arrive whole."""

from __future__ import annotations

import random
from typing import Any

import ferry
import numpy as np
import pytest

pytestmark = pytest.mark.servers("ferry")

LARGE = 1 << 20  # past the size from which raw bytes are not copied


def _bytes(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def test_large_bytes_and_bytearray_arrive_in_place(data: Any) -> None:
    for value in (_bytes(LARGE, 1), bytearray(_bytes(LARGE + 8, 2))):
        data.keep(value)
        assert data.keptBytes() == bytes(value)


def test_several_large_values_in_one_frame_keep_their_places(gw: Any) -> None:
    a = _bytes(LARGE, 3)
    b = bytearray(_bytes(LARGE + 16, 4))
    odd = _bytes(LARGE + 3, 5)  # not a multiple of 8: copied
    values = gw.jvm.java.util.List.of(a, "between", b, 7, odd)
    assert values.get(0) == a
    assert values.get(1) == "between"
    assert values.get(2) == bytes(b)
    assert values.get(3) == 7
    assert values.get(4) == odd


def test_large_numpy_arrays_arrive_in_place(gw: Any) -> None:
    doubles = np.random.default_rng(6).random(LARGE // 8 + 5)
    strided = np.arange(2 * LARGE, dtype=np.int64)[::2]  # made contiguous, then sent
    small = np.arange(10, dtype=np.float32)
    values = gw.jvm.java.util.List.of(doubles, small, strided)
    assert np.array_equal(ferry.to_numpy(values.get(0)), doubles)
    assert np.array_equal(ferry.to_numpy(values.get(1)), small)
    assert np.array_equal(ferry.to_numpy(values.get(2)), strided)


def test_a_bytearray_sent_whole_can_be_resized_after_the_call(data: Any) -> None:
    value = bytearray(LARGE)
    assert data.byteLength(value) == LARGE
    value.extend(b"12345678")  # raises BufferError while a memoryview of it is alive
    assert data.byteLength(value) == LARGE + 8


def test_large_array_and_bytes_replies_arrive_whole(data: Any) -> None:
    n = 100_000  # 800 KB of doubles: written by the server from where they are
    assert np.array_equal(ferry.to_numpy(data.doubles(n)), np.arange(n) * 0.5)
    assert np.array_equal(
        ferry.to_numpy(data.ints(n)), np.arange(n, dtype=np.int32) - n // 2
    )
    value = _bytes(LARGE + 1, 7)
    data.keep(value)
    assert data.keptBytes() == value


def test_large_values_of_changing_sizes_never_see_an_earlier_call_s_bytes(
    data: Any,
) -> None:
    # Large request bodies and the server's copies out of the Java heap are reused from call to
    # call, shrunk and grown: every call must see exactly its own bytes, whatever came before.
    sizes = [3 * LARGE, LARGE, LARGE + 12_345, 2 * LARGE + 7, LARGE // 2 + 1, 4 * LARGE]
    for k, n in enumerate(sizes):
        value = _bytes(n, 100 + k)
        signed = int(np.frombuffer(value, dtype=np.int8).sum(dtype=np.int64))
        assert data.byteSum(value) == signed
        data.keep(value)
        assert data.keptBytes() == value
        doubles = np.random.default_rng(200 + k).random(n // 8)
        assert data.sum(doubles) == pytest.approx(float(doubles.sum()), rel=1e-9)
        back = ferry.to_numpy(data.doubles(n // 8))
        assert np.array_equal(back, np.arange(n // 8) * 0.5)
        ints = ferry.to_python(data.range(n // 16))
        assert ints == list(range(n // 16))
