//! Shared arrangement: one SP, one test IdP that really signs, and the Expect that matches.
#![allow(dead_code)]

use gatehouse_saml::{
    Assertion, Certificate, DEFAULT_SKEW_SECS, Expect, Refusal, Sp, SpCredentials, validate_response,
};
use gatehouse_testkit::saml_idp::{ResponseSpec, TestIdp, now_ms};

pub const SP_ENTITY: &str = "https://gatehouse.test/saml/0190a1b2/metadata";
pub const ACS: &str = "https://gatehouse.test/saml/0190a1b2/acs";
pub const SLO: &str = "https://gatehouse.test/saml/0190a1b2/slo";

pub struct Fixture {
    pub idp: TestIdp,
    pub sp: Sp,
    pub certs: Vec<Certificate>,
    pub now: i64,
    pub allow_sha1: bool,
    pub allow_rsa1_5: bool,
}

impl Fixture {
    pub fn new() -> Self {
        let now = now_ms();
        let idp = TestIdp::new();
        let certs = vec![idp.certificate()];
        Self {
            sp: Sp {
                entity_id: SP_ENTITY.into(),
                acs_url: ACS.into(),
                slo_url: SLO.into(),
                credentials: SpCredentials::generate("gatehouse.test", now).unwrap(),
            },
            idp,
            certs,
            now,
            allow_sha1: false,
            allow_rsa1_5: false,
        }
    }

    pub fn expect(&self) -> Expect<'_> {
        Expect {
            sp_entity_id: SP_ENTITY,
            acs_url: ACS,
            idp_entity_id: &self.idp.entity_id,
            certificates: &self.certs,
            allow_sha1: self.allow_sha1,
            now_ms: self.now,
            skew_secs: DEFAULT_SKEW_SECS,
            sp_key_pem: Some(&self.sp.credentials.key_pem),
            allow_rsa1_5: self.allow_rsa1_5,
        }
    }

    /// A response spec the SP accepts as it stands.
    pub fn spec(&self) -> ResponseSpec {
        self.idp.spec(SP_ENTITY, ACS, self.now)
    }

    pub fn validate(&self, saml_response: &str) -> Result<Assertion, Refusal> {
        validate_response(saml_response, &self.expect())
    }

    /// The refusal's reason name; fails the test if the response was accepted.
    pub fn refusal(&self, saml_response: &str) -> &'static str {
        match self.validate(saml_response) {
            Ok(a) => panic!("accepted, name_id {}", a.name_id),
            Err(r) => r.as_str(),
        }
    }

    pub fn sp_certificate(&self) -> Certificate {
        self.sp.credentials.certificate().unwrap()
    }
}
