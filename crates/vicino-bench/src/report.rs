//! Results as JSON lines: one object per line, fields in a fixed order (the order of the
//! struct's fields, which serde keeps), so a person can read a line and a script can parse it.

use serde::{Deserialize, Serialize};

/// One point of a QPS / recall sweep: the line `vicino bench` writes per (M, ef), which
/// `scripts/compare.py` writes for every library it runs and `vicino plot` draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchRecord {
    pub library: String,
    pub dataset: String,
    pub metric: String,
    pub m: usize,
    pub ef_construction: usize,
    pub ef: usize,
    pub k: usize,
    /// recall@k against the ground truth.
    pub recall: f64,
    /// Queries per second, searched one at a time on one thread.
    pub qps: f64,
    /// Wall time of the build.
    pub build_s: f64,
    pub index_bytes: u64,
    pub bytes_per_vector: f64,
    pub rows: usize,
    pub dim: usize,
    pub queries: usize,
}

/// `value` as one line of JSON, without the newline. Non-finite numbers and `None` are `null`.
pub fn json_line<T: Serialize>(value: &T) -> String {
    // Serialising plain structs of numbers and strings into a String cannot fail.
    serde_json::to_string(value).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Sample {
        z: u32,
        a: &'static str,
        nan: f64,
        none: Option<f64>,
        list: Vec<Inner>,
    }

    #[derive(Serialize)]
    struct Inner {
        name: &'static str,
        bytes: u32,
    }

    #[test]
    fn fields_keep_their_order_and_non_finite_is_null() {
        let line = json_line(&Sample {
            z: 1,
            a: "l2",
            nan: f64::NAN,
            none: None,
            list: vec![Inner {
                name: "s",
                bytes: 1,
            }],
        });
        assert_eq!(
            line,
            r#"{"z":1,"a":"l2","nan":null,"none":null,"list":[{"name":"s","bytes":1}]}"#
        );
    }

    #[test]
    fn a_bench_record_round_trips() {
        let r = BenchRecord {
            library: "vicino".into(),
            dataset: "d".into(),
            metric: "l2".into(),
            m: 16,
            ef_construction: 200,
            ef: 64,
            k: 10,
            recall: 0.5,
            qps: 1000.0,
            build_s: 1.5,
            index_bytes: 10,
            bytes_per_vector: 1.0,
            rows: 10,
            dim: 2,
            queries: 3,
        };
        let line = json_line(&r);
        assert!(line.starts_with(r#"{"library":"vicino","dataset":"d","metric":"l2","m":16,"#));
        assert_eq!(serde_json::from_str::<BenchRecord>(&line).unwrap(), r);
    }
}
