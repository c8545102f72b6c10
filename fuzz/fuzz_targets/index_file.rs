//! An index file, as given and with its checksums re-sealed (so mutations get past the
//! checksums to the structure and link checks), through `load`, `open` and `verify`; whatever
//! opens must answer a search. Nothing may panic or crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vicino::Index;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("f.vcn");
    let mut resealed = data.to_vec();
    reseal(&mut resealed);
    for bytes in [data, &resealed[..]] {
        std::fs::write(&path, bytes).expect("write");
        let verified = Index::verify(&path).is_ok();
        let loaded = Index::load(&path);
        // load checks everything verify checks, and verify everything load does.
        assert_eq!(loaded.is_ok(), verified, "load and verify disagree");
        for index in [loaded, Index::open(&path)].into_iter().flatten() {
            let dim = index.dim();
            let _ = index.search(&vec![0.5; dim], 3, 16);
            let _ = index.exact_search(&vec![0.25; dim], 2);
        }
    }
});

/// Rewrites every section checksum and the header's, where the section table points inside
/// the buffer (as a careless or hostile writer would).
fn reseal(bytes: &mut [u8]) {
    if bytes.len() < 244 {
        return;
    }
    for i in 0..5 {
        let at = 80 + i * 32;
        let field = |o: usize| u64::from_le_bytes(bytes[at + o..at + o + 8].try_into().unwrap());
        let (offset, len) = (field(8) as usize, field(16) as usize);
        if let Some(section) = offset
            .checked_add(len)
            .filter(|&end| end <= bytes.len())
            .map(|end| &bytes[offset..end])
        {
            let crc = crc32c::crc32c(section);
            bytes[at + 4..at + 8].copy_from_slice(&crc.to_le_bytes());
        }
    }
    let crc = crc32c::crc32c(&bytes[..240]);
    bytes[240..244].copy_from_slice(&crc.to_le_bytes());
}
