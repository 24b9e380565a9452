"""Errors: Java exceptions as Py4JJavaError with the Java stack trace, Py4J-level errors as Py4JError.

What is checked of a stack trace is what both servers give: the exception class, its message,
the frames of the fixture code and the cause chain; never the frames of the server itself.
"""

from __future__ import annotations

import gc
import warnings
from typing import Any

import pytest


def test_unchecked_exception_with_cause(api: Any, entry_point: Any) -> None:
    with pytest.raises(api.Py4JJavaError) as info:
        entry_point.throwUnchecked()
    error = info.value
    text = str(error)
    assert "An error occurred while calling t.throwUnchecked" in text
    assert "java.lang.IllegalStateException: unchecked boom" in text
    assert "at fixtures.EntryPoint.throwUnchecked(EntryPoint.java:" in text
    assert "Caused by: java.lang.IllegalArgumentException: root cause" in text

    java_exception = error.java_exception
    assert isinstance(java_exception, api.JavaObject)
    assert java_exception.getMessage() == "unchecked boom"
    assert java_exception.getClass().getName() == "java.lang.IllegalStateException"
    cause = java_exception.getCause()
    assert cause.getMessage() == "root cause"
    assert cause.getCause() is None
    trace = java_exception.getStackTrace()
    assert trace[0].getClassName() == "fixtures.EntryPoint"
    assert trace[0].getMethodName() == "throwUnchecked"


def test_checked_exception(api: Any, entry_point: Any) -> None:
    with pytest.raises(api.Py4JJavaError) as info:
        entry_point.throwChecked()
    text = str(info.value)
    assert "java.io.IOException: checked boom" in text
    assert "at fixtures.EntryPoint.throwChecked(EntryPoint.java:" in text
    assert "Caused by" not in text
    assert info.value.java_exception.getCause() is None


def test_exception_from_a_static_method(api: Any, gateway: Any) -> None:
    with pytest.raises(api.Py4JJavaError) as info:
        gateway.jvm.fixtures.EntryPoint.staticThrow()
    text = str(info.value)
    assert "z:fixtures.EntryPoint.staticThrow" in text
    assert "java.lang.UnsupportedOperationException: static boom" in text
    assert "at fixtures.EntryPoint.staticThrow(EntryPoint.java:" in text


def test_exception_from_a_constructor(api: Any, gateway: Any) -> None:
    with pytest.raises(api.Py4JJavaError) as info:
        gateway.jvm.fixtures.Exploding(True)
    text = str(info.value)
    assert "java.lang.IllegalArgumentException: constructor boom" in text
    assert "at fixtures.Exploding.<init>(Exploding.java:" in text
    assert isinstance(gateway.jvm.fixtures.Exploding(False), api.JavaObject)


def test_exception_from_the_jdk(api: Any, gateway: Any, entry_point: Any) -> None:
    with pytest.raises(api.Py4JJavaError) as info:
        entry_point.parse("abc")
    text = str(info.value)
    assert 'java.lang.NumberFormatException: For input string: "abc"' in text
    assert "at fixtures.EntryPoint.parse(EntryPoint.java:" in text
    assert info.value.java_exception.getMessage() == 'For input string: "abc"'
    with pytest.raises(api.Py4JJavaError, match="NumberFormatException"):
        gateway.jvm.java.lang.Integer.parseInt("x")


def test_java_exception_is_a_usable_object(api: Any, entry_point: Any) -> None:
    with pytest.raises(api.Py4JJavaError) as info:
        entry_point.throwUnchecked()
    java_exception = info.value.java_exception
    assert "unchecked boom" in java_exception.toString()
    # str() asks the server for the trace each time; it stays the same.
    assert str(info.value) == str(info.value)
    assert info.value.args[1] is java_exception


def test_connection_survives_java_exceptions(api: Any, entry_point: Any) -> None:
    for _ in range(3):
        with pytest.raises(api.Py4JJavaError):
            entry_point.throwChecked()
        assert entry_point.echoInt(1) == 1


def test_no_such_method_is_py4j_error(api: Any, entry_point: Any) -> None:
    with pytest.raises(api.Py4JError) as info:
        entry_point.noSuchMethod(1)
    assert not isinstance(info.value, api.Py4JJavaError)
    assert "An error occurred while calling t.noSuchMethod" in str(info.value)
    assert "noSuchMethod" in str(info.value).split("Trace:", 1)[1]
    assert entry_point.echoInt(2) == 2


def test_no_such_static_method_is_py4j_error(api: Any, gateway: Any) -> None:
    with pytest.raises(api.Py4JError) as info:
        gateway.jvm.java.lang.Math.noSuchThing(1)
    assert not isinstance(info.value, api.Py4JJavaError)


def test_call_on_a_released_object_is_py4j_error(api: Any, gateway: Any) -> None:
    point = gateway.jvm.fixtures.Point(1, 2)
    gateway.detach(point)
    with pytest.raises(api.Py4JError) as info:
        point.sum()
    assert not isinstance(info.value, api.Py4JJavaError)
    assert point._get_object_id() in str(info.value)


def test_conversion_failure_inside_the_server_is_py4j_error(
    api: Any, entry_point: Any
) -> None:
    # str -> char takes the first character; an empty string has none. The failure happens in
    # the server's conversion, not in the called code: Py4JError, not Py4JJavaError.
    with pytest.raises(api.Py4JError) as info:
        entry_point.onlyChar("")
    assert not isinstance(info.value, api.Py4JJavaError)


def test_stream_of_a_channel(entry_point: Any) -> None:
    size = 10_000
    with entry_point.openChannel.stream(size) as channel:
        data = channel.read(size)
    assert data == bytes(i % 251 for i in range(size))
    # The connection goes back to the pool and keeps working.
    assert entry_point.echoInt(5) == 5


def test_stream_of_an_empty_channel(entry_point: Any) -> None:
    with entry_point.openChannel.stream(0) as channel:
        assert channel is not None
    assert entry_point.echoInt(6) == 6


def test_stream_of_several_channels_in_a_row(entry_point: Any) -> None:
    for size in (1, 4096, 4097, 65_536):
        with entry_point.openChannel.stream(size) as channel:
            assert channel.read(size) == bytes(i % 251 for i in range(size))
    assert entry_point.echoInt(7) == 7


def test_stream_of_a_method_that_throws(api: Any, entry_point: Any) -> None:
    with pytest.raises(api.Py4JJavaError) as info:
        entry_point.openChannelThrows.stream()
    assert "java.io.IOException: no channel" in str(info.value)
    assert entry_point.echoInt(8) == 8
    # The py4j client neither closes nor pools the connection of a failed stream call; drop it
    # here, where its unclosed-socket warning is expected.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        del info
        gc.collect()
