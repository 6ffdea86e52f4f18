//! Builds jq 1.6, the engine Firehose runs for MetadataExtraction queries, into provision: jq's
//! own C sources and the Oniguruma 6.1.3 they bundle, vendored unchanged in `vendor/jq-1.6`
//! (their SHA-256 sums in `vendor/jq-1.6/SHA256SUMS`, checked by a test), compiled with the C
//! compiler Rust already uses. What jq's `configure` would find is stated here instead.

use std::path::Path;

const JQ: &str = "vendor/jq-1.6/src";
const ONIG: &str = "vendor/jq-1.6/oniguruma/src";

/// jq 1.6's library sources (main.c, the test driver and the fault injector left out).
const JQ_SOURCES: &[&str] = &[
    "builtin.c",
    "bytecode.c",
    "compile.c",
    "execute.c",
    "jv.c",
    "jv_alloc.c",
    "jv_aux.c",
    "jv_dtoa.c",
    "jv_file.c",
    "jv_parse.c",
    "jv_print.c",
    "jv_unicode.c",
    "lexer.c",
    "linker.c",
    "locfile.c",
    "parser.c",
    "util.c",
];

/// Oniguruma's sources as its Makefile.am lists them for libonig.
const ONIG_SOURCES: &[&str] = &[
    "regerror.c",
    "regparse.c",
    "regext.c",
    "regcomp.c",
    "regexec.c",
    "reggnu.c",
    "regenc.c",
    "regsyntax.c",
    "regtrav.c",
    "regversion.c",
    "st.c",
    "regposix.c",
    "regposerr.c",
    "unicode.c",
    "unicode_unfold_key.c",
    "unicode_fold1_key.c",
    "unicode_fold2_key.c",
    "unicode_fold3_key.c",
    "ascii.c",
    "utf8.c",
    "utf16_be.c",
    "utf16_le.c",
    "utf32_be.c",
    "utf32_le.c",
    "euc_jp.c",
    "euc_jp_prop.c",
    "sjis.c",
    "sjis_prop.c",
    "iso8859_1.c",
    "iso8859_2.c",
    "iso8859_3.c",
    "iso8859_4.c",
    "iso8859_5.c",
    "iso8859_6.c",
    "iso8859_7.c",
    "iso8859_8.c",
    "iso8859_9.c",
    "iso8859_10.c",
    "iso8859_11.c",
    "iso8859_13.c",
    "iso8859_14.c",
    "iso8859_15.c",
    "iso8859_16.c",
    "euc_tw.c",
    "euc_kr.c",
    "big5.c",
    "gb18030.c",
    "koi8_r.c",
    "cp1251.c",
    "onig_init.c",
];

/// The math functions of C99 and POSIX that jq 1.6 offers as builtins where the C library has
/// them (a missing one is still a builtin that fails: "Error: pow10/0 not found at build time").
const LIBM_C99: &[&str] = &[
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "cbrt",
    "ceil",
    "copysign",
    "cos",
    "cosh",
    "erf",
    "erfc",
    "exp",
    "exp2",
    "expm1",
    "fabs",
    "fdim",
    "floor",
    "fma",
    "fmax",
    "fmin",
    "fmod",
    "frexp",
    "hypot",
    "j0",
    "j1",
    "jn",
    "ldexp",
    "lgamma",
    "log",
    "log10",
    "log1p",
    "log2",
    "logb",
    "modf",
    "nearbyint",
    "nextafter",
    "nexttoward",
    "pow",
    "remainder",
    "rint",
    "round",
    "scalbln",
    "sin",
    "sinh",
    "sqrt",
    "tan",
    "tanh",
    "tgamma",
    "trunc",
    "y0",
    "y1",
    "yn",
];

/// What glibc adds (every one Debian's and Amazon Linux's jq 1.6 have; glibc 2.27 dropped
/// `pow10`, so jq 1.6 there has it as a builtin that fails, as here).
const LIBM_GLIBC: &[&str] = &["drem", "exp10", "gamma", "lgamma_r", "scalb", "significand"];

/// What the rest of jq 1.6 asks `configure` about, as a POSIX C library answers. Not
/// `HAVE_PTHREAD_KEY_CREATE`: with it, jq 1.6 keeps its out-of-memory handler in thread-specific
/// data set up for the first thread only, and a compile on any other thread calls a null
/// handler; without it, the handler is a `__thread` variable, right on every thread.
const POSIX: &[&str] = &[
    "HAVE_ALLOCA",
    "HAVE_ALLOCA_H",
    "HAVE_GETTIMEOFDAY",
    "HAVE_GMTIME",
    "HAVE_GMTIME_R",
    "HAVE_ISATTY",
    "HAVE_LOCALTIME_R",
    "HAVE_MEMMEM",
    "HAVE_MKSTEMP",
    "HAVE_MKTIME",
    "HAVE_STRFTIME",
    "HAVE_STRPTIME",
    "HAVE_TIMEGM",
    "HAVE_TM_TM_GMT_OFF",
    "HAVE___THREAD",
    "HAVE_LOCALTIME",
    "HAVE_ATEXIT",
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=vendor/jq-1.6");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();

    // Oniguruma: its config.h, as its configure writes it for an LP64 or ILP32 POSIX system.
    let onig_config = out.join("onig");
    std::fs::create_dir_all(&onig_config).expect("OUT_DIR is writable");
    let long = std::env::var("CARGO_CFG_TARGET_POINTER_WIDTH").unwrap_or_else(|_| "64".into());
    let long = if long == "64" { 8 } else { 4 };
    std::fs::write(
        onig_config.join("config.h"),
        format!(
            "#define HAVE_ALLOCA 1\n#define HAVE_ALLOCA_H 1\n#define HAVE_PROTOTYPES 1\n\
             #define HAVE_STDARG_PROTOTYPES 1\n#define HAVE_STDINT_H 1\n#define HAVE_STDLIB_H 1\n\
             #define HAVE_STRINGS_H 1\n#define HAVE_STRING_H 1\n#define HAVE_SYS_TIMES_H 1\n\
             #define HAVE_SYS_TIME_H 1\n#define HAVE_SYS_TYPES_H 1\n#define HAVE_UNISTD_H 1\n\
             #define HAVE_INTTYPES_H 1\n#define PACKAGE \"onig\"\n#define PACKAGE_VERSION \"6.1.3\"\n\
             #define SIZEOF_INT 4\n#define SIZEOF_LONG {long}\n#define SIZEOF_SHORT 2\n\
             #define STDC_HEADERS 1\n#define VERSION \"6.1.3\"\n"
        ),
    )
    .expect("OUT_DIR is writable");
    let mut onig = cc::Build::new();
    onig.include(&onig_config).include(ONIG).warnings(false).opt_level(2).define("HAVE_CONFIG_H", None);
    for source in ONIG_SOURCES {
        onig.file(Path::new(ONIG).join(source));
    }
    onig.compile("onig");

    // jq: builtin.inc made from builtin.jq as jq's Makefile makes it (each line a C string).
    let builtin = std::fs::read_to_string(Path::new(JQ).join("builtin.jq")).expect("vendor/jq-1.6 is complete");
    let inc: String =
        builtin.lines().map(|line| format!("\"{}\\n\"\n", line.replace('\\', "\\\\").replace('"', "\\\""))).collect();
    let generated = out.join("jq");
    std::fs::create_dir_all(&generated).expect("OUT_DIR is writable");
    std::fs::create_dir_all(generated.join("src")).expect("OUT_DIR is writable");
    std::fs::write(generated.join("src/builtin.inc"), inc).expect("OUT_DIR is writable");
    std::fs::write(generated.join("version.h"), "#define JQ_VERSION \"1.6\"\n").expect("OUT_DIR is writable");
    let mut jq = cc::Build::new();
    jq.include(&generated).include(JQ).include(ONIG).warnings(false).opt_level(2);
    let big_endian = std::env::var("CARGO_CFG_TARGET_ENDIAN").is_ok_and(|e| e == "big");
    jq.define("HAVE_LIBONIG", "1").define(if big_endian { "IEEE_MC68k" } else { "IEEE_8087" }, "1");
    for flag in POSIX {
        jq.define(flag, "1");
    }
    let glibc = target_os == "linux" && target_env == "gnu";
    for function in LIBM_C99.iter().chain(if glibc { LIBM_GLIBC } else { &[] }) {
        jq.define(&format!("HAVE_{}", function.to_uppercase()), "1");
    }
    for source in JQ_SOURCES {
        jq.file(Path::new(JQ).join(source));
    }
    jq.compile("jq");
    println!("cargo:rustc-link-lib=m");
}
