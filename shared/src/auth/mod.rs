//! Who is calling, and what they may do.
//!
//! In AWS the REST API's Cognito authorizer has verified the token before the function runs; the
//! function reads the verified claims from `requestContext.authorizer.claims` ([`Caller::from_claims`]).
//! [`jwt::JwtVerifier`] checks a token itself: the local server uses it as the authorizer, and a
//! function can use it as defence in depth.

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

/// Parses `cognito:groups` in every shape it arrives in: a JSON array (the token itself), a
/// comma-separated string (REST API authorizer claims) or `[a b]` (HTTP API claims).
pub fn parse_groups(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        Some(Value::String(text)) => text
            .trim_start_matches('[')
            .trim_end_matches(']')
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|g| !g.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

impl Caller {
    /// Builds the caller from verified claims (the authorizer's `claims` map or a verified token).
    pub fn from_claims(claims: &Map<String, Value>) -> Result<Caller, AuthError> {
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
            groups: parse_groups(claims.get("cognito:groups")),
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

    #[test]
    fn groups_are_read_in_every_shape_api_gateway_sends() {
        assert_eq!(
            parse_groups(Some(&json!(["Admin", "SalesManager"]))),
            vec!["Admin", "SalesManager"]
        );
        assert_eq!(
            parse_groups(Some(&json!("Admin,SalesManager"))),
            vec!["Admin", "SalesManager"]
        );
        assert_eq!(
            parse_groups(Some(&json!("[Admin SalesManager]"))),
            vec!["Admin", "SalesManager"]
        );
        assert!(parse_groups(None).is_empty());
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
