//! The contact session, persisted per organization in localStorage under
//! `echo_contact_session_{organizationId}`, with the host's user ID beside
//! it (`echo_user_{organizationId}`) when the session is a verified one.
//! Storage can be unavailable (a browser blocking third-party storage);
//! then the session lasts the page.

use echo_protocol::{ContactSessionId, OrganizationId};

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn get(key: &str) -> Option<String> {
    local_storage()?.get_item(key).ok().flatten()
}

pub fn load_session(org: OrganizationId) -> Option<ContactSessionId> {
    ContactSessionId::parse(&get(&format!("echo_contact_session_{org}"))?)
}

/// The verified user the stored session belongs to, if it is verified.
pub fn load_user(org: OrganizationId) -> Option<String> {
    get(&format!("echo_user_{org}"))
}

pub fn save_session(org: OrganizationId, session: &ContactSessionId, user: Option<&str>) {
    let Some(storage) = local_storage() else {
        return;
    };
    let _ = storage.set_item(
        &format!("echo_contact_session_{org}"),
        session.expose_secret(),
    );
    let key = format!("echo_user_{org}");
    let _ = match user {
        Some(user) => storage.set_item(&key, user),
        None => storage.remove_item(&key),
    };
}

pub fn forget_session(org: OrganizationId) {
    if let Some(storage) = local_storage() {
        let _ = storage.remove_item(&format!("echo_contact_session_{org}"));
        let _ = storage.remove_item(&format!("echo_user_{org}"));
    }
}
