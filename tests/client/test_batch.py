"""``ferry.batch()``: calls queued, sent in one write and answered together, on Py4J's server
(pipelined text commands) and on ferry's (v2 frames). Round trips are counted, never timed."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import CancelledError
from typing import Any

import ferry
import pytest
from ferry.protocol import Py4JError, Py4JJavaError, Py4JNetworkError


def round_trips(gateway: Any) -> int:
    return int(gateway._gateway_client.stats()["round_trips"])


def test_calls_run_in_order_and_share_one_round_trip(fgateway: Any) -> None:
    sb = fgateway.jvm.java.lang.StringBuilder()
    math = fgateway.jvm.java.lang.Math
    sb.length()  # the method names are known from here on
    math.abs(-1)
    before = round_trips(fgateway)
    with ferry.batch() as b:
        b.call(sb.append, "a")
        one = b.call(sb.length)
        b.call(sb.append, "bc")
        three = b.call(sb.length)
        five = b.call(math.abs, -5)
        text = b.call(sb.toString)
        assert len(b) == 6
        assert not one.done()
    assert round_trips(fgateway) - before == 1
    assert (one.result(), three.result(), five.result(), text.result()) == (
        1,
        3,
        5,
        "abc",
    )
    assert sb.toString() == "abc"


def test_results_that_are_java_objects_can_be_used(fgateway: Any) -> None:
    jlist = fgateway.jvm.java.util.ArrayList()
    with ferry.batch() as b:
        for x in ("x", "y"):
            b.call(jlist.add, x)
        it = b.call(jlist.iterator)
        sub = b.call(jlist.subList, 1, 2)
    iterator = it.result()
    assert (iterator.next(), iterator.next(), iterator.hasNext()) == ("x", "y", False)
    assert list(sub.result()) == ["y"]


def test_a_failed_call_keeps_its_error_the_others_run_and_the_first_error_is_raised(
    fgateway: Any,
) -> None:
    sb = fgateway.jvm.java.lang.StringBuilder()
    integer = fgateway.jvm.java.lang.Integer
    b = ferry.batch()
    bad = b.call(integer.parseInt, "not a number")
    b.call(sb.append, "after")
    worse = b.call(sb.charAt, 99)
    n = b.call(sb.length)
    with pytest.raises(Py4JJavaError) as raised:
        b.flush()
    assert raised.value is bad.exception()
    assert "NumberFormatException" in str(bad.exception())
    assert isinstance(worse.exception(), Py4JJavaError)
    assert n.result() == 5
    assert sb.toString() == "after"
    assert len(b) == 0


def test_a_cancelled_call_is_not_made(fgateway: Any) -> None:
    sb = fgateway.jvm.java.lang.StringBuilder()
    with ferry.batch() as b:
        dropped = b.call(sb.append, "dropped")
        kept = b.call(sb.append, "kept")
        assert dropped.cancel()
    assert dropped.cancelled()
    assert kept.result() is not None
    assert sb.toString() == "kept"


def test_a_block_that_raises_sends_nothing(fgateway: Any) -> None:
    sb = fgateway.jvm.java.lang.StringBuilder()
    before = round_trips(fgateway)
    with pytest.raises(RuntimeError), ferry.batch() as b:
        f = b.call(sb.append, "never")
        raise RuntimeError("stop")
    assert f.cancelled()
    with pytest.raises(CancelledError):
        f.result()
    assert round_trips(fgateway) == before
    assert sb.toString() == ""


def test_many_calls_go_in_writes_of_512(fgateway: Any) -> None:
    jlist = fgateway.jvm.java.util.ArrayList()
    jlist.size()
    before = round_trips(fgateway)
    with ferry.batch() as b:
        added = [b.call(jlist.add, i) for i in range(1200)]
        size = b.call(jlist.size)
    assert round_trips(fgateway) - before == 3
    assert all(f.result() is True for f in added)
    assert size.result() == 1200
    assert jlist.get(1199) == 1199


def test_an_empty_batch_sends_nothing(fgateway: Any) -> None:
    before = round_trips(fgateway)
    with ferry.batch():
        pass
    ferry.batch().flush()
    assert round_trips(fgateway) == before


def test_what_cannot_be_batched_is_refused_and_the_batch_goes_on(
    fgateway: Any, ferry_gateway_factory: Any, server: Any
) -> None:
    sb = fgateway.jvm.java.lang.StringBuilder()
    other = ferry_gateway_factory(server).jvm.java.lang.StringBuilder()
    with ferry.batch() as b:
        kept = b.call(sb.append, "kept")
        with pytest.raises(TypeError, match="Java methods"):
            b.call(len, "x")
        with pytest.raises(TypeError, match="Java methods"):
            b.call(fgateway.jvm.java.lang.StringBuilder)  # a constructor
        with pytest.raises(ValueError, match="one gateway"):
            b.call(other.append, "elsewhere")
    assert kept.done()
    assert sb.toString() == "kept"
    assert other.toString() == ""


def test_auto_convert_converts_when_queued(
    ferry_gateway_factory: Any, server: Any
) -> None:
    gateway = ferry_gateway_factory(server, auto_convert=True)
    jlist = gateway.jvm.java.util.ArrayList()
    with ferry.batch() as b:
        b.call(jlist.add, [1, 2, 3])
        b.call(jlist.add, {"k": "v"})
        size = b.call(jlist.size)
    assert size.result() == 2
    assert jlist.get(0).size() == 3
    assert jlist.get(1).get("k") == "v"


def batch_on_a_gateway_that_dies(
    ferry_gateway_factory: Any, own_server: Any, queue: Callable[[Any, Any], list[Any]]
) -> tuple[Any, list[Any]]:
    """A batch whose calls ``queue(batch, string_builder)`` queued on a gateway of its own,
    which is then killed."""
    srv = own_server()
    gateway = ferry_gateway_factory(srv)
    sb = gateway.jvm.java.lang.StringBuilder()
    sb.length()
    b = ferry.batch()
    calls = queue(b, sb)
    srv.popen.kill()
    srv.popen.wait()
    return b, calls


def test_a_gateway_gone_fails_every_call_with_the_network_error(
    ferry_gateway_factory: Any, own_server: Any
) -> None:
    b, futures = batch_on_a_gateway_that_dies(
        ferry_gateway_factory,
        own_server,
        lambda b, sb: [b.call(sb.append, "x"), b.call(sb.length)],
    )
    with pytest.raises(Py4JError) as raised:
        b.flush()
    assert isinstance(raised.value, Py4JNetworkError)
    for f in futures:
        assert f.exception() is not None


def test_an_outcome_asked_before_the_flush_says_why_there_is_none(
    fgateway: Any,
) -> None:
    sb = fgateway.jvm.java.lang.StringBuilder()
    b = ferry.batch()
    call = b.call(sb.length)
    assert not call.done()
    assert repr(call) == "<BatchCall queued>"
    with pytest.raises(RuntimeError, match="not made yet"):
        call.result()
    with pytest.raises(RuntimeError, match="not made yet"):
        call.exception()
    b.flush()
    assert call.done() and not call.cancelled()
    assert (call.result(), call.exception(), repr(call)) == (
        0,
        None,
        "<BatchCall returned>",
    )
    assert not call.cancel()  # made: too late


def test_a_batch_keeps_the_objects_of_its_calls_alive(fgateway: Any) -> None:
    import gc

    with ferry.batch() as b:
        size = b.call(fgateway.jvm.java.util.ArrayList().size)
        gc.collect()  # the list's only holder is the batch
    assert size.result() == 0


def test_a_call_whose_argument_is_refused_fails_alone(fgateway: Any) -> None:
    sb = fgateway.jvm.java.lang.StringBuilder()
    b = ferry.batch()
    b.call(sb.append, "a")
    refused = b.call(sb.append, object())  # no Java value for a plain Python object
    b.call(sb.append, "b")
    n = b.call(sb.length)
    with pytest.raises(Exception) as raised:
        b.flush()
    assert raised.value is refused.exception()
    assert n.result() == 2
    assert sb.toString() == "ab"


def test_large_arguments_go_in_writes_of_their_own(fgateway: Any) -> None:
    data = fgateway.jvm.java.util.ArrayList()
    data.size()
    big = bytes(40 << 10)
    before = round_trips(fgateway)
    with ferry.batch() as b:
        for _ in range(3):
            b.call(data.add, big)  # 40 KiB each: two would pass the 64 KiB of a write
        b.call(data.add, b"small")
        size = b.call(data.size)
    # big | big | big + small + size
    assert round_trips(fgateway) - before == 3
    assert size.result() == 4
    assert bytes(data.get(2)) == big


def test_a_connection_lost_fails_the_write_in_progress_and_cancels_the_rest(
    ferry_gateway_factory: Any, own_server: Any
) -> None:
    b, calls = batch_on_a_gateway_that_dies(
        ferry_gateway_factory,
        own_server,
        lambda b, sb: [b.call(sb.length) for _ in range(600)],
    )
    with pytest.raises(Py4JNetworkError):
        b.flush()
    assert all(isinstance(c.exception(), Py4JNetworkError) for c in calls[:512])
    assert all(c.cancelled() for c in calls[512:])
