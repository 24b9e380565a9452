//! What the engine knows about Java classes, each class looked at once.
//!
//! A [`ClassInfo`] is made the first time a class is met and kept for the life of the engine (it
//! holds a global reference, so the class stays loaded and its member ids stay valid). Members
//! are read lazily, by name, on first use.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use ferry_protocol::RefKind;
use parking_lot::RwLock;

use crate::jni_raw::{Env, FieldId, Global, JResult, JType, JValue, Local, MethodId};
use crate::known::{Known, for_each_element};

/// How instances of a class travel back to Python (Py4J's return encoding, §2.2 of the reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `java.lang.String`: by value.
    String,
    /// `java.lang.Boolean`: by value.
    Boolean,
    /// `java.lang.Character`: by value, as a one-character string.
    Character,
    /// `Integer`, `Short`, `Byte`: by value, as `i`.
    Int,
    /// `Long`: by value, as `L`.
    Long,
    /// `Double`: by value.
    Double,
    /// `Float`: by value (its own shortest digits).
    Float,
    /// Another `Number` (not BigDecimal or BigInteger): its `toString()` as an `i` value.
    OtherNumber,
    /// `byte[]`: by value.
    Bytes,
    /// `BigDecimal`: by value, as `D`.
    Decimal,
    /// A `java.util.List`: reference with tag `l`.
    List,
    /// A `java.util.Map`: reference with tag `a`.
    Map,
    /// An array other than `byte[]`: reference with tag `t`.
    Array,
    /// A `java.util.Set`: reference with tag `h`.
    Set,
    /// A `java.util.Iterator`: reference with tag `g`.
    Iterator,
    /// Anything else: reference with tag `r`.
    Object,
}

impl Flavor {
    /// The reference kind instances of this flavor travel as (`None`: they travel by value).
    pub fn ref_kind(self) -> Option<RefKind> {
        Some(match self {
            Flavor::List => RefKind::List,
            Flavor::Map => RefKind::Map,
            Flavor::Array => RefKind::Array,
            Flavor::Set => RefKind::Set,
            Flavor::Iterator => RefKind::Iterator,
            Flavor::Object => RefKind::Object,
            _ => return None,
        })
    }
}

/// A method or constructor.
#[derive(Debug)]
pub struct MethodInfo {
    /// The method's name (`<init>` for constructors).
    pub name: String,
    /// JNI method id.
    pub id: MethodId,
    /// Parameter types.
    pub params: Vec<Arc<ClassInfo>>,
    /// Result type (the `void` class for void methods and for constructors).
    pub ret: Arc<ClassInfo>,
    /// `static`.
    pub is_static: bool,
    /// `public`.
    pub is_public: bool,
    /// Declared with a trailing `...` parameter.
    pub is_varargs: bool,
    /// Name of the declaring class.
    pub declaring: String,
    /// The reflection object (`Method` / `Constructor`), for the access check.
    reflected: Global,
    /// Py4J's access filter: `trySetAccessible()` on the member, asked once.
    accessible: OnceLock<bool>,
}

/// What [`ClassInfo::members_open`] asks Java (9 and later; none on Java 8).
struct ModuleIds {
    get_module: MethodId,
    is_named: MethodId,
    system: Global,
    get_security_manager: MethodId,
}

static MODULE_IDS: OnceLock<Option<ModuleIds>> = OnceLock::new();

fn module_ids(env: &Env) -> Option<&'static ModuleIds> {
    MODULE_IDS
        .get_or_init(|| {
            env.with_frame(8, |env| -> JResult<ModuleIds> {
                let class = env.find_class(c"java/lang/Class")?;
                let module = env.find_class(c"java/lang/Module")?;
                let system = env.find_class(c"java/lang/System")?;
                Ok(ModuleIds {
                    get_module: env.method_id(class, c"getModule", c"()Ljava/lang/Module;")?,
                    is_named: env.method_id(module, c"isNamed", c"()Z")?,
                    get_security_manager: env.static_method_id(
                        system,
                        c"getSecurityManager",
                        c"()Ljava/lang/SecurityManager;",
                    )?,
                    system: env.new_global(system)?,
                })
            })
            .ok()
            .and_then(Result::ok)
        })
        .as_ref()
}

impl ClassInfo {
    /// The reference kind every non-null value declared of this type travels as, when the
    /// declared type alone decides it: a final class (its values are of that very class) or an
    /// array type (its values are arrays, never `byte[]` unless declared so), whose values go
    /// by reference. `None` when each value's class must be asked (`convert::object_value`).
    pub fn exact_ref_kind(&self, cx: &Cx) -> Option<RefKind> {
        *self.exact.get_or_init(|| {
            let kind = self.flavor.ref_kind()?;
            if self.is_array {
                return Some(kind);
            }
            if self.is_interface || self.primitive.is_some() {
                return None;
            }
            let modifiers = cx
                .env
                .with_frame(2, |env| cx.known.class_modifiers(env, self.class.local()))
                .ok()?
                .ok()?;
            Known::is_final(modifiers).then_some(kind)
        })
    }

    /// Whether every member this class declares passes Py4J's access filter, known without
    /// asking each member: `trySetAccessible` succeeds for any member of a class in an unnamed
    /// module (the class path's classes) when no security manager is installed (Java 9 and
    /// later; asked once per class). Otherwise each member is asked
    /// ([`MethodInfo::accessible`]).
    pub fn members_open(&self, env: &Env) -> bool {
        *self.open.get_or_init(|| {
            let Some(ids) = module_ids(env) else {
                return false;
            };
            env.with_frame(4, |env| -> JResult<bool> {
                // SAFETY: getSecurityManager is a static method of System taking nothing and
                // returning an object.
                let sm = unsafe {
                    env.call_static(
                        ids.system.local(),
                        ids.get_security_manager,
                        JType::Object,
                        &[],
                    )
                }?;
                if !matches!(sm, JValue::Object(o) if o.is_null()) {
                    return Ok(false);
                }
                // SAFETY: getModule is an instance method of Class taking nothing and returning
                // a Module; self.class is a Class.
                let module = unsafe {
                    env.call_method(self.class.local(), ids.get_module, JType::Object, &[])
                }?;
                let JValue::Object(module) = module else {
                    return Ok(false);
                };
                if module.is_null() {
                    return Ok(false);
                }
                // SAFETY: isNamed is an instance method of Module taking nothing and returning a
                // boolean; module is a Module.
                let named = unsafe { env.call_method(module, ids.is_named, JType::Bool, &[]) }?;
                Ok(matches!(named, JValue::Bool(false)))
            })
            .ok()
            .and_then(Result::ok)
            .unwrap_or(false)
        })
    }
}

impl MethodInfo {
    /// Whether Py4J would consider this member callable (it calls `trySetAccessible` on every
    /// candidate and drops those it cannot open).
    pub fn accessible(&self, env: &Env, known: &Known) -> bool {
        *self
            .accessible
            .get_or_init(|| known.try_set_accessible(env, self.reflected.local()))
    }

    /// JNI result type.
    pub fn ret_type(&self) -> JType {
        self.ret.jtype()
    }
}

/// A public field.
#[derive(Debug)]
pub struct FieldInfo {
    /// Name.
    pub name: String,
    /// JNI field id.
    pub id: FieldId,
    /// Declared type.
    pub ty: Arc<ClassInfo>,
    /// `static`.
    pub is_static: bool,
    /// `final`.
    pub is_final: bool,
}

/// What the engine knows about one class.
pub struct ClassInfo {
    /// The class (a global reference keeps it loaded).
    pub class: Global,
    /// `Class.getName()`: `java.lang.String`, `[I`, `int`.
    pub name: String,
    /// For the primitive classes (`int.class`, `void.class`): their JNI type.
    pub primitive: Option<JType>,
    /// For the wrapper classes (`Integer`, ...): the primitive they box.
    pub boxes: Option<JType>,
    /// An interface.
    pub is_interface: bool,
    /// An array class.
    pub is_array: bool,
    /// The component type of an array class.
    pub component: Option<Arc<ClassInfo>>,
    /// The superclass (none for interfaces, primitives and `Object`).
    pub superclass: Option<Arc<ClassInfo>>,
    /// Directly implemented (or, for an interface, extended) interfaces.
    pub interfaces: Vec<Arc<ClassInfo>>,
    /// How instances are returned.
    pub flavor: Flavor,
    /// Assignable to `CharSequence`.
    pub is_char_sequence: bool,
    declared: OnceLock<HashMap<String, Vec<Arc<MethodInfo>>>>,
    constructors: OnceLock<Vec<Arc<MethodInfo>>>,
    fields: RwLock<HashMap<String, Option<Arc<FieldInfo>>>>,
    public_methods: OnceLock<Vec<Arc<MethodInfo>>>,
    /// The overload resolution cache: (name, argument classes) to the method picked.
    pub(crate) dispatch: crate::resolve::DispatchCache,
    /// Whether its members pass Py4J's access filter without asking (see
    /// [`ClassInfo::members_open`]).
    open: OnceLock<bool>,
    /// How its values travel when the declared type decides it (see
    /// [`ClassInfo::exact_ref_kind`]).
    exact: OnceLock<Option<RefKind>>,
}

impl std::fmt::Debug for ClassInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClassInfo({})", self.name)
    }
}

impl ClassInfo {
    /// JNI type of values of this class (primitive classes give their own, others `Object`).
    pub fn jtype(&self) -> JType {
        self.primitive.unwrap_or(JType::Object)
    }

    /// Whether this is a primitive class (`int`, ... but also `void`).
    pub fn is_primitive(&self) -> bool {
        self.primitive.is_some()
    }

    /// Numeric in Py4J's sense: a primitive or boxed byte, short, int, long, float or double.
    pub fn numeric(&self) -> Option<JType> {
        let t = self.primitive.or(self.boxes)?;
        matches!(
            t,
            JType::Byte | JType::Short | JType::Int | JType::Long | JType::Float | JType::Double
        )
        .then_some(t)
    }

    /// `boolean` or `Boolean`.
    pub fn is_boolean(&self) -> bool {
        self.primitive.or(self.boxes) == Some(JType::Bool)
    }

    /// `char` or `Character`.
    pub fn is_character(&self) -> bool {
        self.primitive.or(self.boxes) == Some(JType::Char)
    }

    /// How Java's `Class.toString()` prints this class (`class X`, `interface X`, `int`).
    pub fn describe(&self) -> String {
        if self.is_primitive() {
            self.name.clone()
        } else if self.is_interface {
            format!("interface {}", self.name)
        } else {
            format!("class {}", self.name)
        }
    }

    /// The name as Java source writes it: `int[]`, `java.util.Map.Entry`.
    pub fn source_name(&self) -> String {
        match &self.component {
            Some(c) if self.is_array => format!("{}[]", c.source_name()),
            _ => self.name.replace('$', "."),
        }
    }

    fn declared(&self, cx: &Cx) -> JResult<&HashMap<String, Vec<Arc<MethodInfo>>>> {
        Ok(match self.declared.get() {
            Some(m) => m,
            None => {
                let built = cx.build_declared(self)?;
                let _ = self.declared.set(built);
                self.declared.get().expect("set above")
            }
        })
    }

    /// Declared methods named `name`, read on first use.
    pub fn declared_named(&self, cx: &Cx, name: &str) -> JResult<Vec<Arc<MethodInfo>>> {
        Ok(self.declared(cx)?.get(name).cloned().unwrap_or_default())
    }

    /// The public methods this class declares itself (not inherited ones).
    pub fn declared_public_methods(&self, cx: &Cx) -> JResult<Vec<Arc<MethodInfo>>> {
        Ok(self
            .declared(cx)?
            .values()
            .flatten()
            .filter(|m| m.is_public)
            .cloned()
            .collect())
    }

    /// Public constructors.
    pub fn constructors(&self, cx: &Cx) -> JResult<Vec<Arc<MethodInfo>>> {
        if let Some(c) = self.constructors.get() {
            return Ok(c.clone());
        }
        let built = cx.build_constructors(self)?;
        let _ = self.constructors.set(built);
        Ok(self.constructors.get().expect("set above").clone())
    }

    /// Public methods (`getMethods()`), in reflection order.
    pub fn public_methods(&self, cx: &Cx) -> JResult<Vec<Arc<MethodInfo>>> {
        if let Some(m) = self.public_methods.get() {
            return Ok(m.clone());
        }
        let built = cx.build_public_methods(self)?;
        let _ = self.public_methods.set(built);
        Ok(self.public_methods.get().expect("set above").clone())
    }

    /// The public field named `name` (`getField`), if any.
    pub fn field(&self, cx: &Cx, name: &str) -> JResult<Option<Arc<FieldInfo>>> {
        if let Some(f) = self.fields.read().get(name) {
            return Ok(f.clone());
        }
        let f = cx.build_field(self, name)?;
        self.fields.write().insert(name.to_owned(), f.clone());
        Ok(f)
    }

    /// Superclass distance then interface distance, times 100, as Py4J's `computeDistance`
    /// (`None` when `self` is not a supertype of `child`).
    pub fn distance_from(self: &Arc<Self>, child: &Arc<ClassInfo>) -> Option<u32> {
        if Arc::ptr_eq(self, child) {
            return Some(0);
        }
        let mut hops = 0;
        let mut c = child.superclass.clone();
        while let Some(s) = c {
            hops += 1;
            if Arc::ptr_eq(&s, self) {
                return Some(hops * 100);
            }
            c = s.superclass.clone();
        }
        interface_distance(self, Some(child), child.interfaces.clone(), &mut Vec::new())
            .map(|d| d * 100)
    }
}

/// Breadth-first search over the interfaces of `child` and of its superclasses, level by level,
/// as Py4J walks them.
fn interface_distance(
    parent: &Arc<ClassInfo>,
    child: Option<&Arc<ClassInfo>>,
    to_visit: Vec<Arc<ClassInfo>>,
    visited: &mut Vec<String>,
) -> Option<u32> {
    let mut next: Vec<Arc<ClassInfo>> = Vec::new();
    for c in &to_visit {
        if Arc::ptr_eq(c, parent) {
            return Some(1);
        }
        visited.push(c.name.clone());
        for i in &c.interfaces {
            if !visited.contains(&i.name) {
                next.push(i.clone());
            }
        }
    }
    let grand = child.and_then(|c| c.superclass.clone());
    if let Some(g) = &grand {
        for i in &g.interfaces {
            if !visited.contains(&i.name) {
                next.push(i.clone());
            }
        }
    }
    if next.is_empty() && grand.is_none() {
        return None;
    }
    interface_distance(parent, grand.as_ref(), next, visited).map(|d| d + 1)
}

/// The table of every class met, by name (several entries for one name when class loaders
/// differ).
#[derive(Default)]
pub struct ClassTable {
    by_name: RwLock<HashMap<String, Vec<Arc<ClassInfo>>>>,
}

/// A context for work on classes: the thread's environment and the well-known ids.
pub struct Cx<'a> {
    /// The current thread's environment.
    pub env: &'a Env,
    /// Well-known classes and ids.
    pub known: &'a Known,
    /// The class table.
    pub table: &'a ClassTable,
}

impl Cx<'_> {
    /// The info of the class named `name` when the table has it already (no JNI call, no local
    /// reference): what `class_by_name` answers first.
    pub fn class_cached(&self, name: &str) -> Option<Arc<ClassInfo>> {
        self.table
            .by_name
            .read()
            .get(name)
            .and_then(|v| v.first())
            .cloned()
    }

    /// The info of a class object.
    pub fn class_info(&self, cls: Local) -> JResult<Arc<ClassInfo>> {
        let name = self
            .env
            .with_frame(4, |env| self.known.class_name(env, cls))??;
        if let Some(found) = self.lookup(&name, cls) {
            return Ok(found);
        }
        let built = Arc::new(
            self.env
                .with_frame(32, |_| self.build(cls, name.clone()))??,
        );
        let mut table = self.table.by_name.write();
        let entry = table.entry(name).or_default();
        for existing in entry.iter() {
            if self.env.is_same_object(existing.class.local(), cls) {
                return Ok(existing.clone());
            }
        }
        entry.push(built.clone());
        Ok(built)
    }

    fn lookup(&self, name: &str, cls: Local) -> Option<Arc<ClassInfo>> {
        let table = self.table.by_name.read();
        let entries = table.get(name)?;
        entries
            .iter()
            .find(|e| self.env.is_same_object(e.class.local(), cls))
            .cloned()
    }

    /// The info of an object's class.
    pub fn class_of(&self, obj: Local) -> JResult<Arc<ClassInfo>> {
        let cls = self.env.object_class(obj);
        let info = self.class_info(cls);
        self.env.delete_local(cls);
        info
    }

    /// A class by name: first the classes already met, then `Class.forName` with the thread's
    /// context class loader (a ClassNotFoundException is returned as thrown).
    pub fn class_by_name(&self, name: &str) -> JResult<Arc<ClassInfo>> {
        if let Some(found) = self.class_cached(name) {
            return Ok(found);
        }
        let cls = self.known.class_for_name(self.env, name)?;
        self.class_info(cls)
    }

    fn build(&self, cls: Local, name: String) -> JResult<ClassInfo> {
        let (env, k) = (self.env, self.known);
        let is_primitive = k.is_primitive(env, cls)?;
        let primitive = if is_primitive {
            Some(match name.as_str() {
                "boolean" => JType::Bool,
                "byte" => JType::Byte,
                "char" => JType::Char,
                "short" => JType::Short,
                "int" => JType::Int,
                "long" => JType::Long,
                "float" => JType::Float,
                "double" => JType::Double,
                _ => JType::Void,
            })
        } else {
            None
        };
        let boxes = match name.as_str() {
            "java.lang.Boolean" => Some(JType::Bool),
            "java.lang.Byte" => Some(JType::Byte),
            "java.lang.Character" => Some(JType::Char),
            "java.lang.Short" => Some(JType::Short),
            "java.lang.Integer" => Some(JType::Int),
            "java.lang.Long" => Some(JType::Long),
            "java.lang.Float" => Some(JType::Float),
            "java.lang.Double" => Some(JType::Double),
            _ => None,
        };
        let is_interface = !is_primitive && k.is_interface(env, cls)?;
        let is_array = !is_primitive && k.is_array(env, cls)?;
        let component = if is_array {
            let c = k.component_type(env, cls)?;
            Some(self.class_info(c)?)
        } else {
            None
        };
        let sup = env.superclass(cls);
        let superclass = if sup.is_null() {
            None
        } else {
            Some(self.class_info(sup)?)
        };
        let mut interfaces = Vec::new();
        if !is_primitive {
            for i in k.interfaces(env, cls)? {
                interfaces.push(self.class_info(i)?);
            }
        }
        let assignable =
            |target: &Global| !is_primitive && env.is_assignable_from(cls, target.local());
        let flavor = match name.as_str() {
            "java.lang.String" => Flavor::String,
            "java.lang.Boolean" => Flavor::Boolean,
            "java.lang.Character" => Flavor::Character,
            "java.lang.Integer" | "java.lang.Short" | "java.lang.Byte" => Flavor::Int,
            "java.lang.Long" => Flavor::Long,
            "java.lang.Double" => Flavor::Double,
            "java.lang.Float" => Flavor::Float,
            "[B" => Flavor::Bytes,
            _ if assignable(&k.big_decimal) => Flavor::Decimal,
            _ if assignable(&k.big_integer) => Flavor::Object,
            _ if assignable(&k.number) => Flavor::OtherNumber,
            _ if assignable(&k.list) => Flavor::List,
            _ if assignable(&k.map) => Flavor::Map,
            _ if is_array => Flavor::Array,
            _ if assignable(&k.set) => Flavor::Set,
            _ if assignable(&k.iterator) => Flavor::Iterator,
            _ => Flavor::Object,
        };
        let is_char_sequence = assignable(&k.char_sequence);
        Ok(ClassInfo {
            class: env.new_global(cls)?,
            name,
            primitive,
            boxes,
            is_interface,
            is_array,
            component,
            superclass,
            interfaces,
            flavor,
            is_char_sequence,
            declared: OnceLock::new(),
            constructors: OnceLock::new(),
            fields: RwLock::new(HashMap::new()),
            public_methods: OnceLock::new(),
            dispatch: crate::resolve::DispatchCache::default(),
            open: OnceLock::new(),
            exact: OnceLock::new(),
        })
    }

    fn method_info(&self, m: Local, constructor: bool) -> JResult<MethodInfo> {
        let (env, k) = (self.env, self.known);
        let (name, params, ret, modifiers, is_varargs, declaring) = if constructor {
            (
                "<init>".to_owned(),
                k.ctor_params(env, m)?,
                None,
                k.ctor_modifiers(env, m)?,
                k.ctor_is_varargs(env, m)?,
                String::new(),
            )
        } else {
            (
                k.method_name(env, m)?,
                k.method_params(env, m)?,
                Some(k.method_return(env, m)?),
                k.method_modifiers(env, m)?,
                k.method_is_varargs(env, m)?,
                String::new(),
            )
        };
        let mut param_infos = Vec::with_capacity(params.len());
        for p in params {
            param_infos.push(self.class_info(p)?);
        }
        let ret = match ret {
            Some(r) => self.class_info(r)?,
            None => self.void_class()?,
        };
        Ok(MethodInfo {
            name,
            id: env.from_reflected_method(m)?,
            params: param_infos,
            ret,
            is_static: Known::is_static(modifiers),
            is_public: Known::is_public(modifiers),
            is_varargs,
            declaring,
            reflected: env.new_global(m)?,
            accessible: OnceLock::new(),
        })
    }

    fn void_class(&self) -> JResult<Arc<ClassInfo>> {
        if let Some(v) = self
            .table
            .by_name
            .read()
            .get("void")
            .and_then(|v| v.first())
        {
            return Ok(v.clone());
        }
        let void_cls = self.env.find_class(c"java/lang/Void")?;
        let fid = self
            .env
            .static_field_id(void_cls, c"TYPE", c"Ljava/lang/Class;")?;
        // SAFETY: Void.TYPE is a static field of type Class.
        let prim = unsafe { self.env.get_static_field(void_cls, fid, JType::Object)? };
        match prim {
            crate::jni_raw::JValue::Object(c) => self.class_info(c),
            _ => Err(crate::jni_raw::JniError::Failed("Void.TYPE is not a class")),
        }
    }

    fn build_declared(&self, info: &ClassInfo) -> JResult<HashMap<String, Vec<Arc<MethodInfo>>>> {
        let mut map: HashMap<String, Vec<Arc<MethodInfo>>> = HashMap::new();
        if info.is_primitive() {
            return Ok(map);
        }
        self.env.with_frame(16, |env| -> JResult<()> {
            // A class whose methods mention missing classes throws here (NoClassDefFoundError):
            // it then offers no methods, as the error would make every lookup fail anyway.
            let methods = match self.known.declared_methods(env, info.class.local()) {
                Ok(m) => m,
                Err(crate::jni_raw::JniError::Thrown(_)) => return Ok(()),
                Err(e) => return Err(e),
            };
            for_each_element(env, methods, |_, m| {
                let mi = self.method_info(m, false)?;
                map.entry(mi.name.clone()).or_default().push(Arc::new(mi));
                Ok(())
            })
        })??;
        Ok(map)
    }

    fn build_constructors(&self, info: &ClassInfo) -> JResult<Vec<Arc<MethodInfo>>> {
        let mut out = Vec::new();
        if info.is_primitive() || info.is_interface || info.is_array {
            return Ok(out);
        }
        self.env.with_frame(16, |env| -> JResult<()> {
            let array = self.known.constructors(env, info.class.local())?;
            for_each_element(env, array, |_, c| {
                out.push(Arc::new(self.method_info(c, true)?));
                Ok(())
            })
        })??;
        Ok(out)
    }

    fn build_public_methods(&self, info: &ClassInfo) -> JResult<Vec<Arc<MethodInfo>>> {
        let mut out = Vec::new();
        if info.is_primitive() {
            return Ok(out);
        }
        self.env.with_frame(16, |env| -> JResult<()> {
            let array = self.known.public_methods(env, info.class.local())?;
            for_each_element(env, array, |_, m| {
                out.push(Arc::new(self.method_info(m, false)?));
                Ok(())
            })
        })??;
        Ok(out)
    }

    fn build_field(&self, info: &ClassInfo, name: &str) -> JResult<Option<Arc<FieldInfo>>> {
        if info.is_primitive() {
            return Ok(None);
        }
        let mut found = None;
        self.env.with_frame(16, |env| -> JResult<()> {
            let array = self.known.public_fields(env, info.class.local())?;
            for_each_element(env, array, |env, f| {
                if found.is_some() || self.known.field_name(env, f)? != name {
                    return Ok(());
                }
                let modifiers = self.known.field_modifiers(env, f)?;
                let ty = self.known.field_type(env, f)?;
                found = Some(Arc::new(FieldInfo {
                    name: name.to_owned(),
                    id: env.from_reflected_field(f)?,
                    ty: self.class_info(ty)?,
                    is_static: Known::is_static(modifiers),
                    is_final: Known::is_final(modifiers),
                }));
                Ok(())
            })
        })??;
        Ok(found)
    }

    /// Names of the public fields of a class.
    pub fn public_field_names(&self, info: &ClassInfo, statics_only: bool) -> JResult<Vec<String>> {
        let mut out = Vec::new();
        self.env.with_frame(16, |env| -> JResult<()> {
            let array = self.known.public_fields(env, info.class.local())?;
            for_each_element(env, array, |env, f| {
                let modifiers = self.known.field_modifiers(env, f)?;
                if !statics_only || Known::is_static(modifiers) {
                    out.push(self.known.field_name(env, f)?);
                }
                Ok(())
            })
        })??;
        Ok(out)
    }

    /// Names of the public fields this class declares itself.
    pub fn declared_public_field_names(&self, info: &ClassInfo) -> JResult<Vec<String>> {
        let mut out = Vec::new();
        if info.is_primitive() {
            return Ok(out);
        }
        self.env.with_frame(16, |env| -> JResult<()> {
            let array = self.known.declared_fields(env, info.class.local())?;
            for_each_element(env, array, |env, f| {
                if Known::is_public(self.known.field_modifiers(env, f)?) {
                    out.push(self.known.field_name(env, f)?);
                }
                Ok(())
            })
        })??;
        Ok(out)
    }

    /// Public member classes (`getClasses()`): (simple name, is static).
    pub fn member_classes(&self, info: &ClassInfo) -> JResult<Vec<(String, bool)>> {
        let mut out = Vec::new();
        if info.is_primitive() {
            return Ok(out);
        }
        self.env.with_frame(16, |env| -> JResult<()> {
            let array = self.known.member_classes(env, info.class.local())?;
            for_each_element(env, array, |env, c| {
                let modifiers = self.known.class_modifiers(env, c)?;
                out.push((self.known.simple_name(env, c)?, Known::is_static(modifiers)));
                Ok(())
            })
        })??;
        Ok(out)
    }
}
