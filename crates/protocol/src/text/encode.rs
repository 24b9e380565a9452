//! Encoders: append messages to a caller's buffer.

use base64::Engine as _;

use super::Side;
use super::escape::escape_into;
use super::number::{format_java_double, format_java_float, format_python_float};
use crate::{
    ArrayCommand, CallTarget, CallbackCommand, Command, DirCommand, HelpTarget, ListCommand, Reply,
    Value, ViewCommand,
};

fn push_int(out: &mut Vec<u8>, v: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Appends one typed value (without its line end) as `side` writes it.
///
/// The Python side writes every reference with the plain `r` tag, as py4j does; the Java side
/// writes the reference's kind.
pub fn encode_value(value: &Value, side: Side, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.push(b'n'),
        Value::Void => out.push(b'v'),
        Value::Bool(b) => out.extend_from_slice(match (side, b) {
            (Side::Java, true) => b"btrue",
            (Side::Java, false) => b"bfalse",
            (Side::Python, true) => b"bTrue",
            (Side::Python, false) => b"bFalse",
        }),
        Value::Int(v) => {
            out.push(b'i');
            push_int(out, *v);
        }
        Value::Long(v) => {
            out.push(b'L');
            push_int(out, *v);
        }
        Value::Double(v) => {
            out.push(b'd');
            out.extend_from_slice(
                match side {
                    Side::Java => format_java_double(*v),
                    Side::Python => format_python_float(*v),
                }
                .as_bytes(),
            );
        }
        Value::Float(v) => {
            out.push(b'd');
            out.extend_from_slice(
                match side {
                    Side::Java => format_java_float(*v),
                    Side::Python => format_python_float(f64::from(*v)),
                }
                .as_bytes(),
            );
        }
        Value::Decimal(s) => {
            out.push(b'D');
            out.extend_from_slice(s.as_bytes());
        }
        Value::String(s) => {
            out.push(b's');
            escape_into(s, out);
        }
        Value::Bytes(b) => {
            out.push(b'j');
            let start = out.len();
            let len = base64::encoded_len(b.len(), true).unwrap_or(0);
            out.resize(start + len, 0);
            let written = base64::engine::general_purpose::STANDARD
                .encode_slice(b, &mut out[start..])
                .unwrap_or(0);
            out.truncate(start + written);
        }
        Value::Ref(kind, id) => {
            out.push(match side {
                Side::Java => kind.tag(),
                Side::Python => b'r',
            });
            out.extend_from_slice(id.as_bytes());
        }
        Value::PythonProxy { id, interfaces } => {
            out.push(b'f');
            out.extend_from_slice(id.as_bytes());
            for iface in interfaces {
                out.push(b';');
                out.extend_from_slice(iface.as_bytes());
            }
        }
        // What the text protocol writes for a char and a big integer by value: a one-character
        // string (as Java writes a Character) and a decimal.
        Value::Char(c) => {
            out.push(b's');
            escape_into(&String::from_utf16_lossy(&[*c]), out);
        }
        Value::BigInteger(digits) => {
            out.push(b'D');
            out.extend_from_slice(digits.as_bytes());
        }
        // A java.time value by value: its text.
        Value::Temporal(_, text) => {
            out.push(b's');
            escape_into(text, out);
        }
        // Bulk values exist only in the binary protocol; nothing produces them on a text
        // connection (the engine answers v1 commands with v1 values).
        Value::List(_) | Value::Set(_) | Value::Map(_) | Value::TypedList(_) | Value::Array(_) => {
            debug_assert!(false, "a bulk value cannot travel on the text protocol");
            out.push(b'n');
        }
    }
}

fn line(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(s.as_bytes());
    out.push(b'\n');
}

fn value_line(out: &mut Vec<u8>, v: &Value, side: Side) {
    encode_value(v, side, out);
    out.push(b'\n');
}

fn escaped_line(out: &mut Vec<u8>, s: &str) {
    escape_into(s, out);
    out.push(b'\n');
}

fn end(out: &mut Vec<u8>) {
    out.extend_from_slice(b"e\n");
}

fn call_like(out: &mut Vec<u8>, name: &str, target: &CallTarget, method: &str, args: &[Value]) {
    line(out, name);
    match target {
        CallTarget::Object(id) => line(out, id),
        CallTarget::Static(class) => {
            out.extend_from_slice(b"z:");
            line(out, class);
        }
    }
    line(out, method);
    for a in args {
        value_line(out, a, Side::Python);
    }
    end(out);
}

/// Appends a Python-to-Java command exactly as py4j's client writes it.
pub fn encode_command(cmd: &Command, out: &mut Vec<u8>) {
    let py = Side::Python;
    match cmd {
        Command::Call {
            target,
            method,
            args,
        } => call_like(out, "c", target, method, args),
        Command::Stream {
            target,
            method,
            args,
        } => call_like(out, "S", target, method, args),
        Command::Construct { class, args } => {
            line(out, "i");
            line(out, class);
            for a in args {
                value_line(out, a, py);
            }
            end(out);
        }
        Command::FieldGet { target, field } => {
            line(out, "f");
            line(out, "g");
            line(out, target);
            line(out, field);
            end(out);
        }
        Command::FieldSet {
            target,
            field,
            value,
        } => {
            line(out, "f");
            line(out, "s");
            line(out, target);
            line(out, field);
            value_line(out, value, py);
            end(out);
        }
        Command::ReflectUnknown { name, view } => {
            line(out, "r");
            line(out, "u");
            line(out, name);
            line(out, view);
            end(out);
        }
        Command::ReflectMember { class, member } => {
            line(out, "r");
            line(out, "m");
            line(out, class);
            line(out, member);
            end(out);
        }
        Command::ReflectClass { class } => {
            line(out, "r");
            line(out, "c");
            line(out, class);
            end(out);
        }
        Command::Array(a) => {
            line(out, "a");
            match a {
                ArrayCommand::Create { component, dims } => {
                    line(out, "c");
                    value_line(out, &Value::String(component.clone()), py);
                    for d in dims {
                        value_line(out, d, py);
                    }
                }
                ArrayCommand::Get { array, index } => {
                    line(out, "g");
                    line(out, array);
                    value_line(out, index, py);
                }
                ArrayCommand::Set {
                    array,
                    index,
                    value,
                } => {
                    line(out, "s");
                    line(out, array);
                    value_line(out, index, py);
                    value_line(out, value, py);
                }
                ArrayCommand::Slice { array, indices } => {
                    line(out, "l");
                    line(out, array);
                    for i in indices {
                        value_line(out, i, py);
                    }
                }
                ArrayCommand::Len { array } => {
                    line(out, "e");
                    line(out, array);
                }
            }
            end(out);
        }
        Command::List(l) => {
            line(out, "l");
            match l {
                ListCommand::Sort(id) => {
                    line(out, "s");
                    line(out, id);
                }
                ListCommand::Reverse(id) => {
                    line(out, "r");
                    line(out, id);
                }
                ListCommand::Max(id) => {
                    line(out, "x");
                    line(out, id);
                }
                ListCommand::Min(id) => {
                    line(out, "n");
                    line(out, id);
                }
                ListCommand::Slice { list, indices } => {
                    line(out, "l");
                    line(out, list);
                    for i in indices {
                        value_line(out, i, py);
                    }
                }
                ListCommand::Concat { list, other } => {
                    line(out, "a");
                    line(out, list);
                    line(out, other);
                }
                ListCommand::Mult { list, times } => {
                    line(out, "m");
                    line(out, list);
                    value_line(out, times, py);
                }
                ListCommand::IMult { list, times } => {
                    line(out, "i");
                    line(out, list);
                    value_line(out, times, py);
                }
                ListCommand::Count { list, value } => {
                    line(out, "f");
                    line(out, list);
                    value_line(out, value, py);
                }
            }
            end(out);
        }
        Command::MemoryDelete { id } => {
            line(out, "m");
            line(out, "d");
            line(out, id);
            end(out);
        }
        Command::MemoryAttach { id } => {
            line(out, "m");
            line(out, "a");
            line(out, id);
            end(out);
        }
        Command::View(v) => {
            line(out, "j");
            match v {
                ViewCommand::Create { name } => {
                    line(out, "c");
                    line(out, name);
                }
                ViewCommand::Import { view, import } => {
                    line(out, "i");
                    line(out, view);
                    escaped_line(out, import);
                }
                ViewCommand::RemoveImport { view, import } => {
                    line(out, "r");
                    line(out, view);
                    escaped_line(out, import);
                }
                ViewCommand::Search => {
                    line(out, "s");
                    return;
                }
            }
            end(out);
        }
        Command::Dir(d) => {
            line(out, "d");
            match d {
                DirCommand::Fields(id) => {
                    line(out, "f");
                    line(out, id);
                }
                DirCommand::Methods(id) => {
                    line(out, "m");
                    line(out, id);
                }
                DirCommand::Static(class) => {
                    line(out, "s");
                    line(out, class);
                }
                DirCommand::View { view, sequence } => {
                    line(out, "v");
                    line(out, view);
                    match sequence {
                        Some(s) => value_line(out, &Value::String(s.clone()), py),
                        None => value_line(out, &Value::Null, py),
                    }
                }
            }
            end(out);
        }
        Command::Help {
            target,
            pattern,
            short_name,
        } => {
            line(out, "h");
            match target {
                HelpTarget::Object(id) => {
                    line(out, "o");
                    line(out, id);
                }
                HelpTarget::Class(class) => {
                    line(out, "c");
                    line(out, class);
                }
            }
            match pattern {
                Some(p) => value_line(out, &Value::String(p.clone()), py),
                None => value_line(out, &Value::Null, py),
            }
            value_line(out, &Value::Bool(*short_name), py);
            end(out);
        }
        Command::ExceptionTrace { id } => {
            line(out, "p");
            line(out, id);
            end(out);
        }
        Command::Auth { token } => {
            line(out, "A");
            escaped_line(out, token);
        }
        Command::Shutdown => line(out, "s"),
        // The text protocol releases ids one `m d` at a time.
        Command::Release { ids } => {
            for id in ids {
                encode_command(&Command::MemoryDelete { id: id.clone() }, out);
            }
        }
        // Binary-protocol commands have no text form; a server answers this line with a fatal
        // error.
        Command::ToPython { .. } | Command::Iterate { .. } | Command::ToJava { .. } => {
            debug_assert!(
                false,
                "a binary-protocol command cannot travel on the text protocol"
            );
            line(out, "ferry/2-only-command");
        }
        Command::Cancel {
            address,
            remote_port,
            local_port,
        } => {
            line(out, "z");
            line(out, address);
            line(out, remote_port);
            line(out, local_port);
        }
    }
}

/// Appends a Java-to-Python command exactly as Py4J's Java side writes it.
pub fn encode_callback(cmd: &CallbackCommand, out: &mut Vec<u8>) {
    match cmd {
        CallbackCommand::Call {
            target,
            method,
            args,
        } => {
            line(out, "c");
            line(out, target);
            line(out, method);
            for a in args {
                value_line(out, a, Side::Java);
            }
            end(out);
        }
        CallbackCommand::GarbageCollect { target } => {
            line(out, "g");
            line(out, target);
            end(out);
        }
        CallbackCommand::Auth { token } => {
            line(out, "A");
            escaped_line(out, token);
            end(out);
        }
    }
}

/// Appends a reply line as `side` writes it.
pub fn encode_reply(reply: &Reply, side: Side, out: &mut Vec<u8>) {
    out.push(b'!');
    match reply {
        Reply::Success(v) => {
            out.push(b'y');
            encode_value(v, side, out);
        }
        Reply::Empty => out.push(b'y'),
        Reply::NoMember => out.extend_from_slice(b"yo"),
        Reply::StaticMethod => out.extend_from_slice(b"ym"),
        Reply::Class(fqn) => {
            out.extend_from_slice(b"yc");
            if let Some(fqn) = fqn {
                out.extend_from_slice(fqn.as_bytes());
            }
        }
        Reply::Package => out.extend_from_slice(b"yp"),
        Reply::Error(v) => {
            out.push(b'x');
            if let Some(v) = v {
                encode_value(v, side, out);
            }
        }
        Reply::Fatal(text) => {
            out.extend_from_slice(b"zs");
            escape_into(text, out);
        }
    }
    out.push(b'\n');
}
