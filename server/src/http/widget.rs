//! `GET /v1/organizations/{organizationId}/widget`.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, VARY};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use echo_protocol::widget::WidgetConfig;
use echo_protocol::OrganizationId;
use echo_web::i18n::{self, ENGLISH};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::ApiResult;
use super::extract::{organization_not_found, ApiPath, ApiQuery};
use super::{sites, ApiContext};

pub fn router() -> Router<ApiContext> {
    Router::new().route(
        "/v1/organizations/{organization_id}/widget",
        get(widget_config),
    )
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConfigQuery {
    /// The visitor's language (a BCP 47 tag) for `launcher`; one without
    /// a catalogue reads English.
    pub locale: Option<String>,
}

/// Verifies the organization and returns its public widget settings, with
/// the loader's words. A browser page on a site the organization does not
/// allow (its `Origin`) is refused, so the loader there shows nothing.
#[utoipa::path(
    get,
    path = "/v1/organizations/{organizationId}/widget",
    tag = "widget",
    params(("organizationId" = String, Path, description = "The organization's ID"), ConfigQuery),
    responses(
        (status = 200, body = WidgetConfig),
        (status = 403, description = "Asked from a site the organization does not allow (`ORIGIN_NOT_ALLOWED`)", body = echo_protocol::ErrorBody),
        (status = 404, description = "Unknown organization (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip(ctx, headers))]
pub async fn widget_config(
    State(ctx): State<ApiContext>,
    ApiPath(id): ApiPath<OrganizationId>,
    ApiQuery(query): ApiQuery<ConfigQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let mut config = public_config(&ctx, id)
        .await?
        .ok_or_else(organization_not_found)?;
    sites::refuse_origin(&ctx, &config.allowed_origins, &headers)?;
    config.launcher = launcher_words(query.locale.as_deref());
    // The loader asks on every page of the host's site (the launcher's
    // colour): a browser may reuse the answer for a minute, so a change of
    // brand shows within one. The answer depends on the asking site.
    Ok((
        [(CACHE_CONTROL, "public, max-age=60"), (VARY, "Origin")],
        Json(config),
    )
        .into_response())
}

/// The loader's four words in each language with a catalogue: the first
/// entries of the widget's catalogues, built into the server (the widget's
/// page reads the whole files from the built widget). A catalogue of the
/// wrong length is left out, as the widget leaves it out: English instead.
static LAUNCHER_WORDS: LazyLock<HashMap<&'static str, Vec<String>>> = LazyLock::new(|| {
    macro_rules! catalogues {
        ($($language:literal),*) => {
            [$(($language, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../public/locales/", $language, ".json")))),*]
        };
    }
    catalogues!("es", "fr", "de", "pt", "ja", "ar")
        .into_iter()
        .filter_map(|(language, text)| {
            let mut words: Vec<String> = serde_json::from_str(text).ok()?;
            (words.len() == ENGLISH.len()).then(|| {
                words.truncate(4);
                (language, words)
            })
        })
        .collect()
});

/// The launcher's words in the language of `locale`, else English.
fn launcher_words(locale: Option<&str>) -> Vec<String> {
    LAUNCHER_WORDS
        .get(i18n::choose(locale))
        .cloned()
        .unwrap_or_else(|| ENGLISH[..4].iter().map(|w| w.to_string()).collect())
}

/// The organization's public widget settings (`None`: no such organization),
/// answered by the call above and embedded in the widget's page.
pub async fn public_config(
    ctx: &ApiContext,
    id: OrganizationId,
) -> ApiResult<Option<WidgetConfig>> {
    let Some(org) = ctx.store.organization(id).await? else {
        return Ok(None);
    };
    let voice = super::voice::public(ctx, &org).await?;
    Ok(Some(WidgetConfig {
        voice,
        organization_id: org.id,
        name: org.name,
        greet_message: org.greet_message,
        suggestions: org.suggestions,
        accent_text_color: echo_protocol::widget::text_on(&org.accent_color).into(),
        accent_color: org.accent_color,
        theme: org.theme,
        transcripts: ctx.mailer.is_some(),
        availability: crate::hours::availability(org.business_hours.as_ref(), ctx.clock.now()),
        allowed_origins: org.allowed_origins,
        launcher: Vec::new(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_the_launchers_words() {
        for language in i18n::LANGUAGES {
            let words = launcher_words(Some(language));
            assert_eq!(words.len(), 4);
            if *language != "en" {
                assert_ne!(words[0], ENGLISH[0], "{language} reads English");
            }
        }
        assert_eq!(launcher_words(Some("ar-EG"))[0], "افتح الدردشة");
        assert_eq!(launcher_words(Some("xx"))[1], "Close chat");
        assert_eq!(launcher_words(None)[2], "Open chat, {} unread");
    }
}
