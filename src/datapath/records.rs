//! Records to preview or send: generated with the CDK sample's schema, or read from a JSON Lines
//! file one line at a time (never all in memory).

use chrono::{DateTime, Utc};
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// One record's data, and the line of the file it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub data: Vec<u8>,
    /// 1-based line number in a `--records` file; `None` for a generated record.
    pub line: Option<usize>,
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
        Some(Ok(Record { data: data.into_bytes(), line: None }))
    }
}

/// The records of a JSON Lines file: each non-empty line is one record's data, as written.
#[derive(Debug)]
pub struct Lines {
    reader: std::io::BufReader<std::fs::File>,
    line: usize,
    path: PathBuf,
}

impl Lines {
    pub fn open(path: &Path) -> std::io::Result<Lines> {
        let file = std::fs::File::open(path)
            .map_err(|e| std::io::Error::new(e.kind(), format!("cannot read {}: {e}", path.display())))?;
        Ok(Lines { reader: std::io::BufReader::new(file), line: 0, path: path.to_path_buf() })
    }
}

impl Iterator for Lines {
    type Item = std::io::Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let mut buf = Vec::new();
            match self.reader.read_until(b'\n', &mut buf) {
                Ok(0) => return None,
                Ok(_) => {
                    self.line += 1;
                    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                        buf.pop();
                    }
                    if buf.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    return Some(Ok(Record { data: buf, line: Some(self.line) }));
                }
                Err(e) => {
                    let path = self.path.display().to_string();
                    return Some(Err(std::io::Error::new(e.kind(), format!("reading {path}: {e}"))));
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
}
