//! Onboarding's calls: sign-up and the email check, the first admin of an
//! empty server, a new organization, and the install page's facts.

use echo_protocol::onboarding::{
    CreateOrganization, Installation, Setup, SetupStatus, SignUp, SignUpAnswer, VerifyEmail,
};
use echo_protocol::team::Account;
use echo_web::http::{self, ApiError, Body, Call};

use crate::api::{post, OperatorApi};

async fn post_empty(path: &str, body: Body) -> Result<(), ApiError> {
    http::fetch_text(Call::new("POST", path.to_owned()).body(body)).await?;
    Ok(())
}

pub async fn setup_status() -> Result<SetupStatus, ApiError> {
    http::decode(&http::fetch_text(Call::new("GET", "/v1/auth/setup".into())).await?)
}

pub async fn sign_up(request: SignUp) -> Result<SignUpAnswer, ApiError> {
    post("/v1/auth/sign-up", Body::json(&request)).await
}

pub async fn setup(request: Setup) -> Result<Account, ApiError> {
    post("/v1/auth/setup", Body::json(&request)).await
}

pub async fn verify_email(token: String) -> Result<(), ApiError> {
    post_empty("/v1/auth/verify-email", Body::json(&VerifyEmail { token })).await
}

pub async fn resend_verification() -> Result<(), ApiError> {
    post_empty("/v1/auth/verify-email/resend", Body::Empty).await
}

pub async fn create_organization(name: String) -> Result<Account, ApiError> {
    post(
        "/v1/auth/organizations",
        Body::json(&CreateOrganization { name }),
    )
    .await
}

impl OperatorApi {
    pub async fn installation(&self) -> Result<Installation, ApiError> {
        self.call("GET", "/v1/operator/installation", Body::Empty)
            .await
    }
}
