//! `[oidc]`: the OpenID Connect provider's signing algorithm and the lifetimes of what it
//! issues (issue 13: code 60 s, access token 10 minutes, refresh token 30 days by default).

use super::ConfigArgs;
use super::file::FileConfig;
use anyhow::bail;
use gatehouse_core::services::provider::ProviderPolicy;
use gatehouse_oidc::Alg;

/// The provider's settings.
#[derive(Debug, Clone, Copy)]
pub struct OidcConfig {
    /// The algorithm of new signing keys: ES256 (default), EdDSA or RS256.
    pub signing_alg: Alg,
    pub code_ttl_seconds: u32,
    pub access_token_ttl_seconds: u32,
    pub refresh_token_ttl_days: u32,
}

impl Default for OidcConfig {
    fn default() -> Self {
        Self {
            signing_alg: Alg::Es256,
            code_ttl_seconds: 60,
            access_token_ttl_seconds: 600,
            refresh_token_ttl_days: 30,
        }
    }
}

impl OidcConfig {
    pub(super) fn resolve(args: &ConfigArgs, file: &FileConfig) -> anyhow::Result<Self> {
        let d = Self::default();
        let f = &file.oidc;
        let signing_alg = match args.oidc_signing_alg.as_deref().or(f.signing_alg.as_deref()) {
            None => d.signing_alg,
            Some(s) => match s.to_ascii_lowercase().as_str() {
                "es256" => Alg::Es256,
                "eddsa" => Alg::EdDsa,
                "rs256" => Alg::Rs256,
                other => bail!("oidc signing_alg must be ES256, EdDSA or RS256, not {other:?}"),
            },
        };
        let pick = |flag: Option<u32>, key: Option<u32>, default: u32, name: &str, max: u32| {
            let v = flag.or(key).unwrap_or(default);
            if v == 0 || v > max {
                bail!("oidc {name} must be between 1 and {max}");
            }
            Ok(v)
        };
        Ok(Self {
            signing_alg,
            code_ttl_seconds: pick(
                args.oidc_code_ttl_seconds,
                f.code_ttl_seconds,
                60,
                "code_ttl_seconds",
                600,
            )?,
            access_token_ttl_seconds: pick(
                args.oidc_access_token_ttl_seconds,
                f.access_token_ttl_seconds,
                600,
                "access_token_ttl_seconds",
                86_400,
            )?,
            refresh_token_ttl_days: pick(
                args.oidc_refresh_token_ttl_days,
                f.refresh_token_ttl_days,
                30,
                "refresh_token_ttl_days",
                365,
            )?,
        })
    }

    /// The lifetimes as core's provider takes them.
    pub fn policy(&self) -> ProviderPolicy {
        ProviderPolicy {
            code_ttl_secs: i64::from(self.code_ttl_seconds),
            access_ttl_secs: i64::from(self.access_token_ttl_seconds),
            refresh_ttl_secs: i64::from(self.refresh_token_ttl_days) * 86_400,
        }
    }
}
