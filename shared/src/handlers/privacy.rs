//! The user directory and the data subject's rights: `GET /v1/me` (the stored profile),
//! `GET /v1/privacy/subjects/{user_id}/export` (GDPR access, Art. 15),
//! `POST /v1/privacy/subjects/{user_id}/erasure` (GDPR erasure, Art. 17) and
//! `GET /v1/audit-events` (the audit log of both). See `docs/PRIVACY.md`.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use time::{Duration, OffsetDateTime};
use utoipa::ToSchema;
use uuid::Uuid;

use super::attachments::{AttachmentView, SignedUrl};
use super::views::OpportunityView;
use crate::app::App;
use crate::domain::attachment::{AttachmentStatus, DOWNLOAD_URL_TTL};
use crate::domain::catalog::{Customer, Skill};
use crate::domain::dates;
use crate::domain::history::HistoryItem;
use crate::domain::privacy::UserProfile;
use crate::http::ApiError;
use crate::http::cursor::{Page, malformed, parse_limit, position};
use crate::http::request::{admin, caller, only_query_params, query};
use crate::http::response::json;
use crate::ports::cache::opportunity_key;
use crate::ports::privacy::{AuditEvent, ErasureRequest, SubjectRecords};

/// How long a profile stays cached (seed 002: user profiles, 15 minutes).
pub const USER_PROFILE_TTL: Duration = Duration::minutes(15);
pub use crate::domain::privacy::INLINE_EXPORT_MAX_BYTES;
/// How long the link to a large export works.
pub const EXPORT_LINK_TTL: Duration = Duration::minutes(15);
/// The longest user id accepted in a path (a Cognito `sub` is 36 characters).
const USER_ID_MAX: usize = 128;

/// The key of a profile (seed 002: `user:{id}`).
pub fn user_key(id: &str) -> String {
    format!("user:{id}")
}

/// The cache version of a profile: its last write, in microseconds.
fn profile_version(profile: &UserProfile) -> i64 {
    profile.last_seen_at.map_or(0, |at| {
        i64::try_from(at.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
    })
}

/// `GET /v1/me`: the stored profile (cached 15 minutes); a caller who never wrote gets the
/// profile of their token, with `first_seen_at` and `last_seen_at` null (a read writes nothing).
pub async fn me(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = caller(&request)?;
    let key = user_key(&caller.id);
    match app.cache.get(&key).await {
        Ok(Some(entry)) => {
            let mut response = Response::new(Body::Text(entry.body));
            response.headers_mut().insert(
                lambda_http::http::header::CONTENT_TYPE,
                lambda_http::http::HeaderValue::from_static("application/json"),
            );
            return Ok(response);
        }
        Ok(None) => {}
        Err(error) => tracing::warn!(%error, key, "cache unavailable; reading the database"),
    }
    let Some(profile) = app.directory.profile(&caller.id).await? else {
        return json(
            StatusCode::OK,
            &UserProfile {
                id: caller.id,
                email: caller.email,
                name: caller.name,
                groups: caller.groups,
                first_seen_at: None,
                last_seen_at: None,
            },
        );
    };
    let body = serde_json::to_string(&profile).map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Err(error) = app
        .cache
        .put(&key, profile_version(&profile), &body, USER_PROFILE_TTL)
        .await
    {
        tracing::warn!(%error, key, "could not fill the cache");
    }
    let mut response = Response::new(Body::Text(body));
    response.headers_mut().insert(
        lambda_http::http::header::CONTENT_TYPE,
        lambda_http::http::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// The `user_id` path parameter: any id the service may have stored (a Cognito `sub`, or a
/// pseudonym), 1 to 128 characters without control characters.
fn subject_id(request: &Request) -> Result<String, ApiError> {
    let params = request.path_parameters();
    let raw = params.first("user_id").unwrap_or_default();
    if raw.is_empty() || raw.chars().count() > USER_ID_MAX || raw.chars().any(char::is_control) {
        return Err(ApiError::BadRequest {
            code: "invalid_parameter",
            detail: format!("user_id must be 1 to {USER_ID_MAX} characters without control characters"),
        });
    }
    Ok(raw.to_owned())
}

/// A history record the person made, with its opportunity.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedHistory {
    /// The opportunity.
    pub opportunity_id: Uuid,
    /// The record.
    #[serde(flatten)]
    pub record: HistoryItem,
}

/// An attachment the person registered, with a download link when asked for.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedAttachment {
    /// The attachment's metadata.
    #[serde(flatten)]
    pub attachment: AttachmentView,
    /// A short-lived download URL (`?download_links=true`, available attachments only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download: Option<SignedUrl>,
}

/// Records of the person that are kept for the service's working, counted.
#[derive(Debug, Serialize, ToSchema)]
pub struct OtherRecords {
    /// Idempotency records of their requests (copies of responses in this document, kept 24 hours).
    pub idempotency_records: i64,
    /// Change events in the outbox that name them.
    pub outbox_events: i64,
}

/// Everything the service stores about one person (GDPR Art. 15). A subject the service never
/// saw gets the same document, empty.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectExport {
    /// The person's id.
    pub subject_id: String,
    /// When the export was made.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub generated_at: OffsetDateTime,
    /// The directory's profile; `null` when none is stored.
    pub profile: Option<UserProfile>,
    /// Opportunities they own, whole, oldest first.
    pub opportunities: Vec<OpportunityView>,
    /// History records they made.
    pub history: Vec<ExportedHistory>,
    /// Customers they created.
    pub customers: Vec<Customer>,
    /// Catalog skills they created.
    pub skills: Vec<Skill>,
    /// Attachments they registered (metadata).
    pub attachments: Vec<ExportedAttachment>,
    /// Privacy requests about them, or that they made as an Admin.
    pub privacy_requests: Vec<AuditEvent>,
    /// Records kept for the service's working.
    pub other_records: OtherRecords,
}

/// A large export, handed over as a link to a file in the exports bucket.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportLink {
    /// The person's id.
    pub subject_id: String,
    /// When the export was made.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub generated_at: OffsetDateTime,
    /// The document's size.
    pub size_bytes: u64,
    /// A `GET` of the [`SubjectExport`] document, valid 15 minutes.
    pub download: SignedUrl,
}

/// What the export answers (for the description): the document, or the link to it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ExportResponse {
    /// The whole document (up to 4 MiB).
    Document(SubjectExport),
    /// A link to it in the exports bucket.
    Link(ExportLink),
}

fn counts(records: &SubjectRecords) -> serde_json::Value {
    serde_json::json!({
        "profile": records.profile.is_some(),
        "opportunities": records.opportunities.len(),
        "history_records": records.history.len(),
        "customers": records.customers.len(),
        "skills": records.skills.len(),
        "attachments": records.attachments.len(),
        "privacy_requests": records.audit_events.len(),
        "idempotency_records": records.idempotency_records,
        "outbox_events": records.outbox_events,
    })
}

fn download_links_requested(request: &Request) -> Result<bool, ApiError> {
    match query(request, "download_links")?.as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApiError::BadRequest {
            code: "invalid_parameter",
            detail: "download_links must be true or false".into(),
        }),
    }
}

/// `GET /v1/privacy/subjects/{user_id}/export` (Admin): the whole document in the response, or a
/// link to it in the exports bucket when it is larger than 4 MiB; audited either way.
pub async fn export(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let admin = admin(&request)?;
    let subject = subject_id(&request)?;
    only_query_params(&request, &["download_links"])?;
    let links = download_links_requested(&request)?;
    let now = app.clock.now();
    let records = app.privacy.subject_records(&subject).await?;
    let details = counts(&records);
    let mut attachments = Vec::with_capacity(records.attachments.len());
    for a in &records.attachments {
        let download = if links && a.status == AttachmentStatus::Available {
            let signed = app
                .objects
                .presign_download(&a.object_key, &a.file_name, DOWNLOAD_URL_TTL)
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            Some(SignedUrl::from(signed))
        } else {
            None
        };
        attachments.push(ExportedAttachment {
            attachment: AttachmentView::of(a),
            download,
        });
    }
    let opportunities = records
        .opportunities
        .iter()
        .map(|o| {
            let own = records
                .attachments
                .iter()
                .filter(|a| a.opportunity_id == o.id)
                .map(|a| super::views::AttachmentSummary {
                    id: a.id,
                    file_name: a.file_name.clone(),
                    content_type: a.content_type.clone(),
                    size_bytes: a.size_bytes,
                    status: a.status.as_str().to_owned(),
                })
                .collect();
            OpportunityView::of(o).with_attachments(own)
        })
        .collect();
    let document = SubjectExport {
        subject_id: subject.clone(),
        generated_at: now,
        profile: records.profile,
        opportunities,
        history: records
            .history
            .into_iter()
            .map(|h| ExportedHistory {
                opportunity_id: h.opportunity_id,
                record: h.item,
            })
            .collect(),
        customers: records.customers,
        skills: records.skills,
        attachments,
        privacy_requests: records.audit_events,
        other_records: OtherRecords {
            idempotency_records: records.idempotency_records,
            outbox_events: records.outbox_events,
        },
    };
    let body = serde_json::to_vec(&document).map_err(|e| ApiError::Internal(e.to_string()))?;
    let audit_id = app.ids.new_id();
    let inline = body.len() <= app.export_inline_bytes;
    let mut details = details;
    details["delivery"] = serde_json::json!(if inline { "inline" } else { "link" });
    details["size_bytes"] = serde_json::json!(body.len());
    let audit = AuditEvent {
        id: audit_id,
        at: now,
        actor_id: admin.id,
        action: "privacy_export".into(),
        subject_id: subject.clone(),
        details,
    };
    if inline {
        // Recorded before the answer: an export nobody can account for is not given out.
        app.privacy.record(&audit).await?;
        let mut response = Response::new(Body::Binary(body));
        response.headers_mut().insert(
            lambda_http::http::header::CONTENT_TYPE,
            lambda_http::http::HeaderValue::from_static("application/json"),
        );
        return Ok(response);
    }
    let key = format!("privacy-exports/{audit_id}.json");
    let size_bytes = body.len() as u64;
    app.exports
        .put(&key, body, "application/json")
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let signed = app
        .exports
        .presign_download(&key, &format!("export-{audit_id}.json"), EXPORT_LINK_TTL)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    app.privacy.record(&audit).await?;
    json(
        StatusCode::OK,
        &ExportLink {
            subject_id: subject,
            generated_at: now,
            size_bytes,
            download: signed.into(),
        },
    )
}

/// `POST /v1/privacy/subjects/{user_id}/erasure` (Admin): the person's id becomes its pseudonym
/// everywhere, their e-mail address and name leave their free text, their profile and
/// idempotency records are deleted, in one transaction with its audit entry; then the cached
/// views are invalidated. Answers the audit entry. Repeating it changes nothing more.
pub async fn erase(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let admin = admin(&request)?;
    let subject = subject_id(&request)?;
    only_query_params(&request, &[])?;
    let key = app
        .pseudonyms
        .as_ref()
        .ok_or_else(|| ApiError::Internal("OMS_PSEUDONYM_KEY is not configured: erasures are disabled".into()))?;
    let now = app.clock.now();
    let erasure = app
        .privacy
        .erase(&ErasureRequest {
            audit_id: app.ids.new_id(),
            subject: subject.clone(),
            pseudonym: key.pseudonym(&subject),
            actor: admin.id,
            at: now,
        })
        .await?;
    for (id, version) in &erasure.opportunities {
        if let Err(error) = app.cache.invalidate(&opportunity_key(*id), *version).await {
            tracing::warn!(%error, %id, "could not invalidate an erased owner's opportunity; it expires within 5 minutes");
        }
    }
    let stale = i64::try_from(now.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX);
    if let Err(error) = app.cache.invalidate(&user_key(&subject), stale).await {
        tracing::warn!(%error, "could not invalidate the erased profile; it expires within 15 minutes");
    }
    json(StatusCode::OK, &erasure.audit)
}

/// `GET /v1/audit-events` (Admin): the audit log, oldest first.
pub async fn audit_events(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    admin(&request)?;
    only_query_params(&request, &["limit", "cursor"])?;
    let limit = parse_limit(query(&request, "limit")?.as_deref())?;
    let list = "audit-events";
    let after = match position(&request, list)? {
        None => None,
        Some((value, id)) => Some((dates::parse_instant(&value).map_err(|_| malformed())?, id)),
    };
    let rows = app.privacy.audit_events(after, limit).await?;
    let page = Page::from_overfetch(
        rows,
        limit,
        list,
        |e: &AuditEvent| (crate::http::cursor::timestamp_position(e.at), e.id.to_string()),
        |e| e,
    );
    json(StatusCode::OK, &page)
}
