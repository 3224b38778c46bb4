//! The text key-value scanner: never panics; every pair's key and value
//! are in bounds, and the key ends before the value starts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logscrub::record::text::kv_pairs;

fuzz_target!(|data: &[u8]| {
    kv_pairs(
        data,
        |ks, ke| {
            assert!(ks < ke && ke <= data.len(), "key {ks}..{ke}");
            Some((ks, ke))
        },
        |p, key| {
            assert_eq!(p.key, key, "the wanted key is the reported key");
            assert!(p.value.0 <= p.value.1 && p.value.1 <= data.len(), "{p:?}");
            assert!(p.key.1 <= p.value.0, "key overlaps value: {p:?}");
        },
    );
});
