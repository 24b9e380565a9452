"""How many commands operations cost: counted, never timed."""

from __future__ import annotations

from typing import Any

import pytest
from ferry import _proxies
from ferry import java_gateway as jg


def test_math_abs_written_out_costs_one_command_once_names_are_known(
    fgateway: Any, client_helpers: Any
) -> None:
    sent = client_helpers.commands_sent
    before = sent(fgateway)
    assert fgateway.jvm.java.lang.Math.abs(-5) == 5
    first = sent(fgateway) - before
    # r u java, r u java.lang, r u java.lang.Math, r m ... abs, then the call.
    assert first == 5
    before = sent(fgateway)
    assert fgateway.jvm.java.lang.Math.abs(-5) == 5
    assert sent(fgateway) - before == 1


def test_a_call_on_a_held_object_is_one_command_and_one_round_trip(
    fgateway: Any, client_helpers: Any
) -> None:
    sb = fgateway.jvm.java.lang.StringBuilder("abc")
    stats = fgateway._gateway_client.stats()
    assert sb.length() == 3
    after = fgateway._gateway_client.stats()
    assert after["round_trips"] - stats["round_trips"] == 1
    assert (after["commands"] - after["releases"]) - (
        stats["commands"] - stats["releases"]
    ) == 1


def test_per_connection_counts_are_readable(fgateway: Any, server: Any) -> None:
    fgateway.jvm.java.lang.Math.abs(-1)
    per_connection = fgateway._gateway_client.connection_stats()
    assert len(per_connection) == 1
    assert per_connection[0]["commands"] == fgateway._gateway_client.stats()["commands"]
    assert set(per_connection[0]) == {
        "commands",
        "releases",
        "round_trips",
        "frames",
        "protocol",
    }
    # Protocol v2 on ferry's server, Py4J's text protocol on Py4J's.
    expected = 2 if server.kind == "ferry" else 1
    assert per_connection[0]["protocol"] == expected
    assert fgateway._gateway_client.protocol == expected


def test_static_field_values_are_never_remembered(
    fgateway: Any, client_helpers: Any
) -> None:
    sent = client_helpers.commands_sent
    integer = fgateway.jvm.java.lang.Integer
    assert integer.MAX_VALUE == 2**31 - 1
    before = sent(fgateway)
    assert integer.MAX_VALUE == 2**31 - 1
    assert sent(fgateway) - before == 1


def test_java_import_forgets_the_view_s_names(
    fgateway: Any, client_helpers: Any
) -> None:
    sent = client_helpers.commands_sent
    view = fgateway.new_jvm_view()
    assert isinstance(view.LinkedList, jg.JavaPackage)
    before = sent(fgateway)
    assert isinstance(view.LinkedList, jg.JavaPackage)
    assert sent(fgateway) == before  # remembered (for a while)
    jg.java_import(view, "java.util.LinkedList")
    before = sent(fgateway)
    linked = view.LinkedList
    assert isinstance(linked, jg.JavaClass)
    assert sent(fgateway) - before == 1  # asked again after the import
    before = sent(fgateway)
    assert view.LinkedList is linked
    assert sent(fgateway) == before


def test_package_answers_expire(
    fgateway: Any, client_helpers: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = client_helpers.commands_sent
    now = [1000.0]
    monkeypatch.setattr(_proxies, "_monotonic", lambda: now[0])
    assert isinstance(fgateway.jvm.com.nowhere, jg.JavaPackage)
    before = sent(fgateway)
    fgateway.jvm.com.nowhere  # noqa: B018
    assert sent(fgateway) == before
    now[0] += _proxies.PACKAGE_MEMO_SECONDS + 0.1
    fgateway.jvm.com.nowhere  # noqa: B018
    assert sent(fgateway) - before == 2  # "com" and "com.nowhere" asked again


def test_views_remember_separately(fgateway: Any, client_helpers: Any) -> None:
    sent = client_helpers.commands_sent
    fgateway.jvm.java.lang.Math.abs(-1)
    other = fgateway.new_jvm_view()
    before = sent(fgateway)
    assert other.java.lang.Math.abs(-1) == 1
    assert sent(fgateway) - before == 4  # three names in this view, then the call


def test_auto_convert_sends_a_python_list_in_few_round_trips(
    ferry_gateway_factory: Any, server: Any
) -> None:
    gateway = ferry_gateway_factory(server, auto_convert=True)
    ep = gateway.entry_point
    ep.sumList([1])
    client = gateway._gateway_client
    before = client.stats()["round_trips"]
    assert ep.sumList(list(range(2000))) == sum(range(2000))
    # ArrayList(), 4 pipelined batches of adds, the call: not one round trip per element.
    assert client.stats()["round_trips"] - before < 10


def test_packages_proven_by_a_class_never_expire(
    fgateway: Any, client_helpers: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = client_helpers.commands_sent
    now = [1000.0]
    monkeypatch.setattr(_proxies, "_monotonic", lambda: now[0])
    fgateway.jvm.java.lang.Math.abs(-1)
    fgateway.jvm.java.lang.Math.abs(
        -1
    )  # java and java.lang are now known to hold a class
    now[0] += 10 * _proxies.PACKAGE_MEMO_SECONDS
    before = sent(fgateway)
    assert fgateway.jvm.java.lang.Math.abs(-3) == 3
    assert sent(fgateway) - before == 1


def test_an_import_makes_every_view_object_of_that_id_forget(
    fgateway: Any, client_helpers: Any
) -> None:
    sent = client_helpers.commands_sent
    other = jg.JVMView(fgateway._gateway_client, "same view", id=fgateway.jvm._id)
    assert isinstance(fgateway.jvm.StringBuilder, jg.JavaClass)
    assert isinstance(other.StringBuilder, jg.JavaClass)
    before = sent(fgateway)
    fgateway.jvm.StringBuilder  # noqa: B018
    other.StringBuilder  # noqa: B018
    assert sent(fgateway) == before
    jg.java_import(fgateway.jvm, "java.util.concurrent.atomic.*")
    before = sent(fgateway)
    fgateway.jvm.StringBuilder  # noqa: B018
    other.StringBuilder  # noqa: B018
    assert sent(fgateway) - before == 1  # asked again once, then remembered by both
