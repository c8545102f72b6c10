//! Prints recall@10 against exact search across ef on generated clustered data (a quick
//! sanity check while tuning; the real benchmark is scripts/compare.py).
//!
//! `cargo run --release --example recall_probe -- [rows] [dim] [metric]`

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Instant;
use vicinity::{FlatIndex, Index, IndexParams, Metric};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let rows: usize = args.get(1).map_or(Ok(20_000), |s| s.parse())?;
    let dim: usize = args.get(2).map_or(Ok(64), |s| s.parse())?;
    let metric: Metric = args.get(3).map_or(Ok(Metric::L2), |s| s.parse())?;
    let nq = 500;
    let mut rng = StdRng::seed_from_u64(7);
    let clusters = 50;
    let centres: Vec<f32> = (0..clusters * dim)
        .map(|_| rng.gen_range(-1.0..1.0))
        .collect();
    let data: Vec<f32> = (0..rows + nq)
        .flat_map(|_| {
            let c = rng.gen_range(0..clusters);
            (0..dim)
                .map(|j| centres[c * dim + j] + rng.gen_range(-1.0f32..1.0))
                .collect::<Vec<_>>()
        })
        .collect();
    let (base, queries) = data.split_at(rows * dim);
    let t = Instant::now();
    let index = Index::build(IndexParams::new(metric), dim, base)?;
    println!(
        "build {:.2}s, {} bytes/vector",
        t.elapsed().as_secs_f64(),
        index.memory_bytes() / rows
    );
    let exact = FlatIndex::new(metric, dim, base)?.search_batch(queries, 10)?;
    for ef in [10, 20, 40, 80, 100, 160] {
        let t = Instant::now();
        let found: Vec<_> = queries
            .chunks_exact(dim)
            .map(|q| index.search(q, 10, ef))
            .collect::<Result<_, _>>()?;
        let secs = t.elapsed().as_secs_f64();
        let hits: usize = exact
            .iter()
            .zip(&found)
            .map(|(e, f)| {
                f.iter()
                    .filter(|n| e.iter().any(|x| x.key == n.key))
                    .count()
            })
            .sum();
        println!(
            "ef {ef:4} recall {:.4} qps {:.0}",
            hits as f64 / (nq * 10) as f64,
            nq as f64 / secs
        );
    }
    Ok(())
}
