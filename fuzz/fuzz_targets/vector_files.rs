//! Bytes as a `.fvecs`, `.bvecs`, `.ivecs` and `.npy` file through every reader (whole and
//! mapped). Nothing may panic, abort on an allocation, or crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vicino_bench::io::{read_ivecs, read_vectors, VectorFile};

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("temp dir");
    for ext in ["fvecs", "bvecs", "ivecs", "npy"] {
        let path = dir.path().join(format!("f.{ext}"));
        std::fs::write(&path, data).expect("write");
        if let Ok(m) = read_vectors(&path) {
            assert_eq!(m.data.len(), m.rows * m.dim);
        }
        if let Ok(m) = read_ivecs(&path) {
            assert_eq!(m.data.len(), m.rows * m.dim);
        }
        if let Ok(f) = VectorFile::open(&path) {
            let mut buf = Vec::new();
            for i in [0, f.rows() / 2, f.rows().saturating_sub(1)] {
                if i < f.rows() {
                    assert_eq!(f.row(i, &mut buf).len(), f.dim());
                }
            }
        }
    }
});
