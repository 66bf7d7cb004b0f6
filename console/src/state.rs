//! The console's state, provided once: who is signed in, the inbox, the open
//! conversation, the live stream, toasts. Views read its signals and call
//! its methods.

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::events::{Change, LiveEvent};
use echo_protocol::messages::{Message, MessageRole};
use echo_protocol::operator::{OperatorConversation, OperatorConversationItem, OrganizationInfo};
use echo_protocol::{ConversationId, ErrorCode};
use echo_web::http::ApiError;
use echo_web::list::merge;
use echo_web::{follow, sleep, OpenError, Signal};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::OperatorApi;
use crate::inbox;

pub const KEY_STORAGE: &str = "echo_operator_key";

pub fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
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

/// The console's state, provided once.
#[derive(Clone, Copy)]
pub struct Console {
    /// The knowledge base page is shown instead of the inbox.
    pub knowledge: RwSignal<bool>,
    pub key: RwSignal<Option<String>>,
    pub tab: RwSignal<Tab>,
    pub conversations: RwSignal<Vec<OperatorConversationItem>>,
    /// Bumped to refetch the inbox (after a live event or an action).
    pub inbox_version: RwSignal<u32>,
    pub selected: RwSignal<Option<ConversationId>>,
    pub detail: RwSignal<Option<OperatorConversation>>,
    pub messages: RwSignal<Vec<Message>>,
    pub live: RwSignal<bool>,
    pub toasts: RwSignal<Vec<(u32, String)>>,
    /// The organization's plan: which pro features are usable.
    pub plan: RwSignal<Option<OrganizationInfo>>,
    /// The assistant is writing a reply in the open conversation.
    pub assistant_typing: RwSignal<bool>,
}

impl Console {
    pub fn api(&self) -> Option<OperatorApi> {
        self.key.get_untracked().map(OperatorApi::new)
    }

    pub fn toast(&self, message: impl Into<String>) {
        let id = js_sys::Math::random().to_bits() as u32;
        self.toasts.update(|t| t.push((id, message.into())));
        let toasts = self.toasts;
        spawn_local(async move {
            sleep(6000).await;
            toasts.update(|t| t.retain(|(i, _)| *i != id));
        });
    }

    /// A failure: a rejected key signs out; anything else is a toast.
    pub fn fail(&self, failure: ApiError) {
        if failure.is(ErrorCode::Unauthorized) {
            self.sign_out();
            self.toast("The operator key was not accepted. Please sign in again.");
        } else {
            self.toast(failure.message());
        }
    }

    pub fn sign_out(&self) {
        if let Some(storage) = session_storage() {
            let _ = storage.remove_item(KEY_STORAGE);
        }
        self.selected.set(None);
        self.detail.set(None);
        self.key.set(None);
    }

    /// After events were lost (pruned while disconnected): fetch the inbox
    /// and the open conversation again.
    fn reload(&self) {
        self.refresh_inbox();
        if let Some(id) = self.selected.get_untracked() {
            self.open(id);
        }
    }

    pub fn refresh_inbox(&self) {
        self.inbox_version.update(|v| *v += 1);
    }

    pub fn open(&self, id: ConversationId) {
        self.selected.set(Some(id));
        self.assistant_typing.set(false);
        self.detail.set(None);
        self.messages.set(Vec::new());
        let Some(api) = self.api() else { return };
        let console = *self;
        spawn_local(async move {
            let (detail, messages) = (api.conversation(id).await, api.messages(id).await);
            if console.selected.get_untracked() != Some(id) {
                return;
            }
            match (detail, messages) {
                (Ok(detail), Ok(page)) => {
                    console.detail.set(Some(detail));
                    console.messages.set(page.messages);
                }
                (Err(e), _) | (_, Err(e)) => console.fail(e),
            }
        });
    }

    fn apply(&self, event: LiveEvent) {
        let selected = self.selected.get_untracked() == Some(event.conversation_id);
        match &event.change {
            Change::Typing { active } => {
                if selected {
                    self.assistant_typing.set(*active);
                }
                return;
            }
            Change::Message { message } if selected => {
                if message.role == MessageRole::Assistant {
                    self.assistant_typing.set(false);
                }
                self.messages
                    .update(|list| merge(list, vec![message.clone()]));
            }
            Change::Status { status } if selected => self.detail.update(|d| {
                if let Some(d) = d {
                    d.status = *status;
                }
            }),
            _ => {}
        }
        let tab = self.tab.get_untracked();
        let mut known = false;
        self.conversations
            .update(|rows| known = inbox::apply(rows, tab, &event));
        if !known {
            // A conversation this tab does not list yet: its row (with the
            // visitor's name) comes from the server.
            self.refresh_inbox();
        }
    }

    /// Follows the organization's events for as long as the console lives.
    pub fn run_stream(&self, abort: web_sys::AbortSignal) {
        let console = *self;
        spawn_local(async move {
            let open = |after| {
                let (api, abort) = (console.api(), abort.clone());
                async move {
                    let Some(api) = api else {
                        return Err(OpenError::Retry);
                    };
                    api.open_events(after, &abort).await.map_err(|e| {
                        if e.is(ErrorCode::Unauthorized) {
                            OpenError::Refused(e)
                        } else {
                            OpenError::Retry
                        }
                    })
                }
            };
            let stopped = || abort.aborted() || console.key.get_untracked().is_none();
            let refused = follow(open, stopped, |signal| match signal {
                Signal::Ready { first } => {
                    console.live.set(true);
                    if !first {
                        console.refresh_inbox();
                    }
                }
                Signal::Event(event) => console.apply(event),
                Signal::Reset => console.reload(),
                Signal::Down => console.live.set(false),
            })
            .await;
            if let Some(error) = refused {
                console.fail(error);
            }
        });
    }
}
