//! Text hygiene shared by every validation rule: characters that show
//! nothing (so a value made only of them is empty), bidirectional controls
//! that can make a name read as something else, and, on the server (feature
//! `nfc`), Unicode normalization so equal-looking text is stored the same.

use std::borrow::Cow;

/// Characters that render as nothing: zero-width spaces and joiners, the
/// byte-order mark, soft hyphen, invisible operators and fillers,
/// variation selectors, tags, and the bidirectional marks and controls.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// Bidirectional embeddings, overrides and isolates (U+202A-202E,
/// U+2066-2069): in a name or file name they reorder what a reader sees
/// ("exe.txt" shown for "txt.exe").
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether anything would show: not only whitespace and invisible characters.
pub fn has_visible(text: &str) -> bool {
    text.chars().any(|c| !c.is_whitespace() && !is_invisible(c))
}

/// The text in Unicode Normalization Form C (composed), on the server; the
/// widget and console, which only pre-check input, leave it as typed.
pub fn nfc(text: &str) -> Cow<'_, str> {
    #[cfg(feature = "nfc")]
    {
        use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};
        if is_nfc_quick(text.chars()) != IsNormalized::Yes {
            return Cow::Owned(text.nfc().collect());
        }
    }
    Cow::Borrowed(text)
}

/// File names are cut to this many characters.
pub const MAX_FILE_NAME_CHARS: usize = 200;

/// An uploaded file's name made safe to store and show: the last path part
/// only, NFC, without control or invisible characters, at most
/// [`MAX_FILE_NAME_CHARS`]; "untitled" when nothing is left. A name with a
/// bidirectional override or isolate is refused (it could disguise the
/// file's type), as the `Err` message says.
pub fn file_name(raw: &str) -> Result<String, &'static str> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let base = nfc(base);
    if base.chars().any(is_bidi_control) {
        return Err("the file name must not contain bidirectional override or isolate characters");
    }
    let name: String = base
        .chars()
        .filter(|c| !c.is_control() && !is_invisible(*c))
        .take(MAX_FILE_NAME_CHARS)
        .collect();
    let name = name.trim();
    Ok(if name.is_empty() {
        "untitled".into()
    } else {
        name.into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_only_text_has_nothing_visible() {
        for text in [
            "\u{200B}",
            "\u{FEFF}",
            " \u{200D}\u{2060} ",
            "\u{202E}",
            "\u{3164}",
        ] {
            assert!(!has_visible(text), "{text:?}");
        }
        assert!(has_visible("a\u{200B}"));
        assert!(has_visible("日本"));
        assert!(has_visible("👍"));
    }

    #[test]
    fn bidi_controls_are_overrides_and_isolates() {
        assert!(is_bidi_control('\u{202E}'));
        assert!(is_bidi_control('\u{2067}'));
        assert!(!is_bidi_control('\u{200F}'), "a mark is not an override");
        assert!(!is_bidi_control('ا'));
    }

    #[test]
    fn file_names_lose_directories_and_hidden_characters() {
        assert_eq!(file_name("C:\\Users\\me\\faq.md").unwrap(), "faq.md");
        assert_eq!(file_name("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(file_name("a\u{0}b\nc\u{200B}.txt").unwrap(), "abc.txt");
        assert_eq!(file_name("   ").unwrap(), "untitled");
        assert_eq!(file_name("\u{FEFF}").unwrap(), "untitled");
        assert_eq!(file_name(&"x".repeat(500)).unwrap().len(), 200);
        assert!(file_name("invoice\u{202E}fdp.exe").is_err());
    }

    #[cfg(feature = "nfc")]
    #[test]
    fn decomposed_text_is_composed() {
        assert_eq!(nfc("e\u{0301}"), "\u{00E9}");
        assert!(matches!(nfc("plain"), Cow::Borrowed(_)));
    }
}
