//! Reading Server-Sent Events (the push channel's wire format) on the
//! client side: a frame parser that accepts chunks split anywhere, and the
//! reconnect backoff. Pure Rust, shared by the widget and the console.

/// One SSE frame: `event:` (default `message`), `id:` and `data:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub event: String,
    pub data: String,
}

/// Splits a byte stream into frames; chunks may end anywhere.
#[derive(Default)]
pub struct SseParser {
    buffer: Vec<u8>,
}

impl SseParser {
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Frame> {
        self.buffer.extend(bytes.iter().filter(|b| **b != b'\r'));
        let mut frames = Vec::new();
        while let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
            let block: Vec<u8> = self.buffer.drain(..end + 2).collect();
            let text = String::from_utf8_lossy(&block);
            let mut frame = Frame {
                event: "message".into(),
                data: String::new(),
            };
            let mut has_data = false;
            for line in text.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    frame.event = v.trim().to_owned();
                } else if let Some(v) = line.strip_prefix("data:") {
                    if has_data {
                        frame.data.push('\n');
                    }
                    frame.data.push_str(v.strip_prefix(' ').unwrap_or(v));
                    has_data = true;
                }
            }
            if has_data {
                frames.push(frame);
            }
        }
        frames
    }
}

/// Exponential backoff with jitter: 1 s, 2 s, 4 s ... at most 15 s.
pub fn backoff_ms(failures: u32, jitter: f64) -> i32 {
    let base = 1000_i32.saturating_mul(1 << failures.saturating_sub(1).min(4));
    base.min(15_000) + (jitter.clamp(0.0, 1.0) * 500.0) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_split_across_chunks() {
        let mut parser = SseParser::default();
        assert!(parser.push(b"event: ready\ndata: {\"posi").is_empty());
        let frames =
            parser.push(b"tion\":3}\n\n: heartbeat\n\nid: 4\nevent: message\r\ndata: {}\n\n");
        assert_eq!(
            frames,
            [
                Frame {
                    event: "ready".into(),
                    data: "{\"position\":3}".into()
                },
                Frame {
                    event: "message".into(),
                    data: "{}".into()
                },
            ]
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff_ms(1, 0.0), 1000);
        assert_eq!(backoff_ms(2, 0.0), 2000);
        assert_eq!(backoff_ms(3, 0.0), 4000);
        assert_eq!(backoff_ms(10, 0.0), 15_000);
        assert_eq!(backoff_ms(1, 1.0), 1500);
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_in_any_chunks_parse_the_same(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
            cut in 0usize..400,
        ) {
            let mut whole = SseParser::default();
            let at_once = whole.push(&bytes);
            let cut = cut.min(bytes.len());
            let mut split = SseParser::default();
            let mut in_two = split.push(&bytes[..cut]);
            in_two.extend(split.push(&bytes[cut..]));
            proptest::prop_assert_eq!(at_once, in_two);
        }

        #[test]
        fn frame_like_text_never_panics(text in "((id|event|data|retry|:)?:? ?[a-z{}\"0-9]{0,8}(\r\n|\n|\r)?){0,30}") {
            let mut parser = SseParser::default();
            let _ = parser.push(text.as_bytes());
        }
    }
}
