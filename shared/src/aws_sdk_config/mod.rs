//! The HTTPS client the function's AWS SDK clients share, and which roots it trusts.
//!
//! The SDK's default client loads the operating system's trust store when a client is built: a
//! ~220 KB PEM bundle (and, on Debian, a directory of ~290 files) decoded at every cold start. We
//! measured that at 3 to 9 ms: most of a function's init (docs/PERFORMANCE.md). The functions
//! only ever call AWS service endpoints (the Data API, DynamoDB, SQS, S3, their VPC endpoints),
//! whose certificates chain to a handful of roots; so by default they trust exactly those,
//! compiled in (`aws-endpoint-roots.pem`): decoding 7 certificates costs microseconds, and trust
//! is narrowed to the CAs AWS uses. `OMS_TLS_TRUST=system` restores the operating system's store
//! (for a TLS-inspecting proxy, or an endpoint behind a private CA).

use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector};
use aws_smithy_runtime_api::client::runtime_components::{RuntimeComponents, RuntimeComponentsBuilder};
use aws_smithy_types::config_bag::ConfigBag;

use crate::config::ConfigError;

/// The root certificates of the CAs that sign AWS endpoint certificates (Amazon Trust Services,
/// Starfield Services G2, DigiCert Global G1/G2), as PEM.
pub const AWS_ENDPOINT_ROOTS_PEM: &[u8] = include_bytes!("aws-endpoint-roots.pem");

/// Which certificate authorities the SDK clients trust (`OMS_TLS_TRUST`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsTrust {
    /// The compiled-in roots of AWS endpoints (`aws-endpoints`, the default).
    AwsEndpoints,
    /// The operating system's trust store, as the SDK loads it by default (`system`).
    System,
}

impl TlsTrust {
    /// Reads `OMS_TLS_TRUST`: `aws-endpoints` (default when unset) or `system`.
    pub fn from_env() -> Result<TlsTrust, ConfigError> {
        TlsTrust::parse(std::env::var("OMS_TLS_TRUST").ok().as_deref())
    }

    /// The setting from the variable's value (`None` or empty: the default).
    pub fn parse(value: Option<&str>) -> Result<TlsTrust, ConfigError> {
        match value.filter(|v| !v.is_empty()) {
            None | Some("aws-endpoints") => Ok(TlsTrust::AwsEndpoints),
            Some("system") => Ok(TlsTrust::System),
            Some(other) => Err(ConfigError::Invalid(format!(
                "OMS_TLS_TRUST must be aws-endpoints or system (got {other:?})"
            ))),
        }
    }

    /// The HTTPS client to give the SDK configuration; `None` keeps the SDK's default client.
    /// Same TLS stack as the default (hyper 1, rustls with aws-lc); only the trust store differs.
    pub fn http_client(self) -> Option<SharedHttpClient> {
        match self {
            TlsTrust::System => None,
            TlsTrust::AwsEndpoints => {
                aws_endpoints_client().map(|inner| SharedHttpClient::new(WithoutWarmUp { inner }))
            }
        }
    }
}

/// The smithy HTTPS client trusting only the compiled-in roots.
fn aws_endpoints_client() -> Option<SharedHttpClient> {
    let trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(AWS_ENDPOINT_ROOTS_PEM);
    // Building a context from a trust store cannot fail today; should it ever, the SDK's default
    // client is the safe fallback.
    let context = TlsContext::builder().with_trust_store(trust).build().ok()?;
    Some(
        aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
            .tls_context(context)
            .build_https(),
    )
}

/// The compiled-in-trust HTTPS client, without the throw-away connector the SDK builds at init.
///
/// Every SDK `Client::new` asks its HTTP client to validate itself, and the smithy client answers
/// by building a whole TLS connector (decoding the trust store, building a rustls configuration
/// with its crypto provider) and dropping it, ignoring any error: a warm-up meant to load the
/// operating system's store, which it caches, before the first request. With the compiled-in
/// store nothing is cached, so that connector is pure cold-start cost, paid once per SDK client;
/// the first request builds (and keeps) the connector it uses either way. That the compiled-in
/// roots decode is proven by this module's tests instead.
#[derive(Debug)]
struct WithoutWarmUp {
    inner: SharedHttpClient,
}

impl HttpClient for WithoutWarmUp {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        self.inner.http_connector(settings, components)
    }

    fn validate_base_client_config(&self, _: &RuntimeComponentsBuilder, _: &ConfigBag) -> Result<(), BoxError> {
        Ok(())
    }

    fn validate_final_config(&self, runtime_components: &RuntimeComponents, cfg: &ConfigBag) -> Result<(), BoxError> {
        self.inner.validate_final_config(runtime_components, cfg)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.inner.connector_metadata()
    }
}

/// Loads the AWS configuration with the HTTPS client [`TlsTrust::from_env`] selects, shared by
/// every SDK client built from it.
///
/// Inside Lambda the region and the role's credentials are always in the environment
/// (`AWS_REGION`, `AWS_ACCESS_KEY_ID`, ...), so they are taken from there directly instead of
/// building the default provider chains (profile files, web identity with its STS client, ECS,
/// IMDS with its own client), which a cold start would pay for and never use. Elsewhere the
/// default chains apply.
pub async fn load_aws_config() -> Result<aws_config::SdkConfig, ConfigError> {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(client) = TlsTrust::from_env()?.http_client() {
        loader = loader.http_client(client);
    }
    let var = crate::config::env_var;
    if var("AWS_LAMBDA_FUNCTION_NAME").is_some() {
        if let Some(region) = var("AWS_REGION") {
            loader = loader.region(aws_config::Region::new(region));
        }
        if var("AWS_ACCESS_KEY_ID").is_some() && var("AWS_SECRET_ACCESS_KEY").is_some() {
            loader =
                loader.credentials_provider(aws_config::environment::EnvironmentVariableCredentialsProvider::new());
        }
    }
    Ok(loader.load().await)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;

    #[test]
    fn the_compiled_in_aws_endpoint_roots_are_seven_valid_certificates() {
        let certificates = CertificateDer::pem_slice_iter(AWS_ENDPOINT_ROOTS_PEM)
            .collect::<Result<Vec<_>, _>>()
            .expect("valid PEM");
        assert_eq!(certificates.len(), 7);
        let mut roots = rustls::RootCertStore::empty();
        let (valid, invalid) = roots.add_parsable_certificates(certificates);
        assert_eq!((valid, invalid), (7, 0), "every root parses as a trust anchor");
    }

    #[test]
    fn the_default_trust_is_the_aws_endpoint_roots_and_an_unknown_value_is_refused() {
        assert_eq!(TlsTrust::parse(None).ok(), Some(TlsTrust::AwsEndpoints));
        assert_eq!(TlsTrust::parse(Some("")).ok(), Some(TlsTrust::AwsEndpoints));
        assert_eq!(
            TlsTrust::parse(Some("aws-endpoints")).ok(),
            Some(TlsTrust::AwsEndpoints)
        );
        assert_eq!(TlsTrust::parse(Some("system")).ok(), Some(TlsTrust::System));
        let error = TlsTrust::parse(Some("none")).expect_err("refused");
        assert!(error.to_string().contains("OMS_TLS_TRUST"), "{error}");
        assert!(TlsTrust::AwsEndpoints.http_client().is_some());
        assert!(TlsTrust::System.http_client().is_none());
    }

    /// Counts its validations in a counter the test keeps.
    #[derive(Debug)]
    struct CountingClient {
        validations: Arc<AtomicUsize>,
    }

    impl HttpClient for CountingClient {
        fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
            unreachable!("no request is made")
        }

        fn validate_base_client_config(&self, _: &RuntimeComponentsBuilder, _: &ConfigBag) -> Result<(), BoxError> {
            self.validations.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    #[test]
    fn the_smithy_client_builds_a_tls_connector_from_the_compiled_in_roots() {
        // The warm-up the functions skip: it builds the rustls configuration from the trust store
        // (and panics inside the smithy client should a root not decode).
        let client = aws_endpoints_client().expect("a client");
        let (components, cfg) = (RuntimeComponentsBuilder::new("test"), ConfigBag::base());
        assert!(client.validate_base_client_config(&components, &cfg).is_ok());
    }

    #[test]
    fn building_sdk_clients_does_not_build_throw_away_tls_connectors() {
        let validations = Arc::new(AtomicUsize::new(0));
        let client = WithoutWarmUp {
            inner: SharedHttpClient::new(CountingClient {
                validations: validations.clone(),
            }),
        };
        let (components, cfg) = (RuntimeComponentsBuilder::new("test"), ConfigBag::base());
        for _ in 0..4 {
            assert!(client.validate_base_client_config(&components, &cfg).is_ok());
        }
        assert_eq!(
            validations.load(Ordering::SeqCst),
            0,
            "four SDK clients, no warm-up connector"
        );
    }
}
