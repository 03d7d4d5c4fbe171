//! The scale bench's synthetic data matches the schema and the domain, so the generator cannot rot
//! silently: 200 opportunities loaded row by row (every constraint, foreign key and index of the
//! migrated schema checks each row) and read back through the library's store, every value parsed
//! by the domain's own rules.

use std::sync::Arc;

use oms::domain::lifecycle::Status;
use oms::domain::money::Money;
use oms::domain::opportunity::{Importance, ProblemStatement, parse_description, parse_title};
use oms::domain::reports::PipelineFilters;
use oms::ports::jobs::ReportStore;
use oms::ports::privacy::PrivacyStore;
use oms::ports::store::{OpportunityQuery, OpportunityStore, OutboxStore, SortKey, SortPosition};
use oms::sql::migrations;
use oms::sql::postgres::PostgresExecutor;
use oms::store::SqlStore;
use oms::store::privacy::SqlPrivacy;
use oms_bench::scale_data::{ScaleConfig, load};

#[tokio::test]
async fn generated_data_loads_into_the_migrated_schema_and_reads_back_as_valid_domain_values() {
    let url = oms_tests::postgres_schema_url().await;
    let executor = Arc::new(PostgresExecutor::new(&url, 2));
    migrations::migrate(executor.as_ref()).await.expect("migrate");
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    let config = ScaleConfig::new(200);
    let (population, report) = load(&client, &config, false).await.expect("load the generated rows");
    for (table, rows) in &report.rows {
        assert!(*rows > 0, "the generator wrote no {table}");
    }
    assert_eq!(
        report.rows.len(),
        12,
        "every table of the data set has rows: {:?}",
        report.rows
    );

    let store = SqlStore::new(executor.clone());
    // Every opportunity, page by page, through the list the API serves.
    let mut query = OpportunityQuery {
        owner_sub: None,
        status: None,
        priority: None,
        customer_id: None,
        created_from: None,
        created_to: None,
        text: None,
        sort: SortKey::CreatedAt,
        descending: true,
        after: None,
        limit: 50,
    };
    let mut listed = Vec::new();
    loop {
        let mut page = store.list(&query).await.expect("list");
        let more = page.len() > 50;
        page.truncate(50);
        let Some(last) = page.last() else { break };
        query.after = Some(SortPosition::Timestamp(last.created_at, last.id));
        listed.extend(page);
        if !more {
            break;
        }
    }
    assert_eq!(listed.len(), config.opportunities);
    let mut statuses = Vec::new();
    for summary in &listed {
        let (o, attachments) = store
            .get_with_attachments(summary.id, 50)
            .await
            .expect("get")
            .expect("listed opportunity exists");
        assert_eq!(parse_title(&o.title).as_deref(), Ok(o.title.as_str()));
        assert_eq!(parse_description(&o.description).as_deref(), Ok(o.description.as_str()));
        if let Some(problem) = &o.problem_statement {
            ProblemStatement::parse(&problem.markdown).expect("a valid problem statement");
        }
        let money = &o.annual_recurring_revenue;
        Money::parse(Some(&money.amount.to_string()), Some(&money.currency)).expect("a valid amount");
        if let Some(t) = &o.timeline {
            assert!(t.end_date.is_none() || t.duration_days.is_none());
            assert!(t.end_date.is_none_or(|end| end >= t.start_date));
            assert!(t.specific_days.windows(2).all(|w| w[0] < w[1]));
            assert!(t.specific_days.iter().all(|d| *d >= t.start_date && *d <= t.last_day()));
        }
        assert_eq!(o.status == Status::Cancelled, o.status_before_cancel.is_some());
        assert_eq!(o.status == Status::Cancelled, o.cancelled_at.is_some());
        if o.status != Status::Draft && o.status != Status::Cancelled {
            assert!(
                o.skill_requirements
                    .iter()
                    .any(|r| r.importance == Importance::MustHave),
                "a submitted opportunity has a must-have skill"
            );
        }
        assert!(o.updated_at >= o.created_at);
        assert!(
            attachments
                .iter()
                .all(|a| a.owner_sub == o.owner_sub && a.created_at >= o.created_at)
        );
        assert!(population.managers.contains(&o.owner_sub));

        // The history replays the status path to the current status, in order.
        let (owner, page) = store
            .history_with_owner(o.id, 0, 100)
            .await
            .expect("history")
            .expect("opportunity exists");
        assert_eq!(owner, o.owner_sub);
        let mut current: Option<Status> = None;
        for item in page.items.iter().filter(|i| i.to.is_some()) {
            assert_eq!(item.from, current, "status records chain for {}", o.id);
            current = item.to;
        }
        assert_eq!(current, Some(o.status));
        assert!(
            page.items
                .windows(2)
                .all(|w| w[0].seq + 1 == w[1].seq && w[0].at <= w[1].at)
        );
        statuses.push(o.status);
    }
    for status in Status::ALL {
        assert!(statuses.contains(&status), "no opportunity is {}", status.as_str());
    }

    // The report, the outbox and the privacy export read it as well.
    let cells = store.pipeline_cells(&PipelineFilters::default()).await.expect("report");
    assert_eq!(cells.iter().map(|c| c.count).sum::<i64>(), config.opportunities as i64);
    store
        .unpublished(1000)
        .await
        .expect("outbox payloads are change events");
    let records = SqlPrivacy::new(executor.clone())
        .subject_records(&population.managers[0])
        .await
        .expect("privacy export");
    assert!(!records.opportunities.is_empty() && !records.history.is_empty());
    assert!(records.profile.is_some());
}
