//! The SQL suite: every store operation, and so every SQL text, on the embedded SQLite file and
//! on a real PostgreSQL (what Aurora runs through the Data API). Each test runs on both.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use oms::domain::catalog::{Customer, Skill};
use oms::domain::events::ChangeEvent;
use oms::domain::history::{Change, HistoryEntry, HistoryKind};
use oms::domain::lifecycle::Status;
use oms::domain::money::Money;
use oms::domain::opportunity::{
    CustomerRef, Importance, Opportunity, Priority, ProblemStatement, Proficiency, SkillCategory, SkillRef,
    SkillRequirement, Timeline,
};
use oms::params;
use oms::ports::store::{
    Created, CustomerChoice, CustomerStore, IdempotencyClaim, NewOpportunity, OpportunityQuery, OpportunityStore,
    OpportunityUpdate, SkillStore, SortKey, SortPosition, StoreError, StoredResponse,
};
use oms::ports::{Clock, SystemClock};
use oms::sql::{SqlExecutor, migrations};
use oms::store::{SqlStore, statements};
use oms_tests::recording::Recording;
use rust_decimal::Decimal;
use time::macros::date;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

fn now() -> OffsetDateTime {
    SystemClock.now()
}

fn draft(owner: &str, title: &str, created_at: OffsetDateTime) -> Opportunity {
    Opportunity {
        id: Uuid::now_v7(),
        owner_sub: owner.into(),
        customer: CustomerRef {
            id: Uuid::nil(),
            name: String::new(),
        },
        title: title.into(),
        description: "A description".into(),
        priority: Priority::Medium,
        annual_recurring_revenue: Money {
            amount: Decimal::new(1250000, 2),
            currency: "EUR".into(),
        },
        timeline: Some(Timeline {
            start_date: date!(2027 - 01 - 04),
            end_date: Some(date!(2027 - 03 - 31)),
            duration_days: None,
            flexible: false,
            specific_days: vec![date!(2027 - 01 - 05), date!(2027 - 02 - 01)],
        }),
        problem_statement: None,
        skill_requirements: Vec::new(),
        status: Status::Draft,
        status_before_cancel: None,
        cancelled_at: None,
        version: 1,
        created_at,
        updated_at: created_at,
        owner_name: None,
    }
}

fn new_opportunity(opportunity: Opportunity, customer: CustomerChoice) -> NewOpportunity {
    let at = opportunity.created_at;
    NewOpportunity {
        history: HistoryEntry {
            change: Change::Status {
                from: None,
                to: Status::Draft,
            },
            at,
            actor: opportunity.owner_sub.clone(),
            reason: None,
        },
        event: ChangeEvent {
            id: Uuid::now_v7(),
            event_type: oms::domain::events::ChangeKind::OpportunityCreated,
            aggregate_id: opportunity.id,
            aggregate_version: 1,
            occurred_at: at,
            detail: serde_json::json!({}),
        },
        customer,
        draft: opportunity.into(),
    }
}

async fn create(store: &SqlStore, o: Opportunity, customer: &str) -> Opportunity {
    let customer = CustomerChoice::ByName {
        id: Uuid::now_v7(),
        name: customer.into(),
    };
    match OpportunityStore::create(store, new_opportunity(o, customer), None)
        .await
        .expect("create")
    {
        Created::New(o) => o,
        Created::Replay(_) => panic!("unexpected replay"),
    }
}

async fn count(executor: &dyn SqlExecutor, sql: &'static str, id: Uuid) -> i64 {
    executor.query(sql, &params!["id" => id]).await.expect("count")[0]
        .int("n")
        .expect("n")
}

const COUNT_EVENTS: &str = "SELECT COUNT(*) AS n FROM outbox_events WHERE aggregate_id = :id";
const COUNT_HISTORY: &str = "SELECT COUNT(*) AS n FROM opportunity_history WHERE opportunity_id = :id";
const COUNT_OPPORTUNITIES: &str = "SELECT COUNT(*) AS n FROM opportunities WHERE id = :id";

fn update_of(current: &Opportunity, change: impl FnOnce(&mut Opportunity), at: OffsetDateTime) -> OpportunityUpdate {
    let mut next = current.clone();
    change(&mut next);
    next.version = current.version + 1;
    next.updated_at = at;
    OpportunityUpdate {
        applies_event: None,
        expected_version: current.version,
        skill_requirements_changed: next.skill_requirements != current.skill_requirements,
        history: vec![HistoryEntry {
            change: Change::Field {
                field: "title".into(),
                old: Some(serde_json::json!(current.title)),
                new: serde_json::json!(next.title),
            },
            at,
            actor: "tester".into(),
            reason: Some("because".into()),
        }],
        events: vec![ChangeEvent {
            id: Uuid::now_v7(),
            event_type: oms::domain::events::ChangeKind::OpportunityUpdated,
            aggregate_id: current.id,
            aggregate_version: next.version,
            occurred_at: at,
            detail: serde_json::json!({}),
        }],
        opportunity: next,
    }
}

async fn migrations_are_recorded_and_not_reapplied(executor: Arc<dyn SqlExecutor>) {
    let applied_again = migrations::migrate(executor.as_ref()).await.expect("migrate again");
    assert!(applied_again.is_empty());
}

async fn a_created_opportunity_reads_back_exactly(executor: Arc<dyn SqlExecutor>) {
    let store = SqlStore::new(executor.clone());
    let created = create(&store, draft("alice", "Round trip", now()), "Ünïcode Customer GmbH").await;
    assert_ne!(created.customer.id, Uuid::nil());
    assert_eq!(created.customer.name, "Ünïcode Customer GmbH");
    let read = store.get(created.id).await.expect("get").expect("exists");
    assert_eq!(read, created);
    assert_eq!(count(executor.as_ref(), COUNT_EVENTS, created.id).await, 1);
    assert_eq!(count(executor.as_ref(), COUNT_HISTORY, created.id).await, 1);
    assert!(store.get(Uuid::now_v7()).await.expect("get").is_none());
}

async fn customers_are_reused_by_name_ignoring_case_and_spacing(executor: Arc<dyn SqlExecutor>) {
    let store = SqlStore::new(executor);
    let a = create(&store, draft("alice", "A", now()), "Acme  Corp").await;
    let b = create(&store, draft("bob", "B", now()), "acme corp").await;
    assert_eq!(a.customer.id, b.customer.id);
    assert_eq!(b.customer.name, "Acme  Corp");
    let existing = OpportunityStore::create(
        &store,
        new_opportunity(draft("bob", "C", now()), CustomerChoice::Existing(a.customer.id)),
        None,
    )
    .await
    .expect("create");
    assert!(matches!(existing, Created::New(o) if o.customer.id == a.customer.id));
}

async fn an_unknown_customer_writes_nothing(executor: Arc<dyn SqlExecutor>) {
    let store = SqlStore::new(executor.clone());
    let o = draft("alice", "Orphan", now());
    let id = o.id;
    let result = OpportunityStore::create(
        &store,
        new_opportunity(o, CustomerChoice::Existing(Uuid::now_v7())),
        None,
    )
    .await;
    assert!(
        matches!(result, Err(StoreError::UnknownReference("customer"))),
        "{result:?}"
    );
    assert_eq!(count(executor.as_ref(), COUNT_OPPORTUNITIES, id).await, 0);
    assert_eq!(count(executor.as_ref(), COUNT_EVENTS, id).await, 0);
}

async fn idempotency_keys_replay_refuse_other_requests_and_expire(executor: Arc<dyn SqlExecutor>) {
    let store = SqlStore::new(executor.clone());
    let render = |o: &Opportunity| StoredResponse {
        status: 201,
        headers: vec![("location".into(), format!("/v1/opportunities/{}", o.id))],
        body: o.id.to_string(),
    };
    let at = now();
    let claim = |hash: &'static str, expires_at| IdempotencyClaim {
        caller_sub: "alice",
        key: "key-1",
        request_hash: hash,
        expires_at,
        render: &render,
    };
    let first = OpportunityStore::create(
        &store,
        new_opportunity(
            draft("alice", "Idem", at),
            CustomerChoice::ByName {
                id: Uuid::now_v7(),
                name: "Idem".into(),
            },
        ),
        Some(claim("h1", at + Duration::hours(24))),
    )
    .await
    .expect("first");
    let Created::New(first) = first else {
        panic!("first create replayed")
    };
    let retry_draft = draft("alice", "Idem", at);
    let retry_id = retry_draft.id;
    let retry = OpportunityStore::create(
        &store,
        new_opportunity(
            retry_draft,
            CustomerChoice::ByName {
                id: Uuid::now_v7(),
                name: "Idem".into(),
            },
        ),
        Some(claim("h1", at + Duration::hours(24))),
    )
    .await
    .expect("retry");
    match retry {
        Created::Replay(stored) => {
            assert_eq!(stored.status, 201);
            assert_eq!(stored.body, first.id.to_string());
            assert_eq!(
                stored.headers,
                vec![("location".to_owned(), format!("/v1/opportunities/{}", first.id))]
            );
        }
        Created::New(_) => panic!("a retry created a second opportunity"),
    }
    assert_eq!(count(executor.as_ref(), COUNT_OPPORTUNITIES, retry_id).await, 0);
    let other = OpportunityStore::create(
        &store,
        new_opportunity(
            draft("alice", "Other", at),
            CustomerChoice::ByName {
                id: Uuid::now_v7(),
                name: "Idem".into(),
            },
        ),
        Some(claim("h2", at + Duration::hours(24))),
    )
    .await;
    assert!(matches!(other, Err(StoreError::IdempotencyMismatch)), "{other:?}");
    // Another caller's identical key is independent.
    let bob_claim = IdempotencyClaim {
        caller_sub: "bob",
        key: "key-1",
        request_hash: "h2",
        expires_at: at + Duration::hours(24),
        render: &render,
    };
    let bob = OpportunityStore::create(
        &store,
        new_opportunity(
            draft("bob", "Bob", at),
            CustomerChoice::ByName {
                id: Uuid::now_v7(),
                name: "Idem".into(),
            },
        ),
        Some(bob_claim),
    )
    .await;
    assert!(matches!(bob, Ok(Created::New(_))));
    // An expired record is taken over by a new request.
    let later = at + Duration::hours(25);
    let expired = OpportunityStore::create(
        &store,
        new_opportunity(
            draft("alice", "Later", later),
            CustomerChoice::ByName {
                id: Uuid::now_v7(),
                name: "Idem".into(),
            },
        ),
        Some(claim("h3", later + Duration::hours(24))),
    )
    .await;
    assert!(matches!(expired, Ok(Created::New(_))), "{expired:?}");
}

async fn updates_need_the_version_they_were_computed_from(executor: Arc<dyn SqlExecutor>) {
    let store = SqlStore::new(executor.clone());
    let created = create(&store, draft("alice", "Versioned", now()), "V").await;
    let at = now() + Duration::seconds(1);
    store
        .update(update_of(&created, |o| o.title = "Renamed".into(), at))
        .await
        .expect("update");
    let read = store.get(created.id).await.unwrap().unwrap();
    assert_eq!(read.title, "Renamed");
    assert_eq!(read.version, 2);
    assert_eq!(read.updated_at, at);
    let stale = store
        .update(update_of(&created, |o| o.title = "Lost update".into(), at))
        .await;
    assert!(
        matches!(stale, Err(StoreError::VersionConflict { expected: 1 })),
        "{stale:?}"
    );
    assert_eq!(store.get(created.id).await.unwrap().unwrap().title, "Renamed");
    assert_eq!(count(executor.as_ref(), COUNT_HISTORY, created.id).await, 2);
    assert_eq!(count(executor.as_ref(), COUNT_EVENTS, created.id).await, 2);
}

async fn every_field_survives_an_update(executor: Arc<dyn SqlExecutor>) {
    let store = SqlStore::new(executor.clone());
    let skill = Skill {
        id: Uuid::now_v7(),
        name: "Rust".into(),
        category: SkillCategory::Technical,
        description: Some("Systems".into()),
        created_at: now(),
    };
    SkillStore::create(
        &store,
        skill.clone(),
        Some("admin"),
        oms_tests::fixture_event(skill.id, 1),
        None,
    )
    .await
    .expect("skill");
    let created = create(&store, draft("alice", "Full", now()), "Full").await;
    let cancelled_at = now();
    let update = update_of(
        &created,
        |o| {
            o.priority = Priority::Critical;
            o.annual_recurring_revenue = Money {
                amount: Decimal::new(99999999999999, 2),
                currency: "JPY".into(),
            };
            o.timeline = Some(Timeline {
                start_date: date!(2028 - 02 - 29),
                end_date: None,
                duration_days: Some(10),
                flexible: true,
                specific_days: vec![],
            });
            o.problem_statement = Some(ProblemStatement {
                markdown: "# Problem\n\n".to_owned() + &"ünïcode ".repeat(20),
            });
            o.skill_requirements = vec![
                SkillRequirement {
                    skill: SkillRef::Catalog {
                        id: skill.id,
                        name: Some("Rust".into()),
                    },
                    category: SkillCategory::Technical,
                    importance: Importance::MustHave,
                    min_proficiency: Proficiency::Expert,
                },
                SkillRequirement {
                    skill: SkillRef::Custom("Mainframe COBOL".into()),
                    category: SkillCategory::Industry,
                    importance: Importance::NiceToHave,
                    min_proficiency: Proficiency::Beginner,
                },
            ];
            o.status = Status::Cancelled;
            o.status_before_cancel = Some(Status::Draft);
            o.cancelled_at = Some(cancelled_at);
        },
        now(),
    );
    let expected = update.opportunity.clone();
    store.update(update).await.expect("update");
    assert_eq!(store.get(created.id).await.unwrap().unwrap(), expected);
    // Replacing the list keeps only the new one; removing the timeline clears it.
    let current = expected;
    let update = update_of(
        &current,
        |o| {
            o.skill_requirements.truncate(1);
            o.timeline = None;
        },
        now(),
    );
    let expected = update.opportunity.clone();
    store.update(update).await.expect("update");
    assert_eq!(store.get(created.id).await.unwrap().unwrap(), expected);
}

async fn an_unknown_skill_rolls_the_whole_change_back(executor: Arc<dyn SqlExecutor>) {
    let store = SqlStore::new(executor.clone());
    let created = create(&store, draft("alice", "Skills", now()), "S").await;
    let update = update_of(
        &created,
        |o| {
            o.title = "Changed".into();
            o.skill_requirements = vec![SkillRequirement {
                skill: SkillRef::Catalog {
                    id: Uuid::now_v7(),
                    name: None,
                },
                category: SkillCategory::Technical,
                importance: Importance::MustHave,
                min_proficiency: Proficiency::Expert,
            }];
        },
        now(),
    );
    let result = store.update(update).await;
    assert!(
        matches!(result, Err(StoreError::UnknownReference("skill"))),
        "{result:?}"
    );
    let read = store.get(created.id).await.unwrap().unwrap();
    assert_eq!(read, created);
    assert_eq!(count(executor.as_ref(), COUNT_HISTORY, created.id).await, 1);
}

async fn history_is_ordered_and_paged(executor: Arc<dyn SqlExecutor>) {
    let store = SqlStore::new(executor);
    let mut current = create(&store, draft("alice", "H0", now()), "H").await;
    for i in 1..=4 {
        let update = update_of(&current, |o| o.title = format!("H{i}"), now());
        current = update.opportunity.clone();
        store.update(update).await.expect("update");
    }
    let page = store.history(current.id, 0, 3).await.expect("history");
    assert!(page.more, "a full page tells the caller there is more");
    // The same page beside the owner, in one statement; none for an unknown opportunity, and an
    // empty page past the last record.
    let (owner, with_owner) = store
        .history_with_owner(current.id, 0, 3)
        .await
        .expect("history with owner")
        .expect("exists");
    assert_eq!(owner, "alice");
    assert_eq!(with_owner.items, page.items);
    assert!(with_owner.more);
    assert!(
        store
            .history_with_owner(Uuid::now_v7(), 0, 3)
            .await
            .expect("read")
            .is_none()
    );
    let (_, past) = store
        .history_with_owner(current.id, 99, 3)
        .await
        .expect("read")
        .expect("exists");
    assert!(past.items.is_empty() && !past.more);
    let first = page.items;
    assert_eq!(first.iter().map(|h| h.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(first[0].kind, HistoryKind::Status);
    assert_eq!(first[0].to, Some(Status::Draft));
    assert_eq!(first[1].kind, HistoryKind::Field);
    assert_eq!(first[1].old, Some(serde_json::json!("H0")));
    assert_eq!(first[1].new, Some(serde_json::json!("H1")));
    assert_eq!(first[1].reason.as_deref(), Some("because"));
    let rest = store.history(current.id, 3, 3).await.expect("history");
    assert!(!rest.more);
    assert_eq!(rest.items.iter().map(|h| h.seq).collect::<Vec<_>>(), vec![4, 5]);
}

fn position(sort: SortKey, s: &oms::ports::store::OpportunitySummary) -> SortPosition {
    match sort {
        SortKey::CreatedAt => SortPosition::Timestamp(s.created_at, s.id),
        SortKey::UpdatedAt => SortPosition::Timestamp(s.updated_at, s.id),
        SortKey::Priority => SortPosition::Rank(s.priority.rank(), s.id),
        SortKey::StartDate => SortPosition::Date(s.start_date_key, s.id),
    }
}

fn query(owner: Option<&str>) -> OpportunityQuery {
    OpportunityQuery {
        owner_sub: owner.map(str::to_owned),
        status: None,
        priority: None,
        customer_id: None,
        created_from: None,
        created_to: None,
        text: None,
        sort: SortKey::CreatedAt,
        descending: true,
        after: None,
        limit: 100,
    }
}

async fn every_sort_order_pages_through_every_row_once(executor: Arc<dyn SqlExecutor>) {
    let store = SqlStore::new(executor);
    let base = now();
    let mut ids = Vec::new();
    for i in 0..11usize {
        let mut o = draft(
            "alice",
            &format!("Sorted {i}"),
            base + Duration::milliseconds((i % 4) as i64),
        );
        o.priority = Priority::ALL[i % 4];
        if i % 3 == 0 {
            o.timeline = None;
        } else if let Some(t) = o.timeline.as_mut() {
            t.start_date = date!(2027 - 01 - 01) + Duration::days((i % 5) as i64);
            t.end_date = Some(t.start_date + Duration::days(3));
            t.specific_days.clear();
        }
        ids.push(create(&store, o, "Sorter").await.id);
    }
    create(&store, draft("bob", "Not alice's", base), "Sorter").await;
    for sort in [
        SortKey::CreatedAt,
        SortKey::UpdatedAt,
        SortKey::Priority,
        SortKey::StartDate,
    ] {
        for descending in [false, true] {
            let mut seen = Vec::new();
            let mut after = None;
            loop {
                let mut q = query(Some("alice"));
                q.sort = sort;
                q.descending = descending;
                q.limit = 3;
                q.after = after.clone();
                let page = OpportunityStore::list(&store, &q).await.expect("list");
                let more = page.len() > 3;
                let page: Vec<_> = page.into_iter().take(3).collect();
                for pair in page.windows(2) {
                    let (a, b) = (position(sort, &pair[0]), position(sort, &pair[1]));
                    let ordered = match (a, b) {
                        (SortPosition::Timestamp(x, i), SortPosition::Timestamp(y, j)) => (x, i) < (y, j),
                        (SortPosition::Rank(x, i), SortPosition::Rank(y, j)) => (x, i) < (y, j),
                        (SortPosition::Date(x, i), SortPosition::Date(y, j)) => (x, i) < (y, j),
                        _ => false,
                    };
                    assert_eq!(ordered, !descending, "{sort:?} descending={descending} out of order");
                }
                after = page.last().map(|s| position(sort, s));
                seen.extend(page.into_iter().map(|s| s.id));
                if !more {
                    break;
                }
            }
            let mut sorted_seen = seen.clone();
            sorted_seen.sort();
            sorted_seen.dedup();
            assert_eq!(sorted_seen.len(), seen.len(), "{sort:?} repeated an item");
            let mut expected = ids.clone();
            expected.sort();
            assert_eq!(
                sorted_seen, expected,
                "{sort:?} descending={descending} skipped an item"
            );
        }
    }
}

/// A `q` search merges the rows whose title matches with those whose customer's name matches:
/// every sort order pages through each match once (a row matching both included once), in order.
async fn a_search_pages_through_every_match_once_in_every_sort_order(executor: Arc<dyn SqlExecutor>) {
    let store = SqlStore::new(executor);
    let base = now();
    let mut expected = Vec::new();
    for i in 0..9usize {
        let title = if i % 3 == 0 {
            format!("Kafka backbone {i}")
        } else {
            format!("Data lake {i}")
        };
        let customer = if i % 2 == 0 { "Kafka Foods" } else { "Contoso" };
        let mut o = draft("alice", &title, base + Duration::milliseconds((i % 4) as i64));
        o.priority = Priority::ALL[i % 4];
        if i % 4 == 0 {
            o.timeline = None;
        }
        let created = create(&store, o, customer).await;
        if i % 3 == 0 || i % 2 == 0 {
            expected.push(created.id);
        }
    }
    create(&store, draft("bob", "Kafka for bob", base), "Kafka Foods").await;
    expected.sort();
    for sort in [
        SortKey::CreatedAt,
        SortKey::UpdatedAt,
        SortKey::Priority,
        SortKey::StartDate,
    ] {
        for descending in [false, true] {
            let (mut seen, mut after) = (Vec::new(), None);
            loop {
                let mut q = query(Some("alice"));
                (q.sort, q.descending, q.limit, q.after) = (sort, descending, 2, after.clone());
                q.text = Some("KAFKA".into());
                let page = OpportunityStore::list(&store, &q).await.expect("search");
                let more = page.len() > 2;
                let page: Vec<_> = page.into_iter().take(2).collect();
                if let [a, b] = page.as_slice() {
                    let ordered = match (position(sort, a), position(sort, b)) {
                        (SortPosition::Timestamp(x, i), SortPosition::Timestamp(y, j)) => (x, i) < (y, j),
                        (SortPosition::Rank(x, i), SortPosition::Rank(y, j)) => (x, i) < (y, j),
                        (SortPosition::Date(x, i), SortPosition::Date(y, j)) => (x, i) < (y, j),
                        _ => false,
                    };
                    assert_eq!(ordered, !descending, "{sort:?} descending={descending} out of order");
                }
                after = page.last().map(|s| position(sort, s));
                seen.extend(page.into_iter().map(|s| s.id));
                if !more {
                    break;
                }
            }
            seen.sort();
            assert_eq!(seen, expected, "{sort:?} descending={descending}: each match once");
        }
    }
}

async fn filters_narrow_the_list(executor: Arc<dyn SqlExecutor>) {
    let store = SqlStore::new(executor);
    let base = now();
    let mut a = draft("alice", "Data lake 100%_done", base);
    a.priority = Priority::High;
    let a = create(&store, a, "Contoso").await;
    let b = create(
        &store,
        draft("alice", "Mobile app", base + Duration::seconds(10)),
        "Fabrikam Straße",
    )
    .await;
    let run = |q: OpportunityQuery| {
        let store = store.clone();
        async move {
            OpportunityStore::list(&store, &q)
                .await
                .expect("list")
                .into_iter()
                .map(|s| s.id)
                .collect::<Vec<_>>()
        }
    };
    let mut q = query(None);
    q.priority = Some(Priority::High);
    assert_eq!(run(q).await, vec![a.id]);
    let mut q = query(None);
    q.customer_id = Some(b.customer.id);
    assert_eq!(run(q).await, vec![b.id]);
    let mut q = query(None);
    q.status = Some(Status::Submitted);
    assert!(run(q).await.is_empty());
    let mut q = query(None);
    q.text = Some("STRASSE".into());
    assert!(run(q).await.is_empty());
    let mut q = query(None);
    q.text = Some("STRAßE".into());
    assert_eq!(
        run(q).await,
        vec![b.id],
        "customer names match case-insensitively, beyond ASCII"
    );
    let mut q = query(None);
    q.text = Some("100%_".into());
    assert_eq!(run(q).await, vec![a.id]);
    let mut q = query(None);
    q.text = Some("0%d".into());
    assert!(run(q).await.is_empty(), "% is matched literally");
    let mut q = query(None);
    q.created_from = Some(base + Duration::seconds(5));
    assert_eq!(run(q).await, vec![b.id]);
    let mut q = query(None);
    q.created_to = Some(base + Duration::seconds(5));
    assert_eq!(run(q).await, vec![a.id]);
    assert!(run(query(Some("carol"))).await.is_empty());
}

async fn customers_are_unique_and_paged_by_name(executor: Arc<dyn SqlExecutor>) {
    let store = SqlStore::new(executor);
    for name in ["Zeta", "alpha", "Beta", "gamma"] {
        let customer = Customer {
            id: Uuid::now_v7(),
            name: name.into(),
            created_at: now(),
        };
        assert!(matches!(
            CustomerStore::create(
                &store,
                customer,
                "alice",
                oms_tests::fixture_event(Uuid::now_v7(), 1),
                None
            )
            .await,
            Ok(Created::New(_))
        ));
    }
    let duplicate = Customer {
        id: Uuid::now_v7(),
        name: " ALPHA ".into(),
        created_at: now(),
    };
    let result = CustomerStore::create(
        &store,
        duplicate,
        "alice",
        oms_tests::fixture_event(Uuid::now_v7(), 1),
        None,
    )
    .await;
    assert!(
        matches!(
            result,
            Err(StoreError::Duplicate {
                what: "customer",
                existing_id: Some(_)
            })
        ),
        "{result:?}"
    );
    let first = CustomerStore::list(&store, None, None, 2).await.expect("list");
    assert_eq!(
        first.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        vec!["alpha", "Beta", "gamma"]
    );
    let last = &first[1];
    let rest = CustomerStore::list(
        &store,
        None,
        Some((&oms::domain::catalog::name_key(&last.name), last.id)),
        2,
    )
    .await
    .expect("list");
    assert_eq!(
        rest.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        vec!["gamma", "Zeta"]
    );
    let filtered = CustomerStore::list(&store, Some("ET"), None, 10).await.expect("list");
    assert_eq!(
        filtered.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        vec!["Beta", "Zeta"]
    );
}

async fn skills_are_unique_and_found_by_id(executor: Arc<dyn SqlExecutor>) {
    let store = SqlStore::new(executor);
    let mut ids = Vec::new();
    let mut versions = vec![store.catalog_version().await.expect("catalog version")];
    for name in ["Rust", "Go", "Kotlin"] {
        let skill = Skill {
            id: Uuid::now_v7(),
            name: name.into(),
            category: SkillCategory::Technical,
            description: None,
            created_at: now(),
        };
        ids.push(skill.id);
        let Ok(Created::New((_, event))) =
            SkillStore::create(&store, skill, None, oms_tests::fixture_event(Uuid::now_v7(), 1), None).await
        else {
            panic!("not created")
        };
        let version = store.catalog_version().await.expect("catalog version");
        assert_eq!(
            event.aggregate_version, version,
            "the event carries the version it produced"
        );
        versions.push(version);
    }
    assert!(
        versions.windows(2).all(|w| w[1] == w[0] + 1),
        "the catalog version counts every new skill, from the database: {versions:?}"
    );
    let duplicate = Skill {
        id: Uuid::now_v7(),
        name: "rust".into(),
        category: SkillCategory::Soft,
        description: None,
        created_at: now(),
    };
    assert!(matches!(
        SkillStore::create(
            &store,
            duplicate,
            None,
            oms_tests::fixture_event(Uuid::now_v7(), 1),
            None
        )
        .await,
        Err(StoreError::Duplicate { what: "skill", .. })
    ));
    assert_eq!(
        store.catalog_version().await.unwrap(),
        *versions.last().unwrap(),
        "a refused skill leaves the version alone"
    );
    let found = store
        .get_many(&[ids[0], ids[2], Uuid::now_v7()])
        .await
        .expect("get_many");
    let mut names: Vec<_> = found.into_iter().map(|s| s.name).collect();
    names.sort();
    assert_eq!(names, vec!["Kotlin", "Rust"]);
    let page = SkillStore::list(&store, None, 10).await.expect("list");
    assert_eq!(
        page.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        vec!["Go", "Kotlin", "Rust"]
    );
}

async fn idempotent_customer_and_skill_creation_replays(executor: Arc<dyn SqlExecutor>) {
    let store = SqlStore::new(executor);
    let render_customer = |c: &Customer| StoredResponse {
        status: 201,
        headers: vec![],
        body: c.id.to_string(),
    };
    let claim = || IdempotencyClaim {
        caller_sub: "alice",
        key: "c-1",
        request_hash: "h",
        expires_at: now() + Duration::hours(1),
        render: &render_customer,
    };
    let Created::New(first) = CustomerStore::create(
        &store,
        Customer {
            id: Uuid::now_v7(),
            name: "Replay".into(),
            created_at: now(),
        },
        "alice",
        oms_tests::fixture_event(Uuid::now_v7(), 1),
        Some(claim()),
    )
    .await
    .unwrap() else {
        panic!("replayed")
    };
    let again = CustomerStore::create(
        &store,
        Customer {
            id: Uuid::now_v7(),
            name: "Replay".into(),
            created_at: now(),
        },
        "alice",
        oms_tests::fixture_event(Uuid::now_v7(), 1),
        Some(claim()),
    )
    .await
    .unwrap();
    assert!(matches!(again, Created::Replay(s) if s.body == first.id.to_string()));
    let render_skill = |(s, _): &(Skill, oms::domain::events::ChangeEvent)| StoredResponse {
        status: 201,
        headers: vec![],
        body: s.id.to_string(),
    };
    let skill_claim = || IdempotencyClaim {
        caller_sub: "admin",
        key: "s-1",
        request_hash: "h",
        expires_at: now() + Duration::hours(1),
        render: &render_skill,
    };
    let skill = || Skill {
        id: Uuid::now_v7(),
        name: "Replayed skill".into(),
        category: SkillCategory::Soft,
        description: None,
        created_at: now(),
    };
    let Created::New(first) = SkillStore::create(
        &store,
        skill(),
        Some("admin"),
        oms_tests::fixture_event(Uuid::now_v7(), 1),
        Some(skill_claim()),
    )
    .await
    .unwrap() else {
        panic!("replayed")
    };
    let again = SkillStore::create(
        &store,
        skill(),
        Some("admin"),
        oms_tests::fixture_event(Uuid::now_v7(), 1),
        Some(skill_claim()),
    )
    .await
    .unwrap();
    assert!(matches!(again, Created::Replay(s) if s.body == first.0.id.to_string()));
}

async fn concurrent_writers_never_lose_an_update(executor: Arc<dyn SqlExecutor>) {
    let store = SqlStore::new(executor.clone());
    let created = create(&store, draft("alice", "Race", now()), "Race").await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        let id = created.id;
        tasks.push(tokio::spawn(async move {
            loop {
                let current = store.get(id).await.unwrap().unwrap();
                match store
                    .update(update_of(&current, |o| o.title = format!("writer {i}"), now()))
                    .await
                {
                    Ok(()) => return,
                    Err(StoreError::VersionConflict { .. }) => continue,
                    Err(e) => panic!("{e}"),
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let read = store.get(created.id).await.unwrap().unwrap();
    assert_eq!(read.version, 9);
    assert_eq!(count(executor.as_ref(), COUNT_HISTORY, created.id).await, 9);
}

async fn the_outbox_lists_unpublished_events_oldest_first_and_applied_events_once(executor: Arc<dyn SqlExecutor>) {
    use oms::ports::store::OutboxStore;
    let store = SqlStore::new(executor);
    let first = create(&store, draft("alice", "Outbox 1", now()), "O").await;
    let second = create(&store, draft("alice", "Outbox 2", now() + Duration::seconds(1)), "O").await;
    let pending = store.unpublished(10).await.expect("unpublished");
    assert_eq!(
        pending.iter().map(|e| e.aggregate_id).collect::<Vec<_>>(),
        vec![first.id, second.id]
    );
    assert_eq!(pending[0].event_type.as_str(), "OpportunityCreated");
    store.mark_published(&[pending[0].id], now()).await.expect("mark");
    store
        .mark_published(&[pending[0].id], now())
        .await
        .expect("marking twice is harmless");
    let rest = store.unpublished(10).await.expect("unpublished");
    assert_eq!(rest.iter().map(|e| e.id).collect::<Vec<_>>(), vec![pending[1].id]);
    assert_eq!(store.unpublished(1).await.unwrap().len(), 1);

    let event_id = Uuid::now_v7();
    assert!(!store.was_applied(event_id).await.unwrap());
    let mut update = update_of(&first, |o| o.status = Status::Submitted, now());
    update.applies_event = Some(event_id);
    store.update(update).await.expect("apply");
    assert!(store.was_applied(event_id).await.unwrap());
    let current = store.get(first.id).await.unwrap().unwrap();
    let mut again = update_of(&current, |o| o.title = "Again".into(), now());
    again.applies_event = Some(event_id);
    assert!(matches!(store.update(again).await, Err(StoreError::AlreadyApplied)));
    assert_eq!(
        store.get(first.id).await.unwrap().unwrap(),
        current,
        "a second application wrote nothing"
    );
}

async fn attachments_are_registered_completed_once_listed_expired_and_removed(executor: Arc<dyn SqlExecutor>) {
    use oms::domain::attachment::{Attachment, AttachmentStatus, object_key};
    use oms::ports::store::AttachmentStore;
    let store = SqlStore::new(executor.clone());
    let o = create(&store, draft("alice", "Docs", now()), "Docs").await;
    let make = |minutes_ago: i64, status: AttachmentStatus| {
        let id = Uuid::now_v7();
        let at = now() - Duration::minutes(minutes_ago);
        Attachment {
            id,
            opportunity_id: o.id,
            owner_sub: "alice".into(),
            file_name: "Übersicht 2026.pdf".into(),
            content_type: "application/pdf".into(),
            size_bytes: 104_857_600,
            sha256: Some("ab".repeat(32)),
            object_key: object_key(o.id, id),
            status,
            rejection_reason: None,
            created_at: at,
            upload_expires_at: at + Duration::minutes(15),
            completed_at: None,
        }
    };
    let event = || oms_tests::fixture_event(o.id, 1);
    let old = make(60, AttachmentStatus::Pending);
    let fresh = make(1, AttachmentStatus::Pending);
    let third = make(0, AttachmentStatus::Pending);
    let opportunities = SqlStore::new(executor.clone());
    let version = || async {
        OpportunityStore::get(&opportunities, o.id)
            .await
            .unwrap()
            .unwrap()
            .version
    };
    let mut seen = vec![version().await];
    for a in [&old, &fresh, &third] {
        let Created::New((_, stamped)) = store.register(a, &event(), None).await.expect("register") else {
            panic!("replayed")
        };
        let now_at = version().await;
        assert_eq!(
            stamped.aggregate_version, now_at,
            "the event carries the version it produced"
        );
        seen.push(now_at);
    }
    let mut orphan = make(0, AttachmentStatus::Pending);
    orphan.opportunity_id = Uuid::now_v7();
    assert!(matches!(
        store.register(&orphan, &event(), None).await,
        Err(StoreError::UnknownReference("opportunity"))
    ));
    assert_eq!(store.attachment(old.id).await.unwrap().unwrap(), old);
    assert!(store.attachment(Uuid::now_v7()).await.unwrap().is_none());

    let first = store.attachments(o.id, None, 2).await.unwrap();
    assert_eq!(
        first.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![old.id, fresh.id, third.id],
        "limit + 1, oldest first"
    );
    let rest = store
        .attachments(o.id, Some((fresh.created_at, fresh.id)), 2)
        .await
        .unwrap();
    assert_eq!(rest.iter().map(|a| a.id).collect::<Vec<_>>(), vec![third.id]);

    let expired = store.expired_uploads(now(), 10).await.unwrap();
    assert_eq!(expired.iter().map(|a| a.id).collect::<Vec<_>>(), vec![old.id]);

    use AttachmentStatus::{Available, Pending, Rejected};
    assert!(
        store
            .complete(fresh.id, Pending, Available, None, now(), &event())
            .await
            .unwrap()
            .is_some()
    );
    seen.push(version().await);
    assert!(
        store
            .complete(fresh.id, Pending, Rejected, Some("late"), now(), &event())
            .await
            .unwrap()
            .is_none(),
        "only an attachment in the named status changes"
    );
    assert_eq!(
        version().await,
        *seen.last().unwrap(),
        "a refused change leaves the version alone"
    );
    assert!(
        store
            .complete(old.id, Pending, Rejected, Some("no upload"), now(), &event())
            .await
            .unwrap()
            .is_some()
    );
    seen.push(version().await);
    let rejected = store.attachment(old.id).await.unwrap().unwrap();
    assert_eq!(
        (rejected.status, rejected.rejection_reason.as_deref()),
        (AttachmentStatus::Rejected, Some("no upload"))
    );
    assert!(rejected.completed_at.is_some());
    assert_eq!(
        store.attachment(fresh.id).await.unwrap().unwrap().status,
        AttachmentStatus::Available
    );
    assert!(store.expired_uploads(now(), 10).await.unwrap().is_empty());

    assert!(store.remove(third.id, &event()).await.unwrap().is_some());
    seen.push(version().await);
    assert!(store.remove(third.id, &event()).await.unwrap().is_none());
    assert_eq!(store.attachments(o.id, None, 10).await.unwrap().len(), 2);
    assert!(
        seen.windows(2).all(|w| w[1] == w[0] + 1),
        "every attachment change counts the opportunity's version up by one: {seen:?}"
    );
    // A verified attachment can be revoked (its object was replaced), once.
    assert!(
        store
            .complete(fresh.id, Available, Rejected, Some("replaced"), now(), &event())
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(store.attachment(fresh.id).await.unwrap().unwrap().status, Rejected);
}

async fn attachment_limits_hold_per_opportunity_and_rejected_ones_do_not_count(executor: Arc<dyn SqlExecutor>) {
    use oms::domain::attachment::{
        Attachment, AttachmentStatus, MAX_ATTACHMENTS_PER_OPPORTUNITY, MAX_SIZE_BYTES, object_key,
    };
    use oms::ports::store::AttachmentStore;
    let store = SqlStore::new(executor);
    let make = |opportunity: Uuid, size: i64| {
        let id = Uuid::now_v7();
        Attachment {
            id,
            opportunity_id: opportunity,
            owner_sub: "alice".into(),
            file_name: "a.pdf".into(),
            content_type: "application/pdf".into(),
            size_bytes: size,
            sha256: None,
            object_key: object_key(opportunity, id),
            status: AttachmentStatus::Pending,
            rejection_reason: None,
            created_at: now(),
            upload_expires_at: now() + Duration::minutes(15),
            completed_at: None,
        }
    };
    let event = |o: Uuid| oms_tests::fixture_event(o, 1);
    // Bytes: ten 100 MiB uploads fill 1 GiB but for 24 MiB; the eleventh does not fit.
    let big = create(&store, draft("alice", "Big", now()), "Limits").await;
    let mut first = None;
    for _ in 0..10 {
        let a = make(big.id, MAX_SIZE_BYTES);
        store.register(&a, &event(big.id), None).await.expect("fits");
        first.get_or_insert(a.id);
    }
    let before = OpportunityStore::get(&store, big.id).await.unwrap().unwrap().version;
    let refused = store
        .register(&make(big.id, MAX_SIZE_BYTES), &event(big.id), None)
        .await;
    assert!(
        matches!(&refused, Err(StoreError::AttachmentLimit(reason)) if reason.contains("1 GiB")),
        "{refused:?}"
    );
    assert_eq!(
        OpportunityStore::get(&store, big.id).await.unwrap().unwrap().version,
        before,
        "a refused registration writes nothing"
    );
    assert_eq!(store.attachments(big.id, None, 100).await.unwrap().len(), 10);
    // A rejected attachment frees its bytes.
    let first = first.unwrap();
    store
        .complete(
            first,
            AttachmentStatus::Pending,
            AttachmentStatus::Rejected,
            Some("mismatch"),
            now(),
            &event(big.id),
        )
        .await
        .unwrap();
    store
        .register(&make(big.id, MAX_SIZE_BYTES), &event(big.id), None)
        .await
        .expect("fits after a rejection");
    // Count: 50 small ones, then no more; another opportunity is not affected.
    let many = create(&store, draft("alice", "Many", now()), "Limits").await;
    for _ in 0..MAX_ATTACHMENTS_PER_OPPORTUNITY {
        store
            .register(&make(many.id, 1), &event(many.id), None)
            .await
            .expect("fits");
    }
    assert!(matches!(
        store.register(&make(many.id, 1), &event(many.id), None).await,
        Err(StoreError::AttachmentLimit(reason)) if reason.contains("at most 50")
    ));
    let other = create(&store, draft("alice", "Other", now()), "Limits").await;
    store
        .register(&make(other.id, 1), &event(other.id), None)
        .await
        .expect("limits are per opportunity");
}

async fn concurrent_registrations_never_pass_the_attachment_limit(executor: Arc<dyn SqlExecutor>) {
    use oms::domain::attachment::{Attachment, AttachmentStatus, MAX_ATTACHMENTS_PER_OPPORTUNITY, object_key};
    use oms::ports::store::AttachmentStore;
    let store = SqlStore::new(executor);
    let o = create(&store, draft("alice", "Race", now()), "Race").await;
    let mut tasks = Vec::new();
    for _ in 0..(MAX_ATTACHMENTS_PER_OPPORTUNITY + 10) {
        let store = store.clone();
        let opportunity = o.id;
        tasks.push(tokio::spawn(async move {
            let id = Uuid::now_v7();
            let a = Attachment {
                id,
                opportunity_id: opportunity,
                owner_sub: "alice".into(),
                file_name: "a.pdf".into(),
                content_type: "application/pdf".into(),
                size_bytes: 1,
                sha256: None,
                object_key: object_key(opportunity, id),
                status: AttachmentStatus::Pending,
                rejection_reason: None,
                created_at: now(),
                upload_expires_at: now() + Duration::minutes(15),
                completed_at: None,
            };
            store
                .register(&a, &oms_tests::fixture_event(opportunity, 1), None)
                .await
        }));
    }
    let mut accepted = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => accepted += 1,
            Err(StoreError::AttachmentLimit(_)) => {}
            Err(other) => panic!("{other}"),
        }
    }
    assert_eq!(accepted, MAX_ATTACHMENTS_PER_OPPORTUNITY);
    assert_eq!(
        store.attachments(o.id, None, 100).await.unwrap().len() as i64,
        MAX_ATTACHMENTS_PER_OPPORTUNITY
    );
    let stored = OpportunityStore::get(&store, o.id).await.unwrap().unwrap();
    assert_eq!(
        stored.version,
        o.version + MAX_ATTACHMENTS_PER_OPPORTUNITY,
        "one version per registration"
    );
}

async fn an_opportunity_is_read_with_the_requirements_of_its_version(executor: Arc<dyn SqlExecutor>) {
    let store = SqlStore::new(executor);
    let o = create(&store, draft("alice", "Consistent", now()), "Consistent").await;
    let (id, first_version) = (o.id, o.version);
    let requirement = |n: usize| SkillRequirement {
        skill: SkillRef::Custom(format!("Skill {n}")),
        category: SkillCategory::Technical,
        importance: Importance::MustHave,
        min_proficiency: Proficiency::Expert,
    };
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut current = o;
            for round in 1..=30usize {
                let update = update_of(
                    &current,
                    |next| next.skill_requirements = (0..round).map(requirement).collect(),
                    now(),
                );
                let mut update = update;
                update.skill_requirements_changed = true;
                let written = update.opportunity.clone();
                store.update(update).await.expect("update");
                current = written;
            }
        })
    };
    let mut reads = 0;
    while !writer.is_finished() || reads < 10 {
        // One statement reads the row and its requirements: one snapshot, one version.
        let read = OpportunityStore::get(&store, id).await.expect("read").unwrap();
        // Each version n > 1 was written with exactly n - 1 requirements.
        assert_eq!(
            read.skill_requirements.len() as i64,
            read.version - first_version,
            "version {} read with the requirements of another version",
            read.version
        );
        reads += 1;
    }
    writer.await.unwrap();
}

async fn a_change_of_requirements_reads_its_state_and_the_named_catalog_skills_in_one_statement(
    executor: Arc<dyn SqlExecutor>,
) {
    let store = SqlStore::new(executor);
    let mut known = Vec::new();
    for name in ["Rust", "Kafka"] {
        let skill = Skill {
            id: Uuid::now_v7(),
            name: name.into(),
            category: SkillCategory::Technical,
            description: None,
            created_at: now(),
        };
        SkillStore::create(&store, skill.clone(), None, oms_tests::fixture_event(skill.id, 1), None)
            .await
            .expect("skill");
        known.push(skill);
    }
    let created = create(&store, draft("alice", "With skills", now()), "Skills").await;
    let unknown = Uuid::now_v7();
    let wanted = [known[0].id, unknown, known[1].id, known[0].id];
    let (found, catalog) = store.get_with_skills(created.id, 100, &wanted).await.expect("read");
    assert_eq!(
        found.map(|(o, attachments)| (o, attachments.len())),
        Some((created.clone(), 0))
    );
    let mut names: Vec<(Uuid, String)> = catalog;
    names.sort();
    let mut expected: Vec<(Uuid, String)> = known.iter().map(|s| (s.id, s.name.clone())).collect();
    expected.sort();
    assert_eq!(names, expected, "the known skills, each once; the unknown one absent");
    // No such opportunity: none, and the catalog still answered.
    let (none, catalog) = store.get_with_skills(Uuid::now_v7(), 100, &wanted).await.expect("read");
    assert!(none.is_none());
    assert_eq!(catalog.len(), 2);
    // More ids than the statement's slots: the same answer, in two reads.
    let many: Vec<Uuid> = std::iter::repeat_n(known[1].id, 60).collect();
    let (found, catalog) = store.get_with_skills(created.id, 0, &many).await.expect("read");
    assert!(found.is_some());
    assert_eq!(catalog, vec![(known[1].id, known[1].name.clone())]);
}

type Scenario = fn(Arc<dyn SqlExecutor>) -> Pin<Box<dyn Future<Output = ()> + Send>>;
type Fresh = fn() -> Pin<Box<dyn Future<Output = Arc<dyn SqlExecutor>> + Send>>;

/// Every scenario above, each on a fresh database, with every SQL text recorded.
async fn the_suite_runs_every_statement(fresh: Fresh) {
    let scenarios: Vec<Scenario> = vec![
        |e| Box::pin(a_created_opportunity_reads_back_exactly(e)),
        |e| Box::pin(customers_are_reused_by_name_ignoring_case_and_spacing(e)),
        |e| Box::pin(an_unknown_customer_writes_nothing(e)),
        |e| Box::pin(idempotency_keys_replay_refuse_other_requests_and_expire(e)),
        |e| Box::pin(updates_need_the_version_they_were_computed_from(e)),
        |e| Box::pin(every_field_survives_an_update(e)),
        |e| Box::pin(history_is_ordered_and_paged(e)),
        |e| Box::pin(every_sort_order_pages_through_every_row_once(e)),
        |e| Box::pin(filters_narrow_the_list(e)),
        |e| Box::pin(a_search_pages_through_every_match_once_in_every_sort_order(e)),
        |e| Box::pin(customers_are_unique_and_paged_by_name(e)),
        |e| Box::pin(skills_are_unique_and_found_by_id(e)),
        |e| Box::pin(idempotent_customer_and_skill_creation_replays(e)),
        |e| Box::pin(the_outbox_lists_unpublished_events_oldest_first_and_applied_events_once(e)),
        |e| Box::pin(attachments_are_registered_completed_once_listed_expired_and_removed(e)),
        |e| Box::pin(attachment_limits_hold_per_opportunity_and_rejected_ones_do_not_count(e)),
        |e| Box::pin(an_opportunity_is_read_with_the_requirements_of_its_version(e)),
        |e| Box::pin(a_change_of_requirements_reads_its_state_and_the_named_catalog_skills_in_one_statement(e)),
    ];
    let seen = Arc::new(Mutex::new(Vec::new()));
    for scenario in scenarios {
        let recording: Arc<dyn SqlExecutor> = Arc::new(Recording {
            inner: fresh().await,
            seen: seen.clone(),
        });
        scenario(recording).await;
    }
    let seen = seen.lock().unwrap();
    let missing: Vec<&str> = statements::ALL
        .iter()
        .filter(|(_, sql)| !seen.contains(sql))
        .map(|(name, _)| *name)
        .collect();
    assert!(missing.is_empty(), "statements never run by the suite: {missing:?}");
}

on_every_backend!(
    migrations_are_recorded_and_not_reapplied,
    a_created_opportunity_reads_back_exactly,
    customers_are_reused_by_name_ignoring_case_and_spacing,
    an_unknown_customer_writes_nothing,
    idempotency_keys_replay_refuse_other_requests_and_expire,
    updates_need_the_version_they_were_computed_from,
    every_field_survives_an_update,
    an_unknown_skill_rolls_the_whole_change_back,
    history_is_ordered_and_paged,
    every_sort_order_pages_through_every_row_once,
    filters_narrow_the_list,
    a_search_pages_through_every_match_once_in_every_sort_order,
    customers_are_unique_and_paged_by_name,
    skills_are_unique_and_found_by_id,
    idempotent_customer_and_skill_creation_replays,
    concurrent_writers_never_lose_an_update,
    the_outbox_lists_unpublished_events_oldest_first_and_applied_events_once,
    attachments_are_registered_completed_once_listed_expired_and_removed,
    attachment_limits_hold_per_opportunity_and_rejected_ones_do_not_count,
    concurrent_registrations_never_pass_the_attachment_limit,
    an_opportunity_is_read_with_the_requirements_of_its_version,
    a_change_of_requirements_reads_its_state_and_the_named_catalog_skills_in_one_statement,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_statement_runs_on_sqlite() {
    the_suite_runs_every_statement(|| {
        Box::pin(async {
            let executor = oms::sql::sqlite::SqliteExecutor::in_memory().expect("sqlite");
            migrations::migrate(&executor).await.expect("migrate");
            Arc::new(executor) as Arc<dyn SqlExecutor>
        })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_statement_runs_on_postgres() {
    the_suite_runs_every_statement(|| Box::pin(oms_tests::postgres_executor())).await;
}
