//! The screens after the first: selection, chat and inbox. With the `split`
//! feature (the release build, `scripts/split-widget.mjs`) they are a wasm
//! module of their own, so the first screen's download carries none of
//! them; `prefetch` fetches it while the visitor reads that first screen.
//! Without it each screen is built at once, as any other.

use echo_protocol::ConversationId;
use leptos::prelude::*;

#[cfg(feature = "split")]
pub use split::{call_us, chat, inbox, prefetch, selection, voice_panel};

#[cfg(not(feature = "split"))]
pub fn selection() -> AnyView {
    view! { <crate::screens::SelectionScreen/> }.into_any()
}

#[cfg(not(feature = "split"))]
pub fn chat(id: ConversationId) -> AnyView {
    view! { <crate::screens::ChatScreen id/> }.into_any()
}

#[cfg(not(feature = "split"))]
pub fn inbox() -> AnyView {
    view! { <crate::screens::InboxScreen/> }.into_any()
}

#[cfg(not(feature = "split"))]
pub fn call_us() -> AnyView {
    view! { <crate::voice::CallUsScreen/> }.into_any()
}

#[cfg(not(feature = "split"))]
pub fn voice_panel(id: ConversationId, line: RwSignal<Option<String>>) -> AnyView {
    view! { <crate::voice::VoicePanel id line/> }.into_any()
}

#[cfg(feature = "split")]
mod split {
    use std::future::Future;
    use std::pin::Pin;

    use echo_web::i18n::{t, Msg};
    use futures::FutureExt;
    use leptos::task::spawn_local;
    use leptos::wasm_split::{wasm_split, SplitLoaderError};

    use super::*;
    use crate::screens::{ChatScreen, Header, InboxScreen, SelectionScreen};
    use crate::state::WidgetState;

    // One module for the three (`echo_later`): they are fetched together
    // anyway, and one file compresses better than three and their shared
    // chunks (7.7 KB less). `fallible`: a module that fails to arrive (the
    // visitor went offline) is an error the widget shows and retries, not a
    // panic that stops it.
    #[wasm_split(echo_later, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_selection))]
    fn selection_screen() -> Result<AnyView, SplitLoaderError> {
        Ok(view! { <SelectionScreen/> }.into_any())
    }

    #[wasm_split(echo_later, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_chat))]
    fn chat_screen(id: ConversationId) -> Result<AnyView, SplitLoaderError> {
        Ok(view! { <ChatScreen id/> }.into_any())
    }

    #[wasm_split(echo_later, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_inbox))]
    fn inbox_screen() -> Result<AnyView, SplitLoaderError> {
        Ok(view! { <InboxScreen/> }.into_any())
    }

    // Voice is a module of its own (`echo_voice`): only a visitor who
    // opens "Call us" or starts a call fetches it.
    #[wasm_split(echo_voice, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_call_us))]
    fn call_us_screen() -> Result<AnyView, SplitLoaderError> {
        Ok(view! { <crate::voice::CallUsScreen/> }.into_any())
    }

    #[wasm_split(echo_voice, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_voice))]
    fn voice_panel_view(
        id: ConversationId,
        line: RwSignal<Option<String>>,
    ) -> Result<AnyView, SplitLoaderError> {
        Ok(view! { <crate::voice::VoicePanel id line/> }.into_any())
    }

    pub fn call_us() -> AnyView {
        later(
            Box::pin(preload_call_us()),
            Box::new(|| now(call_us_screen())),
        )
    }

    /// The call's panel once the voice module has arrived (nothing before:
    /// the chat under it is already on screen).
    pub fn voice_panel(id: ConversationId, line: RwSignal<Option<String>>) -> AnyView {
        let state = WidgetState::get();
        let ready = RwSignal::new(false);
        spawn_local(async move {
            match preload_voice().await {
                Ok(()) => drop(ready.try_set(true)),
                Err(_) => {
                    state.calling.try_set(false);
                }
            }
        });
        (move || {
            ready
                .get()
                .then(|| now(voice_panel_view(id, line)))
                .flatten()
        })
        .into_any()
    }

    /// The screen once its module is here (its future is then ready on
    /// its first poll).
    fn now(screen: impl Future<Output = Result<AnyView, SplitLoaderError>>) -> Option<AnyView> {
        screen.now_or_never()?.ok()
    }

    pub fn selection() -> AnyView {
        later(
            Box::pin(preload_selection()),
            Box::new(|| now(selection_screen())),
        )
    }

    pub fn chat(id: ConversationId) -> AnyView {
        later(
            Box::pin(preload_chat()),
            Box::new(move || now(chat_screen(id))),
        )
    }

    pub fn inbox() -> AnyView {
        later(Box::pin(preload_inbox()), Box::new(|| now(inbox_screen())))
    }

    /// Starts fetching the later screens' module (a screen shown before it
    /// has arrived waits for the same fetch).
    pub fn prefetch() {
        // A failure here is reported by the screen that needs the module.
        spawn_local(async {
            let _ = preload_selection().await;
        });
    }

    /// A screen from the later module: the header and a spinner until the
    /// module has arrived, then the screen, built at once like any other.
    /// (Not as a `Suspend`, which builds its view in a task: the view's
    /// effects then outlived the screen's signals when the screen changed,
    /// and read them disposed.)
    ///
    /// Its arguments are boxed: one body for every screen instead of one
    /// per screen (the initial download carries it).
    fn later(
        load: Pin<Box<dyn Future<Output = Result<(), SplitLoaderError>>>>,
        screen: Box<dyn Fn() -> Option<AnyView> + Send + Sync>,
    ) -> AnyView {
        let state = WidgetState::get();
        let ready = RwSignal::new(false);
        spawn_local(async move {
            match load.await {
                Ok(()) => drop(ready.try_set(true)),
                // Only while the screen is still the one shown.
                Err(_) if ready.try_get_untracked().is_some() => state.fail(t(Msg::NetworkError)),
                Err(_) => {}
            }
        });
        // Loaded, the screen's future is ready on its first poll.
        (move || match ready.get().then(&screen).flatten() {
            Some(view) => view,
            None => view! {
                <Header/>
                <div class="screen center" role="status">
                    <div class="spinner" aria-hidden="true"></div>
                    <p class="muted">{t(Msg::Loading)}</p>
                </div>
            }
            .into_any(),
        })
        .into_any()
    }
}
