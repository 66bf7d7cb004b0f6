//! The signed-in workspace's shell: the top bar and the page it shows, the
//! live stream followed while it is up, and what every page needs loaded
//! (the plan; the team, for admins; the desk's labels, members, saved
//! replies and mentions) and the keyboard shortcuts.

use leptos::prelude::*;
use leptos::task::spawn_local;
use send_wrapper::SendWrapper;

use crate::audit::AuditPage;
use crate::inbox::InboxPage;
use crate::install::{InstallPage, PlanPage};
use crate::keys::ShortcutsDialog;
use crate::knowledge::KnowledgeView;
use crate::labels::LabelsPage;
use crate::mentions::MentionsPage;
use crate::model::Page;
use crate::notifications::NotificationsView;
use crate::saved_replies::SavedRepliesPage;
use crate::settings::WidgetSettingsView;
use crate::sign_up::VerifyBanner;
use crate::state::Console;
use crate::team::{ApiKeysView, TeamView};
use crate::topbar::TopBar;
use crate::two_factor::SecurityPage;

#[component]
pub fn Workspace(console: Console) -> impl IntoView {
    let controller = web_sys::AbortController::new().ok();
    if let Some(controller) = &controller {
        crate::live::run_stream(console, controller.signal());
    }
    let controller = SendWrapper::new(controller);
    console.open_linked();
    console.load_desk();
    crate::keys::install(console);
    on_cleanup(move || {
        if let Some(controller) = controller.take() {
            controller.abort();
        }
    });

    if let Some(api) = console.api() {
        let admin = console.is_admin();
        spawn_local(async move {
            match api.organization().await {
                Ok(plan) => console.plan.set(Some(plan)),
                Err(e) => console.fail(e),
            }
            if admin {
                match api.team().await {
                    Ok(team) => console.team.set(team),
                    Err(e) => console.fail(e),
                }
            }
        });
    }

    let on = move |page: Page| move || console.page.get().same(page);
    view! {
        <TopBar console/>
        <VerifyBanner console/>
        <Show when=on(Page::Knowledge)>
            <KnowledgeView console/>
        </Show>
        <Show when=on(Page::Team)>
            <TeamView console/>
        </Show>
        <Show when=on(Page::ApiKeys)>
            <ApiKeysView console/>
        </Show>
        <Show when=on(Page::Widget)>
            <WidgetSettingsView console/>
        </Show>
        <Show when=on(Page::Notifications)>
            <NotificationsView console/>
        </Show>
        <Show when=on(Page::Mentions)>
            <MentionsPage console/>
        </Show>
        <Show when=on(Page::SavedReplies)>
            <SavedRepliesPage console/>
        </Show>
        <Show when=on(Page::Labels)>
            <LabelsPage console/>
        </Show>
        <Show when=on(Page::Security)>
            <SecurityPage console/>
        </Show>
        <Show when=on(Page::Audit)>
            <AuditPage console/>
        </Show>
        <Show when=on(Page::Install)>
            <InstallPage console/>
        </Show>
        <Show when=on(Page::Plan)>
            <PlanPage console/>
        </Show>
        <Show when=on(Page::Hours)>
            <crate::hours::BusinessHoursPage console/>
        </Show>
        <Show when=on(Page::Reports)>
            <crate::reports::ReportsPage console/>
        </Show>
        <Show when=on(Page::Voice)>
            <crate::plugins::VoicePage console/>
        </Show>
        <ShortcutsDialog console/>
        // The inbox stays mounted (hidden) on other pages: its rows keep
        // following the stream.
        <InboxPage console hidden=Signal::derive(move || !on(Page::Inbox(None))())/>
    }
}
