//! The input rules of the validation newtypes (and the few bodies and
//! queries whose rule spans fields), as OpenAPI schema constraints: what
//! `openapi_exact` adds so a schema-valid request is one the server takes.

use utoipa::openapi::schema::{ArrayItems, Object, Schema, Type};
use utoipa::openapi::{OpenApi, RefOr};

/// Characters the server refuses in one-line text (C0 and C1 controls).
const CONTROL: &str = r"\x00-\x1F\x7F-\x9F";
/// Characters that show nothing (see `echo_protocol::text::is_invisible`,
/// which the server also applies; this is its BMP part).
const INVISIBLE: &str = r"\s\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0";
/// Bidirectional overrides and isolates, refused in names.
const BIDI: &str = r"\u202A-\u202E\u2066-\u2069";

/// One line with something visible in it.
fn line_pattern() -> String {
    format!("^[^{CONTROL}]*[^{CONTROL}{INVISIBLE}][^{CONTROL}]*$")
}

/// A name: one line, something visible, no bidirectional controls.
fn name_pattern() -> String {
    format!("^[^{CONTROL}{BIDI}]*[^{CONTROL}{BIDI}{INVISIBLE}][^{CONTROL}{BIDI}]*$")
}

/// Several lines (newlines and tabs allowed) with something visible.
fn multiline_pattern() -> String {
    let control = r"\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F";
    format!("^[^{control}]*[^{control}{INVISIBLE}][^{control}]*$")
}

/// `echo_protocol::validate::Email`: an ASCII local part of allowed
/// characters and a dotted domain.
const EMAIL: &str = r"^(?=[^@]{1,64}@)[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z0-9]$";

enum Rule {
    Text {
        min: usize,
        max: usize,
        pattern: String,
    },
    Pattern(String),
    Integer {
        min: i64,
        max: i64,
    },
    /// An array of `min` to `max` items, each held to `item`.
    Items {
        min: usize,
        max: usize,
        item: Box<Rule>,
    },
    /// An array of at most `max` distinct items.
    Distinct {
        max: usize,
    },
}

/// A business hours' time of day.
const HH_MM: &str = "^([01][0-9]|2[0-3]):[0-5][0-9]$";
/// A saved reply's shortcut.
const SHORTCUT: &str = "^[a-z0-9-]{1,32}$";
/// A colour, as `parse_accent_color` and `parse_label_color` read it.
const COLOR: &str = r"^\s*#[0-9a-fA-F]{6}\s*$";

/// A list of `min` to `max` IDs.
fn ids(min: usize, max: usize) -> Rule {
    Rule::Items {
        min,
        max,
        item: Box::new(Rule::Pattern(ANY_UUID.into())),
    }
}

fn text(max: usize, pattern: String) -> Rule {
    Rule::Text {
        min: 1,
        max,
        pattern,
    }
}

/// Every validated input field: schema, property, rule.
fn rules() -> Vec<(&'static str, &'static str, Rule)> {
    let meta_text = |max| Rule::Text {
        min: 0,
        max,
        // Metadata is reported, not typed: any characters, length only.
        pattern: r"^[\s\S]*$".into(),
    };
    vec![
        ("CreateContactSession", "name", text(100, name_pattern())),
        ("CreateContactSession", "email", text(254, EMAIL.into())),
        ("CreateContactSession", "userId", text(255, line_pattern())),
        (
            "CreateContactSession",
            "userHash",
            Rule::Pattern("^[0-9a-fA-F]{64}$".into()),
        ),
        ("SendMessage", "text", text(4000, multiline_pattern())),
        ("SendMessage", "idempotencyKey", text(100, line_pattern())),
        ("SendMessage", "attachmentIds", Rule::Distinct { max: 5 }),
        (
            "WidgetSettings",
            "greetMessage",
            text(500, multiline_pattern()),
        ),
        (
            "WidgetSettings",
            "suggestions",
            Rule::Items {
                min: 0,
                max: 3,
                item: Box::new(text(100, line_pattern())),
            },
        ),
        (
            "WidgetSettings",
            "allowedOrigins",
            Rule::Items {
                min: 0,
                max: 20,
                item: Box::new(Rule::Pattern(echo_protocol::origin::ORIGIN_PATTERN.into())),
            },
        ),
        (
            "WidgetSettings",
            "accentColor",
            Rule::Pattern(r"^\s*#[0-9a-fA-F]{6}\s*$".into()),
        ),
        ("Enhance", "text", text(4000, multiline_pattern())),
        ("OpeningHours", "open", Rule::Pattern(HH_MM.into())),
        ("OpeningHours", "close", Rule::Pattern(HH_MM.into())),
        (
            "Holiday",
            "date",
            Rule::Pattern(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$".into()),
        ),
        (
            "BusinessHours",
            "awayMessage",
            text(300, multiline_pattern()),
        ),
        ("CreateApiKey", "name", text(100, name_pattern())),
        ("CreateInvitation", "email", text(254, EMAIL.into())),
        (
            "UpdateConversation",
            "assigneeId",
            Rule::Pattern(ANY_UUID.into()),
        ),
        (
            "BrowserMetadata",
            "timezoneOffset",
            Rule::Integer {
                min: -1440,
                max: 1440,
            },
        ),
        (
            "BrowserMetadata",
            "screenWidth",
            Rule::Integer {
                min: 0,
                max: 100_000,
            },
        ),
        (
            "BrowserMetadata",
            "screenHeight",
            Rule::Integer {
                min: 0,
                max: 100_000,
            },
        ),
        (
            "BrowserMetadata",
            "viewportWidth",
            Rule::Integer {
                min: 0,
                max: 100_000,
            },
        ),
        (
            "BrowserMetadata",
            "viewportHeight",
            Rule::Integer {
                min: 0,
                max: 100_000,
            },
        ),
        (
            "BrowserMetadata",
            "languages",
            Rule::Items {
                min: 0,
                max: 20,
                item: Box::new(meta_text(64)),
            },
        ),
        ("BrowserMetadata", "userAgent", meta_text(512)),
        // The desk.
        (
            "CreateCannedReply",
            "shortcut",
            Rule::Pattern(SHORTCUT.into()),
        ),
        ("CreateCannedReply", "title", text(100, name_pattern())),
        ("CreateCannedReply", "text", text(4000, multiline_pattern())),
        (
            "UpdateCannedReply",
            "shortcut",
            Rule::Pattern(SHORTCUT.into()),
        ),
        ("UpdateCannedReply", "title", text(100, name_pattern())),
        ("UpdateCannedReply", "text", text(4000, multiline_pattern())),
        ("AddNote", "text", text(4000, multiline_pattern())),
        ("AddNote", "mentions", ids(0, 20)),
        ("CreateLabel", "name", text(50, name_pattern())),
        ("CreateLabel", "color", Rule::Pattern(COLOR.into())),
        ("UpdateLabel", "name", text(50, name_pattern())),
        ("UpdateLabel", "color", Rule::Pattern(COLOR.into())),
        ("SetLabels", "labelIds", ids(0, 20)),
        ("BulkChange", "conversationIds", ids(1, 100)),
        ("BulkChange", "assigneeId", Rule::Pattern(ANY_UUID.into())),
        ("BulkChange", "addLabelIds", ids(0, 20)),
        ("BulkChange", "removeLabelIds", ids(0, 20)),
        (
            "ReadMentions",
            "conversationId",
            Rule::Pattern(ANY_UUID.into()),
        ),
        // Trust.
        (
            "UpdateOrganization",
            "retentionDays",
            Rule::Integer { min: 30, max: 3650 },
        ),
        ("BrowserMetadata", "platform", meta_text(512)),
        ("BrowserMetadata", "timezone", meta_text(512)),
        ("BrowserMetadata", "referrer", meta_text(512)),
        ("BrowserMetadata", "currentUrl", meta_text(512)),
    ]
}

fn apply(schema: &mut Object, rule: &Rule) {
    match rule {
        Rule::Text { min, max, pattern } => {
            schema.min_length = Some(*min);
            schema.max_length = Some(*max);
            schema.pattern = Some(pattern.clone());
        }
        Rule::Integer { min, max } => {
            schema.minimum = Some((*min).into());
            schema.maximum = Some((*max).into());
        }
        Rule::Pattern(pattern) => schema.pattern = Some(pattern.clone()),
        Rule::Items { .. } | Rule::Distinct { .. } => {}
    }
}

/// A UUID in any form the server reads (hyphenated, simple, braced, URN).
pub const ANY_UUID: &str = r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32}|\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}|urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$";

pub(super) fn constrain(openapi: &mut OpenApi) {
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    for (name, property, rule) in rules() {
        let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name) else {
            continue;
        };
        match (object.properties.get_mut(property), &rule) {
            (Some(RefOr::T(Schema::Object(field))), _) => apply(field, &rule),
            (Some(RefOr::T(Schema::Array(list))), Rule::Distinct { max }) => {
                list.max_items = Some(*max);
                list.unique_items = true;
            }
            (Some(RefOr::T(Schema::Array(list))), Rule::Items { min, max, item }) => {
                list.max_items = Some(*max);
                if *min > 0 {
                    list.min_items = Some(*min);
                }
                if let ArrayItems::RefOrSchema(schema) = &mut list.items {
                    if let RefOr::T(Schema::Object(schema)) = schema.as_mut() {
                        apply(schema, item);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The erase body: exactly one of `email` and `userId`, nothing else.
pub(super) fn contact_key() -> Schema {
    let email = {
        let mut field = Object::with_type(Type::String);
        apply(&mut field, &text(254, line_pattern()));
        field
    };
    let user = {
        let mut field = Object::with_type(Type::String);
        apply(&mut field, &text(255, line_pattern()));
        field
    };
    let closed = |name: &str, field: Object| {
        let mut object = utoipa::openapi::schema::ObjectBuilder::new()
            .property(name, field)
            .required(name)
            .build();
        object.additional_properties = Some(Box::new(
            utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
        ));
        object
    };
    Schema::OneOf(
        utoipa::openapi::schema::OneOfBuilder::new()
            .item(closed("email", email))
            .item(closed("userId", user))
            .build(),
    )
}

/// Query parameters' rules: path, parameter, rule.
fn query_rules() -> Vec<(&'static str, &'static str, Rule)> {
    vec![
        (
            "/v1/operator/contacts/export",
            "email",
            text(254, line_pattern()),
        ),
        (
            "/v1/operator/contacts/export",
            "userId",
            text(255, line_pattern()),
        ),
    ]
}

pub(super) fn constrain_queries(openapi: &mut OpenApi) {
    for (path, name, rule) in query_rules() {
        let Some(item) = openapi.paths.paths.get_mut(path) else {
            continue;
        };
        for operation in [item.get.as_mut()].into_iter().flatten() {
            for parameter in operation.parameters.iter_mut().flatten() {
                if parameter.name != name {
                    continue;
                }
                if let Some(RefOr::T(Schema::Object(schema))) = parameter.schema.as_mut() {
                    apply(schema, &rule);
                }
            }
        }
    }
}
