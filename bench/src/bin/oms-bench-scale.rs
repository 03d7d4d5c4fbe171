//! `oms-bench-scale`: the interactive statements at 10^4, 10^5 and 10^6 opportunities.
//!
//! For each size it loads the synthetic data set of `oms_bench::scale_data` into a fresh
//! PostgreSQL schema migrated by the real migrations, then runs every interactive read and the
//! job batches through the library itself (`SqlStore` over `PostgresExecutor`, or the production
//! SQL constants with the parameters the store binds), so the measured SQL is exactly the
//! production text. Parameters vary per iteration (owners with many and few rows, every sort
//! order, first and deep keyset pages from real cursors, every filter, `q`). It prints a markdown
//! table statement x size (p50 / p95 ms) with the plan PostgreSQL chose at the largest size
//! (which indexes, or `Seq Scan`). Run through `scripts/bench` (release) or
//! `cargo run -p oms-bench --bin oms-bench-scale -- 10000` (needs `OMS_TEST_POSTGRES_URL`).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_trait::async_trait;
use clap::Parser;
use oms::domain::lifecycle::Status;
use oms::domain::opportunity::Priority;
use oms::domain::reports::PipelineFilters;
use oms::params;
use oms::ports::jobs::{ExportStore, ReportStore, RetentionStore};
use oms::ports::store::{
    CustomerStore, OpportunityQuery, OpportunityStore, OutboxStore, SkillStore, SortKey, SortPosition, StoreError,
};
use oms::sql::postgres::PostgresExecutor;
use oms::sql::{DbError, Dialect, Param, Row, SqlExecutor, SqlTransaction, migrations};
use oms::store::{SqlStore, jobs as jobs_sql, privacy_sql, reports as reports_sql, statements};
use oms_bench::scale_data::{self, NOW, Population, ScaleConfig};
use time::{Duration, OffsetDateTime};
use tokio_postgres::NoTls;
use uuid::Uuid;

#[derive(Parser)]
#[command(about = "Measures every interactive statement on PostgreSQL at 10^4, 10^5 and 10^6 opportunities")]
struct Args {
    /// Opportunity counts to load and measure.
    #[arg(default_values_t = [10_000usize, 100_000, 1_000_000])]
    sizes: Vec<usize>,
    /// Timed runs of each statement (after two warm-up runs).
    #[arg(long, default_value_t = 40)]
    iterations: usize,
    /// The PostgreSQL to load (scripts/bench starts one).
    #[arg(long, env = "OMS_TEST_POSTGRES_URL")]
    postgres_url: String,
    /// Keep the loaded schemas (named `scale_<size>`) instead of dropping them.
    #[arg(long)]
    keep: bool,
    /// Where to write the report as well.
    #[arg(long, default_value = "bench-results/scale.md")]
    out: std::path::PathBuf,
}

/// The p95 each interactive statement must stay under at 10^6 (seed 003's database KPI).
const TARGET_P95_MS: f64 = 50.0;
/// The store's page sizes of the privacy export (`store::privacy`): long rows, short rows, bytes.
const EXPORT_LONG_PAGE: i64 = 20;
const EXPORT_SHORT_PAGE: i64 = 200;
const EXPORT_PAGE_MAX_BYTES: i64 = 384 * 1024;
/// The export job's page (`jobs::export`).
const EXPORT_JOB_PAGE: i64 = 500;
/// The list's default page size (`http::cursor::DEFAULT_LIMIT`).
const PAGE: i64 = 20;

/// The statements a case ran, with their parameters.
type Calls = Arc<Mutex<Vec<(&'static str, Vec<Param>)>>>;

/// Records every statement run through it, so that the bench can `EXPLAIN` exactly what ran.
struct Recording {
    inner: Arc<PostgresExecutor>,
    calls: Calls,
}

fn remember(calls: &Mutex<Vec<(&'static str, Vec<Param>)>>, sql: &'static str, params: &[Param]) {
    if let Ok(mut calls) = calls.lock()
        && calls.len() < 64
    {
        calls.push((sql, params.to_vec()));
    }
}

#[async_trait]
impl SqlExecutor for Recording {
    async fn query(&self, sql: &'static str, params: &[Param]) -> Result<Vec<Row>, DbError> {
        remember(&self.calls, sql, params);
        self.inner.query(sql, params).await
    }

    async fn execute(&self, sql: &'static str, params: &[Param]) -> Result<u64, DbError> {
        remember(&self.calls, sql, params);
        self.inner.execute(sql, params).await
    }

    async fn begin(&self) -> Result<Box<dyn SqlTransaction>, DbError> {
        Ok(Box::new(RecordingTransaction {
            inner: self.inner.begin().await?,
            calls: self.calls.clone(),
        }))
    }

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }
}

struct RecordingTransaction {
    inner: Box<dyn SqlTransaction>,
    calls: Calls,
}

#[async_trait]
impl SqlTransaction for RecordingTransaction {
    async fn query(&mut self, sql: &'static str, params: &[Param]) -> Result<Vec<Row>, DbError> {
        remember(&self.calls, sql, params);
        self.inner.query(sql, params).await
    }

    async fn execute(&mut self, sql: &'static str, params: &[Param]) -> Result<u64, DbError> {
        remember(&self.calls, sql, params);
        self.inner.execute(sql, params).await
    }

    async fn commit(self: Box<Self>) -> Result<(), DbError> {
        self.inner.commit().await
    }

    async fn rollback(self: Box<Self>) -> Result<(), DbError> {
        self.inner.rollback().await
    }
}

type Run = Box<dyn Fn(usize) -> Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send>>>;

/// One measured operation: a store call (or a production statement with the store's parameters)
/// whose parameters may vary with the iteration.
struct Case {
    group: &'static str,
    label: String,
    run: Run,
}

/// What one case measured at one size.
#[derive(Clone, Default)]
struct Measured {
    p50: f64,
    p95: f64,
    statements: Vec<&'static str>,
    plan: String,
}

/// Everything a case closure needs.
#[derive(Clone)]
struct Ctx {
    store: SqlStore,
    executor: Arc<dyn SqlExecutor>,
}

fn statement_name(sql: &str) -> &'static str {
    statements::ALL
        .iter()
        .chain(jobs_sql::ALL)
        .chain(privacy_sql::ALL)
        .chain(reports_sql::ALL)
        .find(|(_, text)| *text == sql)
        .map_or("?", |(name, _)| name)
}

/// The scans of a plan: indexes used (lookups of the joined customer and owner profile by primary
/// key left out), sequential scans, and whether rows are sorted after reading.
fn plan_summary(lines: &[String]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut add = |part: String| {
        if !parts.contains(&part) {
            parts.push(part);
        }
    };
    for line in lines {
        let text = line.trim_start().trim_start_matches("->").trim_start();
        let after = |marker: &str| -> Option<String> {
            text.find(marker).map(|at| {
                text[at + marker.len()..]
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_owned()
            })
        };
        if let Some(index) = after("Index Only Scan Backward using ").or_else(|| after("Index Only Scan using ")) {
            add(format!("{index} (index only)"));
        } else if let Some(index) = after("Index Scan Backward using ").or_else(|| after("Index Scan using ")) {
            if index != "customers_pkey" && index != "user_profiles_pkey" {
                add(index);
            }
        } else if let Some(index) = after("Bitmap Index Scan on ") {
            add(format!("{index} (bitmap)"));
        } else if let Some(table) = after("Parallel Seq Scan on ") {
            add(format!("**Seq Scan {table}** (parallel)"));
        } else if let Some(table) = after("Seq Scan on ") {
            add(format!("**Seq Scan {table}**"));
        } else if text.starts_with("Sort ") || text.starts_with("Incremental Sort") {
            add("sort".into());
        }
    }
    parts.join(", ")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

async fn measure(
    case: &Case,
    iterations: usize,
    calls: &Mutex<Vec<(&'static str, Vec<Param>)>>,
    pg: &PostgresExecutor,
) -> Result<Measured, String> {
    if let Ok(mut c) = calls.lock() {
        c.clear();
    }
    (case.run)(0).await.map_err(|e| format!("{}: {e}", case.label))?;
    let recorded: Vec<(&'static str, Vec<Param>)> = calls.lock().map(|c| c.clone()).unwrap_or_default();
    (case.run)(1).await.map_err(|e| format!("{}: {e}", case.label))?;
    let mut times = Vec::with_capacity(iterations);
    for i in 0..iterations {
        let started = Instant::now();
        (case.run)(i + 2).await.map_err(|e| format!("{}: {e}", case.label))?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let mut statements: Vec<&'static str> = Vec::new();
    let mut plans: Vec<String> = Vec::new();
    for (sql, params) in &recorded {
        let name = statement_name(sql);
        if statements.contains(&name) {
            continue;
        }
        statements.push(name);
        let plan = pg
            .explain(sql, params)
            .await
            .map_err(|e| format!("EXPLAIN {name}: {e}"))?;
        let summary = plan_summary(&plan);
        if !summary.is_empty() {
            plans.push(if recorded.len() > 1 {
                format!("{name}: {summary}")
            } else {
                summary
            });
        }
    }
    Ok(Measured {
        p50: percentile(&times, 0.50),
        p95: percentile(&times, 0.95),
        statements,
        plan: plans.join("; "),
    })
}

fn boxed<F>(future: F) -> Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send>>
where
    F: Future<Output = Result<(), StoreError>> + Send + 'static,
{
    Box::pin(future)
}

fn query(owner: Option<&str>, sort: SortKey, descending: bool) -> OpportunityQuery {
    OpportunityQuery {
        owner_sub: owner.map(str::to_owned),
        status: None,
        priority: None,
        customer_id: None,
        created_from: None,
        created_to: None,
        text: None,
        sort,
        descending,
        after: None,
        limit: PAGE,
    }
}

fn list_case(ctx: &Ctx, group: &'static str, label: String, queries: Vec<OpportunityQuery>) -> Case {
    let store = ctx.store.clone();
    Case {
        group,
        label,
        run: Box::new(move |i| {
            let store = store.clone();
            let q = queries[i % queries.len()].clone();
            boxed(async move { OpportunityStore::list(&store, &q).await.map(|_| ()) })
        }),
    }
}

/// A statement of the library with the parameters its store method binds (for the reads the
/// privacy export pages through, whose store method runs many pages).
fn statement_case(ctx: &Ctx, group: &'static str, label: String, sql: &'static str, variants: Vec<Vec<Param>>) -> Case {
    let executor = ctx.executor.clone();
    Case {
        group,
        label,
        run: Box::new(move |i| {
            let executor = executor.clone();
            let params = variants[i % variants.len()].clone();
            boxed(async move {
                executor.query(sql, &params).await?;
                Ok(())
            })
        }),
    }
}

const SORTS: [(SortKey, &str); 4] = [
    (SortKey::CreatedAt, "created_at"),
    (SortKey::UpdatedAt, "updated_at"),
    (SortKey::Priority, "priority"),
    (SortKey::StartDate, "start_date"),
];

/// Setup reads (not measured): real cursors and parameters from the loaded data.
struct Probe {
    client: tokio_postgres::Client,
}

impl Probe {
    /// The keyset position of the row in the middle of `sort` (optionally of one owner's rows).
    async fn middle(&self, sort: SortKey, descending: bool, owner: Option<&str>) -> Option<SortPosition> {
        let column = match sort {
            SortKey::CreatedAt => "created_at",
            SortKey::UpdatedAt => "updated_at",
            SortKey::Priority => "priority_rank",
            SortKey::StartDate => "start_date_key",
        };
        let direction = if descending { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT {column}, id FROM opportunities WHERE ($1::text IS NULL OR owner_sub = $1) \
             ORDER BY {column} {direction}, id {direction} \
             OFFSET (SELECT count(*) / 2 FROM opportunities WHERE $1::text IS NULL OR owner_sub = $1) LIMIT 1"
        );
        let row = self.client.query_opt(&sql, &[&owner]).await.ok()??;
        let id: Uuid = row.get(1);
        Some(match sort {
            SortKey::CreatedAt | SortKey::UpdatedAt => SortPosition::Timestamp(row.get(0), id),
            SortKey::Priority => SortPosition::Rank(i64::from(row.get::<_, i32>(0)), id),
            SortKey::StartDate => SortPosition::Date(row.get(0), id),
        })
    }
}

#[allow(clippy::too_many_lines)]
async fn cases(ctx: &Ctx, population: &Population, probe: &Probe) -> Vec<Case> {
    let heavy = population.managers[0].clone();
    let middle = population.managers[population.managers.len() / 10].clone();
    let light = population.managers[population.managers.len() - 1].clone();
    let (big_customer, _) = population.customers[0].clone();
    let (small_customer, small_name) = population.customers[population.customers.len() - 1].clone();
    let mut all = Vec::new();

    // Lists: every sort order, first page and a deep page from a real cursor.
    for (owner, who) in [
        (None, "Admin, all owners"),
        (Some(heavy.as_str()), "busiest Sales Manager"),
    ] {
        for (sort, name) in SORTS {
            for descending in [true, false] {
                let sign = if descending { "-" } else { "" };
                all.push(list_case(
                    ctx,
                    "list",
                    format!("{who}: sort={sign}{name}, first page"),
                    vec![query(owner, sort, descending)],
                ));
                if let Some(after) = probe.middle(sort, descending, owner).await {
                    let mut q = query(owner, sort, descending);
                    q.after = Some(after);
                    all.push(list_case(
                        ctx,
                        "list",
                        format!("{who}: sort={sign}{name}, deep page (middle)"),
                        vec![q],
                    ));
                }
            }
        }
    }
    for (owner, who) in [
        (middle.as_str(), "a median Sales Manager"),
        (light.as_str(), "the quietest Sales Manager"),
    ] {
        for (sort, name) in SORTS {
            all.push(list_case(
                ctx,
                "list",
                format!("{who}: sort=-{name}, first page"),
                vec![query(Some(owner), sort, true)],
            ));
        }
        if let Some(after) = probe.middle(SortKey::CreatedAt, true, Some(owner)).await {
            let mut q = query(Some(owner), SortKey::CreatedAt, true);
            q.after = Some(after);
            all.push(list_case(
                ctx,
                "list",
                format!("{who}: sort=-created_at, deep page (middle)"),
                vec![q],
            ));
        }
    }
    let mut q = query(None, SortKey::CreatedAt, true);
    q.limit = 100;
    all.push(list_case(ctx, "list", "Admin: limit=100".into(), vec![q]));

    // Filters.
    for status in Status::ALL {
        for (owner, who) in [
            (None, "Admin"),
            (Some(heavy.as_str()), "busiest"),
            (Some(light.as_str()), "quietest"),
        ] {
            let mut q = query(owner, SortKey::CreatedAt, true);
            q.status = Some(status);
            all.push(list_case(
                ctx,
                "filter",
                format!("{who}: status={}", status.as_str()),
                vec![q],
            ));
        }
    }
    for priority in [Priority::Critical, Priority::Low] {
        for (owner, who) in [(None, "Admin"), (Some(heavy.as_str()), "busiest")] {
            let mut q = query(owner, SortKey::UpdatedAt, true);
            q.priority = Some(priority);
            all.push(list_case(
                ctx,
                "filter",
                format!("{who}: priority={}, sort=-updated_at", priority.as_str()),
                vec![q],
            ));
        }
    }
    for (customer, which) in [
        (big_customer, "largest customer"),
        (small_customer, "smallest customer"),
    ] {
        for (sort, name) in [(SortKey::CreatedAt, "created_at"), (SortKey::UpdatedAt, "updated_at")] {
            let mut q = query(None, sort, true);
            q.customer_id = Some(customer);
            all.push(list_case(
                ctx,
                "filter",
                format!("Admin: customer_id={which}, sort=-{name}"),
                vec![q],
            ));
        }
    }
    for (from, to, which) in [
        (NOW - Duration::days(30), NOW, "last 30 days"),
        (
            NOW - Duration::days(5 * 365),
            NOW - Duration::days(5 * 365 - 31),
            "one month 5 years ago",
        ),
    ] {
        for (owner, who) in [(None, "Admin"), (Some(heavy.as_str()), "busiest")] {
            for (sort, name) in [(SortKey::CreatedAt, "created_at"), (SortKey::UpdatedAt, "updated_at")] {
                let mut q = query(owner, sort, true);
                q.created_from = Some(from);
                q.created_to = Some(to);
                all.push(list_case(
                    ctx,
                    "filter",
                    format!("{who}: created {which}, sort=-{name}"),
                    vec![q],
                ));
            }
        }
    }
    let mut q = query(Some(&heavy), SortKey::Priority, true);
    q.status = Some(Status::Submitted);
    q.priority = Some(Priority::High);
    all.push(list_case(
        ctx,
        "filter",
        "busiest: status=submitted & priority=high, sort=-priority".into(),
        vec![q],
    ));

    // q: substring of the title or the customer's name.
    let rare_customer = small_name.to_lowercase();
    for (text, which) in [
        ("platform", "common word"),
        ("kafka", "medium word"),
        (rare_customer.as_str(), "one small customer's name"),
        ("quantum ledger", "no match"),
    ] {
        for (owner, who) in [
            (None, "Admin"),
            (Some(heavy.as_str()), "busiest"),
            (Some(light.as_str()), "quietest"),
        ] {
            let mut q = query(owner, SortKey::CreatedAt, true);
            q.text = Some(text.to_owned());
            all.push(list_case(ctx, "q", format!("{who}: q={which} ({text:?})"), vec![q]));
        }
    }
    let mut q = query(None, SortKey::UpdatedAt, true);
    q.text = Some("kafka".into());
    q.status = Some(Status::Submitted);
    all.push(list_case(
        ctx,
        "q",
        "Admin: q=\"kafka\" & status=submitted, sort=-updated_at".into(),
        vec![q],
    ));

    // One opportunity: its view and its history.
    let with_attachments: Vec<Uuid> = probe
        .client
        .query(
            "SELECT opportunity_id FROM attachments GROUP BY opportunity_id ORDER BY count(*) DESC, opportunity_id LIMIT 20",
            &[],
        )
        .await
        .map(|rows| rows.iter().map(|r| r.get(0)).collect())
        .unwrap_or_default();
    let long_history: Vec<Uuid> = probe
        .client
        .query(
            "SELECT opportunity_id FROM opportunity_history GROUP BY opportunity_id ORDER BY count(*) DESC, opportunity_id LIMIT 20",
            &[],
        )
        .await
        .map(|rows| rows.iter().map(|r| r.get(0)).collect())
        .unwrap_or_default();
    let store = ctx.store.clone();
    let ids = with_attachments.clone();
    all.push(Case {
        group: "view",
        label: "get opportunity with requirements and attachments".into(),
        run: Box::new(move |i| {
            let store = store.clone();
            let id = ids[i % ids.len()];
            boxed(async move { store.get_with_attachments(id, 10).await.map(|_| ()) })
        }),
    });
    for (after_seq, which) in [(0, "first page"), (5, "after seq 5")] {
        let store = ctx.store.clone();
        let ids = long_history.clone();
        all.push(Case {
            group: "view",
            label: format!("history (longest histories), {which}, limit 5"),
            run: Box::new(move |i| {
                let store = store.clone();
                let id = ids[i % ids.len()];
                boxed(async move { store.history_with_owner(id, after_seq, 5).await.map(|_| ()) })
            }),
        });
    }
    let store = ctx.store.clone();
    let ids = long_history.clone();
    all.push(Case {
        group: "view",
        label: "history, first page, limit 20".into(),
        run: Box::new(move |i| {
            let store = store.clone();
            let id = ids[i % ids.len()];
            boxed(async move { store.history_with_owner(id, 0, PAGE).await.map(|_| ()) })
        }),
    });
    let store = ctx.store.clone();
    let ids = with_attachments.clone();
    all.push(Case {
        group: "view",
        label: "attachments of an opportunity".into(),
        run: Box::new(move |i| {
            let store = store.clone();
            let id = ids[i % ids.len()];
            boxed(async move {
                oms::ports::store::AttachmentStore::attachments(&store, id, None, PAGE)
                    .await
                    .map(|_| ())
            })
        }),
    });

    // Customers and skills.
    let middle_customer: Option<(String, Uuid)> = probe
        .client
        .query_opt(
            "SELECT name_key, id FROM customers ORDER BY name_key, id OFFSET (SELECT count(*) / 2 FROM customers) LIMIT 1",
            &[],
        )
        .await
        .ok()
        .flatten()
        .map(|r| (r.get(0), r.get(1)));
    let catalog: [(Option<&'static str>, bool, &str); 4] = [
        (None, false, "first page"),
        (None, true, "deep page (middle)"),
        (Some("logistics"), false, "q=\"logistics\""),
        (Some("quantum ledger"), false, "q=no match"),
    ];
    for (text, deep, which) in catalog {
        let store = ctx.store.clone();
        let after = if deep { middle_customer.clone() } else { None };
        all.push(Case {
            group: "catalog",
            label: format!("customers, {which}"),
            run: Box::new(move |_| {
                let store = store.clone();
                let after = after.clone();
                boxed(async move {
                    CustomerStore::list(&store, text, after.as_ref().map(|(k, id)| (k.as_str(), *id)), PAGE)
                        .await
                        .map(|_| ())
                })
            }),
        });
    }
    let store = ctx.store.clone();
    all.push(Case {
        group: "catalog",
        label: "skills, first page (limit 100)".into(),
        run: Box::new(move |_| {
            let store = store.clone();
            boxed(async move { SkillStore::list(&store, None, 100).await.map(|_| ()) })
        }),
    });
    let store = ctx.store.clone();
    let skill_after = population.skills.iter().map(|s| s.name.to_lowercase()).min();
    all.push(Case {
        group: "catalog",
        label: "skills, second page".into(),
        run: Box::new(move |_| {
            let store = store.clone();
            let after = skill_after.clone().unwrap_or_default();
            boxed(async move {
                SkillStore::list(&store, Some((&after, Uuid::max())), 100)
                    .await
                    .map(|_| ())
            })
        }),
    });

    // The pipeline report.
    for (filters, which) in [
        (PipelineFilters::default(), "everything"),
        (
            PipelineFilters {
                created_from: Some(NOW - Duration::days(90)),
                ..PipelineFilters::default()
            },
            "created in the last 90 days",
        ),
        (
            PipelineFilters {
                owner_id: Some(heavy.clone()),
                ..PipelineFilters::default()
            },
            "busiest owner",
        ),
        (
            PipelineFilters {
                owner_id: Some(light.clone()),
                ..PipelineFilters::default()
            },
            "quietest owner",
        ),
        (
            PipelineFilters {
                customer_id: Some(big_customer),
                ..PipelineFilters::default()
            },
            "largest customer",
        ),
    ] {
        let store = ctx.store.clone();
        all.push(Case {
            group: "report",
            label: format!("pipeline, {which}"),
            run: Box::new(move |_| {
                let store = store.clone();
                let filters = filters.clone();
                boxed(async move { store.pipeline_cells(&filters).await.map(|_| ()) })
            }),
        });
    }

    // The privacy export of the busiest Sales Manager: each paged read, first and deep pages.
    let epoch = OffsetDateTime::UNIX_EPOCH;
    let owner_middle: Option<(OffsetDateTime, Uuid)> = probe
        .client
        .query_opt(
            "SELECT created_at, id FROM opportunities WHERE owner_sub = $1 ORDER BY created_at, id \
             OFFSET (SELECT count(*) / 2 FROM opportunities WHERE owner_sub = $1) LIMIT 1",
            &[&heavy],
        )
        .await
        .ok()
        .flatten()
        .map(|r| (r.get(0), r.get(1)));
    let owner_range: Option<(OffsetDateTime, Uuid, OffsetDateTime, Uuid)> = match owner_middle {
        Some((at, id)) => probe
            .client
            .query_opt(
                "SELECT created_at, id FROM opportunities WHERE owner_sub = $1 AND (created_at, id) > ($2, $3) \
                 ORDER BY created_at, id OFFSET 19 LIMIT 1",
                &[&heavy, &at, &id],
            )
            .await
            .ok()
            .flatten()
            .map(|r| (at, id, r.get(0), r.get(1))),
        None => None,
    };
    let history_middle: Option<(Uuid, i64)> = probe
        .client
        .query_opt(
            "SELECT opportunity_id, seq FROM opportunity_history WHERE actor = $1 ORDER BY opportunity_id, seq \
             OFFSET (SELECT count(*) / 2 FROM opportunity_history WHERE actor = $1) LIMIT 1",
            &[&heavy],
        )
        .await
        .ok()
        .flatten()
        .map(|r| (r.get(0), r.get(1)));
    let attachment_middle: Option<(OffsetDateTime, Uuid)> = probe
        .client
        .query_opt(
            "SELECT created_at, id FROM attachments WHERE owner_sub = $1 ORDER BY created_at, id \
             OFFSET (SELECT count(*) / 2 FROM attachments WHERE owner_sub = $1) LIMIT 1",
            &[&heavy],
        )
        .await
        .ok()
        .flatten()
        .map(|r| (r.get(0), r.get(1)));
    let sub = heavy.as_str();
    let long = |first: bool, at: OffsetDateTime, id: Uuid| {
        Vec::from(params![
            "sub" => sub,
            "first_page" => first,
            "after_created_at" => at,
            "after_id" => id,
            "limit" => EXPORT_LONG_PAGE,
            "limit_plus_one" => EXPORT_LONG_PAGE + 1,
            "max_page_bytes" => EXPORT_PAGE_MAX_BYTES,
        ])
    };
    all.push(statement_case(
        ctx,
        "privacy export",
        "busiest: opportunities, first page".into(),
        privacy_sql::EXPORT_OPPORTUNITIES,
        vec![long(true, epoch, Uuid::nil())],
    ));
    if let Some((at, id)) = owner_middle {
        all.push(statement_case(
            ctx,
            "privacy export",
            "busiest: opportunities, deep page (middle)".into(),
            privacy_sql::EXPORT_OPPORTUNITIES,
            vec![long(false, at, id)],
        ));
    }
    if let Some((from_at, from_id, to_at, to_id)) = owner_range {
        all.push(statement_case(
            ctx,
            "privacy export",
            "busiest: requirements of one page".into(),
            privacy_sql::EXPORT_REQUIREMENTS,
            vec![Vec::from(params![
                "sub" => sub,
                "from_created_at" => from_at,
                "from_id" => from_id,
                "to_created_at" => to_at,
                "to_id" => to_id,
            ])],
        ));
    }
    let history = |first: bool, id: Uuid, seq: i64| {
        Vec::from(params![
            "sub" => sub,
            "first_page" => first,
            "after_id" => id,
            "after_seq" => seq,
            "limit" => EXPORT_LONG_PAGE,
            "limit_plus_one" => EXPORT_LONG_PAGE + 1,
            "max_page_bytes" => EXPORT_PAGE_MAX_BYTES,
        ])
    };
    all.push(statement_case(
        ctx,
        "privacy export",
        "busiest: history, first page".into(),
        privacy_sql::EXPORT_HISTORY,
        vec![history(true, Uuid::nil(), 0)],
    ));
    if let Some((id, seq)) = history_middle {
        all.push(statement_case(
            ctx,
            "privacy export",
            "busiest: history, deep page (middle)".into(),
            privacy_sql::EXPORT_HISTORY,
            vec![history(false, id, seq)],
        ));
    }
    let short = |after_param: &'static str, first: bool, at: OffsetDateTime, id: Uuid| {
        vec![
            Param {
                name: "sub",
                value: sub.into(),
            },
            Param {
                name: "first_page",
                value: first.into(),
            },
            Param {
                name: after_param,
                value: at.into(),
            },
            Param {
                name: "after_id",
                value: id.into(),
            },
            Param {
                name: "limit",
                value: EXPORT_SHORT_PAGE.into(),
            },
        ]
    };
    for (sql, after_param, which) in [
        (privacy_sql::EXPORT_CUSTOMERS, "after_created_at", "customers"),
        (privacy_sql::EXPORT_SKILLS, "after_created_at", "skills"),
        (
            privacy_sql::EXPORT_ATTACHMENTS,
            "after_created_at",
            "attachments, first page",
        ),
        (privacy_sql::EXPORT_AUDIT_EVENTS, "after_at", "audit events"),
    ] {
        all.push(statement_case(
            ctx,
            "privacy export",
            format!("busiest: {which}"),
            sql,
            vec![short(after_param, true, epoch, Uuid::nil())],
        ));
    }
    if let Some((at, id)) = attachment_middle {
        all.push(statement_case(
            ctx,
            "privacy export",
            "busiest: attachments, deep page (middle)".into(),
            privacy_sql::EXPORT_ATTACHMENTS,
            vec![short("after_created_at", false, at, id)],
        ));
    }
    all.push(statement_case(
        ctx,
        "privacy export",
        "busiest: profile".into(),
        privacy_sql::SELECT_PROFILE,
        vec![Vec::from(params!["sub" => sub])],
    ));
    all.push(statement_case(
        ctx,
        "privacy export",
        "busiest: idempotency records (count)".into(),
        privacy_sql::COUNT_IDEMPOTENCY_RECORDS,
        vec![Vec::from(params!["sub" => sub])],
    ));
    let quoted = serde_json::to_string(sub).unwrap_or_default();
    all.push(statement_case(
        ctx,
        "privacy export",
        "busiest: outbox events naming them (count)".into(),
        privacy_sql::COUNT_OUTBOX_EVENTS,
        vec![Vec::from(params!["payload_pattern" => format!("%{quoted}%")])],
    ));

    // The export job: pages of a day's window and of the first full export, and each record.
    let day = (NOW - Duration::days(1), NOW);
    let everything = (OffsetDateTime::UNIX_EPOCH, NOW);
    let full_middle: Option<(OffsetDateTime, Uuid)> = probe
        .client
        .query_opt(
            "SELECT updated_at, id FROM opportunities ORDER BY updated_at, id OFFSET (SELECT count(*) / 2 FROM opportunities) LIMIT 1",
            &[],
        )
        .await
        .ok()
        .flatten()
        .map(|r| (r.get(0), r.get(1)));
    for ((lower, upper), after, which) in [
        (day, None, "last day's window, first page"),
        (everything, None, "full export, first page"),
        (everything, full_middle, "full export, deep page (middle)"),
    ] {
        let store = ctx.store.clone();
        all.push(Case {
            group: "export job",
            label: format!("changed opportunities: {which} (500)"),
            run: Box::new(move |_| {
                let store = store.clone();
                boxed(async move {
                    store
                        .changed_opportunities(lower, upper, after, EXPORT_JOB_PAGE)
                        .await
                        .map(|_| ())
                })
            }),
        });
    }
    let store = ctx.store.clone();
    all.push(Case {
        group: "export job",
        label: "unpublished outbox events (100)".into(),
        run: Box::new(move |_| {
            let store = store.clone();
            boxed(async move { store.unpublished(100).await.map(|_| ()) })
        }),
    });

    // The retention purge's batches (they delete: each run takes the next batch).
    let closed_before = NOW - Duration::days(oms::domain::retention::DEFAULT_CLOSED_OPPORTUNITY_DAYS);
    let events_before = NOW - Duration::days(oms::domain::retention::DEFAULT_PUBLISHED_EVENT_DAYS);
    let store = ctx.store.clone();
    all.push(Case {
        group: "purge job",
        label: format!(
            "closed opportunities batch ({}; one transaction)",
            oms::domain::retention::DEFAULT_OPPORTUNITY_BATCH
        ),
        run: Box::new(move |_| {
            let store = store.clone();
            boxed(async move {
                store
                    .purge_closed_opportunities(closed_before, oms::domain::retention::DEFAULT_OPPORTUNITY_BATCH, NOW)
                    .await
                    .map(|_| ())
            })
        }),
    });
    let store = ctx.store.clone();
    all.push(Case {
        group: "purge job",
        label: "purgeable registrations (50)".into(),
        run: Box::new(move |_| {
            let store = store.clone();
            boxed(async move {
                store
                    .purgeable_registrations(NOW - Duration::days(30), NOW - Duration::days(1), 50)
                    .await
                    .map(|_| ())
            })
        }),
    });
    let batch = oms::domain::retention::DEFAULT_ROW_BATCH;
    let store = ctx.store.clone();
    all.push(Case {
        group: "purge job",
        label: format!("published outbox events batch ({batch})"),
        run: Box::new(move |_| {
            let store = store.clone();
            boxed(async move { store.purge_published_events(events_before, batch).await.map(|_| ()) })
        }),
    });
    let store = ctx.store.clone();
    all.push(Case {
        group: "purge job",
        label: format!("processed events batch ({batch})"),
        run: Box::new(move |_| {
            let store = store.clone();
            boxed(async move { store.purge_processed_events(events_before, batch).await.map(|_| ()) })
        }),
    });
    let store = ctx.store.clone();
    all.push(Case {
        group: "purge job",
        label: format!("expired idempotency records batch ({batch})"),
        run: Box::new(move |_| {
            let store = store.clone();
            boxed(async move { store.purge_idempotency_records(NOW, batch).await.map(|_| ()) })
        }),
    });
    let store = ctx.store.clone();
    all.push(Case {
        group: "purge job",
        label: "expired uploads (100)".into(),
        run: Box::new(move |_| {
            let store = store.clone();
            boxed(async move {
                oms::ports::store::AttachmentStore::expired_uploads(&store, NOW, 100)
                    .await
                    .map(|_| ())
            })
        }),
    });
    all
}

/// One size: load, measure every case, drop the schema.
struct SizeRun {
    size: usize,
    load: scale_data::LoadReport,
    database_bytes: i64,
    measured: Vec<(String, String, Measured)>,
}

async fn run_size(args: &Args, size: usize) -> Result<SizeRun, String> {
    let schema = format!("scale_{size}");
    let (admin, connection) = tokio_postgres::connect(&args.postgres_url, NoTls)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    tokio::spawn(connection);
    admin
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
        ))
        .await
        .map_err(|e| format!("create schema: {e}"))?;
    let separator = if args.postgres_url.contains('?') { '&' } else { '?' };
    let url = format!("{}{separator}options=-csearch_path%3D{schema}", args.postgres_url);
    let pg = Arc::new(PostgresExecutor::new(&url, 2));
    migrations::migrate(pg.as_ref())
        .await
        .map_err(|e| format!("migrate: {e}"))?;
    let (client, connection) = tokio_postgres::connect(&url, NoTls)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    tokio::spawn(connection);
    eprintln!("loading {size} opportunities into schema {schema}…");
    let (population, load) = scale_data::load(&client, &ScaleConfig::new(size), true)
        .await
        .map_err(|e| format!("load: {e}"))?;
    eprintln!(
        "  {} rows in {:.1} s (copy {:.1} s, indexes {:.1} s, analyze {:.1} s)",
        load.total_rows(),
        load.copy_seconds + load.index_seconds + load.analyze_seconds,
        load.copy_seconds,
        load.index_seconds,
        load.analyze_seconds
    );
    let database_bytes: i64 = client
        .query_one(
            "SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'",
            &[],
        )
        .await
        .map(|r| r.get(0))
        .map_err(|e| format!("size: {e}"))?;
    let calls = Arc::new(Mutex::new(Vec::new()));
    let recording: Arc<dyn SqlExecutor> = Arc::new(Recording {
        inner: pg.clone(),
        calls: calls.clone(),
    });
    let ctx = Ctx {
        store: SqlStore::new(recording.clone()),
        executor: recording,
    };
    let probe = Probe { client };
    let cases = cases(&ctx, &population, &probe).await;
    let mut measured = Vec::with_capacity(cases.len());
    for case in &cases {
        let m = measure(case, args.iterations, &calls, &pg).await?;
        eprintln!("  {:>8.2} / {:>8.2} ms  {} — {}", m.p50, m.p95, case.group, case.label);
        measured.push((case.group.to_owned(), case.label.clone(), m));
    }
    if !args.keep {
        admin
            .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
            .await
            .map_err(|e| format!("drop schema: {e}"))?;
    }
    Ok(SizeRun {
        size,
        load,
        database_bytes,
        measured,
    })
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("MemTotal"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or_else(|| "?".into(), |kb| format!("{:.0} GiB", kb as f64 / 1_048_576.0));
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores, {memory} RAM")
}

fn size_label(size: usize) -> String {
    match size {
        10_000 => "10^4".into(),
        100_000 => "10^5".into(),
        1_000_000 => "10^6".into(),
        n => n.to_string(),
    }
}

fn report(args: &Args, runs: &[SizeRun], postgres: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let now = OffsetDateTime::now_utc();
    let _ = writeln!(
        out,
        "### Data at scale: every interactive statement on PostgreSQL\n\n\
         - date: {}\n- machine: {}\n- database: {postgres}\n- command: `{}`\n- profile: {}; {} timed runs per statement \
         after two warm-up runs, sequentially on one connection (p50 / p95 in ms, client-side: bind, plan, execute, \
         decode)\n- data: `oms_bench::scale_data` (seeded): 200 Sales Managers with Zipf ownership, customers 1 per 50 \
         opportunities (Zipf), 180 catalog skills, 9 years of history growing towards the present\n",
        now.date(),
        machine(),
        std::env::args().collect::<Vec<_>>().join(" "),
        if cfg!(debug_assertions) { "debug" } else { "release" },
        args.iterations
    );
    let _ = writeln!(
        out,
        "| size | opportunities | rows (all tables) | history | attachments | outbox | database | copy s | indexes s | analyze s |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for run in runs {
        let rows = |t: &str| run.load.rows.iter().find(|(n, _)| *n == t).map_or(0, |(_, n)| *n);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {:.2} GB | {:.1} | {:.1} | {:.1} |",
            size_label(run.size),
            rows("opportunities"),
            run.load.total_rows(),
            rows("opportunity_history"),
            rows("attachments"),
            rows("outbox_events"),
            run.database_bytes as f64 / 1e9,
            run.load.copy_seconds,
            run.load.index_seconds,
            run.load.analyze_seconds
        );
    }
    let largest = runs.last();
    let _ = write!(out, "\n| group | case | statement(s) |");
    for run in runs {
        let _ = write!(out, " {} p50 / p95 |", size_label(run.size));
    }
    let _ = writeln!(
        out,
        " p95 < {TARGET_P95_MS} ms at {} | plan at {} |",
        largest.map_or("-".into(), |r| size_label(r.size)),
        largest.map_or("-".into(), |r| size_label(r.size))
    );
    let _ = write!(out, "|---|---|---|");
    for _ in runs {
        let _ = write!(out, "---:|");
    }
    let _ = writeln!(out, ":---:|---|");
    let mut misses = 0;
    if let Some(first) = runs.first() {
        for (i, (group, label, m)) in first.measured.iter().enumerate() {
            let _ = write!(out, "| {group} | {label} | {} |", m.statements.join(", "));
            for run in runs {
                match run.measured.get(i) {
                    Some((_, _, m)) => {
                        let _ = write!(out, " {:.2} / {:.2} |", m.p50, m.p95);
                    }
                    None => {
                        let _ = write!(out, " - |");
                    }
                }
            }
            let last = largest.and_then(|r| r.measured.get(i)).map(|(_, _, m)| m);
            let ok = last.is_some_and(|m| m.p95 < TARGET_P95_MS);
            if !ok {
                misses += 1;
            }
            let _ = writeln!(
                out,
                " {} | {} |",
                if ok { "yes" } else { "**no**" },
                last.map_or("", |m| m.plan.as_str())
            );
        }
        let _ = writeln!(
            out,
            "\n{} of {} cases meet p95 < {TARGET_P95_MS} ms at {}.",
            first.measured.len() - misses,
            first.measured.len(),
            largest.map_or("-".into(), |r| size_label(r.size))
        );
    }
    out
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = Args::parse();
    let (client, connection) = match tokio_postgres::connect(&args.postgres_url, NoTls).await {
        Ok(pair) => pair,
        Err(error) => {
            eprintln!("cannot connect to {}: {error}", args.postgres_url);
            std::process::exit(2);
        }
    };
    tokio::spawn(connection);
    let postgres = match client
        .query_one(
            "SELECT version(), current_setting('shared_buffers'), current_setting('work_mem')",
            &[],
        )
        .await
    {
        Ok(row) => {
            let version: String = row.get(0);
            let buffers: String = row.get(1);
            let work_mem: String = row.get(2);
            format!(
                "{} (shared_buffers {buffers}, work_mem {work_mem})",
                version.split(" on ").next().unwrap_or(&version)
            )
        }
        Err(error) => format!("PostgreSQL ({error})"),
    };
    let mut runs = Vec::new();
    for size in &args.sizes {
        match run_size(&args, *size).await {
            Ok(run) => runs.push(run),
            Err(error) => {
                eprintln!("size {size}: {error}");
                std::process::exit(1);
            }
        }
    }
    let text = report(&args, &runs, &postgres);
    println!("{text}");
    if let Some(parent) = args.out.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    if let Err(error) = std::fs::write(&args.out, &text) {
        eprintln!("could not write {}: {error}", args.out.display());
    }
}
