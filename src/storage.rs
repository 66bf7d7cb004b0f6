//! The contact session, persisted per organization in localStorage under
//! `echo_contact_session_{organizationId}`. Storage can be unavailable (a
//! browser blocking third-party storage); then the session lasts the page.

use echo_protocol::{ContactSessionId, OrganizationId};

fn key(org: OrganizationId) -> String {
    format!("echo_contact_session_{org}")
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

pub fn load_session(org: OrganizationId) -> Option<ContactSessionId> {
    let value = local_storage()?.get_item(&key(org)).ok().flatten()?;
    ContactSessionId::parse(&value)
}

pub fn save_session(org: OrganizationId, session: &ContactSessionId) {
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(&key(org), session.expose_secret());
    }
}

pub fn forget_session(org: OrganizationId) {
    if let Some(storage) = local_storage() {
        let _ = storage.remove_item(&key(org));
    }
}
