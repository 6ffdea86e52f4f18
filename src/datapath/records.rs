//! Records to preview or send: generated with the CDK sample's schema, or read from a JSON Lines
//! file one line at a time (never all in memory).

use chrono::{DateTime, Utc};
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

/// The largest record Firehose takes, before base64 (PutRecord's and PutRecordBatch's limit, B1).
pub const MAX_RECORD_BYTES: usize = 1000 * 1024;

/// A line still without its end after this many bytes is not a record of a JSON Lines file:
/// reading stops there (an endless input such as /dev/zero ends the run instead of holding it).
pub const MAX_LINE_SKIP: u64 = 64 * 1024 * 1024;

/// One record's data, and the line of the file it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub data: Vec<u8>,
    /// 1-based line number in a `--records` file; `None` for a generated record.
    pub line: Option<usize>,
    /// The line was longer than a record may be: its length (its data is not kept).
    pub oversize: Option<u64>,
}

impl Record {
    pub fn new(data: Vec<u8>, line: Option<usize>) -> Record {
        Record { data, line, oversize: None }
    }

    /// Why Firehose would refuse this record, if it would.
    pub fn refusal(&self) -> Option<String> {
        let size = self.oversize.or_else(|| (self.data.len() > MAX_RECORD_BYTES).then_some(self.data.len() as u64))?;
        let at = self.line.map(|l| format!("line {l}: ")).unwrap_or_default();
        Some(format!("{at}a record of {size} bytes or more is over Firehose's limit of 1,000 KiB (1,024,000 bytes)"))
    }
}

/// Devices, events and regions of the sample's generator.
pub const DEVICES: [&str; 3] = ["pc", "mobile", "tablet"];
pub const EVENTS: [&str; 5] = ["view", "click", "like", "share", "purchase"];
pub const REGIONS: [&str; 4] = ["us-east-1", "us-west-2", "eu-west-1", "ap-northeast-2"];

/// Records of the sample's schema: `type.device`, `type.event`, `customer_id`,
/// `event_timestamp` (epoch seconds within the hour before `at`) and `region`; the same seed
/// gives the same records.
pub struct Generated {
    rng: fastrand::Rng,
    at: i64,
    left: Option<u64>,
}

impl Generated {
    /// `count` records (`None`: without end).
    pub fn new(seed: u64, at: DateTime<Utc>, count: Option<u64>) -> Generated {
        Generated { rng: fastrand::Rng::with_seed(seed), at: at.timestamp(), left: count }
    }
}

impl Iterator for Generated {
    type Item = std::io::Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(left) = &mut self.left {
            if *left == 0 {
                return None;
            }
            *left -= 1;
        }
        let device = DEVICES[self.rng.usize(..DEVICES.len())];
        let event = EVENTS[self.rng.usize(..EVENTS.len())];
        let region = REGIONS[self.rng.usize(..REGIONS.len())];
        let customer = self.rng.u64(100_000_000_000..1_000_000_000_000);
        let timestamp = self.at - self.rng.i64(0..3600);
        let data = format!(
            "{{\"type\":{{\"device\":\"{device}\",\"event\":\"{event}\"}},\"customer_id\":\"{customer}\",\"event_timestamp\":{timestamp},\"region\":\"{region}\"}}"
        );
        Some(Ok(Record::new(data.into_bytes(), None)))
    }
}

/// The records of a JSON Lines file: each non-empty line is one record's data, as written.
/// A line is read up to Firehose's record limit and no further: a longer one becomes a record
/// Firehose would refuse (its length kept, its bytes skipped), and one with no end within
/// [`MAX_LINE_SKIP`] ends the reading with an error.
pub struct Lines {
    reader: std::io::BufReader<Box<dyn std::io::Read + Send>>,
    line: usize,
    path: PathBuf,
    done: bool,
}

impl std::fmt::Debug for Lines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lines").field("path", &self.path).field("line", &self.line).finish()
    }
}

impl Lines {
    pub fn open(path: &Path) -> std::io::Result<Lines> {
        let file = std::fs::File::open(path)
            .map_err(|e| std::io::Error::new(e.kind(), format!("cannot read {}: {e}", path.display())))?;
        Ok(Lines::from_reader(Box::new(file), path))
    }

    /// Lines of any reader (`path` names it in messages).
    pub fn from_reader(reader: Box<dyn std::io::Read + Send>, path: &Path) -> Lines {
        Lines { reader: std::io::BufReader::new(reader), line: 0, path: path.to_path_buf(), done: false }
    }

    fn error(&self, e: impl std::fmt::Display) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, format!("reading {}: {e}", self.path.display()))
    }

    /// Skips the rest of a line without keeping it; its whole length, or an error past the limit.
    fn skip_line(&mut self, read: u64) -> std::io::Result<u64> {
        let mut skipped = read;
        loop {
            let available = self.reader.fill_buf()?;
            if available.is_empty() {
                return Ok(skipped);
            }
            let (used, end) = match available.iter().position(|b| *b == b'\n') {
                Some(i) => (i + 1, true),
                None => (available.len(), false),
            };
            self.reader.consume(used);
            skipped += used as u64;
            if end {
                return Ok(skipped);
            }
            if skipped > MAX_LINE_SKIP {
                let line = self.line;
                return Err(self.error(format!(
                    "line {line} has no end within {} MiB: not a JSON Lines file",
                    MAX_LINE_SKIP >> 20
                )));
            }
        }
    }
}

impl Iterator for Lines {
    type Item = std::io::Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            let mut buf = Vec::new();
            // The record limit, and room for the line's `\r\n`.
            let limit = MAX_RECORD_BYTES as u64 + 2;
            match (&mut self.reader).take(limit).read_until(b'\n', &mut buf) {
                Ok(0) => return None,
                Ok(n) => {
                    self.line += 1;
                    if n as u64 == limit && buf.last() != Some(&b'\n') {
                        return match self.skip_line(n as u64) {
                            Ok(size) => {
                                Some(Ok(Record { data: Vec::new(), line: Some(self.line), oversize: Some(size) }))
                            }
                            Err(e) => {
                                self.done = true;
                                Some(Err(e))
                            }
                        };
                    }
                    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                        buf.pop();
                    }
                    if buf.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    return Some(Ok(Record::new(buf, Some(self.line))));
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(self.error(e)));
                }
            }
        }
    }
}

/// Records from a file, or `count` generated ones.
pub fn source(
    file: Option<&Path>,
    count: Option<u64>,
    seed: u64,
    at: DateTime<Utc>,
) -> std::io::Result<Box<dyn Iterator<Item = std::io::Result<Record>> + Send>> {
    Ok(match file {
        Some(path) => Box::new(Lines::open(path)?),
        None => Box::new(Generated::new(seed, at, count)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_records_follow_the_sample_schema_and_the_seed() {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let a: Vec<Record> = Generated::new(7, at, Some(50)).map(Result::unwrap).collect();
        let b: Vec<Record> = Generated::new(7, at, Some(50)).map(Result::unwrap).collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), 50);
        for r in &a {
            let v: serde_json::Value = serde_json::from_slice(&r.data).unwrap();
            assert!(DEVICES.contains(&v["type"]["device"].as_str().unwrap()));
            assert!(EVENTS.contains(&v["type"]["event"].as_str().unwrap()));
            assert!(REGIONS.contains(&v["region"].as_str().unwrap()));
            assert_eq!(v["customer_id"].as_str().unwrap().len(), 12);
            let ts = v["event_timestamp"].as_i64().unwrap();
            assert!((1_700_000_000 - 3600..=1_700_000_000).contains(&ts));
        }
    }

    #[test]
    fn lines_keep_their_numbers_and_skip_blank_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        std::fs::write(&path, "{\"a\":1}\n\n  \nnot json\r\n{\"b\":2}").unwrap();
        let records: Vec<Record> = Lines::open(&path).unwrap().map(Result::unwrap).collect();
        let got: Vec<(Option<usize>, &str)> =
            records.iter().map(|r| (r.line, std::str::from_utf8(&r.data).unwrap())).collect();
        assert_eq!(got, [(Some(1), "{\"a\":1}"), (Some(4), "not json"), (Some(5), "{\"b\":2}")]);
        assert!(Lines::open(&dir.path().join("missing.jsonl")).unwrap_err().to_string().contains("missing.jsonl"));
    }

    #[test]
    fn long_lines_are_refused_unheld_and_endless_ones_end_the_reading() {
        let long = format!("{{\"a\":1}}\n{}\n{{\"b\":2}}\n", "x".repeat(MAX_RECORD_BYTES + 10));
        let records: Vec<Record> =
            Lines::from_reader(Box::new(std::io::Cursor::new(long)), Path::new("r")).map(Result::unwrap).collect();
        assert_eq!(records.len(), 3);
        assert_eq!(records[1].oversize, Some(MAX_RECORD_BYTES as u64 + 11));
        assert!(records[1].data.is_empty() && records[1].refusal().unwrap().contains("line 2"));
        assert_eq!(records[2].data, b"{\"b\":2}");
        // /dev/zero: no newline, ever.
        let mut zeros = Lines::from_reader(Box::new(std::io::repeat(0)), Path::new("/dev/zero"));
        let err = zeros.next().unwrap().unwrap_err();
        assert!(err.to_string().contains("line 1 has no end within 64 MiB"), "{err}");
        assert!(zeros.next().is_none());
    }
}
