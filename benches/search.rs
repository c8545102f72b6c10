//! Search throughput, ANN-benchmarks style: one line per beam width `ef` (16 to 256), each
//! iteration searching every query one at a time on one thread (k = 10), so criterion's
//! throughput is queries per second. Lines are named `search/<dataset>/<ef>`.
//!
//! ```text
//! cargo bench --bench search                                # sift-10k if fetched, else synth
//! VICINO_BENCH_DATASET=sift-10k cargo bench --bench search  # that set, or fail
//! VICINO_BENCH_DATASET=sift-10k,glove-25-angular cargo bench --bench search
//! VICINO_BENCH_DATASET=synth cargo bench --bench search     # the synthetic set, always
//! VICINO_BENCH_QUICK=1 cargo bench --bench search           # CI: short times
//! cargo bench --bench search -- /64                         # one line per set
//! ```
//!
//! Data, found by `vicino_bench::datasets` in the data folder (`$VICINO_DATA`, else `datasets/`
//! at the workspace root), where `bash scripts/fetch_dataset.sh NAME` puts it:
//!
//! - `VICINO_BENCH_DATASET=NAME[,NAME...]`: those sets, texmex folders (`sift-10k/`, `sift-1m/`)
//!   or ANN-benchmarks files (`NAME.hdf5`). A name that is not there fails the bench with the
//!   folder searched and the fetch command; `synth` is the synthetic set.
//! - unset: `sift-10k` if it is in the data folder, else the synthetic set (20,000 x 64
//!   clustered Gaussians, 500 queries, L2). The first line on stderr says which, and why.
//!
//! Ground truth is the set's own (`*_groundtruth.ivecs`, HDF5 `neighbors`) when it has one,
//! else exact by brute force. Before each `ef` is timed its recall@10 is printed and checked,
//! so a fast wrong answer fails instead of reporting a time:
//!
//! - every set is searched as an f32 index and as an sq8 one (`NAME-sq8`, the same floors);
//! - the synthetic set and `sift-10k` have a floor per `ef` (`SYNTH_FLOORS`, `SIFT_10K_FLOORS`);
//! - any other set has none that we could defend, so only sanity is asserted: recall does not
//!   drop by more than 0.02 as `ef` grows, and reaches 0.5 at ef 256.
//!
//! The index (M 16, ef_construction 200) is built once per set and cached as
//! `<target dir>/bench-cache/<set>-<rows>x<dim>-<metric>-m16-efc200-f<format>.vicino` (the
//! target dir is the one holding this bench's binary, so `CARGO_TARGET_DIR` is honoured); later
//! runs load it. A cached index whose vectors no longer match the data (exact search on a few
//! queries disagrees) is rebuilt; set `VICINO_BENCH_REBUILD=1` to rebuild it anyway (after
//! changing how the graph is built, since the cache cannot tell). `cargo clean` removes it.
//!
//! Times: a minute or two on 2 cores for sift-10k or the synthetic set with the index built,
//! seconds with it cached. Criterion's `--warm-up-time`, `--measurement-time` and
//! `--sample-size` override the defaults set at the bottom. No plots are drawn (see
//! `common::criterion`). The quick mode only shortens the times (0.1 s warm-up, 0.3 s
//! measurement, 10 samples per `ef`): every set is benched whole (the synthetic one builds in
//! about a second on 2 cores), so CI and a full run share the cached index.

mod common;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use vicino::{Index, IndexParams, Metric, Quantization, FORMAT_VERSION};
use vicino_bench::datasets::{self, Truth};
use vicino_bench::truth;

const M: usize = 16;
const EF_CONSTRUCTION: usize = 200;
/// The variable naming the sets to bench.
const DATASET_ENV: &str = "VICINO_BENCH_DATASET";
/// The set benched when none is named, if it is in the data folder.
const DEFAULT_SET: &str = "sift-10k";
/// The name that asks for the synthetic set.
const SYNTH: &str = "synth";
/// The synthetic data: rows, queries, dimension.
const SYNTH_ROWS: usize = 20_000;
const SYNTH_QUERIES: usize = 500;
const SYNTH_DIM: usize = 64;
/// Beam widths timed.
const EFS: [usize; 5] = [16, 32, 64, 128, 256];
/// The synthetic set: the floors sit below what it scores (about 0.82, 0.93, 0.98, 0.996,
/// 0.999), leaving room for the run-to-run spread of a parallel build.
const SYNTH_FLOORS: [f64; 5] = [0.6, 0.8, 0.9, 0.95, 0.97];
/// sift-10k (M 16, ef_construction 200): HNSW reaches about 0.9 at ef 16 and 0.99 from ef 64
/// on it; the floors leave room, so a broken graph fails, not a slow machine.
const SIFT_10K_FLOORS: [f64; 5] = [0.7, 0.85, 0.93, 0.97, 0.98];
/// A set without floors: recall may drop by at most this as `ef` grows ...
const SANITY_SLACK: f64 = 0.02;
/// ... and must reach this at the largest `ef`.
const SANITY_LAST: f64 = 0.5;
/// Queries whose exact search on a cached index must match brute force over the data for the
/// cache to be trusted.
const CACHE_PROBES: usize = 5;

/// Vectors, queries and the keys of each query's true nearest neighbours.
struct Dataset {
    name: String,
    metric: Metric,
    dim: usize,
    base: Vec<f32>,
    queries: Vec<f32>,
    truth: Vec<Vec<u64>>,
    /// Recall@10 each of [`EFS`] must reach; `None`: sanity only.
    floors: Option<[f64; 5]>,
}

impl Dataset {
    fn rows(&self) -> usize {
        self.base.len() / self.dim
    }

    /// The sets named by `VICINO_BENCH_DATASET`, else sift-10k if fetched, else synthetic.
    ///
    /// # Panics
    /// If a named set is not in the data folder or cannot be loaded, or sift-10k is there but
    /// broken: never a silent fallback.
    fn selected() -> Vec<Self> {
        let dir = datasets::data_dir();
        let named = std::env::var(DATASET_ENV).unwrap_or_default();
        let names: Vec<&str> = named
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .collect();
        if !names.is_empty() {
            eprintln!(
                "search: {DATASET_ENV}={named}: benching {} from {}",
                names.join(", "),
                dir.display()
            );
            return names.iter().map(|name| Self::named(&dir, name)).collect();
        }
        let fetched =
            dir.join(DEFAULT_SET).exists() || dir.join(format!("{DEFAULT_SET}.hdf5")).exists();
        if fetched {
            eprintln!(
                "search: {DATASET_ENV} unset; {DEFAULT_SET} is in {}, benching it",
                dir.display()
            );
            vec![Self::named(&dir, DEFAULT_SET)]
        } else {
            eprintln!(
                "search: {DATASET_ENV} unset and no {DEFAULT_SET} in {} (fetch it with `{}`); \
                 benching the synthetic set",
                dir.display(),
                datasets::fetch_command(&dir, DEFAULT_SET)
            );
            vec![Self::synthetic()]
        }
    }

    fn named(dir: &Path, name: &str) -> Self {
        if name == SYNTH {
            return Self::synthetic();
        }
        let start = Instant::now();
        let set = datasets::load(dir, name, common::K)
            .unwrap_or_else(|e| panic!("search: {DATASET_ENV}: cannot bench {name:?}: {e}"));
        let truth_from = match &set.truth_from {
            Truth::File(path) => format!("from {}", path.display()),
            Truth::Exact => "exact, by brute force".to_owned(),
        };
        eprintln!(
            "search: {name}: {} x {} base, {} queries, {}, ground truth {truth_from} ({:.2?})",
            set.base.rows,
            set.base.dim,
            set.queries.rows,
            set.metric,
            start.elapsed()
        );
        Self {
            floors: (name == "sift-10k").then_some(SIFT_10K_FLOORS),
            name: set.name,
            metric: set.metric,
            dim: set.base.dim,
            base: set.base.data,
            queries: set.queries.data,
            truth: set.truth,
        }
    }

    fn synthetic() -> Self {
        let (base, queries) = common::clustered(SYNTH_ROWS, SYNTH_QUERIES, SYNTH_DIM);
        let start = Instant::now();
        let truth = common::ground_truth(Metric::L2, SYNTH_DIM, &base, &queries);
        let name = format!("synth-s{}", common::SEED);
        eprintln!(
            "search: {name}: synthetic, {SYNTH_ROWS} x {SYNTH_DIM} base, {SYNTH_QUERIES} queries, \
             l2, exact ground truth in {:.2?}",
            start.elapsed()
        );
        Self {
            name,
            metric: Metric::L2,
            dim: SYNTH_DIM,
            base,
            queries,
            truth,
            floors: Some(SYNTH_FLOORS),
        }
    }
}

/// `<target dir>/bench-cache/`: the bench binary is `<target dir>/<profile>/deps/search-*`.
fn cache_dir() -> PathBuf {
    let exe = std::env::current_exe().ok();
    let target = exe
        .as_deref()
        .and_then(|exe| exe.ancestors().nth(3))
        .map(Path::to_path_buf)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("bench-cache")
}

/// The index over `data`, from the cache if a matching one is there, else built and cached.
fn cached_index(data: &Dataset, mode: Quantization) -> Index {
    let path = cache_dir().join(format!(
        "{}-{}x{}-{}-m{M}-efc{EF_CONSTRUCTION}-{mode}-f{FORMAT_VERSION}.vicino",
        data.name,
        data.rows(),
        data.dim,
        data.metric
    ));
    let rebuild = std::env::var_os("VICINO_BENCH_REBUILD").is_some_and(|v| v != "0");
    if path.is_file() && !rebuild {
        match Index::load(&path) {
            Ok(index) if matches(&index, data, mode) => {
                eprintln!("search: {}: index from {}", data.name, path.display());
                return index;
            }
            Ok(_) => eprintln!("search: {} is stale; rebuilding", path.display()),
            Err(e) => eprintln!("search: cannot load {}: {e}; rebuilding", path.display()),
        }
    }
    let params = IndexParams::new(data.metric)
        .m(M)
        .ef_construction(EF_CONSTRUCTION)
        .quantize(mode);
    let start = Instant::now();
    let index = Index::build(params, data.dim, &data.base).expect("build");
    eprintln!(
        "search: {}: built {} x {} in {:.2?}",
        data.name,
        data.rows(),
        data.dim,
        start.elapsed()
    );
    // A cache that cannot be written costs the next run a build, nothing more.
    let saved = std::fs::create_dir_all(cache_dir())
        .map_err(|e| e.to_string())
        .and_then(|()| index.save(&path).map_err(|e| e.to_string()));
    match saved {
        Ok(()) => eprintln!("search: {}: cached at {}", data.name, path.display()),
        Err(e) => eprintln!("search: not cached at {}: {e}", path.display()),
    }
    index
}

/// Whether a loaded index was built with these parameters over these vectors: the shape and
/// parameters agree, and exact search over its vectors finds what brute force over the data
/// finds for a few queries.
fn matches(index: &Index, data: &Dataset, mode: Quantization) -> bool {
    let p = index.params();
    let shape = index.len() == data.rows()
        && p.quantization() == mode
        && index.dim() == data.dim
        && index.metric() == data.metric
        && p.get_m() == M
        && p.get_ef_construction() == EF_CONSTRUCTION;
    if !shape {
        return false;
    }
    let probes = &data.queries[..(CACHE_PROBES * data.dim).min(data.queries.len())];
    let Ok(want) = truth::exact_neighbors(data.metric, data.dim, &data.base, probes, common::K)
    else {
        return false;
    };
    probes
        .chunks_exact(data.dim)
        .zip(want)
        .all(|(q, mut want)| {
            index.exact_search(q, common::K).is_ok_and(|hits| {
                let mut got: Vec<u64> = hits.iter().map(|n| n.key).collect();
                got.sort_unstable();
                want.sort_unstable();
                got == want
            })
        })
}

/// Recall@10 of `index` at `ef`, printed, then checked: against the set's floor for `ef`, or
/// for a set without floors against the recall at the previous `ef` (`last`) and, at the
/// largest `ef`, against [`SANITY_LAST`].
///
/// # Panics
/// When the check fails: the bench reports no time for a wrong answer.
fn check_recall(index: &Index, data: &Dataset, name: &str, at: usize, last: Option<f64>) -> f64 {
    let ef = EFS[at];
    let queries = data.queries.len() / data.dim;
    let recall = common::recall(index, &data.queries, &data.truth, ef);
    let (floor, rule) = match data.floors {
        Some(floors) => (floors[at], format!("floor {}", floors[at])),
        None => {
            let mut floor = last.map_or(0.0, |last| last - SANITY_SLACK);
            if at + 1 == EFS.len() {
                floor = floor.max(SANITY_LAST);
            }
            (
                floor,
                format!("no floor for this set; sanity: at least {floor:.4}"),
            )
        }
    };
    eprintln!(
        "search/{name}/{ef}: recall@{} {recall:.4} over {queries} queries ({rule})",
        common::K
    );
    assert!(
        recall >= floor,
        "search/{name}/{ef}: recall@{} {recall:.4} is below {floor:.4}",
        common::K
    );
    recall
}

fn search(c: &mut Criterion) {
    for data in Dataset::selected() {
        for mode in Quantization::ALL {
            search_one(c, &data, mode);
        }
    }
}

/// The bench group of one set in one quantization mode: `search/NAME` for f32, `NAME-sq8` for
/// codes (same floors: the quantized walk re-ranks on full vectors).
fn search_one(c: &mut Criterion, data: &Dataset, mode: Quantization) {
    let index = cached_index(data, mode);
    let queries = data.queries.len() / data.dim;
    let name = match mode {
        Quantization::None => data.name.clone(),
        mode => format!("{}-{mode}", data.name),
    };

    let mut group = c.benchmark_group("search");
    group.throughput(Throughput::Elements(queries as u64));
    let mut last = None;
    for (at, &ef) in EFS.iter().enumerate() {
        last = Some(check_recall(&index, data, &name, at, last));
        group.bench_with_input(BenchmarkId::new(&name, ef), &ef, |b, &ef| {
            b.iter(|| {
                for q in data.queries.chunks_exact(data.dim) {
                    black_box(index.search(black_box(q), common::K, ef).expect("search"));
                }
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion(20, Duration::from_secs(1), Duration::from_secs(4));
    targets = search
}
criterion_main!(benches);
