//! Markdown in assistant and operator messages: a small parser for what a
//! support chat uses (paragraphs and line breaks, `**bold**`, `*italic*`,
//! `~~struck~~`, `` `code` ``, fenced code, headings, lists, quotes, rules,
//! `[links](https://...)`, `<https://...>` and bare URLs). It builds a tree of
//! known elements and text (pure, unit-tested), which [`render`] turns into
//! DOM nodes with `createElement` / `createTextNode`: nothing a message says
//! is ever parsed as HTML. Links must be http(s) or mailto and open in a new
//! tab with `rel="noopener noreferrer"`; images are not a thing here.
//!
//! Why not pulldown-cmark: with its HTML-entity and Unicode tables it was the
//! largest part of the widget's wasm that we control (see the README's size
//! figures), and chat messages need little of CommonMark.

mod syntax;

pub use syntax::{escape_into, parse, to_html, Node};

#[cfg(feature = "browser")]
use leptos::{html::Div, prelude::*};

/// A `div` holding `text` rendered as markdown.
#[cfg(feature = "browser")]
#[component]
pub fn Markdown(text: String, #[prop(optional)] class: &'static str) -> impl IntoView {
    let container = NodeRef::<Div>::new();
    let nodes = parse(&text);
    container.on_load(move |el| render(&nodes, &document(), &el));
    // `dir="auto"`: people write in their own direction, whatever the page's.
    view! { <div class=format!("md {class}") dir="auto" node_ref=container></div> }
}

/// Builds the tree under `parent` with DOM calls only.
#[cfg(feature = "browser")]
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
