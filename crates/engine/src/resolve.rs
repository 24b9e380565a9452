//! Overload resolution, in two phases as the Java language does.
//!
//! Phase one is Py4J's: candidates are the methods of the class, of its superclasses and of the
//! interfaces each of them implements directly (any visibility, kept when `trySetAccessible`
//! succeeds), with the right arity; each argument has a cost (section 5.3 of the reference) and
//! the cheapest candidate wins, the first zero-cost one at once. Whenever Py4J's cheapest
//! candidate is unique, ferry picks the same one.
//!
//! Phase two runs only when no candidate passes phase one, and accepts what Py4J wrongly
//! rejects: a Python int where a `double` or `float` is declared, varargs, and public methods of
//! every public supertype (Py4J misses those declared in an interface's super-interfaces).
//!
//! Results are cached per class, name and argument classes.

use std::sync::Arc;

use crate::classes::{ClassInfo, Cx, MethodInfo};
use crate::jni_raw::{JResult, JType};

/// The class of one argument as the resolver sees it: `None` for null.
pub type ArgClass = Option<Arc<ClassInfo>>;

/// For an argument sent as a list by value (which phase two may make into an array): the class
/// its elements share (`Some(None)` when the list is empty, so any element type fits).
pub type ListElems = Option<ArgClass>;

/// The identity of each argument's class (and, for lists sent by value, of their elements'
/// class): with the method name, what the overload cache is keyed by.
type ArgKey = smallvec::SmallVec<[(usize, usize); 4]>;

fn ptr(c: &ArgClass) -> usize {
    c.as_ref().map_or(0, |c| Arc::as_ptr(c) as usize)
}

fn arg_key(args: &[ArgClass], listy: &[ListElems]) -> ArgKey {
    args.iter()
        .enumerate()
        .map(|(i, a)| {
            let elems = match listy.get(i) {
                Some(Some(e)) => ptr(e) | 1,
                _ => 0,
            };
            (ptr(a), elems)
        })
        .collect()
}

/// The overload resolution cache of one class: method name to the argument keys seen and the
/// method each picked. Lookups allocate nothing (a hot path: every call goes through it).
#[derive(Default)]
pub struct DispatchCache {
    by_name: parking_lot::RwLock<rustc_hash::FxHashMap<Box<str>, Vec<Picked>>>,
}

/// An argument key and the method it picked.
type Picked = (ArgKey, Arc<Resolved>);

impl DispatchCache {
    pub(crate) fn get(&self, name: &str, key: &[(usize, usize)]) -> Option<Arc<Resolved>> {
        let map = self.by_name.read();
        map.get(name)?
            .iter()
            .find(|(k, _)| k.as_slice() == key)
            .map(|(_, r)| r.clone())
    }

    fn insert(&self, name: &str, key: ArgKey, resolved: Arc<Resolved>) {
        let mut map = self.by_name.write();
        let entries = map.entry(name.into()).or_default();
        if !entries.iter().any(|(k, _)| *k == key) {
            entries.push((key, resolved));
        }
    }
}

/// How one argument is turned into the parameter's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conv {
    /// As it is (boxed to its own wrapper if the parameter is a reference type).
    Same,
    /// A whole number widened to `long`.
    ToLong,
    /// An `int` narrowed to `short`.
    ToShort,
    /// An `int` narrowed to `byte`.
    ToByte,
    /// A `double` narrowed to `float`.
    ToFloat,
    /// A whole number to `double` (phase two).
    ToDouble,
    /// The first character of a string.
    ToChar,
    /// A list sent by value, made into a Java array of the parameter's type (phase two).
    ToArray,
}

/// The outcome of resolution: the method and how to convert each argument.
#[derive(Debug)]
pub struct Resolved {
    /// The method or constructor.
    pub method: Arc<MethodInfo>,
    /// One conversion per fixed parameter.
    pub convs: Vec<Conv>,
    /// For a varargs call: the conversions of the trailing arguments packed into the array.
    pub varargs: Option<Vec<Conv>>,
    /// The total cost (for tests and diagnostics).
    pub cost: u64,
}

const MAX_DISTANCE: u64 = 100_000_000;

/// A cost function: the cost of passing an argument to a parameter, and its conversion.
type CostFn = fn(&Cx, &Arc<ClassInfo>, &ArgClass) -> Option<(u64, Conv)>;

fn rank(t: JType) -> i64 {
    match t {
        JType::Byte => 0,
        JType::Short => 1,
        JType::Int => 2,
        JType::Long => 3,
        _ => -1,
    }
}

/// Py4J's cost of passing an argument of class `arg` to a parameter of class `param`.
pub fn arg_cost(cx: &Cx, param: &Arc<ClassInfo>, arg: &ArgClass) -> Option<(u64, Conv)> {
    let Some(arg) = arg else {
        if param.is_primitive() {
            return None;
        }
        // Py4J: |MAX_DISTANCE - distance(Object <- param)|; an interface has no path to Object.
        let object = cx.class_by_name("java.lang.Object").ok()?;
        return Some(match object.distance_from(param) {
            Some(d) => (MAX_DISTANCE - u64::from(d), Conv::Same),
            None => (MAX_DISTANCE + 1, Conv::Same),
        });
    };
    if !param.is_primitive()
        && cx
            .env
            .is_assignable_from(arg.class.local(), param.class.local())
    {
        return Some((u64::from(param.distance_from(arg).unwrap_or(0)), Conv::Same));
    }
    if let (Some(p), Some(a)) = (param.numeric(), arg.numeric()) {
        return numeric_cost(p, a);
    }
    if param.is_character() {
        if arg.is_character() {
            return Some((0, Conv::Same));
        }
        if arg.is_char_sequence {
            return Some((1, Conv::ToChar));
        }
        return None;
    }
    if param.is_boolean() && arg.is_boolean() {
        return Some((0, Conv::Same));
    }
    None
}

fn numeric_cost(p: JType, a: JType) -> Option<(u64, Conv)> {
    use JType::*;
    let diff = |p: JType, a: JType| (rank(p) - rank(a)).max(0) as u64;
    match (p, a) {
        (Long, Long) => Some((0, Conv::Same)),
        (Long, Byte | Short | Int) => Some((diff(p, a), Conv::ToLong)),
        (Int, Int | Short | Byte) => Some((diff(p, a), Conv::Same)),
        (Short, Short | Byte) => Some((diff(p, a), Conv::Same)),
        (Short, Int) => Some((1, Conv::ToShort)),
        (Byte, Byte) => Some((0, Conv::Same)),
        (Byte, Int) => Some((2, Conv::ToByte)),
        (Double, Double) => Some((0, Conv::Same)),
        (Double, Float) => Some((1, Conv::Same)),
        (Float, Float) => Some((0, Conv::Same)),
        (Float, Double) => Some((1, Conv::ToFloat)),
        _ => None,
    }
}

/// Phase two's extra conversions: a whole number to a floating-point parameter.
pub fn widened_cost(cx: &Cx, param: &Arc<ClassInfo>, arg: &ArgClass) -> Option<(u64, Conv)> {
    if let Some(found) = arg_cost(cx, param, arg) {
        return Some(found);
    }
    let a = arg.as_ref()?.numeric()?;
    let p = param.numeric()?;
    match (p, a) {
        (JType::Double, JType::Byte | JType::Short | JType::Int | JType::Long) => {
            Some((10, Conv::ToDouble))
        }
        (JType::Float, JType::Byte | JType::Short | JType::Int | JType::Long) => {
            Some((11, Conv::ToFloat))
        }
        _ => None,
    }
}

/// Whether the call is in phase two (where a list by value may become an array).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    One,
    Two,
}

fn cost_of(
    cx: &Cx,
    params: &[Arc<ClassInfo>],
    args: &[ArgClass],
    listy: &[ListElems],
    phase: Phase,
) -> Option<(u64, Vec<Conv>)> {
    let cost_fn: CostFn = match phase {
        Phase::One => arg_cost,
        Phase::Two => widened_cost,
    };
    let mut total = 0;
    let mut convs = Vec::with_capacity(params.len());
    for (i, (p, a)) in params.iter().zip(args).enumerate() {
        let (c, conv) = match cost_fn(cx, p, a) {
            Some(found) => found,
            None if phase == Phase::Two && p.is_array => match (listy.get(i), &p.component) {
                // An empty list fits any array.
                (Some(Some(None)), _) => (50, Conv::ToArray),
                (Some(Some(elems)), Some(component)) => {
                    let (ec, _) = widened_cost(cx, component, elems)?;
                    (50 + ec, Conv::ToArray)
                }
                _ => return None,
            },
            None => return None,
        };
        total += c;
        convs.push(conv);
    }
    Some((total, convs))
}

/// Whether Py4J's access filter keeps `m`, a member `declaring` declares.
fn accessible(cx: &Cx, declaring: &ClassInfo, m: &MethodInfo) -> bool {
    declaring.members_open(cx.env) || m.accessible(cx.env, cx.known)
}

/// Py4J's candidate methods named `name` with `arity` parameters, in Py4J's order.
fn py4j_candidates(
    cx: &Cx,
    class: &Arc<ClassInfo>,
    name: &str,
    arity: Option<usize>,
) -> JResult<Vec<Arc<MethodInfo>>> {
    let mut out = Vec::new();
    let mut c = Some(class.clone());
    while let Some(cls) = c {
        let mut push = |declaring: &ClassInfo, methods: Vec<Arc<MethodInfo>>| {
            for m in methods {
                if arity.is_none_or(|n| m.params.len() == n) && accessible(cx, declaring, &m) {
                    out.push(m);
                }
            }
        };
        push(&cls, cls.declared_named(cx, name)?);
        for i in &cls.interfaces {
            push(i, i.declared_named(cx, name)?);
        }
        c = cls.superclass.clone();
    }
    Ok(out)
}

/// Phase two's candidates: Py4J's, plus the public methods of every supertype, and every arity
/// (for varargs).
fn wide_candidates(cx: &Cx, class: &Arc<ClassInfo>, name: &str) -> JResult<Vec<Arc<MethodInfo>>> {
    let mut out = py4j_candidates(cx, class, name, None)?;
    let mut seen: Vec<*const ClassInfo> = Vec::new();
    let mut stack = vec![class.clone()];
    while let Some(cls) = stack.pop() {
        if seen.contains(&Arc::as_ptr(&cls)) {
            continue;
        }
        seen.push(Arc::as_ptr(&cls));
        for m in cls.declared_named(cx, name)? {
            if m.is_public && !out.iter().any(|o| Arc::ptr_eq(o, &m)) && accessible(cx, &cls, &m) {
                out.push(m);
            }
        }
        stack.extend(cls.interfaces.iter().cloned());
        if let Some(s) = &cls.superclass {
            stack.push(s.clone());
        }
    }
    Ok(out)
}

/// Picks the cheapest candidate; the first zero-cost one wins at once, ties go to the first.
fn pick(
    cx: &Cx,
    candidates: &[Arc<MethodInfo>],
    args: &[ArgClass],
    listy: &[ListElems],
    phase: Phase,
) -> Option<Resolved> {
    let mut best: Option<Resolved> = None;
    for m in candidates {
        if m.params.len() != args.len() {
            continue;
        }
        let Some((cost, convs)) = cost_of(cx, &m.params, args, listy, phase) else {
            continue;
        };
        if best.as_ref().is_none_or(|b| cost < b.cost) {
            best = Some(Resolved {
                method: m.clone(),
                convs,
                varargs: None,
                cost,
            });
            if cost == 0 {
                break;
            }
        }
    }
    best
}

/// Varargs: the fixed parameters, then every trailing argument against the array's component.
fn pick_varargs(
    cx: &Cx,
    candidates: &[Arc<MethodInfo>],
    args: &[ArgClass],
    listy: &[ListElems],
) -> Option<Resolved> {
    let mut best: Option<Resolved> = None;
    for m in candidates.iter().filter(|m| m.is_varargs) {
        let fixed = m.params.len() - 1;
        if args.len() < fixed {
            continue;
        }
        let component = m.params[fixed].component.clone()?;
        let Some((mut cost, convs)) =
            cost_of(cx, &m.params[..fixed], &args[..fixed], listy, Phase::Two)
        else {
            continue;
        };
        let mut tail = Vec::new();
        let mut ok = true;
        for a in &args[fixed..] {
            match widened_cost(cx, &component, a) {
                Some((c, conv)) => {
                    cost += c;
                    tail.push(conv);
                }
                None => {
                    ok = false;
                    break;
                }
            }
        }
        // Packing costs more than any direct match, so a real array argument wins.
        cost += 1000;
        if ok && best.as_ref().is_none_or(|b| cost < b.cost) {
            best = Some(Resolved {
                method: m.clone(),
                convs,
                varargs: Some(tail),
                cost,
            });
        }
    }
    best
}

/// Resolves a method call on `class` (cached).
pub fn resolve_method(
    cx: &Cx,
    class: &Arc<ClassInfo>,
    name: &str,
    args: &[ArgClass],
    listy: &[ListElems],
) -> JResult<Option<Arc<Resolved>>> {
    let key = arg_key(args, listy);
    if let Some(r) = class.dispatch.get(name, &key) {
        return Ok(Some(r));
    }
    let phase_one = py4j_candidates(cx, class, name, Some(args.len()))?;
    let mut found = pick(cx, &phase_one, args, listy, Phase::One);
    if found.is_none() {
        let wide = wide_candidates(cx, class, name)?;
        found = pick(cx, &wide, args, listy, Phase::Two)
            .or_else(|| pick_varargs(cx, &wide, args, listy));
    }
    Ok(found.map(|r| {
        let r = Arc::new(r);
        class.dispatch.insert(name, key, r.clone());
        r
    }))
}

/// Resolves a constructor of `class` (cached under the name `<init>`).
pub fn resolve_constructor(
    cx: &Cx,
    class: &Arc<ClassInfo>,
    args: &[ArgClass],
    listy: &[ListElems],
) -> JResult<Option<Arc<Resolved>>> {
    let key = arg_key(args, listy);
    if let Some(r) = class.dispatch.get("<init>", &key) {
        return Ok(Some(r));
    }
    let all = class.constructors(cx)?;
    let accessible: Vec<_> = all
        .iter()
        .filter(|m| accessible(cx, class, m))
        .cloned()
        .collect();
    let mut found = pick(cx, &accessible, args, listy, Phase::One);
    if found.is_none() {
        found = pick(cx, &accessible, args, listy, Phase::Two)
            .or_else(|| pick_varargs(cx, &accessible, args, listy));
    }
    Ok(found.map(|r| {
        let r = Arc::new(r);
        class.dispatch.insert("<init>", key, r.clone());
        r
    }))
}
