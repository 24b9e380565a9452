//! Commands: what a peer asks the other side to do.
//!
//! Ids and names are kept as the strings that travel on the wire, so that an encoder can write
//! them back byte for byte. Where Py4J sends a reference to a JVM view it sends it with its `r`
//! tag (`rj`); such fields hold the line as received.

use crate::Value;

/// What a call (`c`) or a stream call (`S`) is made on.
#[derive(Debug, Clone, PartialEq)]
pub enum CallTarget {
    /// An object held by the Java side, by id (`o3`, `t`, `GATEWAY_SERVER`).
    Object(String),
    /// A static method of a class, by fully qualified name (`z:java.lang.Math` on the wire).
    Static(String),
}

/// The array sub-commands (`a`).
#[derive(Debug, Clone, PartialEq)]
pub enum ArrayCommand {
    /// `a c`: a new array of `component` (a class name or a primitive name) with the given
    /// dimensions.
    Create {
        /// Component type: fully qualified class name, or `int`, `double`, ...
        component: String,
        /// One length per dimension.
        dims: Vec<Value>,
    },
    /// `a g`: one element.
    Get {
        /// The array.
        array: String,
        /// The index value as sent (an `i` value).
        index: Value,
    },
    /// `a s`: set one element, converting the value to the component type.
    Set {
        /// The array.
        array: String,
        /// The index value as sent.
        index: Value,
        /// The new element.
        value: Value,
    },
    /// `a l`: a new array made of the elements at the given indices.
    Slice {
        /// The array.
        array: String,
        /// Indices, in order.
        indices: Vec<Value>,
    },
    /// `a e`: the length.
    Len {
        /// The array.
        array: String,
    },
}

/// The list sub-commands (`l`).
#[derive(Debug, Clone, PartialEq)]
pub enum ListCommand {
    /// `l s`: sort in place, natural order.
    Sort(String),
    /// `l r`: reverse in place.
    Reverse(String),
    /// `l x`: the maximum element.
    Max(String),
    /// `l n`: the minimum element.
    Min(String),
    /// `l l`: a new list of the elements at the given indices.
    Slice {
        /// The list.
        list: String,
        /// Indices, in order.
        indices: Vec<Value>,
    },
    /// `l a`: a new list, `list` followed by `other`.
    Concat {
        /// The first list.
        list: String,
        /// The second list's id (sent bare, without a tag).
        other: String,
    },
    /// `l m`: a new list, `list` repeated `times` times.
    Mult {
        /// The list.
        list: String,
        /// The repeat count value as sent.
        times: Value,
    },
    /// `l i`: repeat `list` in place.
    IMult {
        /// The list.
        list: String,
        /// The repeat count value as sent.
        times: Value,
    },
    /// `l f`: how many elements equal `value`.
    Count {
        /// The list.
        list: String,
        /// The value to count.
        value: Value,
    },
}

/// The JVM view sub-commands (`j`).
#[derive(Debug, Clone, PartialEq)]
pub enum ViewCommand {
    /// `j c`: a new view. Py4J keeps the name line as received (with its `s` tag).
    Create {
        /// The name line as received.
        name: String,
    },
    /// `j i`: import a class (`a.b.C`) or a package (`a.b.*`) into a view.
    Import {
        /// The view reference line (`rj`, `ro4`).
        view: String,
        /// The import, unescaped.
        import: String,
    },
    /// `j r`: remove an import from a view.
    RemoveImport {
        /// The view reference line.
        view: String,
        /// The import, unescaped.
        import: String,
    },
    /// `j s`: search; Py4J never implemented it and answers with a fatal error.
    Search,
}

/// The `d` (dir) sub-commands.
#[derive(Debug, Clone, PartialEq)]
pub enum DirCommand {
    /// `d f`: public field names of an object.
    Fields(String),
    /// `d m`: public method names of an object.
    Methods(String),
    /// `d s`: public static members of a class, by fully qualified name.
    Static(String),
    /// `d v`: names imported into a view; `sequence` is the client's cached sequence (`n` for
    /// none).
    View {
        /// The view reference line.
        view: String,
        /// The sequence number the client holds, if any.
        sequence: Option<String>,
    },
}

/// What `h` (help) describes.
#[derive(Debug, Clone, PartialEq)]
pub enum HelpTarget {
    /// `h o`: an object, by id.
    Object(String),
    /// `h c`: a class, by fully qualified name.
    Class(String),
}

/// A command from Python to Java (the commands a Py4J `GatewayServer` answers).
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `c`: call a method.
    Call {
        /// Object or class.
        target: CallTarget,
        /// Method name.
        method: String,
        /// Arguments.
        args: Vec<Value>,
    },
    /// `S`: call a method that returns a `ReadableByteChannel` and stream its bytes after the
    /// reply.
    Stream {
        /// Object or class.
        target: CallTarget,
        /// Method name.
        method: String,
        /// Arguments.
        args: Vec<Value>,
    },
    /// `i`: call a constructor.
    Construct {
        /// Fully qualified class name.
        class: String,
        /// Arguments.
        args: Vec<Value>,
    },
    /// `f g`: read a public instance field.
    FieldGet {
        /// The object.
        target: String,
        /// Field name.
        field: String,
    },
    /// `f s`: write a public instance field.
    FieldSet {
        /// The object.
        target: String,
        /// Field name.
        field: String,
        /// New value.
        value: Value,
    },
    /// `r u`: is this (dotted or simple) name a class or a package, seen from a view?
    ReflectUnknown {
        /// The name.
        name: String,
        /// The view reference line (`rj`).
        view: String,
    },
    /// `r m`: what is this member of a class (static field value, static method, nested class)?
    ReflectMember {
        /// Fully qualified class name.
        class: String,
        /// Member name.
        member: String,
    },
    /// `r c`: the `java.lang.Class` object of a class.
    ReflectClass {
        /// Fully qualified class name.
        class: String,
    },
    /// `a`: arrays.
    Array(ArrayCommand),
    /// `l`: lists.
    List(ListCommand),
    /// `m d`: release the binding of an id.
    MemoryDelete {
        /// The id to release.
        id: String,
    },
    /// `m a`: Python defines it but Java never implemented it.
    MemoryAttach {
        /// The id.
        id: String,
    },
    /// `j`: JVM views.
    View(ViewCommand),
    /// `d`: dir.
    Dir(DirCommand),
    /// `h`: help page.
    Help {
        /// Object or class.
        target: HelpTarget,
        /// Pattern on member names (`*` and `?` wildcards), if any.
        pattern: Option<String>,
        /// Simple type names instead of fully qualified ones.
        short_name: bool,
    },
    /// `p`: the stack trace of a thrown exception.
    ExceptionTrace {
        /// The reference line of the Throwable (`ro1`).
        id: String,
    },
    /// `A`: the authentication line, first on a socket when the server has a token.
    Auth {
        /// The token, unescaped.
        token: String,
    },
    /// `s`: shut the whole server down.
    Shutdown,
    /// v2: the value of a Java object, deeply: collections, maps, arrays, boxed values,
    /// strings, BigDecimal and java.time values, and nestings of them.
    ToPython {
        /// The object.
        id: String,
    },
    /// v2: up to `max` next elements of an iterator (an empty list when it is exhausted).
    Iterate {
        /// The iterator.
        id: String,
        /// How many elements at most.
        max: u32,
    },
    /// v2: a value (a list, set, map, primitive array...) made into a Java object, held by
    /// reference.
    ToJava {
        /// The value.
        value: Value,
    },
    /// v2 notice (no reply): release many ids at once (v1 sends one `m d` per id).
    Release {
        /// The ids.
        ids: Vec<String>,
    },
    /// `z`: close the server connections whose ports match (Ctrl-C in a Python client).
    Cancel {
        /// The client's address line.
        address: String,
        /// Remote port line.
        remote_port: String,
        /// Local port line.
        local_port: String,
    },
}

/// A command from Java to Python (what a Py4J `CallbackServer` answers).
#[derive(Debug, Clone, PartialEq)]
pub enum CallbackCommand {
    /// `c`: call a method of a Python object.
    Call {
        /// The Python proxy id (`p0`, `t`).
        target: String,
        /// Method name.
        method: String,
        /// Arguments, encoded as Java encodes return values.
        args: Vec<Value>,
    },
    /// `g`: Java no longer references this proxy.
    GarbageCollect {
        /// The Python proxy id.
        target: String,
    },
    /// `A`: authentication (with an `e` line in this direction).
    Auth {
        /// The token, unescaped.
        token: String,
    },
}
