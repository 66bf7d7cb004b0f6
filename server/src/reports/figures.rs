//! A report's figures from the conversations' milestones: which row each
//! happening falls in, and the spread of each duration (nearest-rank
//! percentiles: the median is the lower middle of an even count).

use std::collections::HashMap;

use echo_protocol::reports::{Csat, ReportBucket, Spread};
use echo_protocol::OperatorId;

use super::business::OpenTime;
use crate::store::reports::ReportRow;

/// The value at nearest rank `p` (0 to 1) of ascending `sorted`.
pub fn nearest_rank(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Durations in milliseconds as their spread in seconds.
pub fn spread(mut durations: Vec<i64>) -> Spread {
    durations.sort_unstable();
    let seconds = |ms: Option<i64>| ms.map(|ms| ms as f64 / 1000.0);
    Spread {
        count: durations.len() as u64,
        median: seconds(nearest_rank(&durations, 0.5)),
        p90: seconds(nearest_rank(&durations, 0.9)),
    }
}

pub fn csat(scores: &[u8]) -> Csat {
    let count = scores.len() as u64;
    if count == 0 {
        return Csat::default();
    }
    let sum: u64 = scores.iter().map(|s| u64::from(*s)).sum();
    let satisfied = scores.iter().filter(|s| **s >= 4).count() as f64;
    Csat {
        count,
        average: Some(sum as f64 / count as f64),
        satisfied_share: Some(satisfied / count as f64),
    }
}

/// The rows of a report and where a happening goes.
pub enum Rows {
    /// `(key, start, end)` of each period, in order.
    Periods(Vec<(String, i64, i64)>),
    /// Each shown assignee (`None`: unassigned) with its key and name.
    Assignees(Vec<(Option<OperatorId>, String, Option<String>)>),
}

/// Everything a report is computed from.
pub struct Inputs<'a> {
    pub rows: Rows,
    /// The report's instants.
    pub start: i64,
    pub end: i64,
    pub conversations: &'a [ReportRow],
    /// With business hours only: the desk's open time.
    pub open: Option<&'a OpenTime>,
}

#[derive(Default)]
struct Tally {
    created: u64,
    messages: u64,
    resolved: u64,
    first: Vec<i64>,
    human: Vec<i64>,
    resolution: Vec<i64>,
    scores: Vec<u8>,
}

pub fn compute(inputs: Inputs<'_>) -> Vec<ReportBucket> {
    let count = match &inputs.rows {
        Rows::Periods(p) => p.len(),
        Rows::Assignees(a) => a.len(),
    };
    let mut tallies: Vec<Tally> = (0..count).map(|_| Tally::default()).collect();
    let by_assignee: HashMap<Option<OperatorId>, usize> = match &inputs.rows {
        Rows::Assignees(a) => a.iter().enumerate().map(|(i, r)| (r.0, i)).collect(),
        Rows::Periods(_) => HashMap::new(),
    };
    let (start, end) = (inputs.start, inputs.end);
    let row_of = |conversation: &ReportRow, at: i64| -> Option<usize> {
        if at < start || at >= end {
            return None;
        }
        match &inputs.rows {
            Rows::Periods(periods) => {
                let i = periods.partition_point(|(_, s, _)| *s <= at);
                i.checked_sub(1).filter(|i| at < periods[*i].2)
            }
            Rows::Assignees(_) => by_assignee.get(&conversation.assignee).copied(),
        }
    };
    let duration = |from: i64, to: i64| match inputs.open {
        Some(open) => open.between(from, to),
        None => (to - from).max(0),
    };
    for c in inputs.conversations {
        if let Some(row) = row_of(c, c.created_at) {
            tallies[row].created += 1;
            tallies[row].messages += c.messages;
        }
        let asked = c.first_visitor_at;
        if let (Some(asked), Some(at)) = (asked, c.first_reply_at) {
            if let Some(row) = row_of(c, at) {
                tallies[row].first.push(duration(asked, at));
            }
        }
        if let (Some(asked), Some(at)) = (asked, c.first_human_reply_at) {
            if let Some(row) = row_of(c, at) {
                tallies[row].human.push(duration(asked, at));
            }
        }
        if let Some(at) = c.resolved_at {
            if let Some(row) = row_of(c, at) {
                tallies[row].resolved += 1;
                if let Some(asked) = asked {
                    tallies[row].resolution.push(duration(asked, at));
                }
            }
        }
        if let (Some(score), Some(at)) = (c.rating, c.rated_at) {
            if let Some(row) = row_of(c, at) {
                tallies[row].scores.push(score);
            }
        }
    }
    let labels: Vec<(String, Option<String>)> = match inputs.rows {
        Rows::Periods(p) => p.into_iter().map(|(key, _, _)| (key, None)).collect(),
        Rows::Assignees(a) => a.into_iter().map(|(_, key, name)| (key, name)).collect(),
    };
    labels
        .into_iter()
        .zip(tallies)
        .map(|((key, name), tally)| ReportBucket {
            key,
            name,
            conversations_created: tally.created,
            conversations_resolved: tally.resolved,
            messages: tally.messages,
            first_response: spread(tally.first),
            first_human_response: spread(tally.human),
            resolution: spread(tally.resolution),
            csat: csat(&tally.scores),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        assert_eq!(nearest_rank(&[], 0.5), None);
        assert_eq!(nearest_rank(&[7], 0.9), Some(7));
        assert_eq!(nearest_rank(&[1, 2, 3, 4], 0.5), Some(2));
        let hundred: Vec<i64> = (1..=100).collect();
        assert_eq!(nearest_rank(&hundred, 0.9), Some(90));
        assert_eq!(nearest_rank(&hundred, 0.5), Some(50));
        let s = spread(vec![3000, 1000, 2000]);
        assert_eq!((s.count, s.median, s.p90), (3, Some(2.0), Some(3.0)));
        let c = csat(&[5, 4, 1, 2]);
        assert_eq!(
            (c.count, c.average, c.satisfied_share),
            (4, Some(3.0), Some(0.5))
        );
    }
}
