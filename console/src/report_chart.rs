//! The Reports page's charts, drawn as SVG: bars for counts and for
//! durations. Readable without colour (the second series is hatched and
//! outlined, every bar has its value as a tooltip, and the page's table
//! holds every number), and described for screen readers.

use leptos::prelude::*;

const WIDTH: f64 = 800.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 28.0;

/// One series: its name and a value per bucket (`None`: no value).
pub struct Series {
    pub name: &'static str,
    pub values: Vec<Option<f64>>,
}

/// A round top for the axis at or above `max`.
fn nice(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let power = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|step| step * power)
        .find(|top| *top >= max)
        .unwrap_or(max)
}

/// Grouped bars: one group per bucket, one bar per series (at most two).
#[component]
pub fn BarChart(
    title: &'static str,
    keys: Vec<String>,
    series: Vec<Series>,
    /// How a value reads (a count, or a duration).
    format: fn(f64) -> String,
) -> impl IntoView {
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .fold(0.0f64, |a, b| a.max(*b));
    let top = nice(max);
    let plot_w = WIDTH - LEFT - 8.0;
    let plot_h = HEIGHT - BOTTOM - 8.0;
    let groups = keys.len().max(1) as f64;
    let group_w = plot_w / groups;
    let bar_w = (group_w * 0.8 / series.len().max(1) as f64).max(1.0);
    // Every label when they fit, else about twelve.
    let label_every = (keys.len() / 12).max(1);
    let mut bars = Vec::new();
    for (s, serie) in series.iter().enumerate() {
        for (i, value) in serie.values.iter().enumerate() {
            let Some(value) = value else { continue };
            let h = value / top * plot_h;
            let x = LEFT + i as f64 * group_w + group_w * 0.1 + s as f64 * bar_w;
            let y = 8.0 + plot_h - h;
            let class = if s == 0 { "bar first" } else { "bar second" };
            let tip = format!("{}, {}: {}", keys[i], serie.name, format(*value));
            bars.push(view! {
                <rect class=class x=format!("{x:.1}") y=format!("{y:.1}")
                    width=format!("{:.1}", (bar_w - 1.0).max(1.0)) height=format!("{h:.1}")>
                    <title>{tip}</title>
                </rect>
            });
        }
    }
    let labels: Vec<_> = keys
        .iter()
        .enumerate()
        .filter(|(i, _)| i % label_every == 0)
        .map(|(i, key)| {
            let x = LEFT + i as f64 * group_w + group_w / 2.0;
            // Dates read shorter without their year.
            let short = key.get(5..).filter(|_| key.len() == 10).unwrap_or(key).to_owned();
            view! { <text class="axis" x=format!("{x:.1}") y=format!("{:.1}", HEIGHT - 8.0) text-anchor="middle">{short}</text> }
        })
        .collect();
    let description = format!(
        "{title}: {} rows; the highest value {}. The table below lists every value.",
        keys.len(),
        format(max)
    );
    let legend: Vec<_> = series
        .iter()
        .enumerate()
        .map(|(s, serie)| {
            let class = if s == 0 { "swatch first" } else { "swatch second" };
            view! { <span class="legend-item"><span class=class aria-hidden="true"></span>{serie.name}</span> }
        })
        .collect();
    view! {
        <figure class="chart">
            <figcaption>{title}<span class="legend">{legend}</span></figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=description>
                <defs>
                    <pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                        <rect width="6" height="6" class="hatch-bg"/>
                        <line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/>
                    </pattern>
                </defs>
                <line class="grid" x1=LEFT y1="8" x2=WIDTH y2="8"/>
                <line class="grid" x1=LEFT y1=format!("{:.1}", 8.0 + plot_h / 2.0) x2=WIDTH y2=format!("{:.1}", 8.0 + plot_h / 2.0)/>
                <line class="axis-line" x1=LEFT y1=format!("{:.1}", 8.0 + plot_h) x2=WIDTH y2=format!("{:.1}", 8.0 + plot_h)/>
                <text class="axis" x=LEFT - 6.0 y="14" text-anchor="end">{format(top)}</text>
                <text class="axis" x=LEFT - 6.0 y=format!("{:.1}", 12.0 + plot_h / 2.0) text-anchor="end">{format(top / 2.0)}</text>
                <text class="axis" x=LEFT - 6.0 y=format!("{:.1}", 12.0 + plot_h) text-anchor="end">"0"</text>
                {bars}
                {labels}
            </svg>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(super::nice(0.0), 1.0);
        assert_eq!(super::nice(7.0), 10.0);
        assert_eq!(super::nice(12.0), 20.0);
        assert_eq!(super::nice(450.0), 500.0);
    }
}
