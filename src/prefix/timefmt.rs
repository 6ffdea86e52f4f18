//! `!{timestamp:PATTERN}`: Java DateTimeFormatter patterns, evaluated as Java 17 formats them in
//! the zone `UTC` with Locale.US (Firehose documents UTC and Java DateTimeFormatter; the locale of
//! its JVM is not documented: US English is assumed, which decides names and the week fields
//! `Y w W e c`). Every letter Java knows is evaluated: checked against Java's own output in
//! `tests/java_time_patterns.tsv` (boundary dates: year and week-year ends, quarters, noon and
//! midnight, before the epoch). Text in single quotes is literal, `''` is a quote, `[` and `]`
//! (optional sections, always present here) are dropped. A letter Java refuses, or a count it
//! refuses, is an error naming it: Firehose's formatter would refuse the prefix too.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

/// A pattern Java's DateTimeFormatter refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
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
const QUARTERS: [&str; 4] = ["1st quarter", "2nd quarter", "3rd quarter", "4th quarter"];

/// One piece of a parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Field(char, usize),
}

/// Parses a pattern into literals and fields (a letter and how many times it is repeated).
fn parse(pattern: &str) -> Result<Vec<Piece>, Invalid> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            if chars.get(i + 1) == Some(&'\'') {
                literal.push('\'');
                i += 2;
                continue;
            }
            i += 1;
            let mut closed = false;
            while i < chars.len() {
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        literal.push('\'');
                        i += 2;
                        continue;
                    }
                    closed = true;
                    break;
                }
                literal.push(chars[i]);
                i += 1;
            }
            if !closed {
                return Err(Invalid(format!("the pattern {pattern:?} has an unclosed quote")));
            }
            i += 1;
            continue;
        }
        if matches!(c, '{' | '}' | '#') {
            return Err(Invalid(format!("`{c}` is reserved in Java's DateTimeFormatter patterns")));
        }
        if matches!(c, '[' | ']') {
            i += 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            literal.push(c);
            i += 1;
            continue;
        }
        let mut n = 1;
        while chars.get(i + n) == Some(&c) {
            n += 1;
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(std::mem::take(&mut literal)));
        }
        pieces.push(Piece::Field(c, n));
        i += n;
    }
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal));
    }
    Ok(pieces)
}

/// Checks a pattern without formatting anything: what Firehose's formatter would refuse.
pub fn check(pattern: &str) -> Result<(), Invalid> {
    let at = DateTime::UNIX_EPOCH;
    for piece in parse(pattern)? {
        if let Piece::Field(c, n) = piece {
            field(c, n, at)?;
        }
    }
    Ok(())
}

/// Formats `at` (UTC) with a DateTimeFormatter pattern.
///
/// ```
/// use provision::prefix::timefmt::format;
/// let at = chrono::DateTime::from_timestamp(1565382027, 0).unwrap();
/// assert_eq!(format("yyyy/MM/dd/HH", at).unwrap(), "2019/08/09/20");
/// assert_eq!(format("'year='yyyy'/month='MM", at).unwrap(), "year=2019/month=08");
/// ```
pub fn format(pattern: &str, at: DateTime<Utc>) -> Result<String, Invalid> {
    let mut out = String::new();
    for piece in parse(pattern)? {
        match piece {
            Piece::Literal(text) => out.push_str(&text),
            Piece::Field(c, n) => out.push_str(&field(c, n, at)?),
        }
    }
    Ok(out)
}

fn pad(value: i64, width: usize) -> String {
    if value < 0 {
        format!("-{:0width$}", -value)
    } else {
        format!("{value:0width$}")
    }
}

/// A number: one letter gives the fewest digits, more letters zero-pad to their count, up to `max`.
fn number(c: char, n: usize, max: usize, value: i64) -> Result<String, Invalid> {
    if n > max {
        return Err(too_many(c, n));
    }
    Ok(if n == 1 { value.to_string() } else { pad(value, n) })
}

/// A year: two letters give the last two digits, otherwise at least `n` digits (Java's
/// `SignStyle.EXCEEDS_PAD`: a sign when the year has more digits than the width, from 4 on).
fn year(n: usize, value: i64) -> String {
    match n {
        2 => pad(value.rem_euclid(100), 2),
        _ if n >= 4 && value.abs().to_string().len() > n => format!("+{value}"),
        _ => pad(value, n),
    }
}

/// Text in its short (1 to 3 letters), full (4) or narrow (5) form.
fn text(c: char, n: usize, full: &str, short: &str) -> Result<String, Invalid> {
    Ok(match n {
        1..=3 => short.to_string(),
        4 => full.to_string(),
        5 => full.chars().next().map(String::from).unwrap_or_default(),
        _ => return Err(too_many(c, n)),
    })
}

fn too_many(c: char, n: usize) -> Invalid {
    Invalid(format!("Java's DateTimeFormatter refuses `{}` ({n} times the letter `{c}`)", c.to_string().repeat(n)))
}

/// Sunday = 0 ... Saturday = 6 (Locale.US starts weeks on Sunday).
fn from_sunday(date: NaiveDate) -> i64 {
    i64::from(date.weekday().num_days_from_sunday())
}

/// Locale.US week fields (weeks start on Sunday; week 1 holds January 1st): the week-based year
/// and the week of it.
fn us_week(date: NaiveDate) -> (i64, i64) {
    let start =
        |year: i32| NaiveDate::from_ymd_opt(year, 1, 1).map(|jan1| jan1 - chrono::Duration::days(from_sunday(jan1)));
    let year = date.year();
    let (wby, first) = match (start(year), start(year + 1)) {
        (_, Some(next)) if date >= next => (year + 1, next),
        (Some(this), _) => (year, this),
        _ => (year, date),
    };
    (i64::from(wby), (date - first).num_days() / 7 + 1)
}

/// CLDR's day periods for English, as Java 17 names them (`B`).
fn day_period(at: DateTime<Utc>, narrow: bool) -> &'static str {
    match (at.hour(), at.minute()) {
        (0, 0) => {
            if narrow {
                "mi"
            } else {
                "midnight"
            }
        }
        (12, 0) => {
            if narrow {
                "n"
            } else {
                "noon"
            }
        }
        (6..=11, _) => "in the morning",
        (12..=17, _) => "in the afternoon",
        (18..=20, _) => "in the evening",
        _ => "at night",
    }
}

fn field(c: char, n: usize, at: DateTime<Utc>) -> Result<String, Invalid> {
    let date = at.date_naive();
    let nanos = i64::from(at.nanosecond() % 1_000_000_000);
    let seconds_of_day = i64::from(at.num_seconds_from_midnight());
    Ok(match c {
        'G' => text(c, n, "Anno Domini", "AD").map(|t| {
            if date.year() <= 0 {
                t.replace("AD", "BC").replace("Anno Domini", "Before Christ")
            } else {
                t
            }
        })?,
        'u' => year(n, i64::from(date.year())),
        'y' => year(n, i64::from(if date.year() <= 0 { 1 - date.year() } else { date.year() })),
        'Y' => year(n, us_week(date).0),
        'D' => match n {
            1 => date.ordinal().to_string(),
            2 => pad(i64::from(date.ordinal()), 2),
            3 => pad(i64::from(date.ordinal()), 3),
            _ => return Err(too_many(c, n)),
        },
        'M' | 'L' => {
            let month = MONTHS[date.month0() as usize];
            match n {
                1 | 2 => number(c, n, 2, i64::from(date.month()))?,
                _ => text(c, n, month, &month[..3])?,
            }
        }
        'd' => number(c, n, 2, i64::from(date.day()))?,
        'Q' | 'q' => {
            let quarter = i64::from(date.month0() / 3 + 1);
            match n {
                1 | 2 => number(c, n, 2, quarter)?,
                3 => format!("Q{quarter}"),
                4 => QUARTERS[(quarter - 1) as usize].to_string(),
                5 => quarter.to_string(),
                _ => return Err(too_many(c, n)),
            }
        }
        'w' => number(c, n, 2, us_week(date).1)?,
        'W' => {
            let first = date.with_day(1).unwrap_or(date);
            let week = (i64::from(date.day()) + from_sunday(first) - 1) / 7 + 1;
            number(c, n, 1, week)?
        }
        'E' => {
            let day = DAYS[date.weekday().num_days_from_monday() as usize];
            text(c, n, day, &day[..3])?
        }
        'e' | 'c' => {
            let local = from_sunday(date) + 1;
            let day = DAYS[date.weekday().num_days_from_monday() as usize];
            match (c, n) {
                ('e', 1 | 2) | ('c', 1) => number(c, n, 2, local)?,
                ('c', 2) => return Err(too_many(c, n)),
                _ => text(c, n, day, &day[..3])?,
            }
        }
        // Java 17's `F`: ALIGNED_DAY_OF_WEEK_IN_MONTH.
        'F' => number(c, n, 1, (i64::from(date.day()) - 1) % 7 + 1)?,
        'a' if n == 1 => (if at.hour() < 12 { "AM" } else { "PM" }).to_string(),
        'B' => match n {
            1 | 4 => day_period(at, false).to_string(),
            5 => day_period(at, true).to_string(),
            _ => return Err(too_many(c, n)),
        },
        'h' => number(c, n, 2, i64::from(if at.hour() % 12 == 0 { 12 } else { at.hour() % 12 }))?,
        'K' => number(c, n, 2, i64::from(at.hour() % 12))?,
        'k' => number(c, n, 2, i64::from(if at.hour() == 0 { 24 } else { at.hour() }))?,
        'H' => number(c, n, 2, i64::from(at.hour()))?,
        'm' => number(c, n, 2, i64::from(at.minute()))?,
        's' => number(c, n, 2, i64::from(at.second()))?,
        'S' => format!("{nanos:09}").chars().chain(std::iter::repeat('0')).take(n).collect(),
        'A' => number(c, n, 19, seconds_of_day * 1000 + nanos / 1_000_000)?,
        'n' => number(c, n, 19, nanos)?,
        'N' => number(c, n, 19, seconds_of_day * 1_000_000_000 + nanos)?,
        // The modified Julian day: days since 1858-11-17.
        'g' => {
            let epoch = NaiveDate::from_ymd_opt(1858, 11, 17).unwrap_or(date);
            number(c, n, 19, (date - epoch).num_days())?
        }
        // The zone is UTC, its offset 0.
        'V' if n == 2 => "UTC".into(),
        'v' if n == 1 => "UTC".into(),
        'v' if n == 4 => "Coordinated Universal Time".into(),
        'z' if n <= 3 => "UTC".into(),
        'z' if n == 4 => "Coordinated Universal Time".into(),
        'O' if n == 1 || n == 4 => "GMT".into(),
        'X' if n <= 5 => "Z".into(),
        'x' => match n {
            1 => "+00".into(),
            2 | 4 => "+0000".into(),
            3 | 5 => "+00:00".into(),
            _ => return Err(too_many(c, n)),
        },
        'Z' => match n {
            1..=3 => "+0000".into(),
            4 => "GMT".into(),
            5 => "Z".into(),
            _ => return Err(too_many(c, n)),
        },
        c if matches!(c, 'a' | 'V' | 'v' | 'z' | 'O' | 'X') => return Err(too_many(c, n)),
        other => return Err(Invalid(format!("`{other}` is not a pattern letter of Java's DateTimeFormatter"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_letter_formats_as_java_17_formats_it() {
        let golden = include_str!("../../tests/java_time_patterns.tsv");
        let mut checked = 0;
        let mut wrong = Vec::new();
        for line in golden.lines() {
            let cols: Vec<&str> = line.split('\t').collect();
            let (secs, nanos, pattern, want) = (cols[0], cols[1], cols[2], cols[3]);
            let at = DateTime::from_timestamp(secs.parse().unwrap(), nanos.parse().unwrap()).unwrap();
            let got = format(pattern, at);
            let ok = match (want, &got) {
                ("ERROR", Err(_)) => true,
                (want, Ok(got)) => want == got,
                _ => false,
            };
            if !ok {
                wrong.push(format!("{at} {pattern:?}: Java {want:?}, provision {got:?}"));
            }
            checked += 1;
        }
        assert!(wrong.is_empty(), "{} of {checked} differ:\n{}", wrong.len(), wrong.join("\n"));
        assert!(checked > 4000);
    }

    #[test]
    fn literals_quotes_and_sections() {
        let at = DateTime::from_timestamp(1565382027, 123_000_000).unwrap();
        assert_eq!(format("'it''s' yyyy", at).unwrap(), "it's 2019");
        assert_eq!(format("''yyyy''", at).unwrap(), "'2019'");
        assert_eq!(format("yyyy[-MM]", at).unwrap(), "2019-08");
        assert!(format("yyyy'", at).is_err());
        assert!(format("yyyy#", at).is_err());
        assert!(check("yyyy/MM").is_ok() && check("bb").is_err());
    }
}
