//! The markdown parser: text to a tree of known elements and text. Pure,
//! so the server renders a greeting with the same rules the widget does.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Element {
        tag: &'static str,
        attrs: Vec<(&'static str, String)>,
        children: Vec<Node>,
    },
    Text(String),
}

fn el(tag: &'static str, children: Vec<Node>) -> Node {
    Node::Element {
        tag,
        attrs: Vec::new(),
        children,
    }
}

fn safe_url(url: &str) -> Option<String> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    let ok = ["https://", "http://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme) && lower.len() > scheme.len());
    ok.then(|| url.to_owned())
}

/// A link if the URL is safe, else just its text.
fn link(url: &str, children: Vec<Node>) -> Node {
    match safe_url(url) {
        Some(href) => Node::Element {
            tag: "a",
            attrs: vec![
                ("href", href),
                ("target", "_blank".into()),
                ("rel", "noopener noreferrer".into()),
            ],
            children,
        },
        None => el("span", children),
    }
}

/// Parses markdown into a tree of safe elements and text.
pub fn parse(text: &str) -> Vec<Node> {
    let lines: Vec<&str> = text.lines().collect();
    blocks(&lines, 0)
}

/// Nesting deeper than this (quotes in quotes...) is shown as text.
const MAX_DEPTH: usize = 8;

fn heading(line: &str) -> Option<&str> {
    let hashes = line.bytes().take_while(|b| *b == b'#').count();
    (1..=6)
        .contains(&hashes)
        .then(|| line[hashes..].strip_prefix(' '))
        .flatten()
}

fn is_rule(line: &str) -> bool {
    let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    compact.len() >= 3
        && ["-", "*", "_"]
            .iter()
            .any(|m| compact.chars().all(|c| c.to_string() == *m))
}

/// `- item`, `* item`, `+ item` or `12. item`: (ordered, content).
fn list_item(line: &str) -> Option<(bool, &str)> {
    for marker in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(marker) {
            return Some((false, rest));
        }
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        let rest = &line[digits..];
        return rest
            .strip_prefix(". ")
            .or_else(|| rest.strip_prefix(") "))
            .map(|r| (true, r));
    }
    None
}

fn starts_block(line: &str) -> bool {
    line.starts_with("```")
        || line.starts_with('>')
        || heading(line).is_some()
        || list_item(line).is_some()
        || is_rule(line)
}

fn blocks(lines: &[&str], depth: usize) -> Vec<Node> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_start();
        if line.is_empty() {
            i += 1;
        } else if line.starts_with("```") {
            let mut end = i + 1;
            while end < lines.len() && !lines[end].trim_start().starts_with("```") {
                end += 1;
            }
            let code = lines[i + 1..end.min(lines.len())].join("\n");
            out.push(el("pre", vec![el("code", vec![Node::Text(code)])]));
            i = end + 1;
        } else if let Some(title) = heading(line) {
            out.push(Node::Element {
                tag: "p",
                attrs: vec![("class", "md-heading".into())],
                children: inline(title, depth),
            });
            i += 1;
        } else if is_rule(line) {
            out.push(el("hr", Vec::new()));
            i += 1;
        } else if line.starts_with('>') && depth < MAX_DEPTH {
            let mut quoted = Vec::new();
            while i < lines.len() {
                let Some(rest) = lines[i].trim_start().strip_prefix('>') else {
                    break;
                };
                quoted.push(rest.strip_prefix(' ').unwrap_or(rest));
                i += 1;
            }
            out.push(el("blockquote", blocks(&quoted, depth + 1)));
        } else if let Some((ordered, _)) = list_item(line) {
            let mut items = Vec::new();
            while i < lines.len() {
                match list_item(lines[i].trim_start()) {
                    Some((o, content)) if o == ordered => {
                        items.push(el("li", inline(content, depth)));
                        i += 1;
                    }
                    _ => break,
                }
            }
            out.push(el(if ordered { "ol" } else { "ul" }, items));
        } else {
            let start = i;
            i += 1;
            while i < lines.len() {
                let next = lines[i].trim_start();
                if next.is_empty() || starts_block(next) {
                    break;
                }
                i += 1;
            }
            let paragraph: Vec<&str> = lines[start..i].iter().map(|l| l.trim()).collect();
            out.push(el("p", inline(&paragraph.join("\n"), depth)));
        }
    }
    out
}

/// Pushes text, merging with a preceding text node.
fn push_text(out: &mut Vec<Node>, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(Node::Text(last)) = out.last_mut() {
        last.push_str(text);
    } else {
        out.push(Node::Text(text.to_owned()));
    }
}

/// Where a closing delimiter is, searching after `from`; the content between
/// must not be empty or start with a space.
fn closing(text: &str, from: usize, delimiter: &str) -> Option<usize> {
    let inner = &text[from..];
    if inner.is_empty() || inner.starts_with(' ') {
        return None;
    }
    inner
        .find(delimiter)
        .filter(|end| *end > 0)
        .map(|end| from + end)
}

fn inline(text: &str, depth: usize) -> Vec<Node> {
    let mut out = Vec::new();
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < text.len() {
        let rest = &text[i..];
        let prev_is_word = i > 0 && (bytes[i - 1].is_ascii_alphanumeric());
        if depth < MAX_DEPTH {
            if let Some(after) = rest.strip_prefix('\\') {
                if let Some(c) = after.chars().next().filter(|c| c.is_ascii_punctuation()) {
                    push_text(&mut out, &c.to_string());
                    i += 1 + c.len_utf8();
                    continue;
                }
            }
            if rest.starts_with('`') {
                if let Some(end) = closing(text, i + 1, "`") {
                    out.push(el("code", vec![Node::Text(text[i + 1..end].to_owned())]));
                    i = end + 1;
                    continue;
                }
            }
            let spans: [(&str, &'static str); 4] = [
                ("**", "strong"),
                ("__", "strong"),
                ("~~", "del"),
                ("*", "em"),
            ];
            let mut matched = false;
            for (delimiter, tag) in spans.into_iter().chain([("_", "em")]) {
                if !rest.starts_with(delimiter) || (delimiter.starts_with('_') && prev_is_word) {
                    continue;
                }
                let open = i + delimiter.len();
                if let Some(end) = closing(text, open, delimiter) {
                    let after = end + delimiter.len();
                    let closes_word = delimiter.starts_with('_')
                        && bytes.get(after).is_some_and(u8::is_ascii_alphanumeric);
                    if !closes_word && !text[open..end].ends_with(' ') {
                        out.push(el(tag, inline(&text[open..end], depth + 1)));
                        i = after;
                        matched = true;
                        break;
                    }
                }
            }
            if matched {
                continue;
            }
            if rest.starts_with('[') {
                if let Some(mid) = rest.find("](") {
                    if let Some(close) = rest[mid + 2..].find(')') {
                        let label = &rest[1..mid];
                        let url = &rest[mid + 2..mid + 2 + close];
                        out.push(link(url, inline(label, depth + 1)));
                        i += mid + 2 + close + 1;
                        continue;
                    }
                }
            }
            if rest.starts_with('<') {
                if let Some(close) = rest.find('>') {
                    let url = &rest[1..close];
                    if !url.contains(' ') && safe_url(url).is_some() {
                        out.push(link(url, vec![Node::Text(url.to_owned())]));
                        i += close + 1;
                        continue;
                    }
                }
            }
        }
        if !prev_is_word && (rest.starts_with("https://") || rest.starts_with("http://")) {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let url = rest[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '\'', '"']);
            if safe_url(url).is_some() {
                out.push(link(url, vec![Node::Text(url.to_owned())]));
                i += url.len();
                continue;
            }
        }
        if rest.starts_with('\n') {
            out.push(el("br", Vec::new()));
            i += 1;
            continue;
        }
        let c = rest.chars().next().expect("i is inside text");
        push_text(&mut out, &rest[..c.len_utf8()]);
        i += c.len_utf8();
    }
    out
}

/// The tree as HTML text, every text and attribute value escaped: for the
/// server, which sends a greeting already rendered in the widget's page.
pub fn to_html(nodes: &[Node], out: &mut String) {
    for node in nodes {
        match node {
            Node::Text(text) => escape_into(text, out),
            Node::Element {
                tag,
                attrs,
                children,
            } => {
                out.push('<');
                out.push_str(tag);
                for (name, value) in attrs {
                    out.push(' ');
                    out.push_str(name);
                    out.push_str("=\"");
                    escape_into(value, out);
                    out.push('"');
                }
                out.push('>');
                // `br` and `hr` are void: no children, no end tag.
                if !matches!(*tag, "br" | "hr") {
                    to_html(children, out);
                    out.push_str("</");
                    out.push_str(tag);
                    out.push('>');
                }
            }
        }
    }
}

/// `text` made safe as HTML text or a quoted attribute value.
pub fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests;
