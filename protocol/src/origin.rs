//! Web origins (`https://host[:port]`): the sites an organization allows
//! to embed its widget, compared in one normal form (lowercase, no default
//! port, no trailing slash).

/// An allowed site as an admin writes it: `https://host[:port]` (a
/// trailing `/` is dropped), or `http://` for a local host (development).
/// `Err` says what is wrong. The OpenAPI document states the same rule as
/// a pattern (`ORIGIN_PATTERN`).
pub fn parse_origin(raw: &str) -> Result<String, &'static str> {
    const SHAPE: &str = "must look like https://example.com[:port]";
    let text = raw.strip_suffix('/').unwrap_or(raw);
    let lower = text.to_ascii_lowercase();
    let (scheme, authority) = lower.split_once("://").ok_or(SHAPE)?;
    if authority.contains(['/', '?', '#']) {
        return Err("must be an origin only: no path, query or fragment");
    }
    normal(scheme, authority).ok_or(SHAPE)
}

/// [`parse_origin`]'s rule as an ECMA-262 pattern.
pub const ORIGIN_PATTERN: &str = concat!(
    "^([hH][tT][tT][pP][sS]://([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)*",
    "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?",
    "|[hH][tT][tT][pP][sS]?://([lL][oO][cC][aA][lL][hH][oO][sS][tT]|127\\.0\\.0\\.1|\\[::1\\]))",
    "(:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?/?$"
);

/// The origin of a page's URL, in normal form; `None` for anything that
/// is not an http(s) URL with a plain host.
pub fn origin_of(url: &str) -> Option<String> {
    let lower = url.to_ascii_lowercase();
    let (scheme, rest) = lower.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    normal(scheme, authority)
}

fn normal(scheme: &str, authority: &str) -> Option<String> {
    let (host, port) = match authority.strip_prefix("[::1]") {
        Some(rest) => ("[::1]", rest),
        None => authority.split_at(authority.find(':').unwrap_or(authority.len())),
    };
    let port = match port {
        "" => None,
        text => {
            let digits = text.strip_prefix(':')?;
            if digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Some(digits.parse::<u16>().ok()?)
        }
    };
    let local = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
    if !local && !is_dns_name(host) {
        return None;
    }
    let default = match scheme {
        "https" => 443,
        "http" if local => 80,
        _ => return None,
    };
    Some(match port {
        Some(port) if port != default => format!("{scheme}://{host}:{port}"),
        _ => format!("{scheme}://{host}"),
    })
}

fn is_dns_name(host: &str) -> bool {
    !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_take_one_normal_form() {
        assert_eq!(
            parse_origin("https://Shop.Example.com/").unwrap(),
            "https://shop.example.com"
        );
        assert_eq!(
            parse_origin("https://shop.example.com:443").unwrap(),
            "https://shop.example.com"
        );
        assert_eq!(
            parse_origin("https://shop.example.com:8443").unwrap(),
            "https://shop.example.com:8443"
        );
        assert_eq!(
            parse_origin("http://localhost:3000").unwrap(),
            "http://localhost:3000"
        );
        assert_eq!(
            parse_origin("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            parse_origin("https://[::1]:8443").unwrap(),
            "https://[::1]:8443"
        );
        assert_eq!(
            parse_origin("HTTPS://Shop.Example").unwrap(),
            "https://shop.example"
        );
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "",
            "shop.example.com",
            "http://shop.example.com",
            "ftp://shop.example.com",
            "https://shop.example.com/path",
            "https://shop.example.com?x=1",
            "https://user@shop.example.com",
            "https://shop..example.com",
            "https://-shop.example.com",
            "https://shop.example.com:0",
            "https://shop.example.com:99999",
            "https://shop example.com",
            "https://shop.example.com:0080",
            " https://shop.example.com",
            "javascript:alert(1)",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn a_page_has_its_origin() {
        assert_eq!(
            origin_of("https://shop.example.com/cart?x=1#top").as_deref(),
            Some("https://shop.example.com")
        );
        assert_eq!(
            origin_of("https://shop.example.com:443").as_deref(),
            Some("https://shop.example.com")
        );
        assert_eq!(origin_of("https://evil.example@shop.example.com/"), None);
        assert_eq!(origin_of("data:text/html,hi"), None);
    }

    proptest::proptest! {
        /// The pattern the OpenAPI document states accepts exactly what
        /// the server accepts: strings built from origins' pieces, joined
        /// at random, are judged the same by both.
        #[test]
        fn the_pattern_and_the_parser_agree(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                "https://", "http://", "HTTPS://", "hTtP://", "shop", "example", "com", ".", "-",
                "localhost", "127.0.0.1", "[::1]", ":", "443", "8080", "0", "65535", "65536",
                "/", "?", "#", "@", " ", "x1", "a-b", "",
            ]), 0..8),
        ) {
            let text: String = pieces.concat();
            let pattern = regex::Regex::new(ORIGIN_PATTERN).unwrap();
            proptest::prop_assert_eq!(
                pattern.is_match(&text),
                parse_origin(&text).is_ok(),
                "{:?}", text
            );
        }
    }
}
