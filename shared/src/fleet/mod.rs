//! The fleet, declared once: every Lambda function of the service with its trigger, its entry
//! point and the capabilities it needs ([`manifest`]). Everything else about the fleet's shape is
//! derived from it: the route table ([`crate::routes`]), the OpenAPI description, the function
//! sections of `template.yaml` ([`template`], rendered by `oms-local render`), and the checks
//! that each function crate links exactly the adapters its capabilities need.
//!
//! A binary names its entry as a Rust item (`oms::fleet::manifest::GET_OPPORTUNITY.run()`), so a
//! typo is a compile error, not a cold-start failure.

pub mod manifest;
pub mod template;

use aws_lambda_events::event::s3::S3Event;

use crate::routes::Route;
use crate::runtime::{EventHandler, SqsHandler};

pub use manifest::FLEET;

/// Why a function's runtime loop ended (a failed cold start, or the runtime API went away).
pub type RunError = lambda_runtime::Error;

/// One Lambda function of the fleet: the crate `functions/<name>`, whose only binary is `<name>`.
#[derive(Debug)]
pub struct Function {
    /// The function's name: its crate, its binary and (PascalCase) its template resource.
    pub name: &'static str,
    /// One line for the template's `Description` (what triggers it and what it does).
    pub summary: &'static str,
    /// What invokes it, and the handler that runs.
    pub trigger: Trigger,
    /// What it may touch. Its environment, IAM policy and cargo features derive from these.
    pub needs: &'static [Capability],
    /// The Lambda timeout in seconds (`None`: the template's global default of 10 s).
    pub timeout_seconds: Option<u32>,
    /// Why it needs what it needs, rendered as a comment above its role in the template.
    pub why: &'static str,
}

/// What invokes a function.
pub enum Trigger {
    /// An API Gateway route.
    Api(Route),
    /// An SQS event source mapping on one of the stack's queues (partial batch responses).
    Queue {
        /// The queue it consumes.
        queue: Queue,
        /// The batch handler.
        handler: SqsHandler,
    },
    /// The attachments bucket's `ObjectCreated` notification (asynchronous invocation, retried,
    /// then parked on its on-failure queue).
    AttachmentUploaded(EventHandler<S3Event>),
    /// An EventBridge schedule.
    Schedule {
        /// `rate(...)` or `cron(...)`.
        expression: &'static str,
        /// What a run does, for the rule's description.
        description: &'static str,
        /// How often Lambda retries a failed run (0 when the next run comes soon anyway).
        retries: u8,
        /// The run.
        handler: EventHandler<serde_json::Value>,
    },
    /// The API's Lambda TOKEN authorizer (invoked by API Gateway before a route).
    Authorizer,
}

impl std::fmt::Debug for Trigger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trigger::Api(route) => write!(f, "Api({route:?})"),
            Trigger::Queue { queue, .. } => write!(f, "Queue({queue:?})"),
            Trigger::AttachmentUploaded(_) => f.write_str("AttachmentUploaded"),
            Trigger::Schedule { expression, .. } => write!(f, "Schedule({expression})"),
            Trigger::Authorizer => f.write_str("Authorizer"),
        }
    }
}

/// The stack's queues a function can consume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// Change events published after each commit (and by the outbox relay). The EventBridge Pipe
    /// consumes it (to the integration bus); no function does.
    ChangeEvents,
    /// The integration bus's rule delivers every change event here, for cache-invalidation.
    CacheInvalidation,
    /// Status events written by the matching and selection services.
    StatusEvents,
}

impl Queue {
    /// The queue's logical id in the template.
    pub fn resource(self) -> &'static str {
        match self {
            Queue::ChangeEvents => "ChangeEventsQueue",
            Queue::CacheInvalidation => "CacheInvalidationQueue",
            Queue::StatusEvents => "StatusEventsQueue",
        }
    }
}

/// Something a function may touch. Each maps to environment variables, IAM statements and a
/// cargo feature of the library ([`Capability::feature`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Capability {
    /// Single statements through the Data API (`ExecuteStatement`), no transactions.
    DatabaseStatements,
    /// Statements and transactions through the Data API.
    DatabaseTransactions,
    /// Cache-aside reads of the DynamoDB cache: `GetItem`, and `PutItem` to fill it.
    ReadCache,
    /// Write-through and invalidation of cache entries: conditional `PutItem` only.
    WriteCache,
    /// Counts the caller's requests against the per-user limit: `UpdateItem` on the cache table's
    /// `rate:` keys only. Every authenticated route has it.
    CountRequests,
    /// Sends change events to the change-events queue.
    PublishChangeEvents,
    /// Parks unprocessable status events on the status-events dead-letter queue.
    ParkDeadLetters,
    /// Presigns uploads (`PutObject`, SSE-KMS with the stack key) under `attachments/`.
    UploadAttachments,
    /// Presigns downloads (`GetObject`) under `attachments/`.
    DownloadAttachments,
    /// Deletes attachment objects.
    DeleteAttachments,
    /// HEADs uploaded objects with their checksum and deletes rejected ones.
    CheckUploads,
    /// Writes privacy exports under `privacy-exports/` in the exports bucket and presigns them.
    WritePrivacyExports,
    /// Writes (and replaces, on a redone run) the BI export files under `opportunities/`.
    WriteOpportunityExports,
    /// Computes erased people's pseudonyms with the key kept in Secrets Manager, read from its
    /// secret at cold start (`GetSecretValue`), never passed in the environment.
    PseudonymKey,
    /// Serves the Swagger UI files compiled into the binary.
    DocsAssets,
    /// Verifies Cognito tokens against the user pool's JWKS.
    VerifyTokens,
}

impl Capability {
    /// The `oms` cargo feature this capability needs, if any.
    pub fn feature(self) -> Option<&'static str> {
        use Capability::*;
        match self {
            DatabaseStatements | DatabaseTransactions => None,
            ReadCache | WriteCache | CountRequests => Some("dynamodb"),
            PublishChangeEvents | ParkDeadLetters => Some("sqs"),
            UploadAttachments
            | DownloadAttachments
            | DeleteAttachments
            | CheckUploads
            | WritePrivacyExports
            | WriteOpportunityExports => Some("s3"),
            PseudonymKey => Some("secrets"),
            DocsAssets => Some("docs-assets"),
            VerifyTokens => Some("jwt-verifier"),
        }
    }
}

impl Function {
    /// Whether it needs `capability`.
    pub fn needs(&self, capability: Capability) -> bool {
        self.needs.contains(&capability)
    }

    /// The cargo features of `oms` its crate must enable: exactly these, no more.
    pub fn features(&self) -> std::collections::BTreeSet<&'static str> {
        self.needs.iter().filter_map(|c| c.feature()).collect()
    }

    /// Its route, for an API function.
    pub fn route(&self) -> Option<&Route> {
        match &self.trigger {
            Trigger::Api(route) => Some(route),
            _ => None,
        }
    }

    /// The template's logical id stem: `get-opportunity` is `GetOpportunity`.
    pub fn resource_stem(&self) -> String {
        pascal_case(self.name)
    }

    /// The `main` of its binary: telemetry, the application (once per cold start), then the
    /// Lambda runtime loop with the trigger's event type.
    pub async fn run(&'static self) -> Result<(), RunError> {
        match &self.trigger {
            Trigger::Api(route) => crate::runtime::run_http_function(self.name, route).await,
            Trigger::Queue { handler, .. } => crate::runtime::run_sqs_function(self.name, *handler).await,
            Trigger::AttachmentUploaded(handler) => crate::runtime::run_event_function(self.name, *handler).await,
            Trigger::Schedule { handler, .. } => crate::runtime::run_event_function(self.name, *handler).await,
            Trigger::Authorizer => run_authorizer().await,
        }
    }
}

#[cfg(feature = "jwt-verifier")]
async fn run_authorizer() -> Result<(), RunError> {
    crate::auth::authorizer::run_authorizer_function().await
}

#[cfg(not(feature = "jwt-verifier"))]
async fn run_authorizer() -> Result<(), RunError> {
    Err("the authorizer needs the jwt-verifier feature of oms".into())
}

/// The function named `name`.
pub fn function(name: &str) -> Option<&'static Function> {
    FLEET.iter().copied().find(|f| f.name == name)
}

/// `get-opportunity` as `GetOpportunity`.
pub fn pascal_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map_or(String::new(), |c| c.to_ascii_uppercase().to_string() + chars.as_str())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_kebab_case_and_give_pascal_case_resource_stems() {
        let mut names = std::collections::BTreeSet::new();
        for f in FLEET {
            assert!(names.insert(f.name), "{} twice", f.name);
            assert!(
                f.name
                    .split('-')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())),
                "{}",
                f.name
            );
        }
        assert_eq!(pascal_case("get-opportunity-history"), "GetOpportunityHistory");
    }

    #[test]
    fn every_api_route_is_unique_by_method_and_path() {
        let routes: Vec<&Route> = FLEET.iter().filter_map(|f| f.route()).collect();
        for r in &routes {
            assert_eq!(
                routes
                    .iter()
                    .filter(|o| o.method == r.method && o.path == r.path)
                    .count(),
                1,
                "{r:?}"
            );
        }
    }

    #[test]
    fn no_function_names_both_database_capabilities() {
        for f in FLEET {
            assert!(
                !(f.needs(Capability::DatabaseStatements) && f.needs(Capability::DatabaseTransactions)),
                "{}",
                f.name
            );
        }
    }

    #[test]
    fn every_authenticated_route_counts_its_callers_requests_and_no_other_function_does() {
        for f in FLEET {
            let authenticated = f.route().is_some_and(|r| r.authenticated);
            assert_eq!(f.needs(Capability::CountRequests), authenticated, "{}", f.name);
        }
    }

    #[test]
    fn exactly_one_authorizer() {
        assert_eq!(
            FLEET
                .iter()
                .filter(|f| matches!(f.trigger, Trigger::Authorizer))
                .count(),
            1
        );
    }
}
