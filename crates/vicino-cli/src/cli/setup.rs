//! Checks made before any long work starts, so that a bad flag or path fails in milliseconds
//! rather than after a build: the metric name, `k`, the thread pool, whether an output path can
//! be written, and whether every input value is usable.

use std::fs::OpenOptions;
use std::path::Path;

use anyhow::{bail, Context, Result};
use rayon::ThreadPool;
use vicino::{Error, Metric, Quantization};
use vicino_bench::io::{Matrix, VectorFile};

/// Parses a metric name with the library's rules (and its error message).
pub fn metric(name: &str) -> Result<Metric> {
    Ok(name.parse::<Metric>()?)
}

/// Parses a quantization mode name (`none`, `sq8`, ...).
pub fn quantization(name: &str) -> Result<Quantization> {
    Quantization::from_name(name).ok_or_else(|| {
        let known: Vec<&str> = Quantization::ALL.iter().map(|q| q.name()).collect();
        anyhow::anyhow!(
            "--quantize: unknown mode {name:?}; the modes are {}",
            known.join(", ")
        )
    })
}

/// Refuses `k = 0` with the library's wording, before any file is read.
pub fn check_k(k: usize) -> Result<()> {
    if k == 0 {
        return Err(Error::InvalidParameter {
            name: "k",
            reason: "must be at least 1".into(),
        }
        .into());
    }
    Ok(())
}

/// At most this many threads per core: more only adds switching (and 10,000 threads took
/// minutes to start and never finished).
const THREADS_PER_CORE: usize = 4;

/// A pool of `threads` workers; `None` or 0 means one per core (or `RAYON_NUM_THREADS`). More
/// than [`THREADS_PER_CORE`] per core is capped there, with a note on stderr.
pub fn thread_pool(threads: Option<usize>) -> Result<ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(capped_threads(threads.unwrap_or(0)))
        .build()
        .context("cannot start the thread pool")
}

/// `threads` capped at [`THREADS_PER_CORE`] per core (0, "all cores", passes through).
pub fn capped_threads(threads: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cap = cores * THREADS_PER_CORE;
    if threads > cap {
        eprintln!("vicino: --threads {threads} capped at {cap} ({THREADS_PER_CORE} per core on {cores} cores)");
        return cap;
    }
    threads
}

/// Fails if an output is the same file as an input or as another output, before anything is
/// read or written: writing an output would destroy the input (`build --input b --output b`
/// replaced the data with an index and exited 0). Files that exist are compared by device and
/// inode, so another spelling, a hard link or a symbolic link is caught; a path that does not
/// exist yet is compared by its folder's real path and its name.
pub fn check_distinct(inputs: &[(&str, &Path)], outputs: &[(&str, &Path)]) -> Result<()> {
    let ids = |list: &[(&str, &Path)]| -> Vec<(String, FileId)> {
        list.iter()
            .map(|&(flag, p)| (format!("{flag} {}", p.display()), FileId::of(p)))
            .collect()
    };
    let (ins, outs) = (ids(inputs), ids(outputs));
    for (i, (out_name, out)) in outs.iter().enumerate() {
        if let Some((in_name, _)) = ins.iter().find(|(_, f)| f.same_as(out)) {
            bail!("{out_name} is the same file as {in_name}: it would be overwritten");
        }
        if let Some((other, _)) = outs[..i].iter().find(|(_, f)| f.same_as(out)) {
            bail!("{out_name} is the same file as {other}: one output would overwrite the other");
        }
    }
    Ok(())
}

/// What makes two paths the same file: the inode of an existing file (links followed), and
/// the real path of the folder plus the name (for a file yet to be written).
#[derive(Debug)]
struct FileId {
    inode: Option<(u64, u64)>,
    place: Option<std::path::PathBuf>,
}

impl FileId {
    fn of(path: &Path) -> Self {
        use std::os::unix::fs::MetadataExt;
        let inode = std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()));
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let place = match (folder.canonicalize(), path.file_name()) {
            (Ok(dir), Some(name)) => Some(dir.join(name)),
            _ => None,
        };
        Self { inode, place }
    }

    fn same_as(&self, other: &FileId) -> bool {
        fn both<T: PartialEq>(a: &Option<T>, b: &Option<T>) -> bool {
            a.is_some() && a == b
        }
        both(&self.inode, &other.inode) || both(&self.place, &other.place)
    }
}

/// Fails unless a file can be created at `path`: its folder exists and takes a new file, and
/// `path` is not a folder. Creates a probe file beside it and removes it again, so nothing is
/// left behind either way.
pub fn check_writable(path: &Path, flag: &str) -> Result<()> {
    let shown = path.display();
    let Some(name) = path.file_name() else {
        bail!("{flag} {shown}: the path names no file");
    };
    if path.is_dir() {
        bail!("{flag} {shown}: is a directory");
    }
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        bail!(
            "{flag} {shown}: directory {} does not exist",
            folder.display()
        );
    }
    let mut probe_name = std::ffi::OsString::from(".");
    probe_name.push(name);
    probe_name.push(format!(".probe-{}", std::process::id()));
    let probe = folder.join(probe_name);
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .with_context(|| {
            format!(
                "{flag} {shown}: cannot create a file in {}",
                folder.display()
            )
        })?;
    // The probe is empty and ours; failing to remove it does not make the output unwritable.
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Checks every value of `m` as the index would (finite; not all zeros under cosine), reporting
/// the row in the whole file rather than in a batch.
pub fn check_values(m: &Matrix<f32>, metric: Metric) -> vicino::Result<()> {
    m.data
        .chunks_exact(m.dim.max(1))
        .enumerate()
        .try_for_each(|(row, v)| check_row(row, v, metric))
}

/// [`check_values`] over a mapped file, a row at a time.
pub fn check_file_values(f: &VectorFile, metric: Metric) -> vicino::Result<()> {
    let mut buf = Vec::new();
    (0..f.rows()).try_for_each(|row| check_row(row, f.row(row, &mut buf), metric))
}

fn check_row(row: usize, v: &[f32], metric: Metric) -> vicino::Result<()> {
    metric.check_vector(v, row)
}

/// Fails unless `got` (the dimension of the file behind `flag`) is `expected`.
pub fn check_dim(got: usize, expected: usize, flag: &str, against: &str) -> Result<()> {
    if got != expected {
        bail!("{flag} has dimension {got}, but {against} has dimension {expected}");
    }
    Ok(())
}
