//! Idempotency records in DynamoDB: one item per caller and key (`pk` = `idempotency#<caller>#<key>`)
//! holding the request hash, the state, a lease for in-progress claims, the response once
//! completed, and `expires_at` (the table's TTL attribute). Claims are conditional writes.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use time::OffsetDateTime;

use crate::config::IDEMPOTENCY_TTL;
use crate::ports::idempotency::{Claim, IdempotencyError, IdempotencyStore, LEASE};
use crate::ports::store::StoredResponse;

/// Idempotency records in a DynamoDB table keyed by `pk` (it may share the cache's table).
#[derive(Clone)]
pub struct DynamoDbIdempotency {
    client: Client,
    table: String,
}

/// A claim may take: a new key, an expired record, or the same request's abandoned claim.
const CLAIMABLE: &str = "attribute_not_exists(pk) OR expires_at < :now OR (#state = :in_progress AND lease_until < :now AND request_hash = :hash)";

fn error(e: impl std::fmt::Debug) -> IdempotencyError {
    IdempotencyError(format!("{e:?}"))
}

fn pk(caller: &str, key: &str) -> AttributeValue {
    AttributeValue::S(format!("idempotency#{caller}#{key}"))
}

impl DynamoDbIdempotency {
    /// Wraps a client built once per cold start.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoDbIdempotency {
            client,
            table: table.into(),
        }
    }
}

#[async_trait]
impl IdempotencyStore for DynamoDbIdempotency {
    async fn claim(
        &self,
        caller: &str,
        key: &str,
        request_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Claim, IdempotencyError> {
        let epoch = now.unix_timestamp();
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", pk(caller, key))
            .item("state", AttributeValue::S("in_progress".into()))
            .item("request_hash", AttributeValue::S(request_hash.into()))
            .item(
                "lease_until",
                AttributeValue::N((epoch + LEASE.whole_seconds()).to_string()),
            )
            .item(
                "expires_at",
                AttributeValue::N((epoch + IDEMPOTENCY_TTL.whole_seconds()).to_string()),
            )
            .condition_expression(CLAIMABLE)
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":now", AttributeValue::N(epoch.to_string()))
            .expression_attribute_values(":in_progress", AttributeValue::S("in_progress".into()))
            .expression_attribute_values(":hash", AttributeValue::S(request_hash.into()))
            .send()
            .await;
        match put {
            Ok(_) => return Ok(Claim::Proceed),
            Err(e) => match e.into_service_error() {
                PutItemError::ConditionalCheckFailedException(_) => {}
                other => return Err(error(other)),
            },
        }
        let item = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", pk(caller, key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| error(e.into_service_error()))?
            .item
            .ok_or_else(|| IdempotencyError("the record vanished between the claim and the read".into()))?;
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
        if text("request_hash") != request_hash {
            return Ok(Claim::Mismatch);
        }
        if text("state") != "completed" {
            return Ok(Claim::InProgress);
        }
        let status = item
            .get("status")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .unwrap_or(200);
        let headers = serde_json::from_str(&text("headers")).map_err(error)?;
        Ok(Claim::Replay(StoredResponse {
            status,
            headers,
            body: text("body"),
        }))
    }

    async fn complete(
        &self,
        caller: &str,
        key: &str,
        request_hash: &str,
        response: &StoredResponse,
        expires_at: OffsetDateTime,
    ) -> Result<(), IdempotencyError> {
        let headers = serde_json::to_string(&response.headers).map_err(error)?;
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", pk(caller, key))
            .item("state", AttributeValue::S("completed".into()))
            .item("request_hash", AttributeValue::S(request_hash.into()))
            .item("status", AttributeValue::N(response.status.to_string()))
            .item("headers", AttributeValue::S(headers))
            .item("body", AttributeValue::S(response.body.clone()))
            .item("expires_at", AttributeValue::N(expires_at.unix_timestamp().to_string()))
            .send()
            .await
            .map_err(|e| error(e.into_service_error()))?;
        Ok(())
    }

    async fn release(&self, caller: &str, key: &str) -> Result<(), IdempotencyError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", pk(caller, key))
            .condition_expression("#state = :in_progress")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":in_progress", AttributeValue::S("in_progress".into()))
            .send()
            .await
            .map_err(|e| error(e.into_service_error()))?;
        Ok(())
    }
}

/// Erasure: a caller's records are found by the prefix of their key (`idempotency#<caller>#`).
/// DynamoDB cannot query a partition key by prefix, so this scans the table (shared with the
/// cache, whose entries are small and expire) page by page, reading keys only, and deletes what
/// it finds. Erasures are rare; the scan's cost is the table's size, not the person's.
#[async_trait]
impl crate::ports::privacy::CallerRecords for DynamoDbIdempotency {
    async fn forget_caller(&self, caller: &str) -> Result<u64, IdempotencyError> {
        let prefix = format!("idempotency#{caller}#");
        let mut start: Option<std::collections::HashMap<String, AttributeValue>> = None;
        let mut deleted = 0u64;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .projection_expression("pk")
                .filter_expression("begins_with(pk, :prefix)")
                .expression_attribute_values(":prefix", AttributeValue::S(prefix.clone()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| error(e.into_service_error()))?;
            for item in page.items() {
                if let Some(pk) = item.get("pk") {
                    self.client
                        .delete_item()
                        .table_name(&self.table)
                        .key("pk", pk.clone())
                        .send()
                        .await
                        .map_err(|e| error(e.into_service_error()))?;
                    deleted += 1;
                }
            }
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(deleted),
            }
        }
    }
}
