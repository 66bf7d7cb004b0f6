//! Full-text search, the parts both stores share (pure): folding text for
//! the index (lowercase, no accents, words only), reading what an operator
//! typed into terms (words, quoted phrases, the last word as a prefix) and
//! writing them in each engine's query syntax, and cutting a snippet with
//! the matched stretches marked. The engines are the databases' own
//! (SQLite FTS5, PostgreSQL tsvector); what an operator types never
//! reaches them as syntax: every term is a run of letters and digits,
//! quoted.

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

use echo_protocol::desk::Range;

/// The most characters a query may have.
pub const MAX_QUERY_CHARS: usize = 200;

/// `c` lowercased without its accents: `É` -> `e`. (Canonical
/// decomposition, combining marks dropped.)
fn fold_char(c: char, out: &mut String) {
    decompose_canonical(c, |part| {
        if !is_combining_mark(part) {
            out.extend(part.to_lowercase());
        }
    });
}

/// The words of `text` (runs of letters and digits), folded, each with
/// the range of original characters it came from.
fn words(text: &str) -> Vec<(String, usize, usize)> {
    let mut words = Vec::new();
    let mut current = String::new();
    let (mut start, mut count) = (0, 0);
    let mut folded = String::new();
    for (index, c) in text.chars().enumerate() {
        count = index + 1;
        folded.clear();
        fold_char(c, &mut folded);
        for f in folded.chars() {
            if f.is_alphanumeric() {
                if current.is_empty() {
                    start = index;
                }
                current.push(f);
            } else if !current.is_empty() {
                words.push((std::mem::take(&mut current), start, index));
            }
        }
    }
    if !current.is_empty() {
        words.push((current, start, count));
    }
    words
}

/// The token that scopes SQLite's index to one organization, written in
/// front of each of its words: `o` and the last 12 hex digits of its ID
/// (random in both UUID versions). Every word is indexed with it, so it is
/// short: the full ID cost about 15% more time per indexed message. Two
/// organizations sharing one would only share term lists: a search also
/// checks the organization of every row it returns.
pub fn scope_token(organization: echo_protocol::OrganizationId) -> String {
    let hex = organization.as_uuid().simple().to_string();
    format!("o{}", &hex[hex.len() - 12..])
}

/// `text` as SQLite's index keeps it: each folded word behind the
/// organization's token (`o4f2...refund`), so one organization's rows
/// are the only ones under its terms.
pub fn scoped_index_text(scope: &str, text: &str) -> String {
    words(text)
        .into_iter()
        .map(|(word, _, _)| format!("{scope}{word}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `text` as the index keeps it: its folded words, space-separated (what
/// PostgreSQL's `to_tsvector('simple', ...)` is given, so both engines
/// split words alike).
pub fn index_text(text: &str) -> String {
    words(text)
        .into_iter()
        .map(|(word, _, _)| word)
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    Word(String),
    /// The last word typed, matched as the start of a word.
    Prefix(String),
    /// Words in this order, next to each other.
    Phrase(Vec<String>),
}

/// What an operator typed, as terms that must all match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub terms: Vec<Term>,
}

/// Reads a query: `"quoted phrases"` and words; the last unquoted word is
/// a prefix (so results come as one types). `None` when it holds no word.
pub fn parse(q: &str) -> Option<Query> {
    let mut terms = Vec::new();
    let mut quoted = false;
    let mut last_bare = None;
    for piece in q.split('"') {
        let tokens: Vec<String> = words(piece).into_iter().map(|(w, _, _)| w).collect();
        if quoted {
            match tokens.len() {
                0 => {}
                1 => terms.push(Term::Word(tokens.into_iter().next().expect("one"))),
                _ => terms.push(Term::Phrase(tokens)),
            }
        } else {
            for token in tokens {
                last_bare = Some(terms.len());
                terms.push(Term::Word(token));
            }
        }
        quoted = !quoted;
    }
    // An unclosed quote still counts what was typed after it as a phrase
    // (handled above); the last bare word is matched as a prefix when it
    // ends the query.
    if let Some(index) = last_bare.filter(|i| *i + 1 == terms.len()) {
        let ends_bare = !q.trim_end().ends_with('"');
        if ends_bare {
            if let Term::Word(word) = terms[index].clone() {
                terms[index] = Term::Prefix(word);
            }
        }
    }
    (!terms.is_empty()).then_some(Query { terms })
}

impl Query {
    /// SQLite FTS5 syntax for one organization's rows (`scope`, see
    /// [`scope_token`] and [`scoped_index_text`]): every term quoted and
    /// behind the scope (terms are letters and digits only, so no quote
    /// can be inside one).
    pub fn fts5_in(&self, scope: &str) -> String {
        self.terms
            .iter()
            .map(|term| match term {
                Term::Word(w) => format!("\"{scope}{w}\""),
                Term::Prefix(w) => format!("\"{scope}{w}\"*"),
                Term::Phrase(words) => format!(
                    "\"{}\"",
                    words
                        .iter()
                        .map(|w| format!("{scope}{w}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// PostgreSQL `to_tsquery('simple', ...)` syntax.
    pub fn tsquery(&self) -> String {
        self.terms
            .iter()
            .map(|term| match term {
                Term::Word(w) => format!("'{w}'"),
                Term::Prefix(w) => format!("'{w}':*"),
                Term::Phrase(words) => words
                    .iter()
                    .map(|w| format!("'{w}'"))
                    .collect::<Vec<_>>()
                    .join(" <-> "),
            })
            .collect::<Vec<_>>()
            .join(" & ")
    }

    /// The stretches of `text` (original characters) that match a term.
    pub fn matches(&self, text: &str) -> Vec<(usize, usize)> {
        let words = words(text);
        let mut ranges = Vec::new();
        for term in &self.terms {
            match term {
                Term::Word(w) => ranges.extend(
                    words
                        .iter()
                        .filter(|(word, _, _)| word == w)
                        .map(|(_, s, e)| (*s, *e)),
                ),
                Term::Prefix(p) => ranges.extend(
                    words
                        .iter()
                        .filter(|(word, _, _)| word.starts_with(p.as_str()))
                        .map(|(_, s, e)| (*s, *e)),
                ),
                Term::Phrase(phrase) => {
                    for start in 0..words.len() {
                        let window = words.get(start..start + phrase.len());
                        if window.is_some_and(|w| w.iter().zip(phrase).all(|(a, b)| a.0 == *b)) {
                            ranges.push((words[start].1, words[start + phrase.len() - 1].2));
                        }
                    }
                }
            }
        }
        ranges.sort_unstable();
        ranges.dedup();
        ranges
    }
}

/// The characters a snippet shows at most.
const SNIPPET_CHARS: usize = 160;
/// Of them, before the first match.
const LEAD_CHARS: usize = 40;

/// `text` cut around its first match, with an ellipsis where it was cut,
/// and the matches inside it (character offsets into the snippet).
pub fn snippet(text: &str, query: &Query) -> (String, Vec<Range>) {
    let chars: Vec<char> = text.chars().collect();
    let matches = query.matches(text);
    let first = matches.first().map_or(0, |m| m.0);
    let (from, to) = if chars.len() <= SNIPPET_CHARS {
        (0, chars.len())
    } else {
        let from = first.saturating_sub(LEAD_CHARS);
        let to = (from + SNIPPET_CHARS).min(chars.len());
        (to.saturating_sub(SNIPPET_CHARS), to)
    };
    let mut snippet = String::new();
    let lead = usize::from(from > 0);
    if from > 0 {
        snippet.push('…');
    }
    snippet.extend(&chars[from..to]);
    if to < chars.len() {
        snippet.push('…');
    }
    let ranges = matches
        .into_iter()
        .filter(|(s, e)| *s >= from && *e <= to)
        .map(|(s, e)| Range {
            start: (s - from + lead) as u32,
            end: (e - from + lead) as u32,
        })
        .collect();
    (snippet, ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str) -> Query {
        parse(text).unwrap()
    }

    #[test]
    fn accents_and_case_fold_away() {
        assert_eq!(index_text("Café CRÈME, à l'œuvre!"), "cafe creme a l œuvre");
        assert_eq!(index_text("ada@example.com"), "ada example com");
    }

    #[test]
    fn the_last_word_is_a_prefix_and_quotes_make_phrases() {
        assert_eq!(
            q("refund \"order number\" refu").terms,
            vec![
                Term::Word("refund".into()),
                Term::Phrase(vec!["order".into(), "number".into()]),
                Term::Prefix("refu".into()),
            ]
        );
        assert_eq!(q("\"only a phrase\"").terms.len(), 1);
        assert_eq!(parse("  \" * - : \"  "), None);
        assert_eq!(parse(""), None);
    }

    #[test]
    fn engine_syntax_never_comes_from_the_query() {
        let hostile = q(r#"NEAR(a b) -x col:y "z* OR w"#);
        assert_eq!(
            hostile.fts5_in("o1"),
            r#""o1near" "o1a" "o1b" "o1x" "o1col" "o1y" "o1z o1or o1w""#
        );
        assert_eq!(q("Café").fts5_in("o1"), r#""o1cafe"*"#);
        assert_eq!(
            scoped_index_text("o1", "Un café, SVP!"),
            "o1un o1cafe o1svp"
        );
        assert_eq!(
            hostile.tsquery(),
            "'near' & 'a' & 'b' & 'x' & 'col' & 'y' & 'z' <-> 'or' <-> 'w'"
        );
        assert_eq!(q("Café").tsquery(), "'cafe':*");
    }

    #[test]
    fn snippets_mark_what_matched_in_the_original_text() {
        let (shown, ranges) = snippet("Mon Café est fermé, le café aussi", &q("cafe"));
        let marked: Vec<String> = ranges
            .iter()
            .map(|r| {
                shown
                    .chars()
                    .skip(r.start as usize)
                    .take((r.end - r.start) as usize)
                    .collect()
            })
            .collect();
        assert_eq!(marked, ["Café", "café"]);
        let long = format!(
            "{} the refund is here {}",
            "x ".repeat(200),
            "y ".repeat(200)
        );
        let (cut, ranges) = snippet(&long, &q("refu"));
        assert!(cut.starts_with('…') && cut.ends_with('…'));
        let hit: String = cut
            .chars()
            .skip(ranges[0].start as usize)
            .take((ranges[0].end - ranges[0].start) as usize)
            .collect();
        assert_eq!(hit, "refund");
        assert!(cut.chars().count() <= SNIPPET_CHARS + 2);
    }

    proptest::proptest! {
        /// Whatever is typed, the queries are well-formed for both engines:
        /// quotes only around terms, terms of letters and digits.
        #[test]
        fn any_query_is_only_terms(text in ".{0,80}") {
            if let Some(query) = parse(&text) {
                for term in &query.terms {
                    let words: Vec<&String> = match term {
                        Term::Word(w) | Term::Prefix(w) => vec![w],
                        Term::Phrase(ws) => ws.iter().collect(),
                    };
                    for w in words {
                        proptest::prop_assert!(!w.is_empty() && w.chars().all(char::is_alphanumeric));
                    }
                }
                let _ = snippet(&text, &query);
            }
        }
    }
}
