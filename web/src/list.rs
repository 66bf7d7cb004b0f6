//! Message lists keyed by ID: a message can arrive on the push channel and
//! again in a history page (or a send's answer); it is shown once.

use echo_protocol::messages::Message;

/// Adds `incoming` to `list` in order, skipping messages already present.
pub fn merge(list: &mut Vec<Message>, incoming: Vec<Message>) {
    for message in incoming {
        if !list.iter().any(|m| m.id == message.id) {
            list.push(message);
        }
    }
}

/// Puts an older page in front of `list`, skipping duplicates.
pub fn prepend(list: &mut Vec<Message>, older: Vec<Message>) {
    let mut combined: Vec<Message> = older
        .into_iter()
        .filter(|m| !list.iter().any(|existing| existing.id == m.id))
        .collect();
    combined.append(list);
    *list = combined;
}

#[cfg(test)]
mod tests {
    use super::*;
    use echo_protocol::messages::MessageRole;
    use echo_protocol::{MessageId, Timestamp};

    fn message(n: u128) -> Message {
        Message::new(
            MessageId::from_uuid(uuid::Uuid::from_u128(n)),
            MessageRole::Visitor,
            format!("m{n}"),
            Timestamp(n as i64),
        )
    }

    #[test]
    fn merge_skips_known_messages() {
        let mut list = vec![message(1), message(2)];
        merge(&mut list, vec![message(2), message(3)]);
        assert_eq!(list, [message(1), message(2), message(3)]);
    }

    #[test]
    fn prepend_keeps_order_and_skips_duplicates() {
        let mut list = vec![message(3), message(4)];
        prepend(&mut list, vec![message(1), message(2), message(3)]);
        assert_eq!(list, [message(1), message(2), message(3), message(4)]);
    }
}
