//! What the handler annotations cannot say, added to the OpenAPI document
//! so it matches the server exactly: the error answers every operation of
//! a kind can give (a body can be malformed, too large or not JSON; a
//! credential can be missing), the push channel's content type, and the
//! input rules of the validation newtypes as schema constraints.

use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ArrayItems, Object, Schema, Type};
use utoipa::openapi::{OpenApi, Ref, RefOr};

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

fn constrain(openapi: &mut OpenApi) {
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

fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build(),
    )
}

/// Who may call an operation, by the security schemes it names: the
/// errors that come with each kind of caller are stated here once, not in
/// every handler's annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    /// No credential.
    Public,
    /// A visitor's contact session (bearer).
    Visitor,
    /// An operator: the session cookie or an API key.
    Operator,
    /// A signed-in person: the session cookie (`/v1/auth/...`).
    SignedIn,
}

fn caller(operation: &Operation) -> Caller {
    let names: Vec<String> = operation
        .security
        .iter()
        .flatten()
        .filter_map(|requirement| serde_json::to_value(requirement).ok())
        .filter_map(|value| {
            value
                .as_object()
                .map(|o| o.keys().cloned().collect::<Vec<_>>())
        })
        .flatten()
        .collect();
    let has = |name: &str| names.iter().any(|n| n == name);
    if has("operatorKey") {
        Caller::Operator
    } else if has("session") {
        Caller::SignedIn
    } else if has("contactSession") {
        Caller::Visitor
    } else {
        Caller::Public
    }
}

fn complete(path: &str, reads: bool, operation: &mut Operation) {
    let caller = caller(operation);
    if caller == Caller::Public {
        // Public on purpose, and said so: no credential is read.
        operation.security = Some(Vec::new());
    }
    let responses = &mut operation.responses.responses;
    if operation.request_body.is_some() {
        responses.entry("400".into()).or_insert_with(|| {
            error_response("Malformed body or a field out of its rules (`VALIDATION`)")
        });
        responses.entry("413".into()).or_insert_with(|| {
            error_response("The body is over the size limit (`PAYLOAD_TOO_LARGE`)")
        });
        responses.entry("415".into()).or_insert_with(|| {
            error_response("The body is not of the declared type (`UNSUPPORTED_MEDIA_TYPE`)")
        });
    }
    let has_query = operation.parameters.as_ref().is_some_and(|parameters| {
        parameters
            .iter()
            .any(|p| p.parameter_in == utoipa::openapi::path::ParameterIn::Query)
    });
    if has_query {
        responses
            .entry("400".into())
            .or_insert_with(|| error_response("A query parameter out of its rules (`VALIDATION`)"));
    }
    let (unauthorized, forbidden) = match caller {
        Caller::Public => (None, None),
        Caller::Visitor => (
            Some("Missing, unknown or expired contact session (`UNAUTHORIZED`)"),
            None,
        ),
        Caller::Operator => (
            Some("No valid API key or signed-in session (`UNAUTHORIZED`)"),
            Some(
                "Not allowed for this operator (some calls are an admin's), no organization \
                 chosen, or a change from another origin (`FORBIDDEN`)",
            ),
        ),
        Caller::SignedIn => (
            Some("Not signed in (`UNAUTHORIZED`)"),
            (!reads).then_some("A change from another origin (`FORBIDDEN`)"),
        ),
    };
    if let Some(description) = unauthorized {
        responses
            .entry("401".into())
            .or_insert_with(|| error_response(description));
    }
    if let Some(description) = forbidden {
        responses
            .entry("403".into())
            .or_insert_with(|| error_response(description));
    }
    if path.ends_with("/events") {
        describe_stream(operation);
    }
    if let Some(types) = accepted_uploads(path) {
        describe_upload(operation, types);
    }
}

/// A push stream: `text/event-stream`, each event named by its `event:`
/// and carrying one JSON object as its `data:` (`ready` and `reset`: a
/// `StreamPosition`; the others a `LiveEvent`, with its position as the
/// `id:`, but for `typing`, which is not stored). And the resume header's
/// exact rule.
fn describe_stream(operation: &mut Operation) {
    if let Some(RefOr::T(ok)) = operation.responses.responses.get_mut("200") {
        let events = utoipa::openapi::schema::OneOfBuilder::new()
            .item(sse_event(&["ready", "reset"], "StreamPosition", false))
            .item(sse_event(
                &["message", "status", "assignment", "typing"],
                "LiveEvent",
                true,
            ))
            .description(Some(
                "Server-Sent Events, each an object of its `event`, `data` (JSON text) and `id`",
            ));
        let stream = ContentBuilder::new().schema(Some(events)).build();
        ok.content.clear();
        ok.content.insert("text/event-stream".into(), stream);
    }
    for parameter in operation.parameters.iter_mut().flatten() {
        if parameter.name == "Last-Event-ID" {
            let mut schema = Object::with_type(Type::String);
            schema.pattern = Some(super::events::LAST_EVENT_ID_PATTERN.into());
            parameter.schema = Some(RefOr::T(Schema::Object(schema)));
        }
    }
}

/// One kind of Server-Sent Event: its names, the schema of its `data`
/// (JSON text, as `contentSchema` says), and whether it may carry an `id`.
fn sse_event(names: &[&str], payload: &str, with_id: bool) -> Object {
    let mut name = Object::with_type(Type::String);
    name.enum_values = Some(names.iter().map(|n| (*n).into()).collect());
    let mut data = Object::with_type(Type::String);
    data.content_media_type = "application/json".into();
    let mut content = utoipa::openapi::extensions::Extensions::default();
    // `contentSchema` (JSON Schema 2020-12), set directly: the builder
    // would prefix it as an `x-` extension.
    content.insert(
        "contentSchema".into(),
        serde_json::json!({ "$ref": format!("#/components/schemas/{payload}") }),
    );
    data.extensions = Some(content);
    let mut event = utoipa::openapi::schema::ObjectBuilder::new()
        .property("event", name)
        .required("event")
        .property("data", data)
        .required("data")
        .build();
    if with_id {
        let mut id = Object::with_type(Type::String);
        id.pattern = Some("^[0-9]+$".into());
        event
            .properties
            .insert("id".into(), RefOr::T(Schema::Object(id)));
    }
    event
}

/// The types an upload takes, decided from the file's bytes (a file of
/// another type is 415 `UNSUPPORTED_MEDIA_TYPE`).
fn accepted_uploads(path: &str) -> Option<&'static str> {
    if path.ends_with("/attachments") {
        Some("image/png, image/jpeg, image/gif, image/webp, application/pdf, application/zip, text/plain, text/csv")
    } else if path == "/v1/operator/knowledge-base/files" {
        Some("text/plain, text/markdown, text/html, application/pdf")
    } else {
        None
    }
}

fn describe_upload(operation: &mut Operation, types: &str) {
    let Some(body) = operation.request_body.as_mut() else {
        return;
    };
    if let Some(form) = body.content.get_mut("multipart/form-data") {
        let encoding = utoipa::openapi::encoding::EncodingBuilder::new()
            .content_type(Some(types))
            .build();
        form.encoding.insert("file".into(), encoding);
    }
}

/// Completes the generated document (see the module comment).
/// The erase body: exactly one of `email` and `userId`, nothing else.
fn contact_key() -> Schema {
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

fn constrain_queries(openapi: &mut OpenApi) {
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

pub fn make_exact(openapi: &mut OpenApi) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        if let Some(operation) = item.get.as_mut() {
            complete(path, true, operation);
        }
        for operation in [
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            complete(path, false, operation);
        }
    }
    constrain(openapi);
    constrain_queries(openapi);
    if let Some(components) = openapi.components.as_mut() {
        components
            .schemas
            .insert("ContactKey".into(), RefOr::T(contact_key()));
    }
}
