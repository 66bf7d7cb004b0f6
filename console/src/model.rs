//! The console's model, pure (tested on the host): the page shown, which
//! carries the conversation open in the inbox; the inbox's status tab and
//! owner filter; and how a live event changes the inbox's rows.

use echo_protocol::conversations::{ConversationStatus, MessagePreview};
use echo_protocol::desk::LabelId;
use echo_protocol::events::{Change, LiveEvent};
use echo_protocol::messages::MessageRole;
use echo_protocol::operator::OperatorConversationItem;
use echo_protocol::team::Assignee;
use echo_protocol::{ConversationId, OperatorId};

/// The page of the workspace; the inbox carries the conversation open in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Inbox(Option<ConversationId>),
    Knowledge,
    Team,
    ApiKeys,
    Widget,
    Notifications,
    Mentions,
    SavedReplies,
    Labels,
    /// The operator's own two-factor sign-in.
    Security,
    /// The organization's security settings and audit log (admins).
    Audit,
    /// The snippets and the sites the widget was seen on.
    Install,
    /// The subscription and "Upgrade".
    Plan,
    /// When the desk is open (admins).
    Hours,
    /// Service levels: charts, figures, CSV.
    Reports,
    /// The Vapi plugin (admins).
    Voice,
}

impl Page {
    /// Whether two pages are the same page (whatever conversation is open).
    pub fn same(self, other: Page) -> bool {
        std::mem::discriminant(&self) == std::mem::discriminant(&other)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Unresolved,
    Escalated,
    Resolved,
    All,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Unresolved, Tab::Escalated, Tab::Resolved, Tab::All];

    pub fn label(self) -> &'static str {
        match self {
            Tab::Unresolved => "Unresolved",
            Tab::Escalated => "Escalated",
            Tab::Resolved => "Resolved",
            Tab::All => "All",
        }
    }

    pub fn status(self) -> Option<ConversationStatus> {
        match self {
            Tab::Unresolved => Some(ConversationStatus::Unresolved),
            Tab::Escalated => Some(ConversationStatus::Escalated),
            Tab::Resolved => Some(ConversationStatus::Resolved),
            Tab::All => None,
        }
    }
}

/// Whose conversations the inbox lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    All,
    Mine(OperatorId),
    Unassigned,
}

impl Owner {
    pub fn label(self) -> &'static str {
        match self {
            Owner::All => "All",
            Owner::Mine(_) => "Mine",
            Owner::Unassigned => "Unassigned",
        }
    }

    /// The `assignee=` filter of the inbox call.
    pub fn query(self) -> &'static str {
        match self {
            Owner::All => "all",
            Owner::Mine(_) => "me",
            Owner::Unassigned => "none",
        }
    }

    pub fn shows(self, assignee: Option<&Assignee>) -> bool {
        match self {
            Owner::All => true,
            Owner::Mine(me) => assignee.is_some_and(|a| a.operator_id == me),
            Owner::Unassigned => assignee.is_none(),
        }
    }
}

/// What the inbox lists: a status tab, whose, and (optionally) a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filter {
    pub tab: Tab,
    pub owner: Owner,
    pub label: Option<LabelId>,
}

impl Filter {
    fn shows_labels(&self, labels: &[echo_protocol::desk::Label]) -> bool {
        self.label
            .is_none_or(|wanted| labels.iter().any(|l| l.id == wanted))
    }
}

/// Applies a live event to the inbox rows under `filter`: a new message
/// moves its conversation to the top (with a new preview, unless it is a
/// note: the preview is what the visitor saw); a status, assignment or
/// labels change updates the row, or removes it when this view no longer
/// lists it. Returns whether the conversation was already known here (if
/// not, and this view may list it, the caller fetches the inbox).
pub fn apply(rows: &mut Vec<OperatorConversationItem>, filter: Filter, event: &LiveEvent) -> bool {
    let Filter { tab, owner, .. } = filter;
    let Some(index) = rows
        .iter()
        .position(|row| row.conversation_id == event.conversation_id)
    else {
        return match &event.change {
            // A status this tab does not show: nothing to fetch.
            Change::Status { status } => tab.status().is_some_and(|shown| shown != *status),
            Change::Assignment { assignee } => !owner.shows(assignee.as_ref()),
            Change::Labels { labels } => !filter.shows_labels(labels),
            _ => false,
        };
    };
    match &event.change {
        Change::Message { message } => {
            let mut row = rows.remove(index);
            row.last_activity_at = message.created_at;
            if message.role != MessageRole::Note {
                row.last_message = Some(MessagePreview {
                    role: message.role,
                    text: message.text.clone(),
                    created_at: message.created_at,
                });
            }
            rows.insert(0, row);
        }
        Change::Status { status } => {
            if tab.status().is_some_and(|shown| shown != *status) {
                rows.remove(index);
            } else {
                rows[index].status = *status;
            }
        }
        Change::Assignment { assignee } => {
            if owner.shows(assignee.as_ref()) {
                rows[index].assignee = assignee.clone();
            } else {
                rows.remove(index);
            }
        }
        Change::Labels { labels } => {
            if filter.shows_labels(labels) {
                rows[index].labels = labels.clone();
            } else {
                rows.remove(index);
            }
        }
        Change::Rating { rating } => rows[index].rating = Some(rating.clone()),
        Change::Typing { .. } | Change::VoiceCall { .. } | Change::VoiceTranscript { .. } => {}
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use echo_protocol::conversations::ConversationStatus;
    use echo_protocol::messages::{Message, MessageRole};
    use echo_protocol::{ConversationId, MessageId, Timestamp};

    fn id(n: u128) -> ConversationId {
        ConversationId::from_uuid(uuid::Uuid::from_u128(n))
    }

    fn row(n: u128, status: ConversationStatus) -> OperatorConversationItem {
        OperatorConversationItem {
            conversation_id: id(n),
            status,
            created_at: Timestamp(0),
            last_activity_at: Timestamp(n as i64),
            visitor_name: format!("visitor {n}"),
            last_message: None,
            assignee: None,
            labels: Vec::new(),
            rating: None,
        }
    }

    fn all() -> Filter {
        Filter {
            tab: Tab::All,
            owner: Owner::All,
            label: None,
        }
    }

    fn on(tab: Tab) -> Filter {
        Filter { tab, ..all() }
    }

    fn event(n: u128, change: Change) -> LiveEvent {
        LiveEvent {
            position: 1,
            conversation_id: id(n),
            change,
        }
    }

    #[test]
    fn a_message_moves_its_row_to_the_top_with_its_preview() {
        let mut rows = vec![
            row(2, ConversationStatus::Unresolved),
            row(1, ConversationStatus::Unresolved),
        ];
        let message = Message {
            id: MessageId::from_uuid(uuid::Uuid::from_u128(9)),
            role: MessageRole::Visitor,
            text: "Still there?".into(),
            created_at: Timestamp(50),
            author_name: None,
            author: None,
            mentions: Vec::new(),
            attachments: Vec::new(),
            voice: false,
        };
        assert!(apply(
            &mut rows,
            all(),
            &event(1, Change::Message { message })
        ));
        assert_eq!(rows[0].conversation_id, id(1));
        assert_eq!(rows[0].last_activity_at, Timestamp(50));
        assert_eq!(rows[0].last_message.as_ref().unwrap().text, "Still there?");
    }

    #[test]
    fn a_status_change_updates_or_leaves_the_tab() {
        let mut rows = vec![row(1, ConversationStatus::Unresolved)];
        let resolved = Change::Status {
            status: ConversationStatus::Resolved,
        };
        assert!(apply(&mut rows.clone(), all(), &event(1, resolved.clone())));
        assert!(apply(
            &mut rows,
            on(Tab::Unresolved),
            &event(1, resolved.clone())
        ));
        assert!(rows.is_empty(), "the unresolved tab no longer lists it");
        // Unknown here but listed by this tab: the caller fetches it.
        assert!(!apply(
            &mut rows,
            on(Tab::Resolved),
            &event(1, resolved.clone())
        ));
        // Unknown and not this tab's status: nothing to fetch.
        assert!(apply(&mut rows, on(Tab::Escalated), &event(1, resolved)));
    }

    #[test]
    fn labels_change_the_row_or_leave_a_filtered_view() {
        let label = echo_protocol::desk::Label {
            id: LabelId::from_uuid(uuid::Uuid::from_u128(5)),
            name: "VIP".into(),
            color: "#ff0000".into(),
        };
        let filtered = Filter {
            label: Some(label.id),
            ..all()
        };
        let labelled = Change::Labels {
            labels: vec![label.clone()],
        };
        let mut rows = vec![row(1, ConversationStatus::Unresolved)];
        assert!(apply(&mut rows, all(), &event(1, labelled.clone())));
        assert_eq!(rows[0].labels, [label]);
        assert!(apply(
            &mut rows,
            filtered,
            &event(1, Change::Labels { labels: vec![] })
        ));
        assert!(rows.is_empty());
        assert!(!apply(&mut rows, filtered, &event(1, labelled)), "fetch it");
    }
}

#[cfg(test)]
mod assignment_tests {
    use super::*;
    use echo_protocol::conversations::ConversationStatus;
    use echo_protocol::{ConversationId, Timestamp};

    fn operator(n: u128) -> Assignee {
        Assignee {
            operator_id: OperatorId::from_uuid(uuid::Uuid::from_u128(n)),
            name: format!("operator {n}"),
        }
    }

    fn row(assignee: Option<Assignee>) -> OperatorConversationItem {
        OperatorConversationItem {
            conversation_id: ConversationId::from_uuid(uuid::Uuid::from_u128(1)),
            status: ConversationStatus::Escalated,
            created_at: Timestamp(0),
            last_activity_at: Timestamp(0),
            visitor_name: "v".into(),
            last_message: None,
            assignee,
            labels: Vec::new(),
            rating: None,
        }
    }

    fn by(owner: Owner) -> Filter {
        Filter {
            tab: Tab::All,
            owner,
            label: None,
        }
    }

    fn assigned(to: Option<Assignee>) -> LiveEvent {
        LiveEvent {
            position: 2,
            conversation_id: ConversationId::from_uuid(uuid::Uuid::from_u128(1)),
            change: Change::Assignment { assignee: to },
        }
    }

    #[test]
    fn an_assignment_updates_the_row_or_leaves_the_view() {
        let me = operator(7);
        let mine = Owner::Mine(me.operator_id);
        let mut rows = vec![row(None)];
        assert!(apply(
            &mut rows,
            by(Owner::All),
            &assigned(Some(me.clone()))
        ));
        assert_eq!(rows[0].assignee, Some(me.clone()));
        let mut unassigned = vec![row(None)];
        assert!(apply(
            &mut unassigned,
            by(Owner::Unassigned),
            &assigned(Some(me.clone()))
        ));
        assert!(unassigned.is_empty());
        // Assigned to me while I look at Mine: fetch the row.
        assert!(!apply(&mut Vec::new(), by(mine), &assigned(Some(me))));
        // Assigned to someone else: not mine, nothing to fetch.
        assert!(apply(
            &mut Vec::new(),
            by(mine),
            &assigned(Some(operator(8)))
        ));
    }
}
