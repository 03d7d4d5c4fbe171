//! The pipeline report's aggregate statement over the store.

use async_trait::async_trait;
use uuid::Uuid;

use super::SqlStore;
use crate::domain::lifecycle::Status;
use crate::domain::opportunity::Priority;
use crate::domain::reports::{PipelineCell, PipelineFilters};
use crate::params;
use crate::ports::jobs::ReportStore;
use crate::ports::store::StoreError;
use crate::sql::DbError;

/// Counts and revenue grouped by status, priority and currency: one statement, exact on every
/// backend. Revenue is summed as `arr_thousandths` (migration 0007), an integer column, so
/// PostgreSQL sums `bigint` into an exact `numeric` and SQLite sums integers exactly (raising an
/// error rather than wrapping on overflow); no float is involved anywhere. The optional filters
/// are switched by boolean parameters, like the opportunity list's. At most 7 x 4 x 160 small
/// rows, far inside the Data API's 1 MiB.
pub const PIPELINE_CELLS: &str = "SELECT o.status, o.priority, o.arr_currency, COUNT(*) AS opportunities, \
     SUM(o.arr_thousandths) AS arr_thousandths FROM opportunities o \
     WHERE (:any_created_from OR o.created_at >= :created_from) \
     AND (:any_created_to OR o.created_at < :created_to) \
     AND (:any_owner OR o.owner_sub = :owner_sub) \
     AND (:any_customer OR o.customer_id = :customer_id) \
     GROUP BY o.status, o.priority, o.arr_currency ORDER BY o.status, o.priority, o.arr_currency";

/// Every statement of this module, for the suite that runs each one on every backend.
pub const ALL: &[(&str, &str)] = &[("PIPELINE_CELLS", PIPELINE_CELLS)];

#[async_trait]
impl ReportStore for SqlStore {
    async fn pipeline_cells(&self, f: &PipelineFilters) -> Result<Vec<PipelineCell>, StoreError> {
        let epoch = time::OffsetDateTime::UNIX_EPOCH;
        let params = params![
            "any_created_from" => f.created_from.is_none(),
            "created_from" => f.created_from.unwrap_or(epoch),
            "any_created_to" => f.created_to.is_none(),
            "created_to" => f.created_to.unwrap_or(epoch),
            "any_owner" => f.owner_id.is_none(),
            "owner_sub" => f.owner_id.clone().unwrap_or_default(),
            "any_customer" => f.customer_id.is_none(),
            "customer_id" => f.customer_id.unwrap_or_else(Uuid::nil),
        ];
        let rows = self.executor().query(PIPELINE_CELLS, &params).await?;
        rows.iter()
            .map(|row| {
                let status = row.text("status")?;
                let priority = row.text("priority")?;
                Ok(PipelineCell {
                    status: Status::parse(&status)
                        .ok_or_else(|| DbError::Decode(format!("unknown status {status:?}")))?,
                    priority: Priority::parse(&priority)
                        .ok_or_else(|| DbError::Decode(format!("unknown priority {priority:?}")))?,
                    currency: row.text("arr_currency")?,
                    count: row.int("opportunities")?,
                    arr_thousandths: row.decimal("arr_thousandths")?,
                })
            })
            .collect::<Result<_, DbError>>()
            .map_err(StoreError::from)
    }
}
