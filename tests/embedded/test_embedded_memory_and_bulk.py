"""Java objects released when their Python proxies die; bytes and numpy arrays to Java arrays and
back, whole."""

from __future__ import annotations

from typing import Any


def test_java_objects_are_released_when_proxies_die(run: Any) -> None:
    ran = run(
        """
        import gc
        from ferry.embedded import start_jvm

        g = start_jvm(classpath=CLASSES, entry_point="fixtures.EntryPoint")
        client = g._gateway_client
        base = client.registry_size()
        objects = [g.jvm.java.lang.Object() for _ in range(200)]
        held = client.registry_size()
        again = [type(o)(o._target_id, client) for o in objects[:10]]
        del objects
        gc.collect()
        still = client.registry_size()
        del again
        gc.collect()
        after = client.registry_size()
        kept = g.jvm.java.util.ArrayList()
        g.detach(kept)
        detached = client.registry_size()
        for i in range(1000):
            g.jvm.java.lang.StringBuilder(str(i)).length()
        gc.collect()
        report(base=base, held=held, still=still, after=after, detached=detached,
               loop=client.registry_size())
        """
    )
    r = ran.report
    assert r["held"] == r["base"] + 200
    # Ten ids still have a second proxy each.
    assert r["still"] == r["base"] + 10
    assert r["after"] == r["base"]
    assert r["detached"] == r["base"]
    assert r["loop"] == r["base"]


def test_bytes_and_numpy_round_trips(run: Any) -> None:
    ran = run(
        """
        import numpy as np
        import ferry
        from ferry.embedded import start_jvm

        g = start_jvm(classpath=CLASSES, entry_point="fixtures.EntryPoint")
        bulk = g.jvm.fixtures.BulkData()
        out = {}
        data = bytes(range(256)) * 4096
        out["bytes_echo"] = g.entry_point.echoBytes(data) == data
        out["byte_sum"] = bulk.byteSum(data) == sum(b - 256 if b > 127 else b for b in data)
        out["empty_bytes"] = g.entry_point.echoBytes(b"") == b""
        rng = np.random.default_rng(5)
        for dtype in ["bool", "int8", "int16", "int32", "int64", "float32", "float64"]:
            a = (rng.random(10001) * 1000).astype(dtype)
            back = ferry.to_numpy(ferry.to_java(a, g))
            out[dtype] = [str(back.dtype) == dtype, bool(np.array_equal(back, a))]
        big = rng.random(1_000_000)
        out["sum"] = abs(bulk.sum(big) - float(big.sum())) < 1e-6 * abs(float(big.sum()))
        strided = np.arange(20, dtype=np.int64)[::2]
        out["strided"] = bulk.sum(strided) == int(strided.sum())
        out["swapped"] = bulk.sum(np.arange(5, dtype=">f8")) == 10.0
        doubles = bulk.doubles(1000)
        arr = ferry.to_numpy(doubles)
        out["java_to_numpy"] = [str(arr.dtype), len(arr), float(arr[999]) == doubles[999]]
        out["empty"] = len(ferry.to_numpy(g.entry_point.emptyIntArray()))
        out["typed_list"] = ferry.to_numpy(bulk.range(5)).tolist()
        out["to_python"] = ferry.to_python(g.entry_point.makeMap())
        try:
            bulk.sum(np.zeros((2, 2)))
            out["two_dims"] = "accepted"
        except ValueError as e:
            out["two_dims"] = str(e)
        report(**out)
        """
    )
    r = ran.report
    assert [r["bytes_echo"], r["byte_sum"], r["empty_bytes"]] == [True, True, True]
    for dtype in ["bool", "int8", "int16", "int32", "int64", "float32", "float64"]:
        assert r[dtype] == [True, True], dtype
    assert [r["sum"], r["strided"], r["swapped"]] == [True, True, True]
    assert r["java_to_numpy"][:2] == ["float64", 1000] and r["java_to_numpy"][2]
    assert r["empty"] == 0
    assert r["typed_list"] == [0, 1, 2, 3, 4]
    assert isinstance(r["to_python"], dict) and r["to_python"]
    assert "one-dimensional" in r["two_dims"]
