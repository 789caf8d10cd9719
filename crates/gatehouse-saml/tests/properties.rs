//! Properties over many inputs: nothing panics, and no change to a signed response makes it
//! yield an assertion other than the one the IdP signed.

mod common;

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::Fixture;
use gatehouse_saml::Assertion;
use gatehouse_testkit::saml_idp::Sign;
use proptest::prelude::*;

struct Signed {
    fixture: Fixture,
    xml: Vec<u8>,
    accepted: Assertion,
}

static SIGNED: LazyLock<Vec<Signed>> = LazyLock::new(|| {
    [Sign::Assertion, Sign::Response]
        .into_iter()
        .map(|sign| {
            let fixture = Fixture::new();
            let mut spec = fixture.spec();
            spec.sign = sign;
            let xml = fixture.idp.response_xml(&spec).into_bytes();
            let accepted = fixture
                .validate(&STANDARD.encode(&xml))
                .expect("the original is accepted");
            Signed { fixture, xml, accepted }
        })
        .collect()
});

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_is_refused_without_panicking(text in "\\PC{0,400}") {
        let f = &SIGNED[0].fixture;
        prop_assert!(f.validate(&text).is_err());
        prop_assert!(f.validate(&STANDARD.encode(text.as_bytes())).is_err());
    }

    #[test]
    fn one_changed_byte_never_yields_another_assertion(
        which in 0usize..2,
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let signed = &SIGNED[which];
        let mut xml = signed.xml.clone();
        let i = at.index(xml.len());
        prop_assume!(xml[i] != byte);
        xml[i] = byte;
        if let Ok(a) = signed.fixture.validate(&STANDARD.encode(&xml)) {
            prop_assert_eq!(a, signed.accepted.clone());
        }
    }
}
