//! How jq 1.6 prints values (`jv_dump_term` and `jvp_dtoa_fmt` in jq 1.6's jv_print.c and
//! jv_dtoa.c): every number is a double printed with the fewest digits that read back the same,
//! as an integer when that takes at most 17 digits plus 15 zeros, else with an exponent of at
//! least two digits (`1e+17`, `1e-05`); infinities print as the largest double, NaN as `null`.
//! Strings are escaped as jq 1.6 escapes them: `"`, `\`, the named controls, other controls and
//! DEL as `\u00XX`; everything else as is.

use jaq_json::{Num, Val};

/// A jaq number as the double jq 1.6 would hold.
pub fn as_f64(n: &Num) -> f64 {
    match n {
        Num::Float(f) => *f,
        Num::Int(i) => *i as f64,
        other => other.to_string().parse().unwrap_or(f64::NAN),
    }
}

/// A number as jq 1.6 prints it.
///
/// ```
/// use provision::jq::print::number;
/// assert_eq!(number(1.0), "1");
/// assert_eq!(number(12345678901234567890.0), "12345678901234567000");
/// assert_eq!(number(1e17), "1e+17");
/// assert_eq!(number(1e-5), "1e-05");
/// assert_eq!(number(f64::INFINITY), "1.7976931348623157e+308");
/// assert_eq!(number(f64::NAN), "null");
/// ```
pub fn number(x: f64) -> String {
    if x.is_nan() {
        return "null".into();
    }
    let x = x.clamp(-f64::MAX, f64::MAX);
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // Rust's `{:e}` gives the shortest digits that round-trip, as David Gay's mode 0 does; when
    // 17 digits are needed, two candidates may round-trip, and mode 0 takes the correctly
    // rounded one (`{:.16e}`, exact, ties to even).
    let mut shortest = format!("{:e}", x.abs());
    if shortest.split('e').next().is_some_and(|m| m.chars().filter(char::is_ascii_digit).count() >= 17) {
        shortest = format!("{:.16e}", x.abs());
    }
    let (mantissa, exponent) = shortest.split_once('e').unwrap_or((&shortest, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let n = digits.len() as i32;
    // The decimal point's place counted from the first digit (g_fmt's `decpt`).
    let decpt = exponent + 1;
    let mut out = String::with_capacity(24);
    if x < 0.0 {
        out.push('-');
    }
    if decpt <= -4 || decpt > n + 15 {
        out.push_str(&digits[..1]);
        if n > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let e = decpt - 1;
        out.push_str(&format!("e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs()));
    } else if decpt <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-decpt) as usize));
        out.push_str(&digits);
    } else if decpt >= n {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (decpt - n) as usize));
    } else {
        out.push_str(&digits[..decpt as usize]);
        out.push('.');
        out.push_str(&digits[decpt as usize..]);
    }
    out
}

/// A string as jq 1.6 writes it in JSON, quotes included.
pub fn string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A value as jq 1.6's `tojson` writes it (compact).
pub fn json(v: &Val) -> String {
    let mut out = String::new();
    write_json(v, &mut out);
    out
}

fn write_json(v: &Val, out: &mut String) {
    match v {
        Val::Null => out.push_str("null"),
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::Num(n) => out.push_str(&number(as_f64(n))),
        Val::TStr(b) | Val::BStr(b) => string(&String::from_utf8_lossy(b), out),
        Val::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Val::Obj(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                match k {
                    Val::TStr(b) | Val::BStr(b) => string(&String::from_utf8_lossy(b), out),
                    other => string(&json(other), out),
                }
                out.push(':');
                write_json(item, out);
            }
            out.push('}');
        }
    }
}

/// A value as jq 1.6's `tostring` gives it: a string as is, anything else as its JSON.
pub fn text(v: &Val) -> String {
    match v {
        Val::TStr(b) | Val::BStr(b) => String::from_utf8_lossy(b).into_owned(),
        other => json(other),
    }
}

/// jq 1.6's type names.
pub fn type_name(v: &Val) -> &'static str {
    match v {
        Val::Null => "null",
        Val::Bool(_) => "boolean",
        Val::Num(_) => "number",
        Val::TStr(_) | Val::BStr(_) => "string",
        Val::Arr(_) => "array",
        Val::Obj(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_jq_1_6_prints_them() {
        // Each pair checked against /usr/bin/jq 1.6 (`jq -nc '[...]'`).
        let cases = [
            (1.0, "1"),
            (3.0, "3"),
            (1e17, "1e+17"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000"),
            (123456789012345678.0, "123456789012345680"),
            (12345678901234567890.0, "12345678901234567000"),
            (1e-4, "0.0001"),
            (1e-5, "1e-05"),
            (1.5e300, "1.5e+300"),
            (f64::INFINITY, "1.7976931348623157e+308"),
            (f64::NEG_INFINITY, "-1.7976931348623157e+308"),
            (-0.0, "-0"),
            (100.0, "100"),
            (5e-324, "5e-324"),
            (0.1, "0.1"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1565382027.5, "1565382027.5"),
            (121_444_068_463_805.62, "121444068463805.62"),
            (-12.25, "-12.25"),
        ];
        for (x, want) in cases {
            assert_eq!(number(x), want, "{x:e}");
        }
    }

    #[test]
    fn strings_escape_as_jq_1_6_does() {
        let mut out = String::new();
        string("a\"\\\u{7f}\u{1}\n\té\u{2028}/", &mut out);
        assert_eq!(out, "\"a\\\"\\\\\\u007f\\u0001\\n\\té\u{2028}/\"");
    }
}
