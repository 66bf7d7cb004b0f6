//! The desk's part of the console's state: the organization's labels,
//! members and saved replies (loaded with the workspace), the operator's
//! mentions, the inbox's selection (for bulk changes) and search, the
//! reply box's mode, and the shortcuts dialog.

use echo_protocol::desk::{CannedReply, Label, Mention, SearchResults};
use echo_protocol::team::Assignee;
use echo_protocol::ConversationId;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::state::Console;

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

impl Console {
    /// Loads what the desk needs: labels, members, saved replies and the
    /// operator's mentions.
    pub fn load_desk(&self) {
        let Some(api) = self.api() else { return };
        let console = *self;
        spawn_local(async move {
            let desk = console.desk;
            match api.labels().await {
                Ok(labels) => desk.labels.set(labels),
                Err(e) => console.fail(e),
            }
            if let Ok(members) = api.members().await {
                desk.members.set(members);
            }
            if let Ok(canned) = api.canned_replies().await {
                desk.canned.set(canned);
            }
        });
        self.refresh_mentions();
    }

    pub fn refresh_mentions(&self) {
        if self.me().is_none() {
            return;
        }
        let Some(api) = self.api() else { return };
        let desk = self.desk;
        spawn_local(async move {
            if let Ok(mentions) = api.mentions().await {
                desk.unread.set(mentions.unread);
                desk.mentions.set(mentions.mentions);
            }
        });
    }

    /// Opening a conversation reads the operator's mentions in it.
    pub fn read_mentions_of(&self, id: ConversationId) {
        let unread_here = self.desk.mentions.with_untracked(|m| {
            m.iter()
                .any(|m| m.conversation_id == id && m.read_at.is_none())
        });
        if !unread_here {
            return;
        }
        let Some(api) = self.api() else { return };
        let console = *self;
        spawn_local(async move {
            if api.read_mentions(Some(id)).await.is_ok() {
                console.refresh_mentions();
            }
        });
    }

    /// Ticks or unticks a row; with shift, every row from the last ticked
    /// one to this one takes its state.
    pub fn select(&self, id: ConversationId, on: bool, range: bool) {
        let desk = self.desk;
        let ids: Vec<ConversationId> = match desk.anchor.get_untracked().filter(|_| range) {
            Some(anchor) => self.inbox.rows.with_untracked(|rows| {
                let at = |x| rows.iter().position(|r| r.conversation_id == x);
                match (at(anchor), at(id)) {
                    (Some(a), Some(b)) => rows[a.min(b)..=a.max(b)]
                        .iter()
                        .map(|r| r.conversation_id)
                        .collect(),
                    _ => vec![id],
                }
            }),
            None => vec![id],
        };
        desk.selected.update(|selected| {
            for id in ids {
                let has = selected.contains(&id);
                if on && !has {
                    selected.push(id);
                } else if !on && has {
                    selected.retain(|s| *s != id);
                }
            }
        });
        desk.anchor.set(Some(id));
    }
}
