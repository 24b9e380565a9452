"""Calls, fields, arrays, collections and exceptions through the engine in this process: the
JavaGateway API, with py4j's answers."""

from __future__ import annotations

from typing import Any


def test_calls_fields_and_values(run: Any) -> None:
    ran = run(
        """
        from decimal import Decimal
        from ferry import get_field, set_field
        from ferry.embedded import start_jvm

        g = start_jvm(classpath=CLASSES, entry_point="fixtures.EntryPoint")
        ep = g.entry_point
        Math = g.jvm.java.lang.Math
        report(
            overloads=[ep.ov(1), ep.ov(2**40), ep.ov(1.5), ep.ov(True), ep.ov("s"),
                       ep.ov(Decimal("1.25")), ep.ov(1, "b"), ep.ov()],
            echo=[ep.echoInt(-7), ep.echoLong(2**62), ep.echoDouble(0.1), ep.echoBoolean(False),
                  ep.echoString("é\\n✓"), ep.echoBytes(b"\\x00\\xff").hex(),
                  str(ep.echoDecimal(Decimal("3.14159"))), ep.echoObject(None)],
            typed=[ep.getShort(), ep.getByte(), ep.getFloat(), ep.getChar(), ep.getLong()],
            statics=[Math.abs(-5), Math.max(2, 9), g.jvm.fixtures.EntryPoint.add(2, 3),
                     g.jvm.fixtures.EntryPoint.STATIC_STRING, g.jvm.fixtures.EntryPoint.sov("x")],
            fields=[get_field(ep, "intField"), get_field(ep, "stringField")],
            nested=g.jvm.fixtures.EntryPoint.Inner(5).value(),
            varargs=[ep.joinAll(g.new_array(g.jvm.String, 0)),
                     g.jvm.fixtures.EntryPoint.sumAll(1, 2, 3)],
            sb=g.jvm.java.lang.StringBuilder("ab").append(1).append("c").reverse().toString(),
            help="stringLength" in g.help(ep, display=False),
        )
        set_field(ep, "intField", 99)
        assert get_field(ep, "intField") == 99
        """
    )
    r = ran.report
    assert r["overloads"][:6] == [
        "int:1",
        "long:1099511627776",
        "double:1.5",
        "boolean:true",
        "String:s",
        "BigDecimal:1.25",
    ]
    assert r["overloads"][7] == "()"
    assert r["echo"] == [-7, 2**62, 0.1, False, "é\n✓", "00ff", "3.14159", None]
    assert r["typed"] == [-12345, -7, 1.25, "z", -(2**63)]
    assert r["statics"] == [5, 9, 5, "static", "static String:x"]
    assert r["fields"] == [7, "hello"]
    assert r["nested"] == 5
    assert r["varargs"] == ["0:", 6]
    assert r["sb"] == "c1ba"
    assert r["help"] is True


def test_arrays_and_collections(run: Any) -> None:
    ran = run(
        """
        import ferry
        from ferry import java_import
        from ferry.embedded import start_jvm

        g = start_jvm(classpath=CLASSES, entry_point="fixtures.EntryPoint")
        ep = g.entry_point
        ints = ep.intArray()
        grid = g.new_array(g.jvm.int, 2, 3)
        grid[1][2] = 7
        strings = g.new_array(g.jvm.String, 2)
        strings[0] = "a"
        strings[1] = "b"
        lst = ep.makeList(4)
        lst.append(10)
        m = ep.makeMap()
        m["z"] = 26
        s = ep.makeSet()
        view = g.new_jvm_view()
        java_import(view, "java.util.concurrent.*")
        java_import(g.jvm, "java.util.LinkedList")
        report(
            ints=list(ints), ints_len=len(ints), slice=list(ints[1:]), grid=grid[1][2],
            joined=ep.joinStrings(strings), lst=list(lst), lst_sum=ep.sumList(lst),
            lst_sorted=sorted(lst, reverse=True), m=dict(m), m_keys=sorted(m.keys()),
            s=sorted(s), contains="z" in m,
            iter=list(ep.makeIterator(3)),
            view=view.ConcurrentHashMap().getClass().getName(),
            imported=g.jvm.LinkedList().getClass().getName(),
            converted=ep.sumList(ferry.to_java([1, 2, 3], g)),
        )
        """
    )
    r = ran.report
    assert r["ints_len"] == len(r["ints"]) and r["slice"] == r["ints"][1:]
    assert r["grid"] == 7
    assert r["joined"] == "a,b"
    assert r["lst"][-1] == 10 and r["lst_sum"] == sum(r["lst"])
    assert r["lst_sorted"] == sorted(r["lst"], reverse=True)
    assert r["m"]["z"] == 26 and r["contains"] is True
    assert r["m_keys"] == sorted(r["m"])
    assert r["iter"] == [0, 1, 2]
    assert r["view"] == "java.util.concurrent.ConcurrentHashMap"
    assert r["imported"] == "java.util.LinkedList"
    assert r["converted"] == 6


def test_exceptions_keep_the_java_stack_trace(run: Any) -> None:
    ran = run(
        """
        from ferry import Py4JError, Py4JJavaError
        from ferry.embedded import start_jvm

        g = start_jvm(classpath=CLASSES, entry_point="fixtures.EntryPoint")
        out = {}
        try:
            g.jvm.java.lang.Integer.parseInt("zz")
        except Py4JJavaError as e:
            out["parse"] = str(e)
            out["class"] = e.java_exception.getClass().getName()
            out["message"] = e.java_exception.getMessage()
        try:
            g.entry_point.throwChecked()
        except Py4JJavaError as e:
            out["checked"] = e.java_exception.getClass().getName()
        try:
            g.entry_point.noSuchMethod(1)
        except Py4JError as e:
            out["missing"] = str(e)
        try:
            g.jvm.java.util.ArrayList("not a capacity", 1, 2)
        except Py4JError as e:
            out["constructor"] = type(e).__name__
        report(**out)
        """
    )
    r = ran.report
    assert r["class"] == "java.lang.NumberFormatException"
    assert r["message"] == 'For input string: "zz"'
    assert "java.lang.NumberFormatException" in r["parse"]
    assert "at java.base/java.lang.Integer.parseInt(" in r["parse"]
    assert r["checked"] == "java.io.IOException"
    assert "noSuchMethod" in r["missing"]
    assert r["constructor"] == "Py4JError"


def test_a_batch_runs_its_calls_in_order(run: Any) -> None:
    ran = run(
        """
        import ferry
        from ferry.embedded import start_jvm

        g = start_jvm(classpath=CLASSES, entry_point="fixtures.EntryPoint")
        sb = g.jvm.java.lang.StringBuilder()
        b = ferry.batch()
        b.call(sb.append, "ab")
        n = b.call(sb.length)
        bad = b.call(g.jvm.java.lang.Integer.parseInt, "x")
        five = b.call(g.jvm.java.lang.Math.abs, -5)
        try:
            b.flush()
            raised = None
        except Exception as e:
            raised = type(e).__name__
        report(n=n.result(), five=five.result(), raised=raised,
               bad=type(bad.exception()).__name__, text=sb.toString())
        """
    )
    assert ran.report == {
        "n": 2,
        "five": 5,
        "raised": "Py4JJavaError",
        "bad": "Py4JJavaError",
        "text": "ab",
    }
