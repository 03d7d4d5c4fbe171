//! Round trips per operation: every API operation (and the consumers that touch the database)
//! run through the production executor against the Data API stand-in over PostgreSQL, in the
//! production configuration (DynamoDB cache, SQS publisher, in moto), and
//! the stand-in counts the Data API calls each one makes (the scenario:
//! `oms_tests::round_trips`). A count above its budget (`oms::store::round_trips::BUDGETS`, the
//! one place they live) fails, and the table in docs/PERFORMANCE.md ("Data API round trips per
//! operation") must be the one these budgets and measurements render.

use oms::store::round_trips::{BUDGETS, markdown_table};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_stays_within_its_data_api_round_trip_budget() {
    let moto = std::env::var("OMS_TEST_MOTO_URL")
        .expect("OMS_TEST_MOTO_URL is not set: run the suite with scripts/test, which starts moto's server for it");
    let measured = oms_tests::round_trips::measure_every_operation(&moto).await;
    let report: Vec<String> = measured
        .iter()
        .map(|m| format!("{}: {} {:?}", m.label, m.calls.total(), m.calls.0))
        .collect();
    eprintln!("Data API calls per operation:\n{}", report.join("\n"));
    let mut over = Vec::new();
    for m in &measured {
        let budget = BUDGETS
            .iter()
            .find(|b| b.operation == m.label)
            .unwrap_or_else(|| panic!("no budget for {} in oms::store::round_trips::BUDGETS", m.label));
        if m.calls.total() > u64::from(budget.budget) {
            over.push(format!(
                "{}: {} calls, budget {} ({:?})",
                m.label,
                m.calls.total(),
                budget.budget,
                m.calls.0
            ));
        }
    }
    assert!(over.is_empty(), "over budget:\n{}", over.join("\n"));
    assert_eq!(measured.len(), BUDGETS.len(), "every budget is measured");

    let rows: Vec<(&str, u64)> = measured.iter().map(|m| (m.label, m.calls.total())).collect();
    let table = markdown_table(&rows);
    let path = oms_tests::workspace_root().join("docs/PERFORMANCE.md");
    let performance = std::fs::read_to_string(&path).expect("docs/PERFORMANCE.md");
    assert!(
        performance.contains(&table),
        "docs/PERFORMANCE.md must hold the round-trip table these budgets and measurements render:\n{table}"
    );
}
