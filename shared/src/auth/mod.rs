//! Who is calling, and what they may do.
//!
//! In AWS the API's Lambda TOKEN authorizer (`auth::authorizer`, the `authorizer` function) has
//! verified the token before the function runs; the function reads the verified claims from
//! `requestContext.authorizer.claims` (a JSON string from that authorizer, an object in the
//! Cognito authorizer's shape) and the groups from the verified token itself
//! ([`Caller::from_request`]), and accepts only its own app clients and token kinds
//! ([`ClientPolicy`], defence in depth). [`jwt::JwtVerifier`] checks a token itself: the
//! authorizer and the local server use it.

#[cfg(feature = "jwt-verifier")]
pub mod authorizer;
#[cfg(feature = "jwt-verifier")]
pub mod jwt;

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// The Cognito group of Sales Managers.
pub const SALES_MANAGER: &str = "SalesManager";
/// The Cognito group of Admins.
pub const ADMIN: &str = "Admin";

/// Why a caller could not be identified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No credentials at all.
    #[error("missing bearer token")]
    Missing,
    /// Credentials that do not check out (malformed, expired, bad signature, wrong audience...).
    #[error("invalid token: {0}")]
    Invalid(String),
    /// The issuer's signing keys could not be fetched: nothing is known about the token, so this
    /// is the service's failure (a 500), not the caller's.
    #[error("the signing keys are unavailable: {0}")]
    KeysUnavailable(String),
}

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Caller {
    /// Cognito `sub`: the stable user id.
    pub id: String,
    /// E-mail address, when the token carries one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Display name, when the token carries one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Cognito groups (`SalesManager`, `Admin`, ...).
    pub groups: Vec<String>,
}

/// Reads a claim that API Gateway may have flattened to a string.
fn claim_text(claims: &Map<String, Value>, name: &str) -> Option<String> {
    match claims.get(name)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A group name that reads the same however a list of names is joined: nothing but ASCII
/// letters, digits, `_` and `-` (no commas, brackets or spaces).
fn is_plain_group_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The claims a token in the `Authorization` header must share with the authorizer's claims to
/// be the token the authorizer verified (when the authorizer passed them on).
const BINDING_CLAIMS: &[&str] = &["sub", "iss", "token_use", "aud", "client_id", "jti", "origin_jti"];

/// Decodes a JWT's payload without checking its signature (the authorizer checked it).
fn token_payload(token: &str) -> Option<Map<String, Value>> {
    use base64::Engine;
    let mut parts = token.split('.');
    let (Some(_header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// `exp` as the authorizer passes it: seconds (the local server, HTTP APIs) or the REST API's
/// `Sun Nov 22 11:15:30 UTC 2026`.
fn claim_epoch(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(text) => text.parse().ok().or_else(|| {
            let format = time::macros::format_description!(
                "[weekday repr:short] [month repr:short] [day] [hour]:[minute]:[second] UTC [year]"
            );
            time::PrimitiveDateTime::parse(text, format)
                .ok()
                .map(|at| at.assume_utc().unix_timestamp())
        }),
        _ => None,
    }
}

/// Groups as the authorizer passed them, when no token can be read: a JSON array as such; a
/// string only when it is one plain name (or empty), since `a,b` may be two groups or one.
fn groups_from_claims(value: Option<&Value>) -> Result<Vec<String>, AuthError> {
    match value {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| AuthError::Invalid("cognito:groups holds something other than names".into())),
        Some(Value::String(text)) if text.is_empty() => Ok(Vec::new()),
        Some(Value::String(text)) if is_plain_group_name(text) => Ok(vec![text.clone()]),
        Some(_) => Err(AuthError::Invalid(
            "cognito:groups cannot be read unambiguously from the authorizer's claims and no token is present".into(),
        )),
    }
}

/// The groups of a token's own payload: a JSON array of names, each taken whole.
fn groups_from_token(payload: &Map<String, Value>) -> Result<Vec<String>, AuthError> {
    match payload.get("cognito:groups") {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| AuthError::Invalid("the token's cognito:groups holds something other than names".into())),
        Some(_) => Err(AuthError::Invalid("the token's cognito:groups is not a list".into())),
    }
}

/// Checks that `payload` is the token the authorizer's `claims` came from.
fn check_binding(claims: &Map<String, Value>, payload: &Map<String, Value>) -> Result<(), AuthError> {
    let mismatch = |name: &str| {
        AuthError::Invalid(format!(
            "the token in the Authorization header is not the one the authorizer verified ({name} differs)"
        ))
    };
    for name in BINDING_CLAIMS {
        if let Some(expected) = claim_text(claims, name)
            && claim_text(payload, name).as_deref() != Some(expected.as_str())
        {
            return Err(mismatch(name));
        }
    }
    if claim_text(claims, "sub").is_none() {
        return Err(mismatch("sub"));
    }
    // `exp` only where its rendering is understood: `jti` and `sub` already bind the token, and
    // an unforeseen date format must not refuse every caller.
    if let Some(expected) = claims.get("exp").and_then(claim_epoch)
        && payload.get("exp").and_then(claim_epoch) != Some(expected)
    {
        return Err(mismatch("exp"));
    }
    Ok(())
}

/// Which app clients and token kinds the functions accept, from the authorizer's claims.
///
/// The API's Lambda authorizer already accepts only these (`auth::authorizer`); the functions check
/// again (defence in depth: a Cognito user-pool authorizer, or a misconfigured one, would pass a
/// token of any app client of the pool): `OMS_COGNITO_APP_CLIENT_IDS` (comma-separated; the `aud`
/// of ID tokens, the `client_id` of access tokens) and `OMS_COGNITO_TOKEN_USES` (`id`, `access` or
/// both; refresh tokens never).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientPolicy {
    /// Accepted app client ids; empty accepts any (only outside AWS: a Data API configuration
    /// without them fails its cold start).
    pub app_client_ids: Vec<String>,
    /// Accepted `token_use` values; empty accepts `id` and `access` (and, with no app clients
    /// either, whatever the authorizer passed but a refresh token).
    pub token_uses: Vec<String>,
}

impl ClientPolicy {
    /// Parses the two settings (each comma-separated; blank entries ignored).
    pub fn parse(app_client_ids: Option<&str>, token_uses: Option<&str>) -> Result<ClientPolicy, String> {
        let list = |text: Option<&str>| -> Vec<String> {
            text.unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let token_uses = list(token_uses);
        if let Some(bad) = token_uses.iter().find(|u| !["id", "access"].contains(&u.as_str())) {
            return Err(format!("OMS_COGNITO_TOKEN_USES accepts id and access, not {bad:?}"));
        }
        Ok(ClientPolicy {
            app_client_ids: list(app_client_ids),
            token_uses,
        })
    }

    /// Refuses a token of a kind or an app client this API does not accept.
    pub fn check(&self, claims: &Map<String, Value>) -> Result<(), AuthError> {
        let token_use = claim_text(claims, "token_use").unwrap_or_default();
        if self.app_client_ids.is_empty() && self.token_uses.is_empty() {
            // Unconfigured (outside AWS only): what the authorizer passed, but never a refresh token.
            return if token_use == "refresh" {
                Err(AuthError::Invalid("token_use \"refresh\" is not accepted".into()))
            } else {
                Ok(())
            };
        }
        let accepted = if self.token_uses.is_empty() {
            ["id", "access"].contains(&token_use.as_str())
        } else {
            self.token_uses.contains(&token_use)
        };
        if !accepted {
            return Err(AuthError::Invalid(format!("token_use {token_use:?} is not accepted")));
        }
        if self.app_client_ids.is_empty() {
            return Ok(());
        }
        let client = match token_use.as_str() {
            "access" => claim_text(claims, "client_id"),
            _ => claim_text(claims, "aud"),
        };
        if client.is_some_and(|c| self.app_client_ids.contains(&c)) {
            Ok(())
        } else {
            Err(AuthError::Invalid("the token was issued for another app client".into()))
        }
    }
}

impl Caller {
    /// Builds the caller from the authorizer's claims and the request's `Authorization` header
    /// values.
    ///
    /// The groups rule: a group name may contain commas and brackets in Cognito, and the REST
    /// API's authorizer joins `cognito:groups` into one comma-separated string, so that string
    /// cannot tell the group `Partners,Admin` from the groups `Partners` and `Admin`. The groups
    /// are therefore read from the verified token itself, which the function receives in the
    /// `Authorization` header (the authorizer's identity source): its payload is decoded (the
    /// authorizer checked the signature) and must agree with the authorizer's claims on `sub`,
    /// `iss`, `token_use`, `aud`, `client_id`, `jti`, `origin_jti` (each where the claims carry
    /// it) and `exp` (where its rendering parses: seconds or `Sun Nov 22 11:15:30 UTC 2026`); its
    /// `cognito:groups` JSON array is taken name by name, each compared whole. Without a token in
    /// the header the claims' groups are accepted only as a JSON array or as one plain name
    /// (ASCII letters, digits, `_`, `-`). Anything else (two `Authorization` headers, a header
    /// that is not a readable token, a token that disagrees with the claims, groups that cannot
    /// be read unambiguously) is a 401.
    pub fn from_request(claims: &Map<String, Value>, authorization: &[&str]) -> Result<Caller, AuthError> {
        let groups = match authorization {
            [] => groups_from_claims(claims.get("cognito:groups"))?,
            [value] => {
                let value = value.trim();
                let token = match value.split_once(' ') {
                    Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
                    _ => value,
                };
                let payload = token_payload(token).ok_or_else(|| {
                    AuthError::Invalid("the Authorization header does not carry a readable token".into())
                })?;
                check_binding(claims, &payload)?;
                groups_from_token(&payload)?
            }
            _ => return Err(AuthError::Invalid("more than one Authorization header".into())),
        };
        Self::with_groups(claims, groups)
    }

    /// Builds the caller from claims whose `cognito:groups` is a JSON array or one plain name (a
    /// verified token's own claims; see [`Caller::from_request`] for the authorizer's).
    pub fn from_claims(claims: &Map<String, Value>) -> Result<Caller, AuthError> {
        Self::with_groups(claims, groups_from_claims(claims.get("cognito:groups"))?)
    }

    fn with_groups(claims: &Map<String, Value>, groups: Vec<String>) -> Result<Caller, AuthError> {
        let id = claim_text(claims, "sub").ok_or_else(|| AuthError::Invalid("the token has no sub claim".into()))?;
        let name = claim_text(claims, "name").or_else(|| {
            match (claim_text(claims, "given_name"), claim_text(claims, "family_name")) {
                (Some(g), Some(f)) => Some(format!("{g} {f}")),
                (Some(g), None) => Some(g),
                (None, f) => f,
            }
        });
        Ok(Caller {
            id,
            email: claim_text(claims, "email"),
            name,
            groups,
        })
    }

    /// Member of `Admin`.
    pub fn is_admin(&self) -> bool {
        self.groups.iter().any(|g| g == ADMIN)
    }

    /// Member of `SalesManager`.
    pub fn is_sales_manager(&self) -> bool {
        self.groups.iter().any(|g| g == SALES_MANAGER)
    }

    /// May work with opportunities at all (Sales Managers and Admins).
    pub fn can_manage_opportunities(&self) -> bool {
        self.is_admin() || self.is_sales_manager()
    }

    /// May see this owner's opportunities: Admins see all, Sales Managers their own.
    pub fn can_access(&self, owner_sub: &str) -> bool {
        self.is_admin() || (self.is_sales_manager() && self.id == owner_sub)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    /// A JWT with `payload` (the signature is not the function's to check).
    fn token(payload: Value) -> String {
        use base64::Engine;
        let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "Bearer {}.{}.c2lnbmF0dXJl",
            b64(&json!({"alg": "RS256", "kid": "k"})),
            b64(&payload)
        )
    }

    fn authorizer_claims() -> Map<String, Value> {
        claims(json!({
            "sub": "u1", "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12Cd34E",
            "token_use": "id", "aud": "app", "jti": "j1", "cognito:groups": "Partners,Admin",
            "exp": "Sun Nov 22 11:15:30 UTC 2026"
        }))
    }

    fn token_payload_for(groups: Value) -> Value {
        json!({
            "sub": "u1", "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12Cd34E",
            "token_use": "id", "aud": "app", "jti": "j1", "cognito:groups": groups, "exp": 1_795_346_130
        })
    }

    #[test]
    fn a_group_named_with_a_comma_grants_no_other_group() {
        let header = token(token_payload_for(json!(["Partners,Admin"])));
        let caller = Caller::from_request(&authorizer_claims(), &[&header]).unwrap();
        assert_eq!(caller.groups, vec!["Partners,Admin"]);
        assert!(!caller.is_admin());
        let two = token(token_payload_for(json!(["Partners", "Admin"])));
        assert!(Caller::from_request(&authorizer_claims(), &[&two]).unwrap().is_admin());
    }

    #[test]
    fn flattened_groups_without_a_token_are_taken_only_when_unambiguous() {
        let mut claims = authorizer_claims();
        assert!(
            Caller::from_request(&claims, &[]).is_err(),
            "Partners,Admin is ambiguous"
        );
        for ambiguous in ["[Admin SalesManager]", "Admin SalesManager", "Admin,SalesManager"] {
            claims.insert("cognito:groups".into(), json!(ambiguous));
            assert!(Caller::from_request(&claims, &[]).is_err(), "{ambiguous}");
        }
        claims.insert("cognito:groups".into(), json!("SalesManager"));
        assert_eq!(Caller::from_request(&claims, &[]).unwrap().groups, vec!["SalesManager"]);
        claims.insert("cognito:groups".into(), json!(["Admin", "SalesManager"]));
        assert!(Caller::from_request(&claims, &[]).unwrap().is_admin());
        claims.remove("cognito:groups");
        assert!(Caller::from_request(&claims, &[]).unwrap().groups.is_empty());
    }

    #[test]
    fn a_token_that_is_not_the_one_the_authorizer_verified_is_refused() {
        for (name, value) in [
            ("sub", json!("someone-else")),
            ("iss", json!("https://evil.example")),
            ("token_use", json!("access")),
            ("aud", json!("other-app")),
            ("jti", json!("j2")),
            ("exp", json!(1_795_346_131)),
        ] {
            let mut payload = token_payload_for(json!(["Admin"]));
            payload[name] = value;
            let header = token(payload);
            let error = Caller::from_request(&authorizer_claims(), &[&header]).unwrap_err();
            assert!(error.to_string().contains(name), "{name}: {error}");
        }
        let good = token(token_payload_for(json!(["Admin"])));
        assert!(
            Caller::from_request(&authorizer_claims(), &[&good, &good]).is_err(),
            "two headers"
        );
        assert!(Caller::from_request(&authorizer_claims(), &["Bearer not-a-jwt"]).is_err());
        let not_a_list = token(token_payload_for(json!("Admin")));
        assert!(Caller::from_request(&authorizer_claims(), &[&not_a_list]).is_err());
        let bare = good.trim_start_matches("Bearer ").to_owned();
        assert!(Caller::from_request(&authorizer_claims(), &[&bare]).unwrap().is_admin());
    }

    #[test]
    fn expiry_is_compared_in_both_shapes_the_authorizer_renders_it() {
        assert_eq!(claim_epoch(&json!("Sun Nov 22 11:15:30 UTC 2026")), Some(1_795_346_130));
        assert_eq!(claim_epoch(&json!("1795346130")), Some(1_795_346_130));
        assert_eq!(claim_epoch(&json!("yesterday")), None);
    }

    #[test]
    fn only_the_configured_app_clients_and_token_uses_pass() {
        let policy = ClientPolicy::parse(Some("app, second"), Some("id,access")).unwrap();
        let id = claims(json!({"sub": "u", "token_use": "id", "aud": "app"}));
        assert!(policy.check(&id).is_ok());
        let foreign = claims(json!({"sub": "u", "token_use": "id", "aud": "another-app"}));
        assert!(policy.check(&foreign).is_err());
        let access = claims(json!({"sub": "u", "token_use": "access", "client_id": "second", "aud": "ignored"}));
        assert!(policy.check(&access).is_ok());
        let access_without_client = claims(json!({"sub": "u", "token_use": "access", "aud": "app"}));
        assert!(
            policy.check(&access_without_client).is_err(),
            "aud is not an access token's client"
        );
        let refresh = claims(json!({"sub": "u", "token_use": "refresh", "aud": "app"}));
        assert!(policy.check(&refresh).is_err());
        let no_use = claims(json!({"sub": "u", "aud": "app"}));
        assert!(policy.check(&no_use).is_err());
        let id_only = ClientPolicy::parse(Some("app"), Some("id")).unwrap();
        let access = claims(json!({"sub": "u", "token_use": "access", "client_id": "app"}));
        assert!(id_only.check(&access).is_err());
        assert!(ClientPolicy::parse(None, Some("refresh")).is_err());
        assert!(
            ClientPolicy::default().check(&foreign).is_ok(),
            "unconfigured: any client"
        );
        assert!(
            ClientPolicy::default().check(&no_use).is_ok(),
            "unconfigured: what the authorizer passed"
        );
        assert!(
            ClientPolicy::default().check(&refresh).is_err(),
            "but never a refresh token"
        );
    }

    #[test]
    fn sales_managers_access_only_their_own_and_admins_everything() {
        let sm = Caller::from_claims(&claims(json!({"sub": "u1", "cognito:groups": "SalesManager"}))).unwrap();
        assert!(sm.can_access("u1"));
        assert!(!sm.can_access("u2"));
        let admin = Caller::from_claims(&claims(json!({"sub": "a", "cognito:groups": "Admin"}))).unwrap();
        assert!(admin.can_access("u2"));
        let nobody = Caller::from_claims(&claims(json!({"sub": "n"}))).unwrap();
        assert!(!nobody.can_manage_opportunities());
        assert!(!nobody.can_access("n"));
    }

    #[test]
    fn a_caller_needs_a_subject() {
        assert!(Caller::from_claims(&claims(json!({"email": "x@example.com"}))).is_err());
    }
}
