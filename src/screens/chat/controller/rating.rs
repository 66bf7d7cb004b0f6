//! Rating a resolved conversation: whether it may be rated (the server
//! knows), and sending the visitor's rating.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::Chat;
use crate::api::Describe;

impl Chat {
    /// Asks the server whether the resolved conversation may be rated (it
    /// knows whether anyone answered, and whether the team asks).
    pub(super) fn check_rating(&self) {
        let chat = self.clone();
        spawn_local(async move {
            let view = chat
                .api
                .conversation(&chat.session, chat.id, chat.abort.as_ref());
            if let Ok(view) = view.await {
                chat.can_rate.try_set(view.can_rate);
            }
        });
    }

    /// Sends the visitor's rating; thanks them once it is kept.
    pub fn rate(&self, score: u8, comment: String) {
        let chat = self.clone();
        let rating = echo_protocol::ratings::RateConversation {
            score,
            comment: (!comment.trim().is_empty()).then_some(comment),
        };
        spawn_local(async move {
            match chat.api.rate(&chat.session, chat.id, &rating).await {
                Ok(()) => {
                    chat.can_rate.try_set(false);
                    chat.rated.try_set(true);
                }
                Err(e) => {
                    chat.notice.try_set(Some(e.describe()));
                }
            }
        });
    }
}
