//! Markdown in assistant and operator messages. The parser's events become a
//! small tree of known elements and text (pure, unit-tested), which is then
//! built into DOM nodes with `createElement` / `createTextNode`. Raw HTML in
//! a message is shown as text; links must be http(s) or mailto and open in a
//! new tab with `rel="noopener noreferrer"`; images become links, never
//! loaded (no tracking pixels in a support chat).

use leptos::html::Div;
use leptos::prelude::*;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// A `div` holding `text` rendered as markdown.
#[component]
pub fn Markdown(text: String, #[prop(optional)] class: &'static str) -> impl IntoView {
    let container = NodeRef::<Div>::new();
    let nodes = parse(&text);
    container.on_load(move |el| render(&nodes, &document(), &el));
    view! { <div class=format!("md {class}") node_ref=container></div> }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Element {
        tag: &'static str,
        attrs: Vec<(&'static str, String)>,
        children: Vec<Node>,
    },
    Text(String),
}

fn element(tag: &'static str, attrs: Vec<(&'static str, String)>) -> Node {
    Node::Element {
        tag,
        attrs,
        children: Vec::new(),
    }
}

fn safe_url(url: &str) -> Option<String> {
    let lower = url.trim().to_ascii_lowercase();
    ["https://", "http://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
        .then(|| url.trim().to_owned())
}

fn link(url: &str) -> Node {
    match safe_url(url) {
        Some(href) => element(
            "a",
            vec![
                ("href", href),
                ("target", "_blank".into()),
                ("rel", "noopener noreferrer".into()),
            ],
        ),
        None => element("span", Vec::new()),
    }
}

fn open(tag: &Tag<'_>) -> Node {
    match tag {
        Tag::Paragraph => element("p", Vec::new()),
        Tag::Heading { .. } => element("p", vec![("class", "md-heading".into())]),
        Tag::BlockQuote(_) => element("blockquote", Vec::new()),
        Tag::CodeBlock(_) => element("pre", Vec::new()),
        Tag::List(Some(start)) if *start != 1 => element("ol", vec![("start", start.to_string())]),
        Tag::List(Some(_)) => element("ol", Vec::new()),
        Tag::List(None) => element("ul", Vec::new()),
        Tag::Item => element("li", Vec::new()),
        Tag::Emphasis => element("em", Vec::new()),
        Tag::Strong => element("strong", Vec::new()),
        Tag::Strikethrough => element("del", Vec::new()),
        Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. } => link(dest_url),
        _ => element("span", Vec::new()),
    }
}

fn push(stack: &mut [Node], node: Node) {
    if let Some(Node::Element { children, .. }) = stack.last_mut() {
        children.push(node);
    }
}

/// Parses markdown into a tree of safe elements and text.
pub fn parse(text: &str) -> Vec<Node> {
    let mut stack = vec![element("div", Vec::new())];
    for event in Parser::new_ext(text, Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Start(tag) => stack.push(open(&tag)),
            Event::End(TagEnd::CodeBlock) | Event::End(_) if stack.len() > 1 => {
                let node = stack.pop().expect("checked length");
                push(&mut stack, node);
            }
            Event::End(_) => {}
            Event::Text(t) | Event::Html(t) | Event::InlineHtml(t) => {
                push(&mut stack, Node::Text(t.into_string()))
            }
            Event::Code(t) => push(
                &mut stack,
                Node::Element {
                    tag: "code",
                    attrs: Vec::new(),
                    children: vec![Node::Text(t.into_string())],
                },
            ),
            Event::SoftBreak => push(&mut stack, Node::Text("\n".into())),
            Event::HardBreak => push(&mut stack, element("br", Vec::new())),
            Event::Rule => push(&mut stack, element("hr", Vec::new())),
            _ => {}
        }
    }
    while stack.len() > 1 {
        let node = stack.pop().expect("checked length");
        push(&mut stack, node);
    }
    match stack.pop() {
        Some(Node::Element { children, .. }) => children,
        _ => Vec::new(),
    }
}

/// Builds the tree under `parent` with DOM calls only.
pub fn render(nodes: &[Node], document: &web_sys::Document, parent: &web_sys::Node) {
    for node in nodes {
        match node {
            Node::Text(text) => {
                let _ = parent.append_child(&document.create_text_node(text));
            }
            Node::Element {
                tag,
                attrs,
                children,
            } => {
                let Ok(el) = document.create_element(tag) else {
                    continue;
                };
                for (name, value) in attrs {
                    let _ = el.set_attribute(name, value);
                }
                render(children, document, &el);
                let _ = parent.append_child(&el);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Node {
        Node::Text(s.into())
    }

    fn el(tag: &'static str, children: Vec<Node>) -> Node {
        Node::Element {
            tag,
            attrs: Vec::new(),
            children,
        }
    }

    #[test]
    fn emphasis_and_paragraphs() {
        assert_eq!(
            parse("Hello **there** and *you*"),
            [el(
                "p",
                vec![
                    text("Hello "),
                    el("strong", vec![text("there")]),
                    text(" and "),
                    el("em", vec![text("you")])
                ]
            )]
        );
    }

    #[test]
    fn raw_html_is_text() {
        let nodes = parse("<img src=x onerror=alert(1)>");
        let flat = format!("{nodes:?}");
        assert!(!flat.contains("tag: \"img\""), "{flat}");
        assert!(
            flat.contains("onerror=alert(1)"),
            "kept as visible text: {flat}"
        );
        let inline = parse("hi <script>alert(1)</script> there");
        assert!(!format!("{inline:?}").contains("tag: \"script\""));
    }

    #[test]
    fn links_open_in_a_new_tab_without_opener() {
        let nodes = parse("[docs](https://example.com/help)");
        assert_eq!(
            nodes,
            [el(
                "p",
                vec![Node::Element {
                    tag: "a",
                    attrs: vec![
                        ("href", "https://example.com/help".into()),
                        ("target", "_blank".into()),
                        ("rel", "noopener noreferrer".into())
                    ],
                    children: vec![text("docs")],
                }]
            )]
        );
    }

    #[test]
    fn script_urls_are_not_links() {
        for md in [
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](data:text/html,hi)",
            "![x](javascript:alert(1))",
        ] {
            let flat = format!("{:?}", parse(md));
            assert!(!flat.contains("href"), "{md}: {flat}");
        }
    }

    #[test]
    fn images_become_links() {
        let flat = format!("{:?}", parse("![chart](https://example.com/c.png)"));
        assert!(
            flat.contains("tag: \"a\"") && !flat.contains("\"img\""),
            "{flat}"
        );
    }

    #[test]
    fn lists_and_code() {
        assert_eq!(
            parse("- one\n- `two`"),
            [el(
                "ul",
                vec![
                    el("li", vec![text("one")]),
                    el("li", vec![el("code", vec![text("two")])])
                ]
            )]
        );
    }
}
