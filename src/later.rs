//! The screens after the first: selection, chat and inbox. With the `split`
//! feature (the release build, `scripts/split-widget.mjs`) each is a wasm
//! module of its own, so the first screen's download carries none of them;
//! [`prefetch`] fetches them while the visitor reads that first screen.
//! Without it they are ordinary functions and each screen is built at once.

#[cfg(feature = "split")]
use echo_web::i18n::{t, Msg};
use leptos::prelude::*;
use leptos::wasm_split::SplitLoaderError;

#[cfg(feature = "split")]
use crate::screens::Header;
use crate::screens::{ChatScreen, InboxScreen, SelectionScreen};
#[cfg(feature = "split")]
use crate::state::WidgetState;
use echo_protocol::ConversationId;

// `fallible`: a module that fails to arrive (the visitor went offline) is an
// error the widget can show and retry, not a panic that stops it.
#[cfg_attr(
    feature = "split",
    leptos::wasm_split::wasm_split(echo_later, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_selection))
)]
fn selection_screen() -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <SelectionScreen/> }.into_any())
}

#[cfg_attr(
    feature = "split",
    leptos::wasm_split::wasm_split(echo_later, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_chat))
)]
fn chat_screen(id: ConversationId) -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <ChatScreen id/> }.into_any())
}

#[cfg_attr(
    feature = "split",
    leptos::wasm_split::wasm_split(echo_later, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_inbox))
)]
fn inbox_screen() -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <InboxScreen/> }.into_any())
}

#[cfg(feature = "split")]
pub fn selection() -> AnyView {
    later(preload_selection, selection_screen)
}

#[cfg(feature = "split")]
pub fn chat(id: ConversationId) -> AnyView {
    later(preload_chat, move || chat_screen(id))
}

#[cfg(feature = "split")]
pub fn inbox() -> AnyView {
    later(preload_inbox, inbox_screen)
}

/// Starts fetching every later screen's module (a screen shown before its
/// module has arrived waits for the same fetch).
#[cfg(feature = "split")]
pub fn prefetch() {
    use leptos::task::spawn_local;
    // A failure here is reported by the screen that needs the module.
    spawn_local(async {
        let _ = preload_selection().await;
    });
    spawn_local(async {
        let _ = preload_chat().await;
    });
    spawn_local(async {
        let _ = preload_inbox().await;
    });
}

/// A screen from a lazily loaded module: a spinner until its module has
/// arrived, then the screen, built at once like any other (not as a `Suspend`,
/// which builds its view in a task: the view's effects then outlived the
/// screen's signals when the screen changed, and read them disposed).
#[cfg(feature = "split")]
fn later<Load, Screen>(
    load: impl FnOnce() -> Load + 'static,
    screen: impl Fn() -> Screen + Send + Sync + 'static,
) -> AnyView
where
    Load: std::future::Future<Output = Result<(), SplitLoaderError>> + 'static,
    Screen: std::future::Future<Output = Result<AnyView, SplitLoaderError>>,
{
    use futures::FutureExt;
    let state = WidgetState::get();
    let ready = RwSignal::new(false);
    leptos::task::spawn_local(async move {
        match load().await {
            Ok(()) => drop(ready.try_set(true)),
            // Only while the screen is still the one shown.
            Err(_) if ready.try_get_untracked().is_some() => state.fail(t(Msg::NetworkError)),
            Err(_) => {}
        }
    });
    // Loaded: the screen's future is ready on its first poll. Until then
    // the header and the loading screen's spinner (seen on a slow network).
    (move || match ready.get().then(|| screen().now_or_never()?.ok()).flatten() {
        Some(view) => view,
        None => view! {
            <Header subtitle=Msg::ReplyTime/>
            <div class="screen center" role="status">
                <div class="spinner" aria-hidden="true"></div>
                <p class="muted">{t(Msg::Loading)}</p>
            </div>
        }
        .into_any(),
    })
    .into_any()
}

#[cfg(not(feature = "split"))]
pub fn selection() -> AnyView {
    selection_screen().unwrap_or_else(|_| ().into_any())
}

#[cfg(not(feature = "split"))]
pub fn chat(id: ConversationId) -> AnyView {
    chat_screen(id).unwrap_or_else(|_| ().into_any())
}

#[cfg(not(feature = "split"))]
pub fn inbox() -> AnyView {
    inbox_screen().unwrap_or_else(|_| ().into_any())
}
