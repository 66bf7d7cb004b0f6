//! The console's state, provided once: who is signed in (an operator with
//! a session, or an API key), the page shown, the inbox, the open
//! conversation, the live stream, toasts. Views read its signals and call
//! its methods.

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::events::{Change, LiveEvent};
use echo_protocol::messages::{Message, MessageRole};
use echo_protocol::operator::{OperatorConversation, OperatorConversationItem, OrganizationInfo};
use echo_protocol::team::{Account, OperatorRole, TeamMember};
use echo_protocol::{ConversationId, ErrorCode, OperatorId};
use echo_web::http::ApiError;
use echo_web::list::merge;
use echo_web::{follow, sleep, OpenError, Signal};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{auth, OperatorApi};
use crate::inbox::{self, Owner};

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

/// Who uses the console.
#[derive(Debug, Clone, PartialEq)]
pub enum Auth {
    /// Asking the server whether the cookie still signs someone in.
    Checking,
    SignedOut,
    /// An API key (kept in sessionStorage): the organization, no person.
    Key(String),
    Session(Account),
}

/// The page of the workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Inbox,
    Knowledge,
    Team,
    ApiKeys,
    Widget,
    Notifications,
}

/// The console's state, provided once.
#[derive(Clone, Copy)]
pub struct Console {
    pub page: RwSignal<Page>,
    pub auth: RwSignal<Auth>,
    pub tab: RwSignal<Tab>,
    /// Whose conversations the inbox lists.
    pub owner: RwSignal<Owner>,
    /// The team, for the assignee picker (admins only; empty otherwise).
    pub team: RwSignal<Vec<TeamMember>>,
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
    pub fn new() -> Self {
        let key = session_storage().and_then(|s| s.get_item(KEY_STORAGE).ok().flatten());
        Self {
            page: RwSignal::new(Page::Inbox),
            auth: RwSignal::new(key.map_or(Auth::Checking, Auth::Key)),
            tab: RwSignal::new(Tab::Unresolved),
            owner: RwSignal::new(Owner::All),
            team: RwSignal::new(Vec::new()),
            conversations: RwSignal::new(Vec::new()),
            inbox_version: RwSignal::new(0),
            selected: RwSignal::new(None),
            detail: RwSignal::new(None),
            messages: RwSignal::new(Vec::new()),
            live: RwSignal::new(false),
            toasts: RwSignal::new(Vec::new()),
            plan: RwSignal::new(None),
            assistant_typing: RwSignal::new(false),
        }
    }

    /// The operator API, once someone acts in an organization.
    pub fn api(&self) -> Option<OperatorApi> {
        self.auth.with_untracked(|auth| match auth {
            Auth::Key(key) => Some(OperatorApi::with_key(key.clone())),
            Auth::Session(account) if account.active_organization_id.is_some() => {
                Some(OperatorApi::signed_in())
            }
            _ => None,
        })
    }

    /// The signed-in operator (not with an API key).
    pub fn me(&self) -> Option<OperatorId> {
        self.auth.with(|auth| match auth {
            Auth::Session(account) => Some(account.operator.id),
            _ => None,
        })
    }

    /// Whether the team, API keys, settings and knowledge base are open to
    /// the user: an admin of the active organization, or an API key.
    pub fn is_admin(&self) -> bool {
        self.auth.with(|auth| match auth {
            Auth::Key(_) => true,
            Auth::Session(account) => account.organizations.iter().any(|m| {
                Some(m.organization_id) == account.active_organization_id
                    && m.role == OperatorRole::Admin
            }),
            _ => false,
        })
    }

    /// After sign-in, invitation acceptance or an organization switch.
    pub fn signed_in(&self, account: Account) {
        self.selected.set(None);
        self.detail.set(None);
        self.conversations.set(Vec::new());
        self.team.set(Vec::new());
        self.page.set(Page::Inbox);
        self.owner.set(Owner::All);
        self.auth.set(Auth::Session(account));
    }

    /// Opens the conversation a notification mail links to
    /// (`#conversation=<id>`), then takes the link out of the address bar.
    pub fn open_linked(&self) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let hash = window.location().hash().unwrap_or_default();
        let Some(id) = hash
            .trim_start_matches('#')
            .strip_prefix("conversation=")
            .and_then(ConversationId::parse)
        else {
            return;
        };
        if let Ok(history) = window.history() {
            let _ =
                history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/console/"));
        }
        self.page.set(Page::Inbox);
        self.open(id);
    }

    /// Whether the signed-in operator gets notification mails (`None`
    /// for an API key).
    pub fn email_notifications(&self) -> Option<bool> {
        self.auth.with(|auth| match auth {
            Auth::Session(account) => Some(account.email_notifications),
            _ => None,
        })
    }

    /// Asks the server who the cookie signs in (on start-up).
    pub fn check_session(&self) {
        let console = *self;
        spawn_local(async move {
            match auth::me().await {
                Ok(account) => console.signed_in(account),
                Err(_) => console.auth.set(Auth::SignedOut),
            }
        });
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

    /// A failure: a rejected credential signs out; anything else is a toast.
    pub fn fail(&self, failure: ApiError) {
        if failure.is(ErrorCode::Unauthorized) {
            let key = matches!(self.auth.get_untracked(), Auth::Key(_));
            self.forget();
            self.toast(if key {
                "The API key was not accepted. Please sign in again."
            } else {
                "Your session has ended. Please sign in again."
            });
        } else {
            self.toast(failure.message());
        }
    }

    /// Signs out: ends the session on the server, forgets an API key.
    pub fn sign_out(&self) {
        if matches!(self.auth.get_untracked(), Auth::Session(_)) {
            spawn_local(async move {
                let _ = auth::sign_out().await;
            });
        }
        self.forget();
    }

    fn forget(&self) {
        if let Some(storage) = session_storage() {
            let _ = storage.remove_item(KEY_STORAGE);
        }
        self.selected.set(None);
        self.detail.set(None);
        self.auth.set(Auth::SignedOut);
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
        let admin = self.is_admin();
        spawn_local(async move {
            let (detail, messages) = (api.conversation(id).await, api.messages(id).await);
            // The assignee picker lists whoever joined since the last look.
            if admin {
                if let Ok(team) = api.team().await {
                    console.team.set(team);
                }
            }
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
            Change::Assignment { assignee } if selected => self.detail.update(|d| {
                if let Some(d) = d {
                    d.assignee = assignee.clone();
                }
            }),
            _ => {}
        }
        let (tab, owner) = (self.tab.get_untracked(), self.owner.get_untracked());
        let mut known = false;
        self.conversations
            .update(|rows| known = inbox::apply(rows, tab, owner, &event));
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
                        if e.is(ErrorCode::Unauthorized) || e.is(ErrorCode::Forbidden) {
                            OpenError::Refused(e)
                        } else {
                            OpenError::Retry
                        }
                    })
                }
            };
            let stopped = || abort.aborted() || console.api().is_none();
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
            match refused {
                // No longer a member of this organization: the account
                // (and the organizations left) from the server again.
                Some(error) if error.is(ErrorCode::Forbidden) => {
                    console.toast(error.message());
                    console.check_session();
                }
                Some(error) => console.fail(error),
                None => {}
            }
        });
    }
}
