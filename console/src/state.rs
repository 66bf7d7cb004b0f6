//! The console's state, made once by `main.rs` and handed to every view:
//! who is signed in (an operator with a session, or an API key), the page
//! shown (the inbox's carries its open conversation), the inbox, the open
//! conversation's data, the team, the plan, the live stream's state and
//! the toasts. Views read its signals and call its methods; the stream's
//! events arrive through `live.rs`.

use echo_protocol::desk::{LabelId, VisitorContext};
use echo_protocol::messages::Message;
use echo_protocol::operator::{OperatorConversation, OperatorConversationItem, OrganizationInfo};
use echo_protocol::team::{Account, OperatorRole, TeamMember};
use echo_protocol::{ConversationId, ErrorCode, OperatorId};
use echo_web::http::ApiError;
use echo_web::sleep;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{auth, OperatorApi};
use crate::desk_state::Desk;
use crate::model::{Filter, Owner, Page, Tab};

pub const KEY_STORAGE: &str = "echo_operator_key";

pub fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
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

/// The inbox: its filters, its rows, and a version bumped to fetch them.
#[derive(Clone, Copy)]
pub struct Inbox {
    pub tab: RwSignal<Tab>,
    /// Whose conversations it lists.
    pub owner: RwSignal<Owner>,
    /// Only those with this label.
    pub label: RwSignal<Option<LabelId>>,
    pub rows: RwSignal<Vec<OperatorConversationItem>>,
    /// Bumped to refetch (after a live event it cannot place, or an action).
    pub version: RwSignal<u32>,
}

impl Inbox {
    /// What the inbox lists now (tracked).
    pub fn filter(&self) -> Filter {
        Filter {
            tab: self.tab.get(),
            owner: self.owner.get(),
            label: self.label.get(),
        }
    }

    pub fn filter_untracked(&self) -> Filter {
        Filter {
            tab: self.tab.get_untracked(),
            owner: self.owner.get_untracked(),
            label: self.label.get_untracked(),
        }
    }
}

/// The conversation open in the inbox, as far as it has loaded: its ID
/// says whose data it is (a slower load of another is dropped).
#[derive(Debug, Clone, PartialEq)]
pub struct Open {
    pub id: ConversationId,
    pub detail: Option<OperatorConversation>,
    pub messages: Vec<Message>,
    /// The assistant is writing a reply in it.
    pub assistant_typing: bool,
    /// The visitor is typing (cleared after 6 s without another signal).
    pub visitor_typing: bool,
    /// Who the visitor is, read by the server.
    pub context: Option<VisitorContext>,
    /// Its voice calls, oldest first.
    pub calls: Vec<echo_protocol::voice::VoiceCall>,
    /// What is being said on its call now, before it is final.
    pub voice_line: Option<(echo_protocol::messages::MessageRole, String)>,
}

impl Open {
    fn new(id: ConversationId) -> Self {
        Self {
            id,
            detail: None,
            messages: Vec::new(),
            assistant_typing: false,
            visitor_typing: false,
            context: None,
            calls: Vec::new(),
            voice_line: None,
        }
    }
}

#[derive(Clone, Copy)]
pub struct Console {
    pub auth: RwSignal<Auth>,
    pub page: RwSignal<Page>,
    pub inbox: Inbox,
    pub open: RwSignal<Option<Open>>,
    /// The team, for the assignee picker (admins only; empty otherwise).
    pub team: RwSignal<Vec<TeamMember>>,
    /// The organization's plan: which pro features are usable.
    pub plan: RwSignal<Option<OrganizationInfo>>,
    /// Whether the push stream is connected.
    pub live: RwSignal<bool>,
    pub toasts: RwSignal<Vec<(u32, String)>>,
    /// The desk: labels, members, saved replies, mentions, selection,
    /// search.
    pub desk: Desk,
    /// The conversations on a voice call now.
    pub live_calls: RwSignal<Vec<ConversationId>>,
}

impl Console {
    pub fn new() -> Self {
        let key = session_storage().and_then(|s| s.get_item(KEY_STORAGE).ok().flatten());
        Self {
            auth: RwSignal::new(key.map_or(Auth::Checking, Auth::Key)),
            page: RwSignal::new(Page::Inbox(None)),
            inbox: Inbox {
                tab: RwSignal::new(Tab::Unresolved),
                owner: RwSignal::new(Owner::All),
                label: RwSignal::new(None),
                rows: RwSignal::new(Vec::new()),
                version: RwSignal::new(0),
            },
            open: RwSignal::new(None),
            team: RwSignal::new(Vec::new()),
            plan: RwSignal::new(None),
            live: RwSignal::new(false),
            toasts: RwSignal::new(Vec::new()),
            desk: Desk::new(),
            live_calls: RwSignal::new(Vec::new()),
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

    /// As [`Console::me`], outside a reactive view.
    pub fn me_untracked(&self) -> Option<OperatorId> {
        self.auth.with_untracked(|auth| match auth {
            Auth::Session(account) => Some(account.operator.id),
            _ => None,
        })
    }

    /// The name replies are signed with: the operator's, or (for an API
    /// key) the organization's.
    pub fn my_name(&self) -> String {
        self.auth.with_untracked(|auth| match auth {
            Auth::Session(account) => account.operator.name.clone(),
            _ => self
                .plan
                .with_untracked(|p| p.as_ref().map(|p| p.name.clone()))
                .unwrap_or_default(),
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

    /// Whether the signed-in operator gets notification mails (`None`
    /// for an API key).
    pub fn email_notifications(&self) -> Option<bool> {
        self.auth.with(|auth| match auth {
            Auth::Session(account) => Some(account.email_notifications),
            _ => None,
        })
    }

    /// After sign-in, invitation acceptance or an organization switch.
    pub fn signed_in(&self, account: Account) {
        self.open.set(None);
        self.inbox.rows.set(Vec::new());
        self.team.set(Vec::new());
        self.page.set(Page::Inbox(None));
        self.inbox.owner.set(Owner::All);
        self.inbox.label.set(None);
        self.desk.clear();
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
        self.open(id);
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
        self.open.set(None);
        self.auth.set(Auth::SignedOut);
    }

    pub fn refresh_inbox(&self) {
        self.inbox.version.update(|v| *v += 1);
    }

    /// The inbox page, with the conversation that was open there.
    pub fn show_inbox(&self) {
        let open = self.open.with_untracked(|o| o.as_ref().map(|o| o.id));
        self.page.set(Page::Inbox(open));
    }

    /// Opens a conversation in the inbox and loads it; its mentions of
    /// the operator count as read.
    pub fn open(&self, id: ConversationId) {
        self.page.set(Page::Inbox(Some(id)));
        if self.open.with_untracked(|o| o.as_ref().map(|o| o.id)) != Some(id) {
            self.open.set(Some(Open::new(id)));
        }
        self.reload_open();
        self.read_mentions_of(id);
    }

    /// Fetches the open conversation again (after events were lost).
    pub fn reload_open(&self) {
        let Some(id) = self.open.with_untracked(|o| o.as_ref().map(|o| o.id)) else {
            return;
        };
        let Some(api) = self.api() else { return };
        let console = *self;
        spawn_local(async move {
            let (detail, messages) = (api.conversation(id).await, api.messages(id).await);
            match (detail, messages) {
                (Ok(detail), Ok(page)) => console.update_open(id, |open| {
                    open.detail = Some(detail);
                    // Events that arrived while the page was on its way are
                    // newer than it: kept after it, not dropped.
                    let newest = page.messages.last().map(|m| m.created_at);
                    let arrived: Vec<_> = std::mem::take(&mut open.messages)
                        .into_iter()
                        .filter(|m| newest.is_none_or(|n| m.created_at >= n))
                        .collect();
                    open.messages = page.messages;
                    echo_web::list::merge(&mut open.messages, arrived);
                }),
                (Err(e), _) | (_, Err(e)) => return console.fail(e),
            }
            let calls = api.voice_calls(id).await.map(|list| list.calls);
            let context = api.visitor_context(id).await.ok();
            console.update_open(id, |open| {
                if let Ok(calls) = calls {
                    open.calls = calls;
                }
                open.context = context;
            });
        });
        // Meanwhile the assignee picker and mentions list learn whoever
        // joined since the last look.
        let api = self.api();
        spawn_local(async move {
            let Some(api) = api else { return };
            if let Ok(members) = api.members().await {
                console.desk.members.set(members);
            }
        });
    }

    /// Changes the open conversation's data, if `id` is still the open one.
    pub fn update_open(&self, id: ConversationId, change: impl FnOnce(&mut Open)) {
        self.open.update(|open| {
            if let Some(open) = open.as_mut().filter(|o| o.id == id) {
                change(open);
            }
        });
    }

    /// The open conversation's details, once loaded.
    pub fn detail(&self) -> Option<OperatorConversation> {
        self.open
            .with(|o| o.as_ref().and_then(|o| o.detail.clone()))
    }
}

// The desk's share of the console's behaviour (its state is `desk_state`).
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
