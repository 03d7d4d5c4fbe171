//! `GET /v1/reports/pipeline` (Admin): counts and annual recurring revenue by status, priority
//! and both, per currency, as JSON or (`Accept: text/csv`) CSV.

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::app::App;
use crate::domain::dates;
use crate::domain::reports::{PipelineFilters, PipelineReport};
use crate::http::ApiError;
use crate::http::request::{admin, header_text, only_query_params, query};
use crate::http::response::json;

fn bad_parameter(name: &str, expected: &str) -> ApiError {
    ApiError::BadRequest {
        code: "invalid_parameter",
        detail: format!("{name} must be {expected}"),
    }
}

fn instant(name: &str, raw: Option<String>) -> Result<Option<OffsetDateTime>, ApiError> {
    let Some(text) = raw else { return Ok(None) };
    dates::parse_instant(&text)
        .map(Some)
        .map_err(|message| ApiError::BadRequest {
            code: "invalid_parameter",
            detail: format!("{name} {message}"),
        })
}

/// Whether the client asked for CSV: `text/csv` acceptable with a higher quality than JSON
/// (`application/json`, `application/*` or `*/*`), ties going to the one listed first. Anything
/// else, no `Accept` included, gets JSON.
pub fn wants_csv(accept: Option<&str>) -> bool {
    let Some(accept) = accept else { return false };
    let mut csv: Option<(f32, usize)> = None;
    let mut json: Option<(f32, usize)> = None;
    for (position, range) in accept.split(',').enumerate() {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()))
            .next()
            .unwrap_or(1.0);
        if quality.is_nan() || quality <= 0.0 {
            continue;
        }
        let better = |current: Option<(f32, usize)>| match current {
            Some((q, _)) if q >= quality => current,
            _ => Some((quality, position)),
        };
        match media.as_str() {
            "text/csv" => csv = better(csv),
            "application/json" | "application/*" | "*/*" => json = better(json),
            _ => {}
        }
    }
    match (csv, json) {
        (Some(_), None) => true,
        (Some((cq, cp)), Some((jq, jp))) => cq > jq || (cq == jq && cp < jp),
        _ => false,
    }
}

/// `GET /v1/reports/pipeline?created_from=&created_to=&owner_id=&customer_id=`.
pub async fn pipeline(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    admin(&request)?;
    only_query_params(&request, &["created_from", "created_to", "owner_id", "customer_id"])?;
    let created_from = instant("created_from", query(&request, "created_from")?)?;
    let created_to = instant("created_to", query(&request, "created_to")?)?;
    let owner_id = super::input::parse_owner_id(query(&request, "owner_id")?)?;
    let customer_id = query(&request, "customer_id")?
        .map(|c| Uuid::parse_str(&c).map_err(|_| bad_parameter("customer_id", "a UUID")))
        .transpose()?;
    let filters = PipelineFilters {
        created_from,
        created_to,
        owner_id,
        customer_id,
    };
    let cells = app.reports.pipeline_cells(&filters).await?;
    let report =
        PipelineReport::from_cells(filters, app.clock.now(), &cells).map_err(|e| ApiError::Internal(e.to_string()))?;
    if wants_csv(header_text(&request, "accept")) {
        let mut response = Response::new(Body::Text(report.to_csv()));
        *response.status_mut() = StatusCode::OK;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8; header=present"),
        );
        return Ok(response);
    }
    json(StatusCode::OK, &report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_is_chosen_only_when_the_client_prefers_it_to_json() {
        assert!(!wants_csv(None));
        assert!(wants_csv(Some("text/csv")));
        assert!(wants_csv(Some("text/csv, application/json")));
        assert!(!wants_csv(Some("application/json, text/csv")));
        assert!(wants_csv(Some("application/json;q=0.5, text/csv")));
        assert!(!wants_csv(Some("text/csv;q=0, */*")));
        assert!(!wants_csv(Some("*/*")));
        assert!(!wants_csv(Some("text/html")));
        assert!(wants_csv(Some("TEXT/CSV;charset=utf-8")));
    }
}
