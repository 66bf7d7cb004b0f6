//! The desk's rules: a conversation's labels, and how often someone's
//! typing is told.

use std::time::{Duration, Instant};

use echo_protocol::desk::LabelId;

use super::Refusal;
use crate::store::effects::LabelChange;

/// The most labels one conversation carries.
pub const MAX_LABELS: usize = 20;

/// The labels after `change`: each once, in the order they came; refused
/// beyond [`MAX_LABELS`].
pub fn labels(current: &[LabelId], change: &LabelChange) -> Result<Vec<LabelId>, Refusal> {
    let mut next: Vec<LabelId> = Vec::new();
    let mut push = |id: LabelId| {
        if !next.contains(&id) {
            next.push(id);
        }
    };
    match change {
        LabelChange::Set(wanted) => wanted.iter().copied().for_each(&mut push),
        LabelChange::Edit { add, remove } => current
            .iter()
            .chain(add)
            .filter(|id| !remove.contains(id))
            .copied()
            .for_each(&mut push),
    }
    if next.len() > MAX_LABELS {
        return Err(Refusal::TooManyLabels);
    }
    Ok(next)
}

/// At most one "is typing" per side of a conversation this often; a
/// client that stops hearing it clears the indicator after
/// [`TYPING_CLEARS_AFTER`].
pub const TYPING_EVERY: Duration = Duration::from_secs(2);
pub const TYPING_CLEARS_AFTER: Duration = Duration::from_secs(6);

/// Whether a typing signal goes out: a stop always does (the indicator
/// must not linger); a start only if the side's last one went
/// [`TYPING_EVERY`] ago.
pub fn typing_goes_out(active: bool, last_start: Option<Instant>, now: Instant) -> bool {
    !active || last_start.is_none_or(|at| now.duration_since(at) >= TYPING_EVERY)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(n: u128) -> LabelId {
        LabelId::from_uuid(uuid::Uuid::from_u128(n))
    }

    #[test]
    fn set_replaces_and_edit_adds_then_removes_each_once() {
        let current = [label(1), label(2)];
        assert_eq!(
            labels(&current, &LabelChange::Set(vec![label(3), label(3)])),
            Ok(vec![label(3)])
        );
        assert_eq!(
            labels(
                &current,
                &LabelChange::Edit {
                    add: vec![label(2), label(4)],
                    remove: vec![label(1), label(4)],
                }
            ),
            Ok(vec![label(2)])
        );
        let many: Vec<LabelId> = (0..=MAX_LABELS as u128).map(label).collect();
        assert_eq!(
            labels(&[], &LabelChange::Set(many)),
            Err(Refusal::TooManyLabels)
        );
    }

    #[test]
    fn typing_starts_are_throttled_and_stops_never() {
        let t0 = Instant::now();
        assert!(typing_goes_out(true, None, t0));
        assert!(!typing_goes_out(
            true,
            Some(t0),
            t0 + Duration::from_millis(1999)
        ));
        assert!(typing_goes_out(true, Some(t0), t0 + TYPING_EVERY));
        assert!(typing_goes_out(false, Some(t0), t0));
    }
}
