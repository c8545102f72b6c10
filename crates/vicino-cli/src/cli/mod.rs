//! The command line's arguments and the dispatch to one file per subcommand.
//!
//! | file             | job                                                             |
//! |------------------|-----------------------------------------------------------------|
//! | `mod.rs`         | the clap argument types, [`run`]                                |
//! | `setup.rs`       | checks done before the work: metric, thread pool, output path   |
//! | `report.rs`      | the JSON line on stdout, resident memory, progress bars         |
//! | `build.rs`       | `vicino build`: vectors in, index file out                    |
//! | `search.rs`      | `vicino search`: queries against an index, speed and recall   |
//! | `info.rs`        | `vicino info`: an index file's header, every checksum checked |
//! | `groundtruth.rs` | `vicino groundtruth`: exact neighbours by brute force         |
//! | `generate.rs`    | `vicino generate`: seeded clustered Gaussian data             |
//! | `bench.rs`       | `vicino bench`: recall and speed over a grid of M and ef      |
//! | `dataset.rs`     | what `bench` runs on: vector files, or one ANN-benchmarks .hdf5 |
//! | `plot.rs`        | the QPS/recall chart as SVG or PNG (`bench --plot`, `plot`)     |
//! | `raster.rs`      | the chart as PNG: bitmap backend, text drawn with DejaVu Sans   |
//! | `plot_cmd.rs`    | `vicino plot`: that chart from JSON lines files               |
//!
//! Every subcommand but `bench` prints one JSON object on one line to stdout (`bench` prints a
//! table, and writes its JSON lines to a file); progress goes to stderr.
//! Values clap cannot judge (a metric name, `--m 1`, `--k 0`) are checked by the subcommand, so
//! their errors are one line like every other.

mod bench;
mod build;
mod dataset;
mod generate;
mod groundtruth;
mod info;

mod plot_cmd;

mod report;
mod search;
mod setup;

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand};
use vicino::IndexParams;

/// Approximate nearest-neighbour search with HNSW.
#[derive(Debug, Parser)]
#[command(name = "vicino", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build an index from a file of vectors and save it.
    Build(BuildArgs),
    /// Search an index with a file of queries; report speed, and recall against ground truth.
    Search(SearchArgs),
    /// Print an index file's header and sections after checking every checksum.
    Info(InfoArgs),
    /// Compute the exact nearest neighbours of each query by brute force.
    Groundtruth(GroundtruthArgs),
    /// Write seeded, clustered Gaussian vectors (and optionally held-out queries).
    Generate(GenerateArgs),
    /// Build an index for each M and search it at each ef: recall, speed and memory as JSON lines.
    Bench(BenchArgs),
    /// Draw QPS against recall from JSON lines files (`bench --output`, scripts/compare.py).
    Plot(PlotArgs),
}

/// Help shared by the metric flags.
const METRIC_HELP: &str = "Distance: l2 (alias euclidean), cosine (alias angular) or ip";
/// Help shared by the `--threads` flags that default to all cores.
const THREADS_HELP: &str = "Worker threads [default: all cores; 0 also means all cores]";

#[derive(Debug, Args)]
struct BuildArgs {
    /// Base vectors: .fvecs, .bvecs or .npy. Row i gets key i.
    #[arg(long, value_name = "BASE")]
    input: PathBuf,
    #[arg(long, help = METRIC_HELP)]
    metric: String,
    /// Links per node on the upper layers (layer 0 gets 2M); 2 to 1024.
    #[arg(long, default_value_t = IndexParams::DEFAULT_M)]
    m: usize,
    /// Beam width of the searches that place each new node; at least 1.
    #[arg(long, default_value_t = IndexParams::DEFAULT_EF_CONSTRUCTION)]
    ef_construction: usize,
    #[arg(long, help = THREADS_HELP)]
    threads: Option<usize>,
    /// Seed of the level draw.
    #[arg(long, default_value_t = IndexParams::DEFAULT_SEED)]
    seed: u64,
    /// Where to write the index (atomically: a failed build leaves nothing there).
    #[arg(long, value_name = "INDEX")]
    output: PathBuf,
    /// Keep the vectors being built in a scratch file beside --output (mapped, unlinked), so
    /// the OS can page them out: for vectors bigger than RAM (links stay in RAM).
    #[arg(long)]
    on_disk: bool,
    /// What the graph is walked on, in the build and in searches: none (full f32 vectors) or
    /// sq8 (an 8-bit code per dimension beside the full vectors, 1.25x their memory; searches
    /// walk on the codes and re-rank their best --rerank candidates on the full vectors, so
    /// distances stay exact).
    #[arg(long, value_name = "MODE", default_value = "none", help_heading = None)]
    quantize: String,
    /// Insert on full f32 vectors only, as hnswlib does. By default an unquantized build
    /// finds each new node's candidates on 8-bit codes made for the build and dropped after
    /// it, then links it on the full vectors (1.3-2.0x faster on real data, the recall of an
    /// exact build); searches always use the full vectors.
    #[arg(long)]
    exact_build: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "The JSON line reports the ef used, max(--ef, --k).\n\
    --output rows hold the keys found, nearest first; --k larger than the index is an error.")]
struct SearchArgs {
    /// An index written by `vicino build`.
    #[arg(long, value_name = "INDEX")]
    index: PathBuf,
    /// Query vectors: .fvecs, .bvecs or .npy, of the index's dimension.
    #[arg(long, value_name = "Q")]
    queries: PathBuf,
    /// Neighbours per query; at least 1.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Beam width of the search; an ef below k is raised to k.
    #[arg(long, default_value_t = 64)]
    ef: usize,
    /// Worker threads: 1 searches in a plain loop on the main thread, more in parallel
    /// (0 means all cores).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Write the keys found to this .ivecs file, one row of k per query.
    #[arg(long, value_name = "IDS.ivecs")]
    output: Option<PathBuf>,
    /// Ground truth (.ivecs or .npy, at least k ids per query, one row per query): adds
    /// recall@k to the report.
    #[arg(long, value_name = "GT.ivecs")]
    gt: Option<PathBuf>,
    /// Read the whole index into memory (checking every checksum) instead of mapping it.
    #[arg(long)]
    load: bool,
    /// Candidates re-scored on full vectors in a quantized index (held between k and ef)
    /// [default: 3k, at most ef]. Ignored without quantization.
    #[arg(long, value_name = "N")]
    rerank: Option<usize>,
}

#[derive(Debug, Args)]
struct InfoArgs {
    /// An index written by `vicino build`.
    #[arg(long, value_name = "INDEX")]
    index: PathBuf,
}

#[derive(Debug, Args)]
struct GroundtruthArgs {
    /// Base vectors: .fvecs, .bvecs or .npy. Ids are row numbers.
    #[arg(long, value_name = "BASE")]
    base: PathBuf,
    /// Query vectors, of the base's dimension.
    #[arg(long, value_name = "Q")]
    queries: PathBuf,
    #[arg(long, help = METRIC_HELP)]
    metric: String,
    /// Neighbours per query; 1 to the number of base rows.
    #[arg(long, default_value_t = 100)]
    k: usize,
    #[arg(long, help = THREADS_HELP)]
    threads: Option<usize>,
    /// Where to write the ids, nearest first, as .ivecs.
    #[arg(long, value_name = "GT.ivecs")]
    output: PathBuf,
}

#[derive(Debug, Args)]
struct GenerateArgs {
    /// Number of base vectors.
    #[arg(long)]
    rows: usize,
    /// Dimension of every vector.
    #[arg(long)]
    dim: usize,
    /// Number of Gaussian clusters the vectors are drawn around.
    #[arg(long, default_value_t = 32)]
    clusters: usize,
    /// Seed: the same seed and sizes give the same files.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// l2 leaves the vectors as drawn; cosine (alias angular) scales each to unit length.
    #[arg(long, default_value = "l2")]
    metric: String,
    /// Where to write the base vectors (.fvecs or .npy).
    #[arg(long, value_name = "FILE.fvecs")]
    output: PathBuf,
    /// Number of held-out queries drawn from the same clusters.
    #[arg(long, value_name = "NQ", requires = "queries_output")]
    queries: Option<usize>,
    /// Where to write the queries (.fvecs or .npy).
    #[arg(long, value_name = "Q.fvecs", requires = "queries")]
    queries_output: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Searches run one query at a time on one thread; an ef below --k is \
    raised to --k (the JSON lines report the ef used).\n\
    The data come from --base/--queries[/--gt] files, or from one ANN-benchmarks --dataset \
    FILE.hdf5 (train, test, neighbors, and the metric from its distance attribute).\n\
    Without ground truth (--gt, or neighbors in the file) the exact neighbours are computed by \
    brute force."
)]
#[command(group(ArgGroup::new("data").required(true).args(["base", "dataset"])))]
struct BenchArgs {
    /// Base vectors: .fvecs, .bvecs or .npy. Row i gets key i.
    #[arg(long, value_name = "BASE", requires_all = ["queries", "metric"])]
    base: Option<PathBuf>,
    /// Query vectors, of the base's dimension.
    #[arg(long, value_name = "Q", requires = "base", conflicts_with = "dataset")]
    queries: Option<PathBuf>,
    /// Ground truth (.ivecs, at least k ids per query, one row per query); computed by brute
    /// force when left out.
    #[arg(
        long,
        value_name = "GT.ivecs",
        requires = "base",
        conflicts_with = "dataset"
    )]
    gt: Option<PathBuf>,
    /// An ANN-benchmarks file instead of --base/--queries/--gt: train is the base, test the
    /// queries, neighbors (at least k per query) the ground truth, and its distance attribute
    /// the metric.
    #[arg(long, value_name = "FILE.hdf5")]
    dataset: Option<PathBuf>,
    /// Distance: l2 (alias euclidean), cosine (alias angular) or ip. Required with --base; with
    /// --dataset it must agree with the file's distance attribute, if the file has one.
    #[arg(long)]
    metric: Option<String>,
    /// Comma-separated values of M to build with; each 2 to 1024.
    #[arg(long, value_name = "M,...", default_value_t = IndexParams::DEFAULT_M.to_string())]
    m: String,
    /// Beam width of the searches that place each new node; at least 1.
    #[arg(long, default_value_t = IndexParams::DEFAULT_EF_CONSTRUCTION)]
    ef_construction: usize,
    /// Comma-separated quantization modes to build with (none, sq8; see `build --help`).
    #[arg(long, value_name = "MODE,...", default_value = "none")]
    quantize: String,
    /// Candidates re-scored on full vectors by quantized searches [default: 3k, at most ef].
    #[arg(long, value_name = "N")]
    rerank: Option<usize>,
    /// Comma-separated search beam widths; each at least 1.
    #[arg(long, value_name = "EF,...", default_value = "10,20,40,80,160,320")]
    ef: String,
    /// Threads of the builds (and of the brute-force ground truth) [default: all cores; 0 also
    /// means all cores].
    #[arg(long)]
    threads_build: Option<usize>,
    /// Neighbours per query; 1 to the number of base rows.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Name of the data set in the JSON lines [default: the stem of --base or --dataset].
    #[arg(long)]
    name: Option<String>,
    /// Where to write one JSON line per (M, ef), atomically.
    #[arg(long, value_name = "RESULTS.jsonl")]
    output: PathBuf,
    /// Also draw queries per second (log scale) against recall@k as an SVG chart here, one
    /// series per M plus the Pareto front, written atomically after --output.
    #[arg(long, value_name = "FILE.svg")]
    plot: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Each line is one measurement as `vicino bench` writes it; the chart \
    reads library, dataset, m, k, recall and qps, and ignores other fields.\n\
    One colour per library, one marker per M, and a Pareto front per library."
)]
struct PlotArgs {
    /// JSON lines files, comma-separated (or the flag repeated).
    #[arg(
        long,
        value_name = "RESULTS.jsonl,...",
        value_delimiter = ',',
        required = true
    )]
    input: Vec<PathBuf>,
    /// Where to write the chart, atomically: .svg or .png, by the extension.
    #[arg(long, value_name = "CHART.svg|CHART.png")]
    output: PathBuf,
    /// Chart title [default: the data sets' names and "QPS vs recall@k"].
    #[arg(long)]
    title: Option<String>,
    /// Draw the lines of this k (recall@k); lines of another k are skipped.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Chart size in pixels, each side 300 to 4096.
    #[arg(long, value_name = "WIDTHxHEIGHT", default_value = "900x600")]
    size: String,
}

/// Runs the subcommand `cli` names.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let (inputs, outputs) = cli.command.files();
    setup::check_distinct(&inputs, &outputs)?;
    match cli.command {
        Command::Build(args) => build::run(args),
        Command::Search(args) => search::run(args),
        Command::Info(args) => info::run(args),
        Command::Groundtruth(args) => groundtruth::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Plot(args) => plot_cmd::run(args),
    }
}

/// A file a command reads or writes, with the flag that named it.
type FileArg<'a> = (&'static str, &'a std::path::Path);

impl Command {
    /// The files this command reads and the files it writes, for [`setup::check_distinct`].
    fn files(&self) -> (Vec<FileArg<'_>>, Vec<FileArg<'_>>) {
        fn some<'a>(flag: &'static str, p: &'a Option<PathBuf>) -> Option<FileArg<'a>> {
            p.as_deref().map(|p| (flag, p))
        }
        match self {
            Command::Build(a) => (vec![("--input", &a.input)], vec![("--output", &a.output)]),
            Command::Search(a) => (
                [
                    Some(("--index", a.index.as_path())),
                    Some(("--queries", &a.queries)),
                ]
                .into_iter()
                .chain([some("--gt", &a.gt)])
                .flatten()
                .collect(),
                some("--output", &a.output).into_iter().collect(),
            ),
            Command::Info(a) => (vec![("--index", &a.index)], vec![]),
            Command::Groundtruth(a) => (
                vec![("--base", &a.base), ("--queries", &a.queries)],
                vec![("--output", &a.output)],
            ),
            Command::Generate(a) => (
                vec![],
                [
                    Some(("--output", a.output.as_path())),
                    some("--queries-output", &a.queries_output),
                ]
                .into_iter()
                .flatten()
                .collect(),
            ),
            Command::Bench(a) => (
                [
                    some("--base", &a.base),
                    some("--queries", &a.queries),
                    some("--gt", &a.gt),
                    some("--dataset", &a.dataset),
                ]
                .into_iter()
                .flatten()
                .collect(),
                [
                    Some(("--output", a.output.as_path())),
                    some("--plot", &a.plot),
                ]
                .into_iter()
                .flatten()
                .collect(),
            ),
            Command::Plot(a) => (
                a.input.iter().map(|p| ("--input", p.as_path())).collect(),
                vec![("--output", &a.output)],
            ),
        }
    }
}
