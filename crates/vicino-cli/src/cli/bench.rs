//! `vicino bench`: build an index for each M, search it at each ef, and record recall@k,
//! queries per second, build time and memory as one JSON line per (M, ef).
//!
//! The data are `--base`/`--queries`/`--gt` files or one ANN-benchmarks `--dataset` file (read
//! in `dataset.rs`). Every flag, the output folder and the data are checked before the first
//! build. Builds run on a pool of `--threads-build` workers (`Index::build`) and are timed
//! whole; searches run one query at a time on the calling thread, and only that loop is timed.
//! Without ground truth (`--gt`, or `neighbors` in the file) the exact neighbours come from
//! `FlatIndex` (on the build pool, untimed).
//!
//! The JSON lines are collected and written at the end in one go, through a temp file in the
//! output's folder and a rename, so a failed run leaves no partial file. A table and, per M, the
//! best speed at recall 0.90 / 0.95 / 0.99 go to stdout. With `--plot` the points are also drawn
//! as an SVG chart of QPS against recall (see `plot.rs`), written the same way after the lines.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use vicino::{FlatIndex, Index, IndexParams, Metric, Quantization};

use super::dataset::{self, BenchData};
use super::setup::{
    check_dim, check_k, check_values, check_writable, metric, quantization, thread_pool,
};
use super::BenchArgs;
use vicino_bench::plot::{plot_qps_recall, PlotPoint};
use vicino_bench::report::{json_line, BenchRecord};
use vicino_bench::truth::{gt_rows, recall};

/// Recall levels of the per-M headline.
const TARGETS: [f64; 3] = [0.90, 0.95, 0.99];

/// One (M, ef) measurement.
struct Point {
    library: String,
    m: usize,
    ef: usize,
    recall: f64,
    qps: f64,
}

pub fn run(args: BenchArgs) -> Result<()> {
    let flag_metric = args.metric.as_deref().map(metric).transpose()?;
    let k = args.k;
    check_k(k)?;
    let ms = parse_list(&args.m, "--m")?;
    let efs = parse_list(&args.ef, "--ef")?;
    let modes = args
        .quantize
        .split(',')
        .map(|name| quantization(name.trim()))
        .collect::<Result<Vec<_>>>()?;
    // M and ef_construction are judged alike under every metric, so when only the --dataset
    // file names the metric they are checked now with a stand-in, before the file is read.
    for &m in &ms {
        IndexParams::new(flag_metric.unwrap_or(Metric::L2))
            .m(m)
            .ef_construction(args.ef_construction)
            .validate()?;
    }
    check_writable(&args.output, "--output")?;
    if let Some(plot) = &args.plot {
        check_writable(plot, "--plot")?;
    }
    let pool = thread_pool(args.threads_build)?;

    let data = match (&args.dataset, &args.base, &args.queries, flag_metric) {
        (Some(file), ..) => dataset::from_hdf5(file, flag_metric)?,
        (None, Some(base), Some(queries), Some(metric)) => {
            dataset::from_files(base, queries, args.gt.as_deref(), metric)?
        }
        // clap requires these; kept as errors so that a change there cannot panic here.
        (None, None, ..) | (None, _, None, _) => {
            bail!("give --dataset FILE.hdf5, or --base and --queries")
        }
        (None, _, _, None) => bail!("--metric is required with --base"),
    };
    let BenchData {
        base,
        queries,
        gt,
        metric,
        names,
        stem,
    } = data;
    check_values(&base, metric).context(names.base)?;
    check_dim(queries.dim, base.dim, names.queries, names.base)?;
    check_values(&queries, metric).context(names.queries)?;
    if k > base.rows {
        bail!(
            "--k {k} is more than the {} rows of {}",
            base.rows,
            names.base
        );
    }
    let truth = match &gt {
        Some(gt) => gt_rows(gt, queries.rows, k, base.rows, names.gt, names.queries)?,
        None => {
            let flat = FlatIndex::new(metric, base.dim, &base.data).context(names.base)?;
            let found = pool.install(|| flat.search_batch(&queries.data, k))?;
            found
                .iter()
                .map(|hits| hits.iter().map(|n| n.key).collect())
                .collect()
        }
    };
    let dataset = args.name.clone().unwrap_or(stem);
    let params = modes.iter().flat_map(|&mode| {
        ms.iter().map(move |&m| {
            IndexParams::new(metric)
                .m(m)
                .ef_construction(args.ef_construction)
                .quantize(mode)
        })
    });
    let (rows, dim) = (base.rows, base.dim);

    // Every index is built first, then each ef is searched on each index in turn, so that a
    // change in the machine's load falls on all of them alike.
    let mut built = Vec::new();
    for params in params {
        let start = Instant::now();
        let index = pool.install(|| Index::build(params, dim, &base.data))?;
        built.push((params, index, start.elapsed().as_secs_f64()));
    }
    let mut measured: Vec<Vec<(Point, String)>> = built.iter().map(|_| Vec::new()).collect();
    for &ef in &efs {
        let ef = ef.max(k);
        let rerank = args.rerank.unwrap_or(Index::default_rerank(k, ef));
        for ((params, index, build_s), out) in built.iter().zip(&mut measured) {
            let start = Instant::now();
            let found = queries
                .data
                .chunks_exact(dim)
                .map(|q| index.search_rerank(q, k, ef, rerank))
                .collect::<vicino::Result<Vec<_>>>()?;
            let seconds = start.elapsed().as_secs_f64();
            let library = library_name(params.quantization());
            let point = Point {
                library: library.clone(),
                m: params.get_m(),
                ef,
                recall: recall(&found, &truth, k),
                qps: queries.rows as f64 / seconds,
            };
            let index_bytes = index.memory_bytes();
            let line = json_line(&BenchRecord {
                library,
                dataset: dataset.clone(),
                metric: metric.name().into(),
                m: point.m,
                ef_construction: args.ef_construction,
                ef,
                k,
                recall: point.recall,
                qps: point.qps,
                build_s: *build_s,
                index_bytes: index_bytes as u64,
                bytes_per_vector: index_bytes as f64 / rows as f64,
                rows,
                dim,
                queries: queries.rows,
            });
            out.push((point, line));
        }
    }
    let (points, lines): (Vec<Point>, Vec<String>) = measured.into_iter().flatten().unzip();

    let mut text = lines.join("\n");
    text.push('\n');
    write_atomic(&args.output, &text, "--output")?;
    if let Some(plot) = &args.plot {
        let plot_points: Vec<PlotPoint> = points
            .iter()
            .map(|p| PlotPoint {
                library: p.library.clone(),
                config: format!("M={}", p.m),
                recall: p.recall,
                qps: p.qps,
            })
            .collect();
        let title = format!("{dataset}: QPS vs recall@{k}");
        plot_qps_recall(&plot_points, k, &title, plot)?;
    }
    print_table(&points)
}

/// A comma-separated list of positive integers; `flag` names it in errors.
fn parse_list(text: &str, flag: &str) -> Result<Vec<usize>> {
    let values = text
        .split(',')
        .map(|part| {
            let part = part.trim();
            match part.parse::<usize>() {
                Ok(0) => bail!("{flag}: every value must be at least 1, got 0"),
                Ok(v) => Ok(v),
                Err(_) if part.is_empty() => bail!("{flag} {text:?}: an empty value"),
                Err(_) => bail!("{flag}: {part:?} is not a whole number"),
            }
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(values)
}

/// Writes `text` to `path` atomically (see [`vicino::write_atomic`]); `flag` names the path in
/// errors.
pub(super) fn write_atomic(path: &Path, text: &str, flag: &str) -> Result<()> {
    vicino::write_atomic(path, |w| w.write_all(text.as_bytes())).context(flag.to_string())
}

/// The (library, M, ef) table and, per library and M, the best speed at each recall target.
fn print_table(points: &[Point]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let mut text = format!(
        "{:<12} {:>6} {:>6} {:>8} {:>12}\n",
        "library", "m", "ef", "recall", "qps"
    );
    let mut series: Vec<(&str, usize)> = Vec::new();
    for p in points {
        text += &format!(
            "{:<12} {:>6} {:>6} {:>8.4} {:>12.1}\n",
            p.library, p.m, p.ef, p.recall, p.qps
        );
        if !series.contains(&(p.library.as_str(), p.m)) {
            series.push((p.library.as_str(), p.m));
        }
    }
    for (library, m) in series {
        let best: Vec<String> = TARGETS
            .iter()
            .map(|&target| {
                let qps = points
                    .iter()
                    .filter(|p| p.library == library && p.m == m && p.recall >= target)
                    .map(|p| p.qps)
                    .fold(None, |best: Option<f64>, q| {
                        Some(best.map_or(q, |b| b.max(q)))
                    });
                match qps {
                    Some(q) => format!("recall>={target:.2}: {q:.1} qps"),
                    None => format!("recall>={target:.2}: n/a"),
                }
            })
            .collect();
        text += &format!("{library} m {m}: best {}\n", best.join(", "));
    }
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write to stdout")
}

/// The library column of a result: `vicino`, or `vicino-sq8` for a quantized index.
fn library_name(mode: Quantization) -> String {
    match mode {
        Quantization::None => "vicino".into(),
        mode => format!("vicino-{}", mode.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_parsed_and_checked() {
        assert_eq!(parse_list("10, 20,40", "--ef").unwrap(), vec![10, 20, 40]);
        assert!(parse_list("", "--ef").is_err());
        assert!(parse_list("10,,20", "--ef").is_err());
        assert!(parse_list("0", "--ef").is_err());
        assert!(parse_list("x", "--m").is_err());
    }
}
