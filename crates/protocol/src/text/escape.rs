//! String escaping: `\` -> `\\`, CR -> `\r`, LF -> `\n`; nothing else.

/// Appends `s` escaped to `out`.
pub fn escape_into(s: &str, out: &mut Vec<u8>) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let rep: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(rep);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Unescapes as Py4J's Java side does: a backslash takes the next character literally, except
/// that `n` and `r` become LF and CR. A trailing lone backslash is kept.
pub fn unescape_java(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Unescapes as py4j's Python side does: `\\` becomes `\`, `\n` and `\r` become LF and CR, and any
/// other backslash pair is kept as it is.
pub fn unescape_python(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('\\') => {
                chars.next();
                out.push('\\');
            }
            Some('n') => {
                chars.next();
                out.push('\n');
            }
            Some('r') => {
                chars.next();
                out.push('\r');
            }
            _ => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str) -> String {
        let mut v = Vec::new();
        escape_into(s, &mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn escapes_only_backslash_cr_lf() {
        assert_eq!(esc("\nhello\\world"), "\\nhello\\\\world");
        assert_eq!(esc("a\tb\rc"), "a\tb\\rc");
        assert_eq!(esc(""), "");
    }

    #[test]
    fn unescape_sides_agree_on_what_escape_emits() {
        for s in ["", "\\", "\\\\n", "a\nb\r\\c\\n", "é\n😀"] {
            assert_eq!(unescape_java(&esc(s)), s);
            assert_eq!(unescape_python(&esc(s)), s);
        }
    }

    #[test]
    fn unescape_sides_differ_on_foreign_escapes() {
        assert_eq!(unescape_java("a\\tb"), "atb");
        assert_eq!(unescape_python("a\\tb"), "a\\tb");
        assert_eq!(unescape_java("end\\"), "end\\");
        assert_eq!(unescape_python("end\\"), "end\\");
    }
}
