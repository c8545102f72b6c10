//! Structural invariants of built graphs: link caps, no self links, layer-0 reachability.

use super::*;
use crate::graph::Graph;

/// 32 well-separated clusters (centres spread 5x wider than the clusters).
fn clustered(n: usize, dim: usize, seed: u64) -> Vec<f32> {
    vicino_bench::synth::Mixture {
        centre_sd: 3.0,
        ..vicino_bench::synth::Mixture::isotropic(32, 0.6, seed)
    }
    .draw(n, dim)
}

fn check_invariants(index: &Index) {
    let graph: &Graph = &index.graph;
    let n = index.len();
    assert_eq!(n, index.allocated.load(Ordering::Relaxed));
    let (entry, top) = graph.entry().expect("non-empty graph has an entry point");
    for id in 0..n as u32 {
        let level = graph.level_of(id);
        assert!(level <= top, "node {id} above the top level");
        for layer in 0..=level {
            let links: Vec<u32> = graph.links(id, layer).iter().collect();
            assert!(
                links.len() <= graph.cap(layer),
                "node {id} layer {layer}: {} links",
                links.len()
            );
            assert!(
                !links.contains(&id),
                "node {id} links to itself on layer {layer}"
            );
            for &l in &links {
                assert!((l as usize) < n, "node {id} links to unknown {l}");
                assert!(
                    graph.level_of(l) >= layer,
                    "node {id} links to {l} below its level"
                );
            }
            let mut dedup = links.clone();
            dedup.sort_unstable();
            dedup.dedup();
            assert_eq!(dedup.len(), links.len(), "node {id} has duplicate links");
        }
    }
    assert_eq!(graph.level_of(entry), top);
    // Every node reachable from the entry point on layer 0.
    let mut seen = vec![false; n];
    let mut stack = vec![entry];
    seen[entry as usize] = true;
    while let Some(id) = stack.pop() {
        for l in graph.links(id, 0).iter() {
            if !seen[l as usize] {
                seen[l as usize] = true;
                stack.push(l);
            }
        }
    }
    let unreachable = seen.iter().filter(|s| !**s).count();
    assert_eq!(graph.unreachable(n).len(), unreachable);
    assert_eq!(
        unreachable, 0,
        "{unreachable} of {n} nodes unreachable on layer 0"
    );
}

#[test]
fn built_graphs_keep_their_invariants() {
    for (metric, m) in [
        (Metric::L2, 8),
        (Metric::Cosine, 16),
        (Metric::InnerProduct, 4),
    ] {
        let dim = 24;
        let data = clustered(4000, dim, 11);
        let params = IndexParams::new(metric).m(m).ef_construction(64);
        let index = Index::build(params, dim, &data).unwrap();
        check_invariants(&index);
    }
}

#[test]
fn incremental_adds_past_the_reserve_keep_invariants() {
    let dim = 10;
    let data = clustered(3000, dim, 5);
    let index = Index::with_capacity(IndexParams::new(Metric::L2).m(6), dim, 100).unwrap();
    for (i, row) in data.chunks_exact(dim).enumerate() {
        index.add(i as u64 * 3, row).unwrap();
    }
    index.repair().unwrap();
    check_invariants(&index);
    let hit = index.search(&data[dim * 77..dim * 78], 1, 50).unwrap();
    assert_eq!(hit[0].key, 77 * 3);
}

#[test]
fn repair_relinks_an_orphaned_node() {
    let dim = 8;
    let data = clustered(1500, dim, 9);
    let params = IndexParams::new(Metric::L2).m(6);
    let dir = tempfile::tempdir().unwrap();
    // In RAM, and on disk, where the build (and so the repair) computes distances on codes.
    let on_disk = Index::with_capacity_on_disk(params, dim, 1500, dir.path(), &data).unwrap();
    let keys: Vec<u64> = (0..1500).collect();
    on_disk.add_batch(&keys, &data).unwrap();
    for index in [Index::build(params, dim, &data).unwrap(), on_disk] {
        let graph = &index.graph;
        index.repair().unwrap();
        let (entry, _) = graph.entry().unwrap();
        let orphan = if entry == 700 { 701 } else { 700 };
        // Cut every layer-0 link into the orphan.
        for id in 0..index.len() as u32 {
            let links: Vec<u32> = graph.links(id, 0).iter().collect();
            if links.contains(&orphan) {
                let kept: Vec<u32> = links.into_iter().filter(|&l| l != orphan).collect();
                graph.restore_links(id, 0, &kept);
            }
        }
        assert!(graph.unreachable(index.len()).contains(&orphan));
        assert!(index.repair().unwrap() >= 1);
        check_invariants(&index);
        let hit = index
            .search(&data[orphan as usize * dim..][..dim], 1, 64)
            .unwrap();
        assert_eq!(hit[0].key, orphan as u64);
    }
}
