//! Search throughput, ANN-benchmarks style: one line per beam width `ef` (16 to 256), each
//! iteration searching every query one at a time on one thread (k = 10), so criterion's
//! throughput is queries per second. Lines are named `search/<dataset>/<ef>`.
//!
//! Data: the TEXMEX sift-10k set (`siftsmall_base.fvecs`, `siftsmall_query.fvecs`,
//! `siftsmall_groundtruth.ivecs`) if it is in the data folder (`$VICINO_DATA`, default
//! `datasets/` in the crate; also looked for in its `siftsmall/` subfolder, where the archive
//! unpacks), else seeded synthetic clusters (20,000 x 64 base, 500 queries, L2) with exact ground
//! truth from `FlatIndex`.
//!
//! The index (M 16, ef_construction 200) is built once and cached under
//! `target/bench-cache/`, its name keyed by dataset, rows, dim, M, ef_construction and file
//! format; later runs load it. A cached index whose vectors no longer match the data is rebuilt;
//! set `VICINO_BENCH_REBUILD=1` to rebuild it anyway (after changing how the graph is built,
//! since the cache cannot tell).
//!
//! Before each `ef` is timed its recall@10 is printed and checked against a floor that `ef`
//! should reach, so a fast wrong answer fails instead of reporting a time.
//!
//! `cargo bench --bench search` (a minute or two on 2 cores, less once the index is cached).
//! One line: `cargo bench --bench search -- /64`. Shorter: `-- --warm-up-time 1
//! --measurement-time 3` (criterion flags override the defaults set at the bottom).

mod common;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use vicino::{Index, IndexParams, Metric, FORMAT_VERSION};
use vicino_bench::io::{read_ivecs, read_vectors};

const M: usize = 16;
const EF_CONSTRUCTION: usize = 200;
/// The synthetic data when no sift-10k files are found.
const SYNTH_ROWS: usize = 20_000;
const SYNTH_QUERIES: usize = 500;
const SYNTH_DIM: usize = 64;
/// Beam widths timed, each with the recall@10 it must reach.
///
/// The floors sit below what the synthetic set scores (about 0.82, 0.93, 0.98, 0.996, 0.999),
/// leaving room for the run-to-run spread of a parallel build.
const EFS: [(usize, f64); 5] = [(16, 0.6), (32, 0.8), (64, 0.9), (128, 0.95), (256, 0.97)];
/// Queries whose exact search on a cached index must match the ground truth for the cache to
/// be trusted.
const CACHE_PROBES: usize = 5;

/// Vectors, queries and the keys of each query's true nearest neighbours.
struct Dataset {
    name: String,
    metric: Metric,
    dim: usize,
    base: Vec<f32>,
    queries: Vec<f32>,
    truth: Vec<Vec<u64>>,
}

impl Dataset {
    fn rows(&self) -> usize {
        self.base.len() / self.dim
    }

    /// sift-10k from the data folder if it is there, else the synthetic set.
    fn find() -> Self {
        let (dir, explicit) = match std::env::var_os("VICINO_DATA") {
            Some(dir) => (PathBuf::from(dir), true),
            None => (
                Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets"),
                false,
            ),
        };
        for folder in [dir.clone(), dir.join("siftsmall")] {
            if folder.join("siftsmall_base.fvecs").is_file() {
                return Self::sift_small(&folder);
            }
        }
        assert!(
            !explicit,
            "VICINO_DATA={}: no siftsmall_base.fvecs there nor in its siftsmall/",
            dir.display()
        );
        eprintln!(
            "search: no sift-10k in {}; using synthetic data (seed {})",
            dir.display(),
            common::SEED
        );
        Self::synthetic()
    }

    fn sift_small(folder: &Path) -> Self {
        eprintln!("search: sift-10k from {}", folder.display());
        let file = |name: &str| folder.join(name);
        let base = read_vectors(&file("siftsmall_base.fvecs")).expect("siftsmall_base.fvecs");
        let queries = read_vectors(&file("siftsmall_query.fvecs")).expect("siftsmall_query.fvecs");
        let truth =
            read_ivecs(&file("siftsmall_groundtruth.ivecs")).expect("siftsmall_groundtruth.ivecs");
        assert_eq!(base.dim, queries.dim, "base and query dimensions differ");
        assert_eq!(truth.rows, queries.rows, "one ground-truth row per query");
        let truth = truth
            .data
            .chunks_exact(truth.dim)
            .map(|row| {
                row.iter()
                    .map(|&id| match usize::try_from(id) {
                        Ok(id) if id < base.rows => id as u64,
                        _ => panic!("ground-truth id {id} is not a base row"),
                    })
                    .collect()
            })
            .collect();
        Self {
            name: "sift-10k".into(),
            metric: Metric::L2,
            dim: base.dim,
            base: base.data,
            queries: queries.data,
            truth,
        }
    }

    fn synthetic() -> Self {
        let (base, queries) = common::clustered(SYNTH_ROWS, SYNTH_QUERIES, SYNTH_DIM);
        let start = Instant::now();
        let truth = common::ground_truth(Metric::L2, SYNTH_DIM, &base, &queries);
        eprintln!("search: exact ground truth in {:.2?}", start.elapsed());
        Self {
            name: format!("synth-s{}", common::SEED),
            metric: Metric::L2,
            dim: SYNTH_DIM,
            base,
            queries,
            truth,
        }
    }
}

/// `<target>/bench-cache/`, beside criterion's own output.
fn cache_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("bench-cache")
}

/// The index over `data`, from the cache if a matching one is there, else built and cached.
fn cached_index(data: &Dataset) -> Index {
    let path = cache_dir().join(format!(
        "{}-{}x{}-m{M}-efc{EF_CONSTRUCTION}-f{FORMAT_VERSION}.vicino",
        data.name,
        data.rows(),
        data.dim
    ));
    let rebuild = std::env::var_os("VICINO_BENCH_REBUILD").is_some_and(|v| v != "0");
    if path.is_file() && !rebuild {
        match Index::load(&path) {
            Ok(index) if matches(&index, data) => {
                eprintln!("search: index from {}", path.display());
                return index;
            }
            Ok(_) => eprintln!("search: {} is stale; rebuilding", path.display()),
            Err(e) => eprintln!("search: cannot load {}: {e}; rebuilding", path.display()),
        }
    }
    let params = IndexParams::new(data.metric)
        .m(M)
        .ef_construction(EF_CONSTRUCTION);
    let start = Instant::now();
    let index = Index::build(params, data.dim, &data.base).expect("build");
    eprintln!(
        "search: built {} x {} in {:.2?}",
        data.rows(),
        data.dim,
        start.elapsed()
    );
    // A cache that cannot be written costs the next run a build, nothing more.
    let saved = std::fs::create_dir_all(cache_dir())
        .map_err(|e| e.to_string())
        .and_then(|()| index.save(&path).map_err(|e| e.to_string()));
    match saved {
        Ok(()) => eprintln!("search: cached at {}", path.display()),
        Err(e) => eprintln!("search: not cached at {}: {e}", path.display()),
    }
    index
}

/// Whether a loaded index was built with these parameters over these vectors: the shape and
/// parameters agree, and exact search over its vectors gives the ground truth for a few queries.
fn matches(index: &Index, data: &Dataset) -> bool {
    let p = index.params();
    let shape = index.len() == data.rows()
        && index.dim() == data.dim
        && index.metric() == data.metric
        && p.get_m() == M
        && p.get_ef_construction() == EF_CONSTRUCTION;
    shape
        && data
            .queries
            .chunks_exact(data.dim)
            .zip(&data.truth)
            .take(CACHE_PROBES)
            .all(|(q, want)| {
                index.exact_search(q, common::K).is_ok_and(|hits| {
                    hits.iter()
                        .map(|n| n.key)
                        .eq(want[..common::K].iter().copied())
                })
            })
}

fn search(c: &mut Criterion) {
    let data = Dataset::find();
    let index = cached_index(&data);
    let queries = data.queries.len() / data.dim;

    let mut group = c.benchmark_group("search");
    group.throughput(Throughput::Elements(queries as u64));
    for (ef, floor) in EFS {
        let recall = common::recall(&index, &data.queries, &data.truth, ef);
        eprintln!(
            "search/{}/{ef}: recall@{} {recall:.4} over {queries} queries (floor {floor})",
            data.name,
            common::K
        );
        assert!(
            recall >= floor,
            "search/{}/{ef}: recall@{} {recall:.4} is below {floor}",
            data.name,
            common::K
        );
        group.bench_with_input(BenchmarkId::new(&data.name, ef), &ef, |b, &ef| {
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
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = search
}
criterion_main!(benches);
