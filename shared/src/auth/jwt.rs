//! Verifies Cognito-style RS256 tokens against a JWKS, as API Gateway's Cognito authorizer does:
//! signature, `iss`, expiry, `token_use`, and the app client (`aud` for ID tokens, `client_id` for
//! access tokens). Keys are cached; an unknown `kid` triggers at most one refresh a minute.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::{Map, Value};
use tokio::sync::RwLock;

use super::AuthError;

/// Where signing keys come from.
#[derive(Clone)]
pub enum KeySource {
    /// A fixed key set (the local server's own issuer).
    Static(JwkSet),
    /// A JWKS URL (Cognito: `https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json`).
    Url(String),
}

/// What a token must say to be accepted.
#[derive(Debug, Clone)]
pub struct TokenPolicy {
    /// Exact `iss`.
    pub issuer: String,
    /// Accepted app client ids (`aud` of ID tokens, `client_id` of access tokens).
    pub client_ids: Vec<String>,
    /// Accepted `token_use` values (`id`, `access`).
    pub token_uses: Vec<String>,
}

struct CachedKeys {
    keys: HashMap<String, DecodingKey>,
    fetched_at: Option<Instant>,
}

/// Checks bearer tokens. Build once per process; cheap to share.
#[derive(Clone)]
pub struct JwtVerifier {
    source: KeySource,
    policy: TokenPolicy,
    cache: Arc<RwLock<CachedKeys>>,
    http: Option<reqwest::Client>,
}

const REFRESH_INTERVAL: Duration = Duration::from_secs(60);

fn keys_of(set: &JwkSet) -> HashMap<String, DecodingKey> {
    set.keys
        .iter()
        .filter_map(|jwk| Some((jwk.common.key_id.clone()?, DecodingKey::from_jwk(jwk).ok()?)))
        .collect()
}

impl JwtVerifier {
    /// A verifier for one issuer and its app clients.
    pub fn new(source: KeySource, policy: TokenPolicy) -> Self {
        let (keys, http) = match &source {
            KeySource::Static(set) => (keys_of(set), None),
            KeySource::Url(_) => (
                HashMap::new(),
                Some(
                    reqwest::Client::builder()
                        .timeout(Duration::from_secs(3))
                        .build()
                        .unwrap_or_default(),
                ),
            ),
        };
        JwtVerifier {
            source,
            policy,
            cache: Arc::new(RwLock::new(CachedKeys { keys, fetched_at: None })),
            http,
        }
    }

    async fn key_for(&self, kid: &str) -> Result<DecodingKey, AuthError> {
        if let Some(key) = self.cache.read().await.keys.get(kid) {
            return Ok(key.clone());
        }
        let (KeySource::Url(url), Some(http)) = (&self.source, &self.http) else {
            return Err(AuthError::Invalid("unknown signing key".into()));
        };
        let mut cache = self.cache.write().await;
        if let Some(key) = cache.keys.get(kid) {
            return Ok(key.clone());
        }
        if cache.fetched_at.is_some_and(|at| at.elapsed() < REFRESH_INTERVAL) {
            // Keys never fetched (the last try failed): the service's failure, not the token's.
            return Err(if cache.keys.is_empty() {
                AuthError::KeysUnavailable("the last fetch failed; retried within a minute".into())
            } else {
                AuthError::Invalid("unknown signing key".into())
            });
        }
        cache.fetched_at = Some(Instant::now());
        let set: JwkSet = http
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| AuthError::KeysUnavailable(format!("could not fetch {url}: {e}")))?
            .json()
            .await
            .map_err(|e| AuthError::KeysUnavailable(format!("malformed key set at {url}: {e}")))?;
        cache.keys = keys_of(&set);
        cache
            .keys
            .get(kid)
            .cloned()
            .ok_or_else(|| AuthError::Invalid("unknown signing key".into()))
    }

    /// Verifies a token and returns its claims.
    pub async fn verify(&self, token: &str) -> Result<Map<String, Value>, AuthError> {
        let header = decode_header(token).map_err(|e| AuthError::Invalid(format!("malformed token: {e}")))?;
        if header.alg != Algorithm::RS256 {
            return Err(AuthError::Invalid("only RS256 tokens are accepted".into()));
        }
        let kid = header
            .kid
            .ok_or_else(|| AuthError::Invalid("the token names no key (kid)".into()))?;
        let key = self.key_for(&kid).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&self.policy.issuer]);
        validation.validate_aud = false; // access tokens carry client_id instead; checked below
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        let data =
            decode::<Map<String, Value>>(token, &key, &validation).map_err(|e| AuthError::Invalid(e.to_string()))?;
        let claims = data.claims;
        let token_use = claims.get("token_use").and_then(Value::as_str).unwrap_or_default();
        if !self.policy.token_uses.iter().any(|u| u == token_use) {
            return Err(AuthError::Invalid(format!("token_use {token_use:?} is not accepted")));
        }
        let client = match token_use {
            "access" => claims.get("client_id"),
            _ => claims.get("aud"),
        };
        let client_ok = match client {
            Some(Value::String(c)) => self.policy.client_ids.iter().any(|id| id == c),
            Some(Value::Array(list)) => list
                .iter()
                .any(|c| self.policy.client_ids.iter().any(|id| Some(id.as_str()) == c.as_str())),
            _ => false,
        };
        if !client_ok {
            return Err(AuthError::Invalid("the token was issued for another audience".into()));
        }
        Ok(claims)
    }
}

/// Extracts the token from an `Authorization: Bearer <token>` header value.
pub fn bearer_token(header: Option<&str>) -> Result<&str, AuthError> {
    let value = header.ok_or(AuthError::Missing)?.trim();
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| AuthError::Invalid("expected 'Bearer <token>'".into()))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AuthError::Invalid("expected 'Bearer <token>'".into()));
    }
    Ok(token.trim())
}
