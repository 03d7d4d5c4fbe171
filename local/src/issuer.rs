//! The local token issuer: an RSA key kept in the data directory, Cognito-shaped RS256 tokens,
//! and the JWKS the local authorizer verifies them with.

use std::path::{Path, PathBuf};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use oms::auth::jwt::{JwtVerifier, KeySource, TokenPolicy};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The `iss` of local tokens.
pub const ISSUER: &str = "https://oms.local/issuer";
/// The app client id local tokens are issued for.
pub const CLIENT_ID: &str = "oms-local-client";

#[derive(Serialize, Deserialize)]
struct StoredKey {
    kid: String,
    pkcs1_der: String,
}

/// The issuer's signing key.
pub struct Issuer {
    kid: String,
    key: EncodingKey,
}

/// Extracts the PKCS#1 `RSAPrivateKey` from a PKCS#8 `PrivateKeyInfo` (the `privateKey` OCTET
/// STRING after the version and the algorithm identifier).
fn pkcs8_to_pkcs1(der: &[u8]) -> Option<Vec<u8>> {
    fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let tag = *input.first()?;
        let first = *input.get(1)? as usize;
        let (length, header) = if first < 0x80 {
            (first, 2)
        } else {
            let bytes = first & 0x7f;
            let mut length = 0usize;
            for i in 0..bytes {
                length = (length << 8) | *input.get(2 + i)? as usize;
            }
            (length, 2 + bytes)
        };
        let body = input.get(header..header + length)?;
        Some((tag, body, &input[header + length..]))
    }
    let (0x30, info, _) = element(der)? else {
        return None;
    };
    let (0x02, _, rest) = element(info)? else {
        return None;
    };
    let (0x30, _, rest) = element(rest)? else {
        return None;
    };
    let (0x04, key, _) = element(rest)? else {
        return None;
    };
    Some(key.to_vec())
}

impl Issuer {
    /// Loads the key from `data_dir`, creating it on first use (safely when the server and the
    /// token command start together: see [`crate::datafile`]).
    pub fn load_or_create(data_dir: &Path) -> Result<Issuer, String> {
        let path: PathBuf = data_dir.join("issuer-key.json");
        let text = crate::datafile::read_or_create(
            &path,
            || {
                let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| "RSA key generation failed".to_owned())?;
                let pkcs8 = pair.as_der().map_err(|_| "RSA key encoding failed".to_owned())?;
                let pkcs1 = pkcs8_to_pkcs1(pkcs8.as_ref()).ok_or("RSA key encoding failed")?;
                let stored = StoredKey {
                    kid: format!("local-{}", uuid::Uuid::new_v4().simple()),
                    pkcs1_der: STANDARD.encode(pkcs1),
                };
                serde_json::to_vec(&stored).map_err(|e| e.to_string())
            },
            |text| serde_json::from_slice::<StoredKey>(text).is_ok(),
        )?;
        let stored: StoredKey = serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let der = STANDARD.decode(&stored.pkcs1_der).map_err(|e| e.to_string())?;
        Ok(Issuer {
            kid: stored.kid,
            key: EncodingKey::from_rsa_der(&der),
        })
    }

    /// The public keys, as `/.well-known/jwks.json` serves them.
    pub fn jwks(&self) -> Result<JwkSet, String> {
        let mut jwk = Jwk::from_encoding_key(&self.key, Algorithm::RS256).map_err(|e| e.to_string())?;
        jwk.common.key_id = Some(self.kid.clone());
        jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        Ok(JwkSet { keys: vec![jwk] })
    }

    /// A verifier that accepts exactly what this issuer issues for [`CLIENT_ID`].
    pub fn verifier(&self) -> Result<JwtVerifier, String> {
        Ok(JwtVerifier::new(
            KeySource::Static(self.jwks()?),
            TokenPolicy {
                issuer: ISSUER.into(),
                client_ids: vec![CLIENT_ID.into()],
                token_uses: vec!["id".into(), "access".into()],
            },
        ))
    }

    /// Signs a Cognito-shaped token.
    pub fn token(&self, request: &TokenRequest) -> Result<String, String> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut claims = json!({
            "sub": request.sub,
            "iss": ISSUER,
            "token_use": request.token_use,
            "cognito:groups": request.groups,
            "cognito:username": request.sub,
            "auth_time": now,
            "iat": now,
            "exp": now + request.expires_in,
            "jti": uuid::Uuid::new_v4().to_string(),
        });
        if let Value::Object(map) = &mut claims {
            if request.token_use == "access" {
                map.insert("client_id".into(), json!(request.audience));
                map.insert("scope".into(), json!("aws.cognito.signin.user.admin"));
            } else {
                map.insert("aud".into(), json!(request.audience));
                if let Some(email) = &request.email {
                    map.insert("email".into(), json!(email));
                    map.insert("email_verified".into(), json!(true));
                }
            }
        }
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| e.to_string())
    }
}

/// What to put in a token.
pub struct TokenRequest {
    /// `sub`.
    pub sub: String,
    /// `email` (ID tokens).
    pub email: Option<String>,
    /// `cognito:groups`.
    pub groups: Vec<String>,
    /// Seconds until expiry; negative for an expired token.
    pub expires_in: i64,
    /// `aud` (ID tokens) or `client_id` (access tokens).
    pub audience: String,
    /// `id` or `access`.
    pub token_use: String,
}
