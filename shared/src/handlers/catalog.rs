//! Customers (any user) and the skills catalog (read by any user, kept by Admins).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use uuid::Uuid;

use super::idempotent::{self, Once};
use super::input::{CreateCustomerRequest, CreateSkillRequest};
use crate::app::App;
use crate::consumers::after_commit;
use crate::domain::catalog::{Customer, NAME_MAX, Skill, name_key};
use crate::domain::events::{ChangeEvent, ChangeKind};
use crate::domain::opportunity::SkillCategory;
use crate::domain::validation::parse_text;
use crate::http::ApiError;
use crate::http::cursor::{Page, parse_limit};
use crate::http::request::{
    admin, caller, idempotency_key, json_body, only_query_params, path_id, query, request_fingerprint,
};
use crate::http::response::{json, to_stored, with_header};
use crate::ports::cache::{SKILLS_CATALOG_KEY, SKILLS_CATALOG_TTL};
use crate::ports::store::WithEvent;

/// `GET /v1/customers`: by name, optionally filtered by `q`.
pub async fn list_customers(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    caller(&request)?;
    only_query_params(&request, &["q", "limit", "cursor"])?;
    let limit = parse_limit(query(&request, "limit")?.as_deref())?;
    let text = query(&request, "q")?
        .map(|q| q.trim().to_owned())
        .filter(|q| !q.is_empty());
    let after = crate::http::cursor::position(&request, "customers")?;
    let rows = app
        .customers
        .list(text.as_deref(), after.as_ref().map(|(k, id)| (k.as_str(), *id)), limit)
        .await?;
    let page = Page::from_overfetch(
        rows,
        limit,
        "customers",
        |c: &Customer| (name_key(&c.name), c.id.to_string()),
        |c| c,
    );
    json(StatusCode::OK, &page)
}

/// `GET /v1/customers/{id}`: one customer (where a creation's `Location` points).
pub async fn get_customer(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    caller(&request)?;
    let id = path_id(&request, "id")?;
    only_query_params(&request, &[])?;
    match app.customers.customer(id).await? {
        Some(customer) => json(StatusCode::OK, &customer),
        None => Err(ApiError::NotFound(format!("no customer {id}"))),
    }
}

/// `POST /v1/customers`: any user may add a customer; names are unique.
pub async fn create_customer(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = caller(&request)?;
    let (body, mut errors): (CreateCustomerRequest, _) = json_body(&request)?;
    let key = idempotency_key(&request)?;
    let name = errors
        .require("name", body.name.as_deref())
        .and_then(|n| errors.check("name", parse_text(n, NAME_MAX, false)));
    let name = errors.finish(|| name).map_err(ApiError::Validation)?;
    let now = app.clock.now();
    let customer = Customer {
        id: app.ids.new_id(),
        name,
        created_at: now,
    };
    let location = |c: &Customer| format!("/v1/customers/{}", c.id);
    let render = |c: &Customer| to_stored(StatusCode::CREATED, c, vec![("location".into(), location(c))]);
    let fingerprint = request_fingerprint(&request);
    let event = catalog_event(
        app,
        ChangeKind::CustomerCreated,
        customer.id,
        1,
        now,
        serde_json::json!({ "name": customer.name }),
    );
    let events = vec![event.clone()];
    let once = idempotent::Request {
        caller: &caller.id,
        key: key.as_deref(),
        fingerprint: &fingerprint,
        now,
    };
    let created = idempotent::create_once(once, &render, |claim| {
        app.customers.create(customer, &caller.id, event, claim)
    });
    match created.await? {
        Once::Created(c) => {
            after_commit(app, None, &events).await;
            Ok(with_header(json(StatusCode::CREATED, &c)?, "location", &location(&c)))
        }
        Once::Replayed(response) => Ok(response),
    }
}

fn catalog_event(
    app: &App,
    event_type: ChangeKind,
    id: Uuid,
    version: i64,
    at: time::OffsetDateTime,
    detail: serde_json::Value,
) -> ChangeEvent {
    ChangeEvent {
        id: app.ids.new_id(),
        event_type,
        aggregate_id: id,
        aggregate_version: version,
        occurred_at: at,
        detail,
    }
}

/// A `SkillCreated` event; the store stamps it with the catalog version the creation produced.
fn skill_event(app: &App, skill: &Skill) -> ChangeEvent {
    catalog_event(
        app,
        ChangeKind::SkillCreated,
        skill.id,
        0,
        skill.created_at,
        serde_json::json!({ "name": skill.name }),
    )
}

/// The whole catalog, cache-aside (1 hour); a cache failure falls back to the database.
async fn whole_catalog(app: &App) -> Result<Vec<Skill>, ApiError> {
    match app.cache.get(SKILLS_CATALOG_KEY).await {
        Ok(Some(entry)) => match serde_json::from_str::<Vec<Skill>>(&entry.body) {
            Ok(skills) => {
                crate::metrics::record(crate::metrics::CACHE_HITS, 1.0);
                return Ok(skills);
            }
            Err(error) => tracing::warn!(%error, "unreadable skills catalog in the cache"),
        },
        Ok(None) => {}
        Err(error) => tracing::warn!(%error, "cache unavailable; reading the catalog from the database"),
    }
    crate::metrics::record(crate::metrics::CACHE_MISSES, 1.0);
    // The version is read before the skills: what is read is at least that version, never older,
    // so the entry can only be refreshed by a newer catalog change, not left stale by one.
    let version = app.skills.catalog_version().await?;
    // 100 skills of the longest legal name and description stay well under the Data API's 1 MiB
    // per response (500 did not).
    const PAGE: i64 = 100;
    let mut skills: Vec<Skill> = Vec::new();
    loop {
        let after = skills.last().map(|s| (name_key(&s.name), s.id));
        let page = app
            .skills
            .list(after.as_ref().map(|(k, id)| (k.as_str(), *id)), PAGE)
            .await?;
        let more = page.len() as i64 > PAGE;
        skills.extend(page.into_iter().take(PAGE as usize));
        if !more {
            break;
        }
    }
    if let Ok(body) = serde_json::to_string(&skills)
        && let Err(error) = app
            .cache
            .put(SKILLS_CATALOG_KEY, version, &body, SKILLS_CATALOG_TTL)
            .await
    {
        tracing::warn!(%error, "could not fill the skills catalog cache");
    }
    Ok(skills)
}

/// `GET /v1/skills`: the catalog, by name, paged from the cached whole.
pub async fn list_skills(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    caller(&request)?;
    only_query_params(&request, &["limit", "cursor"])?;
    let limit = parse_limit(query(&request, "limit")?.as_deref())?;
    let after = crate::http::cursor::position(&request, "skills")?;
    let catalog = whole_catalog(app).await?;
    let rows: Vec<Skill> = catalog
        .into_iter()
        .filter(|s| {
            after
                .as_ref()
                .is_none_or(|(key, id)| (name_key(&s.name), s.id) > (key.clone(), *id))
        })
        .take(limit as usize + 1)
        .collect();
    let page = Page::from_overfetch(
        rows,
        limit,
        "skills",
        |s: &Skill| (name_key(&s.name), s.id.to_string()),
        |s| s,
    );
    json(StatusCode::OK, &page)
}

/// `GET /v1/skills/{id}`: one catalog skill, from the cached catalog (as `GET /v1/skills`).
pub async fn get_skill(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    caller(&request)?;
    let id = path_id(&request, "id")?;
    only_query_params(&request, &[])?;
    match whole_catalog(app).await?.into_iter().find(|s| s.id == id) {
        Some(skill) => json(StatusCode::OK, &skill),
        None => Err(ApiError::NotFound(format!("no skill {id}"))),
    }
}

/// `POST /v1/skills`: Admins add catalog skills.
pub async fn create_skill(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = admin(&request)?;
    let (body, mut errors): (CreateSkillRequest, _) = json_body(&request)?;
    let key = idempotency_key(&request)?;
    let name = errors
        .require("name", body.name.as_deref())
        .and_then(|n| errors.check("name", parse_text(n, NAME_MAX, false)));
    let category = errors.require("category", body.category.as_deref()).and_then(|c| {
        errors.check(
            "category",
            SkillCategory::parse(c).ok_or_else(|| format!("must be one of {}", SkillCategory::names())),
        )
    });
    let description = match body.description.as_deref() {
        Some(d) => errors.check("description", parse_text(d, 1_000, true)).map(Some),
        None => Some(None),
    };
    let (name, category, description) = errors
        .finish(|| Some((name?, category?, description?)))
        .map_err(ApiError::Validation)?;
    let now = app.clock.now();
    let skill = Skill {
        id: app.ids.new_id(),
        name,
        category,
        description,
        created_at: now,
    };
    let location = |s: &Skill| format!("/v1/skills/{}", s.id);
    let render = |(s, _): &WithEvent<Skill>| to_stored(StatusCode::CREATED, s, vec![("location".into(), location(s))]);
    let fingerprint = request_fingerprint(&request);
    let event = skill_event(app, &skill);
    let once = idempotent::Request {
        caller: &caller.id,
        key: key.as_deref(),
        fingerprint: &fingerprint,
        now,
    };
    let created = idempotent::create_once(once, &render, |claim| {
        app.skills.create(skill, Some(&caller.id), event, claim)
    });
    match created.await? {
        Once::Created((s, stamped)) => {
            after_commit(app, None, &[stamped]).await;
            Ok(with_header(json(StatusCode::CREATED, &s)?, "location", &location(&s)))
        }
        Once::Replayed(response) => Ok(response),
    }
}

/// A starter catalog, seeded by the local server on first start.
pub const STARTER_SKILLS: &[(&str, SkillCategory)] = &[
    ("AWS Lambda", SkillCategory::Technical),
    ("Amazon Aurora PostgreSQL", SkillCategory::Technical),
    ("Amazon DynamoDB", SkillCategory::Technical),
    ("Kubernetes", SkillCategory::Technical),
    ("Rust", SkillCategory::Technical),
    ("Data Engineering", SkillCategory::Technical),
    ("Machine Learning", SkillCategory::Technical),
    ("Security and Compliance", SkillCategory::Technical),
    ("Stakeholder Management", SkillCategory::Soft),
    ("Workshop Facilitation", SkillCategory::Soft),
    ("Financial Services", SkillCategory::Industry),
    ("Healthcare", SkillCategory::Industry),
    ("Retail", SkillCategory::Industry),
    ("German", SkillCategory::Language),
    ("French", SkillCategory::Language),
    ("EMEA", SkillCategory::Geography),
];

/// Adds the starter catalog when the catalog is empty. Returns how many skills were added.
pub async fn seed_starter_skills(app: &App) -> Result<usize, ApiError> {
    if !app.skills.list(None, 1).await?.is_empty() {
        return Ok(0);
    }
    let mut added = 0;
    for (name, category) in STARTER_SKILLS {
        let skill = Skill {
            id: app.ids.new_id(),
            name: (*name).into(),
            category: *category,
            description: None,
            created_at: app.clock.now(),
        };
        let event = skill_event(app, &skill);
        match app.skills.create(skill, None, event, None).await {
            Ok(_) => added += 1,
            Err(crate::ports::store::StoreError::Duplicate { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(added)
}
