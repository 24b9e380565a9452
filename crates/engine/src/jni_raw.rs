//! The one place where raw JNI functions are called.
//!
//! Every function here either cannot raise a Java exception, or checks for one right after the
//! call and turns it into [`JniError::Thrown`] (clearing it, so the thread can go on making JNI
//! calls). Nothing else in the engine touches the JNI function table.
//!
//! References: a [`Local`] is a raw local reference, valid until the JNI local frame it was made
//! in is popped (the engine runs every command inside its own frame, see
//! [`Env::with_frame`]); a [`Global`] owns a global reference and deletes it when dropped.

use std::ffi::{CStr, c_void};
use std::marker::PhantomData;
use std::ptr;
use std::sync::OnceLock;

use jni::sys::{
    self, JNI_OK, JNINativeInterface_, JNINativeMethod, jboolean, jbyte, jchar, jclass, jdouble,
    jfieldID, jfloat, jint, jlong, jmethodID, jobject, jshort, jsize, jvalue,
};

/// A JNI failure.
#[derive(Debug)]
pub enum JniError {
    /// Java code threw; the exception has been cleared and is held here (a local reference).
    Thrown(Local),
    /// A JNI function failed without an exception (out of memory for a local frame, ...).
    Failed(&'static str),
}

/// Result of a JNI call.
pub type JResult<T> = Result<T, JniError>;

/// A raw local reference (possibly null), valid within the local frame that produced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Local(jobject);

impl Local {
    /// The null reference.
    pub const NULL: Local = Local(ptr::null_mut());

    /// Whether this is Java null.
    pub fn is_null(self) -> bool {
        self.0.is_null()
    }

    /// The raw pointer.
    pub fn raw(self) -> jobject {
        self.0
    }

    /// Wraps a raw local reference received from the JVM (a native method's argument).
    pub fn from_raw(raw: jobject) -> Local {
        Local(raw)
    }
}

/// An owned global reference (never null). Deleting it needs the current thread attached to the
/// JVM; a thread that is not gets attached as a daemon for that.
#[derive(Debug)]
pub struct Global(jobject);

// SAFETY: a JNI global reference is valid on every thread until it is deleted, and the JVM allows
// using it from any attached thread concurrently.
unsafe impl Send for Global {}
// SAFETY: as above; shared use only reads the pointer.
unsafe impl Sync for Global {}

impl Global {
    /// The reference as a local-typed handle (valid as long as `self` lives).
    pub fn local(&self) -> Local {
        Local(self.0)
    }
}

impl Drop for Global {
    fn drop(&mut self) {
        if let Some(env) = Env::current_or_attach() {
            // SAFETY: self.0 is a live global reference owned by self; DeleteGlobalRef may be
            // called with an exception pending.
            unsafe { (env.fns().v1_2.DeleteGlobalRef)(env.raw, self.0) };
        }
    }
}

/// The result of a JNI method call or field read.
#[derive(Debug, Clone, Copy)]
pub enum JValue {
    /// A void method returned.
    Void,
    /// boolean
    Bool(bool),
    /// byte
    Byte(i8),
    /// char
    Char(u16),
    /// short
    Short(i16),
    /// int
    Int(i32),
    /// long
    Long(i64),
    /// float
    Float(f32),
    /// double
    Double(f64),
    /// An object (local reference, maybe null).
    Object(Local),
}

impl JValue {
    /// As a JNI argument.
    pub fn to_jvalue(self) -> jvalue {
        match self {
            JValue::Void => jvalue { j: 0 },
            JValue::Bool(z) => jvalue { z },
            JValue::Byte(b) => jvalue { b },
            JValue::Char(c) => jvalue { c },
            JValue::Short(s) => jvalue { s },
            JValue::Int(i) => jvalue { i },
            JValue::Long(j) => jvalue { j },
            JValue::Float(f) => jvalue { f },
            JValue::Double(d) => jvalue { d },
            JValue::Object(o) => jvalue { l: o.0 },
        }
    }
}

/// The JNI type of a method's result or a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JType {
    /// void (results only)
    Void,
    /// boolean
    Bool,
    /// byte
    Byte,
    /// char
    Char,
    /// short
    Short,
    /// int
    Int,
    /// long
    Long,
    /// float
    Float,
    /// double
    Double,
    /// any reference type
    Object,
}

/// A raw JavaVM pointer, shareable across threads.
#[derive(Clone, Copy)]
struct VmPtr(*mut sys::JavaVM);
// SAFETY: the JavaVM pointer is process-wide and valid from any thread for the life of the process.
unsafe impl Send for VmPtr {}
// SAFETY: as above.
unsafe impl Sync for VmPtr {}

static VM: OnceLock<VmPtr> = OnceLock::new();

/// Records the process's JavaVM (one per process, a JNI rule). Later calls are ignored.
pub fn set_vm(vm: *mut sys::JavaVM) {
    let _ = VM.set(VmPtr(vm));
}

/// The process's JavaVM, if one was recorded.
pub fn vm() -> Option<*mut sys::JavaVM> {
    VM.get().map(|v| v.0)
}

/// A thread's JNI environment. Not `Send`: it belongs to the thread it was obtained on.
#[derive(Debug)]
pub struct Env {
    raw: *mut sys::JNIEnv,
    _not_send: PhantomData<*mut ()>,
}

/// A native method to register with [`Env::register_natives`].
pub struct NativeMethod {
    /// Method name.
    pub name: &'static CStr,
    /// JNI signature.
    pub sig: &'static CStr,
    /// The `extern "system"` function.
    pub fn_ptr: *mut c_void,
}

impl Env {
    /// Wraps the JNIEnv pointer the JVM passed to a native method, or got from the invocation API.
    ///
    /// # Safety
    /// `raw` must be the valid JNIEnv of the current thread, and the returned value must not
    /// outlive the thread's attachment.
    pub unsafe fn from_raw(raw: *mut sys::JNIEnv) -> Env {
        Env {
            raw,
            _not_send: PhantomData,
        }
    }

    /// The raw JNIEnv.
    pub fn raw(&self) -> *mut sys::JNIEnv {
        self.raw
    }

    fn fns(&self) -> &JNINativeInterface_ {
        // SAFETY: raw is a valid JNIEnv (constructor contract), whose first word points to the
        // JVM's function table, valid for the life of the VM.
        unsafe { &**self.raw }
    }

    /// The environment of the current thread, attaching it to the JVM (as a daemon thread, for
    /// the rest of its life) if needed. `None` when no JVM is recorded or attaching fails.
    pub fn current_or_attach() -> Option<Env> {
        let vm = vm()?;
        let mut env: *mut c_void = ptr::null_mut();
        // SAFETY: vm is the process's valid JavaVM; GetEnv and AttachCurrentThreadAsDaemon are
        // callable from any thread.
        unsafe {
            let fns = &**vm;
            if (fns.v1_2.GetEnv)(vm, &mut env, sys::JNI_VERSION_1_8) == JNI_OK {
                return Some(Env::from_raw(env.cast()));
            }
            if (fns.v1_4.AttachCurrentThreadAsDaemon)(vm, &mut env, ptr::null_mut()) == JNI_OK {
                return Some(Env::from_raw(env.cast()));
            }
        }
        None
    }

    /// The environment of the current thread if it is attached.
    pub fn current() -> Option<Env> {
        let vm = vm()?;
        let mut env: *mut c_void = ptr::null_mut();
        // SAFETY: vm is the process's valid JavaVM; GetEnv is callable from any thread.
        let rc = unsafe { ((**vm).v1_2.GetEnv)(vm, &mut env, sys::JNI_VERSION_1_8) };
        // SAFETY: GetEnv succeeded, so env is this thread's JNIEnv.
        (rc == JNI_OK).then(|| unsafe { Env::from_raw(env.cast()) })
    }

    /// Attaches the current thread as a daemon thread with this name (the JVM does not wait for
    /// it at exit) and returns its environment; the caller detaches it with
    /// [`Env::detach_current`] before the thread ends.
    pub fn attach_named(name: &str) -> Option<Env> {
        let vm = vm()?;
        let cname = std::ffi::CString::new(name).ok()?;
        let mut args = sys::JavaVMAttachArgs {
            version: sys::JNI_VERSION_1_8,
            name: cname.as_ptr() as *mut _,
            group: ptr::null_mut(),
        };
        let mut env: *mut c_void = ptr::null_mut();
        // SAFETY: vm is valid; args points to valid attach arguments for the duration of the call.
        let rc = unsafe {
            ((**vm).v1_4.AttachCurrentThreadAsDaemon)(
                vm,
                &mut env,
                (&mut args as *mut sys::JavaVMAttachArgs).cast(),
            )
        };
        // SAFETY: the attach succeeded, so env is this thread's JNIEnv.
        (rc == JNI_OK).then(|| unsafe { Env::from_raw(env.cast()) })
    }

    /// Detaches the current thread from the JVM. Every `Env` of the thread is invalid afterwards.
    pub fn detach_current() {
        if let Some(vm) = vm() {
            // SAFETY: vm is valid; detaching an attached thread with no Java frames on its stack
            // is allowed (our threads have none when they call this).
            unsafe { ((**vm).reserved.DetachCurrentThread)(vm) };
        }
    }

    /// The JavaVM of this environment.
    pub fn java_vm(&self) -> JResult<*mut sys::JavaVM> {
        let mut vm: *mut sys::JavaVM = ptr::null_mut();
        // SAFETY: valid env; GetJavaVM writes one pointer.
        let rc = unsafe { (self.fns().v1_2.GetJavaVM)(self.raw, &mut vm) };
        if rc == JNI_OK {
            Ok(vm)
        } else {
            Err(JniError::Failed("GetJavaVM failed"))
        }
    }

    /// Takes the pending exception, if any, clearing it.
    pub fn take_exception(&self) -> Option<Local> {
        // SAFETY: valid env; these three functions may be called with an exception pending.
        unsafe {
            if !(self.fns().v1_2.ExceptionCheck)(self.raw) {
                return None;
            }
            let t = (self.fns().v1_2.ExceptionOccurred)(self.raw);
            (self.fns().v1_2.ExceptionClear)(self.raw);
            Some(Local(t))
        }
    }

    fn check(&self) -> JResult<()> {
        match self.take_exception() {
            Some(t) => Err(JniError::Thrown(t)),
            None => Ok(()),
        }
    }

    fn check_obj(&self, o: jobject, what: &'static str) -> JResult<Local> {
        self.check()?;
        if o.is_null() {
            Err(JniError::Failed(what))
        } else {
            Ok(Local(o))
        }
    }

    /// Runs `f` inside a new local frame: every local reference it makes is freed afterwards.
    pub fn with_frame<T>(&self, capacity: i32, f: impl FnOnce(&Env) -> T) -> JResult<T> {
        // SAFETY: valid env.
        let rc = unsafe { (self.fns().v1_2.PushLocalFrame)(self.raw, capacity) };
        if rc != JNI_OK {
            self.check()?;
            return Err(JniError::Failed("PushLocalFrame failed"));
        }
        // Pop even if `f` panics, so a caught panic leaves the frame stack balanced.
        struct Pop<'a>(&'a Env);
        impl Drop for Pop<'_> {
            fn drop(&mut self) {
                // SAFETY: pops the frame pushed above; no reference from it is kept.
                unsafe { (self.0.fns().v1_2.PopLocalFrame)(self.0.raw, ptr::null_mut()) };
            }
        }
        let _pop = Pop(self);
        Ok(f(self))
    }

    /// Finds a class by its JNI name (`java/lang/String`) with the loader of the current native
    /// frame (the system loader on threads attached from Rust).
    pub fn find_class(&self, name: &CStr) -> JResult<Local> {
        // SAFETY: valid env, NUL-terminated name.
        let c = unsafe { (self.fns().v1_1.FindClass)(self.raw, name.as_ptr()) };
        self.check_obj(c, "FindClass returned null")
    }

    /// The class of an object (non-null).
    pub fn object_class(&self, obj: Local) -> Local {
        // SAFETY: valid env; obj is a live non-null reference (callers check null).
        Local(unsafe { (self.fns().v1_2.GetObjectClass)(self.raw, obj.0) })
    }

    /// The superclass of a class, or null.
    pub fn superclass(&self, class: Local) -> Local {
        // SAFETY: valid env and class reference.
        Local(unsafe { (self.fns().v1_2.GetSuperclass)(self.raw, class.0) })
    }

    /// `obj instanceof class` (false for null).
    pub fn is_instance_of(&self, obj: Local, class: Local) -> bool {
        if obj.is_null() {
            return false;
        }
        // SAFETY: valid env and references.
        unsafe { (self.fns().v1_2.IsInstanceOf)(self.raw, obj.0, class.0) }
    }

    /// Whether values of class `sub` can be assigned to `sup`.
    pub fn is_assignable_from(&self, sub: Local, sup: Local) -> bool {
        // SAFETY: valid env and class references.
        unsafe { (self.fns().v1_2.IsAssignableFrom)(self.raw, sub.0, sup.0) }
    }

    /// Identity comparison.
    pub fn is_same_object(&self, a: Local, b: Local) -> bool {
        // SAFETY: valid env and references.
        unsafe { (self.fns().v1_2.IsSameObject)(self.raw, a.0, b.0) }
    }

    /// A new global reference to a non-null object.
    pub fn new_global(&self, obj: Local) -> JResult<Global> {
        if obj.is_null() {
            return Err(JniError::Failed("global reference to null"));
        }
        // SAFETY: valid env and live reference.
        let g = unsafe { (self.fns().v1_2.NewGlobalRef)(self.raw, obj.0) };
        if g.is_null() {
            self.check()?;
            return Err(JniError::Failed("NewGlobalRef failed (out of memory)"));
        }
        Ok(Global(g))
    }

    /// A new local reference to the same object (keeps it alive for this frame even if the
    /// reference it came from is deleted meanwhile).
    pub fn new_local_of(&self, obj: Local) -> JResult<Local> {
        if obj.is_null() {
            return Ok(Local::NULL);
        }
        // SAFETY: valid env and live reference.
        let l = unsafe { (self.fns().v1_2.NewLocalRef)(self.raw, obj.0) };
        self.check_obj(l, "NewLocalRef failed (out of memory)")
    }

    /// Frees a local reference early (inside long loops).
    pub fn delete_local(&self, obj: Local) {
        if !obj.is_null() {
            // SAFETY: valid env; obj is a live local reference not used afterwards.
            unsafe { (self.fns().v1_2.DeleteLocalRef)(self.raw, obj.0) };
        }
    }

    /// An instance method id.
    pub fn method_id(&self, class: Local, name: &CStr, sig: &CStr) -> JResult<MethodId> {
        // SAFETY: valid env, class and NUL-terminated strings.
        let m = unsafe {
            (self.fns().v1_2.GetMethodID)(self.raw, class.0, name.as_ptr(), sig.as_ptr())
        };
        self.check()?;
        if m.is_null() {
            return Err(JniError::Failed("GetMethodID returned null"));
        }
        Ok(MethodId(m))
    }

    /// A static method id.
    pub fn static_method_id(&self, class: Local, name: &CStr, sig: &CStr) -> JResult<MethodId> {
        // SAFETY: valid env, class and NUL-terminated strings.
        let m = unsafe {
            (self.fns().v1_2.GetStaticMethodID)(self.raw, class.0, name.as_ptr(), sig.as_ptr())
        };
        self.check()?;
        if m.is_null() {
            return Err(JniError::Failed("GetStaticMethodID returned null"));
        }
        Ok(MethodId(m))
    }

    /// A static field id.
    pub fn static_field_id(&self, class: Local, name: &CStr, sig: &CStr) -> JResult<FieldId> {
        // SAFETY: valid env, class and NUL-terminated strings.
        let f = unsafe {
            (self.fns().v1_2.GetStaticFieldID)(self.raw, class.0, name.as_ptr(), sig.as_ptr())
        };
        self.check()?;
        if f.is_null() {
            return Err(JniError::Failed("GetStaticFieldID returned null"));
        }
        Ok(FieldId(f))
    }

    /// The method id of a `java.lang.reflect.Method` or `Constructor`.
    pub fn from_reflected_method(&self, method: Local) -> JResult<MethodId> {
        // SAFETY: valid env; method is a live Method/Constructor reference.
        let m = unsafe { (self.fns().v1_2.FromReflectedMethod)(self.raw, method.0) };
        self.check()?;
        if m.is_null() {
            return Err(JniError::Failed("FromReflectedMethod returned null"));
        }
        Ok(MethodId(m))
    }

    /// The field id of a `java.lang.reflect.Field`.
    pub fn from_reflected_field(&self, field: Local) -> JResult<FieldId> {
        // SAFETY: valid env; field is a live Field reference.
        let f = unsafe { (self.fns().v1_2.FromReflectedField)(self.raw, field.0) };
        self.check()?;
        if f.is_null() {
            return Err(JniError::Failed("FromReflectedField returned null"));
        }
        Ok(FieldId(f))
    }

    /// Calls an instance method (virtual dispatch).
    ///
    /// # Safety
    /// `method` must be a method of `obj`'s class (or a supertype) whose parameters match `args`
    /// in number and JNI types, and whose result type is `ret`.
    pub unsafe fn call_method(
        &self,
        obj: Local,
        method: MethodId,
        ret: JType,
        args: &[jvalue],
    ) -> JResult<JValue> {
        let f = self.fns();
        let (e, o, m, a) = (self.raw, obj.0, method.0, args.as_ptr());
        // SAFETY: the caller guarantees method, obj and args agree with `ret`.
        let v = unsafe {
            match ret {
                JType::Void => {
                    (f.v1_2.CallVoidMethodA)(e, o, m, a);
                    JValue::Void
                }
                JType::Bool => JValue::Bool((f.v1_2.CallBooleanMethodA)(e, o, m, a)),
                JType::Byte => JValue::Byte((f.v1_2.CallByteMethodA)(e, o, m, a)),
                JType::Char => JValue::Char((f.v1_2.CallCharMethodA)(e, o, m, a)),
                JType::Short => JValue::Short((f.v1_2.CallShortMethodA)(e, o, m, a)),
                JType::Int => JValue::Int((f.v1_2.CallIntMethodA)(e, o, m, a)),
                JType::Long => JValue::Long((f.v1_2.CallLongMethodA)(e, o, m, a)),
                JType::Float => JValue::Float((f.v1_2.CallFloatMethodA)(e, o, m, a)),
                JType::Double => JValue::Double((f.v1_2.CallDoubleMethodA)(e, o, m, a)),
                JType::Object => JValue::Object(Local((f.v1_2.CallObjectMethodA)(e, o, m, a))),
            }
        };
        self.check()?;
        Ok(v)
    }

    /// Calls a static method.
    ///
    /// # Safety
    /// `method` must be a static method of `class` whose parameters match `args` in number and JNI
    /// types, and whose result type is `ret`.
    pub unsafe fn call_static(
        &self,
        class: Local,
        method: MethodId,
        ret: JType,
        args: &[jvalue],
    ) -> JResult<JValue> {
        let f = self.fns();
        let (e, c, m, a) = (self.raw, class.0, method.0, args.as_ptr());
        // SAFETY: the caller guarantees method, class and args agree with `ret`.
        let v = unsafe {
            match ret {
                JType::Void => {
                    (f.v1_2.CallStaticVoidMethodA)(e, c, m, a);
                    JValue::Void
                }
                JType::Bool => JValue::Bool((f.v1_2.CallStaticBooleanMethodA)(e, c, m, a)),
                JType::Byte => JValue::Byte((f.v1_2.CallStaticByteMethodA)(e, c, m, a)),
                JType::Char => JValue::Char((f.v1_2.CallStaticCharMethodA)(e, c, m, a)),
                JType::Short => JValue::Short((f.v1_2.CallStaticShortMethodA)(e, c, m, a)),
                JType::Int => JValue::Int((f.v1_2.CallStaticIntMethodA)(e, c, m, a)),
                JType::Long => JValue::Long((f.v1_2.CallStaticLongMethodA)(e, c, m, a)),
                JType::Float => JValue::Float((f.v1_2.CallStaticFloatMethodA)(e, c, m, a)),
                JType::Double => JValue::Double((f.v1_2.CallStaticDoubleMethodA)(e, c, m, a)),
                JType::Object => {
                    JValue::Object(Local((f.v1_2.CallStaticObjectMethodA)(e, c, m, a)))
                }
            }
        };
        self.check()?;
        Ok(v)
    }

    /// Calls a constructor.
    ///
    /// # Safety
    /// `ctor` must be a constructor of `class` whose parameters match `args`.
    pub unsafe fn new_object(
        &self,
        class: Local,
        ctor: MethodId,
        args: &[jvalue],
    ) -> JResult<Local> {
        // SAFETY: the caller guarantees ctor and args agree.
        let o = unsafe { (self.fns().v1_2.NewObjectA)(self.raw, class.0, ctor.0, args.as_ptr()) };
        self.check_obj(o, "NewObjectA returned null")
    }

    /// Reads an instance field.
    ///
    /// # Safety
    /// `field` must be a field of `obj`'s class (or a supertype) of JNI type `ty`.
    pub unsafe fn get_field(&self, obj: Local, field: FieldId, ty: JType) -> JValue {
        let f = self.fns();
        let (e, o, id) = (self.raw, obj.0, field.0);
        // SAFETY: the caller guarantees field and ty agree; field reads do not throw.
        unsafe {
            match ty {
                JType::Void => JValue::Void,
                JType::Bool => JValue::Bool((f.v1_2.GetBooleanField)(e, o, id)),
                JType::Byte => JValue::Byte((f.v1_2.GetByteField)(e, o, id)),
                JType::Char => JValue::Char((f.v1_2.GetCharField)(e, o, id)),
                JType::Short => JValue::Short((f.v1_2.GetShortField)(e, o, id)),
                JType::Int => JValue::Int((f.v1_2.GetIntField)(e, o, id)),
                JType::Long => JValue::Long((f.v1_2.GetLongField)(e, o, id)),
                JType::Float => JValue::Float((f.v1_2.GetFloatField)(e, o, id)),
                JType::Double => JValue::Double((f.v1_2.GetDoubleField)(e, o, id)),
                JType::Object => JValue::Object(Local((f.v1_2.GetObjectField)(e, o, id))),
            }
        }
    }

    /// Writes an instance field.
    ///
    /// # Safety
    /// `field` must be a non-final field of `obj`'s class (or a supertype) whose JNI type matches
    /// the variant of `value`, and an object value must be assignable to the field's type.
    pub unsafe fn set_field(&self, obj: Local, field: FieldId, value: JValue) {
        let f = self.fns();
        let (e, o, id) = (self.raw, obj.0, field.0);
        // SAFETY: the caller guarantees field and value agree; field writes do not throw.
        unsafe {
            match value {
                JValue::Void => {}
                JValue::Bool(v) => (f.v1_2.SetBooleanField)(e, o, id, v),
                JValue::Byte(v) => (f.v1_2.SetByteField)(e, o, id, v),
                JValue::Char(v) => (f.v1_2.SetCharField)(e, o, id, v),
                JValue::Short(v) => (f.v1_2.SetShortField)(e, o, id, v),
                JValue::Int(v) => (f.v1_2.SetIntField)(e, o, id, v),
                JValue::Long(v) => (f.v1_2.SetLongField)(e, o, id, v),
                JValue::Float(v) => (f.v1_2.SetFloatField)(e, o, id, v),
                JValue::Double(v) => (f.v1_2.SetDoubleField)(e, o, id, v),
                JValue::Object(v) => (f.v1_2.SetObjectField)(e, o, id, v.0),
            }
        }
    }

    /// Reads a static field.
    ///
    /// # Safety
    /// `field` must be a static field of `class` of JNI type `ty`.
    pub unsafe fn get_static_field(
        &self,
        class: Local,
        field: FieldId,
        ty: JType,
    ) -> JResult<JValue> {
        let f = self.fns();
        let (e, c, id) = (self.raw, class.0, field.0);
        // SAFETY: the caller guarantees field and ty agree. Reading a static field may run the
        // class's initializer, which may throw: checked below.
        let v = unsafe {
            match ty {
                JType::Void => JValue::Void,
                JType::Bool => JValue::Bool((f.v1_2.GetStaticBooleanField)(e, c, id)),
                JType::Byte => JValue::Byte((f.v1_2.GetStaticByteField)(e, c, id)),
                JType::Char => JValue::Char((f.v1_2.GetStaticCharField)(e, c, id)),
                JType::Short => JValue::Short((f.v1_2.GetStaticShortField)(e, c, id)),
                JType::Int => JValue::Int((f.v1_2.GetStaticIntField)(e, c, id)),
                JType::Long => JValue::Long((f.v1_2.GetStaticLongField)(e, c, id)),
                JType::Float => JValue::Float((f.v1_2.GetStaticFloatField)(e, c, id)),
                JType::Double => JValue::Double((f.v1_2.GetStaticDoubleField)(e, c, id)),
                JType::Object => JValue::Object(Local((f.v1_2.GetStaticObjectField)(e, c, id))),
            }
        };
        self.check()?;
        Ok(v)
    }

    /// A Java string from Rust text (through UTF-16, so every code point survives).
    pub fn new_string(&self, s: &str) -> JResult<Local> {
        let utf16: Vec<u16> = s.encode_utf16().collect();
        let len = jsize::try_from(utf16.len()).map_err(|_| JniError::Failed("string too long"))?;
        // SAFETY: valid env; the buffer holds len UTF-16 units.
        let o = unsafe { (self.fns().v1_2.NewString)(self.raw, utf16.as_ptr(), len) };
        self.check_obj(o, "NewString returned null")
    }

    /// The text of a Java string (unpaired surrogates become U+FFFD).
    pub fn string(&self, s: Local) -> JResult<String> {
        if s.is_null() {
            return Err(JniError::Failed("null string"));
        }
        // SAFETY: valid env; s is a live String reference.
        let len = unsafe { (self.fns().v1_2.GetStringLength)(self.raw, s.0) };
        let mut buf = vec![0u16; len.max(0) as usize];
        // SAFETY: buf has room for len units; the region [0, len) is within the string.
        unsafe { (self.fns().v1_2.GetStringRegion)(self.raw, s.0, 0, len, buf.as_mut_ptr()) };
        self.check()?;
        Ok(String::from_utf16_lossy(&buf))
    }

    /// The length of an array.
    pub fn array_length(&self, array: Local) -> i32 {
        // SAFETY: valid env; array is a live array reference (callers check).
        unsafe { (self.fns().v1_2.GetArrayLength)(self.raw, array.0) }
    }

    /// A new `byte[]` holding `bytes`.
    pub fn new_byte_array(&self, bytes: &[u8]) -> JResult<Local> {
        let len =
            jsize::try_from(bytes.len()).map_err(|_| JniError::Failed("byte array too long"))?;
        // SAFETY: valid env.
        let a = unsafe { (self.fns().v1_2.NewByteArray)(self.raw, len) };
        let a = self.check_obj(a, "NewByteArray returned null")?;
        // SAFETY: a has len elements; bytes has len bytes (u8 and jbyte have the same layout).
        unsafe {
            (self.fns().v1_2.SetByteArrayRegion)(
                self.raw,
                a.0,
                0,
                len,
                bytes.as_ptr().cast::<jbyte>(),
            )
        };
        self.check()?;
        Ok(a)
    }

    /// The contents of a `byte[]`.
    pub fn byte_array(&self, array: Local) -> JResult<Vec<u8>> {
        let len = self.array_length(array).max(0) as usize;
        let mut out = crate::spare::buffer(len);
        // SAFETY: out has room for len bytes; the region is the whole array.
        unsafe {
            (self.fns().v1_2.GetByteArrayRegion)(
                self.raw,
                array.0,
                0,
                len as jsize,
                out.as_mut_ptr().cast::<jbyte>(),
            )
        };
        self.check()?;
        Ok(out)
    }

    /// A new primitive array of `ty` with `len` zero elements.
    pub fn new_primitive_array(&self, ty: JType, len: i32) -> JResult<Local> {
        let f = self.fns();
        // SAFETY: valid env; the New<T>Array functions only allocate.
        let a = unsafe {
            match ty {
                JType::Bool => (f.v1_2.NewBooleanArray)(self.raw, len),
                JType::Byte => (f.v1_2.NewByteArray)(self.raw, len),
                JType::Char => (f.v1_2.NewCharArray)(self.raw, len),
                JType::Short => (f.v1_2.NewShortArray)(self.raw, len),
                JType::Int => (f.v1_2.NewIntArray)(self.raw, len),
                JType::Long => (f.v1_2.NewLongArray)(self.raw, len),
                JType::Float => (f.v1_2.NewFloatArray)(self.raw, len),
                JType::Double => (f.v1_2.NewDoubleArray)(self.raw, len),
                JType::Void | JType::Object => {
                    return Err(JniError::Failed("not a primitive type"));
                }
            }
        };
        self.check_obj(a, "new array returned null")
    }

    /// A new primitive array of `ty` holding `data`, raw little-endian elements (the machine's
    /// order: ferry runs on little-endian machines only). One copy, into the Java heap.
    pub fn primitive_array_from_le(&self, ty: JType, data: &[u8]) -> JResult<Local> {
        let size = jtype_size(ty).ok_or(JniError::Failed("not a primitive type"))?;
        let len =
            jsize::try_from(data.len() / size).map_err(|_| JniError::Failed("array too long"))?;
        let array = self.new_primitive_array(ty, len)?;
        if len == 0 {
            return Ok(array);
        }
        // JNI reads the elements through a typed pointer, which must be aligned: buffers of the
        // global allocator are; anything else goes through an aligned copy.
        let copy;
        let p: *const u8 = if (data.as_ptr() as usize) % size == 0 {
            data.as_ptr()
        } else {
            let mut words = vec![0u64; data.len().div_ceil(8)];
            // SAFETY: words holds at least data.len() bytes and u8 has no alignment needs.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    data.as_ptr(),
                    words.as_mut_ptr().cast::<u8>(),
                    data.len(),
                )
            };
            copy = words;
            copy.as_ptr().cast()
        };
        let f = self.fns();
        let (e, a) = (self.raw, array.0);
        // SAFETY: p points to len aligned elements of ty (data or its aligned copy, both alive
        // here) and the array has exactly len elements.
        unsafe {
            match ty {
                JType::Bool => (f.v1_1.SetBooleanArrayRegion)(e, a, 0, len, p.cast()),
                JType::Byte => (f.v1_1.SetByteArrayRegion)(e, a, 0, len, p.cast()),
                JType::Char => (f.v1_1.SetCharArrayRegion)(e, a, 0, len, p.cast()),
                JType::Short => (f.v1_1.SetShortArrayRegion)(e, a, 0, len, p.cast()),
                JType::Int => (f.v1_1.SetIntArrayRegion)(e, a, 0, len, p.cast()),
                JType::Long => (f.v1_1.SetLongArrayRegion)(e, a, 0, len, p.cast()),
                JType::Float => (f.v1_1.SetFloatArrayRegion)(e, a, 0, len, p.cast()),
                JType::Double => (f.v1_1.SetDoubleArrayRegion)(e, a, 0, len, p.cast()),
                JType::Void | JType::Object => unreachable!("checked by jtype_size"),
            }
        }
        self.check()?;
        Ok(array)
    }

    /// The elements of a primitive array of element type `ty`, as raw little-endian bytes (one
    /// copy, out of the Java heap).
    ///
    /// # Safety
    /// `array` must be a primitive array whose element type is `ty`.
    pub unsafe fn primitive_array_to_le(&self, array: Local, ty: JType) -> JResult<Vec<u8>> {
        let size = jtype_size(ty).ok_or(JniError::Failed("not a primitive type"))?;
        let len = self.array_length(array).max(0);
        let n = len as usize * size;
        let mut out = crate::spare::buffer(n);
        let mut words = Vec::new();
        let aligned = (out.as_ptr() as usize) % size == 0;
        let p: *mut u8 = if aligned {
            out.as_mut_ptr()
        } else {
            words = vec![0u64; n.div_ceil(8)];
            words.as_mut_ptr().cast()
        };
        let f = self.fns();
        let (e, a) = (self.raw, array.0);
        // SAFETY: p is aligned for ty with room for len elements; the caller guarantees the
        // array's element type.
        unsafe {
            match ty {
                JType::Bool => (f.v1_1.GetBooleanArrayRegion)(e, a, 0, len, p.cast()),
                JType::Byte => (f.v1_1.GetByteArrayRegion)(e, a, 0, len, p.cast()),
                JType::Char => (f.v1_1.GetCharArrayRegion)(e, a, 0, len, p.cast()),
                JType::Short => (f.v1_1.GetShortArrayRegion)(e, a, 0, len, p.cast()),
                JType::Int => (f.v1_1.GetIntArrayRegion)(e, a, 0, len, p.cast()),
                JType::Long => (f.v1_1.GetLongArrayRegion)(e, a, 0, len, p.cast()),
                JType::Float => (f.v1_1.GetFloatArrayRegion)(e, a, 0, len, p.cast()),
                JType::Double => (f.v1_1.GetDoubleArrayRegion)(e, a, 0, len, p.cast()),
                JType::Void | JType::Object => unreachable!("checked by jtype_size"),
            }
        }
        self.check()?;
        if !aligned {
            // SAFETY: words holds n initialized bytes.
            out.copy_from_slice(unsafe {
                std::slice::from_raw_parts(words.as_ptr().cast::<u8>(), n)
            });
        }
        Ok(out)
    }

    /// Copies the elements of a primitive array of element type `ty` into `out` (raw
    /// little-endian bytes, the machine's order), which must hold exactly the array's elements
    /// and be aligned for `ty`. One copy, out of the Java heap, with no critical section.
    ///
    /// # Safety
    /// `array` must be a primitive array whose element type is `ty`.
    pub unsafe fn primitive_array_into(
        &self,
        array: Local,
        ty: JType,
        out: &mut [u8],
    ) -> JResult<()> {
        let size = jtype_size(ty).ok_or(JniError::Failed("not a primitive type"))?;
        let len = self.array_length(array).max(0);
        if out.len() != len as usize * size {
            return Err(JniError::Failed(
                "the buffer does not match the array's length",
            ));
        }
        if (out.as_ptr() as usize) % size != 0 {
            return Err(JniError::Failed(
                "the buffer is not aligned for the array's elements",
            ));
        }
        let p = out.as_mut_ptr();
        let f = self.fns();
        let (e, a) = (self.raw, array.0);
        // SAFETY: p is aligned for ty (checked above) with room for exactly len elements; the
        // caller guarantees the array's element type.
        unsafe {
            match ty {
                JType::Bool => (f.v1_1.GetBooleanArrayRegion)(e, a, 0, len, p.cast()),
                JType::Byte => (f.v1_1.GetByteArrayRegion)(e, a, 0, len, p.cast()),
                JType::Char => (f.v1_1.GetCharArrayRegion)(e, a, 0, len, p.cast()),
                JType::Short => (f.v1_1.GetShortArrayRegion)(e, a, 0, len, p.cast()),
                JType::Int => (f.v1_1.GetIntArrayRegion)(e, a, 0, len, p.cast()),
                JType::Long => (f.v1_1.GetLongArrayRegion)(e, a, 0, len, p.cast()),
                JType::Float => (f.v1_1.GetFloatArrayRegion)(e, a, 0, len, p.cast()),
                JType::Double => (f.v1_1.GetDoubleArrayRegion)(e, a, 0, len, p.cast()),
                JType::Void | JType::Object => unreachable!("checked by jtype_size"),
            }
        }
        self.check()
    }

    /// Reads element `i` of a primitive array of element type `ty`.
    ///
    /// # Safety
    /// `array` must be a primitive array whose element type is `ty`.
    pub unsafe fn primitive_element(&self, array: Local, ty: JType, i: i32) -> JResult<JValue> {
        let f = self.fns();
        let (e, a) = (self.raw, array.0);
        macro_rules! get {
            ($fun:ident, $t:ty, $wrap:expr) => {{
                let mut v: $t = Default::default();
                // SAFETY: one element into v; an out-of-range index raises
                // ArrayIndexOutOfBoundsException, checked below.
                unsafe { (f.v1_1.$fun)(e, a, i, 1, &mut v) };
                $wrap(v)
            }};
        }
        let v = match ty {
            JType::Bool => get!(GetBooleanArrayRegion, jboolean, JValue::Bool),
            JType::Byte => get!(GetByteArrayRegion, jbyte, JValue::Byte),
            JType::Char => get!(GetCharArrayRegion, jchar, JValue::Char),
            JType::Short => get!(GetShortArrayRegion, jshort, JValue::Short),
            JType::Int => get!(GetIntArrayRegion, jint, JValue::Int),
            JType::Long => get!(GetLongArrayRegion, jlong, JValue::Long),
            JType::Float => get!(GetFloatArrayRegion, jfloat, JValue::Float),
            JType::Double => get!(GetDoubleArrayRegion, jdouble, JValue::Double),
            JType::Void | JType::Object => return Err(JniError::Failed("not a primitive type")),
        };
        self.check()?;
        Ok(v)
    }

    /// Writes element `i` of a primitive array; `value`'s variant gives the element type.
    ///
    /// # Safety
    /// `array` must be a primitive array whose element type matches `value`'s variant.
    pub unsafe fn set_primitive_element(&self, array: Local, i: i32, value: JValue) -> JResult<()> {
        let f = self.fns();
        let (e, a) = (self.raw, array.0);
        // SAFETY: one element from a local; an out-of-range index raises
        // ArrayIndexOutOfBoundsException, checked below.
        unsafe {
            match value {
                JValue::Bool(v) => (f.v1_2.SetBooleanArrayRegion)(e, a, i, 1, &v),
                JValue::Byte(v) => (f.v1_2.SetByteArrayRegion)(e, a, i, 1, &v),
                JValue::Char(v) => (f.v1_2.SetCharArrayRegion)(e, a, i, 1, &v),
                JValue::Short(v) => (f.v1_2.SetShortArrayRegion)(e, a, i, 1, &v),
                JValue::Int(v) => (f.v1_2.SetIntArrayRegion)(e, a, i, 1, &v),
                JValue::Long(v) => (f.v1_2.SetLongArrayRegion)(e, a, i, 1, &v),
                JValue::Float(v) => (f.v1_2.SetFloatArrayRegion)(e, a, i, 1, &v),
                JValue::Double(v) => (f.v1_2.SetDoubleArrayRegion)(e, a, i, 1, &v),
                JValue::Void | JValue::Object(_) => {
                    return Err(JniError::Failed("not a primitive value"));
                }
            }
        }
        self.check()
    }

    /// A new object array of `len` elements of class `component`, all null.
    pub fn new_object_array(&self, len: i32, component: Local) -> JResult<Local> {
        // SAFETY: valid env and class.
        let a = unsafe {
            (self.fns().v1_2.NewObjectArray)(self.raw, len, component.0, ptr::null_mut())
        };
        self.check_obj(a, "NewObjectArray returned null")
    }

    /// Element `i` of an object array.
    pub fn object_element(&self, array: Local, i: i32) -> JResult<Local> {
        // SAFETY: valid env and object array; a bad index throws, checked below.
        let o = unsafe { (self.fns().v1_2.GetObjectArrayElement)(self.raw, array.0, i) };
        self.check()?;
        Ok(Local(o))
    }

    /// Stores element `i` of an object array (ArrayStoreException for a wrong type).
    pub fn set_object_element(&self, array: Local, i: i32, value: Local) -> JResult<()> {
        // SAFETY: valid env and object array; bad index or type throws, checked below.
        unsafe { (self.fns().v1_2.SetObjectArrayElement)(self.raw, array.0, i, value.0) };
        self.check()
    }

    /// Throws a new exception of `class` with a message (for native methods returning to Java).
    pub fn throw_new(&self, class: Local, message: &str) {
        let msg = std::ffi::CString::new(message.replace('\0', " ")).unwrap_or_default();
        // SAFETY: valid env, class is a Throwable subclass, msg is NUL-terminated.
        unsafe { (self.fns().v1_2.ThrowNew)(self.raw, class.0, msg.as_ptr()) };
    }

    /// Throws an existing Throwable (for native methods returning to Java).
    pub fn throw(&self, throwable: Local) {
        // SAFETY: valid env; throwable is a live Throwable reference.
        unsafe { (self.fns().v1_2.Throw)(self.raw, throwable.0) };
    }

    /// Registers native methods of a class.
    pub fn register_natives(&self, class: Local, methods: &[NativeMethod]) -> JResult<()> {
        let raw: Vec<JNINativeMethod> = methods
            .iter()
            .map(|m| JNINativeMethod {
                name: m.name.as_ptr() as *mut _,
                signature: m.sig.as_ptr() as *mut _,
                fnPtr: m.fn_ptr,
            })
            .collect();
        // SAFETY: valid env and class; every entry points at NUL-terminated static strings and a
        // function with the matching JNI signature (the caller's contract on NativeMethod).
        let rc = unsafe {
            (self.fns().v1_2.RegisterNatives)(self.raw, class.0, raw.as_ptr(), raw.len() as jint)
        };
        self.check()?;
        if rc != JNI_OK {
            return Err(JniError::Failed("RegisterNatives failed"));
        }
        Ok(())
    }

    /// Defines a class from its bytes in `loader` (null: the bootstrap loader).
    pub fn define_class(&self, name: &CStr, loader: Local, bytes: &[u8]) -> JResult<Local> {
        // SAFETY: valid env, NUL-terminated name, buffer of bytes.len() bytes.
        let c = unsafe {
            (self.fns().v1_1.DefineClass)(
                self.raw,
                name.as_ptr(),
                loader.0,
                bytes.as_ptr().cast::<jbyte>(),
                bytes.len() as jsize,
            )
        };
        self.check_obj(c, "DefineClass returned null")
    }

    /// A direct `ByteBuffer` over Rust memory.
    ///
    /// # Safety
    /// `ptr` must point to `len` writable bytes that stay valid, and are not otherwise accessed,
    /// for as long as Java code may use the buffer.
    pub unsafe fn new_direct_byte_buffer(&self, ptr: *mut u8, len: usize) -> JResult<Local> {
        // SAFETY: the caller's contract above.
        let b =
            unsafe { (self.fns().v1_4.NewDirectByteBuffer)(self.raw, ptr.cast(), len as jlong) };
        self.check_obj(b, "NewDirectByteBuffer returned null")
    }

    /// Whether an exception is pending (without taking it).
    pub fn exception_pending(&self) -> bool {
        // SAFETY: valid env.
        unsafe { (self.fns().v1_2.ExceptionCheck)(self.raw) }
    }
}

/// Bytes per element of a primitive JNI type.
pub fn jtype_size(ty: JType) -> Option<usize> {
    Some(match ty {
        JType::Bool | JType::Byte => 1,
        JType::Char | JType::Short => 2,
        JType::Int | JType::Float => 4,
        JType::Long | JType::Double => 8,
        JType::Void | JType::Object => return None,
    })
}

/// A method id (valid while its class is loaded; ferry holds a global reference to every class
/// it caches ids of).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodId(jmethodID);
// SAFETY: method ids are process-wide values, valid on every thread while the class is loaded.
unsafe impl Send for MethodId {}
// SAFETY: as above.
unsafe impl Sync for MethodId {}

/// A field id (same validity as [`MethodId`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldId(jfieldID);
// SAFETY: field ids are process-wide values, valid on every thread while the class is loaded.
unsafe impl Send for FieldId {}
// SAFETY: as above.
unsafe impl Sync for FieldId {}

/// The raw class pointer type, re-exported for native method signatures.
pub type RawClass = jclass;
