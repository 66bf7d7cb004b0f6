//! The markdown parser's rules, and property tests that no input breaks it.

use super::*;

fn text(s: &str) -> Node {
    Node::Text(s.into())
}

fn a(href: &str, children: Vec<Node>) -> Node {
    Node::Element {
        tag: "a",
        attrs: vec![
            ("href", href.into()),
            ("target", "_blank".into()),
            ("rel", "noopener noreferrer".into()),
        ],
        children,
    }
}

#[test]
fn emphasis_and_paragraphs() {
    assert_eq!(
        parse("Hello **there** and *you*, ~~not~~ `x<y`"),
        [el(
            "p",
            vec![
                text("Hello "),
                el("strong", vec![text("there")]),
                text(" and "),
                el("em", vec![text("you")]),
                text(", "),
                el("del", vec![text("not")]),
                text(" "),
                el("code", vec![text("x<y")]),
            ]
        )]
    );
    assert_eq!(
        parse("one\ntwo\n\nthree"),
        [
            el("p", vec![text("one"), el("br", vec![]), text("two")]),
            el("p", vec![text("three")])
        ]
    );
}

#[test]
fn underscores_inside_words_stay_text() {
    assert_eq!(
        parse("snake_case_name"),
        [el("p", vec![text("snake_case_name")])]
    );
    assert_eq!(parse("2 * 3 * 4"), [el("p", vec![text("2 * 3 * 4")])]);
    assert_eq!(parse("_yes_"), [el("p", vec![el("em", vec![text("yes")])])]);
}

#[test]
fn raw_html_is_text() {
    let md = "<img src=x onerror=alert(1)> and <script>alert(1)</script>";
    assert_eq!(parse(md), [el("p", vec![text(md)])]);
}

#[test]
fn links_open_in_a_new_tab_without_opener() {
    assert_eq!(
        parse("[docs](https://example.com/help)"),
        [el(
            "p",
            vec![a("https://example.com/help", vec![text("docs")])]
        )]
    );
    assert_eq!(
        parse("see https://example.com/x. or <mailto:help@example.com>"),
        [el(
            "p",
            vec![
                text("see "),
                a("https://example.com/x", vec![text("https://example.com/x")]),
                text(". or "),
                a(
                    "mailto:help@example.com",
                    vec![text("mailto:help@example.com")]
                ),
            ]
        )]
    );
}

#[test]
fn script_urls_are_not_links() {
    for md in [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](data:text/html,hi)",
        "<javascript:alert(1)>",
        "![x](javascript:alert(1))",
    ] {
        let flat = format!("{:?}", parse(md));
        assert!(!flat.contains("href"), "{md}: {flat}");
    }
}

#[test]
fn blocks() {
    assert_eq!(
        parse("# Title\n- one\n- `two`\n\n1. first\n2. second"),
        [
            Node::Element {
                tag: "p",
                attrs: vec![("class", "md-heading".into())],
                children: vec![text("Title")],
            },
            el(
                "ul",
                vec![
                    el("li", vec![text("one")]),
                    el("li", vec![el("code", vec![text("two")])])
                ]
            ),
            el(
                "ol",
                vec![
                    el("li", vec![text("first")]),
                    el("li", vec![text("second")])
                ]
            ),
        ]
    );
    assert_eq!(
        parse("```\nlet x = **1**;\n```\n> quoted\n\n---"),
        [
            el("pre", vec![el("code", vec![text("let x = **1**;")])]),
            el("blockquote", vec![el("p", vec![text("quoted")])]),
            el("hr", vec![]),
        ]
    );
}

#[test]
fn never_panics_on_odd_input() {
    for md in [
        "**", "*", "[", "[x](", "`", "> ", "```", "\\", "é*é*", "[é](é", "__a", "1. ", "#",
    ] {
        let _ = parse(md);
    }
    let deep = "> ".repeat(100) + "x";
    let _ = parse(&deep);
    let nested = "*".repeat(500);
    let _ = parse(&nested);
}

#[test]
fn html_escapes_every_text_and_value_and_writes_void_elements_alone() {
    let mut html = String::new();
    to_html(
        &parse("a **<b>** & [x](https://e.com/?a=\"1\"&b='2')  \nnext\n\n---"),
        &mut html,
    );
    assert_eq!(
        html,
        "<p>a <strong>&lt;b&gt;</strong> &amp; <a href=\"https://e.com/?a=&quot;1&quot;&amp;b=&#39;2&#39;\" \
         target=\"_blank\" rel=\"noopener noreferrer\">x</a><br>next</p><hr>"
    );
}

/// The tags [`to_html`] writes: the parser's, and nothing a text brings.
const TAGS: &[&str] = &[
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "blockquote",
    "a",
    "span",
];

proptest::proptest! {
    #[test]
    fn any_text_renders_without_panicking(text in "\\PC{0,300}") {
        let _ = parse(&text);
    }

    #[test]
    fn any_text_as_html_has_only_the_parsers_tags(text in "([<>&\"'a-z*_`#\n /=]|<script>|</p>){0,80}") {
        let mut html = String::new();
        to_html(&parse(&text), &mut html);
        for tag in html.split('<').skip(1) {
            let name: String = tag.trim_start_matches('/').chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
            proptest::prop_assert!(TAGS.contains(&name.as_str()), "<{} in {}", name, html);
        }
    }

    #[test]
    fn markdown_like_text_renders_and_links_stay_safe(
        text in "([-*_`#>\\[\\]()!\n 0-9a-z.:/]|javascript:|https://|\\*\\*|```){0,80}"
    ) {
        fn hrefs(nodes: &[Node], out: &mut Vec<String>) {
            for node in nodes {
                if let Node::Element { attrs, children, .. } = node {
                    for (name, value) in attrs {
                        if *name == "href" {
                            out.push(value.clone());
                        }
                    }
                    hrefs(children, out);
                }
            }
        }
        let mut links = Vec::new();
        hrefs(&parse(&text), &mut links);
        for link in links {
            let lower = link.to_ascii_lowercase();
            proptest::prop_assert!(lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:"), "{}", link);
        }
    }
}
