//! The `vicino` binary driven end to end: generate → groundtruth → build → search (mapped and
//! loaded) → info, metric aliases, and every bad input (damaged index files included) failing
//! with one line on stderr, exit status 1 and no panic. `cli_hdf5.rs` drives `bench --dataset`
//! with the helpers here.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;
use vicino_bench::io::read_ivecs;

/// A piece of a command line: text is split at whitespace, a path stays one argument.
pub(crate) trait Arg {
    fn push_to(&self, args: &mut Vec<OsString>);
}

impl Arg for &str {
    fn push_to(&self, args: &mut Vec<OsString>) {
        args.extend(self.split_whitespace().map(OsString::from));
    }
}

impl Arg for String {
    fn push_to(&self, args: &mut Vec<OsString>) {
        self.as_str().push_to(args);
    }
}

impl Arg for PathBuf {
    fn push_to(&self, args: &mut Vec<OsString>) {
        args.push(self.into());
    }
}

/// Runs the binary with the arguments `parts` spell.
pub(crate) fn vicino(parts: &[&dyn Arg]) -> Output {
    let mut args = Vec::new();
    parts.iter().for_each(|a| a.push_to(&mut args));
    Command::new(env!("CARGO_BIN_EXE_vicino"))
        .args(args)
        .output()
        .expect("the vicino binary runs")
}

/// Runs a command that must succeed and returns its one JSON line.
pub(crate) fn ok(parts: &[&dyn Arg]) -> Value {
    let out = vicino(parts);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "failed: {stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "stdout is one JSON line: {stdout}");
    serde_json::from_str(lines[0]).expect("stdout is JSON")
}

/// Runs a command that must fail with exit status 1 and a one-line message on stderr that
/// contains `expected`; returns the message.
pub(crate) fn fails(parts: &[&dyn Arg], expected: &str) -> String {
    let out = vicino(parts);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "exit status; stderr: {stderr}");
    assert!(out.stdout.is_empty(), "nothing on stdout on error");
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    let line = stderr.trim_end_matches('\n');
    assert!(!line.contains('\n'), "one line: {stderr}");
    assert!(line.starts_with("vicino: "), "prefixed: {stderr}");
    assert!(
        line.contains(expected),
        "{line:?} should mention {expected:?}"
    );
    line.to_string()
}

/// A data set with its ground truth and index in a fresh folder.
pub(crate) struct Fixture {
    pub(crate) dir: TempDir,
    pub(crate) base: PathBuf,
    pub(crate) queries: PathBuf,
    pub(crate) gt: PathBuf,
    index: PathBuf,
}

impl Fixture {
    /// `rows` x `dim` clustered vectors, 50 queries, ground truth for k = 10, an index (M 16).
    pub(crate) fn new(rows: usize, dim: usize, metric: &str, seed: u64) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let at = |name: &str| dir.path().join(name);
        let (base, queries) = (at("base.fvecs"), at("queries.fvecs"));
        let (gt, index) = (at("gt.ivecs"), at("index.vicino"));
        let sizes = format!("--rows {rows} --dim {dim} --clusters 16 --seed {seed}");
        ok(&[
            &"generate",
            &sizes,
            &"--metric",
            &metric,
            &"--output",
            &base,
            &"--queries 50",
            &"--queries-output",
            &queries,
        ]);
        ok(&[
            &"groundtruth --base",
            &base,
            &"--queries",
            &queries,
            &"--metric",
            &metric,
            &"--k 10 --output",
            &gt,
        ]);
        ok(&[
            &"build --input",
            &base,
            &"--metric",
            &metric,
            &"--output",
            &index,
        ]);
        Fixture {
            dir,
            base,
            queries,
            gt,
            index,
        }
    }

    /// 400 x 8, L2.
    pub(crate) fn small() -> Self {
        Self::new(400, 8, "l2", 3)
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `rows` as an `.fvecs` file by hand.
    fn write_fvecs(&self, name: &str, rows: &[Vec<f32>]) -> PathBuf {
        let mut bytes = Vec::new();
        for row in rows {
            bytes.extend_from_slice(&(row.len() as i32).to_le_bytes());
            for x in row {
                bytes.extend_from_slice(&x.to_le_bytes());
            }
        }
        let path = self.path(name);
        std::fs::write(&path, bytes).expect("write fvecs");
        path
    }
}

pub(crate) fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn generate_groundtruth_build_search_reaches_recall() {
    let (rows, dim, seed) = (3000, 16, 7);
    println!("seed {seed}");
    let dir = tempfile::tempdir().expect("temp dir");
    let at = |name: &str| dir.path().join(name);
    let (base, queries, gt) = (at("base.fvecs"), at("queries.fvecs"), at("gt.ivecs"));
    let (index, ids) = (at("index.vicino"), at("ids.ivecs"));

    let generated = ok(&[
        &format!("generate --rows {rows} --dim {dim} --clusters 16 --seed {seed} --output"),
        &base,
        &"--queries 100 --queries-output",
        &queries,
    ]);
    assert_eq!(generated["rows"], rows);
    let truth = ok(&[
        &"groundtruth --base",
        &base,
        &"--queries",
        &queries,
        &"--metric l2 --k 10 --threads 2",
        &"--output",
        &gt,
    ]);
    assert_eq!(truth["queries"], 100);
    let built = ok(&[
        &"build --input",
        &base,
        &"--metric l2 --m 16 --ef-construction 200 --threads 2",
        &"--seed 11 --output",
        &index,
    ]);
    assert_eq!(built["rows"], rows);
    assert_eq!(built["dim"], dim);
    assert_eq!(built["metric"], "l2");
    assert_eq!(built["m"], 16);
    assert_eq!(built["ef_construction"], 200);
    assert_eq!(built["threads"], 2);
    assert!(built["build_seconds"].as_f64().expect("build_seconds") > 0.0);
    let per_vector = built["bytes_per_vector"]
        .as_f64()
        .expect("bytes_per_vector");
    assert!(
        per_vector > (dim * 4) as f64,
        "{per_vector} bytes per vector"
    );
    assert!(index.is_file());

    let found = ok(&[
        &"search --index",
        &index,
        &"--queries",
        &queries,
        &"--k 10 --ef 64 --gt",
        &gt,
        &"--output",
        &ids,
    ]);
    let recall = found["recall"].as_f64().expect("recall with --gt");
    assert!(
        recall >= 0.9,
        "recall@10 at ef 64 is {recall} (seed {seed})"
    );
    assert!(found["qps"].as_f64().expect("qps") > 0.0);
    assert_eq!(found["queries"], 100);
    assert_eq!(found["ef"], 64);
    assert_eq!(found["threads"], 1);

    let ids = read_ivecs(&ids).expect("ids file");
    assert_eq!((ids.rows, ids.dim), (100, 10));
    assert!(ids.data.iter().all(|&id| (0..rows).contains(&id)));

    // A parallel search finds the same neighbours.
    let parallel = ok(&[
        &"search --index",
        &index,
        &"--queries",
        &queries,
        &"--k 10 --ef 64 --threads 2 --gt",
        &gt,
    ]);
    assert_eq!(parallel["recall"], found["recall"]);
    assert_eq!(parallel["threads"], 2);
}

#[test]
fn metric_aliases_are_accepted() {
    let data = Fixture::new(1000, 12, "angular", 5);
    let (base, queries, gt) = (&data.base, &data.queries, &data.gt);
    let found = ok(&[
        &"search --index",
        &data.index,
        &"--queries",
        queries,
        &"--gt",
        gt,
    ]);
    let recall = found["recall"].as_f64().expect("recall");
    assert!(recall >= 0.9, "cosine recall@10 is {recall} (seed 5)");
    for (alias, name) in [("angular", "cosine"), ("euclidean", "l2"), ("IP", "ip")] {
        let out = data.path(&format!("{alias}.vicino"));
        let built = ok(&[
            &"build --input",
            base,
            &"--metric",
            &alias,
            &"--output",
            &out,
        ]);
        assert_eq!(built["metric"], name, "{alias}");
    }
}

#[test]
fn ef_below_k_is_raised_to_k_and_documented() {
    let data = Fixture::small();
    let found = ok(&[
        &"search --index",
        &data.index,
        &"--queries",
        &data.queries,
        &"--k 10 --ef 2",
    ]);
    assert_eq!(found["ef"], 10);
    assert_eq!(found["recall"], Value::Null);
    let help = vicino(&[&"search --help"]);
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("raised to k"));
}

#[test]
fn missing_input_file_is_named_once() {
    let data = Fixture::small();
    let (missing, out) = (data.path("nope.fvecs"), data.path("out.vicino"));
    let line = fails(
        &[&"build --input", &missing, &"--metric l2 --output", &out],
        "nope.fvecs",
    );
    assert_eq!(
        line.matches("os error").count(),
        1,
        "cause repeated: {line}"
    );
    fails(
        &[&"search --index", &data.index, &"--queries", &missing],
        "nope.fvecs",
    );
}

#[test]
fn unknown_metric_is_refused() {
    let data = Fixture::small();
    let out = data.path("out.vicino");
    fails(
        &[
            &"build --input",
            &data.base,
            &"--metric hamming --output",
            &out,
        ],
        "unknown metric \"hamming\"",
    );
    fails(
        &[
            &"groundtruth --base",
            &data.base,
            &"--queries",
            &data.queries,
            &"--metric manhattan --output",
            &data.path("gt2.ivecs"),
        ],
        "unknown metric \"manhattan\"",
    );
}

#[test]
fn m_below_two_is_refused() {
    let data = Fixture::small();
    let out = data.path("out.vicino");
    fails(
        &[
            &"build --input",
            &data.base,
            &"--metric l2 --m 1 --output",
            &out,
        ],
        "invalid parameter m",
    );
}

#[test]
fn k_zero_is_refused() {
    let data = Fixture::small();
    fails(
        &[
            &"search --index",
            &data.index,
            &"--queries",
            &data.queries,
            &"--k 0",
        ],
        "invalid parameter k",
    );
    fails(
        &[
            &"groundtruth --base",
            &data.base,
            &"--queries",
            &data.queries,
            &"--metric l2 --k 0 --output",
            &data.path("gt0.ivecs"),
        ],
        "invalid parameter k",
    );
}

#[test]
fn k_above_the_data_is_refused() {
    let data = Fixture::small();
    fails(
        &[
            &"groundtruth --base",
            &data.queries,
            &"--queries",
            &data.queries,
            &"--metric l2 --k 51 --output",
            &data.path("gt51.ivecs"),
        ],
        "--k 51 is more than the 50 rows of --base",
    );
}

#[test]
fn queries_of_the_wrong_dimension_are_refused() {
    let data = Fixture::small();
    let wrong = data.write_fvecs("wrong.fvecs", &[vec![0.5; 5], vec![1.5; 5]]);
    fails(
        &[&"search --index", &data.index, &"--queries", &wrong],
        "--queries has dimension 5, but the index has dimension 8",
    );
    fails(
        &[
            &"groundtruth --base",
            &data.base,
            &"--queries",
            &wrong,
            &"--metric l2 --k 1",
            &"--output",
            &data.path("gtw.ivecs"),
        ],
        "--queries has dimension 5, but --base has dimension 8",
    );
}

#[test]
fn nan_in_base_is_refused() {
    let data = Fixture::small();
    let rows = [vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, f32::NAN]];
    let nan = data.write_fvecs("nan.fvecs", &rows);
    let out = data.path("nan.vicino");
    fails(
        &[&"build --input", &nan, &"--metric l2 --output", &out],
        "vector 2 has a non-finite value at component 1",
    );
    assert!(!out.exists());
}

#[test]
fn empty_base_file_is_refused() {
    let data = Fixture::small();
    let empty = data.write_fvecs("empty.fvecs", &[]);
    let out = data.path("empty.vicino");
    fails(
        &[&"build --input", &empty, &"--metric l2 --output", &out],
        "no vectors",
    );
}

#[test]
fn truncated_fvecs_is_refused() {
    let data = Fixture::small();
    let bytes = std::fs::read(&data.base).expect("base");
    let cut = data.path("cut.fvecs");
    std::fs::write(&cut, &bytes[..bytes.len() - 3]).expect("write");
    let out = data.path("cut.vicino");
    fails(
        &[&"build --input", &cut, &"--metric l2 --output", &out],
        "truncated row 399",
    );
}

#[test]
fn output_in_a_missing_directory_fails_and_creates_nothing() {
    let data = Fixture::small();
    let before = names_in(data.dir.path());
    let missing = data.path("missing");
    fails(
        &[
            &"build --input",
            &data.base,
            &"--metric l2 --output",
            &missing.join("index.vicino"),
        ],
        "does not exist",
    );
    fails(
        &[
            &"groundtruth --base",
            &data.base,
            &"--queries",
            &data.queries,
            &"--metric l2 --k 5 --output",
            &missing.join("gt.ivecs"),
        ],
        "does not exist",
    );
    fails(
        &[
            &"search --index",
            &data.index,
            &"--queries",
            &data.queries,
            &"--output",
            &missing.join("ids.ivecs"),
        ],
        "does not exist",
    );
    fails(
        &[
            &"generate --rows 10 --dim 2 --output",
            &missing.join("x.fvecs"),
        ],
        "does not exist",
    );
    assert!(!missing.exists());
    assert_eq!(names_in(data.dir.path()), before, "no file left behind");
}

#[test]
fn ground_truth_of_the_wrong_shape_is_refused() {
    let data = Fixture::small();
    fails(
        &[
            &"search --index",
            &data.index,
            &"--queries",
            &data.queries,
            &"--k 20 --gt",
            &data.gt,
        ],
        "--gt: 10 ids per query, fewer than k = 20",
    );
    // Ground truth for two other queries, against 50.
    let two = data.write_fvecs("two.fvecs", &[vec![0.0; 8], vec![1.0; 8]]);
    let two_gt = data.path("two.ivecs");
    ok(&[
        &"groundtruth --base",
        &data.base,
        &"--queries",
        &two,
        &"--metric l2 --k 10 --output",
        &two_gt,
    ]);
    fails(
        &[
            &"search --index",
            &data.index,
            &"--queries",
            &data.queries,
            &"--gt",
            &two_gt,
        ],
        "--gt: 2 rows but --queries has 50",
    );
}

#[test]
fn a_file_that_is_not_an_index_is_refused() {
    let data = Fixture::small();
    for load in ["", "--load"] {
        let line = fails(
            &[
                &"search --index",
                &data.base,
                &"--queries",
                &data.queries,
                &load,
            ],
            "not a vicino index",
        );
        assert!(line.contains(&data.base.display().to_string()), "{line}");
    }
    fails(&[&"info --index", &data.base], "not a vicino index");
}

#[test]
fn mapped_and_loaded_searches_agree() {
    let data = Fixture::small();
    let search = |load: &str, ids: &PathBuf| {
        ok(&[
            &"search --index",
            &data.index,
            &"--queries",
            &data.queries,
            &"--k 10 --ef 32 --gt",
            &data.gt,
            &"--output",
            ids,
            &load,
        ])
    };
    let (mapped_ids, loaded_ids) = (data.path("mapped.ivecs"), data.path("loaded.ivecs"));
    let mapped = search("", &mapped_ids);
    let loaded = search("--load", &loaded_ids);
    assert_eq!(mapped["mode"], "mapped");
    assert_eq!(loaded["mode"], "loaded");
    assert!(mapped["recall"].as_f64().expect("recall") > 0.0);
    assert_eq!(mapped["recall"], loaded["recall"]);
    let mapped_bytes = std::fs::read(&mapped_ids).expect("mapped ids");
    assert_eq!(mapped_bytes.len(), 50 * (1 + 10) * 4);
    assert_eq!(
        mapped_bytes,
        std::fs::read(&loaded_ids).expect("loaded ids")
    );
    // The contract's keys keep their order, then "mode" and the memory figures.
    let out = vicino(&[&"search --index", &data.index, &"--queries", &data.queries]);
    let line = String::from_utf8_lossy(&out.stdout);
    let keys = [
        "k",
        "ef",
        "queries",
        "threads",
        "seconds",
        "qps",
        "recall",
        "mode",
        "rss_anon_bytes",
        "rss_file_bytes",
    ];
    let at: Vec<usize> = keys
        .iter()
        .map(|k| line.find(&format!("\"{k}\":")).expect(k))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "key order: {line}");
    assert!(line.contains(",\"mode\":\"mapped\","), "{line}");
}

#[test]
fn info_reports_the_header() {
    let data = Fixture::new(300, 12, "cosine", 9);
    let info = ok(&[&"info --index", &data.index]);
    assert_eq!(info["format_version"], vicino::FORMAT_VERSION);
    assert_eq!(info["dim"], 12);
    assert_eq!(info["metric"], "cosine");
    assert_eq!(info["nodes"], 300);
    assert_eq!(info["m"], 16);
    assert_eq!(info["m0"], 32);
    assert_eq!(info["ef_construction"], 200);
    assert_eq!(info["checksums"], "verified");
    let file_bytes = std::fs::metadata(&data.index).expect("index").len();
    assert_eq!(info["file_bytes"], file_bytes);
    assert_eq!(info["quantize"], "none");
    let sections = info["sections"].as_array().expect("sections");
    assert_eq!(sections.len(), 7);
    let names: Vec<&str> = sections
        .iter()
        .map(|s| s["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names[0], "vectors");
    for s in sections {
        assert!(s["bytes"].as_u64().expect("bytes") <= file_bytes, "{s}");
        assert!(s["crc32c"].is_u64(), "{s}");
    }
    let line =
        String::from_utf8_lossy(&vicino(&[&"info --index", &data.index]).stdout).into_owned();
    assert!(line.starts_with(r#"{"format_version":"#), "{line}");
    assert!(
        line.contains(r#""sections":[{"name":"vectors","bytes":"#),
        "{line}"
    );
    assert!(line.ends_with("\"checksums\":\"verified\"}\n"), "{line}");
}

#[test]
fn info_refuses_a_damaged_index() {
    let data = Fixture::small();
    let bytes = std::fs::read(&data.index).expect("index");
    let cut = data.path("cut.vicino");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write cut");
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 0x40;
    let flip = data.path("flip.vicino");
    std::fs::write(&flip, &flipped).expect("write flip");
    let line = fails(&[&"info --index", &cut], "truncated");
    assert!(line.contains(&cut.display().to_string()), "{line}");
    for damaged in [&cut, &flip] {
        let name = damaged.display().to_string();
        fails(&[&"info --index", damaged], &name);
        fails(
            &[
                &"search --load --index",
                damaged,
                &"--queries",
                &data.queries,
            ],
            &name,
        );
    }
    // A mapped open checks the length and every checksum but the vectors'; whether the flipped
    // byte lands in the vectors depends on the layout, so only the cut file is tried here.
    fails(
        &[&"search --index", &cut, &"--queries", &data.queries],
        &cut.display().to_string(),
    );
}

#[test]
fn an_output_that_is_an_input_or_another_output_is_refused_and_nothing_changes() {
    let data = Fixture::small();
    let before: Vec<Vec<u8>> = [&data.base, &data.queries, &data.gt, &data.index]
        .iter()
        .map(|p| std::fs::read(p).expect("read"))
        .collect();
    // Other spellings and links of the same files must be caught too (device + inode).
    let respelled = data.dir.path().join(".").join("queries.fvecs");
    let hard = data.path("hard.fvecs");
    std::fs::hard_link(&data.base, &hard).expect("hard link");
    let soft = data.path("soft.ivecs");
    std::os::unix::fs::symlink(&data.gt, &soft).expect("symlink");
    let generated = data.path("g.fvecs");
    let cases: Vec<(Vec<&dyn Arg>, &str)> = vec![
        (
            vec![
                &"build --metric l2 --input",
                &data.base,
                &"--output",
                &data.base,
            ],
            "--output",
        ),
        (
            vec![&"build --metric l2 --input", &data.base, &"--output", &hard],
            "same file as --input",
        ),
        (
            vec![
                &"search --index",
                &data.index,
                &"--queries",
                &data.queries,
                &"--output",
                &data.index,
            ],
            "same file as --index",
        ),
        (
            vec![
                &"search --index",
                &data.index,
                &"--queries",
                &data.queries,
                &"--gt",
                &data.gt,
                &"--output",
                &soft,
            ],
            "same file as --gt",
        ),
        (
            vec![
                &"groundtruth --metric l2 --k 10 --base",
                &data.base,
                &"--queries",
                &data.queries,
                &"--output",
                &respelled,
            ],
            "same file as --queries",
        ),
        (
            vec![
                &"bench --metric l2 --m 8 --ef 10 --base",
                &data.base,
                &"--queries",
                &data.queries,
                &"--output",
                &hard,
            ],
            "same file as --base",
        ),
        (
            vec![
                &"generate --rows 10 --dim 4 --output",
                &generated,
                &"--queries 5 --queries-output",
                &generated,
            ],
            "one output would overwrite the other",
        ),
    ];
    for (args, expected) in &cases {
        let line = fails(args, expected);
        assert!(line.contains("is the same file as"), "{line}");
    }
    let after: Vec<Vec<u8>> = [&data.base, &data.queries, &data.gt, &data.index]
        .iter()
        .map(|p| std::fs::read(p).expect("read"))
        .collect();
    assert!(before == after, "an input changed");
    assert!(!generated.exists());
}

#[test]
fn a_thread_count_beyond_the_machine_is_capped_and_said() {
    let data = Fixture::small();
    let out = vicino(&[
        &"build --metric l2 --threads 10000 --input",
        &data.base,
        &"--output",
        &data.path("t.vicino"),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("--threads 10000 capped at"), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    assert!(report["threads"].as_u64().unwrap() <= 4 * cores, "{report}");
}

#[test]
fn a_quantized_build_is_searched_on_codes_and_reranked() {
    let data = Fixture::new(2_000, 24, "l2", 21);
    let index = data.dir.path().join("sq8.vicino");
    let built = ok(&[
        &"build --input",
        &data.base,
        &"--metric l2 --quantize sq8 --output",
        &index,
    ]);
    assert_eq!(built["quantize"], "sq8");
    assert_eq!(ok(&[&"info --index", &index])["quantize"], "sq8");
    for (flags, rerank) in [
        ("--ef 64", 30),
        ("--ef 64 --rerank 20", 20),
        ("--ef 64 --rerank 1", 10),
    ] {
        let found = ok(&[
            &"search --index",
            &index,
            &"--queries",
            &data.queries,
            &"--gt",
            &data.gt,
            &"--k 10",
            &flags,
        ]);
        assert_eq!(found["quantize"], "sq8");
        assert_eq!(found["rerank"], rerank, "{flags}");
        let recall = found["recall"].as_f64().expect("recall");
        assert!(recall >= 0.9, "{flags}: recall {recall}");
    }
    let err = fails(
        &[
            &"build --input",
            &data.base,
            &"--metric l2 --quantize sq9 --output",
            &index,
        ],
        "--quantize",
    );
    assert!(err.contains("none, sq8"), "{err}");
}
