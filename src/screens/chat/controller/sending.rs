//! Sending: the draft (one send at a time; text typed while one is on
//! its way stays, and an Enter pressed meanwhile sends it next), and what
//! was written offline, once the stream is back.

use std::sync::atomic::Ordering::Relaxed;

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::validate::MessageText;
use echo_protocol::ErrorCode;
use echo_web::i18n::{t, tf, Msg};
use echo_web::list::merge;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::super::pieces::{new_key, Queued};
use super::Chat;
use crate::api::{ApiError, Describe};

impl Chat {
    /// Sends the draft.
    pub fn send_draft(&self) {
        self.send(self.draft.get_untracked());
    }

    /// Sends what was written offline, in order, each once.
    pub(super) fn flush_queue(&self) {
        let chat = self.clone();
        spawn_local(async move {
            while let Some(next) = chat.queued.with_untracked(|q| q.first().cloned()) {
                if !chat.live.get_untracked() || chat.is_resolved_now() {
                    return;
                }
                match chat
                    .api
                    .send_message(
                        &chat.session,
                        chat.id,
                        next.text.clone(),
                        next.key.clone(),
                        Vec::new(),
                    )
                    .await
                {
                    Ok(message) => {
                        chat.queued.try_update(|q| q.retain(|m| m.key != next.key));
                        chat.messages.try_update(|list| merge(list, vec![message]));
                        chat.scroll_to_bottom();
                    }
                    Err(e) if e.is(ErrorCode::Conflict) => {
                        chat.status.try_set(ConversationStatus::Resolved);
                        return;
                    }
                    Err(ApiError::Network) => return,
                    Err(e) => {
                        // Not sent: back into an empty draft (a 429, or
                        // a 503 from a server shedding load, then waits
                        // for the visitor to press send again).
                        chat.queued.try_update(|q| q.retain(|m| m.key != next.key));
                        if chat.draft.try_with_untracked(String::is_empty) == Some(true) {
                            chat.draft.try_set(next.text.clone());
                        }
                        chat.send_error.try_set(Some(e.describe()));
                        if e.is(ErrorCode::RateLimited) || e.is(ErrorCode::Overloaded) {
                            return;
                        }
                    }
                }
            }
        });
    }

    pub fn send(&self, raw: String) {
        if self.is_resolved_now() {
            return;
        }
        if self.sending.get_untracked() {
            self.send_next.store(true, Relaxed);
            return;
        }
        let files = self.files.ready();
        let text = match MessageText::parse(&raw) {
            Ok(text) => text.into_inner(),
            Err(_) if raw.trim().is_empty() && !files.is_empty() => String::new(),
            Err(_) => {
                if !raw.trim().is_empty() {
                    self.send_error.set(Some(tf(
                        Msg::MessageTooLong,
                        &MessageText::MAX_CHARS.to_string(),
                    )));
                }
                return;
            }
        };
        let key = self.draft_key.get_untracked().unwrap_or_else(new_key);
        // A sent message ends the typing (the server's throttle too): the
        // next keystroke is told at once.
        self.told_typing.set_value(0.0);
        if !self.live.get_untracked() && !files.is_empty() {
            // Files are not queued: they go when the connection is back.
            self.send_error
                .set(Some(t(Msg::FilesWhileReconnecting).into()));
            return;
        }
        if !self.live.get_untracked() {
            self.queued.update(|q| q.push(Queued { key, text }));
            self.draft.set(String::new());
            self.draft_key.set(None);
            self.send_error.set(None);
            self.scroll_to_bottom();
            return;
        }
        self.draft.set(raw.clone());
        self.draft_key.set(Some(key.clone()));
        self.sending.set(true);
        self.send_error.set(None);
        let chat = self.clone();
        spawn_local(async move {
            let answered = chat
                .api
                .send_message(&chat.session, chat.id, text, key, files.clone())
                .await;
            let sent = answered.is_ok();
            match answered {
                Ok(message) => {
                    chat.files.sent(&files);
                    chat.messages.try_update(|list| merge(list, vec![message]));
                    // Only what was sent leaves the box: what the visitor
                    // typed after it while it was on its way stays.
                    if let Some(Some(rest)) = chat.draft.try_with_untracked(|draft| {
                        draft
                            .strip_prefix(&raw)
                            .map(|rest| rest.trim_start().to_owned())
                    }) {
                        chat.draft.try_set(rest);
                    }
                    chat.draft_key.try_set(None);
                    chat.scroll_to_bottom();
                }
                Err(e) if e.is(ErrorCode::Conflict) => {
                    chat.status.try_set(ConversationStatus::Resolved);
                }
                Err(e) if e.is(ErrorCode::Unauthorized) || e.is(ErrorCode::NotFound) => {
                    chat.handle(e)
                }
                Err(e) => {
                    chat.send_error.try_set(Some(e.describe()));
                }
            }
            chat.sending.try_set(false);
            // Enter pressed meanwhile sends what was typed, unless this
            // send failed (its text is still the draft, with its error).
            if chat.send_next.swap(false, Relaxed) && sent {
                chat.send_draft();
            }
        });
    }
}
