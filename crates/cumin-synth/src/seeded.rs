//! Seeded coin flips: a hash of (seed, child, ...) gives every random choice of a row
//! its own stream, so thread count and row order never change the extract.

/// A 64-bit mix of its inputs (SplitMix64 finaliser), for per-row coin flips that do not
/// depend on the order rows are produced in.
pub fn mix(parts: &[u64]) -> u64 {
    let mut h: u64 = 0x9E37_79B9_7F4A_7C15;
    for &p in parts {
        h ^= p.wrapping_add(0x9E37_79B9_7F4A_7C15);
        h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        h ^= h >> 31;
    }
    h
}

/// A uniform number in [0, 1) from [`mix`].
pub fn coin(parts: &[u64]) -> f64 {
    (mix(parts) >> 11) as f64 / (1u64 << 53) as f64
}
