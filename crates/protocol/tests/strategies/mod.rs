//! Proptest strategies for the value model, commands, callback commands and replies: the
//! `Arbitrary` of the protocol crate, kept in the tests.
//!
//! They generate what a side can put on the wire, with the constraints of the wire itself:
//! - strings in positions that travel unescaped (ids, method, class and field names, view
//!   references, the cancel command's lines) never contain CR or LF, since those end the line;
//! - a call target written as an object id never starts with `z:` (that prefix is the static
//!   form), and reference and proxy ids are not empty (a bare tag is no value);
//! - proxy ids and interface names contain no `;`, their separator.
#![allow(dead_code)]

use ferry_protocol::text::Side;
use ferry_protocol::{
    ArrayCommand, CallTarget, CallbackCommand, Command, DirCommand, HelpTarget, ListCommand,
    RefKind, Reply, Value, ViewCommand,
};
use proptest::collection::vec;
use proptest::prelude::*;

/// Any text, with the characters that escaping handles made frequent.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\\\\\r\nrn\tab e!é😀]{0,12}",
        Just(String::new()),
    ]
}

/// A line that travels raw: no CR, no LF.
pub fn raw_line() -> impl Strategy<Value = String> {
    prop_oneof![
        "[^\r\n]{0,16}",
        "[a-zA-Z0-9_.$]{0,12}",
        Just("e".to_owned()),
    ]
}

/// A raw line that is not empty.
pub fn raw_id() -> impl Strategy<Value = String> {
    prop_oneof!["[^\r\n]{1,16}", "o[0-9]{1,6}", Just("t".to_owned())]
}

fn proxy_part() -> impl Strategy<Value = String> {
    "[^\r\n;]{0,16}"
}

pub fn ref_kind() -> impl Strategy<Value = RefKind> {
    prop_oneof![
        Just(RefKind::Object),
        Just(RefKind::List),
        Just(RefKind::Map),
        Just(RefKind::Set),
        Just(RefKind::Array),
        Just(RefKind::Iterator),
    ]
}

/// `BigDecimal`'s grammar: sign, digits with an optional point, optional exponent.
pub fn decimal() -> impl Strategy<Value = String> {
    "[+-]?([0-9]{1,20}|[0-9]{1,10}\\.[0-9]{0,10}|\\.[0-9]{1,10})([eE][+-]?[0-9]{1,9})?"
}

/// Any value of the model.
pub fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(Value::Void),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::Int),
        any::<i64>().prop_map(Value::Long),
        any::<f64>().prop_map(Value::Double),
        prop_oneof![
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(-0.0),
            Just(f64::MIN_POSITIVE),
            Just(5e-324),
            Just(2e23),
        ]
        .prop_map(Value::Double),
        any::<f32>().prop_map(Value::Float),
        decimal().prop_map(Value::Decimal),
        text().prop_map(Value::String),
        vec(any::<u8>(), 0..40).prop_map(|b| Value::Bytes(b.into())),
        (ref_kind(), raw_id()).prop_map(|(k, id)| Value::Ref(k, id)),
        ("[^\r\n;]{1,8}", vec(proxy_part(), 0..4))
            .prop_map(|(id, interfaces)| Value::PythonProxy { id, interfaces }),
    ]
}

fn values() -> impl Strategy<Value = Vec<Value>> {
    vec(value(), 0..5)
}

fn call_target() -> impl Strategy<Value = CallTarget> {
    prop_oneof![
        raw_line()
            .prop_filter("z: is the static form", |s| !s.starts_with("z:"))
            .prop_map(CallTarget::Object),
        raw_line().prop_map(CallTarget::Static),
    ]
}

pub fn array_command() -> impl Strategy<Value = ArrayCommand> {
    prop_oneof![
        (text(), values()).prop_map(|(component, dims)| ArrayCommand::Create { component, dims }),
        (raw_line(), value()).prop_map(|(array, index)| ArrayCommand::Get { array, index }),
        (raw_line(), value(), value()).prop_map(|(array, index, value)| ArrayCommand::Set {
            array,
            index,
            value
        }),
        (raw_line(), values()).prop_map(|(array, indices)| ArrayCommand::Slice { array, indices }),
        raw_line().prop_map(|array| ArrayCommand::Len { array }),
    ]
}

pub fn list_command() -> impl Strategy<Value = ListCommand> {
    prop_oneof![
        raw_line().prop_map(ListCommand::Sort),
        raw_line().prop_map(ListCommand::Reverse),
        raw_line().prop_map(ListCommand::Max),
        raw_line().prop_map(ListCommand::Min),
        (raw_line(), values()).prop_map(|(list, indices)| ListCommand::Slice { list, indices }),
        (raw_line(), raw_line()).prop_map(|(list, other)| ListCommand::Concat { list, other }),
        (raw_line(), value()).prop_map(|(list, times)| ListCommand::Mult { list, times }),
        (raw_line(), value()).prop_map(|(list, times)| ListCommand::IMult { list, times }),
        (raw_line(), value()).prop_map(|(list, value)| ListCommand::Count { list, value }),
    ]
}

pub fn view_command() -> impl Strategy<Value = ViewCommand> {
    prop_oneof![
        raw_line().prop_map(|name| ViewCommand::Create { name }),
        (raw_line(), text()).prop_map(|(view, import)| ViewCommand::Import { view, import }),
        (raw_line(), text()).prop_map(|(view, import)| ViewCommand::RemoveImport { view, import }),
        Just(ViewCommand::Search),
    ]
}

pub fn dir_command() -> impl Strategy<Value = DirCommand> {
    prop_oneof![
        raw_line().prop_map(DirCommand::Fields),
        raw_line().prop_map(DirCommand::Methods),
        raw_line().prop_map(DirCommand::Static),
        (raw_line(), proptest::option::of(text()))
            .prop_map(|(view, sequence)| DirCommand::View { view, sequence }),
    ]
}

/// Any command from Python to Java.
pub fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        (call_target(), raw_line(), values()).prop_map(|(target, method, args)| Command::Call {
            target,
            method,
            args
        }),
        (call_target(), raw_line(), values()).prop_map(|(target, method, args)| {
            Command::Stream {
                target,
                method,
                args,
            }
        }),
        (raw_line(), values()).prop_map(|(class, args)| Command::Construct { class, args }),
        (raw_line(), raw_line()).prop_map(|(target, field)| Command::FieldGet { target, field }),
        (raw_line(), raw_line(), value()).prop_map(|(target, field, value)| Command::FieldSet {
            target,
            field,
            value
        }),
        (raw_line(), raw_line()).prop_map(|(name, view)| Command::ReflectUnknown { name, view }),
        (raw_line(), raw_line())
            .prop_map(|(class, member)| Command::ReflectMember { class, member }),
        raw_line().prop_map(|class| Command::ReflectClass { class }),
        array_command().prop_map(Command::Array),
        list_command().prop_map(Command::List),
        raw_line().prop_map(|id| Command::MemoryDelete { id }),
        raw_line().prop_map(|id| Command::MemoryAttach { id }),
        view_command().prop_map(Command::View),
        dir_command().prop_map(Command::Dir),
        (
            prop_oneof![
                raw_line().prop_map(HelpTarget::Object),
                raw_line().prop_map(HelpTarget::Class)
            ],
            proptest::option::of(text()),
            any::<bool>()
        )
            .prop_map(|(target, pattern, short_name)| Command::Help {
                target,
                pattern,
                short_name
            }),
        raw_line().prop_map(|id| Command::ExceptionTrace { id }),
        text().prop_map(|token| Command::Auth { token }),
        Just(Command::Shutdown),
        (raw_line(), raw_line(), raw_line()).prop_map(|(address, remote_port, local_port)| {
            Command::Cancel {
                address,
                remote_port,
                local_port,
            }
        }),
    ]
}

/// Any command from Java to Python.
pub fn callback_command() -> impl Strategy<Value = CallbackCommand> {
    prop_oneof![
        (raw_line(), raw_line(), values()).prop_map(|(target, method, args)| {
            CallbackCommand::Call {
                target,
                method,
                args,
            }
        }),
        raw_line().prop_map(|target| CallbackCommand::GarbageCollect { target }),
        text().prop_map(|token| CallbackCommand::Auth { token }),
    ]
}

/// Any reply.
pub fn reply() -> impl Strategy<Value = Reply> {
    prop_oneof![
        value().prop_map(Reply::Success),
        Just(Reply::Empty),
        Just(Reply::NoMember),
        Just(Reply::StaticMethod),
        // `!yc` with an empty name is `Class(None)`.
        proptest::option::of("[^\r\n]{1,16}").prop_map(Reply::Class),
        Just(Reply::Package),
        proptest::option::of(value()).prop_map(Reply::Error),
        text().prop_map(Reply::Fatal),
    ]
}

/// The sides in the order (writer, reader).
pub fn direction() -> impl Strategy<Value = (Side, Side)> {
    prop_oneof![
        Just((Side::Python, Side::Java)),
        Just((Side::Java, Side::Python))
    ]
}
