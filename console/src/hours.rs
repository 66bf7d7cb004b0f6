//! The Business hours page (admins): when the desk is open, in which time
//! zone, the holidays, the reply time the widget states and the away
//! message it shows while closed.

use echo_protocol::hours::{BusinessHours, Holiday, OpeningHours, ReplyTime, Weekday};
use echo_web::http::{ApiError, Body};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::OperatorApi;
use crate::state::Console;

const PATH: &str = "/v1/operator/business-hours";

impl OperatorApi {
    pub async fn business_hours(&self) -> Result<BusinessHours, ApiError> {
        self.call("GET", PATH, Body::Empty).await
    }

    pub async fn set_business_hours(
        &self,
        hours: &BusinessHours,
    ) -> Result<BusinessHours, ApiError> {
        self.call("PUT", PATH, Body::json(hours)).await
    }
}

const DAYS: [(Weekday, &str); 7] = [
    (Weekday::Mon, "Monday"),
    (Weekday::Tue, "Tuesday"),
    (Weekday::Wed, "Wednesday"),
    (Weekday::Thu, "Thursday"),
    (Weekday::Fri, "Friday"),
    (Weekday::Sat, "Saturday"),
    (Weekday::Sun, "Sunday"),
];

/// The browser's own time zone: the default for hours never set.
fn browser_zone() -> String {
    let options = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
        .resolved_options();
    js_sys::Reflect::get(&options, &"timeZone".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| "UTC".into())
}

#[component]
pub fn BusinessHoursPage(console: Console) -> impl IntoView {
    let hours = RwSignal::new(None::<BusinessHours>);
    let saving = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    if let Some(api) = console.api() {
        spawn_local(async move {
            match api.business_hours().await {
                Ok(mut found) => {
                    if !found.enabled && found.week.is_empty() {
                        found.time_zone = browser_zone();
                    }
                    hours.set(Some(found));
                }
                Err(e) => console.fail(e),
            }
        });
    }
    let edit = move |change: &dyn Fn(&mut BusinessHours)| {
        hours.update(|h| {
            if let Some(h) = h {
                change(h)
            }
        })
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Some(api), Some(current)) = (console.api(), hours.get_untracked()) else {
            return;
        };
        saving.set(true);
        spawn_local(async move {
            match api.set_business_hours(&current).await {
                Ok(saved) => {
                    error.set(None);
                    hours.set(Some(saved));
                    console.toast("Saved: the widget follows within a minute.");
                }
                Err(e) => error.set(Some(e.message().to_owned())),
            }
            saving.set(false);
        });
    };
    // The rows depend on how many there are, not on what is in them: an
    // edit must not draw a row anew under the field being typed in. Text
    // fields write through on every keystroke, so the model is never behind
    // what is on screen.
    let openings = Memo::new(move |_| hours.with(|h| h.as_ref().map_or(0, |h| h.week.len())));
    let holidays = Memo::new(move |_| hours.with(|h| h.as_ref().map_or(0, |h| h.holidays.len())));
    let field = move |read: fn(&BusinessHours) -> String| {
        move || hours.with(|h| h.as_ref().map(read).unwrap_or_default())
    };
    // Nothing can be edited before the hours are read (the form's fields
    // are in one disabled fieldset until then): an edit made then went
    // nowhere, and what arrived drew over it.
    let loading = move || hours.with(Option::is_none);
    view! {
        <main class="page">
            <h2>"Business hours"</h2>
            <p class="muted">"While the desk is closed the widget shows your away message and when you are back, in each visitor's own time zone."</p>
            <form class="settings" on:submit=save>
                <fieldset class="whole" disabled=loading>
                    <label class="check">
                        <input type="checkbox"
                            prop:checked=move || hours.with(|h| h.as_ref().is_some_and(|h| h.enabled))
                            on:change=move |ev| { let on = event_target_checked(&ev); edit(&|h| h.enabled = on) } />
                        "Use business hours (off: always open)"
                    </label>
                    <div class="field">
                        <label for="time-zone">"Time zone"</label>
                        <input id="time-zone" placeholder="Europe/Berlin"
                            prop:value=field(|h| h.time_zone.clone())
                            on:input=move |ev| { let v = event_target_value(&ev); edit(&|h| h.time_zone = v.clone()) } />
                    </div>
                    <fieldset class="field">
                        <legend>"Openings"</legend>
                        {move || (openings.get() == 0).then(|| view! {
                            <p class="muted">"No openings: closed all week."</p>
                        })}
                        {move || (0..openings.get()).map(|i| {
                            let get = move |read: fn(&OpeningHours) -> String| move || hours.with(|h| h.as_ref().and_then(|h| h.week.get(i)).map(read).unwrap_or_default());
                            view! {
                                <div class="opening">
                                    <select aria-label=format!("Day of opening {}", i + 1)
                                        on:change=move |ev| {
                                            let v = event_target_value(&ev);
                                            if let Some((day, _)) = DAYS.iter().find(|(_, name)| *name == v) {
                                                let day = *day;
                                                edit(&|h| if let Some(o) = h.week.get_mut(i) { o.day = day });
                                            }
                                        }>
                                        {DAYS.iter().map(|(day, name)| {
                                            let day = *day;
                                            view! { <option selected=move || hours.with(|h| h.as_ref().and_then(|h| h.week.get(i)).is_some_and(|o| o.day == day))>{*name}</option> }
                                        }).collect_view()}
                                    </select>
                                    <input type="time" aria-label=format!("Opens, opening {}", i + 1) prop:value=get(|o| o.open.clone())
                                        on:input=move |ev| { let v = event_target_value(&ev); edit(&|h| if let Some(o) = h.week.get_mut(i) { o.open = v.clone() }) } />
                                    <input type="time" aria-label=format!("Closes, opening {}", i + 1) prop:value=get(|o| o.close.clone())
                                        on:input=move |ev| { let v = event_target_value(&ev); edit(&|h| if let Some(o) = h.week.get_mut(i) { o.close = v.clone() }) } />
                                    <button type="button" class="ghost" aria-label=format!("Remove opening {}", i + 1)
                                        on:click=move |_| edit(&|h| { if i < h.week.len() { h.week.remove(i); } })>"Remove"</button>
                                </div>
                            }
                        }).collect_view()}
                        <button type="button" on:click=move |_| edit(&|h| h.week.push(OpeningHours { day: Weekday::Mon, open: "09:00".into(), close: "17:00".into() }))>"Add an opening"</button>
                        <p class="muted hint">"A closing time before the opening time ends the next day (22:00 to 02:00)."</p>
                    </fieldset>
                    <fieldset class="field">
                        <legend>"Holidays"</legend>
                        {move || (0..holidays.get()).map(|i| {
                            let get = move |read: fn(&Holiday) -> String| move || hours.with(|h| h.as_ref().and_then(|h| h.holidays.get(i)).map(read).unwrap_or_default());
                            view! {
                                <div class="opening">
                                    <input type="date" aria-label=format!("Date of holiday {}", i + 1) prop:value=get(|d| d.date.clone())
                                        on:input=move |ev| { let v = event_target_value(&ev); edit(&|h| if let Some(d) = h.holidays.get_mut(i) { d.date = v.clone() }) } />
                                    <input aria-label=format!("Name of holiday {}", i + 1) maxlength="100" prop:value=get(|d| d.name.clone())
                                        on:input=move |ev| { let v = event_target_value(&ev); edit(&|h| if let Some(d) = h.holidays.get_mut(i) { d.name = v.clone() }) } />
                                    <button type="button" class="ghost" aria-label=format!("Remove holiday {}", i + 1)
                                        on:click=move |_| edit(&|h| { if i < h.holidays.len() { h.holidays.remove(i); } })>"Remove"</button>
                                </div>
                            }
                        }).collect_view()}
                        <button type="button" on:click=move |_| edit(&|h| h.holidays.push(Holiday { date: String::new(), name: String::new() }))>"Add a holiday"</button>
                    </fieldset>
                    <div class="field inline">
                        <label for="reply-time">"We typically reply"</label>
                        <select id="reply-time" on:change=move |ev| {
                            let reply = match event_target_value(&ev).as_str() { "hours" => ReplyTime::Hours, "day" => ReplyTime::Day, _ => ReplyTime::Minutes };
                            edit(&|h| h.reply_time = reply);
                        }>
                            {[(ReplyTime::Minutes, "minutes", "in a few minutes"), (ReplyTime::Hours, "hours", "in a few hours"), (ReplyTime::Day, "day", "within a day")].into_iter().map(|(reply, value, label)| view! {
                                <option value=value selected=move || hours.with(|h| h.as_ref().is_some_and(|h| h.reply_time == reply))>{label}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="away-message">"Away message"</label>
                        <textarea id="away-message" rows="2" maxlength="300"
                            prop:value=field(|h| h.away_message.clone())
                            on:input=move |ev| { let v = event_target_value(&ev); edit(&|h| h.away_message = v.clone()) }></textarea>
                    </div>
                    <p class="error" role="alert">{move || error.get()}</p>
                    <button class="primary" type="submit" disabled=move || saving.get()>"Save"</button>
                </fieldset>
            </form>
            <RatingsSetting console/>
        </main>
    }
}

/// Whether visitors are asked to rate resolved conversations (in the widget,
/// or by mail once they left).
#[component]
fn RatingsSetting(console: Console) -> impl IntoView {
    let on = move || {
        console
            .plan
            .with(|p| p.as_ref().is_some_and(|p| p.ratings_enabled))
    };
    let change = move |ev: leptos::ev::Event| {
        let Some(api) = console.api() else { return };
        let change = echo_protocol::trust::UpdateOrganization {
            ratings_enabled: Some(event_target_checked(&ev)),
            ..Default::default()
        };
        leptos::task::spawn_local(async move {
            match api.update_organization(&change).await {
                Ok(info) => {
                    console.plan.set(Some(info));
                    console.toast("Saved.");
                }
                Err(e) => console.fail(e),
            }
        });
    };
    view! {
        <h2>"Satisfaction ratings"</h2>
        <label class="check">
            <input type="checkbox" prop:checked=on on:change=change/>
            "Ask visitors to rate resolved conversations"
        </label>
        <p class="muted">"A visitor who was answered rates 1 to 5 in the widget, or from the resolution email once they have left."</p>
    }
}
