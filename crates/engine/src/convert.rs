//! Values between the wire and Java: arguments in, results out.

use std::sync::Arc;

use ferry_protocol::{RefKind, Value};

use crate::classes::{ClassInfo, Cx};
use crate::jni_raw::{JResult, JType, JValue, JniError, Local};
use crate::registry::Registry;
use crate::resolve::Conv;

/// Why an argument could not be made.
#[derive(Debug)]
pub enum ArgError {
    /// A reference to an id the registry does not hold.
    UnknownId(String),
    /// A Python object implementing Java interfaces; callbacks come with a later part of ferry.
    PythonProxy,
    /// The value cannot become the parameter's type.
    Conversion(String),
    /// A JNI failure.
    Jni(JniError),
}

impl From<JniError> for ArgError {
    fn from(e: JniError) -> Self {
        ArgError::Jni(e)
    }
}

/// A whole number's value, for the numeric conversions.
fn whole(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(i64::from(*i)),
        Value::Long(l) => Some(*l),
        _ => None,
    }
}

/// Turns `value` into what a parameter of class `param` receives, with conversion `conv`.
pub fn to_java(
    cx: &Cx,
    registry: &Registry,
    value: &Value,
    param: &Arc<ClassInfo>,
    conv: Conv,
) -> Result<JValue, ArgError> {
    let env = cx.env;
    // The primitive the parameter wants, if it is a primitive or a wrapper.
    let want = param.primitive.or(param.boxes);
    let prim = match (value, conv) {
        (Value::Null | Value::Void, _) => return Ok(JValue::Object(Local::NULL)),
        (Value::Ref(_, id), _) => {
            let entry = registry
                .get(id)
                .ok_or_else(|| ArgError::UnknownId(id.clone()))?;
            // The frame of the command keeps this local alive while the entry may be released.
            return Ok(JValue::Object(env.new_local_of(entry.object.local())?));
        }
        (Value::PythonProxy { .. }, _) => return Err(ArgError::PythonProxy),
        (
            Value::List(_) | Value::Set(_) | Value::Map(_) | Value::TypedList(_) | Value::Array(_),
            _,
        ) => {
            return Ok(JValue::Object(crate::bulk::to_java_bulk(
                cx, registry, value, param, conv,
            )?));
        }
        (Value::Temporal(kind, text), _) => {
            let s = env.new_string(text)?;
            // SAFETY: bulk_parse_temporal takes an int and a String.
            let o = unsafe {
                cx.known.bulk_call(
                    env,
                    cx.known.bulk_parse_temporal,
                    &[JValue::Int(i32::from(kind.code())), JValue::Object(s)],
                )
            }
            .map_err(|e| match e {
                JniError::Thrown(_) => {
                    ArgError::Conversion(format!("{text:?} is not a valid {kind:?} value"))
                }
                other => ArgError::Jni(other),
            })?;
            return Ok(JValue::Object(o));
        }
        (Value::BigInteger(digits), _) => {
            return Ok(JValue::Object(cx.known.new_big_integer(env, digits)?));
        }
        (Value::Char(c), _) => JValue::Char(*c),
        (Value::String(s), Conv::ToChar) => match s.encode_utf16().next() {
            Some(c) => JValue::Char(c),
            // Py4J takes charAt(0), which throws for "": the conversion fails in the server.
            None => {
                return Err(ArgError::Conversion(
                    "java.lang.StringIndexOutOfBoundsException: a char needs a non-empty string"
                        .into(),
                ));
            }
        },
        (Value::String(s), _) => return Ok(JValue::Object(env.new_string(s)?)),
        (Value::Decimal(d), _) => return Ok(JValue::Object(cx.known.new_big_decimal(env, d)?)),
        (Value::Bytes(b), _) => return Ok(JValue::Object(env.new_byte_array(b)?)),
        (Value::Bool(b), _) => JValue::Bool(*b),
        (v, Conv::ToLong) if whole(v).is_some() => JValue::Long(whole(v).unwrap_or(0)),
        (v, Conv::ToShort) if whole(v).is_some() => JValue::Short(whole(v).unwrap_or(0) as i16),
        (v, Conv::ToByte) if whole(v).is_some() => JValue::Byte(whole(v).unwrap_or(0) as i8),
        (v, Conv::ToDouble) if whole(v).is_some() => JValue::Double(whole(v).unwrap_or(0) as f64),
        (v, Conv::ToFloat) if whole(v).is_some() => JValue::Float(whole(v).unwrap_or(0) as f32),
        (Value::Int(i), _) => match want {
            Some(JType::Short) => JValue::Short(*i as i16),
            Some(JType::Byte) => JValue::Byte(*i as i8),
            Some(JType::Long) => JValue::Long(i64::from(*i)),
            _ => JValue::Int(*i),
        },
        (Value::Long(l), _) => JValue::Long(*l),
        (Value::Double(d), Conv::ToFloat) => JValue::Float(*d as f32),
        (Value::Double(d), _) => match want {
            Some(JType::Float) => JValue::Float(*d as f32),
            _ => JValue::Double(*d),
        },
        (Value::Float(f), _) => match want {
            Some(JType::Double) => JValue::Double(f64::from(*f)),
            _ => JValue::Float(*f),
        },
    };
    if param.is_primitive() {
        Ok(prim)
    } else {
        Ok(JValue::Object(cx.known.boxed(env, prim)?))
    }
}

/// A Java result as a wire value, registering objects that travel by reference.
pub fn from_java(cx: &Cx, registry: &Registry, v: JValue) -> JResult<Value> {
    Ok(match v {
        JValue::Void => Value::Void,
        JValue::Bool(b) => Value::Bool(b),
        JValue::Byte(b) => Value::Int(i32::from(b)),
        JValue::Short(s) => Value::Int(i32::from(s)),
        JValue::Int(i) => Value::Int(i),
        JValue::Long(l) => Value::Long(l),
        JValue::Float(f) => Value::Float(f),
        JValue::Double(d) => Value::Double(d),
        JValue::Char(c) => Value::String(String::from_utf16_lossy(&[c])),
        JValue::Object(o) => object_value(cx, registry, o)?,
    })
}

/// An object as a wire value, in Py4J's order of checks (§2.2 of the reference).
pub fn object_value(cx: &Cx, registry: &Registry, o: Local) -> JResult<Value> {
    if o.is_null() {
        return Ok(Value::Null);
    }
    let (env, k) = (cx.env, cx.known);
    let is = |g: &crate::jni_raw::Global| env.is_instance_of(o, g.local());
    if is(&k.string) {
        return Ok(Value::String(env.string(o)?));
    }
    if is(&k.boolean) {
        return Ok(Value::Bool(k.unbox_bool(env, o)?));
    }
    if is(&k.integer) || is(&k.short) || is(&k.byte) {
        return Ok(Value::Int(k.unbox_int(env, o)?));
    }
    if is(&k.long) {
        return Ok(Value::Long(k.unbox_long(env, o)?));
    }
    if is(&k.double) {
        return Ok(Value::Double(k.unbox_double(env, o)?));
    }
    if is(&k.float) {
        return Ok(Value::Float(k.unbox_float(env, o)?));
    }
    if is(&k.character) {
        return Ok(Value::String(String::from_utf16_lossy(&[
            k.unbox_char(env, o)?
        ])));
    }
    if is(&k.byte_array) {
        return Ok(Value::Bytes(env.byte_array(o)?.into()));
    }
    if is(&k.big_decimal) {
        return Ok(Value::Decimal(k.big_decimal_plain(env, o)?));
    }
    if is(&k.number) && !is(&k.big_integer) {
        // Py4J sends other Numbers (AtomicLong, ...) as `i` + toString().
        let text = k.to_string(env, o)?;
        return Ok(match text.parse::<i64>() {
            Ok(v) => match i32::try_from(v) {
                Ok(i) => Value::Int(i),
                Err(_) => Value::Long(v),
            },
            Err(_) => Value::Double(text.parse::<f64>().unwrap_or(f64::NAN)),
        });
    }
    let kind = if is(&k.list) {
        RefKind::List
    } else if is(&k.map) {
        RefKind::Map
    } else if is_array(cx, o)? {
        RefKind::Array
    } else if is(&k.set) {
        RefKind::Set
    } else if is(&k.iterator) {
        RefKind::Iterator
    } else {
        RefKind::Object
    };
    let id = registry.insert(env.new_global(o)?);
    Ok(Value::Ref(kind, id))
}

fn is_array(cx: &Cx, o: Local) -> JResult<bool> {
    let cls = cx.env.object_class(o);
    let r = cx.known.is_array(cx.env, cls);
    cx.env.delete_local(cls);
    r
}
