//! What the handler annotations cannot say, added to the OpenAPI document
//! so it matches the server exactly: the error answers every operation of
//! a kind can give (a body can be malformed, too large or not JSON; a
//! credential can be missing), the push channel's content type, and (from
//! `openapi_rules`) the input rules of the validation newtypes as schema
//! constraints.

use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{Object, Schema, Type};
use utoipa::openapi::{OpenApi, Ref, RefOr};

use super::openapi_rules::{constrain, constrain_queries, contact_key};

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
