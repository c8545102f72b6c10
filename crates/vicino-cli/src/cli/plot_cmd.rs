//! `vicino plot`: the QPS/recall chart of `plot.rs` drawn from JSON lines files, so the
//! results of several runs or libraries (`vicino bench`, `scripts/compare.py`) share one chart.
//!
//! A line is one measurement in the schema `vicino bench` writes; the chart reads `library`,
//! `dataset`, `m`, `k`, `recall` and `qps` and ignores any other field. Lines of another `k` than
//! `--k` are skipped (recall@10 and recall@100 do not share an axis); blank lines are skipped.
//! Anything else that is not such a line stops the command with the file and line number, before
//! anything is written.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Serialize;
use serde_json::{Map, Value};

use super::report::print_json;
use super::setup::{check_k, check_writable};
use super::PlotArgs;
use vicino_bench::plot::{libraries, write_chart, ChartFormat, ChartSize, PlotPoint};

/// What is wrong with one line.
#[derive(Debug, thiserror::Error, PartialEq)]
enum LineError {
    #[error("not JSON ({0})")]
    NotJson(String),
    #[error("not a JSON object")]
    NotAnObject,
    #[error("missing field \"{0}\"")]
    Missing(&'static str),
    #[error("field \"{field}\" is {found}, not {expected}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
        found: String,
    },
    #[error("field \"{field}\" is {value}, outside {range}")]
    OutOfRange {
        field: &'static str,
        value: f64,
        range: &'static str,
    },
}

/// The fields of one line that the chart uses.
#[derive(Debug, PartialEq)]
struct Row {
    library: String,
    dataset: String,
    m: u64,
    k: u64,
    recall: f64,
    qps: f64,
}

pub fn run(args: PlotArgs) -> Result<()> {
    let Some(format) = ChartFormat::from_path(&args.output) else {
        bail!(
            "--output {}: unknown extension; the chart is written as .svg or .png",
            args.output.display()
        );
    };
    check_k(args.k)?;
    let size = parse_size(&args.size)?;
    check_writable(&args.output, "--output")?;

    let mut points = Vec::new();
    let mut datasets: Vec<String> = Vec::new();
    let mut other_k = 0;
    for path in &args.input {
        for row in read_rows(path)? {
            if row.k != args.k as u64 {
                other_k += 1;
                continue;
            }
            if !datasets.contains(&row.dataset) {
                datasets.push(row.dataset.clone());
            }
            points.push(PlotPoint {
                library: row.library,
                config: format!("M={}", row.m),
                recall: row.recall,
                qps: row.qps,
            });
        }
    }
    if points.is_empty() {
        if other_k > 0 {
            bail!(
                "no points with k = {} in --input ({other_k} lines have another k; pick it with --k)",
                args.k
            );
        }
        bail!("no points in --input: the files hold no JSON lines");
    }

    let title = match args.title {
        Some(title) => title,
        None => format!("{}: QPS vs recall@{}", datasets.join(", "), args.k),
    };
    write_chart(
        &points,
        args.k,
        &title,
        &args.output,
        format,
        size,
        "--output",
    )?;
    print_json(&PlotReport {
        output: args.output.display().to_string(),
        format: format.name(),
        width: size.0,
        height: size.1,
        points: points.len(),
        skipped_other_k: other_k,
        libraries: libraries(&points),
        datasets,
    })
}

/// Every line of the file at `path` as a [`Row`], blank lines skipped; an error names the file
/// and the line.
fn read_rows(path: &Path) -> Result<Vec<Row>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("--input {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            parse_row(line).with_context(|| format!("--input {} line {}", path.display(), i + 1))
        })
        .collect()
}

fn parse_row(line: &str) -> Result<Row, LineError> {
    let value: Value = serde_json::from_str(line).map_err(|e| LineError::NotJson(e.to_string()))?;
    let Value::Object(obj) = value else {
        return Err(LineError::NotAnObject);
    };
    let row = Row {
        library: string(&obj, "library")?,
        dataset: string(&obj, "dataset")?,
        m: integer(&obj, "m")?,
        k: integer(&obj, "k")?,
        recall: number(&obj, "recall")?,
        qps: number(&obj, "qps")?,
    };
    if !(0.0..=1.0).contains(&row.recall) {
        return Err(LineError::OutOfRange {
            field: "recall",
            value: row.recall,
            range: "0 to 1",
        });
    }
    if row.qps <= 0.0 {
        return Err(LineError::OutOfRange {
            field: "qps",
            value: row.qps,
            range: "(0, inf)",
        });
    }
    Ok(row)
}

fn field<'a>(obj: &'a Map<String, Value>, name: &'static str) -> Result<&'a Value, LineError> {
    obj.get(name).ok_or(LineError::Missing(name))
}

fn wrong_type(field: &'static str, expected: &'static str, found: &Value) -> LineError {
    LineError::WrongType {
        field,
        expected,
        found: found.to_string(),
    }
}

fn string(obj: &Map<String, Value>, name: &'static str) -> Result<String, LineError> {
    let v = field(obj, name)?;
    match v.as_str() {
        Some(s) if !s.is_empty() => Ok(s.to_string()),
        _ => Err(wrong_type(name, "a non-empty string", v)),
    }
}

fn integer(obj: &Map<String, Value>, name: &'static str) -> Result<u64, LineError> {
    let v = field(obj, name)?;
    v.as_u64()
        .ok_or_else(|| wrong_type(name, "a non-negative integer", v))
}

/// A finite number (`null`, which JSON writers emit for NaN and infinity, is refused).
fn number(obj: &Map<String, Value>, name: &'static str) -> Result<f64, LineError> {
    let v = field(obj, name)?;
    v.as_f64()
        .filter(|x| x.is_finite())
        .ok_or_else(|| wrong_type(name, "a number", v))
}

/// `WIDTHxHEIGHT` in pixels; the limits are checked where the chart is drawn.
fn parse_size(text: &str) -> Result<ChartSize> {
    let parsed = text
        .split_once(['x', 'X'])
        .and_then(|(w, h)| Some((w.trim().parse().ok()?, h.trim().parse().ok()?)));
    let Some((width, height)) = parsed else {
        bail!("--size {text:?}: expected WIDTHxHEIGHT in pixels, such as 1200x800");
    };
    let (low, high) = vicino_bench::plot::SIZE_LIMITS;
    if ![width, height].iter().all(|s| (low..=high).contains(s)) {
        bail!("--size {text}: width and height must each be {low} to {high}");
    }
    Ok((width, height))
}

/// The line `vicino plot` prints.
#[derive(Serialize)]
struct PlotReport {
    output: String,
    format: &'static str,
    width: u32,
    height: u32,
    points: usize,
    skipped_other_k: usize,
    libraries: Vec<String>,
    datasets: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"library":"faiss","dataset":"synth","metric":"l2","m":16,"ef_construction":200,"ef":32,"k":10,"recall":0.93,"qps":5123.5,"build_s":1.5,"index_bytes":null,"bytes_per_vector":null,"rows":20000,"dim":128,"queries":200}"#;

    #[test]
    fn a_bench_line_parses_and_extra_fields_are_ignored() {
        assert_eq!(
            parse_row(GOOD),
            Ok(Row {
                library: "faiss".into(),
                dataset: "synth".into(),
                m: 16,
                k: 10,
                recall: 0.93,
                qps: 5123.5,
            })
        );
    }

    #[test]
    fn each_bad_line_says_what_is_wrong() {
        let edit = |from: &str, to: &str| {
            assert!(GOOD.contains(from), "{from}");
            parse_row(&GOOD.replace(from, to)).unwrap_err().to_string()
        };
        assert!(parse_row("{not json")
            .unwrap_err()
            .to_string()
            .starts_with("not JSON"));
        assert_eq!(parse_row("[1, 2]").unwrap_err(), LineError::NotAnObject);
        assert_eq!(edit(r#""qps":5123.5,"#, ""), r#"missing field "qps""#);
        assert_eq!(
            edit(r#""library":"faiss","#, ""),
            r#"missing field "library""#
        );
        assert_eq!(
            edit(r#""m":16"#, r#""m":"16""#),
            r#"field "m" is "16", not a non-negative integer"#
        );
        assert_eq!(
            edit(r#""k":10"#, r#""k":1.5"#),
            r#"field "k" is 1.5, not a non-negative integer"#
        );
        assert_eq!(
            edit(r#""qps":5123.5"#, r#""qps":null"#),
            r#"field "qps" is null, not a number"#
        );
        assert_eq!(
            edit(r#""library":"faiss""#, r#""library":"""#),
            r#"field "library" is "", not a non-empty string"#
        );
        assert_eq!(
            edit(r#""recall":0.93"#, r#""recall":1.5"#),
            r#"field "recall" is 1.5, outside 0 to 1"#
        );
        assert_eq!(
            edit(r#""qps":5123.5"#, r#""qps":0"#),
            r#"field "qps" is 0, outside (0, inf)"#
        );
    }

    #[test]
    fn sizes_parse_as_width_by_height() {
        assert_eq!(parse_size("1200x800").unwrap(), (1200, 800));
        assert_eq!(parse_size("640X480").unwrap(), (640, 480));
        for bad in ["1200", "x800", "1200x", "12.5x800", "-1x800", "1200x800x2"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        let err = parse_size("100x100").unwrap_err().to_string();
        assert!(err.contains("300 to 4096"), "{err}");
    }
}
