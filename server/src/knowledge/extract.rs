//! What an uploaded file is, decided by its content (not by what the client
//! claims), and its text. Text, Markdown, HTML and PDF are accepted.

use std::panic::AssertUnwindSafe;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    pub content_type: &'static str,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ExtractError {
    /// Not one of the accepted kinds, or not what it says it is.
    #[error("{0}")]
    Unsupported(String),
    /// An accepted kind, but no text could be read from it.
    #[error("{0}")]
    NoText(String),
}

/// Reads `bytes`, named `name` and declared by the client as `declared`.
pub fn extract(
    name: &str,
    declared: Option<&str>,
    bytes: &[u8],
) -> Result<Extracted, ExtractError> {
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    let declared = declared
        .map(|d| d.split(';').next().unwrap_or(d).trim().to_ascii_lowercase())
        .unwrap_or_default();
    let says_pdf = extension == "pdf" || declared == "application/pdf";
    let extracted = if bytes.starts_with(b"%PDF-") {
        Extracted {
            content_type: "application/pdf",
            text: pdf_text(bytes)?,
        }
    } else if says_pdf {
        return Err(ExtractError::Unsupported(
            "The file is named or declared as PDF but its content is not a PDF".into(),
        ));
    } else {
        let text = utf8_text(bytes)?;
        let says_html = matches!(extension.as_str(), "html" | "htm") || declared == "text/html";
        if says_html || looks_like_html(text) {
            Extracted {
                content_type: "text/html",
                text: html_to_text(text),
            }
        } else if matches!(extension.as_str(), "md" | "markdown") || declared == "text/markdown" {
            Extracted {
                content_type: "text/markdown",
                text: text.to_owned(),
            }
        } else {
            Extracted {
                content_type: "text/plain",
                text: text.to_owned(),
            }
        }
    };
    let text = normalize(&extracted.text);
    if text.is_empty() {
        return Err(ExtractError::NoText("The file contains no text".into()));
    }
    Ok(Extracted { text, ..extracted })
}

fn unsupported() -> ExtractError {
    ExtractError::Unsupported(
        "Only text, Markdown, HTML and PDF files can be added to the knowledge base".into(),
    )
}

/// UTF-8 without NUL bytes: binary formats (images, archives, office files)
/// fail here whatever they are called.
fn utf8_text(bytes: &[u8]) -> Result<&str, ExtractError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| unsupported())?;
    if text.contains('\0') {
        return Err(unsupported());
    }
    Ok(text)
}

fn looks_like_html(text: &str) -> bool {
    let head: String = text
        .trim_start()
        .chars()
        .take(200)
        .collect::<String>()
        .to_lowercase();
    head.starts_with("<!doctype html") || head.starts_with("<html") || head.contains("<body")
}

fn pdf_text(bytes: &[u8]) -> Result<String, ExtractError> {
    // The PDF parser may panic on malformed input; a bad upload must only
    // fail that upload.
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        pdf_extract::extract_text_from_mem(bytes)
    }));
    match result {
        Ok(Ok(text)) => Ok(text),
        _ => Err(ExtractError::NoText(
            "The PDF could not be read (damaged, encrypted or scanned without text)".into(),
        )),
    }
}

/// Trims lines and collapses runs of blank lines, keeping paragraph breaks.
fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
    {
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(&line);
    }
    out
}

const BLOCK_TAGS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "section",
    "article",
    "header",
    "footer",
    "blockquote",
    "pre",
    "hr",
    "dt",
    "dd",
];

/// The visible text of an HTML document: tags dropped (block tags become
/// line breaks), scripts, styles and comments skipped, entities decoded.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let lower = html.to_ascii_lowercase();
    let mut i = 0;
    while i < html.len() {
        let rest = &html[i..];
        if rest.starts_with("<!--") {
            i += rest.find("-->").map_or(rest.len(), |end| end + 3);
            continue;
        }
        if starts_tag(rest) {
            // An unterminated tag runs to the end, as in a browser.
            let close = rest.find('>');
            let inside = &lower[i + 1..i + close.unwrap_or(rest.len())];
            let end = close.map_or(rest.len(), |at| at + 1);
            let closing = inside.starts_with('/');
            let tag = inside
                .trim_start_matches('/')
                .split(|c: char| c.is_whitespace() || c == '/' || c == '>')
                .next()
                .unwrap_or("")
                .to_owned();
            i += end;
            if !closing && (tag == "script" || tag == "style") {
                let close = format!("</{tag}");
                i = lower[i..].find(&close).map_or(html.len(), |at| i + at);
                continue;
            }
            if tag == "p" || tag.starts_with('h') && tag.len() == 2 || tag == "li" || tag == "tr" {
                out.push_str("\n\n");
            } else if BLOCK_TAGS.contains(&tag.as_str()) {
                out.push('\n');
            } else {
                out.push(' ');
            }
            continue;
        }
        if rest.starts_with('&') {
            if let Some((decoded, len)) = entity(rest) {
                out.push(decoded);
                i += len;
                continue;
            }
        }
        let c = rest.chars().next().expect("not at the end");
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// Whether `text` starts with a tag, a closing tag or a declaration: `<`
/// then a letter, `/`, `!` or `?`. Anything else (`5 < 6`, `<é`) is text.
fn starts_tag(text: &str) -> bool {
    let mut bytes = text.bytes();
    bytes.next() == Some(b'<')
        && bytes
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || matches!(b, b'/' | b'!' | b'?'))
}

/// The character an entity at the start of `text` stands for, and its length.
fn entity(text: &str) -> Option<(char, usize)> {
    let end = text.bytes().take(12).position(|b| b == b';')?;
    let name = &text[1..end];
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" | "#39" => '\'',
        "nbsp" => ' ',
        _ => {
            let code = name.strip_prefix('#')?;
            let value = match code.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => code.parse().ok()?,
            };
            char::from_u32(value)?
        }
    };
    Some((c, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_decided_by_content() {
        let md = extract(
            "faq.md",
            Some("text/markdown"),
            b"# FAQ\n\nShipping is free.",
        )
        .unwrap();
        assert_eq!(md.content_type, "text/markdown");
        let txt = extract("notes", None, "Caf\u{e9} hours: 9-5".as_bytes()).unwrap();
        assert_eq!(txt.content_type, "text/plain");
        let html = extract(
            "page.txt",
            None,
            b"<!DOCTYPE html><html><body><p>Hi</p></body></html>",
        );
        assert_eq!(html.unwrap().content_type, "text/html");
    }

    #[test]
    fn binary_and_mislabelled_files_are_refused() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert!(matches!(
            extract("a.txt", None, png),
            Err(ExtractError::Unsupported(_))
        ));
        assert!(matches!(
            extract("a.pdf", Some("application/pdf"), b"just text"),
            Err(ExtractError::Unsupported(_))
        ));
        assert!(matches!(
            extract("a.txt", None, b"  \n \n"),
            Err(ExtractError::NoText(_))
        ));
        assert!(matches!(
            extract("a.pdf", None, b"%PDF-1.4 garbage that is no pdf"),
            Err(ExtractError::NoText(_))
        ));
    }

    #[test]
    fn html_keeps_visible_text_only() {
        let html = "<html><head><style>p{color:red}</style><script>var x = '<p>';</script>\
                    </head><body><h1>Returns</h1><!-- hidden --><p>Within&nbsp;14 days &amp; \
                    free&#33; &lt;ok&gt;</p><ul><li>One</li><li>Two</li></ul></body></html>";
        let text = normalize(&html_to_text(html));
        assert_eq!(text, "Returns\n\nWithin 14 days & free! <ok>\n\nOne\n\nTwo");
    }

    #[test]
    fn odd_html_does_not_panic() {
        for input in [
            "<",
            "<p",
            "&",
            "&#xZZ;",
            "<script>never closed",
            "a<!--",
            "é<b>é</b>&#233;",
            "<p>hi</p><é",
            "<😀",
            "<日本語",
            "<a href='é",
            "<p>é",
        ] {
            let _ = html_to_text(input);
        }
    }

    #[test]
    fn a_stray_angle_bracket_is_text() {
        assert_eq!(
            normalize(&html_to_text("<p>price 5 < 6 ok</p>")),
            "price 5 < 6 ok"
        );
        assert_eq!(normalize(&html_to_text("<p>hi</p><é")), "hi\n\n<é");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn damaged_pdfs_are_refused_not_panicked_on(
            tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)
        ) {
            let mut bytes = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n".to_vec();
            bytes.extend(tail);
            let _ = extract("file.pdf", Some("application/pdf"), &bytes);
        }

        #[test]
        fn any_bytes_under_any_name_never_panic(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            name in "[a-z]{0,5}\\.(pdf|md|txt|html|htm|bin)",
        ) {
            let _ = extract(&name, None, &bytes);
        }
    }

    proptest::proptest! {
        #[test]
        fn html_to_text_never_panics(input in "\\PC*") {
            let _ = html_to_text(&input);
        }

        #[test]
        fn markup_like_input_never_panics(input in "([<>/!&;#a-z'\" =é😀日]|&#x?[0-9a-f]{0,7};){0,40}") {
            let _ = html_to_text(&input);
        }
    }

    #[test]
    fn whitespace_is_normalized() {
        assert_eq!(normalize("  a   b \n\n\n\n c\nd  "), "a b\n\nc\nd");
    }
}
