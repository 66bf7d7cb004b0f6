//! Talking to the host page's loader (`public/embed.js`) when the widget runs
//! in its iframe, by `postMessage` both ways: the loader checks a message's
//! origin, the widget that it comes from its parent. The only credential
//! that crosses is the host's `userHash`, which the loader sends to the
//! widget's origin alone (`postMessage`'s target origin), never in a URL.

use echo_protocol::OrganizationId;
use echo_web::js::{field, string};
use leptos::prelude::{GetUntracked, Set};

use crate::api::Api;
use crate::state::{Screen, WidgetState};
use crate::storage;

pub fn is_embedded() -> bool {
    web_sys::window()
        .and_then(|w| w.parent().ok().flatten().map(|p| p != w))
        .unwrap_or(false)
}

/// Asks the loader to close the widget.
pub fn request_close() {
    post(r#"{"type":"echo:close"}"#);
}

fn post(json: &str) {
    if let Ok(value) = js_sys::JSON::parse(json) {
        post_value(&value);
    }
}

fn post_value(value: &wasm_bindgen::JsValue) {
    if !is_embedded() {
        return;
    }
    if let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) {
        let _ = parent.post_message(value, "*");
    }
}

/// The host page's signed-in user (`data-user-*` or `identify()`): its ID
/// for them, the HMAC its server made of it, and the name and email that
/// spare them the pre-chat form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostUser {
    pub user_id: String,
    pub user_hash: String,
    pub name: String,
    pub email: String,
}

thread_local! {
    static VISIBLE: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
    static UNREAD: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    static HEARD: std::cell::RefCell<Option<js_sys::Promise>> = const { std::cell::RefCell::new(None) };
    static USER: std::cell::RefCell<Option<HostUser>> = const { std::cell::RefCell::new(None) };
}

/// The host page's signed-in user, as the loader last said. (A plain cell,
/// not a signal: nothing renders it, and each signal type costs the wasm.)
pub fn user() -> Option<HostUser> {
    USER.with(|u| u.borrow().clone())
}

/// Forgets the user whose hash did not verify.
pub fn drop_user() {
    USER.with(|u| u.take());
}

fn text(data: &wasm_bindgen::JsValue, name: &str) -> String {
    string(data, name).unwrap_or_default()
}

fn host_user(data: &wasm_bindgen::JsValue) -> Option<HostUser> {
    let user = Some(field(data, "user")).filter(|u| u.is_object())?;
    let user = HostUser {
        user_id: text(&user, "userId"),
        user_hash: text(&user, "userHash"),
        name: text(&user, "name"),
        email: text(&user, "email"),
    };
    (!user.user_id.is_empty()).then_some(user)
}

/// Resolves once the loader has said who the visitor is (at once when not
/// embedded, after a second at most if no loader answers).
pub async fn heard() {
    if let Some(promise) = HEARD.with(|h| h.borrow().clone()) {
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
}

/// Talks to the loader for the page's life: says hello (the loader answers
/// with the host's user), follows `echo:visibility` so replies that arrive
/// while the panel is closed are counted on the launcher, and follows
/// `identify()` and `reset()`: a new user or a reset sends the widget
/// back through loading, which settles the session.
pub fn start(state: WidgetState, api: Api) {
    if !is_embedded() {
        return;
    }
    let mut first = None;
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 1_000);
        }
        first = Some(resolve);
    });
    let answer = std::cell::Cell::new(first);
    HEARD.with(|h| *h.borrow_mut() = Some(promise));
    let parent = web_sys::window().and_then(|w| w.parent().ok().flatten());
    let listener = leptos::prelude::window_event_listener(leptos::ev::message, move |event| {
        let from_parent = match (&parent, event.source()) {
            (Some(parent), Some(source)) => {
                let source: wasm_bindgen::JsValue = source.into();
                wasm_bindgen::JsValue::from(parent.clone()) == source
            }
            _ => false,
        };
        if !from_parent {
            return;
        }
        let data = event.data();
        match text(&data, "type").as_str() {
            "echo:visibility" => {
                let open = field(&data, "open").as_bool().unwrap_or(true);
                VISIBLE.with(|v| v.set(open));
                if open {
                    set_unread(0);
                }
            }
            // The host's user (on hello, `identify()` and `reset()`, which
            // also says `reset`).
            "echo:identity" => {
                let reset = field(&data, "reset").is_truthy();
                if reset {
                    forget(state, &api);
                }
                let user = host_user(&data);
                let changed = USER.with(|u| u.replace(user.clone())) != user;
                match answer.take() {
                    Some(resolve) => {
                        let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
                    }
                    None if changed || reset => state.screen.set(Screen::Loading),
                    None => {}
                }
            }
            _ => {}
        }
    });
    // Lives as long as the page.
    std::mem::forget(listener);
    post(r#"{"type":"echo:hello"}"#);
}

/// The host signed its user out: the session ends on the server too (a
/// shared computer's next visitor must not see it), and is forgotten here.
fn forget(state: WidgetState, api: &Api) {
    let org = state.organization_id.get_untracked().or_else(|| {
        crate::api::query_param("organizationId").and_then(|o| OrganizationId::parse(&o))
    });
    let Some(org) = org else {
        return;
    };
    if let Some(session) = storage::load_session(org) {
        let api = api.clone();
        leptos::task::spawn_local(async move {
            let _ = api.end_session(&session).await;
        });
    }
    storage::forget_session(org);
    state.contact_session.set(None);
}

/// Puts the keyboard on the screen's first field once it is drawn, if the
/// widget has the focus (the loader gives it when the visitor opens it):
/// `autofocus` is ignored in a cross-origin frame.
pub fn focus_first_field() {
    leptos::prelude::request_animation_frame(|| {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        if !document.has_focus().unwrap_or(false) {
            return;
        }
        let field = document.query_selector("main input").ok().flatten();
        if let Some(field) =
            field.and_then(|f| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(f).ok())
        {
            let _ = field.focus();
        }
    });
}

/// A message from the assistant or an operator arrived live: the host
/// page's `message` listeners hear who wrote it and what (built as an
/// object, so the text needs no escaping), and a closed panel counts it.
pub fn note_incoming(author: &str, text: &str) {
    if !is_embedded() {
        return;
    }
    let event = js_sys::Object::new();
    let set = |key: &str, value: &str| {
        let _ = js_sys::Reflect::set(&event, &key.into(), &value.into());
    };
    set("type", "echo:message");
    set("authorName", author);
    set("text", text);
    post_value(&event);
    if !VISIBLE.with(|v| v.get()) {
        set_unread(UNREAD.with(|u| u.get()) + 1);
    }
}

fn set_unread(count: u32) {
    UNREAD.with(|u| u.set(count));
    post(&format!(r#"{{"type":"echo:unread","count":{count}}}"#));
}
