//! The API's Lambda TOKEN authorizer.
//!
//! API Gateway's own Cognito authorizer on a REST API accepts ID tokens on methods without OAuth
//! scopes and access tokens on methods with scopes, never both, and any app client of the pool.
//! This authorizer accepts what the contract says: an ID or an access token (configurable) of the
//! configured app clients (`aud` of ID tokens, `client_id` of access tokens), signed by the user
//! pool's key (its JWKS, fetched on the first token of a cold start and cached), with the pool's
//! issuer and not expired ([`JwtVerifier`]).
//!
//! Accepted: an IAM policy allowing `execute-api:Invoke` on the whole API stage (API Gateway
//! caches the result by token, and a cached policy must fit every route), and a `context` with the
//! verified claims as one JSON string (`claims`: context values may only be strings, numbers or
//! booleans) and `sub` on its own (for the access log). Refused: the error `Unauthorized`, which
//! API Gateway answers with 401 (a Deny policy would be a 403).

use aws_lambda_events::event::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerRequest, ApiGatewayCustomAuthorizerResponse,
};
use aws_lambda_events::event::iam::{IamPolicyEffect, IamPolicyStatement};
use serde_json::{Map, Value, json};
use tracing::Instrument;

use super::AuthError;
use super::jwt::{JwtVerifier, KeySource, TokenPolicy, bearer_token};

/// The error string API Gateway turns into a 401 when a TOKEN authorizer returns it.
pub const UNAUTHORIZED: &str = "Unauthorized";
/// The error when the pool's keys cannot be fetched: any error but [`UNAUTHORIZED`] is a 500
/// (`AUTHORIZER_FAILURE`) from API Gateway, so a Cognito outage does not tell callers that their
/// valid tokens are bad.
pub const UNAVAILABLE: &str = "the user pool's signing keys are unavailable";

/// Where the authorizer finds the user pool and what it accepts, from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizerConfig {
    /// The pool's region (`OMS_COGNITO_REGION`; by default the prefix of the pool id).
    pub region: String,
    /// `OMS_COGNITO_USER_POOL_ID`, e.g. `eu-west-1_Ab12Cd34E`.
    pub user_pool_id: String,
    /// `OMS_COGNITO_APP_CLIENT_IDS` (at least one).
    pub app_client_ids: Vec<String>,
    /// `OMS_COGNITO_TOKEN_USES` (`id`, `access`; both when unset).
    pub token_uses: Vec<String>,
}

impl AuthorizerConfig {
    /// Reads the configuration through `var` (the process environment in Lambda).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<AuthorizerConfig, String> {
        let user_pool_id = var("OMS_COGNITO_USER_POOL_ID")
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .ok_or("OMS_COGNITO_USER_POOL_ID is required")?;
        let pool_id_ok = user_pool_id.split_once('_').is_some_and(|(region, id)| {
            !region.is_empty()
                && !id.is_empty()
                && region
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && id.bytes().all(|b| b.is_ascii_alphanumeric())
        });
        if !pool_id_ok {
            return Err(format!(
                "OMS_COGNITO_USER_POOL_ID {user_pool_id:?} is not a user pool id (<region>_<id>)"
            ));
        }
        let region = var("OMS_COGNITO_REGION")
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| user_pool_id.split('_').next().unwrap_or_default().to_owned());
        let clients = super::ClientPolicy::parse(
            var("OMS_COGNITO_APP_CLIENT_IDS").as_deref(),
            var("OMS_COGNITO_TOKEN_USES").as_deref(),
        )?;
        if clients.app_client_ids.is_empty() {
            return Err("OMS_COGNITO_APP_CLIENT_IDS names no app client: every token would be refused".into());
        }
        let token_uses = if clients.token_uses.is_empty() {
            vec!["id".to_owned(), "access".to_owned()]
        } else {
            clients.token_uses
        };
        Ok(AuthorizerConfig {
            region,
            user_pool_id,
            app_client_ids: clients.app_client_ids,
            token_uses,
        })
    }

    /// The pool's `iss`.
    pub fn issuer(&self) -> String {
        format!(
            "https://cognito-idp.{}.amazonaws.com/{}",
            self.region, self.user_pool_id
        )
    }

    /// The pool's signing keys.
    pub fn jwks_url(&self) -> String {
        format!("{}/.well-known/jwks.json", self.issuer())
    }

    /// What a token must say.
    pub fn token_policy(&self) -> TokenPolicy {
        TokenPolicy {
            issuer: self.issuer(),
            client_ids: self.app_client_ids.clone(),
            token_uses: self.token_uses.clone(),
        }
    }
}

/// The whole stage of the API a method ARN belongs to:
/// `arn:aws:execute-api:<region>:<account>:<api id>/<stage>/<METHOD>/<path>` becomes
/// `arn:aws:execute-api:<region>:<account>:<api id>/<stage>/*`.
pub fn api_wide_arn(method_arn: &str) -> Option<String> {
    let (prefix, resource) = method_arn.rsplit_once(':')?;
    if !prefix.starts_with("arn:") || !prefix.contains(":execute-api:") {
        return None;
    }
    let mut parts = resource.split('/');
    let (Some(api), Some(stage)) = (parts.next(), parts.next()) else {
        return None;
    };
    if api.is_empty() || stage.is_empty() {
        return None;
    }
    Some(format!("{prefix}:{api}/{stage}/*"))
}

/// What an accepted token gives the request: the principal and the context API Gateway passes
/// on as `requestContext.authorizer`.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    /// The caller's `sub`.
    pub principal_id: String,
    /// `claims` (the verified claims as one JSON string) and `sub`.
    pub context: Map<String, Value>,
}

/// The authorizer: one verifier, built once per cold start.
#[derive(Clone)]
pub struct Authorizer {
    verifier: JwtVerifier,
}

impl Authorizer {
    /// An authorizer over a verifier (the local server passes its own issuer's).
    pub fn new(verifier: JwtVerifier) -> Self {
        Authorizer { verifier }
    }

    /// The authorizer of a user pool, whose keys come from `keys` (the pool's JWKS URL in Lambda,
    /// a preloaded key set in tests).
    pub fn for_pool(config: &AuthorizerConfig, keys: KeySource) -> Self {
        Authorizer::new(JwtVerifier::new(keys, config.token_policy()))
    }

    /// Checks the `Authorization` header value and returns what the request gets.
    pub async fn grant(&self, authorization: Option<&str>) -> Result<Grant, AuthError> {
        let token = bearer_token(authorization)?;
        let claims = self.verifier.verify(token).await?;
        let sub = match claims.get("sub") {
            Some(Value::String(sub)) if !sub.is_empty() => sub.clone(),
            _ => return Err(AuthError::Invalid("the token has no sub claim".into())),
        };
        let mut context = Map::new();
        context.insert("claims".into(), Value::String(Value::Object(claims).to_string()));
        context.insert("sub".into(), Value::String(sub.clone()));
        Ok(Grant {
            principal_id: sub,
            context,
        })
    }

    /// Answers a TOKEN authorizer event: an Allow policy on the whole stage with the verified
    /// claims, `Err(UNAUTHORIZED)` (logged with the reason, never the token), or
    /// `Err(UNAVAILABLE)` when the pool's keys cannot be fetched (logged as an ERROR line).
    pub async fn authorize(
        &self,
        request: ApiGatewayCustomAuthorizerRequest,
    ) -> Result<ApiGatewayCustomAuthorizerResponse, &'static str> {
        let resource = request.method_arn.as_deref().and_then(api_wide_arn);
        let Some(resource) = resource else {
            tracing::warn!(method_arn = ?request.method_arn, "refused: the event has no execute-api method ARN");
            return Err(UNAUTHORIZED);
        };
        let grant = match self.grant(request.authorization_token.as_deref()).await {
            Ok(grant) => grant,
            Err(AuthError::KeysUnavailable(why)) => {
                tracing::error!(cause = %why, "cannot check tokens: the user pool's signing keys are unavailable");
                return Err(UNAVAILABLE);
            }
            Err(refused) => {
                tracing::info!(reason = %refused, "token refused");
                return Err(UNAUTHORIZED);
            }
        };
        tracing::info!(caller = %grant.principal_id, "token accepted");
        let mut statement = IamPolicyStatement::default();
        statement.action = vec!["execute-api:Invoke".to_owned()];
        statement.effect = IamPolicyEffect::Allow;
        statement.resource = vec![resource];
        let mut policy = ApiGatewayCustomAuthorizerPolicy::default();
        policy.version = Some("2012-10-17".to_owned());
        policy.statement = vec![statement];
        let mut response = ApiGatewayCustomAuthorizerResponse::<Value>::default();
        response.principal_id = Some(grant.principal_id);
        response.policy_document = policy;
        response.context = json!(grant.context);
        Ok(response)
    }
}

/// The `main` of the authorizer function: the pool's configuration from the environment, then
/// the Lambda runtime loop. A refusal is the function's error `Unauthorized`, as API Gateway
/// expects.
pub async fn run_authorizer_function() -> Result<(), lambda_runtime::Error> {
    // Refusals are handler errors, which lambda_runtime logs at ERROR; a panic aborts (release
    // profile) and is logged by `telemetry::log_panics` instead.
    crate::telemetry::init_without("authorizer", &["lambda_runtime::layers::panic"]);
    let config = AuthorizerConfig::from_vars(|name| std::env::var(name).ok())?;
    let keys = KeySource::Url(config.jwks_url());
    let authorizer: &'static Authorizer = Box::leak(Box::new(Authorizer::for_pool(&config, keys)));
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<ApiGatewayCustomAuthorizerRequest>| async move {
            let span =
                tracing::info_span!("invocation", function = "authorizer", request_id = %event.context.request_id);
            authorizer
                .authorize(event.payload)
                .instrument(span)
                .await
                .map_err(lambda_runtime::Error::from)
        },
    ))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::jwk::{Jwk, JwkSet};
    use jsonwebtoken::{Algorithm, EncodingKey, Header};

    const POOL: &str = "eu-west-1_Ab12Cd34E";
    const CLIENT: &str = "4f2k9h3j5l7n1p3r5t7v9x1z3b";
    const METHOD_ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/v1/me";

    fn key(pem: &str) -> EncodingKey {
        EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap()
    }

    fn signing_key() -> EncodingKey {
        key(include_str!("testdata/test-signing-key.pem"))
    }

    fn config() -> AuthorizerConfig {
        let vars = |name: &str| match name {
            "OMS_COGNITO_USER_POOL_ID" => Some(POOL.to_owned()),
            "OMS_COGNITO_APP_CLIENT_IDS" => Some(CLIENT.to_owned()),
            "OMS_COGNITO_TOKEN_USES" => Some("id,access".to_owned()),
            _ => None,
        };
        AuthorizerConfig::from_vars(vars).unwrap()
    }

    fn authorizer() -> Authorizer {
        let mut jwk = Jwk::from_encoding_key(&signing_key(), Algorithm::RS256).unwrap();
        jwk.common.key_id = Some("test-key".into());
        Authorizer::for_pool(&config(), KeySource::Static(JwkSet { keys: vec![jwk] }))
    }

    fn token_signed_by(key: &EncodingKey, token_use: &str, client: &str, expires_in: i64) -> String {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut claims = json!({
            "sub": "5f8d2c1e-3b4a-4c6d-8e9f-0a1b2c3d4e5f",
            "iss": config().issuer(),
            "token_use": token_use,
            "cognito:groups": ["SalesManager", "Partners,Admin"],
            "iat": now,
            "exp": now + expires_in,
            "jti": "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
        });
        let client_claim = if token_use == "access" { "client_id" } else { "aud" };
        claims[client_claim] = json!(client);
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("test-key".into());
        jsonwebtoken::encode(&header, &claims, key).unwrap()
    }

    fn token(token_use: &str, client: &str, expires_in: i64) -> String {
        token_signed_by(&signing_key(), token_use, client, expires_in)
    }

    fn event(authorization: &str) -> ApiGatewayCustomAuthorizerRequest {
        serde_json::from_value(json!({
            "type": "TOKEN", "authorizationToken": authorization, "methodArn": METHOD_ARN
        }))
        .unwrap()
    }

    #[tokio::test]
    async fn id_and_access_tokens_of_the_app_client_are_allowed_on_the_whole_stage_with_their_claims() {
        for kind in ["id", "access"] {
            let response = authorizer()
                .authorize(event(&format!("Bearer {}", token(kind, CLIENT, 300))))
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            let answer = serde_json::to_value(&response).unwrap();
            assert_eq!(answer["principalId"], "5f8d2c1e-3b4a-4c6d-8e9f-0a1b2c3d4e5f");
            let statement = &answer["policyDocument"]["Statement"][0];
            assert_eq!(statement["Effect"], "Allow", "{kind}");
            assert_eq!(statement["Action"][0], "execute-api:Invoke");
            assert_eq!(
                statement["Resource"][0],
                "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/*"
            );
            let context = answer["context"].as_object().unwrap();
            assert!(
                context
                    .values()
                    .all(|v| v.is_string() || v.is_number() || v.is_boolean()),
                "API Gateway takes only scalar context values: {context:?}"
            );
            assert_eq!(context["sub"], "5f8d2c1e-3b4a-4c6d-8e9f-0a1b2c3d4e5f");
            let claims: Value = serde_json::from_str(context["claims"].as_str().unwrap()).unwrap();
            assert_eq!(claims["token_use"], kind);
            assert_eq!(claims["cognito:groups"], json!(["SalesManager", "Partners,Admin"]));
        }
    }

    #[tokio::test]
    async fn foreign_clients_refresh_expired_forged_and_malformed_tokens_are_unauthorized() {
        let other_key = key(include_str!("testdata/other-signing-key.pem"));
        let wrong_issuer = {
            let vars = |name: &str| match name {
                "OMS_COGNITO_USER_POOL_ID" => Some("eu-west-1_Other".to_owned()),
                "OMS_COGNITO_APP_CLIENT_IDS" => Some(CLIENT.to_owned()),
                _ => None,
            };
            let config = AuthorizerConfig::from_vars(vars).unwrap();
            let mut jwk = Jwk::from_encoding_key(&signing_key(), Algorithm::RS256).unwrap();
            jwk.common.key_id = Some("test-key".into());
            Authorizer::for_pool(&config, KeySource::Static(JwkSet { keys: vec![jwk] }))
        };
        let cases = [
            (
                "foreign app client (id)",
                format!("Bearer {}", token("id", "another-app", 300)),
            ),
            (
                "foreign app client (access)",
                format!("Bearer {}", token("access", "another-app", 300)),
            ),
            ("refresh token", format!("Bearer {}", token("refresh", CLIENT, 300))),
            ("expired", format!("Bearer {}", token("id", CLIENT, -1))),
            (
                "bad signature",
                format!("Bearer {}", token_signed_by(&other_key, "id", CLIENT, 300)),
            ),
            ("not bearer", format!("Basic {}", token("id", CLIENT, 300))),
            ("malformed", "Bearer not.a.jwt".to_owned()),
            ("empty", String::new()),
        ];
        for (name, header) in cases {
            assert_eq!(
                authorizer().authorize(event(&header)).await.unwrap_err(),
                UNAUTHORIZED,
                "{name}"
            );
        }
        let good = format!("Bearer {}", token("id", CLIENT, 300));
        assert_eq!(
            wrong_issuer.authorize(event(&good)).await.unwrap_err(),
            UNAUTHORIZED,
            "another pool's issuer"
        );
        let mut no_arn = event(&good);
        no_arn.method_arn = None;
        assert_eq!(authorizer().authorize(no_arn).await.unwrap_err(), UNAUTHORIZED);
    }

    #[tokio::test]
    async fn keys_that_cannot_be_fetched_are_the_services_failure_not_an_unauthorized_caller() {
        // Nothing listens on port 1 of the loopback: the fetch fails at once, without a network.
        let authorizer = Authorizer::for_pool(&config(), KeySource::Url("http://127.0.0.1:1/jwks.json".into()));
        let header = format!("Bearer {}", token("id", CLIENT, 300));
        assert_eq!(authorizer.authorize(event(&header)).await.unwrap_err(), UNAVAILABLE);
        assert_eq!(
            authorizer.authorize(event(&header)).await.unwrap_err(),
            UNAVAILABLE,
            "still unavailable while the refetch waits"
        );
        assert_eq!(
            authorizer.authorize(event("Bearer not.a.jwt")).await.unwrap_err(),
            UNAUTHORIZED,
            "a malformed token is refused without any key"
        );
    }

    #[test]
    fn the_policy_covers_the_whole_stage_of_the_api() {
        assert_eq!(
            api_wide_arn("arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/POST/v1/opportunities/abc/submit")
                .as_deref(),
            Some("arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/*")
        );
        assert_eq!(api_wide_arn("arn:aws:lambda:eu-west-1:123456789012:function:x"), None);
        assert_eq!(
            api_wide_arn("arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5"),
            None
        );
        assert_eq!(api_wide_arn("nonsense"), None);
    }

    #[test]
    fn the_configuration_names_the_pool_its_clients_and_token_kinds() {
        let config = config();
        assert_eq!(
            config.issuer(),
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12Cd34E"
        );
        assert_eq!(
            config.jwks_url(),
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12Cd34E/.well-known/jwks.json"
        );
        let only_pool = |name: &str| (name == "OMS_COGNITO_USER_POOL_ID").then(|| POOL.to_owned());
        assert!(AuthorizerConfig::from_vars(only_pool).is_err(), "no app client");
        let both = |name: &str| match name {
            "OMS_COGNITO_USER_POOL_ID" => Some(POOL.to_owned()),
            "OMS_COGNITO_APP_CLIENT_IDS" => Some("a,b".to_owned()),
            "OMS_COGNITO_REGION" => Some("eu-central-1".to_owned()),
            _ => None,
        };
        let config = AuthorizerConfig::from_vars(both).unwrap();
        assert_eq!(config.token_uses, vec!["id", "access"], "both kinds by default");
        assert_eq!(config.region, "eu-central-1");
        let refresh = |name: &str| match name {
            "OMS_COGNITO_USER_POOL_ID" => Some(POOL.to_owned()),
            "OMS_COGNITO_APP_CLIENT_IDS" => Some("a".to_owned()),
            "OMS_COGNITO_TOKEN_USES" => Some("refresh".to_owned()),
            _ => None,
        };
        assert!(AuthorizerConfig::from_vars(refresh).is_err());
        let bad_pool = |name: &str| match name {
            "OMS_COGNITO_USER_POOL_ID" => Some("https://evil.example/x".to_owned()),
            "OMS_COGNITO_APP_CLIENT_IDS" => Some("a".to_owned()),
            _ => None,
        };
        assert!(AuthorizerConfig::from_vars(bad_pool).is_err());
    }
}
