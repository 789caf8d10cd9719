//! The eight published XML signature wrapping shapes (XSW1–XSW8). Each document holds an
//! element the IdP really signed and an attacker's assertion for attacker@evil.example; each
//! must be refused as wrapping, never accepted for either name.

mod common;

use common::Fixture;
use gatehouse_testkit::saml_idp::Xsw;

fn refused(variant: Xsw) {
    let f = Fixture::new();
    let response = f.idp.xsw(variant, &f.spec());
    assert_eq!(f.refusal(&response), "signature_wrapping", "{variant:?}");
}

#[test]
fn xsw1_signature_moved_to_an_evil_response_holding_the_original_is_refused() {
    refused(Xsw::Xsw1);
}

#[test]
fn xsw2_original_response_detached_beside_the_signature_is_refused() {
    refused(Xsw::Xsw2);
}

#[test]
fn xsw3_evil_assertion_before_the_signed_one_is_refused() {
    refused(Xsw::Xsw3);
}

#[test]
fn xsw4_evil_assertion_wrapping_the_signed_one_is_refused() {
    refused(Xsw::Xsw4);
}

#[test]
fn xsw5_signature_moved_to_the_evil_assertion_with_a_copy_at_the_end_is_refused() {
    refused(Xsw::Xsw5);
}

#[test]
fn xsw6_original_assertion_inside_the_moved_signature_is_refused() {
    refused(Xsw::Xsw6);
}

#[test]
fn xsw7_signed_assertion_hidden_in_extensions_is_refused() {
    refused(Xsw::Xsw7);
}

#[test]
fn xsw8_original_assertion_in_a_signature_object_is_refused() {
    refused(Xsw::Xsw8);
}

#[test]
fn the_wrapped_original_alone_still_verifies() {
    // The corpus is only meaningful if the signed parts are genuine: the same spec, unwrapped,
    // is accepted.
    let f = Fixture::new();
    let spec = f.spec();
    assert!(f.validate(&f.idp.response(&spec)).is_ok());
}
