//! Reading an object of the destination as it downloads, without keeping it: its records
//! counted (top-level JSON documents, or lines), the first few documents kept as samples,
//! gzip decompressed with a cap (a decompression bomb is read up to the cap only).

/// What an object holds: how many records, and the first few documents (failed records).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Content {
    pub records: usize,
    /// The first [`SAMPLES`] top-level JSON documents, each at most [`MAX_SAMPLE_BYTES`].
    pub samples: Vec<Vec<u8>>,
    /// Why the object was not read to its end (too large once decompressed, unreadable).
    pub unread: Option<String>,
    /// Not JSON documents: its records were counted as lines (exact only when each record ends
    /// with a newline).
    pub as_lines: bool,
    /// Expected compressed (gzip) and found not to be: read as it is (an emulator writes the
    /// records as they were sent, whatever the stream's compression).
    pub not_compressed: bool,
}

/// Documents kept per object for the report.
pub const SAMPLES: usize = 3;
/// A sample longer than this is cut (a failed record is at most 1,000 KiB, base64 in its document).
pub const MAX_SAMPLE_BYTES: usize = 64 * 1024;
/// An object is read up to this many bytes, decompressed: Firehose's largest buffer is 128 MiB,
/// and error documents carry records in base64.
pub const MAX_OBJECT_BYTES: u64 = 192 * 1024 * 1024;

/// Counts records in a stream of bytes without keeping it: top-level JSON documents
/// (concatenated or one per line) when the object is JSON, else non-empty lines.
#[derive(Debug, Default)]
pub struct Scanner {
    depth: usize,
    in_string: bool,
    escaped: bool,
    documents: usize,
    not_json: bool,
    lines: usize,
    line_has_text: bool,
    current: Option<Vec<u8>>,
    samples: Vec<Vec<u8>>,
}

impl Scanner {
    /// Feeds the next bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.track_line(b);
            if let Some(current) = self.current.as_mut() {
                if current.len() < MAX_SAMPLE_BYTES {
                    current.push(b);
                }
            }
            if self.in_string {
                match (self.escaped, b) {
                    (true, _) => self.escaped = false,
                    (false, b'\\') => self.escaped = true,
                    (false, b'"') => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' if self.depth > 0 => self.in_string = true,
                b'{' | b'[' => {
                    if self.depth == 0 && self.samples.len() < SAMPLES {
                        self.current = Some(vec![b]);
                    }
                    self.depth += 1;
                }
                b'}' | b']' if self.depth > 0 => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        self.documents += 1;
                        if let Some(done) = self.current.take() {
                            self.samples.push(done);
                        }
                    }
                }
                b' ' | b'\t' | b'\r' | b'\n' => {}
                _ if self.depth == 0 => self.not_json = true,
                _ => {}
            }
        }
    }

    fn track_line(&mut self, b: u8) {
        match b {
            b'\n' => {
                if self.line_has_text {
                    self.lines += 1;
                }
                self.line_has_text = false;
            }
            b' ' | b'\t' | b'\r' => {}
            _ => self.line_has_text = true,
        }
    }

    /// What was seen.
    pub fn finish(mut self) -> Content {
        if self.line_has_text {
            self.lines += 1;
        }
        let json = !self.not_json && self.depth == 0 && !self.in_string;
        Content {
            records: if json { self.documents } else { self.lines },
            samples: if json { self.samples } else { Vec::new() },
            unread: None,
            as_lines: !json && self.lines > 0,
            not_compressed: false,
        }
    }
}

/// An object scanned as its bytes arrive (gunzipped when `gzip`), at most [`MAX_OBJECT_BYTES`]
/// of them once decompressed: nothing but counts and a few samples is kept.
pub struct ObjectScan {
    decoder: Decoder,
    not_compressed: bool,
}

enum Decoder {
    Plain(Capped),
    Gzip(Box<flate2::write::MultiGzDecoder<Capped>>),
    /// Gzip expected: the first bytes tell whether the object is (gzip's magic number) or not.
    Sniffing(Vec<u8>, Capped),
}

/// The first bytes of every gzip member.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The scanner behind a byte budget.
struct Capped {
    scanner: Scanner,
    total: u64,
    unread: Option<String>,
}

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.total += buf.len() as u64;
        if self.total > MAX_OBJECT_BYTES {
            self.unread =
                Some(format!("larger than {} MiB once decompressed: not read further", MAX_OBJECT_BYTES >> 20));
            return Err(std::io::Error::other("over the object limit"));
        }
        self.scanner.feed(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl ObjectScan {
    pub fn new(gzip: bool) -> ObjectScan {
        let capped = Capped { scanner: Scanner::default(), total: 0, unread: None };
        let decoder = if gzip { Decoder::Sniffing(Vec::new(), capped) } else { Decoder::Plain(capped) };
        ObjectScan { decoder, not_compressed: false }
    }

    /// Once the first bytes are known, the decoder they call for (gzip, or the bytes as they are).
    fn sniffed(&mut self, chunk: &[u8]) -> Option<Vec<u8>> {
        let Decoder::Sniffing(head, _) = &mut self.decoder else { return Some(chunk.to_vec()) };
        head.extend_from_slice(chunk);
        if head.len() < GZIP_MAGIC.len() && !chunk.is_empty() {
            return None;
        }
        let empty = Capped { scanner: Scanner::default(), total: 0, unread: None };
        let Decoder::Sniffing(head, capped) = std::mem::replace(&mut self.decoder, Decoder::Plain(empty)) else {
            return None;
        };
        self.decoder = if head.starts_with(&GZIP_MAGIC) {
            Decoder::Gzip(Box::new(flate2::write::MultiGzDecoder::new(capped)))
        } else {
            self.not_compressed = !head.is_empty();
            Decoder::Plain(capped)
        };
        Some(head)
    }

    /// Feeds the next bytes of the object; false when reading should stop (over the limit, or
    /// not decompressible).
    pub fn push(&mut self, chunk: &[u8]) -> bool {
        use std::io::Write;
        let Some(chunk) = self.sniffed(chunk) else { return true };
        let written = match &mut self.decoder {
            Decoder::Plain(c) => c.write_all(&chunk),
            Decoder::Gzip(d) => d.write_all(&chunk),
            Decoder::Sniffing(..) => Ok(()),
        };
        if let (Err(e), Decoder::Gzip(d)) = (&written, &mut self.decoder) {
            let capped = d.get_mut();
            if capped.unread.is_none() {
                capped.unread = Some(format!("not gzip: {e}"));
            }
        }
        written.is_ok()
    }

    /// What the object holds.
    pub fn finish(mut self) -> Content {
        // An object shorter than gzip's magic number is read as it is.
        if matches!(self.decoder, Decoder::Sniffing(..)) {
            self.push(&[]);
        }
        let not_compressed = self.not_compressed;
        let capped = match self.decoder {
            Decoder::Plain(c) | Decoder::Sniffing(_, c) => c,
            Decoder::Gzip(mut d) => {
                let finished = d.try_finish();
                let empty = Capped { scanner: Scanner::default(), total: 0, unread: None };
                let mut capped = std::mem::replace(d.get_mut(), empty);
                if let (Err(e), None) = (finished, &capped.unread) {
                    capped.unread = Some(format!("not gzip: {e}"));
                }
                capped
            }
        };
        Content { unread: capped.unread, not_compressed, ..capped.scanner.finish() }
    }
}

/// Scans a whole object from a reader (see [`ObjectScan`]).
pub fn scan(mut reader: impl std::io::Read, gzip: bool) -> Content {
    let mut object = ObjectScan::new(gzip);
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                if !object.push(&chunk[..n]) {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    object.finish()
}

/// Records in an object's bytes: JSON documents (concatenated or one per line), else non-empty lines.
pub fn count_records(body: &[u8]) -> usize {
    let mut scanner = Scanner::default();
    scanner.feed(body);
    scanner.finish().records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_json_documents_or_lines() {
        assert_eq!(count_records(b"{\"a\":1}{\"a\":2}\n{\"a\":3}\n"), 3);
        assert_eq!(count_records(b"one\ntwo\n\nthree"), 3);
        assert_eq!(count_records(b"{\"a\":\"}{\\\"\"}[1,[2]]"), 2, "braces in strings, escaped quotes");
        assert_eq!(count_records(b"{\"a\":1}\nnot json\n"), 2, "not all JSON: lines");
    }

    #[test]
    fn a_decompression_bomb_is_read_up_to_the_cap_only() {
        use std::io::Write;
        // One gzip member of 1 MiB of records, repeated: a small object, 200 MiB decompressed.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&b"{\"a\":1}\n".repeat(1024 * 1024 / 8)).unwrap();
        let member = gz.finish().unwrap();
        let bomb = member.repeat(200);
        assert!(bomb.len() < 2 * 1024 * 1024, "{} bytes", bomb.len());
        let content = scan(bomb.as_slice(), true);
        let unread = content.unread.unwrap();
        assert!(unread.contains("larger than 192 MiB"), "{unread}");
        assert!(content.records > 0);
    }

    #[test]
    fn an_object_expected_gzip_that_is_not_is_read_as_it_is_and_said_so() {
        use std::io::Write;
        let plain = scan(&b"{\"a\":1}{\"a\":2}"[..], true);
        assert_eq!((plain.records, plain.not_compressed, plain.unread), (2, true, None));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n").unwrap();
        let zipped = scan(gz.finish().unwrap().as_slice(), true);
        assert_eq!((zipped.records, zipped.not_compressed), (3, false));
        let tiny = scan(&b"x"[..], true);
        assert_eq!((tiny.records, tiny.not_compressed, tiny.as_lines), (1, true, true));
        let empty = scan(&b""[..], true);
        assert_eq!((empty.records, empty.not_compressed), (0, false));
        // Fed a byte at a time, the magic number is still recognised.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"{}").unwrap();
        let bytes = gz.finish().unwrap();
        let mut object = ObjectScan::new(true);
        for b in &bytes {
            assert!(object.push(std::slice::from_ref(b)));
        }
        let content = object.finish();
        assert_eq!((content.records, content.not_compressed), (1, false));
    }
}
