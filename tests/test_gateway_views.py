"""JVM views and imports, name resolution, dir() and help()."""

from __future__ import annotations

from typing import Any

import pytest

COMPLETION_KEY = "<package or class name>"

# --------------------------------------------------------------------------- names and packages


def test_dotted_names_resolve_to_packages_then_classes(api: Any, gateway: Any) -> None:
    jvm = gateway.jvm
    assert isinstance(jvm.java, api.JavaPackage)
    assert isinstance(jvm.java.util, api.JavaPackage)
    array_list = jvm.java.util.ArrayList
    assert isinstance(array_list, api.JavaClass)
    assert array_list._fqn == "java.util.ArrayList"
    assert isinstance(jvm.fixtures.EntryPoint, api.JavaClass)


def test_java_lang_and_primitives_need_no_import(api: Any, gateway: Any) -> None:
    string = gateway.jvm.String
    assert isinstance(string, api.JavaClass)
    assert string._fqn == "java.lang.String"
    assert isinstance(gateway.jvm.int, api.JavaClass)


def test_unknown_names_are_packages(api: Any, gateway: Any) -> None:
    # Any unknown name is taken for a package, so mistakes surface only when used.
    missing = gateway.jvm.no.such.Thing
    assert isinstance(missing, api.JavaPackage)
    with pytest.raises(TypeError):
        missing()


def test_nested_class_through_its_outer_class(api: Any, gateway: Any) -> None:
    inner = gateway.jvm.fixtures.EntryPoint.Inner
    assert isinstance(inner, api.JavaClass)
    assert inner._fqn == "fixtures.EntryPoint$Inner"
    entry = gateway.jvm.java.util.Map.Entry
    assert entry._fqn == "java.util.Map$Entry"


def test_java_lang_class_object(api: Any, gateway: Any) -> None:
    cls = gateway.jvm.fixtures.Point._java_lang_class
    assert isinstance(cls, api.JavaObject)
    assert cls.getName() == "fixtures.Point"
    assert cls.getSimpleName() == "Point"


# --------------------------------------------------------------------------- views and imports


def test_new_view_has_its_own_imports(api: Any, gateway: Any) -> None:
    view = gateway.new_jvm_view()
    assert isinstance(view, api.JVMView)
    assert isinstance(view.ArrayList, api.JavaPackage)
    api.java_import(view, "java.util.ArrayList")
    array_list = view.ArrayList
    assert isinstance(array_list, api.JavaClass)
    assert array_list._fqn == "java.util.ArrayList"
    assert list(array_list()) == []
    # The default view and other views do not see it.
    assert isinstance(gateway.jvm.ArrayList, api.JavaPackage)
    assert isinstance(gateway.new_jvm_view().ArrayList, api.JavaPackage)


def test_star_import(api: Any, gateway: Any) -> None:
    view = gateway.new_jvm_view("star view")
    api.java_import(view, "java.util.concurrent.*")
    api.java_import(view, "fixtures.*")
    assert view.ConcurrentHashMap._fqn == "java.util.concurrent.ConcurrentHashMap"
    assert view.EntryPoint.STATIC_INT == 42
    assert view.Point(1, 2).sum() == 3
    # java.lang stays visible.
    assert view.Math.max(1, 2) == 2


def test_imports_in_the_default_view(api: Any, gateway: Any) -> None:
    # The default view is shared by every client of the server: import something harmless.
    api.java_import(gateway.jvm, "fixtures.Puppy")
    assert gateway.jvm.Puppy().sound() == "yip"


def test_dir_of_a_view_lists_single_imports(api: Any, gateway: Any) -> None:
    view = gateway.new_jvm_view()
    assert dir(view) == [COMPLETION_KEY]
    api.java_import(view, "java.util.ArrayList")
    assert sorted(dir(view)) == sorted([COMPLETION_KEY, "ArrayList"])
    # Star imports are not listed.
    api.java_import(view, "java.util.concurrent.*")
    assert sorted(dir(view)) == sorted([COMPLETION_KEY, "ArrayList"])
    api.java_import(view, "fixtures.Point")
    assert sorted(dir(view)) == sorted([COMPLETION_KEY, "ArrayList", "Point"])
    # Asking again without a new import answers from the client's cache; the list is unchanged.
    assert sorted(dir(view)) == sorted([COMPLETION_KEY, "ArrayList", "Point"])


def test_import_of_a_missing_class_is_accepted_and_listed(
    api: Any, gateway: Any
) -> None:
    view = gateway.new_jvm_view()
    api.java_import(view, "no.such.Klass")
    assert "Klass" in dir(view)
    assert isinstance(view.Klass, api.JavaPackage)


def test_import_of_a_nested_class_by_dotted_name_does_not_resolve(
    api: Any, gateway: Any
) -> None:
    view = gateway.new_jvm_view()
    api.java_import(view, "fixtures.EntryPoint.Inner")
    assert isinstance(view.Inner, api.JavaPackage)


# --------------------------------------------------------------------------- dir


def test_dir_of_an_object_lists_public_methods(entry_point: Any) -> None:
    names = dir(entry_point)
    for name in (
        "echoInt",
        "ov",
        "add",
        "shadowed",
        "toString",
        "hashCode",
        "getClass",
    ):
        assert name in names
    for name in ("secret", "secretStatic", "packagePrivate", "intField"):
        assert name not in names
    assert len(names) == len(set(names))


def test_dir_of_a_small_object(gateway: Any) -> None:
    point = gateway.jvm.fixtures.Point()
    assert sorted(dir(point)) == sorted(
        [
            "equals",
            "getClass",
            "hashCode",
            "notify",
            "notifyAll",
            "sum",
            "toString",
            "wait",
        ]
    )


def test_dir_of_a_class_lists_public_statics(gateway: Any) -> None:
    names = sorted(dir(gateway.jvm.fixtures.EntryPoint))
    assert names == sorted(
        [
            "Inner",
            "STATIC_DOUBLE",
            "STATIC_INT",
            "STATIC_LIST",
            "STATIC_LONG",
            "STATIC_NULL",
            "STATIC_STRING",
            "add",
            "sov",
            "staticThrow",
            "sumAll",
        ]
    )


def test_dir_of_a_class_without_statics(gateway: Any) -> None:
    # One empty name: the server answers an empty string, which the client splits.
    assert dir(gateway.jvm.fixtures.Point) == [""]


def test_dir_with_auto_field_adds_fields(gateway_factory: Any, server: Any) -> None:
    gateway = gateway_factory(server, auto_field=True)
    point = gateway.jvm.fixtures.Point(1, 2)
    names = dir(point)
    for name in ("x", "y", "label", "ctor", "sum"):
        assert name in names


# --------------------------------------------------------------------------- help


def test_help_of_an_object(gateway: Any, entry_point: Any) -> None:
    page = gateway.help(entry_point, display=False)
    assert "EntryPoint" in page
    assert "fixtures" in page
    # Public methods with their parameter types (simple names), static ones included.
    for signature in (
        "echoInt(int)",
        "ov(BigDecimal)",
        "ov(int, String)",
        "add(int, int)",
        "joinAll(String[])",
    ):
        assert signature in page
    # Public fields, and the public nested class.
    for name in ("intField", "STATIC_INT", "Inner"):
        assert name in page
    # Only the public members the class declares.
    assert "secret" not in page
    assert "privateField" not in page
    assert "notifyAll" not in page


def test_help_of_a_class_with_full_names(gateway: Any) -> None:
    page = gateway.help(gateway.jvm.fixtures.Point, short_name=False, display=False)
    assert "fixtures.Point" in page
    assert "equals(java.lang.Object)" in page
    assert "java.lang.String" in page
    for field in ("x", "y", "label", "ctor"):
        assert field in page
    short = gateway.help(gateway.jvm.fixtures.Point, display=False)
    assert "equals(Object)" in short
    assert "java.lang.Object" not in short


def test_help_pattern_filters_members(gateway: Any, entry_point: Any) -> None:
    page = gateway.help(entry_point, pattern="ov(*", display=False)
    assert "ov(int)" in page
    assert "ov(String, int)" in page
    assert "echoInt" not in page
    assert "intField" not in page


def test_help_of_a_member(gateway: Any, entry_point: Any) -> None:
    page = gateway.help(entry_point.onlyInt, display=False)
    assert "onlyInt(int)" in page
    assert "onlyLong" not in page


def test_help_of_a_jdk_object(gateway: Any) -> None:
    page = gateway.help(
        gateway.jvm.java.util.ArrayList(), pattern="add*", display=False
    )
    assert "ArrayList" in page
    assert "java.util" in page
    assert "add(Object)" in page
    assert "add(int, Object)" in page
    assert "addAll(Collection)" in page
    assert "size()" not in page


def test_doc_attribute_is_the_help_page(entry_point: Any) -> None:
    assert "echoInt(int)" in entry_point.__doc__
