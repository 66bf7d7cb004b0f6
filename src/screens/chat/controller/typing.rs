//! Who is typing: the indicator for the assistant or an operator (it goes
//! by itself if the stop never comes), and telling the team the visitor
//! types.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::Chat;

/// The typing indicator goes away by itself after this long, so a reply
/// that never comes (a server restart mid-answer) does not leave it forever.
const TYPING_TIMEOUT_MS: i32 = 45_000;
/// An operator's "is typing" goes away after this long without another
/// (they repeat it every 2 s while they type).
const OPERATOR_TYPING_MS: i32 = 6_000;
/// The visitor's own typing is told at most this often.
const TELL_TYPING_MS: f64 = 2_000.0;

impl Chat {
    pub(super) fn set_typing(&self, active: bool, name: Option<String>) {
        let timeout = if name.is_some() {
            OPERATOR_TYPING_MS
        } else {
            TYPING_TIMEOUT_MS
        };
        self.typing.set(active);
        self.typist.set(name);
        if !active {
            return;
        }
        let pinned = self.near_bottom();
        self.typing_epoch.update_value(|e| *e += 1);
        let epoch = self.typing_epoch.get_value();
        let chat = self.clone();
        spawn_local(async move {
            echo_web::sleep(timeout).await;
            if chat.typing_epoch.try_get_value() == Some(epoch) {
                chat.typing.try_set(false);
            }
        });
        if pinned {
            self.scroll_to_bottom();
        }
    }

    /// The visitor typed: the team is told, at most every 2 s.
    pub fn typed(&self) {
        let now = js_sys::Date::now();
        if now - self.told_typing.get_value() < TELL_TYPING_MS || self.is_resolved_now() {
            return;
        }
        self.told_typing.set_value(now);
        let (api, session, id) = (self.api.clone(), self.session.clone(), self.id);
        spawn_local(async move { api.typing(&session, id).await });
    }
}
