//! Bulk values (protocol v2) through the engine against a real JVM: lists, sets, maps and
//! primitive arrays made into Java objects, and Java objects' values read back deeply.

mod common;

use common::{engine, env};
use ferry_engine::Outcome;
use ferry_protocol::{CallTarget, Command, Elem, Prims, RefKind, Reply, Value};

fn run(e: &ferry_engine::Engine, env: &ferry_engine::jni_raw::Env, cmd: Command) -> Reply {
    match e.execute(env, cmd) {
        Outcome::Reply(r) => r,
        other => panic!("unexpected outcome {other:?}"),
    }
}

fn ok(r: Reply) -> Value {
    match r {
        Reply::Success(v) => v,
        other => panic!("expected success, got {other:?}"),
    }
}

fn call(target: &str, method: &str, args: Vec<Value>) -> Command {
    Command::Call {
        target: CallTarget::Object(target.into()),
        method: method.into(),
        args,
    }
}

fn static_call(class: &str, method: &str, args: Vec<Value>) -> Command {
    Command::Call {
        target: CallTarget::Static(class.into()),
        method: method.into(),
        args,
    }
}

fn id_of(v: &Value) -> String {
    v.ref_id().expect("a reference").to_owned()
}

#[test]
fn a_typed_list_becomes_an_array_list_in_one_step() {
    let env = env();
    let e = engine(&env);
    let ints: Vec<i32> = (0..100_000).collect();
    let list = ok(run(
        &e,
        &env,
        Command::ToJava {
            value: Value::TypedList(Prims::from_i32(&ints)),
        },
    ));
    assert!(matches!(list, Value::Ref(RefKind::List, _)), "{list:?}");
    let id = id_of(&list);
    assert_eq!(
        ok(run(&e, &env, call(&id, "size", vec![]))),
        Value::Int(100_000)
    );
    assert_eq!(
        ok(run(&e, &env, call(&id, "get", vec![Value::Int(99_999)]))),
        Value::Int(99_999)
    );
    // And back, in one command, as a typed list.
    match ok(run(&e, &env, Command::ToPython { id })) {
        Value::TypedList(p) => {
            assert_eq!(p.elem, Elem::Int);
            assert_eq!(p, Prims::from_i32(&ints));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn nested_values_go_both_ways() {
    let env = env();
    let e = engine(&env);
    let value = Value::Map(vec![
        (
            Value::String("names".into()),
            Value::List(vec![Value::String("a".into()), Value::String("é😀".into())]),
        ),
        (
            Value::Int(7),
            Value::Set(vec![Value::Double(1.5), Value::Null]),
        ),
        (
            Value::String("raw".into()),
            Value::Bytes(vec![0, 1, 255].into()),
        ),
        (
            Value::String("big".into()),
            Value::BigInteger("123456789012345678901234567890".into()),
        ),
    ]);
    let m = ok(run(
        &e,
        &env,
        Command::ToJava {
            value: value.clone(),
        },
    ));
    assert!(matches!(m, Value::Ref(RefKind::Map, _)));
    let back = ok(run(&e, &env, Command::ToPython { id: id_of(&m) }));
    let Value::Map(mut pairs) = back else {
        panic!("{back:?}")
    };
    pairs.sort_by_key(|(k, _)| format!("{k:?}"));
    let find = |k: &Value| {
        pairs
            .iter()
            .find(|(kk, _)| kk == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(
        find(&Value::String("names".into())),
        Value::List(vec![Value::String("a".into()), Value::String("é😀".into())])
    );
    match find(&Value::Int(7)) {
        Value::Set(items) => {
            assert_eq!(items.len(), 2);
            assert!(items.contains(&Value::Double(1.5)) && items.contains(&Value::Null));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        find(&Value::String("raw".into())),
        Value::Bytes(vec![0, 1, 255].into())
    );
    assert_eq!(
        find(&Value::String("big".into())),
        Value::BigInteger("123456789012345678901234567890".into())
    );
}

#[test]
fn primitive_arrays_pass_by_value_both_ways() {
    let env = env();
    let e = engine(&env);
    let doubles: Vec<f64> = (0..1000).map(|i| i as f64 * 0.5).collect();
    let text = ok(run(
        &e,
        &env,
        static_call(
            "java.util.Arrays",
            "toString",
            vec![Value::Array(Prims::from_f64(&doubles[..3]))],
        ),
    ));
    assert_eq!(text, Value::String("[0.0, 0.5, 1.0]".into()));
    let copy = ok(run(
        &e,
        &env,
        static_call(
            "java.util.Arrays",
            "copyOf",
            vec![Value::Array(Prims::from_f64(&doubles)), Value::Int(1000)],
        ),
    ));
    assert!(matches!(copy, Value::Ref(RefKind::Array, _)), "{copy:?}");
    assert_eq!(
        ok(run(&e, &env, Command::ToPython { id: id_of(&copy) })),
        Value::Array(Prims::from_f64(&doubles))
    );
}

#[test]
fn a_list_becomes_an_array_where_the_parameter_is_one() {
    let env = env();
    let e = engine(&env);
    // String[] parameter: a list of strings.
    let joined = ok(run(
        &e,
        &env,
        static_call(
            "java.lang.String",
            "join",
            vec![
                Value::String("-".into()),
                Value::List(vec![Value::String("a".into()), Value::String("b".into())]),
            ],
        ),
    ));
    assert_eq!(joined, Value::String("a-b".into()));
    // int[] parameter: a typed list of ints (Arrays.stream(int[]).sum()).
    let stream = ok(run(
        &e,
        &env,
        static_call(
            "java.util.Arrays",
            "stream",
            vec![Value::TypedList(Prims::from_i32(&[1, 2, 3]))],
        ),
    ));
    assert_eq!(
        ok(run(&e, &env, call(&id_of(&stream), "sum", vec![]))),
        Value::Int(6)
    );
    // A list of mixed numbers into double[]: whole numbers widen.
    let sum = ok(run(
        &e,
        &env,
        static_call(
            "java.util.Arrays",
            "toString",
            vec![Value::List(vec![Value::Double(0.5), Value::Int(2)])],
        ),
    ));
    assert!(matches!(sum, Value::String(_)), "{sum:?}");
}

#[test]
fn iterating_fetches_chunks() {
    let env = env();
    let e = engine(&env);
    let list = ok(run(
        &e,
        &env,
        Command::ToJava {
            value: Value::TypedList(Prims::from_i64(&(0..10_000).collect::<Vec<i64>>())),
        },
    ));
    let it = ok(run(&e, &env, call(&id_of(&list), "iterator", vec![])));
    let mut seen = 0;
    let mut chunks = 0;
    loop {
        let Value::List(items) = ok(run(
            &e,
            &env,
            Command::Iterate {
                id: id_of(&it),
                max: 4096,
            },
        )) else {
            panic!()
        };
        chunks += 1;
        if items.is_empty() {
            break;
        }
        for v in items {
            assert_eq!(v, Value::Long(seen));
            seen += 1;
        }
    }
    assert_eq!(seen, 10_000);
    assert_eq!(chunks, 4);
}

#[test]
fn release_is_a_silent_notice() {
    let env = env();
    let e = engine(&env);
    let before = e.registry().len();
    let ids: Vec<String> = (0..50)
        .map(|_| {
            id_of(&ok(run(
                &e,
                &env,
                Command::Construct {
                    class: "java.lang.Object".into(),
                    args: vec![],
                },
            )))
        })
        .collect();
    assert_eq!(e.registry().len(), before + 50);
    assert!(matches!(
        e.execute(&env, Command::Release { ids }),
        Outcome::Silent
    ));
    assert_eq!(e.registry().len(), before);
}

#[test]
fn a_self_containing_list_is_an_error_not_a_crash() {
    let env = env();
    let e = engine(&env);
    let list = ok(run(
        &e,
        &env,
        Command::Construct {
            class: "java.util.ArrayList".into(),
            args: vec![],
        },
    ));
    let id = id_of(&list);
    run(&e, &env, call(&id, "add", vec![Value::object(id.clone())]));
    assert!(run(&e, &env, Command::ToPython { id }).is_error());
}

#[test]
fn java_time_values_travel_by_value() {
    use ferry_protocol::TemporalKind;
    let env = env();
    let e = engine(&env);
    for (kind, text) in [
        (TemporalKind::Date, "2024-02-29"),
        (TemporalKind::Time, "10:15:30.123456789"),
        (TemporalKind::DateTime, "2024-02-29T10:15:30"),
        (TemporalKind::Instant, "2024-02-29T10:15:30Z"),
        (TemporalKind::OffsetDateTime, "2024-02-29T10:15:30+01:00"),
        (
            TemporalKind::ZonedDateTime,
            "2024-02-29T10:15:30+01:00[Europe/Paris]",
        ),
        (TemporalKind::Duration, "-5.000000250"),
    ] {
        let held = ok(run(
            &e,
            &env,
            Command::ToJava {
                value: Value::Temporal(kind, text.into()),
            },
        ));
        let back = ok(run(&e, &env, Command::ToPython { id: id_of(&held) }));
        assert_eq!(back, Value::Temporal(kind, text.into()), "{kind:?}");
    }
    // Nested inside a collection too.
    let list = ok(run(
        &e,
        &env,
        Command::ToJava {
            value: Value::List(vec![Value::Temporal(
                TemporalKind::Date,
                "2000-01-01".into(),
            )]),
        },
    ));
    assert_eq!(
        ok(run(&e, &env, Command::ToPython { id: id_of(&list) })),
        Value::List(vec![Value::Temporal(
            TemporalKind::Date,
            "2000-01-01".into()
        )])
    );
    // A bad text is a conversion error, not a crash.
    assert!(
        run(
            &e,
            &env,
            Command::ToJava {
                value: Value::Temporal(TemporalKind::Date, "not a date".into())
            }
        )
        .is_error()
    );
}
