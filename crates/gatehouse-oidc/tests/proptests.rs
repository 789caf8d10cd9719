//! The parsers never panic on arbitrary input, and a few round trips hold for any value.

use gatehouse_oidc::{
    Alg, AuthorizeParams, ClientRules, Expect, KeySet, LogoutRequest, Scopes, SigningKey, TokenRequest,
    check_redirect_uri_for_registration, parse_bearer, redirect_with_code,
};
use proptest::prelude::*;
use serde_json::Value;

const NAMES: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "prompt",
    "max_age",
    "code_challenge",
    "code_challenge_method",
    "grant_type",
    "code",
    "refresh_token",
    "client_secret",
    "code_verifier",
    "request",
    "post_logout_redirect_uri",
    "id_token_hint",
    "other",
];

/// Pairs mostly with known names, values drawn from anything printable and some known values.
fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![prop::sample::select(NAMES).prop_map(str::to_owned), "\\PC{0,12}"];
    let value = prop_oneof![
        prop::sample::select(
            &[
                "code",
                "openid email",
                "S256",
                "none login",
                "authorization_code",
                "refresh_token",
                "client_credentials",
                "0",
                "-1"
            ][..]
        )
        .prop_map(str::to_owned),
        "\\PC{0,80}",
        ".{0,20}",
    ];
    prop::collection::vec((name, value), 0..24)
}

fn header() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        "\\PC{0,60}".prop_map(Some),
        "[A-Za-z0-9+/=]{0,40}".prop_map(|b| Some(format!("Basic {b}"))),
        "[A-Za-z0-9._~+/=-]{0,40}".prop_map(|b| Some(format!("Bearer {b}"))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn authorize_params_never_panic(pairs in pairs(), public: bool, refresh: bool, now: i64) {
        if let Ok(params) = AuthorizeParams::from_pairs(&pairs) {
            let rules = ClientRules { public, allows_code: true, allows_refresh: refresh };
            if let Ok(request) = params.validate(&rules, now) {
                prop_assert!(request.scopes.has_openid());
                prop_assert!(refresh || !request.scopes.offline_access());
                prop_assert!(!public || request.code_challenge.is_some());
                let _ = request.needs_login(Some(now), now);
            }
        }
    }

    #[test]
    fn token_requests_never_panic(pairs in pairs(), authorization in header()) {
        let _ = TokenRequest::parse(&pairs, authorization.as_deref());
        let _ = parse_bearer(authorization.as_deref());
        let _ = LogoutRequest::from_pairs(&pairs);
    }

    #[test]
    fn scopes_never_panic_and_round_trip(raw in "\\PC{0,200}") {
        if let Ok(scopes) = Scopes::parse(&raw) {
            prop_assert_eq!(Scopes::parse(&scopes.to_string()).unwrap(), scopes);
            prop_assert!(scopes.narrow(&scopes).is_ok());
        }
    }

    #[test]
    fn known_scope_lists_round_trip(list in prop::collection::vec(prop::sample::select(&["openid", "email", "profile", "offline_access", "x:y"][..]), 0..6)) {
        let scopes = Scopes::parse(&list.join(" ")).unwrap();
        for name in ["openid", "email", "profile", "offline_access"] {
            prop_assert_eq!(scopes.to_string().split(' ').any(|s| s == name), list.contains(&name));
        }
    }

    #[test]
    fn redirect_values_read_back(code in "\\PC{1,40}", state in proptest::option::of("\\PC{0,60}")) {
        let location = redirect_with_code("https://app.example.com/cb?x=1", &code, state.as_deref(), "https://id.example.com");
        let url = url::Url::parse(&location).unwrap();
        let got: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        prop_assert_eq!(&got[1], &("code".to_owned(), code));
        if let Some(state) = state {
            prop_assert_eq!(&got[2], &("state".to_owned(), state));
        }
    }

    #[test]
    fn registration_check_never_panics(uri in "\\PC{0,100}", public: bool) {
        let _ = check_redirect_uri_for_registration(&uri, public);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn verification_never_panics(token in "[A-Za-z0-9_.=-]{0,300}") {
        let keys = KeySet::new(SigningKey::generate(Alg::EdDsa).unwrap(), vec![]);
        let expect = Expect { issuer: "https://id.example.com", audience: None, typ: None, now: 0, leeway: 0 };
        prop_assert!(keys.verify::<Value>(&token, &expect).is_err());
    }
}
