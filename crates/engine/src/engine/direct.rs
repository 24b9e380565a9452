//! Direct calls, for callers in the JVM's process (the embedded mode): the arguments borrowed
//! from the caller instead of decoded values, the target held instead of looked up by id, a memo
//! per call site of the method its last call resolved to, and no local frame when the call makes
//! no local reference that outlives it.
//!
//! A direct call answers what a call command would, or says it cannot ([`None`]): a released
//! target, a method not found, an argument that needs boxing or varargs packing, and the like.
//! The caller then makes the call by id, which gives the same answer (or error) as before. Nothing
//! has run in Java when `None` is returned.

use std::sync::{Arc, OnceLock};

use ferry_protocol::{Reply, Value};
use jni::sys::jvalue;
use smallvec::SmallVec;

use super::Engine;
use crate::classes::ClassInfo;
use crate::convert::{from_java, object_value, to_java};
use crate::error::Failure;
use crate::jni_raw::{Env, JType, JValue, JniError, Local};
use crate::registry::{Entry, Registry};
use crate::resolve::{ArgClass, Conv, ListElems, Resolved, resolve_constructor, resolve_method};

/// One argument of a direct call, borrowed from the caller for the call.
#[derive(Clone, Copy, Debug)]
pub enum Arg<'a> {
    /// null
    Null,
    /// A boolean.
    Bool(bool),
    /// A whole number that fits in 32 bits.
    Int(i32),
    /// A whole number that needs 64.
    Long(i64),
    /// A floating-point number.
    Double(f64),
    /// A string.
    Str(&'a str),
    /// A held Java object.
    Object(&'a Entry),
}

/// What a direct call is made on.
#[derive(Clone, Copy, Debug)]
pub enum Target<'a> {
    /// A held object.
    Object(&'a Entry),
    /// A static method of the class of this name (looked up once per call site).
    Static(&'a str),
}

/// The memo of one call site (a Python member): the class of a static call, and the method the
/// first resolved call picked, for its target class and argument classes. A call with other
/// classes goes through the class's overload cache, as any call does.
#[derive(Default)]
pub struct CallSite {
    class: OnceLock<Arc<ClassInfo>>,
    memo: OnceLock<Memo>,
}

impl std::fmt::Debug for CallSite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallSite")
    }
}

struct Memo {
    /// The target's class (held, so that its address stays its own).
    class: Arc<ClassInfo>,
    /// The argument classes' addresses (0 for null).
    key: SmallVec<[usize; 4]>,
    resolved: Arc<Resolved>,
}

type Key = SmallVec<[usize; 4]>;

fn addr(c: &Arc<ClassInfo>) -> usize {
    Arc::as_ptr(c) as usize
}

impl Engine {
    /// The class of an argument (`None` for null), when known without a JNI call.
    fn arg_class_known<'a>(&'a self, arg: &Arg<'a>) -> Option<Option<&'a Arc<ClassInfo>>> {
        Some(Some(match arg {
            Arg::Null => return Some(None),
            Arg::Bool(_) => &self.values.boolean,
            Arg::Int(_) => &self.values.integer,
            Arg::Long(_) => &self.values.long,
            Arg::Double(_) => &self.values.double,
            Arg::Str(_) => &self.values.string,
            Arg::Object(e) => e.class.get()?,
        }))
    }

    /// The argument classes' addresses (0 for null), what call sites and the overload cache
    /// key on; `None` when an object argument's id is released (or its class cannot be read).
    fn arg_key(&self, env: &Env, args: &[Arg<'_>]) -> Option<Key> {
        let mut key = Key::new();
        for a in args {
            if let Arg::Object(e) = a {
                if e.is_released() {
                    return None;
                }
                if e.class.get().is_none() {
                    self.cold_entry_class(env, e)?;
                }
            }
            key.push(self.arg_class_known(a)?.map_or(0, addr));
        }
        Some(key)
    }

    /// Calls `method` on `target` with `args` as a call command would (see the module's doc);
    /// `None` when the call must be made by id instead. Runs in the caller's local frame, which
    /// it leaves as it found it.
    pub fn call_direct(
        &self,
        env: &Env,
        site: &CallSite,
        target: Target<'_>,
        method: &str,
        args: &[Arg<'_>],
    ) -> Option<Reply> {
        let (obj, class) = match target {
            Target::Object(entry) => {
                if entry.is_released() {
                    return None;
                }
                let class = match entry.class.get() {
                    Some(c) => c,
                    None => self.cold_entry_class(env, entry)?,
                };
                (Some(entry.object.local()), class)
            }
            Target::Static(fqn) => {
                let class = match site.class.get() {
                    Some(c) => c,
                    None => {
                        let found = env
                            .with_frame(8, |env| self.class_named(&self.cx(env), fqn).ok())
                            .ok()??;
                        site.class.get_or_init(|| found)
                    }
                };
                (None, class)
            }
        };
        let key = self.arg_key(env, args)?;
        let owned;
        let resolved: &Resolved = match site.memo.get() {
            Some(m) if Arc::ptr_eq(&m.class, class) && m.key == key => &m.resolved,
            _ => {
                let pairs: SmallVec<[(usize, usize); 4]> = key.iter().map(|k| (*k, 0)).collect();
                owned = match class.dispatch.get(method, &pairs) {
                    Some(r) => r,
                    None => self.cold_resolve(env, class, method, args)?,
                };
                site.memo.get_or_init(|| Memo {
                    class: class.clone(),
                    key,
                    resolved: owned.clone(),
                });
                &owned
            }
        };
        let m = &resolved.method;
        if resolved.varargs.is_some() || (!m.is_static && obj.is_none()) {
            return None;
        }
        let ret = m.ret_type();
        let boxing = args
            .iter()
            .zip(&m.params)
            .zip(&resolved.convs)
            .any(|((a, p), c)| boxes(a, p, *c));
        if ret == JType::Object || boxing {
            // The result, or a boxed argument, is a local reference: made (and the result
            // converted) inside a frame of its own.
            return env
                .with_frame(8, |env| self.invoke_direct(env, obj, class, resolved, args))
                .ok()?;
        }
        self.invoke_direct(env, obj, class, resolved, args)
    }

    /// Makes a new instance of the class named `fqn` with `args` as a construct command would;
    /// `None` when the command must be made instead (nothing ran in Java then but the class's
    /// loading).
    pub fn construct_direct(&self, env: &Env, fqn: &str, args: &[Arg<'_>]) -> Option<Reply> {
        // A class met before is in the table: no local frame for the lookup.
        let class = match self.cx(env).class_cached(fqn) {
            Some(c) => c,
            None => env
                .with_frame(8, |env| self.class_named(&self.cx(env), fqn).ok())
                .ok()??,
        };
        let key: SmallVec<[(usize, usize); 4]> =
            self.arg_key(env, args)?.iter().map(|k| (*k, 0)).collect();
        let resolved = match class.dispatch.get("<init>", &key) {
            Some(r) => r,
            None => {
                let classes: SmallVec<[ArgClass; 4]> = args
                    .iter()
                    .map(|a| self.arg_class_known(a).map(|c| c.cloned()))
                    .collect::<Option<_>>()?;
                let listy: SmallVec<[ListElems; 4]> = args.iter().map(|_| None).collect();
                env.with_frame(16, |env| {
                    resolve_constructor(&self.cx(env), &class, &classes, &listy)
                        .ok()
                        .flatten()
                })
                .ok()??
            }
        };
        if resolved.varargs.is_some() {
            return None;
        }
        env.with_frame(8, |env| {
            let cx = self.cx(env);
            let m = &resolved.method;
            let mut jargs: SmallVec<[jvalue; 4]> = SmallVec::with_capacity(args.len());
            let mut locals: SmallVec<[Local; 2]> = SmallVec::new();
            for ((a, p), conv) in args.iter().zip(&m.params).zip(&resolved.convs) {
                jargs.push(
                    direct_arg(env, &cx, &self.registry, a, p, *conv, &mut locals)?.to_jvalue(),
                );
            }
            // SAFETY: the constructor was resolved among `class`'s own constructors with
            // `jargs` converted to its parameter types one by one (as make_args does).
            let made = unsafe { env.new_object(class.class.local(), m.id, &jargs) };
            Some(match made {
                // The new object is of the class itself: its flavor says how it travels.
                Ok(o) => match class.flavor.ref_kind() {
                    Some(kind) => match env.new_global(o) {
                        Ok(g) => Reply::Success(Value::Ref(kind, self.registry.insert(g))),
                        Err(e) => self.reply_in_frame(env, Failure::internal(e)),
                    },
                    None => match object_value(&cx, &self.registry, o) {
                        Ok(v) => Reply::Success(v),
                        Err(e) => self.reply_in_frame(env, Failure::internal(e)),
                    },
                },
                Err(e) => self.reply_in_frame(env, Failure::thrown(e)),
            })
        })
        .ok()?
    }

    /// Converts the arguments, calls, converts the result; the local references it makes are
    /// deleted before it returns (but the result's, when it is an object).
    fn invoke_direct(
        &self,
        env: &Env,
        obj: Option<Local>,
        class: &Arc<ClassInfo>,
        resolved: &Resolved,
        args: &[Arg<'_>],
    ) -> Option<Reply> {
        let m = &resolved.method;
        let obj = match (m.is_static, obj) {
            (true, _) => Local::NULL,
            (false, Some(o)) => o,
            (false, None) => return None,
        };
        let cx = self.cx(env);
        let mut jargs: SmallVec<[jvalue; 4]> = SmallVec::with_capacity(args.len());
        let mut locals: SmallVec<[Local; 2]> = SmallVec::new();
        let drop_locals = |locals: &SmallVec<[Local; 2]>| {
            for l in locals {
                env.delete_local(*l);
            }
        };
        for ((a, p), conv) in args.iter().zip(&m.params).zip(&resolved.convs) {
            match direct_arg(env, &cx, &self.registry, a, p, *conv, &mut locals) {
                Some(v) => jargs.push(v.to_jvalue()),
                None => {
                    drop_locals(&locals);
                    return None;
                }
            }
        }
        let ret = m.ret_type();
        let result = if m.is_static {
            // SAFETY: m was resolved among the methods of `class` and its supertypes, with
            // `jargs` converted to its parameter types one by one (as make_args does); `ret` is
            // its result type.
            unsafe { env.call_static(class.class.local(), m.id, ret, &jargs) }
        } else {
            // SAFETY: as above; `obj` is an instance of `class`, which declares or inherits m.
            unsafe { env.call_method(obj, m.id, ret, &jargs) }
        };
        drop_locals(&locals);
        let result = result.map(|v| match v {
            // A final class's (or an array type's) values: no question about the value's class.
            JValue::Object(o) if !o.is_null() => match m.ret.exact_ref_kind(&cx) {
                Some(kind) => match env.new_global(o) {
                    Ok(g) => Ok(Reply::Success(Value::Ref(kind, self.registry.insert(g)))),
                    Err(e) => Err(e),
                },
                None => from_java(&cx, &self.registry, v).map(Reply::Success),
            },
            v => from_java(&cx, &self.registry, v).map(Reply::Success),
        });
        Some(match result {
            Ok(v) => match v {
                Ok(reply) => reply,
                Err(e) => self.reply_in_frame(env, Failure::internal(e)),
            },
            Err(e) => self.reply_in_frame(env, Failure::thrown(e)),
        })
    }

    /// The reply of a failure, its locals (the exception's among them) freed.
    fn reply_in_frame(&self, env: &Env, f: Failure) -> Reply {
        let thrown = match &f {
            Failure::Thrown(t) | Failure::Internal(t) | Failure::FatalThrown(t) => Some(*t),
            _ => None,
        };
        let reply = match f {
            Failure::Fatal(m) => Reply::Fatal(m),
            f => env
                .with_frame(8, |env| self.failure_reply(env, f))
                .unwrap_or_else(|_| {
                    Reply::error_message("ferry.Py4JException: no JNI local frame")
                }),
        };
        if let Some(t) = thrown {
            env.delete_local(t);
        }
        reply
    }

    /// Fills the class of a held object (its first call), in a frame of its own.
    fn cold_entry_class<'e>(&self, env: &Env, entry: &'e Entry) -> Option<&'e Arc<ClassInfo>> {
        env.with_frame(4, |env| self.entry_class(&self.cx(env), entry).ok())
            .ok()??;
        entry.class.get()
    }

    /// Resolves a call the class's cache has not seen, in a frame of its own.
    fn cold_resolve(
        &self,
        env: &Env,
        class: &Arc<ClassInfo>,
        method: &str,
        args: &[Arg<'_>],
    ) -> Option<Arc<Resolved>> {
        let classes: SmallVec<[ArgClass; 4]> = args
            .iter()
            .map(|a| self.arg_class_known(a).map(|c| c.cloned()))
            .collect::<Option<_>>()?;
        let listy: SmallVec<[ListElems; 4]> = args.iter().map(|_| None).collect();
        env.with_frame(16, |env| {
            resolve_method(&self.cx(env), class, method, &classes, &listy)
                .ok()
                .flatten()
        })
        .ok()?
    }
}

/// Whether passing `arg` to `param` boxes it (a local reference the call's frame frees).
fn boxes(arg: &Arg<'_>, param: &ClassInfo, conv: Conv) -> bool {
    !param.is_primitive()
        && match arg {
            Arg::Bool(_) | Arg::Int(_) | Arg::Long(_) | Arg::Double(_) => true,
            Arg::Str(_) => conv == Conv::ToChar,
            Arg::Null | Arg::Object(_) => false,
        }
}

/// One argument as the parameter receives it, as `to_java` makes it, or `None` when it cannot
/// be made (an empty string to a `char`: the call by id says so). A string made is added to
/// `locals`; a boxed value is left to the frame the caller pushed (see [`boxes`]).
fn direct_arg(
    env: &Env,
    cx: &crate::classes::Cx,
    registry: &Registry,
    arg: &Arg<'_>,
    param: &Arc<ClassInfo>,
    conv: Conv,
    locals: &mut SmallVec<[Local; 2]>,
) -> Option<JValue> {
    let value = match *arg {
        Arg::Null => return Some(JValue::Object(Local::NULL)),
        // The caller holds the entry for the call: its global reference stays valid.
        Arg::Object(e) => return Some(JValue::Object(e.object.local())),
        Arg::Str(s) if conv == Conv::ToChar => {
            if param.is_primitive() {
                return s.encode_utf16().next().map(JValue::Char);
            }
            Value::String(s.to_owned())
        }
        Arg::Str(s) => {
            return match env.new_string(s) {
                Ok(made) => {
                    locals.push(made);
                    Some(JValue::Object(made))
                }
                Err(e) => {
                    if let JniError::Thrown(t) = e {
                        env.delete_local(t);
                    }
                    None
                }
            };
        }
        Arg::Bool(b) => Value::Bool(b),
        Arg::Int(i) => Value::Int(i),
        Arg::Long(l) => Value::Long(l),
        Arg::Double(d) => Value::Double(d),
    };
    // A primitive to a primitive parameter makes no JNI call; to a reference type it is boxed.
    to_java(cx, registry, &value, param, conv).ok()
}

/// The call sites of one connection of a server, by what a call command names: the method, and
/// for a static call its class too (a site remembers the class of its static calls). The calls
/// of a connection mostly repeat a few sites; past [`SITES_KEPT`] a table starts again.
#[derive(Default)]
pub struct CallSites {
    /// Calls on objects, by method name (a site checks the target's class itself).
    on_objects: std::cell::RefCell<Sites>,
    /// Static calls, by class name, then method name.
    on_classes: std::cell::RefCell<rustc_hash::FxHashMap<Box<str>, Sites>>,
    /// The target of the last call on an object, by id: calls mostly repeat a target. Weak: it
    /// must not keep a released object alive.
    last_target: std::cell::RefCell<Option<(Box<str>, std::sync::Weak<Entry>)>>,
}

type Sites = rustc_hash::FxHashMap<Box<str>, std::rc::Rc<CallSite>>;

/// How many sites (or classes of static calls) a table keeps.
const SITES_KEPT: usize = 256;

impl std::fmt::Debug for CallSites {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallSites")
    }
}

/// The site of `method` in `sites`, made if new.
fn site_in(sites: &mut Sites, method: &str) -> std::rc::Rc<CallSite> {
    if let Some(s) = sites.get(method) {
        return s.clone();
    }
    if sites.len() >= SITES_KEPT {
        sites.clear();
    }
    let s = std::rc::Rc::new(CallSite::default());
    sites.insert(method.into(), s.clone());
    s
}

impl CallSites {
    fn site(&self, target: &ferry_protocol::CallTarget, method: &str) -> std::rc::Rc<CallSite> {
        match target {
            ferry_protocol::CallTarget::Object(_) => {
                site_in(&mut self.on_objects.borrow_mut(), method)
            }
            ferry_protocol::CallTarget::Static(fqn) => {
                let mut classes = self.on_classes.borrow_mut();
                if let Some(sites) = classes.get_mut(fqn.as_str()) {
                    return site_in(sites, method);
                }
                if classes.len() >= SITES_KEPT {
                    classes.clear();
                }
                site_in(classes.entry(fqn.as_str().into()).or_default(), method)
            }
        }
    }

    /// The entry held under `id`, from the last call's when it is the same id and still held.
    fn target(&self, registry: &Registry, id: &str) -> Option<Arc<Entry>> {
        let mut last = self.last_target.borrow_mut();
        if let Some((last_id, weak)) = &*last {
            if **last_id == *id {
                if let Some(e) = weak.upgrade().filter(|e| !e.is_released()) {
                    return Some(e);
                }
            }
        }
        let e = registry.get(id)?;
        *last = Some((id.into(), Arc::downgrade(&e)));
        Some(e)
    }
}

impl Engine {
    /// A call command made as a direct call (see the module's doc), with the connection's
    /// `sites`: `None` when it must be made as a command instead (an argument a direct call
    /// does not take, an unknown id, ...; nothing ran in Java then).
    pub fn call_command_direct(
        &self,
        env: &Env,
        sites: &CallSites,
        target: &ferry_protocol::CallTarget,
        method: &str,
        args: &[Value],
    ) -> Option<Reply> {
        // The same boundary as a command's execution.
        crate::fault::point("engine.execute");
        // The entries of the target and of object arguments, held for the call.
        let mut held: SmallVec<[Arc<Entry>; 2]> = SmallVec::new();
        let target_entry = match target {
            ferry_protocol::CallTarget::Object(id) => Some(sites.target(&self.registry, id)?),
            ferry_protocol::CallTarget::Static(_) => None,
        };
        for a in args {
            if let Value::Ref(ferry_protocol::RefKind::Object, id) = a {
                held.push(self.registry.get(id)?);
            }
        }
        let mut objects = held.iter();
        let mut direct: SmallVec<[Arg<'_>; 4]> = SmallVec::with_capacity(args.len());
        for a in args {
            direct.push(match a {
                Value::Null => Arg::Null,
                Value::Bool(b) => Arg::Bool(*b),
                Value::Int(i) => Arg::Int(*i),
                Value::Long(l) => Arg::Long(*l),
                Value::Double(d) => Arg::Double(*d),
                Value::String(s) => Arg::Str(s),
                Value::Ref(ferry_protocol::RefKind::Object, _) => Arg::Object(objects.next()?),
                _ => return None,
            });
        }
        let site = sites.site(target, method);
        let target = match (&target_entry, target) {
            (Some(e), _) => Target::Object(e),
            (None, ferry_protocol::CallTarget::Static(fqn)) => Target::Static(fqn),
            (None, ferry_protocol::CallTarget::Object(_)) => return None,
        };
        self.call_direct(env, &site, target, method, &direct)
    }
}
