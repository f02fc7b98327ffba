//! The stable key hash used by `hash_bucket` and hashed `crossed` columns.
//!
//! **Definition (part of the on-disk contract):** FNV-1a, 64-bit, over the key's UTF-8
//! bytes: start with `0xcbf29ce484222325`; for each byte, `h ^= byte; h *= 0x100000001b3`
//! (wrapping). A key's bucket is `h % hash_bucket_size`. It does not depend on the platform,
//! the process, or the crate version; changing it would be a format-version change.

/// FNV-1a 64-bit hash of `bytes`.
#[must_use]
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Bucket of `key` among `buckets` (which must be > 0).
#[must_use]
pub fn bucket(key: &str, buckets: usize) -> u32 {
    (fnv1a64(key.as_bytes()) % buckets as u64) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        // Published FNV-1a test vectors.
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
        // Pinned buckets: these numbers must never change.
        assert_eq!(bucket("shrek", 1000), (fnv1a64(b"shrek") % 1000) as u32);
        assert_eq!(bucket("foobar", 100), (0x85944171f73967e8u64 % 100) as u32);
    }
}
