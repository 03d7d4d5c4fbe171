//! The cache in DynamoDB: one item per key with the source `version`, the JSON `body`, a
//! `tombstone` flag for invalidations and `expires_at` (epoch seconds, the table's TTL attribute).
//! Writes are conditional, so an older version never replaces a newer one.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use time::{Duration, OffsetDateTime};

use crate::ports::cache::{Cache, CacheEntry, CacheError, TOMBSTONE_TTL};

/// Cache entries in a DynamoDB table keyed by `pk` (string).
#[derive(Clone)]
pub struct DynamoDbCache {
    client: Client,
    table: String,
}

/// Puts that may replace the stored item: none yet, an expired one, an older version, or an
/// invalidation marker of the same version.
const NEWER_ONLY: &str =
    "attribute_not_exists(pk) OR expires_at < :now OR version < :version OR (version = :version AND tombstone = :yes)";
/// Invalidations replace anything not newer than themselves.
const NOT_NEWER: &str = "attribute_not_exists(pk) OR expires_at < :now OR version <= :version";

fn error(e: impl std::fmt::Debug) -> CacheError {
    CacheError(format!("{e:?}"))
}

impl DynamoDbCache {
    /// Wraps a client built once per cold start.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoDbCache {
            client,
            table: table.into(),
        }
    }

    async fn conditional_put(
        &self,
        key: &str,
        version: i64,
        body: Option<&str>,
        ttl: Duration,
        condition: &str,
    ) -> Result<bool, CacheError> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let mut request = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", AttributeValue::S(key.to_owned()))
            .item("version", AttributeValue::N(version.to_string()))
            .item("tombstone", AttributeValue::Bool(body.is_none()))
            .item("expires_at", AttributeValue::N((now + ttl.whole_seconds()).to_string()))
            .condition_expression(condition)
            .expression_attribute_values(":version", AttributeValue::N(version.to_string()))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()));
        if condition.contains(":yes") {
            request = request.expression_attribute_values(":yes", AttributeValue::Bool(true));
        }
        if let Some(body) = body {
            request = request.item("body", AttributeValue::S(body.to_owned()));
        }
        match request.send().await {
            Ok(_) => Ok(true),
            Err(e) => match e.into_service_error() {
                PutItemError::ConditionalCheckFailedException(_) => Ok(false),
                other => Err(error(other)),
            },
        }
    }
}

#[async_trait]
impl Cache for DynamoDbCache {
    async fn get(&self, key: &str) -> Result<Option<CacheEntry>, CacheError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(key.to_owned()))
            .send()
            .await
            .map_err(|e| error(e.into_service_error()))?;
        let Some(item) = output.item else { return Ok(None) };
        let number = |name: &str| {
            item.get(name)
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse::<i64>().ok())
        };
        let expired = number("expires_at").is_none_or(|at| at < OffsetDateTime::now_utc().unix_timestamp());
        let tombstone = item
            .get("tombstone")
            .and_then(|v| v.as_bool().ok())
            .copied()
            .unwrap_or(true);
        match (
            expired || tombstone,
            number("version"),
            item.get("body").and_then(|v| v.as_s().ok()),
        ) {
            (false, Some(version), Some(body)) => Ok(Some(CacheEntry {
                version,
                body: body.clone(),
            })),
            _ => Ok(None),
        }
    }

    async fn put(&self, key: &str, version: i64, body: &str, ttl: Duration) -> Result<bool, CacheError> {
        self.conditional_put(key, version, Some(body), ttl, NEWER_ONLY).await
    }

    async fn invalidate(&self, key: &str, version: i64) -> Result<(), CacheError> {
        self.conditional_put(key, version, None, TOMBSTONE_TTL, NOT_NEWER)
            .await
            .map(|_| ())
    }
}

/// The per-user request counts in the cache table: one item per caller and minute
/// (`rate:<sub>:<minute>`), incremented atomically (`ADD hits :one`) and forgotten by the table's
/// TTL after its window. One `UpdateItem` per authenticated request; the function's role may
/// update only keys that start with `rate:`.
#[derive(Clone)]
pub struct DynamoDbRequestCounter {
    client: Client,
    table: String,
}

impl DynamoDbRequestCounter {
    /// Wraps a client built once per cold start (the cache's, when the function has both).
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoDbRequestCounter {
            client,
            table: table.into(),
        }
    }
}

#[async_trait]
impl crate::ports::limits::RequestCounter for DynamoDbRequestCounter {
    async fn count(&self, window: &crate::ports::limits::Window) -> Result<u64, crate::ports::limits::CounterError> {
        let failed = |e: &dyn std::fmt::Debug| crate::ports::limits::CounterError(format!("{e:?}"));
        // Kept a minute past the window so that clock skew between sandboxes never restarts one.
        let expires_at = window.ends_at.saturating_add(60);
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(window.key.clone()))
            .update_expression("ADD hits :one SET expires_at = if_not_exists(expires_at, :expires)")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":expires", AttributeValue::N(expires_at.to_string()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| failed(&e))?;
        let hits = output
            .attributes()
            .and_then(|attributes| attributes.get("hits"))
            .and_then(|hits| hits.as_n().ok())
            .and_then(|hits| hits.parse::<u64>().ok())
            .ok_or_else(|| failed(&"UpdateItem returned no hits count"))?;
        Ok(hits)
    }
}
