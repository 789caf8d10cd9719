//! `cut_off` against a hand-written fake: it needs only sign-in, key and audit changes, so
//! the fake implements only those.

use super::cut_off;
use crate::Timestamp;
use crate::audit::{Actor, AuditEvent, RequestMeta};
use crate::error::Result;
use crate::ids::SessionId as Sid;
use crate::ids::{AccountId, OrgId, SessionId, UserApiTokenId};
use crate::model::{Account, ApiKey, Session, UserApiToken};
use crate::oauth::EndedGrant;
use crate::ports::{AuditTx, GrantEndTx, KeyTx, SigninTx};
use crate::product::AccountStatus;

/// Records what was asked of it; `live_tokens` is how many tokens a revoke-all finds.
#[derive(Default)]
struct Fake {
    live_tokens: u64,
    sessions_ended_for: Vec<AccountId>,
    grants_ended_for: Vec<AccountId>,
    events: Vec<AuditEvent>,
}

impl GrantEndTx for Fake {
    async fn revoke_account_grants(&mut self, account: AccountId, _: Timestamp) -> Result<Vec<EndedGrant>> {
        self.grants_ended_for.push(account);
        Ok(Vec::new())
    }
    async fn revoke_session_grants(&mut self, _: Sid, _: Timestamp) -> Result<Vec<EndedGrant>> {
        unreachable!()
    }
    async fn queue_logout_notices(&mut self, ended: &[EndedGrant], _: Timestamp) -> Result<()> {
        assert!(ended.is_empty(), "the fake ends no grant");
        Ok(())
    }
}

impl SigninTx for Fake {
    async fn insert_session(&mut self, _: &str, _: &Session, _: &RequestMeta) -> Result<()> {
        unreachable!()
    }
    async fn touch_session(&mut self, _: &str, _: Timestamp) -> Result<()> {
        unreachable!()
    }
    async fn delete_session(&mut self, _: &str) -> Result<bool> {
        unreachable!()
    }
    async fn delete_other_sessions(&mut self, _: AccountId, _: &str) -> Result<u64> {
        unreachable!()
    }
    async fn delete_session_of(&mut self, _: AccountId, _: SessionId) -> Result<bool> {
        unreachable!()
    }
    async fn delete_sessions_of(&mut self, account: AccountId) -> Result<u64> {
        self.sessions_ended_for.push(account);
        Ok(1)
    }
}

impl KeyTx for Fake {
    async fn insert_api_key(&mut self, _: &ApiKey, _: &str) -> Result<()> {
        unreachable!()
    }
    async fn update_api_key(&mut self, _: &ApiKey) -> Result<()> {
        unreachable!()
    }
    async fn insert_user_api_token(&mut self, _: &UserApiToken, _: &str) -> Result<()> {
        unreachable!()
    }
    async fn revoke_user_api_token(&mut self, _: AccountId, _: &UserApiTokenId, _: Timestamp) -> Result<bool> {
        unreachable!()
    }
    async fn revoke_user_api_tokens(&mut self, _: AccountId, _: Timestamp) -> Result<u64> {
        Ok(std::mem::take(&mut self.live_tokens))
    }
}

impl AuditTx for Fake {
    async fn insert_event(&mut self, event: &AuditEvent) -> Result<()> {
        self.events.push(event.clone());
        Ok(())
    }
    async fn insert_events(&mut self, _: &[AuditEvent]) -> Result<()> {
        unreachable!()
    }
}

fn account() -> Account {
    Account {
        id: AccountId::new(),
        email: "ada@example.com".into(),
        display_name: "Ada".into(),
        status: AccountStatus::Deactivated,
        created_at: Timestamp::from_millis(0),
        last_active_at: None,
        delete_after: None,
    }
}

async fn run(fake: &mut Fake, a: &Account) {
    let actor = Actor::system("test");
    cut_off(
        fake,
        OrgId::new(),
        &actor,
        &RequestMeta::default(),
        a,
        Timestamp::from_millis(1),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn sessions_end_and_revoked_tokens_are_audited() {
    let (mut fake, a) = (
        Fake {
            live_tokens: 2,
            ..Fake::default()
        },
        account(),
    );
    run(&mut fake, &a).await;
    assert_eq!(fake.sessions_ended_for, vec![a.id]);
    assert_eq!(fake.grants_ended_for, vec![a.id], "its product sessions end too");
    assert_eq!(fake.events.len(), 1);
    assert_eq!(fake.events[0].action, "account.api_tokens_revoked");
    assert_eq!(fake.events[0].changes.after, Some(serde_json::json!({ "revoked": 2 })));
}

#[tokio::test]
async fn without_live_tokens_nothing_is_audited() {
    let (mut fake, a) = (Fake::default(), account());
    run(&mut fake, &a).await;
    assert_eq!(fake.sessions_ended_for, vec![a.id]);
    assert!(fake.events.is_empty());
}
