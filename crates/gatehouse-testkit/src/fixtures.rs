//! Typed helpers for what tests arrange again and again: accounts, groups, instances,
//! memberships, grants and SCIM directories. Each goes through the real API, asserts that the
//! server accepted it, and hands back a typed id instead of a JSON value to dig in.

use crate::app::{Resp, TestApp, TestOrg};
use gatehouse_core::ids::{AccountId, DirectoryId, GroupId, InstanceId};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Who a product grant is for.
#[derive(Debug, Clone, Copy)]
pub enum Grantee {
    Account(AccountId),
    Group(GroupId),
}

/// A SCIM directory made for a test: its id, its SCIM base URL and its bearer token.
#[derive(Debug, Clone)]
pub struct TestDirectory {
    pub id: DirectoryId,
    pub base: String,
    pub token: String,
}

/// A SCIM client for one directory (see `TestApp::scim`).
pub struct ScimClient<'a> {
    app: &'a TestApp,
    dir: &'a TestDirectory,
}

/// The id in a created resource's JSON, parsed into its type.
fn id_of<T: std::str::FromStr>(r: &Resp, what: &str) -> T {
    assert_eq!(r.status, StatusCode::CREATED, "creating {what}: {}", r.text);
    r.json["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{what} without an id: {}", r.text))
}

impl TestApp {
    /// Creates an account in the org: managed when the org verified the email's domain (see
    /// `verify_domain`), otherwise an account it sees without managing it.
    pub async fn create_account(&self, org: &TestOrg, email: &str, display_name: &str) -> AccountId {
        let r = self
            .post(org, "/accounts", json!({"email": email, "display_name": display_name}))
            .await;
        id_of(&r, "an account")
    }

    /// Creates a group in the org.
    pub async fn create_group(&self, org: &TestOrg, name: &str) -> GroupId {
        let r = self.post(org, "/groups", json!({"name": name})).await;
        id_of(&r, "a group")
    }

    /// Creates a product instance ("site") of `product` at `url`, on the `edition` plan.
    pub async fn create_instance(
        &self,
        org: &TestOrg,
        product: &str,
        name: &str,
        url: &str,
        edition: &str,
    ) -> InstanceId {
        let r = self
            .post(
                org,
                "/instances",
                json!({"product": product, "name": name, "url": url, "edition": edition}),
            )
            .await;
        id_of(&r, "an instance")
    }

    /// Adds an account to a group.
    pub async fn add_member(&self, org: &TestOrg, group: GroupId, account: AccountId) {
        let r = self
            .post(
                org,
                &format!("/groups/{group}/members"),
                json!({"account_id": account.to_string()}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "adding a member: {}", r.text);
    }

    /// Grants `role` on an instance to an account or a group; returns the grant's JSON.
    pub async fn grant_access(&self, org: &TestOrg, instance: InstanceId, to: Grantee, role: &str) -> Value {
        let (field, id) = match to {
            Grantee::Account(a) => ("account_id", a.to_string()),
            Grantee::Group(g) => ("group_id", g.to_string()),
        };
        let r = self
            .post(
                org,
                "/access",
                json!({"instance_id": instance.to_string(), field: id, "role": role}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "granting access: {}", r.text);
        r.json
    }

    /// Verifies `name` for the org through the test DNS (its TXT record holds the domain's
    /// token), with `claim_mode` "automatic" (accounts on it are claimed now) or "manual".
    /// The org then manages the accounts it creates on the domain. Returns the domain's JSON.
    pub async fn verify_domain(&self, org: &TestOrg, name: &str, claim_mode: &str) -> Value {
        let d = self
            .post(org, "/domains", json!({"name": name, "claim_mode": claim_mode}))
            .await;
        assert_eq!(d.status, StatusCode::CREATED, "adding a domain: {}", d.text);
        let record = d.json["txt_record"].as_str().expect("txt record");
        self.dns.set_txt(name, &[&[record]]);
        let id = d.json["id"].as_str().expect("domain id");
        let v = self.post(org, &format!("/domains/{id}/verify"), json!({})).await;
        assert_eq!(v.json["domain"]["status"], "verified", "verifying a domain: {}", v.text);
        v.json["domain"].clone()
    }

    /// Connects a SCIM directory to the org and keeps its first token.
    pub async fn directory(&self, org: &TestOrg, name: &str) -> TestDirectory {
        let r = self.post(org, "/directories", json!({"name": name})).await;
        assert_eq!(r.status, StatusCode::CREATED, "creating a directory: {}", r.text);
        let text = |v: &Value| v.as_str().expect("string").to_owned();
        TestDirectory {
            id: text(&r.json["directory"]["id"]).parse().expect("directory id"),
            base: text(&r.json["directory"]["scim_base_url"]),
            token: text(&r.json["token"]["secret"]),
        }
    }

    /// Speaks SCIM to one directory with its token.
    pub fn scim<'a>(&'a self, dir: &'a TestDirectory) -> ScimClient<'a> {
        ScimClient { app: self, dir }
    }
}

impl ScimClient<'_> {
    /// Sends a SCIM request to `{base}{path}`; the body goes as `application/scim+json`.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        let req = self
            .app
            .client
            .request(method, format!("{}{path}", self.dir.base))
            .bearer_auth(&self.dir.token);
        let req = match body {
            Some(b) => req.header("content-type", "application/scim+json").body(b.to_string()),
            None => req,
        };
        self.app.send(req, None).await
    }

    /// Creates a user the way an IdP does (work email = user name, active); returns its SCIM id.
    pub async fn create_user(&self, user_name: &str, given: &str, family: &str) -> String {
        let r = self
            .call(
                Method::POST,
                "/Users",
                Some(json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": user_name,
                    "name": {"givenName": given, "familyName": family},
                    "emails": [{"primary": true, "value": user_name, "type": "work"}],
                    "active": true
                })),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "creating a SCIM user: {}", r.text);
        r.json["id"].as_str().expect("SCIM id").to_owned()
    }
}
