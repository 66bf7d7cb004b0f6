//! Property tests of the text rules: any input, no panic, and whatever is
//! accepted is clean.

use super::*;

/// Strings heavy in what the rules are about: controls, invisible and
/// bidirectional characters, combining marks, whitespace, emoji.
const TRICKY: &str = "([a-zA-Z0-9 @._\n\t\r\u{0}\u{85}\u{9b}\u{ad}\u{200b}-\u{200f}\u{202a}-\u{202e}\u{2066}-\u{2069}\u{feff}\u{301}é日😀]|\\PC){0,120}";

fn check_accepted(value: &str, max: usize, multiline: bool) {
    assert_eq!(value, value.trim());
    assert!(crate::text::has_visible(value));
    assert!(value.chars().count() <= max);
    assert!(!value
        .chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\t' | '\r'))));
}

proptest::proptest! {
    #[test]
    fn text_rules_never_panic_and_accept_only_clean_text(raw in TRICKY) {
        if let Ok(name) = VisitorName::parse(&raw) {
            check_accepted(name.as_ref(), VisitorName::MAX_CHARS, false);
            assert!(!name.as_ref().chars().any(crate::text::is_bidi_control));
        }
        if let Ok(text) = MessageText::parse(&raw) {
            check_accepted(text.as_ref(), MessageText::MAX_CHARS, true);
        }
        if let Ok(key) = KeyName::parse(&raw) {
            check_accepted(key.as_ref(), KeyName::MAX_CHARS, false);
        }
        let _ = GreetMessage::parse(&raw);
        let _ = Suggestion::parse(&raw);
        let _ = IdempotencyKey::parse(&raw);
        let _ = Password::parse("password", &raw);
        if let Ok(email) = Email::parse(&raw) {
            assert!(email.as_ref().contains('@'));
        }
    }

    #[test]
    fn any_string_is_safe_to_parse(raw in "\\PC*") {
        let _ = VisitorName::parse(&raw);
        let _ = Email::parse(&raw);
        let _ = crate::ContactSessionId::parse(&raw);
        let _ = crate::ConversationId::parse(&raw);
        let name = crate::text::file_name(&raw);
        if let Ok(name) = name {
            assert!(!name.is_empty() && name.chars().count() <= crate::text::MAX_FILE_NAME_CHARS);
            assert!(!name.contains(['/', '\\']));
        }
    }
}
