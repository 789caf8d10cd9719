//! Property tests: the parser never panics, and printed trees parse back to themselves.

use proptest::prelude::*;

use super::*;

fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z][a-zA-Z0-9_-]{0,7}|\\$ref"
}

fn attr_path() -> impl Strategy<Value = AttrPath> {
    let urn = prop_oneof![
        3 => Just(None),
        1 => Just(Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".to_owned())),
        1 => "urn:[a-z]{1,5}(:[a-zA-Z0-9.]{1,5}){0,3}".prop_map(Some),
    ];
    (urn, name(), prop::option::of(name())).prop_map(|(urn, attr, sub_attr)| AttrPath { urn, attr, sub_attr })
}

fn comp_value() -> impl Strategy<Value = CompValue> {
    prop_oneof![
        any::<String>().prop_map(CompValue::String),
        "-?(0|[1-9][0-9]{0,6})(\\.[0-9]{1,4})?([eE][+-]?[0-9]{1,3})?"
            .prop_map(|t| CompValue::Number(JsonNumber::parse(&t).expect("generated JSON number"))),
        any::<bool>().prop_map(CompValue::Bool),
        Just(CompValue::Null),
    ]
}

fn op() -> impl Strategy<Value = CompareOp> {
    prop::sample::select(CompareOp::ALL.to_vec())
}

/// Filters without value paths (what may appear inside `[...]`).
fn simple_filter() -> impl Strategy<Value = Filter> {
    let leaf = prop_oneof![
        (attr_path(), op(), comp_value()).prop_map(|(path, op, value)| Filter::Compare { path, op, value }),
        attr_path().prop_map(|path| Filter::Present { path }),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(l, r)| Filter::And(Box::new(l), Box::new(r))),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| Filter::Or(Box::new(l), Box::new(r))),
            inner.prop_map(|f| Filter::Not(Box::new(f))),
        ]
    })
}

fn filter() -> impl Strategy<Value = Filter> {
    let top_attr = (
        prop::option::of(Just("urn:ietf:params:scim:schemas:core:2.0:User".to_owned())),
        name(),
    )
        .prop_map(|(urn, attr)| AttrPath {
            urn,
            attr,
            sub_attr: None,
        });
    let leaf = prop_oneof![
        3 => simple_filter(),
        1 => (top_attr, simple_filter()).prop_map(|(attr, f)| Filter::ValuePath { attr, filter: Box::new(f) }),
    ];
    leaf.prop_recursive(3, 16, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(l, r)| Filter::And(Box::new(l), Box::new(r))),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| Filter::Or(Box::new(l), Box::new(r))),
            inner.prop_map(|f| Filter::Not(Box::new(f))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_filter_never_panics_on_arbitrary_strings(input in any::<String>()) {
        let _ = parse_filter(&input);
    }

    #[test]
    fn parse_filter_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_filter(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn parse_filter_never_panics_on_filter_like_noise(
        input in r#"([a-z]{1,3}|[ ()\[\]."\\:$-]|eq|pr|and|or|not|urn:x:|"[a-z]*"|[0-9]{1,3}){0,40}"#
    ) {
        let _ = parse_filter(&input);
    }

    #[test]
    fn parse_path_never_panics(input in any::<String>()) {
        let _ = crate::path::parse_path(&input);
    }

    #[test]
    fn printed_filters_parse_back_to_the_same_tree(f in filter()) {
        let printed = f.to_string();
        let parsed = parse_filter(&printed);
        prop_assert_eq!(parsed.as_ref().ok(), Some(&f), "printed: {} error: {:?}", printed, parsed.as_ref().err());
    }

    #[test]
    fn printing_is_idempotent(f in filter()) {
        let once = f.to_string();
        let twice = parse_filter(&once).map(|g| g.to_string());
        prop_assert_eq!(twice.ok(), Some(once));
    }
}
