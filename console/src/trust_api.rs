//! Trust's calls: two-factor sign-in (the operator's own, on `/v1/auth`),
//! the organization's security settings and its audit log.

use echo_protocol::operator::OrganizationInfo;
use echo_protocol::team::{Account, SignIn};
use echo_protocol::trust::{
    AuditPage, CompleteTwoFactor, ContactErased, ContactKey, DisableTwoFactor, RecoveryCodes,
    SignInAnswer, TwoFactorCode, TwoFactorSetup, UpdateOrganization,
};
use echo_web::http::{self, ApiError, Body, Call};

use crate::api::{post, OperatorApi};

/// Email and password: an account, or a challenge for the second factor.
pub async fn sign_in(email: String, password: String) -> Result<SignInAnswer, ApiError> {
    post("/v1/auth/sign-in", Body::json(&SignIn { email, password })).await
}

/// The challenge and a code from the app, or a recovery code.
pub async fn complete(
    challenge: String,
    code: String,
    recovery: bool,
) -> Result<Account, ApiError> {
    let body = CompleteTwoFactor {
        challenge,
        code: (!recovery).then(|| code.clone()),
        recovery_code: recovery.then_some(code),
    };
    post("/v1/auth/two-factor", Body::json(&body)).await
}

pub async fn setup() -> Result<TwoFactorSetup, ApiError> {
    post("/v1/auth/two-factor/setup", Body::Empty).await
}

pub async fn enable(code: String) -> Result<RecoveryCodes, ApiError> {
    post(
        "/v1/auth/two-factor/enable",
        Body::json(&TwoFactorCode { code }),
    )
    .await
}

pub async fn disable(password: String, code: String) -> Result<(), ApiError> {
    let body = DisableTwoFactor { password, code };
    let call = Call::new("POST", "/v1/auth/two-factor/disable".into()).body(Body::json(&body));
    http::fetch_text(call).await?;
    Ok(())
}

impl OperatorApi {
    pub async fn update_organization(
        &self,
        change: &UpdateOrganization,
    ) -> Result<OrganizationInfo, ApiError> {
        self.call("PATCH", "/v1/operator/organization", Body::json(change))
            .await
    }

    pub async fn audit_log(&self, cursor: Option<&str>) -> Result<AuditPage, ApiError> {
        let path = match cursor {
            Some(cursor) => format!("/v1/operator/audit-log?cursor={cursor}"),
            None => "/v1/operator/audit-log".to_owned(),
        };
        self.call("GET", &path, Body::Empty).await
    }
}

impl OperatorApi {
    /// The export document as the server wrote it (saved as a file).
    pub async fn export_contact(&self, key: &ContactKey) -> Result<String, ApiError> {
        let query = match (&key.email, &key.user_id) {
            (Some(email), _) => format!("email={}", js_sys::encode_uri_component(email)),
            (_, Some(user)) => format!("userId={}", js_sys::encode_uri_component(user)),
            _ => String::new(),
        };
        let path = format!("/v1/operator/contacts/export?{query}");
        http::fetch_text(self.request("GET", &path, Body::Empty)).await
    }

    pub async fn erase_contact(&self, key: &ContactKey) -> Result<ContactErased, ApiError> {
        self.call("POST", "/v1/operator/contacts/erase", Body::json(key))
            .await
    }
}
