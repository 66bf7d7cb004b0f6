//! What a visitor's browser said of itself, read for a person: the
//! browser and its version, the operating system, the kind of device, and
//! the visitor's local time in their time zone.
//!
//! The user agent is read by the ua-parser project's maintained rules
//! (`assets/uap-regexes.json`: uap-core 0.18.0's `regexes.yaml` as JSON,
//! Apache-2.0, see `assets/uap-core-LICENSE`) with its Rust engine. They
//! are compiled once, on first use; the regex engine is linear in the
//! input, which the metadata's own limit keeps to 512 characters.

use std::sync::OnceLock;

use echo_protocol::Timestamp;

/// The rules, compiled (`None` if they failed to: the context then says
/// "unknown" rather than failing the request).
fn extractor() -> Option<&'static ua_parser::Extractor<'static>> {
    static EXTRACTOR: OnceLock<Option<ua_parser::Extractor<'static>>> = OnceLock::new();
    EXTRACTOR
        .get_or_init(|| {
            let regexes: ua_parser::Regexes<'static> =
                match serde_json::from_str(include_str!("../assets/uap-regexes.json")) {
                    Ok(regexes) => regexes,
                    Err(error) => {
                        tracing::error!(%error, "the user-agent rules do not load");
                        return None;
                    }
                };
            match ua_parser::Extractor::try_from(regexes) {
                Ok(extractor) => Some(extractor),
                Err(error) => {
                    tracing::error!(%error, "the user-agent rules do not compile");
                    None
                }
            }
        })
        .as_ref()
}

/// A user agent, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    /// `Firefox 128`.
    pub browser: Option<String>,
    /// `Windows 10`, `iOS 17.5`.
    pub os: Option<String>,
    pub device: Device,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    Desktop,
    Mobile,
    Tablet,
    Bot,
    Unknown,
}

impl Device {
    pub fn as_str(self) -> &'static str {
        match self {
            Device::Desktop => "desktop",
            Device::Mobile => "mobile",
            Device::Tablet => "tablet",
            Device::Bot => "bot",
            Device::Unknown => "unknown",
        }
    }
}

/// `name major.minor` (the parts that are known; "Other" is unknown).
fn named(name: &str, major: Option<&str>, minor: Option<&str>) -> Option<String> {
    if name.is_empty() || name == "Other" {
        return None;
    }
    Some(match (major, minor) {
        (Some(major), Some(minor)) if minor != "0" => format!("{name} {major}.{minor}"),
        (Some(major), _) => format!("{name} {major}"),
        _ => name.to_owned(),
    })
}

/// Reads `ua`. Slow the first time in a process (the rules compile): call
/// it off the async workers.
pub fn parse(ua: &str) -> Agent {
    let Some(extractor) = extractor() else {
        return Agent {
            browser: None,
            os: None,
            device: Device::Unknown,
        };
    };
    let (browser, os, device) = extractor.extract(ua);
    let browser = browser.and_then(|b| named(&b.family, b.major, None));
    let os_family = os.as_ref().map(|o| o.os.to_string());
    let os = os.and_then(|o| named(&o.os, o.major.as_deref(), o.minor.as_deref()));
    let device_family = device.map(|d| d.device.to_string()).unwrap_or_default();
    let device = device_kind(ua, os_family.as_deref(), &device_family);
    Agent {
        browser,
        os,
        device,
    }
}

/// The kind of device, from what the rules found: crawlers are named
/// "Spider"; tablets by name (or Android without "Mobile", Android's own
/// convention); phones by their systems; computers by theirs.
fn device_kind(ua: &str, os: Option<&str>, device: &str) -> Device {
    const TABLETS: &[&str] = &["iPad", "Tablet", "Kindle", "Nexus 7", "Nexus 9", "Nexus 10"];
    const PHONES: &[&str] = &[
        "iOS",
        "Android",
        "Windows Phone",
        "BlackBerry OS",
        "KaiOS",
        "Firefox OS",
    ];
    const COMPUTERS: &[&str] = &[
        "Windows",
        "Mac OS X",
        "macOS",
        "Linux",
        "Ubuntu",
        "Fedora",
        "Debian",
        "Chrome OS",
        "FreeBSD",
        "OpenBSD",
    ];
    if device == "Spider" {
        return Device::Bot;
    }
    if TABLETS.iter().any(|t| device.contains(t)) {
        return Device::Tablet;
    }
    match os {
        Some("Android") if !ua.contains("Mobile") => Device::Tablet,
        Some(os) if PHONES.contains(&os) => Device::Mobile,
        Some(os) if COMPUTERS.iter().any(|c| os.starts_with(c)) => Device::Desktop,
        _ => Device::Unknown,
    }
}

/// The time now in the IANA zone `zone`, `YYYY-MM-DDTHH:MM` (`None` for a
/// zone the database does not know).
pub fn local_time(zone: &str, now: Timestamp) -> Option<String> {
    let zone = jiff::tz::TimeZone::get(zone).ok()?;
    let at = jiff::Timestamp::from_millisecond(now.millis()).ok()?;
    Some(at.to_zoned(zone).strftime("%Y-%m-%dT%H:%M").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_agents_read_as_a_person_would_say_them() {
        let cases = [
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
                Some("Firefox 128"),
                Some("Windows 10"),
                Device::Desktop,
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                Some("Mobile Safari 17"),
                Some("iOS 17.5"),
                Device::Mobile,
            ),
            (
                "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
                Some("Mobile Safari 16"),
                Some("iOS 16.6"),
                Device::Tablet,
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
                Some("Chrome 126"),
                Some("Linux"),
                Device::Desktop,
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
                Some("Chrome Mobile 126"),
                Some("Android 14"),
                Device::Mobile,
            ),
            (
                "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                Some("Googlebot 2"),
                None,
                Device::Bot,
            ),
        ];
        for (ua, browser, os, device) in cases {
            let agent = parse(ua);
            assert_eq!(agent.browser.as_deref(), browser, "{ua}");
            assert_eq!(agent.os.as_deref(), os, "{ua}");
            assert_eq!(agent.device, device, "{ua}");
        }
    }

    #[test]
    fn nonsense_is_unknown_not_an_error() {
        for ua in ["", "curl/8.0", "\u{202e}x", &"(".repeat(512)] {
            let agent = parse(ua);
            assert!(agent.os.is_none(), "{ua}");
        }
    }

    #[test]
    fn local_time_follows_the_zone_and_refuses_unknown_ones() {
        // 2026-01-15 12:00 UTC.
        let now = Timestamp(1_768_478_400_000);
        assert_eq!(
            local_time("Asia/Tokyo", now).as_deref(),
            Some("2026-01-15T21:00")
        );
        assert_eq!(
            local_time("America/New_York", now).as_deref(),
            Some("2026-01-15T07:00")
        );
        assert_eq!(local_time("Mars/Olympus", now), None);
        assert_eq!(local_time("../../etc/passwd", now), None);
    }
}
