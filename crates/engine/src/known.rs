//! Classes and member ids the engine uses all the time, looked up once.

use crate::jni_raw::{Env, Global, JResult, JType, JValue, Local, MethodId};

macro_rules! known {
    (
        classes { $($cfield:ident = $cname:literal,)* }
        methods { $($mfield:ident = $mclass:ident . $mname:literal $msig:literal,)* }
        statics { $($sfield:ident = $sclass:ident . $sname:literal $ssig:literal,)* }
    ) => {
        /// Well-known classes and method ids.
        pub struct Known {
            $(
                #[doc = stringify!($cname)]
                pub $cfield: Global,
            )*
            $(
                #[doc = stringify!($mclass $mname)]
                pub $mfield: MethodId,
            )*
            $(
                #[doc = stringify!($sclass $sname)]
                pub $sfield: MethodId,
            )*
        }

        impl Known {
            /// Looks everything up; fails if a class or member is missing (a JVM older than 8, or
            /// ferry's glue classes not defined yet).
            pub fn load(env: &Env) -> JResult<Known> {
                env.with_frame(64, |env| -> JResult<Known> {
                    $(
                        let $cfield = env.new_global(env.find_class($cname)?)?;
                    )*
                    Ok(Known {
                        $(
                            $mfield: env.method_id($mclass.local(), $mname, $msig)?,
                        )*
                        $(
                            $sfield: env.static_method_id($sclass.local(), $sname, $ssig)?,
                        )*
                        $($cfield,)*
                    })
                })?
            }
        }
    };
}

known! {
    classes {
        object = c"java/lang/Object",
        class = c"java/lang/Class",
        string = c"java/lang/String",
        char_sequence = c"java/lang/CharSequence",
        boolean = c"java/lang/Boolean",
        byte = c"java/lang/Byte",
        short = c"java/lang/Short",
        integer = c"java/lang/Integer",
        long = c"java/lang/Long",
        float = c"java/lang/Float",
        double = c"java/lang/Double",
        character = c"java/lang/Character",
        number = c"java/lang/Number",
        big_decimal = c"java/math/BigDecimal",
        big_integer = c"java/math/BigInteger",
        byte_array = c"[B",
        list = c"java/util/List",
        map = c"java/util/Map",
        set = c"java/util/Set",
        iterator = c"java/util/Iterator",
        collection = c"java/util/Collection",
        collections = c"java/util/Collections",
        array_list = c"java/util/ArrayList",
        hash_map = c"java/util/HashMap",
        method = c"java/lang/reflect/Method",
        field = c"java/lang/reflect/Field",
        constructor = c"java/lang/reflect/Constructor",
        reflect_array = c"java/lang/reflect/Array",
        modifier = c"java/lang/reflect/Modifier",
        thread = c"java/lang/Thread",
        throwable = c"java/lang/Throwable",
        runtime_exception = c"java/lang/RuntimeException",
        illegal_state = c"java/lang/IllegalStateException",
        readable_channel = c"java/nio/channels/ReadableByteChannel",
        byte_buffer = c"java/nio/ByteBuffer",
        buffer = c"java/nio/Buffer",
        support = c"ferry/Support",
        jvm_view = c"ferry/JvmView",
        proxy_handler = c"ferry/PythonProxyHandler",
        bulk = c"ferry/Bulk",
        hash_set = c"java/util/HashSet",
        object_array = c"[Ljava/lang/Object;",
    }
    methods {
        class_get_name = class.c"getName" c"()Ljava/lang/String;",
        class_get_simple_name = class.c"getSimpleName" c"()Ljava/lang/String;",
        class_get_canonical_name = class.c"getCanonicalName" c"()Ljava/lang/String;",
        class_is_interface = class.c"isInterface" c"()Z",
        class_is_array = class.c"isArray" c"()Z",
        class_is_primitive = class.c"isPrimitive" c"()Z",
        class_component_type = class.c"getComponentType" c"()Ljava/lang/Class;",
        class_interfaces = class.c"getInterfaces" c"()[Ljava/lang/Class;",
        class_declared_methods = class.c"getDeclaredMethods" c"()[Ljava/lang/reflect/Method;",
        class_methods = class.c"getMethods" c"()[Ljava/lang/reflect/Method;",
        class_constructors = class.c"getConstructors" c"()[Ljava/lang/reflect/Constructor;",
        class_fields = class.c"getFields" c"()[Ljava/lang/reflect/Field;",
        class_declared_fields = class.c"getDeclaredFields" c"()[Ljava/lang/reflect/Field;",
        class_classes = class.c"getClasses" c"()[Ljava/lang/Class;",
        class_modifiers = class.c"getModifiers" c"()I",
        method_name = method.c"getName" c"()Ljava/lang/String;",
        method_params = method.c"getParameterTypes" c"()[Ljava/lang/Class;",
        method_return = method.c"getReturnType" c"()Ljava/lang/Class;",
        method_modifiers = method.c"getModifiers" c"()I",
        method_is_varargs = method.c"isVarArgs" c"()Z",
        method_is_bridge = method.c"isBridge" c"()Z",
        method_is_synthetic = method.c"isSynthetic" c"()Z",
        method_declaring = method.c"getDeclaringClass" c"()Ljava/lang/Class;",
        ctor_params = constructor.c"getParameterTypes" c"()[Ljava/lang/Class;",
        ctor_modifiers = constructor.c"getModifiers" c"()I",
        ctor_is_varargs = constructor.c"isVarArgs" c"()Z",
        field_name = field.c"getName" c"()Ljava/lang/String;",
        field_type = field.c"getType" c"()Ljava/lang/Class;",
        field_modifiers = field.c"getModifiers" c"()I",
        object_to_string = object.c"toString" c"()Ljava/lang/String;",
        boolean_value = boolean.c"booleanValue" c"()Z",
        number_long_value = number.c"longValue" c"()J",
        number_int_value = number.c"intValue" c"()I",
        number_double_value = number.c"doubleValue" c"()D",
        float_value = float.c"floatValue" c"()F",
        char_value = character.c"charValue" c"()C",
        big_decimal_new = big_decimal.c"<init>" c"(Ljava/lang/String;)V",
        big_decimal_plain = big_decimal.c"toPlainString" c"()Ljava/lang/String;",
        big_integer_new = big_integer.c"<init>" c"(Ljava/lang/String;)V",
        list_size = list.c"size" c"()I",
        list_get = list.c"get" c"(I)Ljava/lang/Object;",
        collection_add_all = collection.c"addAll" c"(Ljava/util/Collection;)Z",
        collection_clear = collection.c"clear" c"()V",
        array_list_new = array_list.c"<init>" c"()V",
        array_list_new_from = array_list.c"<init>" c"(Ljava/util/Collection;)V",
        array_list_add = array_list.c"add" c"(Ljava/lang/Object;)Z",
        hash_map_new = hash_map.c"<init>" c"()V",
        hash_map_put = hash_map.c"put" c"(Ljava/lang/Object;Ljava/lang/Object;)Ljava/lang/Object;",
        thread_interrupt = thread.c"interrupt" c"()V",
        thread_get_context_loader = thread.c"getContextClassLoader" c"()Ljava/lang/ClassLoader;",
        thread_set_context_loader = thread.c"setContextClassLoader" c"(Ljava/lang/ClassLoader;)V",
        jvm_view_new = jvm_view.c"<init>" c"(Ljava/lang/String;)V",
        channel_read = readable_channel.c"read" c"(Ljava/nio/ByteBuffer;)I",
        channel_close = readable_channel.c"close" c"()V",
        buffer_clear_id = buffer.c"clear" c"()Ljava/nio/Buffer;",
    }
    statics {
        boolean_value_of = boolean.c"valueOf" c"(Z)Ljava/lang/Boolean;",
        byte_value_of = byte.c"valueOf" c"(B)Ljava/lang/Byte;",
        short_value_of = short.c"valueOf" c"(S)Ljava/lang/Short;",
        integer_value_of = integer.c"valueOf" c"(I)Ljava/lang/Integer;",
        long_value_of = long.c"valueOf" c"(J)Ljava/lang/Long;",
        float_value_of = float.c"valueOf" c"(F)Ljava/lang/Float;",
        double_value_of = double.c"valueOf" c"(D)Ljava/lang/Double;",
        character_value_of = character.c"valueOf" c"(C)Ljava/lang/Character;",
        proxy_create = proxy_handler.c"create" c"(JLjava/lang/String;[Ljava/lang/Class;)Ljava/lang/Object;",
        bulk_int_list = bulk.c"intList" c"([I)Ljava/util/ArrayList;",
        bulk_long_list = bulk.c"longList" c"([J)Ljava/util/ArrayList;",
        bulk_double_list = bulk.c"doubleList" c"([D)Ljava/util/ArrayList;",
        bulk_float_list = bulk.c"floatList" c"([F)Ljava/util/ArrayList;",
        bulk_short_list = bulk.c"shortList" c"([S)Ljava/util/ArrayList;",
        bulk_byte_list = bulk.c"byteList" c"([B)Ljava/util/ArrayList;",
        bulk_boolean_list = bulk.c"booleanList" c"([Z)Ljava/util/ArrayList;",
        bulk_char_list = bulk.c"charList" c"([C)Ljava/util/ArrayList;",
        bulk_strings = bulk.c"strings" c"([C[I)[Ljava/lang/String;",
        bulk_list = bulk.c"list" c"([Ljava/lang/Object;)Ljava/util/ArrayList;",
        bulk_set = bulk.c"set" c"([Ljava/lang/Object;)Ljava/util/HashSet;",
        bulk_map = bulk.c"map" c"([Ljava/lang/Object;[Ljava/lang/Object;)Ljava/util/HashMap;",
        bulk_elements = bulk.c"elements" c"(Ljava/lang/Object;)[Ljava/lang/Object;",
        bulk_entries = bulk.c"entries" c"(Ljava/util/Map;)[[Ljava/lang/Object;",
        bulk_homogeneous = bulk.c"homogeneous" c"([Ljava/lang/Object;)Ljava/lang/Object;",
        bulk_next = bulk.c"next" c"(Ljava/util/Iterator;I)[Ljava/lang/Object;",
        bulk_temporal = bulk.c"temporal" c"(Ljava/lang/Object;)[Ljava/lang/String;",
        bulk_parse_temporal = bulk.c"parseTemporal" c"(ILjava/lang/String;)Ljava/lang/Object;",
        support_stack_trace = support.c"stackTrace" c"(Ljava/lang/Throwable;)Ljava/lang/String;",
        support_class_for_name = support.c"classForName" c"(Ljava/lang/String;)Ljava/lang/Class;",
        support_try_set_accessible = support.c"trySetAccessible" c"(Ljava/lang/reflect/AccessibleObject;)Z",
        thread_current = thread.c"currentThread" c"()Ljava/lang/Thread;",
        collections_sort = collections.c"sort" c"(Ljava/util/List;)V",
        collections_reverse = collections.c"reverse" c"(Ljava/util/List;)V",
        collections_max = collections.c"max" c"(Ljava/util/Collection;)Ljava/lang/Object;",
        collections_min = collections.c"min" c"(Ljava/util/Collection;)Ljava/lang/Object;",
        collections_frequency = collections.c"frequency" c"(Ljava/util/Collection;Ljava/lang/Object;)I",
        array_new_instance = reflect_array.c"newInstance" c"(Ljava/lang/Class;[I)Ljava/lang/Object;",
        array_get = reflect_array.c"get" c"(Ljava/lang/Object;I)Ljava/lang/Object;",
        modifier_is_static = modifier.c"isStatic" c"(I)Z",
        byte_buffer_allocate = byte_buffer.c"allocate" c"(I)Ljava/nio/ByteBuffer;",
    }
}

// SAFETY (for every use of these macros): the method ids come from `Known`, looked up above with
// the JNI signature written next to each; every wrapper below passes the receiver type and the
// argument types that signature declares, and reads the result type it declares.
macro_rules! invoke {
    ($env:expr, $obj:expr, $mid:expr, $ret:ident $(, $arg:expr)*) => {
        // SAFETY: see the note above the macro.
        unsafe { $env.call_method($obj, $mid, JType::$ret, &[$(JValue::to_jvalue($arg)),*]) }
    };
}
macro_rules! invoke_static {
    ($env:expr, $cls:expr, $mid:expr, $ret:ident $(, $arg:expr)*) => {
        // SAFETY: see the note above the macro.
        unsafe { $env.call_static($cls, $mid, JType::$ret, &[$(JValue::to_jvalue($arg)),*]) }
    };
}

fn obj(v: JValue) -> Local {
    match v {
        JValue::Object(o) => o,
        _ => Local::NULL,
    }
}
fn int(v: JValue) -> i32 {
    match v {
        JValue::Int(i) => i,
        _ => 0,
    }
}
fn boolean(v: JValue) -> bool {
    matches!(v, JValue::Bool(true))
}

/// Runs `f` on each element of a Java object array, each in its own local frame, so arrays of
/// any size cost a bounded number of local references.
pub fn for_each_element(
    env: &Env,
    array: Local,
    mut f: impl FnMut(&Env, Local) -> JResult<()>,
) -> JResult<()> {
    if array.is_null() {
        return Ok(());
    }
    for i in 0..env.array_length(array) {
        env.with_frame(16, |env| -> JResult<()> {
            let e = env.object_element(array, i)?;
            f(env, e)
        })??;
    }
    Ok(())
}

/// The elements of a Java object array (one local reference each: for small arrays).
pub fn array_elements(env: &Env, array: Local) -> JResult<Vec<Local>> {
    if array.is_null() {
        return Ok(Vec::new());
    }
    (0..env.array_length(array))
        .map(|i| env.object_element(array, i))
        .collect()
}

impl Known {
    /// `Class.getName()`.
    pub fn class_name(&self, env: &Env, cls: Local) -> JResult<String> {
        env.string(obj(invoke!(env, cls, self.class_get_name, Object)?))
    }
    /// `Class.getSimpleName()`.
    pub fn simple_name(&self, env: &Env, cls: Local) -> JResult<String> {
        env.string(obj(invoke!(env, cls, self.class_get_simple_name, Object)?))
    }
    /// `Class.getCanonicalName()`, or the binary name when there is none.
    pub fn canonical_name(&self, env: &Env, cls: Local) -> JResult<String> {
        let n = obj(invoke!(env, cls, self.class_get_canonical_name, Object)?);
        if n.is_null() {
            self.class_name(env, cls)
        } else {
            env.string(n)
        }
    }
    /// `Class.isInterface()`.
    pub fn is_interface(&self, env: &Env, cls: Local) -> JResult<bool> {
        Ok(boolean(invoke!(env, cls, self.class_is_interface, Bool)?))
    }
    /// `Class.isArray()`.
    pub fn is_array(&self, env: &Env, cls: Local) -> JResult<bool> {
        Ok(boolean(invoke!(env, cls, self.class_is_array, Bool)?))
    }
    /// `Class.isPrimitive()`.
    pub fn is_primitive(&self, env: &Env, cls: Local) -> JResult<bool> {
        Ok(boolean(invoke!(env, cls, self.class_is_primitive, Bool)?))
    }
    /// `Class.getComponentType()`.
    pub fn component_type(&self, env: &Env, cls: Local) -> JResult<Local> {
        Ok(obj(invoke!(env, cls, self.class_component_type, Object)?))
    }
    /// `Class.getInterfaces()`.
    pub fn interfaces(&self, env: &Env, cls: Local) -> JResult<Vec<Local>> {
        array_elements(env, obj(invoke!(env, cls, self.class_interfaces, Object)?))
    }
    /// `Class.getDeclaredMethods()`.
    pub fn declared_methods(&self, env: &Env, cls: Local) -> JResult<Local> {
        Ok(obj(invoke!(env, cls, self.class_declared_methods, Object)?))
    }
    /// `Class.getMethods()`.
    pub fn public_methods(&self, env: &Env, cls: Local) -> JResult<Local> {
        Ok(obj(invoke!(env, cls, self.class_methods, Object)?))
    }
    /// `Class.getConstructors()`.
    pub fn constructors(&self, env: &Env, cls: Local) -> JResult<Local> {
        Ok(obj(invoke!(env, cls, self.class_constructors, Object)?))
    }
    /// `Class.getFields()`.
    pub fn public_fields(&self, env: &Env, cls: Local) -> JResult<Local> {
        Ok(obj(invoke!(env, cls, self.class_fields, Object)?))
    }
    /// `Class.getDeclaredFields()`.
    pub fn declared_fields(&self, env: &Env, cls: Local) -> JResult<Local> {
        Ok(obj(invoke!(env, cls, self.class_declared_fields, Object)?))
    }
    /// `Class.getClasses()`.
    pub fn member_classes(&self, env: &Env, cls: Local) -> JResult<Local> {
        Ok(obj(invoke!(env, cls, self.class_classes, Object)?))
    }
    /// `Class.getModifiers()`.
    pub fn class_modifiers(&self, env: &Env, cls: Local) -> JResult<i32> {
        Ok(int(invoke!(env, cls, self.class_modifiers, Int)?))
    }
    /// `Method.getName()`.
    pub fn method_name(&self, env: &Env, m: Local) -> JResult<String> {
        env.string(obj(invoke!(env, m, self.method_name, Object)?))
    }
    /// `Method.getParameterTypes()`.
    pub fn method_params(&self, env: &Env, m: Local) -> JResult<Vec<Local>> {
        array_elements(env, obj(invoke!(env, m, self.method_params, Object)?))
    }
    /// `Method.getReturnType()`.
    pub fn method_return(&self, env: &Env, m: Local) -> JResult<Local> {
        Ok(obj(invoke!(env, m, self.method_return, Object)?))
    }
    /// `Method.getModifiers()`.
    pub fn method_modifiers(&self, env: &Env, m: Local) -> JResult<i32> {
        Ok(int(invoke!(env, m, self.method_modifiers, Int)?))
    }
    /// `Method.isVarArgs()`.
    pub fn method_is_varargs(&self, env: &Env, m: Local) -> JResult<bool> {
        Ok(boolean(invoke!(env, m, self.method_is_varargs, Bool)?))
    }
    /// `Method.isBridge()`.
    pub fn method_is_bridge(&self, env: &Env, m: Local) -> JResult<bool> {
        Ok(boolean(invoke!(env, m, self.method_is_bridge, Bool)?))
    }
    /// `Constructor.getParameterTypes()`.
    pub fn ctor_params(&self, env: &Env, c: Local) -> JResult<Vec<Local>> {
        array_elements(env, obj(invoke!(env, c, self.ctor_params, Object)?))
    }
    /// `Constructor.isVarArgs()`.
    pub fn ctor_is_varargs(&self, env: &Env, c: Local) -> JResult<bool> {
        Ok(boolean(invoke!(env, c, self.ctor_is_varargs, Bool)?))
    }
    /// `Constructor.getModifiers()`.
    pub fn ctor_modifiers(&self, env: &Env, c: Local) -> JResult<i32> {
        Ok(int(invoke!(env, c, self.ctor_modifiers, Int)?))
    }
    /// `Field.getName()`.
    pub fn field_name(&self, env: &Env, f: Local) -> JResult<String> {
        env.string(obj(invoke!(env, f, self.field_name, Object)?))
    }
    /// `Field.getType()`.
    pub fn field_type(&self, env: &Env, f: Local) -> JResult<Local> {
        Ok(obj(invoke!(env, f, self.field_type, Object)?))
    }
    /// `Field.getModifiers()`.
    pub fn field_modifiers(&self, env: &Env, f: Local) -> JResult<i32> {
        Ok(int(invoke!(env, f, self.field_modifiers, Int)?))
    }
    /// `String.valueOf(obj)` for a non-null object: its `toString()`.
    pub fn to_string(&self, env: &Env, o: Local) -> JResult<String> {
        let s = obj(invoke!(env, o, self.object_to_string, Object)?);
        if s.is_null() {
            Ok("null".into())
        } else {
            env.string(s)
        }
    }
    /// `Boolean.booleanValue()`.
    pub fn unbox_bool(&self, env: &Env, o: Local) -> JResult<bool> {
        Ok(boolean(invoke!(env, o, self.boolean_value, Bool)?))
    }
    /// `Number.longValue()`.
    pub fn unbox_long(&self, env: &Env, o: Local) -> JResult<i64> {
        match invoke!(env, o, self.number_long_value, Long)? {
            JValue::Long(v) => Ok(v),
            _ => Ok(0),
        }
    }
    /// `Number.intValue()`.
    pub fn unbox_int(&self, env: &Env, o: Local) -> JResult<i32> {
        Ok(int(invoke!(env, o, self.number_int_value, Int)?))
    }
    /// `Number.doubleValue()`.
    pub fn unbox_double(&self, env: &Env, o: Local) -> JResult<f64> {
        match invoke!(env, o, self.number_double_value, Double)? {
            JValue::Double(v) => Ok(v),
            _ => Ok(0.0),
        }
    }
    /// `Float.floatValue()`.
    pub fn unbox_float(&self, env: &Env, o: Local) -> JResult<f32> {
        match invoke!(env, o, self.float_value, Float)? {
            JValue::Float(v) => Ok(v),
            _ => Ok(0.0),
        }
    }
    /// `Character.charValue()`.
    pub fn unbox_char(&self, env: &Env, o: Local) -> JResult<u16> {
        match invoke!(env, o, self.char_value, Char)? {
            JValue::Char(v) => Ok(v),
            _ => Ok(0),
        }
    }
    /// Boxes a primitive value into its wrapper (`Integer.valueOf`, ...); objects pass through.
    pub fn boxed(&self, env: &Env, v: JValue) -> JResult<Local> {
        let (cls, mid) = match v {
            JValue::Object(o) => return Ok(o),
            JValue::Void => return Ok(Local::NULL),
            JValue::Bool(_) => (&self.boolean, self.boolean_value_of),
            JValue::Byte(_) => (&self.byte, self.byte_value_of),
            JValue::Char(_) => (&self.character, self.character_value_of),
            JValue::Short(_) => (&self.short, self.short_value_of),
            JValue::Int(_) => (&self.integer, self.integer_value_of),
            JValue::Long(_) => (&self.long, self.long_value_of),
            JValue::Float(_) => (&self.float, self.float_value_of),
            JValue::Double(_) => (&self.double, self.double_value_of),
        };
        Ok(obj(invoke_static!(env, cls.local(), mid, Object, v)?))
    }
    /// `new BigDecimal(text)`.
    pub fn new_big_decimal(&self, env: &Env, text: &str) -> JResult<Local> {
        let s = env.new_string(text)?;
        // SAFETY: big_decimal_new is BigDecimal(String), given one String.
        unsafe {
            env.new_object(
                self.big_decimal.local(),
                self.big_decimal_new,
                &[JValue::Object(s).to_jvalue()],
            )
        }
    }
    /// `new BigInteger(text)`.
    pub fn new_big_integer(&self, env: &Env, text: &str) -> JResult<Local> {
        let s = env.new_string(text)?;
        // SAFETY: big_integer_new is BigInteger(String), given one String.
        unsafe {
            env.new_object(
                self.big_integer.local(),
                self.big_integer_new,
                &[JValue::Object(s).to_jvalue()],
            )
        }
    }
    /// Calls a static method of `ferry.Bulk` that returns an object.
    ///
    /// # Safety
    /// `mid` must be one of the `bulk_*` ids and `args` exactly the arguments its signature
    /// (written in the table above) declares.
    pub unsafe fn bulk_call(&self, env: &Env, mid: MethodId, args: &[JValue]) -> JResult<Local> {
        let a: Vec<jni::sys::jvalue> = args.iter().map(|v| v.to_jvalue()).collect();
        // SAFETY: the caller's contract; each bulk_* method returns an object.
        let v = unsafe { env.call_static(self.bulk.local(), mid, JType::Object, &a)? };
        Ok(obj(v))
    }
    /// `BigDecimal.toPlainString()`.
    pub fn big_decimal_plain(&self, env: &Env, o: Local) -> JResult<String> {
        env.string(obj(invoke!(env, o, self.big_decimal_plain, Object)?))
    }
    /// `List.size()`.
    pub fn list_size(&self, env: &Env, list: Local) -> JResult<i32> {
        Ok(int(invoke!(env, list, self.list_size, Int)?))
    }
    /// `List.get(i)`.
    pub fn list_get(&self, env: &Env, list: Local, i: i32) -> JResult<Local> {
        Ok(obj(invoke!(
            env,
            list,
            self.list_get,
            Object,
            JValue::Int(i)
        )?))
    }
    /// `new ArrayList()`.
    pub fn new_array_list(&self, env: &Env) -> JResult<Local> {
        // SAFETY: array_list_new is ArrayList(), given no argument.
        unsafe { env.new_object(self.array_list.local(), self.array_list_new, &[]) }
    }
    /// `new ArrayList(collection)`.
    pub fn new_array_list_from(&self, env: &Env, coll: Local) -> JResult<Local> {
        // SAFETY: array_list_new_from is ArrayList(Collection), given one Collection.
        unsafe {
            env.new_object(
                self.array_list.local(),
                self.array_list_new_from,
                &[JValue::Object(coll).to_jvalue()],
            )
        }
    }
    /// `ArrayList.add(o)`.
    pub fn array_list_add(&self, env: &Env, list: Local, o: Local) -> JResult<()> {
        invoke!(env, list, self.array_list_add, Bool, JValue::Object(o))?;
        Ok(())
    }
    /// `Collection.addAll(other)`.
    pub fn add_all(&self, env: &Env, coll: Local, other: Local) -> JResult<()> {
        invoke!(
            env,
            coll,
            self.collection_add_all,
            Bool,
            JValue::Object(other)
        )?;
        Ok(())
    }
    /// `Collection.clear()`.
    pub fn clear(&self, env: &Env, coll: Local) -> JResult<()> {
        invoke!(env, coll, self.collection_clear, Void)?;
        Ok(())
    }
    /// `new HashMap()`.
    pub fn new_hash_map(&self, env: &Env) -> JResult<Local> {
        // SAFETY: hash_map_new is HashMap(), given no argument.
        unsafe { env.new_object(self.hash_map.local(), self.hash_map_new, &[]) }
    }
    /// `HashMap.put(k, v)`.
    pub fn hash_map_put(&self, env: &Env, map: Local, k: Local, v: Local) -> JResult<()> {
        invoke!(
            env,
            map,
            self.hash_map_put,
            Object,
            JValue::Object(k),
            JValue::Object(v)
        )?;
        Ok(())
    }
    /// `Thread.currentThread()`.
    pub fn current_thread(&self, env: &Env) -> JResult<Local> {
        Ok(obj(invoke_static!(
            env,
            self.thread.local(),
            self.thread_current,
            Object
        )?))
    }
    /// `Thread.interrupt()`.
    pub fn interrupt(&self, env: &Env, thread: Local) -> JResult<()> {
        invoke!(env, thread, self.thread_interrupt, Void)?;
        Ok(())
    }
    /// `Thread.getContextClassLoader()`.
    pub fn context_loader(&self, env: &Env, thread: Local) -> JResult<Local> {
        Ok(obj(invoke!(
            env,
            thread,
            self.thread_get_context_loader,
            Object
        )?))
    }
    /// `Thread.setContextClassLoader(loader)`.
    pub fn set_context_loader(&self, env: &Env, thread: Local, loader: Local) -> JResult<()> {
        invoke!(
            env,
            thread,
            self.thread_set_context_loader,
            Void,
            JValue::Object(loader)
        )?;
        Ok(())
    }
    /// `new ferry.JvmView(name)`.
    pub fn new_jvm_view(&self, env: &Env, name: &str) -> JResult<Local> {
        let s = env.new_string(name)?;
        // SAFETY: jvm_view_new is JvmView(String), given one String.
        unsafe {
            env.new_object(
                self.jvm_view.local(),
                self.jvm_view_new,
                &[JValue::Object(s).to_jvalue()],
            )
        }
    }
    /// A Java proxy for the Python object `id`, implementing `interfaces` (a `Class[]`), whose
    /// calls go to the server behind `owner`.
    pub fn new_python_proxy(
        &self,
        env: &Env,
        owner: i64,
        id: &str,
        interfaces: Local,
    ) -> JResult<Local> {
        let s = env.new_string(id)?;
        Ok(obj(invoke_static!(
            env,
            self.proxy_handler.local(),
            self.proxy_create,
            Object,
            JValue::Long(owner),
            JValue::Object(s),
            JValue::Object(interfaces)
        )?))
    }
    /// The printed stack trace of a Throwable.
    pub fn stack_trace(&self, env: &Env, t: Local) -> JResult<String> {
        env.string(obj(invoke_static!(
            env,
            self.support.local(),
            self.support_stack_trace,
            Object,
            JValue::Object(t)
        )?))
    }
    /// Loads a class with the thread's context class loader (ClassNotFoundException is thrown).
    pub fn class_for_name(&self, env: &Env, name: &str) -> JResult<Local> {
        let s = env.new_string(name)?;
        Ok(obj(invoke_static!(
            env,
            self.support.local(),
            self.support_class_for_name,
            Object,
            JValue::Object(s)
        )?))
    }
    /// `AccessibleObject.trySetAccessible()` (Java 8: `setAccessible(true)`).
    pub fn try_set_accessible(&self, env: &Env, member: Local) -> bool {
        matches!(
            invoke_static!(
                env,
                self.support.local(),
                self.support_try_set_accessible,
                Bool,
                JValue::Object(member)
            ),
            Ok(JValue::Bool(true))
        )
    }
    /// `Modifier.isStatic(m)`, computed locally.
    pub fn is_static(modifiers: i32) -> bool {
        modifiers & 0x0008 != 0
    }
    /// `Modifier.isPublic(m)`, computed locally.
    pub fn is_public(modifiers: i32) -> bool {
        modifiers & 0x0001 != 0
    }
    /// `Modifier.isFinal(m)`, computed locally.
    pub fn is_final(modifiers: i32) -> bool {
        modifiers & 0x0010 != 0
    }
    /// `Collections.sort(list)`.
    pub fn sort(&self, env: &Env, list: Local) -> JResult<()> {
        invoke_static!(
            env,
            self.collections.local(),
            self.collections_sort,
            Void,
            JValue::Object(list)
        )?;
        Ok(())
    }
    /// `Collections.reverse(list)`.
    pub fn reverse(&self, env: &Env, list: Local) -> JResult<()> {
        invoke_static!(
            env,
            self.collections.local(),
            self.collections_reverse,
            Void,
            JValue::Object(list)
        )?;
        Ok(())
    }
    /// `Collections.max(coll)`.
    pub fn max(&self, env: &Env, coll: Local) -> JResult<Local> {
        Ok(obj(invoke_static!(
            env,
            self.collections.local(),
            self.collections_max,
            Object,
            JValue::Object(coll)
        )?))
    }
    /// `Collections.min(coll)`.
    pub fn min(&self, env: &Env, coll: Local) -> JResult<Local> {
        Ok(obj(invoke_static!(
            env,
            self.collections.local(),
            self.collections_min,
            Object,
            JValue::Object(coll)
        )?))
    }
    /// `Collections.frequency(coll, o)`.
    pub fn frequency(&self, env: &Env, coll: Local, o: Local) -> JResult<i32> {
        Ok(int(invoke_static!(
            env,
            self.collections.local(),
            self.collections_frequency,
            Int,
            JValue::Object(coll),
            JValue::Object(o)
        )?))
    }
    /// `java.lang.reflect.Array.newInstance(component, dims)`.
    pub fn new_array(&self, env: &Env, component: Local, dims: &[i32]) -> JResult<Local> {
        let d = env.new_primitive_array(JType::Int, dims.len() as i32)?;
        for (i, v) in dims.iter().enumerate() {
            // SAFETY: d is an int[] of dims.len() elements.
            unsafe { env.set_primitive_element(d, i as i32, JValue::Int(*v))? };
        }
        Ok(obj(invoke_static!(
            env,
            self.reflect_array.local(),
            self.array_new_instance,
            Object,
            JValue::Object(component),
            JValue::Object(d)
        )?))
    }
    /// `ByteBuffer.allocate(n)`.
    pub fn allocate_byte_buffer(&self, env: &Env, n: i32) -> JResult<Local> {
        Ok(obj(invoke_static!(
            env,
            self.byte_buffer.local(),
            self.byte_buffer_allocate,
            Object,
            JValue::Int(n)
        )?))
    }
    /// `ReadableByteChannel.read(buffer)`.
    pub fn channel_read(&self, env: &Env, channel: Local, buffer: Local) -> JResult<i32> {
        Ok(int(invoke!(
            env,
            channel,
            self.channel_read,
            Int,
            JValue::Object(buffer)
        )?))
    }
    /// `Buffer.clear()`.
    pub fn buffer_clear(&self, env: &Env, buffer: Local) -> JResult<()> {
        invoke!(env, buffer, self.buffer_clear_id, Object)?;
        Ok(())
    }
    /// `ReadableByteChannel.close()`.
    pub fn channel_close(&self, env: &Env, channel: Local) -> JResult<()> {
        invoke!(env, channel, self.channel_close, Void)?;
        Ok(())
    }
}
