//! Single logout over the HTTP-Redirect binding (saml-core §3.7, saml-profiles §4.4).

use crate::config::{IdpConfig, Sp};
use crate::instant;
use crate::redirect::{self, Param, Query, QueryError};
use crate::request::{RequestError, check_id, check_relay_state};
use crate::xml::{self, NS_ASSERTION, NS_PROTOCOL, escape};

/// Success status (saml-core §3.2.2.2).
pub const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
/// Partial logout: not every session could be ended.
pub const STATUS_PARTIAL_LOGOUT: &str = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout";

/// How long after its IssueInstant a logout message is accepted (beside the clock skew): a
/// browser carries it from the IdP at once. A signed message found later (in a history, a log,
/// a proxy's records) no longer signs anybody out.
pub const LOGOUT_MESSAGE_SECS: i64 = 5 * 60;

/// An SP-initiated LogoutRequest.
#[derive(Debug, Clone, Copy)]
pub struct LogoutRequestSpec<'a> {
    /// The NameID the IdP gave for the session.
    pub name_id: &'a str,
    /// Its Format, as the IdP gave it.
    pub name_id_format: Option<&'a str>,
    /// The SessionIndex the IdP gave.
    pub session_index: Option<&'a str>,
    /// The caller's request id (`_` + random hex).
    pub request_id: &'a str,
    /// Now, unix ms.
    pub now_ms: i64,
    /// RelayState to carry.
    pub relay_state: Option<&'a str>,
    /// Sign with the SP key (saml-profiles §4.4.4.1 wants requests authenticated).
    pub sign: bool,
}

/// Our LogoutResponse to an IdP-initiated LogoutRequest.
#[derive(Debug, Clone, Copy)]
pub struct LogoutResponseSpec<'a> {
    /// The LogoutRequest's ID.
    pub in_response_to: &'a str,
    /// The status: [`STATUS_SUCCESS`] or [`STATUS_PARTIAL_LOGOUT`].
    pub status: &'a str,
    /// The caller's response id.
    pub response_id: &'a str,
    /// Now, unix ms.
    pub now_ms: i64,
    /// The RelayState the request carried.
    pub relay_state: Option<&'a str>,
    /// Sign with the SP key.
    pub sign: bool,
}

/// A logout message received from the IdP, its redirect signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoutMessage {
    /// IdP-initiated: end the session(s) of `name_id`, then answer with a LogoutResponse.
    Request {
        /// The request ID (our response's InResponseTo).
        id: String,
        /// The IdP entity id.
        issuer: String,
        /// The subject whose sessions end.
        name_id: String,
        /// The session to end; `None` means all of this subject's sessions from this IdP.
        session_index: Option<String>,
        /// The RelayState to return.
        relay_state: Option<String>,
    },
    /// The IdP's answer to our LogoutRequest.
    Response {
        /// Our request's ID.
        in_response_to: Option<String>,
        /// The top-level StatusCode value.
        status: String,
        /// The RelayState we sent.
        relay_state: Option<String>,
    },
}

/// Why a logout message was refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum LogoutError {
    /// Not a well-formed logout message (or a DTD, refused).
    #[error("malformed logout message: {0}")]
    Malformed(String),
    /// No SigAlg/Signature: saml-profiles §4.4.4 requires logout messages to be authenticated.
    #[error("the logout message is not signed")]
    Unsigned,
    /// The SigAlg is not allowed.
    #[error("signature algorithm not allowed: {0}")]
    WeakAlgorithm(String),
    /// The signature does not verify with the IdP's certificates.
    #[error("the logout message signature does not verify")]
    BadSignature,
    /// The Issuer is not the IdP.
    #[error("wrong issuer: {0}")]
    WrongIssuer(String),
    /// The Destination is not our SLO URL.
    #[error("wrong destination: {0}")]
    WrongDestination(String),
    /// Issued longer ago than [`LOGOUT_MESSAGE_SECS`] and the skew, or past its NotOnOrAfter.
    #[error("the logout message has expired")]
    Expired,
    /// Issued later than now and the skew.
    #[error("the logout message is not valid yet")]
    NotYetValid,
}

impl LogoutError {
    /// A stable reason name for the audit log.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed",
            Self::Unsigned => "unsigned",
            Self::WeakAlgorithm(_) => "weak_algorithm",
            Self::BadSignature => "bad_signature",
            Self::WrongIssuer(_) => "wrong_issuer",
            Self::WrongDestination(_) => "wrong_destination",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
        }
    }
}

/// The URL that sends the browser to the IdP's SLO endpoint with our LogoutRequest.
pub fn logout_request_redirect(
    sp: &Sp,
    idp_slo_url: &url::Url,
    spec: &LogoutRequestSpec<'_>,
) -> Result<url::Url, RequestError> {
    check_id(spec.request_id)?;
    check_relay_state(spec.relay_state)?;
    let format = spec
        .name_id_format
        .map(|f| format!(r#" Format="{}""#, escape(f)))
        .unwrap_or_default();
    let session = spec
        .session_index
        .map(|s| format!("<samlp:SessionIndex>{}</samlp:SessionIndex>", escape(s)))
        .unwrap_or_default();
    let xml = format!(
        concat!(
            r#"<samlp:LogoutRequest xmlns:samlp="{p}" xmlns:saml="{a}" ID="{id}" Version="2.0" "#,
            r#"IssueInstant="{at}" Destination="{dest}"><saml:Issuer>{issuer}</saml:Issuer>"#,
            r#"<saml:NameID{format}>{name_id}</saml:NameID>{session}</samlp:LogoutRequest>"#
        ),
        p = NS_PROTOCOL,
        a = NS_ASSERTION,
        id = spec.request_id,
        at = instant::format(spec.now_ms),
        dest = escape(idp_slo_url.as_str()),
        issuer = escape(&sp.entity_id),
        name_id = escape(spec.name_id),
        format = format,
        session = session,
    );
    let signer = spec.sign.then_some(&sp.credentials);
    Ok(redirect::url(
        idp_slo_url,
        Param::Request,
        &xml,
        spec.relay_state,
        signer,
    )?)
}

/// The URL that answers an IdP-initiated LogoutRequest.
pub fn logout_response_redirect(
    sp: &Sp,
    idp_slo_url: &url::Url,
    spec: &LogoutResponseSpec<'_>,
) -> Result<url::Url, RequestError> {
    check_id(spec.response_id)?;
    check_relay_state(spec.relay_state)?;
    let xml = format!(
        concat!(
            r#"<samlp:LogoutResponse xmlns:samlp="{p}" xmlns:saml="{a}" ID="{id}" Version="2.0" "#,
            r#"IssueInstant="{at}" Destination="{dest}" InResponseTo="{irt}">"#,
            r#"<saml:Issuer>{issuer}</saml:Issuer><samlp:Status><samlp:StatusCode Value="{status}"/>"#,
            r#"</samlp:Status></samlp:LogoutResponse>"#
        ),
        p = NS_PROTOCOL,
        a = NS_ASSERTION,
        id = spec.response_id,
        at = instant::format(spec.now_ms),
        dest = escape(idp_slo_url.as_str()),
        irt = escape(spec.in_response_to),
        issuer = escape(&sp.entity_id),
        status = escape(spec.status),
    );
    let signer = spec.sign.then_some(&sp.credentials);
    Ok(redirect::url(
        idp_slo_url,
        Param::Response,
        &xml,
        spec.relay_state,
        signer,
    )?)
}

/// Reads a LogoutRequest or LogoutResponse from the query of a request to our SLO URL,
/// verifying its redirect-binding signature against the IdP's certificates first, then its
/// times at `now_ms` (unix ms) with [`crate::DEFAULT_SKEW_SECS`] of skew.
pub fn parse_logout_message(query: &str, sp: &Sp, idp: &IdpConfig, now_ms: i64) -> Result<LogoutMessage, LogoutError> {
    let q = Query::parse(query).map_err(query_error)?;
    let (param, encoded) = q.message().map_err(query_error)?;
    q.verify(param, &idp.certificates, idp.allow_sha1)
        .map_err(query_error)?;
    let text = redirect::inflate_b64(&encoded).ok_or_else(|| LogoutError::Malformed("not DEFLATE base64".into()))?;
    let doc = xml::parse(&text).map_err(|e| LogoutError::Malformed(format!("{e:?}")))?;
    let root = doc.root_element();
    let issuer = xml::child(root, NS_ASSERTION, "Issuer")
        .and_then(xml::text_trimmed)
        .unwrap_or_default();
    if issuer != idp.entity_id {
        return Err(LogoutError::WrongIssuer(issuer));
    }
    if let Some(dest) = root.attribute("Destination")
        && dest != sp.slo_url
    {
        return Err(LogoutError::WrongDestination(dest.to_owned()));
    }
    check_times(root, now_ms)?;
    let relay_state = q.get("RelayState");
    let missing = |what: &str| LogoutError::Malformed(format!("no {what}"));
    match (param, root.tag_name().name()) {
        (Param::Request, "LogoutRequest") if root.tag_name().namespace() == Some(NS_PROTOCOL) => {
            let name_id = xml::child(root, NS_ASSERTION, "NameID").ok_or_else(|| missing("NameID"))?;
            Ok(LogoutMessage::Request {
                id: root.attribute("ID").ok_or_else(|| missing("ID"))?.to_owned(),
                issuer,
                name_id: xml::text_trimmed(name_id).ok_or_else(|| missing("plain NameID"))?,
                session_index: xml::child(root, NS_PROTOCOL, "SessionIndex").and_then(xml::text_trimmed),
                relay_state,
            })
        }
        (Param::Response, "LogoutResponse") if root.tag_name().namespace() == Some(NS_PROTOCOL) => {
            let status = xml::child(root, NS_PROTOCOL, "Status")
                .and_then(|s| xml::child(s, NS_PROTOCOL, "StatusCode"))
                .and_then(|c| c.attribute("Value"))
                .ok_or_else(|| missing("StatusCode"))?;
            Ok(LogoutMessage::Response {
                in_response_to: root.attribute("InResponseTo").map(str::to_owned),
                status: status.to_owned(),
                relay_state,
            })
        }
        _ => Err(LogoutError::Malformed("not a logout message".into())),
    }
}

/// IssueInstant (required, saml-core §3.2.1 and §3.2.2) within [`LOGOUT_MESSAGE_SECS`] of now,
/// and a request's NotOnOrAfter (optional, §3.7.1) not passed, each with the skew.
fn check_times(root: roxmltree::Node<'_, '_>, now_ms: i64) -> Result<(), LogoutError> {
    let skew = crate::DEFAULT_SKEW_SECS * 1000;
    let issued = root
        .attribute("IssueInstant")
        .and_then(instant::parse)
        .ok_or_else(|| LogoutError::Malformed("no IssueInstant in UTC".into()))?;
    if issued > now_ms + skew {
        return Err(LogoutError::NotYetValid);
    }
    if now_ms > issued + LOGOUT_MESSAGE_SECS * 1000 + skew {
        return Err(LogoutError::Expired);
    }
    if let Some(text) = root.attribute("NotOnOrAfter") {
        let until =
            instant::parse(text).ok_or_else(|| LogoutError::Malformed("NotOnOrAfter is not a UTC time".into()))?;
        if now_ms >= until + skew {
            return Err(LogoutError::Expired);
        }
    }
    Ok(())
}

fn query_error(e: QueryError) -> LogoutError {
    match e {
        QueryError::Malformed(m) => LogoutError::Malformed(m.into()),
        QueryError::Unsigned => LogoutError::Unsigned,
        QueryError::WeakAlgorithm(a) => LogoutError::WeakAlgorithm(a),
        QueryError::BadSignature => LogoutError::BadSignature,
    }
}
