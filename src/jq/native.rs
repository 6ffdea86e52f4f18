//! jq 1.6 itself, compiled into provision from its own C sources (see build.rs): the loop of
//! `jq --unbuffered -c PROGRAM` over standard input, as jq 1.6's main.c runs it (the same
//! input reader, `$ARGS`, error and halt messages), for preview's worker process, and the
//! compile check the validator asks of it. Only this module calls C.
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, c_void, CString};
use std::io::Write;

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

#[repr(C)]
struct InputState {
    _private: [u8; 0],
}

#[repr(C)]
struct Parser {
    _private: [u8; 0],
}

type MessageCallback = unsafe extern "C" fn(*mut c_void, Jv);
type InputCallback = unsafe extern "C" fn(*mut JqState, *mut c_void) -> Jv;

const JV_KIND_INVALID: c_int = 0;
const JV_KIND_NULL: c_int = 1;
const JV_KIND_STRING: c_int = 5;

unsafe extern "C" {
    fn jq_init() -> *mut JqState;
    fn jq_set_error_cb(jq: *mut JqState, cb: Option<MessageCallback>, data: *mut c_void);
    fn jq_format_error(message: Jv) -> Jv;
    fn jq_compile_args(jq: *mut JqState, program: *const c_char, args: Jv) -> c_int;
    fn jq_set_attr(jq: *mut JqState, attr: Jv, value: Jv);
    fn jq_start(jq: *mut JqState, value: Jv, flags: c_int);
    fn jq_next(jq: *mut JqState) -> Jv;
    fn jq_halted(jq: *mut JqState) -> c_int;
    fn jq_get_exit_code(jq: *mut JqState) -> Jv;
    fn jq_get_error_message(jq: *mut JqState) -> Jv;
    fn jq_set_input_cb(jq: *mut JqState, cb: InputCallback, data: *mut c_void);
    fn jq_teardown(jq: *mut *mut JqState);
    fn jq_util_input_init(cb: *const c_void, data: *mut c_void) -> *mut InputState;
    fn jq_util_input_set_parser(state: *mut InputState, parser: *mut Parser, slurp: c_int);
    fn jq_util_input_add_input(state: *mut InputState, name: *const c_char);
    fn jq_util_input_next_input(state: *mut InputState) -> Jv;
    fn jq_util_input_next_input_cb(jq: *mut JqState, data: *mut c_void) -> Jv;
    fn jq_util_input_errors(state: *mut InputState) -> c_int;
    fn jq_util_input_get_position(jq: *mut JqState) -> Jv;
    fn jq_util_input_free(state: *mut *mut InputState);
    fn jv_parser_new(flags: c_int) -> *mut Parser;
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
    let text = r#"{"ARGS":{"positional":[],"named":{}}}"#;
    // SAFETY: the text is valid for its length.
    unsafe { jv_parse_sized(text.as_ptr().cast(), text.len() as c_int) }
}

/// A jq 1.6 state with `program` compiled, or `None` (jq printed its messages on stderr, as
/// the jq binary does). No module search path: `import` and `include` find nothing.
struct Compiled(*mut JqState);

impl Compiled {
    fn new(program: &str) -> Option<Compiled> {
        let program = CString::new(program).ok()?;
        // SAFETY: a fresh state, its attributes and arguments handed to jq (which takes them).
        unsafe {
            let jq = jq_init();
            if jq.is_null() {
                return None;
            }
            let compiled = Compiled(jq);
            jq_set_attr(jq, string("JQ_LIBRARY_PATH"), jv_array());
            (jq_compile_args(jq, program.as_ptr(), program_arguments()) != 0).then_some(compiled)
        }
    }
}

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
    // SAFETY: `data` is the `Vec<String>` handed to jq_set_error_cb by `compile_errors`, alive
    // for the compile; the message is owned here.
    unsafe {
        let messages = &mut *data.cast::<Vec<String>>();
        messages.push(String::from_utf8_lossy(&text_of(jq_format_error(message))).into_owned());
    }
}

/// jq 1.6's messages for `program`, as the jq binary prints them on stderr
/// (`jq: error: abs/0 is not defined at <top-level>, line 1:` ... `jq: 1 compile error`), or
/// none when it compiles. Nothing runs: the program is compiled only.
pub fn compile_errors(program: &str) -> Vec<String> {
    let Ok(text) = CString::new(program) else { return vec!["jq: error: the query holds a NUL character".into()] };
    let _one = COMPILING.lock().unwrap_or_else(|e| e.into_inner());
    let mut messages: Vec<String> = Vec::new();
    // SAFETY: a fresh state; the callback's data outlives the state, torn down before return.
    unsafe {
        let mut jq = jq_init();
        if jq.is_null() {
            return vec!["jq: error: out of memory".into()];
        }
        jq_set_error_cb(jq, Some(collect), (&mut messages as *mut Vec<String>).cast());
        jq_set_attr(jq, string("JQ_LIBRARY_PATH"), jv_array());
        let compiled = jq_compile_args(jq, text.as_ptr(), program_arguments()) != 0;
        jq_teardown(&mut jq);
        if compiled {
            messages.clear();
        } else if messages.is_empty() {
            messages.push("jq: error: the query does not compile".into());
        }
    }
    messages
}

/// What evaluating one input printed and how it ended.
enum Ended {
    /// Every output was printed.
    Done,
    /// `halt` or `halt_error`: jq 1.6 stops this input's outputs and goes on with the next one.
    Halted,
    /// An error the program did not catch.
    Error,
}

/// Runs `program` over the JSON values on standard input as `jq --unbuffered -c PROGRAM` does,
/// each output on a line of its own, flushed at once. `on_silence` is printed for an input that
/// halted or failed without any output, so that a reader counting one line per input keeps its
/// place. The exit code is jq's (3 when the program does not compile, 2 for input errors).
pub fn run_stdin(program: &str, on_silence: Option<&str>) -> u8 {
    // `$ENV` and `env` read this process's environment: emptied, as Firehose's query sees none
    // (the sandbox gives its workers a TMPDIR).
    for (key, _) in std::env::vars_os() {
        // SAFETY: the worker is one thread (`provision __jq-worker` starts no other), and
        // nothing reads the environment while it is changed.
        unsafe { std::env::remove_var(key) };
    }
    let Some(compiled) = Compiled::new(program) else { return 3 };
    let jq = compiled.0;
    let dash = c"-";
    let stdout = std::io::stdout();
    let mut code = 0u8;
    // SAFETY: jq's input reader over stdin, handed to the state as its input callback (so that
    // `input` and `inputs` read on), freed after the state's last use.
    unsafe {
        let mut input = jq_util_input_init(std::ptr::null(), std::ptr::null_mut());
        jq_util_input_set_parser(input, jv_parser_new(0), 0);
        jq_set_input_cb(jq, jq_util_input_next_input_cb, input.cast());
        jq_util_input_add_input(input, dash.as_ptr());
        loop {
            if jq_util_input_errors(input) != 0 {
                code = 2;
                break;
            }
            let value = jq_util_input_next_input(input);
            if jv_is_valid(value) == 0 {
                if jv_invalid_has_msg(jv_copy(value)) != 0 {
                    let message = text_of(jv_invalid_get_msg(value));
                    let _ = writeln!(std::io::stderr(), "parse error: {}", String::from_utf8_lossy(&message));
                    code = 4;
                } else {
                    jv_free(value);
                }
                break;
            }
            jq_start(jq, value, 0);
            let mut printed = 0usize;
            let ended = loop {
                let result = jq_next(jq);
                if jv_is_valid(result) == 0 {
                    break end_of(jq, result);
                }
                let mut line = text_of(jv_dump_string(result, 0));
                line.push(b'\n');
                let mut out = stdout.lock();
                if out.write_all(&line).and_then(|_| out.flush()).is_err() {
                    return 2;
                }
                printed += 1;
            };
            match ended {
                Ended::Done => {}
                Ended::Halted | Ended::Error => {
                    code = 5;
                    if let (0, Some(line)) = (printed, on_silence) {
                        let mut out = stdout.lock();
                        if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
                            return 2;
                        }
                    }
                }
            }
        }
        jq_util_input_free(&mut input);
    }
    drop(compiled);
    code
}

/// How an input's outputs ended (`last` is jq_next's invalid value), with jq 1.6's messages.
///
/// # Safety
/// `jq` is a live state; `last` is owned here.
unsafe fn end_of(jq: *mut JqState, last: Jv) -> Ended {
    let mut stderr = std::io::stderr();
    // SAFETY: as the caller promises; every value made here is freed here.
    unsafe {
        if jq_halted(jq) != 0 {
            jv_free(last);
            jv_free(jq_get_exit_code(jq));
            let message = jq_get_error_message(jq);
            match jv_get_kind(message) {
                JV_KIND_STRING => {
                    let _ = stderr.write_all(&text_of(message));
                }
                JV_KIND_NULL => jv_free(message),
                _ if jv_is_valid(message) != 0 => {
                    let _ = writeln!(stderr, "{}", String::from_utf8_lossy(&text_of(jv_dump_string(message, 0))));
                }
                _ => jv_free(message),
            }
            return Ended::Halted;
        }
        if jv_invalid_has_msg(jv_copy(last)) == 0 {
            jv_free(last);
            return Ended::Done;
        }
        let message = jv_invalid_get_msg(last);
        let at = String::from_utf8_lossy(&text_of(jq_util_input_get_position(jq))).into_owned();
        if jv_get_kind(message) == JV_KIND_STRING {
            let _ = writeln!(stderr, "jq: error (at {at}): {}", String::from_utf8_lossy(&text_of(message)));
        } else {
            let text = text_of(jv_dump_string(message, 0));
            let _ = writeln!(stderr, "jq: error (at {at}) (not a string): {}", String::from_utf8_lossy(&text));
        }
        Ended::Error
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
