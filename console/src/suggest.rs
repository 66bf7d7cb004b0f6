//! What the reply box offers as one types, pure (tested on the host):
//! saved replies after a `/` that starts the draft, teammates after an `@`
//! in a note, and which of the picked teammates a note still mentions.

use echo_protocol::desk::CannedReply;
use echo_protocol::team::Assignee;
use echo_protocol::OperatorId;

/// The filter typed after a `/` that starts the draft (`""` right after
/// the slash); `None` once a space or new line ends it.
pub fn slash_query(draft: &str) -> Option<&str> {
    let rest = draft.strip_prefix('/')?;
    (!rest.contains(char::is_whitespace)).then_some(rest)
}

/// The saved replies whose shortcut or title holds `query` (any case),
/// shortcut matches first.
pub fn canned_matches(replies: &[CannedReply], query: &str) -> Vec<CannedReply> {
    let query = query.to_lowercase();
    let mut found: Vec<(bool, &CannedReply)> = replies
        .iter()
        .filter_map(|r| {
            let by_shortcut = r.shortcut.starts_with(&query);
            (by_shortcut || r.title.to_lowercase().contains(&query)).then_some((by_shortcut, r))
        })
        .collect();
    found.sort_by_key(|(by_shortcut, r)| (!by_shortcut, r.shortcut.clone()));
    found.into_iter().map(|(_, r)| r.clone()).collect()
}

/// An `@mention` being typed: where its `@` is (a byte offset into
/// `before`, the text before the caret) and what follows it. The `@`
/// starts the text or follows a space; the name has no new line and at
/// most one space (first and last names).
pub fn mention_query(before: &str) -> Option<(usize, &str)> {
    let at = before.rfind('@')?;
    let starts_word = before[..at]
        .chars()
        .next_back()
        .is_none_or(char::is_whitespace);
    let typed = &before[at + 1..];
    let ok = starts_word
        && !typed.contains('\n')
        && typed.matches(' ').count() <= 1
        && typed.chars().count() <= 40;
    ok.then_some((at, typed))
}

/// The teammates whose name holds `query` (any case).
pub fn member_matches(members: &[Assignee], query: &str) -> Vec<Assignee> {
    let query = query.to_lowercase();
    members
        .iter()
        .filter(|m| m.name.to_lowercase().contains(&query))
        .cloned()
        .collect()
}

/// The picked teammates whose `@Name` is still in the note.
pub fn still_mentioned(text: &str, picked: &[Assignee]) -> Vec<OperatorId> {
    let mut ids = Vec::new();
    for member in picked {
        if text.contains(&format!("@{}", member.name)) && !ids.contains(&member.operator_id) {
            ids.push(member.operator_id);
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use echo_protocol::desk::{CannedReplyId, CannedScope};

    fn reply(n: u128, shortcut: &str, title: &str) -> CannedReply {
        CannedReply {
            id: CannedReplyId::from_uuid(uuid::Uuid::from_u128(n)),
            shortcut: shortcut.into(),
            title: title.into(),
            text: String::new(),
            scope: CannedScope::Team,
        }
    }

    fn member(n: u128, name: &str) -> Assignee {
        Assignee {
            operator_id: OperatorId::from_uuid(uuid::Uuid::from_u128(n)),
            name: name.into(),
        }
    }

    #[test]
    fn a_slash_at_the_start_filters_saved_replies() {
        assert_eq!(slash_query("/"), Some(""));
        assert_eq!(slash_query("/ref"), Some("ref"));
        assert_eq!(slash_query("/ref "), None);
        assert_eq!(slash_query("hi /ref"), None);
        let replies = [
            reply(1, "shipping", "Where is my refund"),
            reply(2, "refund", "Refund policy"),
            reply(3, "hello", "Greeting"),
        ];
        let found: Vec<String> = canned_matches(&replies, "REF")
            .into_iter()
            .map(|r| r.shortcut)
            .collect();
        assert_eq!(found, ["refund", "shipping"], "shortcut matches first");
        assert_eq!(canned_matches(&replies, "").len(), 3);
    }

    #[test]
    fn an_at_sign_starts_a_mention_only_at_a_word() {
        assert_eq!(mention_query("@"), Some((0, "")));
        assert_eq!(mention_query("ask @gr"), Some((4, "gr")));
        assert_eq!(mention_query("ask @Grace Ho"), Some((4, "Grace Ho")));
        assert_eq!(mention_query("mail ada@example"), None);
        assert_eq!(mention_query("@a b c"), None);
        assert_eq!(mention_query("@ada\nnext"), None);
        let team = [member(1, "Grace Hopper"), member(2, "Ada")];
        assert_eq!(member_matches(&team, "hop").len(), 1);
    }

    #[test]
    fn only_names_still_written_are_mentioned() {
        let team = [member(1, "Grace Hopper"), member(2, "Ada")];
        let text = "@Grace Hopper please look, @Grace Hopper again";
        assert_eq!(still_mentioned(text, &team), [team[0].operator_id]);
    }
}
