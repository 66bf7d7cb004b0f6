//! The Reports page: a date range, a grouping and business hours only;
//! charts of conversations and first responses, every figure in a table,
//! and the report and the conversations as CSV.

use echo_protocol::reports::{GroupBy, Report, ReportBucket};
use echo_web::http::{self, ApiError, Body};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::OperatorApi;
use crate::report_chart::{BarChart, Series};
use crate::state::Console;

/// What the page asks for.
#[derive(Clone, PartialEq)]
struct Ask {
    from: String,
    to: String,
    group: GroupBy,
    business_hours_only: bool,
}

impl Ask {
    fn query(&self) -> String {
        let group = match self.group {
            GroupBy::Day => "day",
            GroupBy::Week => "week",
            GroupBy::Operator => "operator",
        };
        format!(
            "from={}&to={}&timeZone={}&groupBy={group}&businessHoursOnly={}",
            self.from,
            self.to,
            js_sys::encode_uri_component(&time_zone()),
            self.business_hours_only
        )
    }
}

impl OperatorApi {
    pub async fn report(&self, query: &str) -> Result<Report, ApiError> {
        self.call("GET", &format!("/v1/operator/reports?{query}"), Body::Empty)
            .await
    }

    /// A CSV download, as the server wrote it.
    pub async fn csv(&self, path: &str) -> Result<String, ApiError> {
        http::fetch_text(self.request("GET", path, Body::Empty)).await
    }
}

/// The operator's own time zone: the report's days are theirs.
fn time_zone() -> String {
    let options = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
        .resolved_options();
    js_sys::Reflect::get(&options, &"timeZone".into())
        .ok()
        .and_then(|zone| zone.as_string())
        .unwrap_or_else(|| "UTC".into())
}

/// `days` before today, as the date input writes it.
fn local_date(days_ago: f64) -> String {
    let date = js_sys::Date::new(&(js_sys::Date::now() - days_ago * 86_400_000.0).into());
    format!(
        "{:04}-{:02}-{:02}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date()
    )
}

fn count(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// Seconds as a person reads them.
fn duration(seconds: f64) -> String {
    if seconds < 10.0 {
        format!("{seconds:.1}s")
    } else if seconds < 90.0 {
        format!("{seconds:.0}s")
    } else if seconds < 90.0 * 60.0 {
        format!("{:.0}m", seconds / 60.0)
    } else if seconds < 48.0 * 3600.0 {
        format!("{:.1}h", seconds / 3600.0)
    } else {
        format!("{:.1}d", seconds / 86_400.0)
    }
}

fn spread_text(spread: &echo_protocol::reports::Spread) -> String {
    match (spread.median, spread.p90) {
        (Some(median), Some(p90)) => format!("{} / {}", duration(median), duration(p90)),
        _ => "-".into(),
    }
}

fn csat_text(bucket: &ReportBucket) -> String {
    match (bucket.csat.average, bucket.csat.satisfied_share) {
        (Some(average), Some(share)) => format!(
            "{average:.1} ({:.0}% satisfied, {})",
            share * 100.0,
            bucket.csat.count
        ),
        _ => "-".into(),
    }
}

/// A row's name: an operator's, or its date.
fn label(bucket: &ReportBucket) -> String {
    match (&bucket.name, bucket.key.as_str()) {
        (Some(name), _) => name.clone(),
        (None, "unassigned") => "Unassigned".into(),
        (None, key) => key.to_owned(),
    }
}

#[component]
pub fn ReportsPage(console: Console) -> impl IntoView {
    let ask = RwSignal::new(Ask {
        from: local_date(29.0),
        to: local_date(0.0),
        group: GroupBy::Day,
        business_hours_only: false,
    });
    let report = RwSignal::new(None::<Report>);
    let error = RwSignal::new(None::<String>);
    let load = move || {
        let Some(api) = console.api() else { return };
        let query = ask.get_untracked().query();
        spawn_local(async move {
            match api.report(&query).await {
                Ok(found) => {
                    error.set(None);
                    report.set(Some(found));
                }
                Err(e) => error.set(Some(e.message().to_owned())),
            }
        });
    };
    Effect::new(move |_| {
        ask.track();
        load();
    });
    let download = move |path: &'static str, name: &'static str| {
        let Some(api) = console.api() else { return };
        let query = ask.get_untracked().query();
        spawn_local(async move {
            match api.csv(&format!("{path}?{query}")).await {
                Ok(text) => {
                    crate::contacts::download(name, &text, "text/csv");
                }
                Err(e) => console.fail(e),
            }
        });
    };
    let edit = move |change: &dyn Fn(&mut Ask)| ask.update(|a| change(a));
    view! {
        <main class="page reports">
            <h2>"Reports"</h2>
            <p class="muted">{move || if console.is_admin() {
                "Your team's service levels, in your time zone."
            } else {
                "Your own conversations' service levels, in your time zone."
            }}</p>
            <form class="report-filters" on:submit=|ev| ev.prevent_default()>
                <div class="field">
                    <label for="report-from">"From"</label>
                    <input id="report-from" type="date" prop:value=move || ask.with(|a| a.from.clone())
                        on:change=move |ev| { let v = event_target_value(&ev); edit(&|a| a.from = v.clone()) }/>
                </div>
                <div class="field">
                    <label for="report-to">"To"</label>
                    <input id="report-to" type="date" prop:value=move || ask.with(|a| a.to.clone())
                        on:change=move |ev| { let v = event_target_value(&ev); edit(&|a| a.to = v.clone()) }/>
                </div>
                <div class="field">
                    <label for="report-group">"Rows"</label>
                    <select id="report-group" on:change=move |ev| {
                        let group = match event_target_value(&ev).as_str() {
                            "week" => GroupBy::Week,
                            "operator" => GroupBy::Operator,
                            _ => GroupBy::Day,
                        };
                        edit(&|a| a.group = group)
                    }>
                        <option value="day">"Days"</option>
                        <option value="week">"Weeks"</option>
                        <option value="operator">"Operators"</option>
                    </select>
                </div>
                <label class="check">
                    <input type="checkbox" prop:checked=move || ask.with(|a| a.business_hours_only)
                        on:change=move |ev| { let on = event_target_checked(&ev); edit(&|a| a.business_hours_only = on) }/>
                    "Count only business hours"
                </label>
            </form>
            <div class="report-downloads">
                <button on:click=move |_| download("/v1/operator/reports.csv", "echo-report.csv")>"Download the report (CSV)"</button>
                <Show when=move || console.is_admin()>
                    <button on:click=move |_| download("/v1/operator/conversations/export.csv", "echo-conversations.csv")>"Export the conversations (CSV)"</button>
                </Show>
            </div>
            <p class="error" role="alert">{move || error.get()}</p>
            {move || report.get().map(report_view)}
        </main>
    }
}

fn report_view(report: Report) -> impl IntoView {
    let buckets = report.buckets;
    let keys: Vec<String> = buckets.iter().map(label).collect();
    let totals = |f: fn(&ReportBucket) -> u64| buckets.iter().map(f).sum::<u64>();
    let rated = totals(|b| b.csat.count);
    let average = (rated > 0).then(|| {
        buckets
            .iter()
            .filter_map(|b| b.csat.average.map(|a| a * b.csat.count as f64))
            .sum::<f64>()
            / rated as f64
    });
    let conversations = vec![
        Series {
            name: "Created",
            values: buckets
                .iter()
                .map(|b| Some(b.conversations_created as f64))
                .collect(),
        },
        Series {
            name: "Resolved",
            values: buckets
                .iter()
                .map(|b| Some(b.conversations_resolved as f64))
                .collect(),
        },
    ];
    let responses = vec![
        Series {
            name: "First response (median)",
            values: buckets.iter().map(|b| b.first_response.median).collect(),
        },
        Series {
            name: "First human response (median)",
            values: buckets
                .iter()
                .map(|b| b.first_human_response.median)
                .collect(),
        },
    ];
    let rows = buckets.clone();
    view! {
        <div class="tiles">
            <p class="tile"><strong>{totals(|b| b.conversations_created)}</strong>" conversations"</p>
            <p class="tile"><strong>{totals(|b| b.conversations_resolved)}</strong>" resolved"</p>
            <p class="tile"><strong>{totals(|b| b.messages)}</strong>" messages"</p>
            <p class="tile"><strong>{average.map_or("-".into(), |a| format!("{a:.1} / 5"))}</strong>{format!(" satisfaction ({rated} {})", if rated == 1 { "rating" } else { "ratings" })}</p>
        </div>
        <BarChart title="Conversations" keys=keys.clone() series=conversations format=count/>
        <BarChart title="Response times" keys=keys series=responses format=duration/>
        <table class="files report-table">
            <caption class="sr-only">"Every figure of the report"</caption>
            <thead>
                <tr>
                    <th scope="col">"Row"</th>
                    <th scope="col">"Created"</th>
                    <th scope="col">"Resolved"</th>
                    <th scope="col">"Messages"</th>
                    <th scope="col">"First response (median / p90)"</th>
                    <th scope="col">"First human response"</th>
                    <th scope="col">"Resolution"</th>
                    <th scope="col">"Satisfaction"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|b| view! {
                    <tr>
                        <th scope="row">{label(&b)}</th>
                        <td>{b.conversations_created}</td>
                        <td>{b.conversations_resolved}</td>
                        <td>{b.messages}</td>
                        <td>{spread_text(&b.first_response)}</td>
                        <td>{spread_text(&b.first_human_response)}</td>
                        <td>{spread_text(&b.resolution)}</td>
                        <td>{csat_text(&b)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
