//! Pagination shared by both backends: opaque cursors and the "one extra
//! row" rule that tells whether another page follows.

/// A page of rows and the cursor of the next one, if any.
#[derive(Debug, Clone)]
pub struct Page<T, C = Cursor> {
    pub items: Vec<T>,
    pub next_cursor: Option<C>,
}

/// A position in a list: the row's insertion sequence. Opaque to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(pub i64);

impl Cursor {
    pub fn parse(text: &str) -> Option<Self> {
        text.parse::<i64>().ok().filter(|n| *n > 0).map(Cursor)
    }

    pub fn encode(self) -> String {
        self.0.to_string()
    }

    /// The bound for "rows before this cursor": everything when absent.
    pub(crate) fn bound(cursor: Option<Self>) -> i64 {
        cursor.map_or(i64::MAX, |c| c.0)
    }
}

/// A position in the operator inbox, ordered by last activity: the row's
/// `(last_activity_at, seq)`, encoded `at_seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivityCursor {
    pub at: i64,
    pub seq: i64,
}

impl ActivityCursor {
    /// Past every row: the first page starts here.
    pub const START: Self = Self {
        at: i64::MAX,
        seq: i64::MAX,
    };

    pub fn parse(text: &str) -> Option<Self> {
        let (at, seq) = text.split_once('_')?;
        Some(Self {
            at: at.parse().ok()?,
            seq: seq.parse().ok().filter(|s: &i64| *s > 0)?,
        })
    }

    pub fn encode(self) -> String {
        format!("{}_{}", self.at, self.seq)
    }
}

/// How many rows to ask for: one more than the page, to see whether
/// another page follows.
pub(crate) fn fetch_limit(limit: u32) -> i64 {
    i64::from(limit) + 1
}

/// Rows fetched newest first with one extra row: if the extra row is there,
/// the page is full and the next one starts below its last item.
pub(crate) fn paginate<C: Copy, T>(mut rows: Vec<(C, T)>, limit: u32) -> Page<T, C> {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|(cursor, _)| *cursor)
    } else {
        None
    };
    Page {
        items: rows.into_iter().map(|(_, item)| item).collect(),
        next_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_page_points_below_its_last_row() {
        let page = paginate(
            vec![(Cursor(5), 'e'), (Cursor(4), 'd'), (Cursor(3), 'c')],
            2,
        );
        assert_eq!(page.items, vec!['e', 'd']);
        assert_eq!(page.next_cursor, Some(Cursor(4)));
        let last = paginate(vec![(Cursor(2), 'b')], 2);
        assert_eq!(last.next_cursor, None);
    }

    #[test]
    fn cursors_parse_only_their_own_form() {
        assert_eq!(Cursor::parse("12"), Some(Cursor(12)));
        assert_eq!(Cursor::parse("0"), None);
        assert_eq!(Cursor::parse("x"), None);
        let at = ActivityCursor { at: 7, seq: 3 };
        assert_eq!(ActivityCursor::parse(&at.encode()), Some(at));
        assert_eq!(ActivityCursor::parse("7_0"), None);
    }

    proptest::proptest! {
        #[test]
        fn cursors_never_panic_and_round_trip(text in "\\PC{0,40}", at in proptest::prelude::any::<i64>(), seq in 1i64..i64::MAX) {
            let _ = Cursor::parse(&text);
            let _ = ActivityCursor::parse(&text);
            let cursor = ActivityCursor { at, seq };
            proptest::prop_assert_eq!(ActivityCursor::parse(&cursor.encode()), Some(cursor));
            proptest::prop_assert_eq!(Cursor::parse(&Cursor(seq).encode()), Some(Cursor(seq)));
        }
    }
}
