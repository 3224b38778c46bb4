//! The JSON tokenizer: never panics; tokens lie inside the document, in
//! order; whatever serde_json accepts, the tokenizer accepts too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logscrub::record::json::{tokenize, Kind};

fuzz_target!(|data: &[u8]| {
    let mut tokens = Vec::new();
    let mut stack = Vec::new();
    let result = tokenize(data, &mut tokens, &mut stack);
    if result.is_ok() {
        let mut last_start = 0u32;
        for t in &tokens {
            assert!(t.start <= t.end && t.end as usize <= data.len(), "{t:?}");
            assert!(t.start >= last_start, "tokens out of order");
            last_start = t.start;
            match t.kind {
                Kind::Key | Kind::Str => {
                    assert_eq!(data[t.start as usize], b'"');
                    assert_eq!(data[t.end as usize - 1], b'"');
                }
                Kind::Object => assert_eq!(data[t.start as usize], b'{'),
                Kind::Array => assert_eq!(data[t.start as usize], b'['),
                _ => {}
            }
        }
    }
    if serde_json::from_slice::<serde_json::Value>(data).is_ok() {
        assert!(result.is_ok(), "serde_json accepts what tokenize rejects");
    }
});
