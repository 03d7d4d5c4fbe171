//! Reading opportunities: one (cache-aside), a page of a filtered list, a page of history.

use super::*;

/// The owner of a cached opportunity view, to check access without the database.
#[derive(serde::Deserialize)]
struct CachedOwner {
    owner_id: String,
}

/// `GET /v1/opportunities/{id}`: cache-aside; a cache failure falls back to the database.
pub async fn get(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = opportunity_manager(&request)?;
    let id = path_id(&request, "id")?;
    let key = opportunity_key(id);
    match app.cache.get(&key).await {
        Ok(Some(entry)) => match serde_json::from_str::<CachedOwner>(&entry.body) {
            Ok(cached) if caller.can_access(&cached.owner_id) => {
                crate::metrics::record(crate::metrics::CACHE_HITS, 1.0);
                let mut response = Response::new(Body::Text(entry.body));
                response.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static("application/json"),
                );
                return Ok(with_header(response, "etag", &format!("\"{}\"", entry.version)));
            }
            Ok(_) => return Err(ApiError::NotFound(format!("no opportunity {id}"))),
            Err(error) => tracing::warn!(%error, key, "unreadable cache entry; reading the database"),
        },
        Ok(None) => {}
        Err(error) => tracing::warn!(%error, key, "cache unavailable; reading the database"),
    }
    crate::metrics::record(crate::metrics::CACHE_MISSES, 1.0);
    let (opportunity, attachments) = load_view(app, &caller, id, ATTACHMENTS_IN_VIEW).await?;
    let body = view_json_with(&opportunity, &attachments)?;
    if let Err(error) = app.cache.put(&key, opportunity.version, &body, OPPORTUNITY_TTL).await {
        tracing::warn!(%error, key, "could not fill the cache");
    }
    Ok(respond_json(&opportunity, body, StatusCode::OK))
}

fn parse_sort(raw: Option<&str>) -> Result<(SortKey, bool), ApiError> {
    let text = raw.unwrap_or("-created_at");
    let (descending, name) = match text.strip_prefix('-') {
        Some(name) => (true, name),
        None => (false, text),
    };
    let key = match name {
        "created_at" => SortKey::CreatedAt,
        "updated_at" => SortKey::UpdatedAt,
        "priority" => SortKey::Priority,
        "start_date" => SortKey::StartDate,
        _ => {
            return Err(ApiError::BadRequest {
                code: "invalid_parameter",
                detail: "sort must be created_at, updated_at, priority or start_date, optionally prefixed with -"
                    .into(),
            });
        }
    };
    Ok((key, descending))
}

fn bad_parameter(name: &str, expected: &str) -> ApiError {
    ApiError::BadRequest {
        code: "invalid_parameter",
        detail: format!("{name} must be {expected}"),
    }
}

/// Accepts an RFC 3339 timestamp or a date (midnight UTC), within the supported range.
fn parse_instant(name: &str, raw: Option<String>) -> Result<Option<OffsetDateTime>, ApiError> {
    let Some(text) = raw else { return Ok(None) };
    dates::parse_instant(&text)
        .map(Some)
        .map_err(|message| ApiError::BadRequest {
            code: "invalid_parameter",
            detail: format!("{name} {message}"),
        })
}

/// `GET /v1/opportunities`: Sales Managers see their own, Admins all.
pub async fn list(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = opportunity_manager(&request)?;
    only_query_params(
        &request,
        &[
            "status",
            "priority",
            "customer_id",
            "owner_id",
            "created_from",
            "created_to",
            "q",
            "sort",
            "limit",
            "cursor",
        ],
    )?;
    let owner_id = crate::handlers::input::parse_owner_id(query(&request, "owner_id")?)?;
    let status = query(&request, "status")?
        .map(|s| Status::parse(&s).ok_or_else(|| bad_parameter("status", "a status such as draft or submitted")))
        .transpose()?;
    let priority = query(&request, "priority")?
        .map(|p| parse_priority(&p).map_err(|m| bad_parameter("priority", m.trim_start_matches("must be "))))
        .transpose()?;
    let customer_id = query(&request, "customer_id")?
        .map(|c| Uuid::parse_str(&c).map_err(|_| bad_parameter("customer_id", "a UUID")))
        .transpose()?;
    let created_from = parse_instant("created_from", query(&request, "created_from")?)?;
    let created_to = parse_instant("created_to", query(&request, "created_to")?)?;
    let text = query(&request, "q")?
        .map(|q| q.trim().to_owned())
        .filter(|q| !q.is_empty());
    if text.as_ref().is_some_and(|q| q.chars().count() > 100) {
        return Err(bad_parameter("q", "at most 100 characters"));
    }
    let sort_text = query(&request, "sort")?;
    let (sort, descending) = parse_sort(sort_text.as_deref())?;
    let list_name = format!("opportunities:{}", sort_text.as_deref().unwrap_or("-created_at"));
    let limit = parse_limit(query(&request, "limit")?.as_deref())?;
    let after = match position(&request, &list_name)? {
        None => None,
        Some((value, id)) => Some(match sort {
            SortKey::CreatedAt | SortKey::UpdatedAt => {
                SortPosition::Timestamp(dates::parse_instant(&value).map_err(|_| malformed())?, id)
            }
            SortKey::Priority => SortPosition::Rank(
                value
                    .parse()
                    .ok()
                    .filter(|rank| (1..=4).contains(rank))
                    .ok_or_else(malformed)?,
                id,
            ),
            // Opportunities without a timeline sort last, under a key past the supported range.
            SortKey::StartDate => SortPosition::Date(
                parse_date(&value)
                    .ok()
                    .or_else(|| {
                        let no_start = crate::ports::store::NO_START_DATE;
                        (date_position(no_start) == value).then_some(no_start)
                    })
                    .ok_or_else(malformed)?,
                id,
            ),
        }),
    };
    // Admins filter by owner; a Sales Manager sees their own, and may only name themselves.
    let owner_sub = match owner_id {
        Some(owner) if caller.is_admin() || owner == caller.id => Some(owner),
        Some(_) => return Err(ApiError::Forbidden("only Admins may filter by another owner".into())),
        None if caller.is_admin() => None,
        None => Some(caller.id.clone()),
    };
    let q = OpportunityQuery {
        owner_sub,
        status,
        priority,
        customer_id,
        created_from,
        created_to,
        text,
        sort,
        descending,
        after,
        limit,
    };
    let rows = app.opportunities.list(&q).await?;
    let page = Page::from_overfetch(
        rows,
        limit,
        &list_name,
        |s| {
            let value = match sort {
                SortKey::CreatedAt => timestamp_position(s.created_at),
                SortKey::UpdatedAt => timestamp_position(s.updated_at),
                SortKey::Priority => s.priority.rank().to_string(),
                SortKey::StartDate => date_position(s.start_date_key),
            };
            (value, s.id.to_string())
        },
        OpportunitySummaryView::of,
    );
    json_response(StatusCode::OK, &page)
}

/// `GET /v1/opportunities/{id}/history`: status and field change records, oldest first.
pub async fn history(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = opportunity_manager(&request)?;
    let id = path_id(&request, "id")?;
    only_query_params(&request, &["limit", "cursor"])?;
    let limit = parse_limit(query(&request, "limit")?.as_deref())?;
    let list_name = format!("history:{id}");
    let after_seq = match position(&request, &list_name)? {
        Some((value, _)) => value.parse::<i64>().map_err(|_| malformed())?,
        None => 0,
    };
    // The access check and the page in one read.
    let found = match app.opportunities.history_with_owner(id, after_seq, limit).await? {
        Some((owner, page)) if caller.can_access(&owner) => page,
        _ => return Err(ApiError::NotFound(format!("no opportunity {id}"))),
    };
    let next_cursor = match found.items.last() {
        Some(last) if found.more => Some(
            Cursor {
                list: list_name,
                value: last.seq.to_string(),
                id: id.to_string(),
            }
            .encode(),
        ),
        _ => None,
    };
    json_response(
        StatusCode::OK,
        &Page {
            items: found.items,
            next_cursor,
        },
    )
}
