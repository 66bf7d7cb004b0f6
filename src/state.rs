//! The widget's shared state, provided once at the root and read anywhere,
//! like atoms in a React app. Screens change by setting
//! [`WidgetState::screen`].

use echo_protocol::widget::WidgetConfig;
use echo_protocol::{ContactSessionId, ConversationId, OrganizationId};
use leptos::prelude::*;

use crate::storage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Loading,
    Error,
    Auth,
    Selection,
    /// One conversation: the screen carries its ID, so it is never shown
    /// without one.
    Chat(ConversationId),
    Inbox,
    /// "Call us": the organization's number.
    CallUs,
}

#[derive(Clone, Copy)]
pub struct WidgetState {
    pub screen: RwSignal<Screen>,
    pub organization_id: RwSignal<Option<OrganizationId>>,
    /// The visitor's session for this organization (also in localStorage).
    pub contact_session: RwSignal<Option<ContactSessionId>>,
    pub error_message: RwSignal<Option<String>>,
    pub loading_message: RwSignal<Option<String>>,
    /// The organization's public settings, once verified.
    pub config: RwSignal<Option<WidgetConfig>>,
    /// A voice call is wanted on the chat shown (set by "Start voice call",
    /// cleared when the call ends).
    pub calling: RwSignal<bool>,
}

impl WidgetState {
    pub fn provide() -> Self {
        let state = Self {
            screen: RwSignal::new(Screen::Loading),
            organization_id: RwSignal::new(None),
            contact_session: RwSignal::new(None),
            error_message: RwSignal::new(None),
            loading_message: RwSignal::new(None),
            config: RwSignal::new(None),
            calling: RwSignal::new(false),
        };
        provide_context(state);
        state
    }

    pub fn get() -> Self {
        expect_context()
    }

    /// Shows the error screen with words a visitor understands.
    pub fn fail(&self, message: impl Into<String>) {
        self.error_message.set(Some(message.into()));
        self.screen.set(Screen::Error);
    }

    /// The session is gone (expired or unknown): forget it and ask again.
    pub fn session_lost(&self) {
        if let Some(org) = self.organization_id.get_untracked() {
            storage::forget_session(org);
        }
        self.contact_session.set(None);
        self.screen.set(Screen::Auth);
    }

    /// The session credential, or a trip back to the auth screen.
    pub fn session_or_auth(&self) -> Option<ContactSessionId> {
        let session = self.contact_session.get_untracked();
        if session.is_none() {
            self.session_lost();
        }
        session
    }
}
