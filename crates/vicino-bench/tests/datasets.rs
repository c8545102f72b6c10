//! `datasets` finds and loads what `scripts/fetch_dataset.sh` puts in the data folder.
//!
//! The texmex test runs the real script, offline (a fake downloader through
//! `VICINO_FETCH_CMD` hands it a siftsmall.tar.gz built here with the real member names and
//! sizes), into a temporary data folder, then loads `sift-10k` by name: if the layout the
//! script produces and the one the loader expects drift apart, it fails. A second test reads
//! every texmex member list and every `.hdf5` name from the script's tables, so `sift-1m` (too
//! big to fake) is held to the same layout. The HDF5 test loads the reader's fixtures by name.

use std::path::{Path, PathBuf};
use std::process::Command;

use vicino::Metric;
use vicino_bench::datasets::{self, Location, Truth};
use vicino_bench::io::{write_fvecs, write_ivecs, Matrix};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn script() -> PathBuf {
    workspace_root().join("scripts/fetch_dataset.sh")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// `rows x dim` values that differ from row to row.
fn vectors(rows: usize, dim: usize, seed: u32) -> Matrix<f32> {
    let data = (0..rows * dim)
        .map(|i| {
            let x = (i as u32).wrapping_mul(2_654_435_761) ^ seed;
            (x % 1000) as f32 / 10.0
        })
        .collect();
    Matrix { rows, dim, data }
}

/// The lines of the shell function `name() { ... }` in the script.
fn shell_function<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    let start = format!("{name}() {{");
    text.lines()
        .skip_while(|l| !l.starts_with(&start))
        .skip(1)
        .take_while(|l| !l.starts_with('}'))
        .collect()
}

/// A texmex member in the script's table: file name, dims, rows.
type Member = (String, usize, usize);

/// The script's texmex members per dataset name.
fn texmex_members(text: &str) -> Vec<(String, Vec<Member>)> {
    let mut sets: Vec<(String, Vec<Member>)> = Vec::new();
    for line in shell_function(text, "texmex_members") {
        let line = line.trim().trim_end_matches('\\').trim();
        if let Some(name) = line.strip_suffix(')') {
            sets.push((name.to_owned(), Vec::new()));
        } else if let Some(member) = line.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
            let fields: Vec<&str> = member.split('|').collect();
            let [file, dims, rows] = fields[..] else {
                panic!("texmex member line {line:?} is not \"file|dims|rows\"");
            };
            let set = sets.last_mut().expect("a member after a name");
            set.1.push((
                file.to_owned(),
                dims.parse().unwrap(),
                rows.parse().unwrap(),
            ));
        }
    }
    sets
}

/// The script's dataset table: (name, kind).
fn dataset_table(text: &str) -> Vec<(String, String)> {
    shell_function(text, "dataset_table")
        .into_iter()
        .filter(|l| l.contains('|'))
        .map(|l| {
            let mut fields = l.split('|');
            let name = fields.next().unwrap().trim().to_owned();
            (name, fields.next().unwrap().to_owned())
        })
        .collect()
}

#[test]
fn sift_10k_as_the_fetch_script_lays_it_out_loads_by_name() {
    let text = std::fs::read_to_string(script()).expect("read scripts/fetch_dataset.sh");
    let sets = texmex_members(&text);
    let (_, members) = sets
        .iter()
        .find(|(name, _)| name == "sift-10k")
        .expect("sift-10k in the script's texmex_members");

    // A siftsmall.tar.gz as INRIA ships it: a siftsmall/ folder with the members at the
    // script's sizes. Ground truth: row q holds ids q, q + 1, ... (valid, and not what brute
    // force would give, so the test sees whose truth was used).
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src/siftsmall");
    std::fs::create_dir_all(&src).unwrap();
    let mut queries = None;
    for (i, (file, dims, rows)) in members.iter().enumerate() {
        let path = src.join(file);
        if file.ends_with("_groundtruth.ivecs") {
            let gt: Vec<Vec<u32>> = (0..*rows as u32)
                .map(|q| (0..*dims as u32).map(|j| q + j).collect())
                .collect();
            write_ivecs(&path, &gt).unwrap();
        } else {
            let m = vectors(*rows, *dims, i as u32);
            write_fvecs(&path, &m).unwrap();
            if file.ends_with("_query.fvecs") {
                queries = Some(m);
            }
        }
    }
    let tarball = work.path().join("siftsmall.tar.gz");
    let status = Command::new("tar")
        .arg("-czf")
        .arg(&tarball)
        .arg("-C")
        .arg(work.path().join("src"))
        .arg("siftsmall")
        .status()
        .expect("run tar");
    assert!(status.success(), "tar: {status}");

    let fake = work.path().join("fake_fetch.sh");
    std::fs::write(&fake, "#!/bin/sh\ncp \"$FAKE_SRC\" \"$2\"\n").unwrap();
    let data = work.path().join("data");
    let out = Command::new("bash")
        .arg(script())
        .arg("--data-dir")
        .arg(&data)
        .arg("sift-10k")
        .env_remove("VICINO_DATA")
        .env("VICINO_FETCH_CMD", format!("sh {}", fake.display()))
        .env("FAKE_SRC", &tarball)
        .output()
        .expect("run bash scripts/fetch_dataset.sh");
    assert!(
        out.status.success(),
        "fetch_dataset.sh: {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let set = datasets::load(&data, "sift-10k", 10).expect("load sift-10k by name");
    let folder = data.join("sift-10k");
    assert_eq!(
        set.location,
        Location::Texmex {
            base: folder.join("siftsmall_base.fvecs"),
            queries: folder.join("siftsmall_query.fvecs"),
            groundtruth: Some(folder.join("siftsmall_groundtruth.ivecs")),
        }
    );
    assert_eq!(set.name, "sift-10k");
    assert_eq!(set.metric, Metric::L2);
    assert_eq!((set.base.rows, set.base.dim), (10_000, 128));
    assert_eq!(Some(set.queries), queries);
    assert_eq!(
        set.truth_from,
        Truth::File(folder.join("siftsmall_groundtruth.ivecs"))
    );
    assert_eq!(set.truth.len(), 100);
    assert_eq!(set.truth[7], (7..17).collect::<Vec<u64>>());

    // Another name in the same folder is not there, and the error says how to fetch it.
    let err = datasets::load(&data, "sift-1m", 10)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!(
            "bash scripts/fetch_dataset.sh --data-dir {} sift-1m",
            data.display()
        )),
        "{err}"
    );
}

#[test]
fn every_set_the_script_fetches_has_a_layout_the_loader_reads() {
    let text = std::fs::read_to_string(script()).expect("read scripts/fetch_dataset.sh");
    let table = dataset_table(&text);
    let texmex = texmex_members(&text);
    assert!(
        table.len() >= 10,
        "the script's table has {} rows",
        table.len()
    );
    let dir = tempfile::tempdir().unwrap();
    for (name, kind) in &table {
        match kind.as_str() {
            "hdf5" => {
                // Lands as DIR/NAME.hdf5, which locate finds.
                let path = dir.path().join(format!("{name}.hdf5"));
                std::fs::write(&path, b"").unwrap();
                assert_eq!(
                    datasets::locate(dir.path(), name).unwrap(),
                    Location::Hdf5 { path },
                    "{name}"
                );
            }
            "texmex" => {
                // Lands as DIR/NAME/ holding the members: tiny files under the same names.
                let (_, members) = texmex
                    .iter()
                    .find(|(n, _)| n == name)
                    .unwrap_or_else(|| panic!("{name}: no texmex_members entry"));
                let folder = dir.path().join(name);
                std::fs::create_dir(&folder).unwrap();
                for (file, _, _) in members {
                    if file.ends_with(".ivecs") {
                        write_ivecs(&folder.join(file), &[vec![0, 1], vec![1, 0]]).unwrap();
                    } else {
                        write_fvecs(&folder.join(file), &vectors(2, 3, 1)).unwrap();
                    }
                }
                let set =
                    datasets::load(dir.path(), name, 2).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(
                    matches!(&set.truth_from, Truth::File(p) if p.starts_with(&folder)),
                    "{name}: the folder's ground truth is not the one used ({:?})",
                    set.truth_from
                );
                assert_eq!(set.metric, Metric::L2);
            }
            other => panic!("{name}: kind {other:?} that the loader does not know"),
        }
    }
}

#[test]
fn hdf5_files_load_by_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("ann-tiny.hdf5"), dir.path().join("tiny.hdf5")).unwrap();
    let set = datasets::load(dir.path(), "tiny", 5).expect("tiny.hdf5");
    assert_eq!(set.metric, Metric::L2);
    assert_eq!(set.truth_from, Truth::File(dir.path().join("tiny.hdf5")));
    let exact = vicino_bench::truth::exact_neighbors(
        set.metric,
        set.base.dim,
        &set.base.data,
        &set.queries.data,
        5,
    )
    .unwrap();
    assert_eq!(set.truth, exact);

    // No `distance` and no `neighbors`: the metric from the name, the truth computed.
    std::fs::copy(
        fixture("ann-no-neighbors.hdf5"),
        dir.path().join("bare-euclidean.hdf5"),
    )
    .unwrap();
    let set = datasets::load(dir.path(), "bare-euclidean", 5).expect("bare-euclidean.hdf5");
    assert_eq!((set.metric, set.truth_from), (Metric::L2, Truth::Exact));

    std::fs::copy(
        fixture("ann-no-neighbors.hdf5"),
        dir.path().join("bare.hdf5"),
    )
    .unwrap();
    let err = datasets::load(dir.path(), "bare", 5)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no `distance` attribute"), "{err}");
}
