use serde_json::json;

use super::*;
use crate::schema::{AttrType, ENTERPRISE_USER_SCHEMA, ResourceKind};

fn path(text: &str) -> AttrPath {
    AttrPath::parse(text).unwrap()
}

fn cmp(p: &str, op: CompareOp, value: CompValue) -> Filter {
    Filter::Compare {
        path: path(p),
        op,
        value,
    }
}

fn s(text: &str) -> CompValue {
    CompValue::String(text.to_owned())
}

fn n(text: &str) -> CompValue {
    CompValue::Number(JsonNumber::parse(text).unwrap())
}

fn pr(p: &str) -> Filter {
    Filter::Present { path: path(p) }
}

fn and(l: Filter, r: Filter) -> Filter {
    Filter::And(Box::new(l), Box::new(r))
}

fn or(l: Filter, r: Filter) -> Filter {
    Filter::Or(Box::new(l), Box::new(r))
}

fn not(f: Filter) -> Filter {
    Filter::Not(Box::new(f))
}

fn vp(attr: &str, f: Filter) -> Filter {
    Filter::ValuePath {
        attr: path(attr),
        filter: Box::new(f),
    }
}

fn assert_round_trip(text: &str) -> Filter {
    let parsed = parse_filter(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let printed = parsed.to_string();
    let reparsed = parse_filter(&printed).unwrap_or_else(|e| panic!("{printed}: {e}"));
    assert_eq!(reparsed, parsed, "{text} printed as {printed}");
    parsed
}

/// The filter examples of RFC 7644 §3.4.2.2 (Figure 2 and the case-insensitivity examples).
const RFC_EXAMPLES: &[&str] = &[
    r#"userName Eq "john""#,
    r#"Username eq "john""#,
    r#"userName eq "bjensen""#,
    r#"name.familyName co "O'Malley""#,
    r#"userName sw "J""#,
    r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
    "title pr",
    r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
    r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
    r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
    r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
    r#"title pr and userType eq "Employee""#,
    r#"title pr or userType eq "Intern""#,
    r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
    r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
    r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
    r#"userType eq "Employee" and (emails.type eq "work")"#,
    r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
    r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
];

#[test]
fn every_rfc7644_filter_example_parses_and_its_display_parses_back_to_the_same_tree() {
    for text in RFC_EXAMPLES {
        assert_round_trip(text);
    }
}

#[test]
fn every_rfc7644_filter_example_validates_against_the_user_schema() {
    for text in RFC_EXAMPLES {
        let filter = parse_filter(text).unwrap();
        validate(&filter, ResourceKind::User).unwrap_or_else(|e| panic!("{text}: {e}"));
    }
}

#[test]
fn rfc7644_examples_parse_to_the_expected_trees() {
    assert_eq!(
        parse_filter(r#"userName Eq "john""#).unwrap(),
        cmp("userName", CompareOp::Eq, s("john"))
    );
    assert_eq!(
        parse_filter(r#"title pr and userType eq "Employee""#).unwrap(),
        and(pr("title"), cmp("userType", CompareOp::Eq, s("Employee")))
    );
    assert_eq!(
        parse_filter(r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#)
            .unwrap(),
        and(
            cmp("userType", CompareOp::Ne, s("Employee")),
            not(or(
                cmp("emails", CompareOp::Co, s("example.com")),
                cmp("emails.value", CompareOp::Co, s("example.org"))
            ))
        )
    );
    assert_eq!(
        parse_filter(r#"emails[type eq "work" and value co "@example.com"]"#).unwrap(),
        vp(
            "emails",
            and(
                cmp("type", CompareOp::Eq, s("work")),
                cmp("value", CompareOp::Co, s("@example.com"))
            )
        )
    );
}

#[test]
fn and_binds_tighter_than_or() {
    let f = parse_filter("a eq 1 or b eq 2 and c eq 3").unwrap();
    let expected = or(
        cmp("a", CompareOp::Eq, n("1")),
        and(cmp("b", CompareOp::Eq, n("2")), cmp("c", CompareOp::Eq, n("3"))),
    );
    assert_eq!(f, expected);
    assert_eq!(f.to_string(), "a eq 1 or b eq 2 and c eq 3");
}

#[test]
fn parentheses_override_precedence_and_survive_printing() {
    let f = parse_filter("(a eq 1 or b eq 2) and c eq 3").unwrap();
    assert_eq!(
        f,
        and(
            or(cmp("a", CompareOp::Eq, n("1")), cmp("b", CompareOp::Eq, n("2"))),
            cmp("c", CompareOp::Eq, n("3"))
        )
    );
    assert_eq!(f.to_string(), "(a eq 1 or b eq 2) and c eq 3");
}

#[test]
fn and_and_or_group_to_the_left() {
    assert_eq!(
        parse_filter("a pr and b pr and c pr").unwrap(),
        and(and(pr("a"), pr("b")), pr("c"))
    );
    assert_eq!(
        parse_filter("a pr or b pr or c pr").unwrap(),
        or(or(pr("a"), pr("b")), pr("c"))
    );
    let right_nested = and(pr("a"), and(pr("b"), pr("c")));
    assert_eq!(right_nested.to_string(), "a pr and (b pr and c pr)");
    assert_eq!(parse_filter(&right_nested.to_string()).unwrap(), right_nested);
}

#[test]
fn not_applies_to_a_parenthesised_filter_and_binds_tighter_than_and() {
    assert_eq!(parse_filter("not (x pr)").unwrap(), not(pr("x")));
    assert_eq!(parse_filter("NOT(x pr)").unwrap(), not(pr("x")));
    assert_eq!(parse_filter("not (a pr) and b pr").unwrap(), and(not(pr("a")), pr("b")));
    assert_eq!(parse_filter("b pr or not (a pr)").unwrap(), or(pr("b"), not(pr("a"))));
}

#[test]
fn keywords_and_operators_are_case_insensitive() {
    let f = parse_filter(r#"title PR AND userName EQ "x" Or active Eq TRUE"#).unwrap();
    assert_eq!(
        f,
        or(
            and(pr("title"), cmp("userName", CompareOp::Eq, s("x"))),
            cmp("active", CompareOp::Eq, CompValue::Bool(true))
        )
    );
}

#[test]
fn every_comparison_operator_parses() {
    for op in CompareOp::ALL {
        let f = parse_filter(&format!(r#"title {} "x""#, op.keyword().to_uppercase())).unwrap();
        assert_eq!(f, cmp("title", op, s("x")));
    }
}

#[test]
fn a_value_path_followed_by_a_sub_attribute_comparison_reads_as_one_value_filter() {
    let f = parse_filter(r#"emails[type eq "work"].value eq "user@contoso.com""#).unwrap();
    assert_eq!(
        f,
        vp(
            "emails",
            and(
                cmp("type", CompareOp::Eq, s("work")),
                cmp("value", CompareOp::Eq, s("user@contoso.com"))
            )
        )
    );
    assert_eq!(
        f.to_string(),
        r#"emails[type eq "work" and value eq "user@contoso.com"]"#
    );
    let present = parse_filter(r#"emails[type eq "work"].value pr"#).unwrap();
    assert_eq!(
        present,
        vp("emails", and(cmp("type", CompareOp::Eq, s("work")), pr("value")))
    );
}

#[test]
fn urn_qualified_paths_keep_their_urn_and_sub_attribute() {
    let f = parse_filter(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915""#)
        .unwrap();
    let Filter::Compare { path, .. } = &f else {
        panic!("{f:?}")
    };
    assert_eq!(path.urn.as_deref(), Some(ENTERPRISE_USER_SCHEMA));
    assert_eq!(path.attr, "manager");
    assert_eq!(path.sub_attr.as_deref(), Some("value"));
    assert_round_trip(&f.to_string());
}

#[test]
fn string_values_are_json_strings_with_escapes() {
    let f = parse_filter(r#"displayName eq "a \"q\" \\ \/ \u00e9 \n \ud83d\ude00""#).unwrap();
    assert_eq!(f, cmp("displayName", CompareOp::Eq, s("a \"q\" \\ / é \n 😀")));
    assert_eq!(f.to_string(), r#"displayName eq "a \"q\" \\ / é \n 😀""#);
    assert_round_trip(&f.to_string());
}

#[test]
fn numbers_booleans_and_null_are_json_literals() {
    assert_eq!(
        parse_filter("x gt -12.5e+3").unwrap(),
        cmp("x", CompareOp::Gt, n("-12.5e+3"))
    );
    assert_eq!(parse_filter("x eq 0").unwrap(), cmp("x", CompareOp::Eq, n("0")));
    assert_eq!(
        parse_filter("x eq false").unwrap(),
        cmp("x", CompareOp::Eq, CompValue::Bool(false))
    );
    assert_eq!(
        parse_filter("x eq null").unwrap(),
        cmp("x", CompareOp::Eq, CompValue::Null)
    );
    assert_eq!(JsonNumber::parse("42").unwrap().as_i64(), Some(42));
    assert!(JsonNumber::parse("01").is_none());
    assert!(JsonNumber::parse("1.").is_none());
}

#[test]
fn whitespace_runs_and_surrounding_space_are_accepted() {
    assert_eq!(
        parse_filter("  title   pr \t and\tuserName  eq  \"x\"  ")
            .unwrap()
            .to_string(),
        r#"title pr and userName eq "x""#
    );
    assert_eq!(parse_filter(r"( title pr )").unwrap(), pr("title"));
    assert_eq!(
        parse_filter(r#"emails[ type eq "work" ]"#).unwrap(),
        vp("emails", cmp("type", CompareOp::Eq, s("work")))
    );
}

#[test]
fn a_word_that_only_starts_like_a_keyword_is_not_one() {
    assert_eq!(parse_filter("order pr").unwrap(), pr("order"));
    assert_eq!(parse_filter("notes pr").unwrap(), pr("notes"));
    assert_eq!(parse_filter("a pr and andy pr").unwrap(), and(pr("a"), pr("andy")));
    assert!(parse_filter("a pr andy pr").is_err());
}

#[test]
fn ref_attributes_are_accepted() {
    assert_eq!(
        parse_filter(r#"members.$ref eq "x""#).unwrap(),
        cmp("members.$ref", CompareOp::Eq, s("x"))
    );
}

fn parse_error(text: &str) -> ScimError {
    let err = parse_filter(text).unwrap_err();
    assert_eq!(err.status, 400);
    assert_eq!(err.scim_type, Some("invalidFilter"), "{text}: {err}");
    err
}

#[test]
fn malformed_filters_are_invalid_filter_errors() {
    for text in [
        "",
        "   ",
        "userName",
        "userName eq",
        r#"userName eqq "x""#,
        r#"userName eq "x"#,
        r"userName eq 'x'",
        "userName eq bjensen",
        r#"(userName eq "x""#,
        r#"userName eq "x")"#,
        r#"emails[type eq "work""#,
        r#"emails[type eq "work"]]"#,
        r#"emails[type[value eq "x"] pr]"#,
        r#"name.familyName[value eq "x"]"#,
        r#"emails[type eq "work"].value"#,
        "title pr and",
        "title pr or or b pr",
        "not title pr",
        "x eq 01",
        r#"a.b.c eq "x""#,
        r#"userName eq "\x""#,
        "1abc pr",
        "title pr title pr",
    ] {
        parse_error(text);
    }
}

#[test]
fn the_error_detail_says_where_parsing_failed() {
    let err = parse_error(r#"userName eqq "x""#);
    assert!(err.detail.contains("unknown operator 'eqq'"), "{}", err.detail);
    assert!(err.detail.contains("character 10"), "{}", err.detail);
    let err = parse_error("userName eq");
    assert!(err.detail.contains("at the end of the input"), "{}", err.detail);
    let err = parse_error(r"(a pr");
    assert!(err.detail.contains("expected ')'"), "{}", err.detail);
}

#[test]
fn filters_longer_than_the_limit_are_rejected() {
    let long = format!(r#"userName eq "{}""#, "x".repeat(MAX_FILTER_LEN));
    assert!(parse_error(&long).detail.contains("longer than"));
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!("{}a pr{}", "(".repeat(2000), ")".repeat(2000));
    assert!(parse_error(&deep).detail.contains("nested deeper"));
    let deep_not = format!("{}a pr{}", "not (".repeat(500), ")".repeat(500));
    assert!(parse_error(&deep_not).detail.contains("nested deeper"));
    let ok = format!(
        "{}a pr{}",
        "(".repeat(MAX_FILTER_DEPTH - 1),
        ")".repeat(MAX_FILTER_DEPTH - 1)
    );
    assert_eq!(parse_filter(&ok).unwrap(), pr("a"));
}

fn check(text: &str, kind: ResourceKind) -> Result<TypedFilter, ScimError> {
    validate(&parse_filter(text).unwrap(), kind)
}

fn invalid(text: &str, kind: ResourceKind) -> String {
    let err = check(text, kind).unwrap_err();
    assert_eq!(err.scim_type, Some("invalidFilter"), "{text}: {err}");
    err.detail
}

#[test]
fn validation_rejects_unknown_attributes() {
    assert!(invalid(r#"nosuch eq "x""#, ResourceKind::User).contains("nosuch"));
    invalid(r#"name.nosuch eq "x""#, ResourceKind::User);
    invalid(r#"userName eq "x""#, ResourceKind::Group);
    invalid(r#"urn:example:unknown:2.0:User:x eq "x""#, ResourceKind::User);
    invalid(r#"emails[nosuch eq "x"]"#, ResourceKind::User);
}

#[test]
fn validation_rejects_filtering_on_never_returned_attributes() {
    assert!(invalid(r#"password eq "t1meMa$heen""#, ResourceKind::User).contains("password"));
    invalid("password pr", ResourceKind::User);
}

#[test]
fn validation_rejects_ordering_on_booleans_and_complex_attributes() {
    invalid("active gt true", ResourceKind::User);
    invalid("active le false", ResourceKind::User);
    invalid(r#"name gt "x""#, ResourceKind::User);
    invalid(r#"emails lt "x""#, ResourceKind::User);
    invalid(r#"x509Certificates.value gt "AAAA""#, ResourceKind::User);
}

#[test]
fn validation_rejects_literals_of_the_wrong_type() {
    invalid(r#"active eq "true""#, ResourceKind::User);
    invalid("userName eq 12", ResourceKind::User);
    invalid(r#"meta.lastModified gt "yesterday""#, ResourceKind::User);
    invalid(r#"meta.lastModified gt "2011-05-13""#, ResourceKind::User);
    invalid(r#"active co "t""#, ResourceKind::User);
    invalid("title gt null", ResourceKind::User);
    invalid(r#"name eq "Barbara""#, ResourceKind::User);
}

#[test]
fn validation_records_type_and_case_exactness_per_comparison() {
    let TypedFilter::Compare { attr, value, .. } = check(r#"USERNAME eq "BJensen""#, ResourceKind::User).unwrap()
    else {
        panic!()
    };
    assert_eq!(attr.path, path("userName"));
    assert_eq!(
        (attr.attr_type(), attr.case_exact(), attr.multi_valued),
        (AttrType::String, false, false)
    );
    assert_eq!(value, TypedValue::String("BJensen".into()));

    let TypedFilter::Compare { attr, .. } = check(r#"id eq "x""#, ResourceKind::User).unwrap() else {
        panic!()
    };
    assert!(attr.case_exact());

    let TypedFilter::Compare { attr, value, .. } =
        check(r#"meta.lastModified gt "2011-05-13T04:42:34Z""#, ResourceKind::User).unwrap()
    else {
        panic!()
    };
    assert_eq!(attr.attr_type(), AttrType::DateTime);
    assert!(matches!(value, TypedValue::DateTime(t) if t.unix_timestamp() == 1_305_261_754));
}

#[test]
fn comparing_a_multi_valued_complex_attribute_targets_its_value_sub_attribute() {
    let TypedFilter::Compare { attr, .. } = check(r#"emails co "example.com""#, ResourceKind::User).unwrap() else {
        panic!()
    };
    assert_eq!(attr.path, path("emails.value"));
    assert!(attr.multi_valued);
}

#[test]
fn extension_attributes_resolve_with_or_without_their_urn() {
    for text in [
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#,
        r#"employeeNumber eq "701984""#,
        r#"URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:EMPLOYEENUMBER eq "701984""#,
    ] {
        let TypedFilter::Compare { attr, .. } = check(text, ResourceKind::User).unwrap() else {
            panic!()
        };
        assert_eq!(attr.path.urn.as_deref(), Some(ENTERPRISE_USER_SCHEMA));
        assert_eq!(attr.path.attr, "employeeNumber");
    }
}

#[test]
fn value_filters_are_checked_against_the_sub_attributes_of_their_attribute() {
    let TypedFilter::ValuePath { attr, filter } = check(r#"members[value eq "x"]"#, ResourceKind::Group).unwrap()
    else {
        panic!()
    };
    assert_eq!(attr.path, path("members"));
    let TypedFilter::Compare { attr: inner, .. } = *filter else {
        panic!()
    };
    assert_eq!(inner.path, path("value"));
}

fn bjensen() -> serde_json::Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER_SCHEMA],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "userName": "bjensen@example.com",
        "name": {"familyName": "O'Malley", "givenName": "Barbara"},
        "title": "Tour Guide",
        "userType": "Employee",
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "meta": {"lastModified": "2011-05-13T04:42:34Z"},
        ENTERPRISE_USER_SCHEMA: {"employeeNumber": "701984", "manager": {"value": "26118915"}}
    })
}

#[test]
fn typed_filters_evaluate_against_a_resource() {
    let user = bjensen();
    let yes = [
        r#"userName eq "BJENSEN@example.com""#,
        r#"name.familyName co "o'malley""#,
        "title pr",
        r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
        r#"emails[type eq "work"].value eq "bjensen@example.com""#,
        r#"emails co "jensen.org""#,
        r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
        r#"meta.lastModified lt "2011-05-13T05:00:00+00:10""#,
        "active eq true",
        r#"employeeNumber eq "701984""#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915""#,
        r#"nickName ne "x""#,
        "nickName eq null",
        r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
        r#"not (userName sw "x")"#,
    ];
    for text in yes {
        assert!(
            check(text, ResourceKind::User).unwrap().matches(&user),
            "{text} should match"
        );
    }
    let no = [
        r#"userName eq "other""#,
        "nickName pr",
        r#"emails[type eq "home" and value co "@example.com"]"#,
        r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
        "active eq false",
        r#"userName ne "bjensen@example.com""#,
        "title eq null",
    ];
    for text in no {
        assert!(
            !check(text, ResourceKind::User).unwrap().matches(&user),
            "{text} should not match"
        );
    }
}
