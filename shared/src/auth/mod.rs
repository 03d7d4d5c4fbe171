//! Who is calling, and what they may do.
//!
//! In AWS an authorizer has verified the token before the function runs: API Gateway's own
//! Cognito authorizer or the API's Lambda TOKEN authorizer (`auth::authorizer`, the `authorizer`
//! function). The function takes the caller from what that authorizer verified, in
//! `requestContext.authorizer.claims`, and from nothing the client sent ([`Caller::from_verified`]),
//! re-checks `exp`, and accepts only its own app clients and token kinds ([`ClientPolicy`],
//! defence in depth). [`jwt::JwtVerifier`] checks a token itself: the Lambda authorizer and the
//! local server use it.

#[cfg(feature = "jwt-verifier")]
pub mod authorizer;
#[cfg(feature = "jwt-verifier")]
pub mod jwt;

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// What an `Authorization` header must look like before any authorizer runs: `Bearer` (any
/// case), spaces, a JWT's three base64url parts. The template's `ValidationExpression` (API Gateway
/// refuses anything else with 401 without invoking the authorizer) and the local server apply it.
pub const AUTHORIZATION_PATTERN: &str = r"^[Bb][Ee][Aa][Rr][Ee][Rr] +[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+ *$";

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

/// `exp` as the authorizers pass it: seconds (our Lambda authorizer, the local server), the same
/// as a string, or the REST API Cognito authorizer's `Sun Nov 22 11:15:30 UTC 2026`.
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

/// Which authorizer handed the verified claims over, and so how they are written.
///
/// Both shapes sit in `requestContext.authorizer`, which only API Gateway writes: a client can
/// send headers, never a request context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimsSource {
    /// The API's Lambda TOKEN authorizer ([`authorizer`]): the verified claims as one JSON string,
    /// `cognito:groups` a JSON array of names, each taken whole.
    LambdaAuthorizer,
    /// API Gateway's own `COGNITO_USER_POOLS` authorizer: an object whose values are strings,
    /// `cognito:groups` the names joined with commas.
    CognitoUserPools,
}

/// The groups as the authorizer wrote them.
///
/// The native Cognito authorizer joins names with commas, so a group whose own name has a comma
/// cannot be told from two groups: such a string (or anything that is not plain names: brackets,
/// spaces) is refused. Group names are made by the pool's administrators (`cognito-idp:CreateGroup`),
/// who can put anyone in `Admin` anyway, so this is a configuration rule (docs/SECURITY.md), not a
/// way in for a user. The Lambda authorizer's JSON array has no such limit.
fn verified_groups(value: Option<&Value>, source: ClaimsSource) -> Result<Vec<String>, AuthError> {
    let unreadable =
        || AuthError::Invalid("cognito:groups cannot be read unambiguously from the authorizer's claims".into());
    match (value, source) {
        (None, _) => Ok(Vec::new()),
        (Some(Value::Array(items)), _) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(unreadable),
        (Some(Value::String(text)), ClaimsSource::CognitoUserPools) if text.is_empty() => Ok(Vec::new()),
        (Some(Value::String(text)), ClaimsSource::CognitoUserPools) => text
            .split(',')
            .map(|name| is_plain_group_name(name).then(|| name.to_owned()))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(unreadable),
        (Some(_), _) => Err(unreadable()),
    }
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
    /// Builds the caller from what the authorizer verified, and nothing else: `sub`, e-mail,
    /// name and groups from its claims, written as `source` writes them ([`ClaimsSource`]).
    ///
    /// The token in the request's `Authorization` header is never read here: a client can put
    /// anything there (a second header with an edited payload, say), while the claims are the
    /// authorizer's. `exp` is checked again against `now` (Unix seconds), because API Gateway
    /// caches an authorizer's Allow for a while and would otherwise let an expired token through
    /// until the cache entry lapses; claims without an `exp` are refused (both authorizers
    /// always pass it).
    pub fn from_verified(claims: &Map<String, Value>, source: ClaimsSource, now: i64) -> Result<Caller, AuthError> {
        match claims.get("exp").and_then(claim_epoch) {
            None => return Err(AuthError::Invalid("the verified claims carry no readable exp".into())),
            Some(exp) if exp <= now => return Err(AuthError::Invalid("the token has expired".into())),
            Some(_) => {}
        }
        Self::with_groups(claims, verified_groups(claims.get("cognito:groups"), source)?)
    }

    /// Builds the caller from a token's own verified claims (the local server's development
    /// endpoints, which check the token themselves): `cognito:groups` a JSON array.
    pub fn from_claims(claims: &Map<String, Value>) -> Result<Caller, AuthError> {
        Self::with_groups(
            claims,
            verified_groups(claims.get("cognito:groups"), ClaimsSource::LambdaAuthorizer)?,
        )
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

    /// 2026-11-22T11:15:30Z, the `exp` of the claims below.
    const EXP: i64 = 1_795_346_130;

    /// What API Gateway's Cognito authorizer passes on: every value a string.
    fn cognito_claims(groups: &str) -> Map<String, Value> {
        claims(json!({
            "sub": "u1", "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12Cd34E",
            "token_use": "access", "client_id": "app", "cognito:groups": groups,
            "exp": "Sun Nov 22 11:15:30 UTC 2026"
        }))
    }

    /// What the Lambda authorizer passes on (parsed from its JSON string).
    fn lambda_claims(groups: Value) -> Map<String, Value> {
        claims(json!({
            "sub": "u1", "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12Cd34E",
            "token_use": "id", "aud": "app", "cognito:groups": groups, "exp": EXP
        }))
    }

    #[test]
    fn groups_come_from_the_lambda_authorizers_list_name_by_name() {
        let caller = Caller::from_verified(
            &lambda_claims(json!(["Partners,Admin"])),
            ClaimsSource::LambdaAuthorizer,
            EXP - 1,
        )
        .unwrap();
        assert_eq!(caller.groups, vec!["Partners,Admin"]);
        assert!(!caller.is_admin(), "a group named with a comma grants no other group");
        let two = lambda_claims(json!(["Partners", "Admin"]));
        assert!(
            Caller::from_verified(&two, ClaimsSource::LambdaAuthorizer, EXP - 1)
                .unwrap()
                .is_admin()
        );
        let flattened = lambda_claims(json!("Admin"));
        assert!(
            Caller::from_verified(&flattened, ClaimsSource::LambdaAuthorizer, EXP - 1).is_err(),
            "the Lambda authorizer always writes a list"
        );
    }

    #[test]
    fn groups_come_from_the_cognito_authorizers_joined_names_only_when_plain() {
        let read = |groups: &str| {
            Caller::from_verified(&cognito_claims(groups), ClaimsSource::CognitoUserPools, EXP - 1)
                .map(|caller| caller.groups)
        };
        assert_eq!(read("SalesManager").unwrap(), vec!["SalesManager"]);
        assert_eq!(read("SalesManager,Admin").unwrap(), vec!["SalesManager", "Admin"]);
        assert!(read("").unwrap().is_empty());
        for unreadable in [
            "[Admin SalesManager]",
            "Admin SalesManager",
            "Admin,",
            ",Admin",
            "Admin, SalesManager",
        ] {
            assert!(read(unreadable).is_err(), "{unreadable}");
        }
        let mut no_groups = cognito_claims("");
        no_groups.remove("cognito:groups");
        assert!(
            Caller::from_verified(&no_groups, ClaimsSource::CognitoUserPools, EXP - 1)
                .unwrap()
                .groups
                .is_empty()
        );
    }

    #[test]
    fn an_expired_or_undated_token_is_refused_even_when_the_authorizer_let_it_through() {
        let fresh = lambda_claims(json!(["Admin"]));
        assert!(Caller::from_verified(&fresh, ClaimsSource::LambdaAuthorizer, EXP - 1).is_ok());
        for now in [EXP, EXP + 300] {
            let error = Caller::from_verified(&fresh, ClaimsSource::LambdaAuthorizer, now).unwrap_err();
            assert!(error.to_string().contains("expired"), "{error}");
        }
        let cognito = cognito_claims("Admin");
        assert!(Caller::from_verified(&cognito, ClaimsSource::CognitoUserPools, EXP - 1).is_ok());
        assert!(Caller::from_verified(&cognito, ClaimsSource::CognitoUserPools, EXP).is_err());
        let mut undated = fresh.clone();
        undated.remove("exp");
        assert!(Caller::from_verified(&undated, ClaimsSource::LambdaAuthorizer, 0).is_err());
        undated.insert("exp".into(), json!("tomorrow"));
        assert!(Caller::from_verified(&undated, ClaimsSource::LambdaAuthorizer, 0).is_err());
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
        let sm = Caller::from_claims(&claims(json!({"sub": "u1", "cognito:groups": ["SalesManager"]}))).unwrap();
        assert!(sm.can_access("u1"));
        assert!(!sm.can_access("u2"));
        let admin = Caller::from_claims(&claims(json!({"sub": "a", "cognito:groups": ["Admin"]}))).unwrap();
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
