//! The desk's part of the console's state: the organization's labels,
//! members and saved replies (loaded with the workspace), the operator's
//! mentions, the inbox's selection (for bulk changes) and search, the
//! reply box's mode, and the shortcuts dialog.

use echo_protocol::desk::{CannedReply, Label, Mention, SearchResults};
use echo_protocol::team::Assignee;
use echo_protocol::ConversationId;
use leptos::prelude::*;

/// What the reply box sends: a reply to the visitor, or a private note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compose {
    Reply,
    Note,
}

#[derive(Clone, Copy)]
pub struct Desk {
    pub labels: RwSignal<Vec<Label>>,
    pub members: RwSignal<Vec<Assignee>>,
    pub canned: RwSignal<Vec<CannedReply>>,
    pub mentions: RwSignal<Vec<Mention>>,
    /// Mentions not yet opened.
    pub unread: RwSignal<u32>,
    /// Rows ticked for a bulk change, and the last one ticked (the start
    /// of a shift-click range).
    pub selected: RwSignal<Vec<ConversationId>>,
    pub anchor: RwSignal<Option<ConversationId>>,
    /// What is typed in the search box, and its results (`None`: no
    /// search, the inbox's rows show).
    pub query: RwSignal<String>,
    pub hits: RwSignal<Option<SearchResults>>,
    pub compose: RwSignal<Compose>,
    pub shortcuts_open: RwSignal<bool>,
}

impl Desk {
    pub fn new() -> Self {
        Self {
            labels: RwSignal::new(Vec::new()),
            members: RwSignal::new(Vec::new()),
            canned: RwSignal::new(Vec::new()),
            mentions: RwSignal::new(Vec::new()),
            unread: RwSignal::new(0),
            selected: RwSignal::new(Vec::new()),
            anchor: RwSignal::new(None),
            query: RwSignal::new(String::new()),
            hits: RwSignal::new(None),
            compose: RwSignal::new(Compose::Reply),
            shortcuts_open: RwSignal::new(false),
        }
    }

    /// After a change of organization: nothing of the last one stays.
    pub fn clear(&self) {
        self.labels.set(Vec::new());
        self.members.set(Vec::new());
        self.canned.set(Vec::new());
        self.mentions.set(Vec::new());
        self.unread.set(0);
        self.selected.set(Vec::new());
        self.anchor.set(None);
        self.query.set(String::new());
        self.hits.set(None);
    }
}
