//! Serving an index bigger than the memory the process may use: a mapped index keeps its
//! vectors in file pages the OS can drop, not in the process's own (anonymous) memory.

use std::path::Path;
use std::process::Command;

use vicino::{Index, IndexParams, Metric};
use vicino_bench::io;
use vicino_bench::synth::Mixture;
use vicino_bench::truth::recall_against_exact;

const SEED: u64 = 20261125;

struct Setup {
    _dir: tempfile::TempDir,
    index: std::path::PathBuf,
    queries: std::path::PathBuf,
    gt: std::path::PathBuf,
    vector_bytes: u64,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let (rows, dim) = (40_000, 128);
    let data = Mixture::overlapping(40, SEED + 20).draw(rows + 60, dim);
    let (base, queries) = data.split_at(rows * dim);
    let params = IndexParams::new(Metric::L2).m(8).ef_construction(48);
    let index = Index::build(params, dim, base).unwrap();
    let paths = (
        dir.path().join("i.vcn"),
        dir.path().join("q.fvecs"),
        dir.path().join("gt.ivecs"),
    );
    index.save(&paths.0).unwrap();
    let q = io::Matrix {
        rows: 60,
        dim,
        data: queries.to_vec(),
    };
    io::write_fvecs(&paths.1, &q).unwrap();
    let exact = index.exact_search_batch(queries, 10).unwrap();
    let gt: Vec<Vec<u32>> = exact
        .iter()
        .map(|r| r.iter().map(|n| n.key as u32).collect())
        .collect();
    io::write_ivecs(&paths.2, &gt).unwrap();
    Setup {
        _dir: dir,
        index: paths.0,
        queries: paths.1,
        gt: paths.2,
        vector_bytes: (rows * dim * 4) as u64,
    }
}

fn search(s: &Setup, wrap: Option<&Path>, load: bool) -> serde_json::Value {
    let bin = env!("CARGO_BIN_EXE_vicino");
    let mut args: Vec<String> = [
        "search",
        "--index",
        &s.index.display().to_string(),
        "--queries",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    args.extend([
        s.queries.display().to_string(),
        "--k".into(),
        "10".into(),
        "--ef".into(),
        "64".into(),
    ]);
    args.extend(["--gt".into(), s.gt.display().to_string()]);
    if load {
        args.push("--load".into());
    }
    let out = match wrap {
        // Join the cgroup, then become the search.
        Some(cg) => Command::new("bash")
            .arg("-c")
            .arg(r#"echo $$ > "$0/cgroup.procs" && exec "$@""#)
            .arg(cg)
            .arg(bin)
            .args(&args)
            .output(),
        None => Command::new(bin).args(&args).output(),
    }
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn mapped_search_keeps_vectors_out_of_anonymous_memory() {
    let s = setup();
    let mapped = search(&s, None, false);
    let loaded = search(&s, None, true);
    assert_eq!(mapped["recall"], loaded["recall"]);
    let anon = |v: &serde_json::Value| v["rss_anon_bytes"].as_u64();
    match (anon(&mapped), anon(&loaded)) {
        (Some(m), Some(l)) => {
            eprintln!(
                "anonymous memory: mapped {m} B, loaded {l} B, vectors {} B",
                s.vector_bytes
            );
            assert!(
                m < s.vector_bytes / 2,
                "mapped search holds {m} B anonymous memory"
            );
            assert!(l > s.vector_bytes, "loaded search holds only {l} B");
        }
        _ => eprintln!("skipped the memory assertions: no /proc/self/status RssAnon here"),
    }
}

/// A memory cgroup with `limit` bytes, if this process may make one (root, v1 or v2).
fn cgroup(limit: u64) -> Result<std::path::PathBuf, String> {
    let name = format!("vicino-test-{}", std::process::id());
    let (dir, file) = if Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        (Path::new("/sys/fs/cgroup").join(&name), "memory.max")
    } else {
        (
            Path::new("/sys/fs/cgroup/memory").join(&name),
            "memory.limit_in_bytes",
        )
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    std::fs::write(dir.join(file), limit.to_string())
        .map_err(|e| format!("cannot set {file}: {e}"))?;
    Ok(dir)
}

#[test]
fn mapped_index_larger_than_a_cgroup_limit_answers_the_same() {
    let s = setup();
    let file_bytes = std::fs::metadata(&s.index).unwrap().len();
    let limit = 10 << 20;
    assert!(
        file_bytes > 2 * limit,
        "index of {file_bytes} B is not 2x the {limit} B limit"
    );
    let free = search(&s, None, false);
    // Drop the file's cached pages so the limited run has to page them in itself.
    let _ = Command::new("dd")
        .arg(format!("if={}", s.index.display()))
        .args(["iflag=nocache", "count=0", "status=none"])
        .status();
    match cgroup(limit) {
        Ok(cg) => {
            let limited = search(&s, Some(&cg), false);
            let _ = std::fs::remove_dir(&cg);
            eprintln!("in a {limit} B cgroup: {limited}");
            assert_eq!(limited["recall"], free["recall"]);
        }
        Err(why) => eprintln!("skipped the cgroup run: {why}"),
    }
}

#[test]
fn build_on_disk_keeps_recall_with_little_anonymous_memory() {
    let dir = tempfile::tempdir().unwrap();
    let (rows, dim) = (20_000, 128);
    let base = dir.path().join("base.fvecs");
    let mut data = Mixture::overlapping(30, SEED + 21).draw(rows + 100, dim);
    let queries = data.split_off(rows * dim);
    io::write_fvecs(
        &base,
        &io::Matrix {
            rows,
            dim,
            data: data.clone(),
        },
    )
    .unwrap();
    let build = |name: &str, on_disk: bool| {
        let out = dir.path().join(name);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vicino"));
        cmd.args([
            "build",
            "--metric",
            "l2",
            "--m",
            "12",
            "--ef-construction",
            "64",
            "--threads",
            "1",
        ])
        .arg("--input")
        .arg(&base)
        .arg("--output")
        .arg(&out);
        if on_disk {
            cmd.arg("--on-disk");
        }
        let o = cmd.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let index = Index::load(&out).unwrap();
        (
            recall_against_exact(&index, &data, &queries, 10, 64).expect("recall"),
            report["rss_anon_bytes"].as_u64(),
        )
    };
    let (in_ram, anon_ram) = build("ram.vcn", false);
    let (on_disk, anon_disk) = build("disk.vcn", true);
    eprintln!("recall@10 at ef 64: built in RAM {in_ram:.4}, on disk (on codes) {on_disk:.4}");
    // A small graph (M 12, ef_construction 64) and 100 queries: two builds differ by a few
    // points; `recall::building_on_codes_keeps_recall_every_metric` holds codes to 0.01.
    assert!(
        on_disk >= in_ram - 0.04 && on_disk >= 0.75,
        "on-disk build recall {on_disk} vs in RAM {in_ram} (seed {})",
        SEED + 21
    );
    let vector_bytes = (rows * dim * 4) as u64;
    if let (Some(r), Some(d)) = (anon_ram, anon_disk) {
        eprintln!("build anonymous memory: in RAM {r} B, on disk {d} B, vectors {vector_bytes} B");
        // The on-disk build holds codes (a quarter of the vectors) and links, not the vectors.
        assert!(
            d + vector_bytes / 2 < r,
            "on-disk build held {d} B anonymous memory, in RAM {r} B"
        );
        assert!(r > vector_bytes, "in-RAM build held only {r} B");
    }
    // No scratch file is left beside the output.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}
