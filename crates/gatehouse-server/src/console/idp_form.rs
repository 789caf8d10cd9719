//! The identity provider form, shared by the single sign-on page (add a SAML or an OIDC
//! provider) and a provider's page (edit it): what an admin entered, turned into the same
//! `IdpInput` the admin API takes (so `sso::settings::spec_for` checks both alike), and what
//! the form's fields show when it is rendered again.

use crate::sso::settings::IdpInput;
use crate::web::pages::PageError;
use gatehouse_core::sso::{IdentityProvider, Protocol, Settings};

/// The form as an admin filled it in. It is read from the raw pairs of the body, because the
/// domain checkboxes repeat one name and the console's form reader (serde_urlencoded) does not
/// gather repeated keys into a struct's list.
#[derive(Default, Clone)]
#[expect(clippy::struct_excessive_bools, reason = "one bool per checkbox of the form")]
pub struct IdpForm {
    protocol: String,
    name: String,
    domains: Vec<String>,
    enforced: bool,
    allow_idp_initiated: bool,
    sign_requests: bool,
    map_groups: bool,
    metadata_xml: String,
    metadata_url: String,
    entity_id: String,
    sso_url: String,
    idp_slo_url: String,
    certificates: String,
    issuer: String,
    client_id: String,
    /// Never rendered back into a page (see `FormView`).
    client_secret: String,
    scopes: String,
}

/// Most domain checkboxes one form may carry (the core allows 50 domains per provider; more
/// pairs than this are not a form a person sent).
const MAX_DOMAIN_FIELDS: usize = 200;

/// Text given, or `None` for a blank field.
fn text(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// The PEM blocks of a text area: each `BEGIN … END CERTIFICATE` block is one certificate.
/// Text outside any block is kept as an entry of its own, so the service refuses it by name
/// instead of the form dropping it silently.
fn pem_blocks(s: &str) -> Vec<String> {
    const END: &str = "-----END CERTIFICATE-----";
    let mut out = Vec::new();
    let mut rest = s.trim();
    while let Some(at) = rest.find(END) {
        let (block, tail) = rest.split_at(at + END.len());
        out.push(block.trim().to_owned());
        rest = tail.trim();
    }
    if !rest.is_empty() {
        out.push(rest.to_owned());
    }
    out
}

impl IdpForm {
    /// Reads the form's pairs (the CSRF token was checked before). A box is ticked when its
    /// name is present; unknown names are passed over like any form's.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, PageError> {
        let mut f = Self::default();
        for (k, v) in pairs {
            match k.as_str() {
                "protocol" => f.protocol = v,
                "name" => f.name = v,
                "domain" => f.domains.push(v),
                "enforced" => f.enforced = true,
                "allow_idp_initiated" => f.allow_idp_initiated = true,
                "sign_requests" => f.sign_requests = true,
                "map_groups" => f.map_groups = true,
                "metadata_xml" => f.metadata_xml = v,
                "metadata_url" => f.metadata_url = v,
                "entity_id" => f.entity_id = v,
                "sso_url" => f.sso_url = v,
                "idp_slo_url" => f.idp_slo_url = v,
                "certificates" => f.certificates = v,
                "issuer" => f.issuer = v,
                "client_id" => f.client_id = v,
                "client_secret" => f.client_secret = v,
                "scopes" => f.scopes = v,
                _ => {}
            }
        }
        if f.domains.len() > MAX_DOMAIN_FIELDS {
            return Err(PageError::BadRequest("The form names too many domains.".into()));
        }
        Ok(f)
    }

    /// A blank "add" form of `protocol`: enforced, as the API's default.
    pub fn blank(protocol: Protocol) -> Self {
        Self {
            protocol: protocol.as_str().to_owned(),
            enforced: true,
            ..Self::default()
        }
    }

    /// The form filled in with a provider's settings today (no secret: it is never shown).
    pub fn of(idp: &IdentityProvider) -> Self {
        let mut f = Self {
            protocol: idp.protocol().as_str().to_owned(),
            name: idp.name.clone(),
            domains: idp.domains.clone(),
            enforced: idp.enforced,
            allow_idp_initiated: idp.allow_idp_initiated,
            map_groups: idp.map_groups,
            ..Self::default()
        };
        match &idp.settings {
            Settings::Saml(s) => {
                f.sign_requests = s.sign_requests;
                f.entity_id.clone_from(&s.entity_id);
                f.sso_url.clone_from(&s.sso_url);
                f.idp_slo_url = s.slo_url.clone().unwrap_or_default();
                f.certificates = s.certificates.join("\n");
            }
            Settings::Oidc(o) => {
                f.issuer.clone_from(&o.issuer);
                f.client_id.clone_from(&o.client_id);
                f.scopes = o.scopes.join(" ");
            }
        }
        f
    }

    /// The form of an existing provider of `protocol`: the edit form carries no protocol
    /// field (it cannot change), so the stored one decides which fields it shows again.
    #[must_use]
    pub fn of_protocol(mut self, protocol: Protocol) -> Self {
        protocol.as_str().clone_into(&mut self.protocol);
        self
    }

    /// The protocol the form says (the add forms carry it in a hidden field).
    pub fn protocol(&self) -> Option<Protocol> {
        Protocol::parse(self.protocol.trim())
    }

    /// The form as the admin API's input. `existing` is the provider being edited: then its
    /// protocol decides which fields are read (the form's own `protocol` is not trusted), the
    /// enforcement is left as it is (it has its own button) and a blank secret keeps the
    /// stored one. Metadata, when given, replaces the by-hand SAML fields ("or" on the form).
    pub fn input(&self, existing: Option<Protocol>) -> IdpInput {
        let protocol = existing.or_else(|| self.protocol());
        let mut input = IdpInput {
            name: Some(self.name.clone()),
            protocol: if existing.is_some() {
                None
            } else {
                Some(self.protocol.trim().to_owned())
            },
            domains: Some(self.domains.iter().map(|d| d.trim().to_owned()).collect()),
            enforced: existing.is_none().then_some(self.enforced),
            allow_idp_initiated: Some(self.allow_idp_initiated),
            map_groups: Some(self.map_groups),
            ..IdpInput::default()
        };
        match protocol {
            Some(Protocol::Saml) => {
                input.sign_requests = Some(self.sign_requests);
                input.metadata_xml = text(&self.metadata_xml);
                input.metadata_url = text(&self.metadata_url);
                if input.metadata_xml.is_none() && input.metadata_url.is_none() {
                    input.entity_id = text(&self.entity_id);
                    input.sso_url = text(&self.sso_url);
                    input.idp_slo_url = text(&self.idp_slo_url);
                    input.certificates = text(&self.certificates).map(|c| pem_blocks(&c));
                }
            }
            Some(Protocol::Oidc) => {
                input.issuer = text(&self.issuer);
                input.client_id = text(&self.client_id);
                // An empty secret field means "keep the stored one" on an edit; on an add,
                // the service says a secret is missing if the provider needs one.
                input.client_secret = (!self.client_secret.is_empty()).then(|| self.client_secret.clone());
                input.scopes = text(&self.scopes).map(|s| s.split_whitespace().map(str::to_owned).collect());
            }
            // No protocol: `spec_for` refuses the input by its `protocol` field.
            None => {}
        }
        input
    }
}

/// What the form's fields show. `p` prefixes the HTML ids, because the single sign-on page
/// holds two of these forms.
#[expect(clippy::struct_excessive_bools, reason = "one bool per checkbox of the form")]
pub struct FormView {
    pub p: &'static str,
    pub protocol: &'static str,
    pub name: String,
    /// The domain checkboxes: (name, ticked).
    pub domains: Vec<(String, bool)>,
    pub enforced: bool,
    pub allow_idp_initiated: bool,
    pub sign_requests: bool,
    pub map_groups: bool,
    pub metadata_xml: String,
    pub metadata_url: String,
    pub entity_id: String,
    pub sso_url: String,
    pub idp_slo_url: String,
    pub certificates: String,
    pub issuer: String,
    pub client_id: String,
    pub scopes: String,
    /// On an edit: whether a stored secret is kept when the field is left blank.
    pub secret_kept: bool,
    /// Whether the form adds a provider (then it shows the enforcement box).
    pub adding: bool,
}

impl FormView {
    /// `verified` are the organization's verified domains; a domain the form names that is
    /// not among them (no longer verified, say) is shown too, so nothing is dropped unseen.
    pub fn new(f: &IdpForm, p: &'static str, verified: &[String], adding: bool) -> Self {
        let mut names: Vec<String> = verified.to_vec();
        for d in &f.domains {
            if !names.iter().any(|n| n.eq_ignore_ascii_case(d.trim())) {
                names.push(d.trim().to_owned());
            }
        }
        let protocol = match f.protocol() {
            Some(Protocol::Saml) => "saml",
            _ => "oidc",
        };
        Self {
            p,
            protocol,
            name: f.name.clone(),
            domains: names
                .into_iter()
                .map(|n| {
                    let on = f.domains.iter().any(|d| d.trim().eq_ignore_ascii_case(&n));
                    (n, on)
                })
                .collect(),
            enforced: f.enforced,
            allow_idp_initiated: f.allow_idp_initiated,
            sign_requests: f.sign_requests,
            map_groups: f.map_groups,
            metadata_xml: f.metadata_xml.clone(),
            metadata_url: f.metadata_url.clone(),
            entity_id: f.entity_id.clone(),
            sso_url: f.sso_url.clone(),
            idp_slo_url: f.idp_slo_url.clone(),
            certificates: f.certificates.clone(),
            issuer: f.issuer.clone(),
            client_id: f.client_id.clone(),
            scopes: f.scopes.clone(),
            secret_kept: !adding,
            adding,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn read(p: &[(&str, &str)]) -> IdpForm {
        let Ok(f) = IdpForm::from_pairs(pairs(p)) else {
            panic!("the form is read")
        };
        f
    }

    #[test]
    fn repeated_domain_boxes_are_all_kept_and_unticked_boxes_are_false() {
        let f = read(&[
            ("protocol", "oidc"),
            ("name", "Okta"),
            ("domain", "a.test"),
            ("domain", "b.test"),
            ("issuer", "https://idp.test"),
            ("client_id", "gh"),
        ]);
        let input = f.input(None);
        assert_eq!(input.domains, Some(vec!["a.test".to_owned(), "b.test".to_owned()]));
        assert_eq!(input.enforced, Some(false), "an unticked box is false on an add");
        assert_eq!(input.protocol.as_deref(), Some("oidc"));
        assert!(input.client_secret.is_none(), "a blank secret is not sent");
        assert!(input.sign_requests.is_none(), "no SAML field on an OIDC form");
    }

    #[test]
    fn an_edit_reads_the_stored_protocol_and_leaves_enforcement_alone() {
        let f = read(&[
            ("protocol", "saml"),
            ("name", "Okta"),
            ("issuer", "https://idp.test"),
            ("sign_requests", "on"),
        ]);
        let input = f.input(Some(Protocol::Oidc));
        assert!(input.protocol.is_none() && input.enforced.is_none());
        assert!(input.sign_requests.is_none(), "the form's protocol is not trusted");
        assert_eq!(input.issuer.as_deref(), Some("https://idp.test"));
    }

    #[test]
    fn an_edit_form_shown_again_keeps_the_stored_protocol_s_fields() {
        let f = read(&[("name", "ADFS"), ("certificates", "not a certificate")]).of_protocol(Protocol::Saml);
        let v = FormView::new(&f, "edit-", &[], false);
        assert_eq!((v.protocol, v.certificates.as_str()), ("saml", "not a certificate"));
    }

    #[test]
    fn metadata_replaces_the_by_hand_saml_fields() {
        let f = read(&[
            ("protocol", "saml"),
            ("metadata_url", "https://idp.test/metadata"),
            ("entity_id", "urn:idp"),
        ]);
        let input = f.input(None);
        assert_eq!(input.metadata_url.as_deref(), Some("https://idp.test/metadata"));
        assert!(input.entity_id.is_none());
    }

    #[test]
    fn certificates_split_into_pem_blocks_and_stray_text_is_kept_for_the_service_to_refuse() {
        let a = "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----";
        let b = "-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----";
        assert_eq!(pem_blocks(&format!("{a}\n\n{b}\n")), vec![a, b]);
        assert_eq!(pem_blocks(&format!("{a}\nnot a cert")), vec![a, "not a cert"]);
        assert!(pem_blocks("  ").is_empty());
    }

    #[test]
    fn too_many_domain_boxes_are_refused() {
        let many: Vec<(String, String)> = (0..=MAX_DOMAIN_FIELDS)
            .map(|i| ("domain".to_owned(), format!("d{i}.test")))
            .collect();
        assert!(matches!(IdpForm::from_pairs(many), Err(PageError::BadRequest(_))));
    }

    #[test]
    fn the_view_shows_verified_domains_and_any_other_the_form_named() {
        let f = read(&[("domain", "old.test")]);
        let v = FormView::new(&f, "x-", &["new.test".to_owned()], true);
        assert_eq!(
            v.domains,
            vec![("new.test".to_owned(), false), ("old.test".to_owned(), true)]
        );
    }
}
