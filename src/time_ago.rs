//! Relative times for the inbox ("just now", "5 min ago", "3 days ago").

pub fn relative(now_ms: i64, then_ms: i64) -> String {
    let secs = (now_ms - then_ms).max(0) / 1000;
    let (n, unit) = match secs {
        0..=59 => return "just now".to_owned(),
        60..=3_599 => (secs / 60, "min"),
        3_600..=86_399 => (secs / 3_600, "h"),
        86_400..=604_799 => (secs / 86_400, "day"),
        604_800..=2_591_999 => (secs / 604_800, "week"),
        2_592_000..=31_535_999 => (secs / 2_592_000, "month"),
        _ => (secs / 31_536_000, "year"),
    };
    let plural = if n > 1 && unit != "min" && unit != "h" {
        "s"
    } else {
        ""
    };
    format!("{n} {unit}{plural} ago")
}

#[cfg(test)]
mod tests {
    use super::relative;

    #[test]
    fn buckets() {
        let now = 10_000_000_000;
        assert_eq!(relative(now, now), "just now");
        assert_eq!(relative(now, now + 5_000), "just now", "clock skew");
        assert_eq!(relative(now, now - 59_000), "just now");
        assert_eq!(relative(now, now - 60_000), "1 min ago");
        assert_eq!(relative(now, now - 5 * 60_000), "5 min ago");
        assert_eq!(relative(now, now - 3 * 3_600_000), "3 h ago");
        assert_eq!(relative(now, now - 86_400_000), "1 day ago");
        assert_eq!(relative(now, now - 3 * 86_400_000), "3 days ago");
        assert_eq!(relative(now, now - 14 * 86_400_000), "2 weeks ago");
        assert_eq!(relative(now, now - 65 * 86_400_000), "2 months ago");
        assert_eq!(relative(now, now - 800 * 86_400_000), "2 years ago");
    }
}
