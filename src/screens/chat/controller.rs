//! The chat screen's controller: loading history, following the push
//! channel, sending (with a queue while offline) and the typing indicator.
//! Every task it starts ends with the screen: the abort signal stops its
//! fetches and stream, and nothing reads a signal once that is aborted.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::messages::{Message, MessageRole};
use echo_protocol::{ContactSessionId, ConversationId, ErrorCode};
use echo_web::i18n::{t, tf, Msg};
use echo_web::list::{merge, prepend};
use echo_web::{follow, OpenError, Signal};
use leptos::html::Div;
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::AbortSignal;

use crate::api::{Api, ApiError, Describe};
use crate::host;
use crate::state::{Screen, WidgetState};
use echo_web::files::Files;

use super::pieces::{Push, Queued};

mod rating;
mod sending;
mod typing;

/// Pixels from the top that count as "the top is in view".
const TOP_SLACK: i32 = 40;
/// Pixels from the bottom within which new messages keep the view pinned.
const BOTTOM_SLACK: i32 = 80;

/// The chat screen's state and behaviour; the view in `mod.rs` only reads
/// its signals and calls its methods.
#[derive(Clone)]
pub struct Chat {
    state: WidgetState,
    api: Api,
    session: ContactSessionId,
    id: ConversationId,
    abort: Option<AbortSignal>,
    pub messages: RwSignal<Vec<Message>>,
    older: RwSignal<Option<String>>,
    pub loading_older: RwSignal<bool>,
    pub loaded: RwSignal<bool>,
    /// The stream is connected and past its `ready` frame.
    pub live: RwSignal<bool>,
    pub queued: RwSignal<Vec<Queued>>,
    pub status: RwSignal<ConversationStatus>,
    pub draft: RwSignal<String>,
    /// The idempotency key of the draft's failed send, reused by Retry.
    draft_key: RwSignal<Option<String>>,
    pub sending: RwSignal<bool>,
    /// Enter was pressed while a send was on its way: the draft goes once
    /// that send is answered.
    send_next: Arc<AtomicBool>,
    pub send_error: RwSignal<Option<String>>,
    pub notice: RwSignal<Option<String>>,
    pub files: Files,
    /// The assistant, or an operator, is writing a reply.
    pub typing: RwSignal<bool>,
    /// The operator who is (`None`: the assistant).
    pub typist: RwSignal<Option<String>>,
    /// When the visitor's typing was last told.
    told_typing: StoredValue<f64>,
    /// Bumped on each `typing` start, so only the latest one's timeout ends it.
    typing_epoch: StoredValue<u32>,
    pub list: NodeRef<Div>,
    /// The conversation is resolved and the visitor may rate it.
    pub can_rate: RwSignal<bool>,
    /// The visitor rated it on this screen.
    pub rated: RwSignal<bool>,
    /// What is being said in a voice call, before it is final.
    pub voice_line: RwSignal<Option<String>>,
}

impl Chat {
    /// The controller of one conversation; nothing runs until [`Chat::start`].
    pub fn new(
        state: WidgetState,
        api: Api,
        session: ContactSessionId,
        id: ConversationId,
        abort: Option<AbortSignal>,
    ) -> Self {
        Self {
            state,
            api,
            session,
            id,
            abort,
            messages: RwSignal::new(Vec::new()),
            older: RwSignal::new(None),
            loading_older: RwSignal::new(false),
            loaded: RwSignal::new(false),
            live: RwSignal::new(false),
            queued: RwSignal::new(Vec::new()),
            status: RwSignal::new(ConversationStatus::Unresolved),
            draft: RwSignal::new(String::new()),
            draft_key: RwSignal::new(None),
            sending: RwSignal::new(false),
            send_next: Arc::default(),
            send_error: RwSignal::new(None),
            notice: RwSignal::new(None),
            files: Files::new(),
            typing: RwSignal::new(false),
            typist: RwSignal::new(None),
            told_typing: StoredValue::new(0.0),
            typing_epoch: StoredValue::new(0),
            list: NodeRef::new(),
            can_rate: RwSignal::new(false),
            rated: RwSignal::new(false),
            voice_line: RwSignal::new(None),
        }
    }

    /// Opens the push stream; the history follows once it is live.
    pub fn start(&self) {
        self.run_stream();
    }

    /// Waiting for the first connection is normal; a later drop is worth a
    /// word.
    pub fn reconnecting(&self) -> bool {
        self.loaded.get() && !self.live.get()
    }

    /// The greeting's suggestions, while the greeting is all there is.
    pub fn suggestions(&self) -> Vec<String> {
        let only_greeting = self
            .messages
            .with(|m| m.len() == 1 && m[0].role == MessageRole::Assistant);
        if !only_greeting || self.status.get() == ConversationStatus::Resolved {
            return Vec::new();
        }
        self.state
            .config
            .with(|c| c.as_ref().map(|c| c.suggestions.clone()))
            .unwrap_or_default()
    }

    /// Loads older messages once the top of the list is in view.
    pub fn scrolled(&self) {
        if self
            .list
            .get_untracked()
            .is_some_and(|el| el.scroll_top() < TOP_SLACK)
        {
            self.load_older();
        }
    }

    /// Uploads dropped, pasted or chosen files for the next message.
    pub fn attach(&self, files: Option<web_sys::FileList>) {
        if let Some(files) = files {
            let url = format!(
                "{}/v1/conversations/{}/attachments",
                self.api.base(),
                self.id
            );
            self.files
                .add(files, &url, Some(self.session.expose_secret()));
        }
    }

    /// Mails the conversation to the visitor; says how it went.
    pub fn email_transcript(&self) {
        let chat = self.clone();
        spawn_local(async move {
            let said = match chat.api.transcript(&chat.session, chat.id).await {
                Ok(queued) if queued.awaiting_confirmation => {
                    tf(Msg::ConfirmTranscript, &queued.email)
                }
                Ok(queued) => tf(Msg::EmailingTranscript, &queued.email),
                Err(e) if e.is(ErrorCode::RateLimited) => t(Msg::TranscriptLimit).into(),
                Err(e) if e.is(ErrorCode::Conflict) => t(Msg::NoEmailAddress).into(),
                Err(e) => e.describe(),
            };
            chat.notice.set(Some(said));
        });
    }

    /// Back to the selection screen.
    pub fn leave(&self) {
        self.state.screen.set(Screen::Selection);
    }

    fn is_resolved_now(&self) -> bool {
        self.status.get_untracked() == ConversationStatus::Resolved
    }

    /// Errors that end the chat screen; the rest become a quiet notice.
    fn handle(&self, error: ApiError) {
        if error.is(ErrorCode::Unauthorized) {
            self.state.session_lost();
        } else if error.is(ErrorCode::NotFound) {
            self.leave();
        } else {
            self.notice.set(Some(error.describe()));
        }
    }

    fn near_bottom(&self) -> bool {
        self.list.get_untracked().is_none_or(|el| {
            el.scroll_height() - el.scroll_top() - el.client_height() < BOTTOM_SLACK
        })
    }

    fn scroll_to_bottom(&self) {
        let chat = self.clone();
        request_animation_frame(move || {
            if let Some(el) = chat.list.get_untracked() {
                el.set_scroll_top(el.scroll_height());
            }
            chat.fill_viewport();
        });
    }

    /// While the history does not fill the view its top is visible, so the
    /// next older page is due.
    fn fill_viewport(&self) {
        if let Some(el) = self.list.get_untracked() {
            if el.scroll_height() <= el.client_height() + TOP_SLACK {
                self.load_older();
            }
        }
    }

    fn load_initial(&self) {
        let chat = self.clone();
        spawn_local(async move {
            match chat
                .api
                .conversation(&chat.session, chat.id, chat.abort.as_ref())
                .await
            {
                Ok(view) => {
                    chat.status.try_set(view.status);
                    chat.can_rate.try_set(view.can_rate);
                }
                Err(e) => return chat.handle(e),
            }
            match chat
                .api
                .messages(&chat.session, chat.id, None, chat.abort.as_ref())
                .await
            {
                Ok(page) => {
                    chat.messages.try_update(|list| {
                        let live = std::mem::take(list);
                        *list = page.messages;
                        merge(list, live);
                    });
                    chat.older.try_set(page.next_cursor);
                    chat.loaded.try_set(true);
                    chat.scroll_to_bottom();
                }
                Err(e) => chat.handle(e),
            }
        });
    }

    fn aborted(&self) -> bool {
        self.abort.as_ref().is_some_and(AbortSignal::aborted)
    }

    /// Keeps the push stream open for as long as the screen lives.
    fn run_stream(&self) {
        let chat = self.clone();
        spawn_local(async move {
            let open = |after| {
                let chat = chat.clone();
                async move {
                    chat.api
                        .open_events(&chat.session, chat.id, after, chat.abort.as_ref())
                        .await
                        .map_err(|e| {
                            if e.is(ErrorCode::Unauthorized) || e.is(ErrorCode::NotFound) {
                                OpenError::Refused(e)
                            } else {
                                OpenError::Retry
                            }
                        })
                }
            };
            let refused = follow(
                open,
                || chat.aborted(),
                |signal| match signal {
                    Signal::Ready { first } => chat.went_live(first),
                    Signal::Event(event) => chat.apply(event),
                    Signal::Down => {
                        chat.live.try_set(false);
                    }
                    Signal::Reset => chat.load_initial(),
                },
            )
            .await;
            if let Some(error) = refused {
                chat.handle(error);
            }
        });
    }

    fn went_live(&self, first: bool) {
        self.live.set(true);
        self.notice.set(None);
        if first {
            self.load_initial();
        }
        self.flush_queue();
    }

    fn apply(&self, event: Push) {
        if let Some(message) = event.message {
            if message.role != MessageRole::Visitor {
                let author = match (&message.author_name, message.role) {
                    (Some(name), _) => name.as_str(),
                    (None, MessageRole::Assistant) => t(Msg::Assistant),
                    (None, _) => t(Msg::SupportTeam),
                };
                host::note_incoming(author, &message.text);
            }
            if message.role != MessageRole::Visitor {
                self.typing.set(false);
            }
            if message.voice {
                self.voice_line.set(None);
            }
            let pinned = self.near_bottom();
            self.messages.update(|list| merge(list, vec![message]));
            if pinned {
                self.scroll_to_bottom();
            }
        } else if let Some(status) = event.status {
            self.status.set(status);
            self.rated.set(false);
            self.can_rate.set(false);
            if status == ConversationStatus::Resolved {
                self.check_rating();
            }
        } else if let Some(active) = event.active {
            self.set_typing(active, event.name);
        } else if let Some(line) = event.transcript {
            self.voice_line.set(Some(line));
        }
    }

    fn load_older(&self) {
        if self.loading_older.get_untracked() {
            return;
        }
        let Some(cursor) = self.older.get_untracked() else {
            return;
        };
        self.loading_older.set(true);
        let chat = self.clone();
        spawn_local(async move {
            let before = chat
                .list
                .get_untracked()
                .map(|el| (el.scroll_height(), el.scroll_top()));
            match chat
                .api
                .messages(&chat.session, chat.id, Some(&cursor), chat.abort.as_ref())
                .await
            {
                Ok(page) => {
                    chat.messages
                        .try_update(|list| prepend(list, page.messages));
                    chat.older.try_set(page.next_cursor);
                    let after = chat.clone();
                    request_animation_frame(move || {
                        // Keep the message the visitor was reading in place.
                        if let (Some(el), Some((height, top))) =
                            (after.list.get_untracked(), before)
                        {
                            el.set_scroll_top(el.scroll_height() - height + top);
                        }
                        after.loading_older.try_set(false);
                        after.fill_viewport();
                    });
                }
                Err(e) => {
                    chat.loading_older.try_set(false);
                    chat.handle(e);
                }
            }
        });
    }
}
