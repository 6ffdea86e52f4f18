//! `!{timestamp:PATTERN}`: Java DateTimeFormatter patterns, evaluated in UTC as Firehose does
//! (without a custom time zone). Text in single quotes is literal, `''` is a quote; letters are
//! fields, repeated for width. The common fields are supported; others are reported, not guessed.

use chrono::{DateTime, Datelike, Timelike, Utc};

/// A pattern letter preview does not evaluate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported(pub char);

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the timestamp pattern letter `{}` is not evaluated by preview", self.0)
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// Formats `at` (UTC) with a DateTimeFormatter pattern.
///
/// ```
/// use provision::datapath::timefmt::format;
/// let at = chrono::DateTime::from_timestamp(1565382027, 0).unwrap();
/// assert_eq!(format("yyyy/MM/dd/HH", at).unwrap(), "2019/08/09/20");
/// assert_eq!(format("'year='yyyy'/month='MM", at).unwrap(), "year=2019/month=08");
/// ```
pub fn format(pattern: &str, at: DateTime<Utc>) -> Result<String, Unsupported> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // '' is a literal quote; otherwise text up to the closing quote.
            if chars.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            i += 1;
            while i < chars.len() {
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        out.push('\'');
                        i += 2;
                        continue;
                    }
                    break;
                }
                out.push(chars[i]);
                i += 1;
            }
            i += 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let mut n = 1;
        while chars.get(i + n) == Some(&c) {
            n += 1;
        }
        i += n;
        out.push_str(&field(c, n, at)?);
    }
    Ok(out)
}

fn pad(value: i64, width: usize) -> String {
    format!("{value:0width$}")
}

fn field(c: char, n: usize, at: DateTime<Utc>) -> Result<String, Unsupported> {
    Ok(match c {
        'y' | 'u' => {
            if n == 2 {
                pad(i64::from(at.year()).rem_euclid(100), 2)
            } else {
                pad(i64::from(at.year()), n)
            }
        }
        'M' | 'L' => match n {
            1 | 2 => pad(i64::from(at.month()), n),
            3 => MONTHS[at.month0() as usize][..3].to_string(),
            _ => MONTHS[at.month0() as usize].to_string(),
        },
        'd' => pad(i64::from(at.day()), n),
        'D' => pad(i64::from(at.ordinal()), n),
        'H' => pad(i64::from(at.hour()), n),
        'k' => pad(i64::from(if at.hour() == 0 { 24 } else { at.hour() }), n),
        'K' => pad(i64::from(at.hour() % 12), n),
        'h' => pad(i64::from(if at.hour() % 12 == 0 { 12 } else { at.hour() % 12 }), n),
        'm' => pad(i64::from(at.minute()), n),
        's' => pad(i64::from(at.second()), n),
        'S' => {
            let nanos = format!("{:09}", at.nanosecond() % 1_000_000_000);
            nanos.chars().chain(std::iter::repeat('0')).take(n).collect()
        }
        'a' => (if at.hour() < 12 { "AM" } else { "PM" }).to_string(),
        'E' => {
            let day = DAYS[at.weekday().num_days_from_monday() as usize];
            if n >= 4 {
                day.to_string()
            } else {
                day[..3].to_string()
            }
        }
        'e' => pad(i64::from(at.weekday().number_from_monday()), n),
        'w' => pad(i64::from(at.iso_week().week()), n),
        'Y' => pad(i64::from(at.iso_week().year()), n),
        other => return Err(Unsupported(other)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        // 2019-08-09T20:20:27.123Z, a Friday.
        DateTime::from_timestamp(1565382027, 123_000_000).unwrap()
    }

    #[test]
    fn fields_widths_and_literals() {
        assert_eq!(format("yyyy-MM-dd HH:mm:ss", at()).unwrap(), "2019-08-09 20:20:27");
        assert_eq!(format("yy/M/d/H", at()).unwrap(), "19/8/9/20");
        assert_eq!(format("MMM MMMM EEE EEEE", at()).unwrap(), "Aug August Fri Friday");
        assert_eq!(format("DDD hh a SSS", at()).unwrap(), "221 08 PM 123");
        assert_eq!(format("'it''s' yyyy", at()).unwrap(), "it's 2019");
        assert_eq!(format("''yyyy''", at()).unwrap(), "'2019'");
    }

    #[test]
    fn unsupported_letters_are_reported() {
        assert_eq!(format("yyyy G", at()), Err(Unsupported('G')));
    }
}
