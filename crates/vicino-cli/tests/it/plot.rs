//! `vicino plot` and `vicino bench --plot x.png` driven end to end: JSON lines of two files
//! and two libraries drawn as SVG and PNG (checked at the level of the file format), and every
//! bad input refused with one line, exit status 1 and nothing written.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::cli::{fails, names_in, ok, vicino, Arg, Fixture};

/// One argument, spaces and all (a `&str` is split at whitespace).
struct One<'a>(&'a str);

impl Arg for One<'_> {
    fn push_to(&self, args: &mut Vec<OsString>) {
        args.push(self.0.into());
    }
}

/// A line of the `vicino bench` schema, as scripts/compare.py writes it for another library.
fn line(library: &str, m: u64, ef: u64, k: u64, recall: f64, qps: f64) -> Value {
    json!({
        "library": library, "dataset": "plotted-set", "metric": "l2", "m": m,
        "ef_construction": 200, "ef": ef, "k": k, "recall": recall, "qps": qps,
        "build_s": 0.5, "index_bytes": 123456, "bytes_per_vector": 308.6, "rows": 400,
        "dim": 8, "queries": 50
    })
}

fn write_lines(path: &Path, lines: &[Value]) {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(path, text).expect("write jsonl");
}

/// Runs `vicino bench` on `data` (M 8 and 12, ef 10 and 40) and returns its JSON lines file.
fn bench_lines(data: &Fixture) -> PathBuf {
    let output = data.path("vicino.jsonl");
    let out = vicino(&[
        &"bench --base",
        &data.base,
        &"--queries",
        &data.queries,
        &"--metric l2 --m 8,12 --ef 10,40 --ef-construction 64 --threads-build 2",
        &"--name plotted-set --output",
        &output,
    ]);
    assert!(
        out.status.success(),
        "bench failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    output
}

/// The width and height a PNG file's IHDR chunk gives, after checking the signature and that
/// IHDR comes first, as the format requires.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.len() > 33, "a PNG is longer than its header");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[8..12], &13u32.to_be_bytes(), "IHDR length");
    assert_eq!(&bytes[12..16], b"IHDR", "IHDR first");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    assert_eq!(&bytes[24..26], &[8, 2], "8-bit RGB");
    assert!(
        bytes.ends_with(b"IEND\xae\x42\x60\x82"),
        "ends with the IEND chunk"
    );
    (be(16), be(20))
}

fn no_temp_files(dir: &Path) {
    let mut names = names_in(dir);
    names.retain(|n| n.starts_with('.'));
    assert!(names.is_empty(), "no temp file left behind: {names:?}");
}

#[test]
fn plot_draws_two_files_and_two_libraries_as_svg_and_png() {
    let data = Fixture::small();
    let ours = bench_lines(&data);
    let theirs = data.path("faiss.jsonl");
    write_lines(
        &theirs,
        &[
            line("faiss", 16, 10, 10, 0.71, 40_000.0),
            line("faiss", 16, 40, 10, 0.93, 15_000.0),
            line("faiss", 16, 80, 10, 0.99, 8_000.0),
            // Another k: skipped, and counted.
            line("faiss", 16, 80, 100, 0.97, 7_000.0),
        ],
    );
    let inputs = format!("{},{}", theirs.display(), ours.display());

    let svg_path = data.path("chart.svg");
    let report = ok(&[
        &"plot --input",
        &One(&inputs),
        &"--output",
        &svg_path,
        &"--title",
        &One("Two libraries, one chart"),
    ]);
    assert_eq!(report["format"], "svg");
    assert_eq!(
        report["points"],
        3 + 4,
        "3 faiss lines of k 10 and 4 of bench"
    );
    assert_eq!(report["skipped_other_k"], 1);
    assert_eq!(report["libraries"], json!(["faiss", "vicino"]));
    let svg = std::fs::read_to_string(&svg_path).expect("svg written");
    assert!(
        svg.starts_with("<svg"),
        "an SVG: {}",
        &svg[..svg.len().min(100)]
    );
    assert!(svg.trim_end().ends_with("</svg>"), "a whole SVG");
    assert!(
        svg.contains(r#"width="900" height="600""#),
        "the default size"
    );
    for text in [
        "Two libraries, one chart",
        "Recall@10",
        "faiss M=16",
        "vicino M=8",
        "vicino M=12",
        "faiss Pareto front",
        "vicino Pareto front",
    ] {
        assert!(svg.contains(text), "{text} in the SVG");
    }

    // The same files, the flag repeated, as a PNG of the size asked, default title.
    let png_path = data.path("chart.png");
    let report = ok(&[
        &"plot --input",
        &theirs,
        &"--input",
        &ours,
        &"--output",
        &png_path,
        &"--size 1000x640",
    ]);
    assert_eq!(
        (report["format"].as_str(), report["width"].as_u64()),
        (Some("png"), Some(1000))
    );
    let png = std::fs::read(&png_path).expect("png written");
    assert_eq!(png_size(&png), (1000, 640));
    no_temp_files(data.dir.path());
}

#[test]
fn bench_plot_with_a_png_path_writes_a_png() {
    let data = Fixture::small();
    let plot = data.path("chart.png");
    let out = vicino(&[
        &"bench --base",
        &data.base,
        &"--queries",
        &data.queries,
        &"--metric l2 --m 8 --ef 10,40 --ef-construction 64 --threads-build 2 --output",
        &data.path("results.jsonl"),
        &"--plot",
        &plot,
    ]);
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&plot).expect("png written");
    assert_eq!(png_size(&png), (900, 600));
    no_temp_files(data.dir.path());
}

#[test]
fn plot_refuses_bad_input_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let at = |name: &str| dir.path().join(name);
    let good = at("good.jsonl");
    write_lines(&good, &[line("hnswlib", 16, 10, 10, 0.9, 9000.0)]);
    let other_k = at("other_k.jsonl");
    write_lines(&other_k, &[line("hnswlib", 16, 10, 100, 0.9, 9000.0)]);
    let empty = at("empty.jsonl");
    std::fs::write(&empty, "\n\n").expect("write");
    let not_json = at("not_json.jsonl");
    let first = line("hnswlib", 16, 10, 10, 0.9, 9000.0);
    std::fs::write(&not_json, format!("{first}\n{{\"library\": \"hnswlib\",\n")).expect("write");
    let no_qps = at("no_qps.jsonl");
    let mut missing = line("hnswlib", 16, 10, 10, 0.9, 9000.0);
    missing.as_object_mut().expect("object").remove("qps");
    write_lines(&no_qps, &[first.clone(), first, missing]);
    let wrong_type = at("wrong_type.jsonl");
    let mut text_m = line("hnswlib", 16, 10, 10, 0.9, 9000.0);
    text_m["m"] = json!("sixteen");
    write_lines(&wrong_type, &[text_m]);
    let before = names_in(dir.path());

    let chart = at("chart.svg");
    let plot = |input: &Path, output: &Path, extra: &str, expected: &str| {
        fails(
            &[
                &"plot --input",
                &input.to_path_buf(),
                &"--output",
                &output.to_path_buf(),
                &extra,
            ],
            expected,
        )
    };
    let message = plot(&at("absent.jsonl"), &chart, "", "--input");
    assert!(message.contains("absent.jsonl"), "{message}");
    let message = plot(&not_json, &chart, "", "not_json.jsonl line 2: not JSON");
    assert!(!message.contains('\n'));
    plot(
        &no_qps,
        &chart,
        "",
        r#"no_qps.jsonl line 3: missing field "qps""#,
    );
    plot(&wrong_type, &chart, "", r#"field "m" is "sixteen""#);
    plot(&empty, &chart, "", "no points");
    plot(&other_k, &chart, "", "another k");
    plot(&good, &chart, "--k 0", "k");
    plot(&good, &chart, "--size 100x100", "300 to 4096");
    plot(&good, &chart, "--size big", "WIDTHxHEIGHT");
    plot(&good, &at("chart.jpg"), "", "unknown extension");
    plot(&good, &at("chart"), "", "unknown extension");
    plot(&good, &at("missing/chart.png"), "", "does not exist");
    plot(&good, dir.path(), "", "--output");
    assert_eq!(names_in(dir.path()), before, "nothing written");

    // The same good file does draw, so the refusals above are about what they name.
    ok(&[&"plot --input", &good, &"--output", &chart]);
    assert!(chart.exists());
}
