//! What we send: AuthnRequest and single logout over the HTTP-Redirect binding, read and
//! checked by the test IdP's own (separate) implementation; logout messages we receive.

mod common;

use common::{ACS, Fixture, SLO, SP_ENTITY};
use gatehouse_saml::{
    LogoutError, LogoutMessage, LogoutRequestSpec, LogoutResponseSpec, RequestError, STATUS_SUCCESS,
    authn_request_redirect, logout_request_redirect, logout_response_redirect, parse_logout_message,
};
use gatehouse_testkit::saml_idp::{LogoutTimes, SigningKey};

#[test]
fn a_signed_authn_request_round_trips_through_the_idp() {
    let f = Fixture::new();
    let idp = f.idp.config();
    let url = authn_request_redirect(&f.sp, &idp, "_0a1b2c3d", f.now, Some("/after?x=1&y=2"), true).unwrap();
    assert!(url.as_str().starts_with("https://idp.test/saml/sso?SAMLRequest="));
    let req = f.idp.parse_authn_request(url.as_str());
    assert_eq!(req.id, "_0a1b2c3d");
    assert_eq!(req.acs_url, ACS);
    assert_eq!(req.issuer, SP_ENTITY);
    assert_eq!(req.destination, "https://idp.test/saml/sso");
    assert_eq!(req.protocol_binding, gatehouse_saml::BINDING_HTTP_POST);
    assert_eq!(req.force_authn.as_deref(), Some("false"));
    assert_eq!(req.allow_create.as_deref(), Some("true"));
    assert_eq!(req.relay_state.as_deref(), Some("/after?x=1&y=2"));
    assert!(req.signature_verifies(&f.sp_certificate()));
    let stranger = SigningKey::generate("stranger.test");
    assert!(!req.signature_verifies(&stranger.certificate));

    // The IdP answers the request it read; the SP gets its id back as InResponseTo.
    let mut spec = f.idp.spec(&req.issuer, &req.acs_url, f.now);
    spec.in_response_to = Some(req.id.clone());
    let a = f.validate(&f.idp.response(&spec)).unwrap();
    assert_eq!(a.in_response_to.as_deref(), Some("_0a1b2c3d"));
}

#[test]
fn an_unsigned_authn_request_carries_no_signature() {
    let f = Fixture::new();
    let url = authn_request_redirect(&f.sp, &f.idp.config(), "_1", f.now, None, false).unwrap();
    assert!(!url.as_str().contains("Signature="));
    let req = f.idp.parse_authn_request(url.as_str());
    assert_eq!(req.sig_alg, None);
    assert!(!req.signature_verifies(&f.sp_certificate()));
}

#[test]
fn a_request_id_that_is_not_an_xml_id_is_refused() {
    let f = Fixture::new();
    let r = authn_request_redirect(&f.sp, &f.idp.config(), "1\"><evil/>", f.now, None, true);
    assert_eq!(r.unwrap_err(), RequestError::BadId);
}

#[test]
fn a_relay_state_over_80_bytes_is_refused() {
    let f = Fixture::new();
    let long = "/".repeat(81);
    let r = authn_request_redirect(&f.sp, &f.idp.config(), "_1", f.now, Some(&long), true);
    assert_eq!(r.unwrap_err(), RequestError::RelayStateTooLong);
}

#[test]
fn an_sso_url_with_its_own_query_keeps_it_and_the_signature_still_verifies() {
    let f = Fixture::new();
    let okta = gatehouse_saml::IdpMetadata::parse(include_str!("fixtures/okta-metadata.xml")).unwrap();
    let config = okta.to_config().unwrap();
    let url = authn_request_redirect(&f.sp, &config, "_2", f.now, Some("x"), true).unwrap();
    assert!(url.as_str().contains("/sso/saml?from=redirect&SAMLRequest="));
    let req = f.idp.parse_authn_request(url.as_str());
    assert!(req.signature_verifies(&f.sp_certificate()));
    assert_eq!(req.destination, okta.sso_url);
}

fn query(url: &str) -> &str {
    url.split_once('?').unwrap().1
}

#[test]
fn an_idp_initiated_logout_request_is_read_after_its_signature_verifies() {
    let f = Fixture::new();
    let url = f
        .idp
        .logout_request_url(SLO, "ada@acme.example", Some("_s1"), Some("rs"));
    let msg = parse_logout_message(query(&url), &f.sp, &f.idp.config(), f.now).unwrap();
    let LogoutMessage::Request {
        id,
        issuer,
        name_id,
        session_index,
        relay_state,
    } = msg
    else {
        panic!("a request");
    };
    assert!(id.starts_with("_l"));
    assert_eq!(issuer, f.idp.entity_id);
    assert_eq!(name_id, "ada@acme.example");
    assert_eq!(session_index.as_deref(), Some("_s1"));
    assert_eq!(relay_state.as_deref(), Some("rs"));

    // We answer it, signed, and the IdP can read our answer.
    let answer = logout_response_redirect(
        &f.sp,
        &"https://idp.test/saml/slo".parse().unwrap(),
        &LogoutResponseSpec {
            in_response_to: &id,
            status: STATUS_SUCCESS,
            response_id: "_lr1",
            now_ms: f.now,
            relay_state: relay_state.as_deref(),
            sign: true,
        },
    )
    .unwrap();
    assert!(answer.as_str().contains("SAMLResponse=") && answer.as_str().contains("&Signature="));
}

#[test]
fn a_logout_request_with_a_changed_parameter_is_refused() {
    let f = Fixture::new();
    let url = f.idp.logout_request_url(SLO, "ada@acme.example", None, Some("rs"));
    let changed = url.replace("RelayState=rs", "RelayState=other");
    let err = parse_logout_message(query(&changed), &f.sp, &f.idp.config(), f.now).unwrap_err();
    assert_eq!(err, LogoutError::BadSignature);
}

#[test]
fn an_unsigned_logout_request_is_refused() {
    let f = Fixture::new();
    let url = f.idp.logout_request_url(SLO, "ada@acme.example", None, None);
    let unsigned = url.split("&SigAlg=").next().unwrap();
    let err = parse_logout_message(query(unsigned), &f.sp, &f.idp.config(), f.now).unwrap_err();
    assert_eq!(err.as_str(), "unsigned");
}

#[test]
fn a_logout_response_to_our_request_is_read() {
    let f = Fixture::new();
    let sent = logout_request_redirect(
        &f.sp,
        &"https://idp.test/saml/slo".parse().unwrap(),
        &LogoutRequestSpec {
            name_id: "ada@acme.example",
            name_id_format: None,
            session_index: Some("_s1"),
            request_id: "_lq9",
            now_ms: f.now,
            relay_state: None,
            sign: true,
        },
    )
    .unwrap();
    assert!(sent.as_str().contains("&SigAlg="));
    let url = f.idp.logout_response_url(SLO, "_lq9", STATUS_SUCCESS, None);
    let msg = parse_logout_message(query(&url), &f.sp, &f.idp.config(), f.now).unwrap();
    assert_eq!(
        msg,
        LogoutMessage::Response {
            in_response_to: Some("_lq9".into()),
            status: STATUS_SUCCESS.into(),
            relay_state: None,
        }
    );
}

#[test]
fn a_logout_message_from_another_idp_key_is_refused() {
    let f = Fixture::new();
    let other = gatehouse_testkit::saml_idp::TestIdp::new();
    let url = other.logout_request_url(SLO, "ada@acme.example", None, None);
    let err = parse_logout_message(query(&url), &f.sp, &f.idp.config(), f.now).unwrap_err();
    assert_eq!(err.as_str(), "bad_signature");
}

/// A signed LogoutRequest found later (in a browser's history, a proxy's log) signs nobody out:
/// it holds for five minutes after it was issued, beside the three minutes of skew, and not
/// past its own NotOnOrAfter.
#[test]
fn a_logout_request_holds_only_while_it_is_fresh() {
    let f = Fixture::new();
    let at = |issued_ms: i64, not_on_or_after_ms: Option<i64>| {
        let times = LogoutTimes {
            issued_ms,
            not_on_or_after_ms,
        };
        let url = f.idp.logout_request_url_at(times, SLO, "ada@acme.example", None, None);
        parse_logout_message(query(&url), &f.sp, &f.idp.config(), f.now).map(|_| ())
    };
    let min = 60_000;
    assert_eq!(at(f.now - 7 * min, None), Ok(()), "within 5 minutes and the skew");
    assert_eq!(at(f.now - 9 * min, None), Err(LogoutError::Expired));
    assert_eq!(at(f.now + 2 * min, None), Ok(()), "a clock ahead within the skew");
    assert_eq!(at(f.now + 4 * min, None), Err(LogoutError::NotYetValid));
    assert_eq!(at(f.now, Some(f.now - 4 * min)), Err(LogoutError::Expired));
    assert_eq!(at(f.now, Some(f.now - 2 * min)), Ok(()), "NotOnOrAfter within the skew");
    assert_eq!(LogoutError::Expired.as_str(), "expired");
}
