//! Help pages: a class's public methods, fields and member classes, as text.

use std::sync::Arc;

use crate::classes::{ClassInfo, Cx};
use crate::jni_raw::JResult;

fn type_name(c: &ClassInfo, short: bool) -> String {
    let full = c.source_name();
    if short {
        match full.rfind('.') {
            Some(i) if !c.is_primitive() => full[i + 1..].to_owned(),
            _ => full,
        }
    } else {
        full
    }
}

/// Whether `text` matches a help pattern: `*` is any run of characters, `?` at most one, and
/// the pattern is anchored at the start only.
fn matches(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => true,
            Some(('*', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some(('?', rest)) => go(rest, t) || (!t.is_empty() && go(rest, &t[1..])),
            Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    let p: Vec<char> = pattern.trim().chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t)
}

/// The help page of a class; `pattern` filters member signatures.
pub fn page(
    cx: &Cx,
    class: &Arc<ClassInfo>,
    pattern: Option<&str>,
    short: bool,
) -> JResult<String> {
    let keep = |sig: &str| pattern.is_none_or(|p| matches(p, sig));
    let (package, simple) = match class.name.rfind('.') {
        Some(i) => (&class.name[..i], &class.name[i + 1..]),
        None => ("", class.name.as_str()),
    };
    let mut out = format!("Help on class {simple} in package {package}:\n\n");
    let kind = if class.is_interface {
        "interface"
    } else {
        "class"
    };
    out.push_str(&format!("{kind} {}", type_name(class, short)));
    if let Some(s) = &class.superclass {
        out.push_str(&format!(" extends {}", type_name(s, short)));
    }
    if !class.interfaces.is_empty() {
        let names: Vec<String> = class
            .interfaces
            .iter()
            .map(|i| type_name(i, short))
            .collect();
        out.push_str(&format!(" implements {}", names.join(", ")));
    }
    out.push_str(" {\n|  \n|  Methods defined here:\n|  \n");
    let mut sigs: Vec<String> = class
        .declared_public_methods(cx)?
        .iter()
        .map(|m| {
            let params: Vec<String> = m.params.iter().map(|p| type_name(p, short)).collect();
            format!(
                "{}({}) : {}",
                m.name,
                params.join(", "),
                type_name(&m.ret, short)
            )
        })
        .filter(|s| keep(s))
        .collect();
    sigs.sort();
    sigs.dedup();
    for s in sigs {
        out.push_str(&format!("|  {s}\n|  \n"));
    }
    out.push_str("|  ------------------------------------------------------------\n");
    out.push_str("|  Fields defined here:\n|  \n");
    for name in cx.declared_public_field_names(class)? {
        if let Some(f) = class.field(cx, &name)? {
            let sig = format!("{} {}", type_name(&f.ty, short), f.name);
            if keep(&sig) {
                out.push_str(&format!("|  {sig}\n|  \n"));
            }
        }
    }
    out.push_str("|  ------------------------------------------------------------\n");
    out.push_str("|  Internal classes defined here:\n|  \n");
    for (name, _) in cx.member_classes(class)? {
        out.push_str(&format!("|  class {name}\n|  \n"));
    }
    out.push_str("}\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn patterns() {
        assert!(matches("append(*", "append(String) : StringBuilder"));
        assert!(!matches("append(*", "insert(int, String) : StringBuilder"));
        assert!(matches("*", "anything"));
        assert!(matches("len?th*", "length() : int"));
    }
}
