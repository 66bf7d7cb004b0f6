//! Relative times for the inbox ("now", "5 minutes ago", "3 days ago") in
//! the visitor's language, worded by the browser's `Intl.RelativeTimeFormat`
//! (no tables of our own in the wasm).

/// How long ago `then_ms` was, in the largest whole unit: `(0, "second")`
/// under a minute (worded "now"), clock skew included.
pub fn bucket(now_ms: i64, then_ms: i64) -> (i64, &'static str) {
    let secs = (now_ms - then_ms).max(0) / 1000;
    match secs {
        0..=59 => (0, "second"),
        60..=3_599 => (secs / 60, "minute"),
        3_600..=86_399 => (secs / 3_600, "hour"),
        86_400..=604_799 => (secs / 86_400, "day"),
        604_800..=2_591_999 => (secs / 604_800, "week"),
        2_592_000..=31_535_999 => (secs / 2_592_000, "month"),
        _ => (secs / 31_536_000, "year"),
    }
}

pub fn relative(now_ms: i64, then_ms: i64) -> String {
    let (n, unit) = bucket(now_ms, then_ms);
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"numeric".into(), &"auto".into());
    let locales = js_sys::Array::of1(&echo_web::i18n::language().into());
    js_sys::Intl::RelativeTimeFormat::new(&locales, &options)
        .format(-(n as f64), unit)
        .into()
}

#[cfg(test)]
mod tests {
    use super::bucket;

    #[test]
    fn buckets() {
        let now = 10_000_000_000;
        assert_eq!(bucket(now, now), (0, "second"));
        assert_eq!(bucket(now, now + 5_000), (0, "second"), "clock skew");
        assert_eq!(bucket(now, now - 59_000), (0, "second"));
        assert_eq!(bucket(now, now - 60_000), (1, "minute"));
        assert_eq!(bucket(now, now - 5 * 60_000), (5, "minute"));
        assert_eq!(bucket(now, now - 3 * 3_600_000), (3, "hour"));
        assert_eq!(bucket(now, now - 86_400_000), (1, "day"));
        assert_eq!(bucket(now, now - 3 * 86_400_000), (3, "day"));
        assert_eq!(bucket(now, now - 14 * 86_400_000), (2, "week"));
        assert_eq!(bucket(now, now - 65 * 86_400_000), (2, "month"));
        assert_eq!(bucket(now, now - 800 * 86_400_000), (2, "year"));
    }
}
