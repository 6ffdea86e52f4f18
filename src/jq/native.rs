//! jq 1.6 itself, compiled into provision from its own C sources (see build.rs): a query compiled
//! as jq 1.6's main compiles a program (`$ARGS` defined, no module search path) and its first
//! output for a record, for preview's worker process; and the compile check the validator asks
//! of it. Only this module calls C.
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, c_void, CString};

/// jq 1.6's value (`jv` in jv.h): passed by value, reference counted by the library.
#[repr(C)]
#[derive(Clone, Copy)]
struct Jv {
    kind_flags: u8,
    pad: u8,
    offset: u16,
    size: c_int,
    u: u64,
}

#[repr(C)]
struct JqState {
    _private: [u8; 0],
}

type MessageCallback = unsafe extern "C" fn(*mut c_void, Jv);

const JV_KIND_INVALID: c_int = 0;
const JV_KIND_STRING: c_int = 5;
const JV_KIND_OBJECT: c_int = 7;

unsafe extern "C" {
    fn jq_init() -> *mut JqState;
    fn jq_set_error_cb(jq: *mut JqState, cb: Option<MessageCallback>, data: *mut c_void);
    fn jq_format_error(message: Jv) -> Jv;
    fn jq_compile_args(jq: *mut JqState, program: *const c_char, args: Jv) -> c_int;
    fn jq_set_attr(jq: *mut JqState, attr: Jv, value: Jv);
    fn jq_start(jq: *mut JqState, value: Jv, flags: c_int);
    fn jq_next(jq: *mut JqState) -> Jv;
    fn jq_halted(jq: *mut JqState) -> c_int;
    fn jq_teardown(jq: *mut *mut JqState);
    fn jv_invalid_has_msg(value: Jv) -> c_int;
    fn jv_invalid_get_msg(value: Jv) -> Jv;
    fn jv_get_kind(value: Jv) -> c_int;
    fn jv_copy(value: Jv) -> Jv;
    fn jv_free(value: Jv);
    fn jv_dump_string(value: Jv, flags: c_int) -> Jv;
    fn jv_string_value(value: Jv) -> *const c_char;
    fn jv_string_length_bytes(value: Jv) -> c_int;
    fn jv_parse_sized(text: *const c_char, length: c_int) -> Jv;
    fn jv_string_sized(text: *const c_char, length: c_int) -> Jv;
    fn jv_array() -> Jv;
}

/// Whether a value is valid (`jv_is_valid`, a static function of jv.h). It does not consume it.
///
/// # Safety
/// `value` is a live jv.
unsafe fn jv_is_valid(value: Jv) -> c_int {
    // SAFETY: as the caller promises; jv_get_kind reads the kind, taking no reference.
    c_int::from(unsafe { jv_get_kind(value) } != JV_KIND_INVALID)
}

/// A string value's bytes (the value is freed).
fn text_of(value: Jv) -> Vec<u8> {
    // SAFETY: `value` is a string jv owned here; its bytes are copied before it is freed.
    unsafe {
        let length = jv_string_length_bytes(jv_copy(value)).max(0) as usize;
        let bytes = std::slice::from_raw_parts(jv_string_value(value).cast::<u8>(), length).to_vec();
        jv_free(value);
        bytes
    }
}

/// A Rust string as a jq string.
fn string(text: &str) -> Jv {
    // SAFETY: jq copies `length` bytes of a live buffer.
    unsafe { jv_string_sized(text.as_ptr().cast(), text.len() as c_int) }
}

/// `{"ARGS": {"positional": [], "named": {}}}`: what jq 1.6's main gives a program run without
/// `--arg`s (`$ARGS` is defined).
fn program_arguments() -> Jv {
    let text = c"{\"ARGS\":{\"positional\":[],\"named\":{}}}";
    // SAFETY: a NUL-terminated text, read for its length.
    unsafe { jv_parse_sized(text.as_ptr(), text.count_bytes() as c_int) }
}

/// A jq 1.6 state with a program compiled in it, torn down when dropped.
struct Compiled(*mut JqState);

impl Drop for Compiled {
    fn drop(&mut self) {
        // SAFETY: the state was made by jq_init and is torn down once.
        unsafe { jq_teardown(&mut self.0) }
    }
}

/// Compiles go one at a time in this process (jq 1.6 keeps some state per process).
static COMPILING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Collects jq's messages as jq 1.6's main prints them (`jq_format_error`).
unsafe extern "C" fn collect(data: *mut c_void, message: Jv) {
    // SAFETY: `data` is the `Vec<String>` handed to jq_set_error_cb by `compile`, alive for the
    // compile; the message is owned here.
    unsafe {
        let messages = &mut *data.cast::<Vec<String>>();
        messages.push(String::from_utf8_lossy(&text_of(jq_format_error(message))).into_owned());
    }
}

/// Compiles `program` as jq 1.6's main compiles one (`$ARGS` defined; no module search path:
/// `import` and `include` find nothing): the state, or jq 1.6's messages as the jq binary
/// prints them on stderr (`jq: error: abs/0 is not defined at <top-level>, line 1:` ...
/// `jq: 1 compile error`). Nothing runs.
fn compile(program: &str) -> Result<Compiled, Vec<String>> {
    let Ok(text) = CString::new(program) else { return Err(vec!["jq: error: the query holds a NUL character".into()]) };
    let _one = COMPILING.lock().unwrap_or_else(|e| e.into_inner());
    let mut messages: Vec<String> = Vec::new();
    // SAFETY: a fresh state; the messages' vector outlives the compile, and the state's error
    // callback is set back to jq's own before the vector goes.
    unsafe {
        let jq = jq_init();
        if jq.is_null() {
            return Err(vec!["jq: error: out of memory".into()]);
        }
        let state = Compiled(jq);
        jq_set_error_cb(jq, Some(collect), (&mut messages as *mut Vec<String>).cast());
        jq_set_attr(jq, string("JQ_LIBRARY_PATH"), jv_array());
        let compiled = jq_compile_args(jq, text.as_ptr(), program_arguments()) != 0;
        jq_set_error_cb(jq, None, std::ptr::null_mut());
        if compiled {
            return Ok(state);
        }
    }
    if messages.is_empty() {
        messages.push("jq: error: the query does not compile".into());
    }
    Err(messages)
}

/// jq 1.6's messages for `program` (see [`compile`]), none when it compiles.
pub fn compile_errors(program: &str) -> Vec<String> {
    compile(program).err().unwrap_or_default()
}

/// What a query made of one record: its first output, as jq 1.6 gives it to Firehose (and as
/// `[limit(1; ...)]` takes it: evaluation stops there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum First {
    /// The first output, printed as `jq -c` prints it, and whether it is an object.
    Output { printed: Vec<u8>, object: bool },
    /// The query produced nothing.
    Nothing,
    /// jq raised an error (the record is not JSON, or the query failed): its message, a string
    /// as is, another value as jq prints it.
    Error(String),
    /// The query called `halt` or `halt_error`.
    Halted,
}

/// A query compiled by jq 1.6, ready for records.
pub struct Query {
    /// `None` once a halt's state could not be replaced.
    state: Option<Compiled>,
    /// The query's text, compiled again after a halt (see [`Query::first`]).
    text: String,
}

impl std::fmt::Debug for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Query")
    }
}

impl Query {
    /// Compiles `query` as jq 1.6 does (`$ARGS` defined, no module search path); its messages
    /// when jq 1.6 refuses it.
    pub fn compile(query: &str) -> Result<Query, Vec<String>> {
        compile(query).map(|state| Query { state: Some(state), text: query.to_string() })
    }

    /// The query's first output for one record (its JSON text, parsed by jq 1.6's parser, as
    /// `fromjson` parses it).
    pub fn first(&mut self, record: &[u8]) -> First {
        let Some(jq) = self.state.as_ref().map(|s| s.0) else {
            return First::Error("the query could not be compiled again after its halt".into());
        };
        let Ok(length) = c_int::try_from(record.len()) else {
            return First::Error("the record is too long for jq".into());
        };
        // jq 1.6's parser names the text in its error message with `%s`: it reads to a NUL, as
        // `fromjson` has one at the end of its jq string.
        let text = [record, b"\0"].concat();
        // SAFETY: the record's bytes are read by jq for their length (and to the NUL above at
        // most); every value made here is handed to jq or freed here.
        unsafe {
            let value = jv_parse_sized(text.as_ptr().cast(), length);
            if jv_is_valid(value) == 0 {
                return First::Error(message_of(value));
            }
            jq_start(jq, value, 0);
            let result = jq_next(jq);
            if jv_is_valid(result) != 0 {
                let object = jv_get_kind(result) == JV_KIND_OBJECT;
                return First::Output { printed: text_of(jv_dump_string(result, 0)), object };
            }
            if jq_halted(jq) != 0 {
                jv_free(result);
                // jq 1.6's next reset frees the halt's exit code and message again (jq_reset
                // frees them without forgetting them): the state is torn down now, once, and
                // the query compiled afresh for the next record.
                self.state = None;
                self.state = compile(&self.text).ok();
                return First::Halted;
            }
            if jv_invalid_has_msg(jv_copy(result)) == 0 {
                jv_free(result);
                return First::Nothing;
            }
            First::Error(message_of(result))
        }
    }
}

/// The message of an invalid value (freed): a string as is, another value as jq prints it.
///
/// # Safety
/// `invalid` is an invalid jv owned here.
unsafe fn message_of(invalid: Jv) -> String {
    // SAFETY: as the caller promises.
    unsafe {
        let message = jv_invalid_get_msg(invalid);
        let text =
            if jv_get_kind(message) == JV_KIND_STRING { text_of(message) } else { text_of(jv_dump_string(message, 0)) };
        String::from_utf8_lossy(&text).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jq16_compiles_what_jq16_compiles_and_refuses_the_rest_with_its_message() {
        assert!(compile_errors(". as [$a] ?// $a | {a: $a}").is_empty(), "destructuring alternatives are jq 1.6's");
        assert!(compile_errors("{a: $ARGS.named}").is_empty(), "$ARGS is defined, as in jq 1.6's main");
        for (query, message) in [
            ("abs", "jq: error: abs/0 is not defined at <top-level>, line 1:\nabs"),
            ("{a: pick(.a)}", "jq: error: pick/1 is not defined at <top-level>, line 1:"),
            ("ltrimstr", "jq: error: ltrimstr/0 is not defined at <top-level>, line 1:"),
            ("import \"a\" as a; .", "jq: error: module not found: a"),
        ] {
            let errors = compile_errors(query);
            assert!(errors.first().is_some_and(|e| e.starts_with(message)), "{query}: {errors:?}");
            assert_eq!(errors.last().map(String::as_str), Some("jq: 1 compile error"), "{query}: {errors:?}");
        }
    }

    /// The first output of a record, as `[limit(1; ...)]` takes it, printed as `jq -c` prints it;
    /// each other ending as jq 1.6 ends it.
    #[test]
    fn a_record_gives_its_first_output_or_how_it_ended() {
        let mut q = Query::compile("if .a == 1 then {k: .b, n: 1.0} elif .a == 2 then (1, 2) elif .a == 3 then empty elif .a == 4 then error({why: 4}) elif .a == 5 then halt_error else error(\"five\") end").unwrap();
        let first = |q: &mut Query, record: &str| q.first(record.as_bytes());
        assert_eq!(
            first(&mut q, r#"{"a": 1, "b": [1e1000, "\u00e9"]}"#),
            First::Output {
                printed: r#"{"k":[1.7976931348623157e+308,"é"],"n":1}"#.as_bytes().to_vec(), object: true
            }
        );
        assert_eq!(first(&mut q, r#"{"a": 2}"#), First::Output { printed: b"1".to_vec(), object: false });
        assert_eq!(first(&mut q, r#"{"a": 3}"#), First::Nothing);
        assert_eq!(first(&mut q, r#"{"a": 4}"#), First::Error(r#"{"why":4}"#.into()));
        assert_eq!(first(&mut q, r#"{"a": 5}"#), First::Halted);
        assert_eq!(first(&mut q, r#"{"a": 6}"#), First::Error("five".into()), "a halt ends one record only");
        assert_eq!(
            first(&mut q, "nope"),
            First::Error("Invalid literal at EOF at line 1, column 4 (while parsing 'nope')".into())
        );
        // As `fromjson` of a string holding a NUL: jq's message names the text up to it.
        assert_eq!(
            first(&mut q, "{\"a\": 1}\u{0}x"),
            First::Error("Unexpected extra JSON values (while parsing '{\"a\": 1}')".into())
        );
    }
}

#[cfg(test)]
mod vendored {
    use sha2::{Digest, Sha256};

    /// The C sources built into provision are jq 1.6's and Oniguruma 6.1.3's, byte for byte.
    #[test]
    fn vendored_sources_are_the_pinned_ones() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vendor/jq-1.6");
        let sums = std::fs::read_to_string(root.join("SHA256SUMS")).unwrap();
        let mut listed = 0;
        for line in sums.lines() {
            let (sum, name) = line.split_once("  ").unwrap();
            let bytes = std::fs::read(root.join(name)).unwrap();
            let digest: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(digest, sum, "{name} differs from the pinned source");
            listed += 1;
        }
        let c_files = walk(&root).into_iter().filter(|p| p.extension().is_some_and(|e| e == "c" || e == "h")).count();
        assert_eq!(listed, c_files + 3, "every source is listed (and the two licenses and builtin.jq)");
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
        out
    }
}
