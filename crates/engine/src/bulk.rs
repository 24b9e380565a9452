//! Bulk values (protocol v2): whole lists, sets, maps and primitive arrays in one message, made
//! into Java objects with one bulk copy and a Java loop (`ferry.Bulk`), and Java objects turned
//! into values the same way.

use std::sync::Arc;

use ferry_protocol::{Elem, Prims, Value};

use crate::classes::{ClassInfo, Cx, Flavor};
use crate::convert::{ArgError, object_value, to_java};
use crate::jni_raw::{JResult, JType, JValue, JniError, Local};
use crate::registry::Registry;
use crate::resolve::Conv;

/// The JNI type of an element type.
pub fn jtype_of(elem: Elem) -> JType {
    match elem {
        Elem::Bool => JType::Bool,
        Elem::Byte => JType::Byte,
        Elem::Short => JType::Short,
        Elem::Char => JType::Char,
        Elem::Int => JType::Int,
        Elem::Long => JType::Long,
        Elem::Float => JType::Float,
        Elem::Double => JType::Double,
    }
}

fn elem_of(t: JType) -> Option<Elem> {
    Some(match t {
        JType::Bool => Elem::Bool,
        JType::Byte => Elem::Byte,
        JType::Short => Elem::Short,
        JType::Char => Elem::Char,
        JType::Int => Elem::Int,
        JType::Long => Elem::Long,
        JType::Float => Elem::Float,
        JType::Double => Elem::Double,
        JType::Void | JType::Object => return None,
    })
}

/// The JNI name of the array class of an element type.
pub fn array_class_name(elem: Elem) -> &'static std::ffi::CStr {
    match elem {
        Elem::Bool => c"[Z",
        Elem::Byte => c"[B",
        Elem::Short => c"[S",
        Elem::Char => c"[C",
        Elem::Int => c"[I",
        Elem::Long => c"[J",
        Elem::Float => c"[F",
        Elem::Double => c"[D",
    }
}

/// The class overload resolution sees for a bulk value (what it becomes by default).
pub fn bulk_class(cx: &Cx, v: &Value) -> JResult<Option<Arc<ClassInfo>>> {
    let k = cx.known;
    Ok(Some(match v {
        Value::List(_) | Value::TypedList(_) => cx.class_info(k.array_list.local())?,
        Value::Set(_) => cx.class_info(k.hash_set.local())?,
        Value::Map(_) => cx.class_info(k.hash_map.local())?,
        Value::Array(p) => {
            let c = cx.env.find_class(array_class_name(p.elem))?;
            cx.class_info(c)?
        }
        Value::Char(_) => cx.class_info(k.character.local())?,
        Value::Temporal(kind, _) => cx.class_by_name(match kind {
            ferry_protocol::TemporalKind::Date => "java.time.LocalDate",
            ferry_protocol::TemporalKind::Time => "java.time.LocalTime",
            ferry_protocol::TemporalKind::DateTime => "java.time.LocalDateTime",
            ferry_protocol::TemporalKind::Instant => "java.time.Instant",
            ferry_protocol::TemporalKind::OffsetDateTime => "java.time.OffsetDateTime",
            ferry_protocol::TemporalKind::ZonedDateTime => "java.time.ZonedDateTime",
            ferry_protocol::TemporalKind::Duration => "java.time.Duration",
        })?,
        Value::BigInteger(_) => cx.class_info(k.big_integer.local())?,
        _ => return Ok(None),
    }))
}

/// Whether a value may become a Java array when the parameter is one (phase two).
pub fn converts_to_array(v: &Value) -> bool {
    matches!(v, Value::List(_) | Value::TypedList(_))
}

/// For a list sent by value: the class its elements share, which picks the array type it can
/// become (`Some(None)` for an empty list; a mix of classes shares `Object`).
pub fn list_elems(cx: &Cx, v: &Value) -> JResult<crate::resolve::ListElems> {
    Ok(match v {
        Value::TypedList(p) => {
            let wrapper = match p.elem {
                Elem::Bool => c"java/lang/Boolean",
                Elem::Byte => c"java/lang/Byte",
                Elem::Short => c"java/lang/Short",
                Elem::Char => c"java/lang/Character",
                Elem::Int => c"java/lang/Integer",
                Elem::Long => c"java/lang/Long",
                Elem::Float => c"java/lang/Float",
                Elem::Double => c"java/lang/Double",
            };
            let w = cx.env.find_class(wrapper)?;
            let fid = cx.env.static_field_id(w, c"TYPE", c"Ljava/lang/Class;")?;
            // SAFETY: the wrappers' TYPE is a static field of type Class.
            match unsafe { cx.env.get_static_field(w, fid, JType::Object)? } {
                JValue::Object(c) => Some(Some(cx.class_info(c)?)),
                _ => Some(None),
            }
        }
        Value::List(items) => {
            let mut shared: Option<Arc<ClassInfo>> = None;
            for item in items {
                let c = crate::engine::value_class(cx, item)?;
                let c = match c {
                    Some(c) => c,
                    None => continue,
                };
                shared = match shared {
                    None => Some(c),
                    Some(s) if Arc::ptr_eq(&s, &c) => Some(s),
                    Some(_) => Some(cx.class_info(cx.known.object.local())?),
                };
            }
            Some(shared)
        }
        _ => None,
    })
}

/// A bulk value as the Java object a parameter of class `param` receives.
pub fn to_java_bulk(
    cx: &Cx,
    registry: &Registry,
    v: &Value,
    param: &Arc<ClassInfo>,
    conv: Conv,
) -> Result<Local, ArgError> {
    let (env, k) = (cx.env, cx.known);
    if conv == Conv::ToArray || (param.is_array && converts_to_array(v)) {
        let component = param
            .component
            .clone()
            .ok_or_else(|| ArgError::Conversion("the parameter is not an array".into()))?;
        return to_array(cx, registry, v, &component);
    }
    Ok(match v {
        Value::Array(p) => env.primitive_array_from_le(jtype_of(p.elem), &p.data)?,
        Value::TypedList(p) => {
            let array = env.primitive_array_from_le(jtype_of(p.elem), &p.data)?;
            let mid = match p.elem {
                Elem::Int => k.bulk_int_list,
                Elem::Long => k.bulk_long_list,
                Elem::Double => k.bulk_double_list,
                Elem::Float => k.bulk_float_list,
                Elem::Short => k.bulk_short_list,
                Elem::Byte => k.bulk_byte_list,
                Elem::Bool => k.bulk_boolean_list,
                Elem::Char => k.bulk_char_list,
            };
            // SAFETY: each bulk_<type>List takes one array of its type, made just above.
            unsafe { k.bulk_call(env, mid, &[JValue::Object(array)])? }
        }
        Value::List(items) => {
            let array = object_array(cx, registry, items)?;
            // SAFETY: bulk_list takes one Object[].
            unsafe { k.bulk_call(env, k.bulk_list, &[JValue::Object(array)])? }
        }
        Value::Set(items) => {
            let array = object_array(cx, registry, items)?;
            // SAFETY: bulk_set takes one Object[].
            unsafe { k.bulk_call(env, k.bulk_set, &[JValue::Object(array)])? }
        }
        Value::Map(pairs) => {
            let keys: Vec<Value> = pairs.iter().map(|(k, _)| k.clone()).collect();
            let values: Vec<Value> = pairs.iter().map(|(_, v)| v.clone()).collect();
            let ka = object_array(cx, registry, &keys)?;
            let va = object_array(cx, registry, &values)?;
            // SAFETY: bulk_map takes two Object[] of the same length.
            unsafe { k.bulk_call(env, k.bulk_map, &[JValue::Object(ka), JValue::Object(va)])? }
        }
        _ => return Err(ArgError::Conversion(format!("{v:?} is not a bulk value"))),
    })
}

/// Strings packed into one `char[]` and their end offsets, made into a `String[]` by one Java
/// loop; `None` if some item is not a string.
fn string_array(cx: &Cx, items: &[Value]) -> Result<Option<Local>, ArgError> {
    let mut data: Vec<u16> = Vec::new();
    let mut ends: Vec<i32> = Vec::with_capacity(items.len());
    for v in items {
        let Value::String(s) = v else {
            return Ok(None);
        };
        data.extend(s.encode_utf16());
        ends.push(
            i32::try_from(data.len())
                .map_err(|_| ArgError::Conversion("strings too long".into()))?,
        );
    }
    let env = cx.env;
    let chars: Vec<u8> = data.iter().flat_map(|c| c.to_le_bytes()).collect();
    let ends_bytes: Vec<u8> = ends.iter().flat_map(|e| e.to_le_bytes()).collect();
    let ca = env.primitive_array_from_le(JType::Char, &chars)?;
    let ea = env.primitive_array_from_le(JType::Int, &ends_bytes)?;
    // SAFETY: bulk_strings takes a char[] and an int[] of end offsets within it.
    let strings = unsafe {
        cx.known.bulk_call(
            env,
            cx.known.bulk_strings,
            &[JValue::Object(ca), JValue::Object(ea)],
        )?
    };
    Ok(Some(strings))
}

/// Values as an `Object[]` (each boxed or made into its Java object).
fn object_array(cx: &Cx, registry: &Registry, items: &[Value]) -> Result<Local, ArgError> {
    if let Some(strings) = string_array(cx, items)? {
        return Ok(strings);
    }
    let env = cx.env;
    let len =
        i32::try_from(items.len()).map_err(|_| ArgError::Conversion("too many elements".into()))?;
    let array = env.new_object_array(len, cx.known.object.local())?;
    let object = cx.class_info(cx.known.object.local())?;
    for (i, v) in items.iter().enumerate() {
        env.with_frame(8, |env| -> Result<(), ArgError> {
            let o = match to_java(cx, registry, v, &object, Conv::Same)? {
                JValue::Object(o) => o,
                prim => cx.known.boxed(env, prim)?,
            };
            env.set_object_element(array, i as i32, o)?;
            Ok(())
        })
        .map_err(ArgError::Jni)??;
    }
    Ok(array)
}

/// A list as a Java array of `component` (a parameter declared as an array).
fn to_array(
    cx: &Cx,
    registry: &Registry,
    v: &Value,
    component: &Arc<ClassInfo>,
) -> Result<Local, ArgError> {
    let env = cx.env;
    if let (Value::TypedList(p) | Value::Array(p), Some(t)) = (v, component.primitive)
        && jtype_of(p.elem) == t
    {
        return Ok(env.primitive_array_from_le(t, &p.data)?);
    }
    let items: Vec<Value> = match v {
        Value::List(items) => items.clone(),
        Value::TypedList(p) | Value::Array(p) => prims_values(p),
        other => {
            return Err(ArgError::Conversion(format!(
                "{other:?} cannot become an array"
            )));
        }
    };
    let len =
        i32::try_from(items.len()).map_err(|_| ArgError::Conversion("too many elements".into()))?;
    let array = match component.primitive {
        Some(t) => env.new_primitive_array(t, len)?,
        None => env.new_object_array(len, component.class.local())?,
    };
    for (i, item) in items.iter().enumerate() {
        env.with_frame(8, |env| -> Result<(), ArgError> {
            let conv = element_conv(cx, item, component)?;
            let jv = to_java(cx, registry, item, component, conv)?;
            match (component.primitive, jv) {
                (Some(_), JValue::Object(_)) => {
                    return Err(ArgError::Conversion(format!(
                        "{item:?} cannot be an element of a {}[]",
                        component.name
                    )));
                }
                // SAFETY: jv was converted to the array's primitive component type.
                (Some(_), jv) => unsafe { env.set_primitive_element(array, i as i32, jv)? },
                (None, JValue::Object(o)) => env.set_object_element(array, i as i32, o)?,
                (None, prim) => {
                    env.set_object_element(array, i as i32, cx.known.boxed(env, prim)?)?
                }
            }
            Ok(())
        })
        .map_err(ArgError::Jni)??;
    }
    Ok(array)
}

/// The conversion of one element into an array of `component`, with both phases' rules.
fn element_conv(cx: &Cx, item: &Value, component: &Arc<ClassInfo>) -> Result<Conv, ArgError> {
    if matches!(item, Value::Null | Value::Void) {
        return if component.is_primitive() {
            Err(ArgError::Conversion(
                "null cannot be an element of a primitive array".into(),
            ))
        } else {
            Ok(Conv::Same)
        };
    }
    let class = crate::engine::value_class(cx, item).map_err(ArgError::Jni)?;
    crate::resolve::widened_cost(cx, component, &class)
        .map(|(_, c)| c)
        .ok_or_else(|| {
            ArgError::Conversion(format!(
                "{item:?} cannot be an element of a {}[]",
                component.name
            ))
        })
}

/// The elements of a primitive run, one value each.
pub fn prims_values(p: &Prims) -> Vec<Value> {
    let d = &p.data;
    let n = p.len();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let at = i * p.elem.size();
        let b = &d[at..at + p.elem.size()];
        out.push(match p.elem {
            Elem::Bool => Value::Bool(b[0] != 0),
            Elem::Byte => Value::Int(i32::from(b[0] as i8)),
            Elem::Short => Value::Int(i32::from(i16::from_le_bytes([b[0], b[1]]))),
            Elem::Char => Value::Char(u16::from_le_bytes([b[0], b[1]])),
            Elem::Int => Value::Int(i32::from_le_bytes(b.try_into().expect("4 bytes"))),
            Elem::Long => Value::Long(i64::from_le_bytes(b.try_into().expect("8 bytes"))),
            Elem::Float => Value::Float(f32::from_le_bytes(b.try_into().expect("4 bytes"))),
            Elem::Double => Value::Double(f64::from_le_bytes(b.try_into().expect("8 bytes"))),
        });
    }
    out
}

/// How deep `to_python` follows nested collections (a list that contains itself stops here).
const MAX_DEPTH: usize = 64;

/// A Java object's value, deeply: collections and maps by value, primitive arrays as raw
/// elements, homogeneous lists as typed lists; other objects by reference.
pub fn to_python(cx: &Cx, registry: &Registry, o: Local, depth: usize) -> Result<Value, JniError> {
    if o.is_null() {
        return Ok(Value::Null);
    }
    if depth > MAX_DEPTH {
        return Err(JniError::Failed(
            "collections nested too deeply (or containing themselves)",
        ));
    }
    let (env, k) = (cx.env, cx.known);
    let class = cx.class_of(o)?;
    match class.flavor {
        Flavor::List | Flavor::Set => {}
        Flavor::Map => {
            // SAFETY: bulk_entries takes a Map.
            let both = unsafe { k.bulk_call(env, k.bulk_entries, &[JValue::Object(o)])? };
            let keys = env.object_element(both, 0)?;
            let values = env.object_element(both, 1)?;
            let n = env.array_length(keys);
            let mut pairs = Vec::with_capacity(n as usize);
            for i in 0..n {
                let pair = env.with_frame(8, |env| -> JResult<(Value, Value)> {
                    let kv = env.object_element(keys, i)?;
                    let vv = env.object_element(values, i)?;
                    Ok((
                        to_python(cx, registry, kv, depth + 1)?,
                        to_python(cx, registry, vv, depth + 1)?,
                    ))
                })??;
                pairs.push(pair);
            }
            return Ok(Value::Map(pairs));
        }
        Flavor::Array => {
            let component = class
                .component
                .clone()
                .ok_or(JniError::Failed("array without component"))?;
            if let Some(t) = component.primitive {
                // SAFETY: the array's component type is t.
                let data = unsafe { env.primitive_array_to_le(o, t)? };
                let elem = elem_of(t).ok_or(JniError::Failed("void array"))?;
                return Ok(Value::Array(Prims {
                    elem,
                    data: data.into(),
                }));
            }
        }
        Flavor::Decimal => return object_value(cx, registry, o),
        _ => {
            if class.name == "java.math.BigInteger" {
                return Ok(Value::BigInteger(k.to_string(env, o)?));
            }
            if class.name.starts_with("java.time.") {
                // SAFETY: bulk_temporal takes any object.
                let pair = unsafe { k.bulk_call(env, k.bulk_temporal, &[JValue::Object(o)])? };
                if !pair.is_null() {
                    let code = env.string(env.object_element(pair, 0)?)?;
                    let text = env.string(env.object_element(pair, 1)?)?;
                    let kind = code
                        .parse::<u8>()
                        .ok()
                        .and_then(ferry_protocol::TemporalKind::from_code)
                        .ok_or(JniError::Failed("unknown java.time kind"))?;
                    return Ok(Value::Temporal(kind, text));
                }
            }
            if is_collection(cx, o) {
                // Any other Collection (a Queue, a Deque...) travels as a list.
            } else {
                return object_value(cx, registry, o);
            }
        }
    }
    // A collection or an object array: its elements, in one array.
    // SAFETY: bulk_elements takes a Collection or an Object[], which o is.
    let items = unsafe { k.bulk_call(env, k.bulk_elements, &[JValue::Object(o)])? };
    let is_set = class.flavor == Flavor::Set;
    // SAFETY: bulk_homogeneous takes an Object[].
    let homogeneous = unsafe { k.bulk_call(env, k.bulk_homogeneous, &[JValue::Object(items)])? };
    if !homogeneous.is_null() && !is_set {
        if let Some(v) = typed_list(cx, homogeneous)? {
            return Ok(v);
        }
    }
    let n = env.array_length(items);
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n {
        let v = env.with_frame(8, |env| -> JResult<Value> {
            let e = env.object_element(items, i)?;
            to_python(cx, registry, e, depth + 1)
        })??;
        out.push(v);
    }
    Ok(if is_set {
        Value::Set(out)
    } else {
        Value::List(out)
    })
}

fn is_collection(cx: &Cx, o: Local) -> bool {
    cx.env.is_instance_of(o, cx.known.collection.local())
        || cx.env.is_instance_of(o, cx.known.object_array.local())
}

/// What `Bulk.homogeneous` returned, as a typed list (or a list of strings).
fn typed_list(cx: &Cx, h: Local) -> JResult<Option<Value>> {
    let env = cx.env;
    for (t, elem) in [
        (c"[I", Elem::Int),
        (c"[J", Elem::Long),
        (c"[D", Elem::Double),
        (c"[Z", Elem::Bool),
    ] {
        let cls = env.find_class(t)?;
        if env.is_instance_of(h, cls) {
            // SAFETY: h is an array of this element type (checked just above).
            let data = unsafe { env.primitive_array_to_le(h, jtype_of(elem))? };
            return Ok(Some(Value::TypedList(Prims {
                elem,
                data: data.into(),
            })));
        }
    }
    // Packed strings: {char[] data, int[] ends}.
    let data = env.object_element(h, 0)?;
    let ends = env.object_element(h, 1)?;
    // SAFETY: Bulk.homogeneous packs strings as a char[] and an int[].
    let chars = unsafe { env.primitive_array_to_le(data, JType::Char)? };
    // SAFETY: as above.
    let ends = unsafe { env.primitive_array_to_le(ends, JType::Int)? };
    let units: Vec<u16> = chars
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let mut out = Vec::with_capacity(ends.len() / 4);
    let mut start = 0usize;
    for e in ends.chunks_exact(4) {
        let end = i32::from_le_bytes([e[0], e[1], e[2], e[3]]) as usize;
        out.push(Value::String(String::from_utf16_lossy(&units[start..end])));
        start = end;
    }
    crate::spare::give_back(chars);
    crate::spare::give_back(ends);
    Ok(Some(Value::List(out)))
}

/// Up to `max` next elements of an iterator, as v1 values (objects by reference).
pub fn next_elements(cx: &Cx, registry: &Registry, iterator: Local, max: u32) -> JResult<Value> {
    let (env, k) = (cx.env, cx.known);
    let max = i32::try_from(max).unwrap_or(i32::MAX);
    // SAFETY: bulk_next takes an Iterator and an int.
    let items = unsafe {
        k.bulk_call(
            env,
            k.bulk_next,
            &[JValue::Object(iterator), JValue::Int(max)],
        )?
    };
    let n = env.array_length(items);
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n {
        let v = env.with_frame(8, |env| -> JResult<Value> {
            let e = env.object_element(items, i)?;
            object_value(cx, registry, e)
        })??;
        out.push(v);
    }
    Ok(Value::List(out))
}
