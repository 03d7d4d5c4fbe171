//! The RDS Data API round trips each operation may make: the one place the budgets live.
//!
//! In AWS every statement is an HTTPS call to the Data API (typically 10 to 30 ms), so the calls
//! an operation makes, not the SQL's run time, set its latency. `tests/it/data_api_round_trips.rs`
//! runs every operation through the production executor against the Data API stand-in and fails
//! when one makes more calls than its budget here; the table in docs/PERFORMANCE.md is the one
//! [`markdown_table`] renders from these budgets and that measurement.

/// An operation (a scenario of it) and its Data API calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoundTrips {
    /// The function, and the case when it matters.
    pub operation: &'static str,
    /// Calls before the operations were designed for the Data API's cost model.
    pub before: u32,
    /// The most calls it may make now.
    pub budget: u32,
}

const fn budget(operation: &'static str, before: u32, budget: u32) -> RoundTrips {
    RoundTrips {
        operation,
        before,
        budget,
    }
}

/// Every measured operation, in the order the test runs them. A write is: its read of the
/// current state, `BeginTransaction`, its statements, one batch of every child row (skill
/// requirements, history, change events and the writer's profile: the `opportunity_changes`
/// statement), `CommitTransaction`, and one batch marking its events published after they went
/// out. `Idempotency-Key` adds its claim and its stored response, in the same transaction.
/// `get-me` reads the stored profile (cached 15 minutes afterwards).
pub const BUDGETS: &[RoundTrips] = &[
    budget("create-skill", 6, 6),
    budget("list-skills", 2, 2),
    budget("get-skill", 0, 0),
    budget("create-customer", 5, 5),
    budget("list-customers", 1, 1),
    budget("get-customer", 1, 1),
    budget("create-opportunity (new customer, Idempotency-Key)", 9, 8),
    budget("create-opportunity (existing customer)", 8, 6),
    budget("get-opportunity (uncached)", 3, 1),
    budget("get-opportunity (cached)", 0, 0),
    budget("put-problem-statement", 9, 6),
    budget("put-skill-requirements (50 catalog skills)", 61, 6),
    budget("patch-opportunity (3 fields)", 11, 6),
    budget("get-opportunity-history", 3, 1),
    budget("list-opportunities", 1, 1),
    budget("submit-opportunity", 11, 6),
    budget("opportunity-status-events (1 event)", 13, 8),
    budget("cancel-opportunity", 11, 6),
    budget("reactivate-opportunity", 11, 6),
    budget("presign-upload", 9, 8),
    budget("list-attachments", 3, 1),
    budget("get-attachment", 1, 1),
    budget("delete-attachment", 7, 7),
    budget("outbox-relay (nothing pending)", 1, 1),
    budget("get-me (uncached profile)", 0, 1),
];

/// The round-trip table: operation, calls before, budget, calls measured now.
pub fn markdown_table(measured: &[(&str, u64)]) -> String {
    let mut table = String::from("| operation | Data API calls before | budget | calls now |\n|---|---:|---:|---:|\n");
    for row in BUDGETS {
        let now = measured
            .iter()
            .find(|(operation, _)| *operation == row.operation)
            .map_or_else(|| "–".to_owned(), |(_, calls)| calls.to_string());
        table.push_str(&format!(
            "| {} | {} | {} | {now} |\n",
            row.operation, row.before, row.budget
        ));
    }
    table
}
