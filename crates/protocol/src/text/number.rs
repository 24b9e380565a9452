//! Number formats: Java's `Double.toString` / `Float.toString` layout and Python's `repr(float)`.
//!
//! Rust's `{:e}` formatting gives the shortest digits that round-trip; the functions here only lay
//! those digits out the way each language does.

/// Shortest round-trip digits and decimal exponent of a finite, non-zero value, from its `{:e}`
/// text: `1.2345e-5` -> (`"12345"`, -5).
fn digits_and_exponent(sci: &str) -> (String, i32) {
    let sci = sci.trim_start_matches('-');
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    (digits.to_owned(), exp.parse().unwrap_or(0))
}

/// The spellings both languages share here: NaN, the infinities (as Java spells them) and the
/// zeros. `None` for a finite, non-zero value.
fn special(nan: bool, infinite: bool, zero: bool, negative: bool) -> Option<&'static str> {
    Some(match (nan, infinite, zero, negative) {
        (true, ..) => "NaN",
        (_, true, _, false) => "Infinity",
        (_, true, _, true) => "-Infinity",
        (_, _, true, false) => "0.0",
        (_, _, true, true) => "-0.0",
        _ => return None,
    })
}

/// Digits laid out plainly: `123.45`, `0.00123`, `1200.0` (at least one digit after the point).
fn plain(digits: &str, exp: i32, out: &mut String) {
    if exp >= 0 {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(digits);
            out.extend(std::iter::repeat_n('0', int_len - digits.len()));
            out.push_str(".0");
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
        out.push_str(digits);
    }
}

/// Lays digits out as Java does: plain between 10^-3 and 10^7, else `d.dddE<exp>`.
fn java_layout(negative: bool, digits: &str, exp: i32) -> String {
    let mut out = String::with_capacity(24);
    if negative {
        out.push('-');
    }
    if (-3..7).contains(&exp) {
        plain(digits, exp, &mut out);
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        out.push_str(if digits.len() > 1 { &digits[1..] } else { "0" });
        out.push('E');
        out.push_str(&exp.to_string());
    }
    out
}

/// `Double.toString(v)`: `1.0`, `1.0E-5`, `1.0E10`, `NaN`, `-Infinity`, `-0.0`.
pub fn format_java_double(v: f64) -> String {
    if let Some(s) = special(v.is_nan(), v.is_infinite(), v == 0.0, v.is_sign_negative()) {
        return s.into();
    }
    let (digits, exp) = digits_and_exponent(&format!("{v:e}"));
    java_layout(v < 0.0, &digits, exp)
}

/// `Float.toString(v)`, with the shortest digits of the `f32`.
pub fn format_java_float(v: f32) -> String {
    if let Some(s) = special(v.is_nan(), v.is_infinite(), v == 0.0, v.is_sign_negative()) {
        return s.into();
    }
    let (digits, exp) = digits_and_exponent(&format!("{v:e}"));
    java_layout(v < 0.0, &digits, exp)
}

/// py4j's `encode_float`: Python's `repr(v)`, with infinities and NaN spelled as Java spells them.
pub fn format_python_float(v: f64) -> String {
    if let Some(s) = special(v.is_nan(), v.is_infinite(), v == 0.0, v.is_sign_negative()) {
        return s.into();
    }
    let (digits, exp) = digits_and_exponent(&format!("{v:e}"));
    let mut out = String::with_capacity(24);
    if v < 0.0 {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        plain(&digits, exp, &mut out);
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let a = exp.unsigned_abs();
        if a < 10 {
            out.push('0');
        }
        out.push_str(&a.to_string());
    }
    out
}

/// Parses a double as Java's `Double.parseDouble` does for the decimal forms: surrounding
/// whitespace, an optional sign, `NaN`, `Infinity`, digits with an optional fraction and exponent,
/// and an optional `f`/`F`/`d`/`D` suffix. Hexadecimal floats are not accepted.
pub fn parse_java_double(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let magnitude = match body {
        "NaN" => return Some(f64::NAN),
        "Infinity" => f64::INFINITY,
        _ => {
            let body = body.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(body);
            let mut seen_digit = false;
            let mut seen_exp = false;
            let mut prev = b' ';
            for &b in body.as_bytes() {
                match b {
                    b'0'..=b'9' => seen_digit = true,
                    b'.' if !seen_exp => {}
                    b'e' | b'E' if seen_digit && !seen_exp => seen_exp = true,
                    b'+' | b'-' if matches!(prev, b'e' | b'E') => {}
                    _ => return None,
                }
                prev = b;
            }
            if !seen_digit {
                return None;
            }
            body.parse::<f64>().ok()?
        }
    };
    Some(if neg { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_double_layout() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1.0"),
            (1.5, "1.5"),
            (100.0, "100.0"),
            (1e-5, "1.0E-5"),
            (1e10, "1.0E10"),
            (1234567.0, "1234567.0"),
            (12345678.0, "1.2345678E7"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (-2.5e-7, "-2.5E-7"),
            (f64::MAX, "1.7976931348623157E308"),
            (f64::MIN_POSITIVE, "2.2250738585072014E-308"),
            (0.1, "0.1"),
            (-0.0, "-0.0"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (v, want) in cases {
            assert_eq!(format_java_double(*v), *want, "{v}");
        }
    }

    #[test]
    fn java_float_uses_float_digits() {
        assert_eq!(format_java_float(0.1), "0.1");
        assert_eq!(format_java_float(1.0e10), "1.0E10");
        assert_eq!(format_java_float(3.4028235e38), "3.4028235E38");
    }

    #[test]
    fn python_repr_layout() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (1e15, "1000000000000000.0"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1.5e-300, "1.5e-300"),
            (-123.456, "-123.456"),
            (f64::INFINITY, "Infinity"),
        ];
        for (v, want) in cases {
            assert_eq!(format_python_float(*v), *want, "{v}");
        }
    }

    #[test]
    fn java_parse() {
        assert_eq!(parse_java_double("1.5"), Some(1.5));
        assert_eq!(parse_java_double(" 1e+16 "), Some(1e16));
        assert_eq!(parse_java_double("-Infinity"), Some(f64::NEG_INFINITY));
        assert!(parse_java_double("NaN").unwrap().is_nan());
        assert_eq!(parse_java_double("2d"), Some(2.0));
        assert_eq!(parse_java_double(".5"), Some(0.5));
        assert_eq!(parse_java_double("inf"), None);
        assert_eq!(parse_java_double("nan"), None);
        assert_eq!(parse_java_double(""), None);
        assert_eq!(parse_java_double("1e"), None);
        assert_eq!(parse_java_double("abc"), None);
    }
}
