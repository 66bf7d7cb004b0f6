//! Helpers for team-account tests: invitations, accepted accounts and
//! requests with the session cookie (and the console's `Origin`).

use echo_protocol::team::{Account, OperatorRole};
use echo_protocol::OrganizationId;
use echo_server::accounts::PublicUrl;
use echo_server::admin;
use reqwest::{Method, Response, StatusCode};
use serde::Serialize;

use crate::helpers::{json, TestApp};

pub const PASSWORD: &str = "correct horse battery";

/// A signed-in operator: their cookie (`echo_session=...`) and account.
pub struct Member {
    pub cookie: String,
    pub account: Account,
}

impl Member {
    pub fn id(&self) -> echo_protocol::OperatorId {
        self.account.operator.id
    }
}

/// The `echo_session=<token>` pair of a response's `Set-Cookie`.
pub fn cookie_of(response: &Response) -> String {
    let header = response
        .headers()
        .get("set-cookie")
        .expect("a Set-Cookie header")
        .to_str()
        .unwrap();
    header.split(';').next().unwrap().to_owned()
}

/// The invitation link's token (`#token=...`).
pub fn token_of(url: &str) -> String {
    url.split_once("#token=")
        .expect("a token fragment")
        .1
        .to_owned()
}

impl TestApp {
    pub fn public_url(&self) -> PublicUrl {
        PublicUrl::parse(&self.address).unwrap()
    }

    /// An invitation link, made as `operator invite` makes it.
    pub async fn invite(&self, org: OrganizationId, email: &str, role: OperatorRole) -> String {
        admin::invite_operator(
            self.store.as_ref(),
            &self.clock,
            &self.public_url(),
            org,
            email,
            role,
        )
        .await
        .expect("invited")
        .url
    }

    pub async fn accept(&self, url: &str, name: &str, password: &str) -> Response {
        self.client
            .post(self.url("/v1/auth/invitations/accept"))
            .header("origin", &self.address)
            .json(&serde_json::json!({"token": token_of(url), "name": name, "password": password}))
            .send()
            .await
            .unwrap()
    }

    /// A new operator of `org` with `role`, signed in.
    pub async fn member(&self, org: OrganizationId, email: &str, role: OperatorRole) -> Member {
        let url = self.invite(org, email, role).await;
        let name = email.split('@').next().unwrap();
        let response = self.accept(&url, name, PASSWORD).await;
        let cookie = cookie_of(&response);
        Member {
            cookie,
            account: json(response, StatusCode::OK).await,
        }
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Response {
        self.client
            .post(self.url("/v1/auth/sign-in"))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
    }

    /// A request with the cookie, from the console's origin.
    pub async fn as_member<T: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        cookie: &str,
        body: Option<&T>,
    ) -> Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .header("cookie", cookie)
            .header("origin", &self.address);
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }

    pub async fn member_get(&self, path: &str, cookie: &str) -> Response {
        self.as_member::<()>(Method::GET, path, cookie, None).await
    }

    pub async fn member_post<T: Serialize + ?Sized>(
        &self,
        path: &str,
        cookie: &str,
        body: &T,
    ) -> Response {
        self.as_member(Method::POST, path, cookie, Some(body)).await
    }
}
