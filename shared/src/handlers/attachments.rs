//! Attachments: register an upload (a presigned `PUT` bound to the registered type, length and
//! checksum), list them, get one (with a short-lived download URL once available), delete one.
//! The bytes never pass through a function.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::app::App;
use crate::auth::Caller;
use crate::domain::attachment::{
    Attachment, AttachmentStatus, DOWNLOAD_URL_TTL, Registration, UPLOAD_URL_TTL, object_key,
};
use crate::domain::events::{ChangeEvent, ChangeKind};
use crate::domain::lifecycle::Status;
use crate::http::ApiError;
use crate::http::cursor::{Page, malformed, parse_limit, position};
use crate::http::request::{
    idempotency_key, json_body, only_query_params, opportunity_manager, path_id, query, request_fingerprint,
};
use crate::http::response::{json, replay, to_stored, with_header};
use crate::ports::cache::opportunity_key;
use crate::ports::objects::{SignedRequest, UploadTerms};
use crate::ports::store::{StoredResponse, WithEvent};

use super::idempotent::{self, Once};

/// `POST /v1/opportunities/{id}/attachments`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterAttachmentRequest {
    /// The file's name (sanitised; it never becomes part of the storage key).
    pub file_name: Option<String>,
    /// A business document or image type (PDF, Office, OpenDocument, text, CSV, PNG, JPEG, GIF, WebP).
    pub content_type: Option<String>,
    /// 1 to 104,857,600 bytes.
    pub size_bytes: Option<i64>,
    /// SHA-256 of the content, hex; the upload must match it.
    pub sha256: Option<String>,
}

/// An attachment as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttachmentView {
    /// Id.
    pub id: Uuid,
    /// The opportunity.
    pub opportunity_id: Uuid,
    /// Sanitised file name.
    pub file_name: String,
    /// Media type.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Registered SHA-256.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// `pending`, `available` or `rejected`.
    pub status: AttachmentStatus,
    /// Why it was rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    /// Registered.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// Became available or was rejected.
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed_at: Option<OffsetDateTime>,
}

impl AttachmentView {
    /// The view of an attachment.
    pub fn of(a: &Attachment) -> AttachmentView {
        AttachmentView {
            id: a.id,
            opportunity_id: a.opportunity_id,
            file_name: a.file_name.clone(),
            content_type: a.content_type.clone(),
            size_bytes: a.size_bytes,
            sha256: a.sha256.clone(),
            status: a.status,
            rejection_reason: a.rejection_reason.clone(),
            created_at: a.created_at,
            completed_at: a.completed_at,
        }
    }
}

/// A URL the client calls itself.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SignedUrl {
    /// The URL.
    pub url: String,
    /// `PUT` or `GET`.
    pub method: String,
    /// Headers to send exactly as given (they are signed).
    pub headers: std::collections::BTreeMap<String, String>,
    /// When the URL lapses.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
}

impl From<SignedRequest> for SignedUrl {
    fn from(r: SignedRequest) -> Self {
        SignedUrl {
            url: r.url,
            method: r.method.to_owned(),
            headers: r.headers,
            expires_at: r.expires_at,
        }
    }
}

/// The answer to a registration.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisteredAttachment {
    /// The pending attachment.
    pub attachment: AttachmentView,
    /// Where and how to upload it: once (a second upload is refused with 412), within 15 minutes.
    pub upload: SignedUrl,
}

/// An attachment with its download URL once available.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentWithDownload {
    /// The attachment.
    #[serde(flatten)]
    pub attachment: AttachmentView,
    /// A download URL valid 5 minutes, once the attachment is available.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download: Option<SignedUrl>,
}

/// An attachment change event: it makes the opportunity's cached view stale. The store stamps
/// it with the opportunity version the change produces (every attachment change counts one up).
pub fn attachment_event(app: &App, event_type: ChangeKind, a: &Attachment) -> ChangeEvent {
    ChangeEvent {
        id: app.ids.new_id(),
        event_type,
        aggregate_id: a.opportunity_id,
        aggregate_version: 0,
        occurred_at: app.clock.now(),
        detail: json!({ "attachment_id": a.id, "status": a.status }),
    }
}

/// After an attachment change: the opportunity's cached view (which lists attachments) is
/// invalidated at once and through the change event.
pub async fn after_attachment_change(app: &App, event: ChangeEvent) {
    if let Err(error) = app
        .cache
        .invalidate(&opportunity_key(event.aggregate_id), event.aggregate_version)
        .await
    {
        tracing::warn!(%error, "could not invalidate the opportunity's cache entry; the event will");
    }
    crate::consumers::publish(app, &[event]).await;
}

async fn accessible_attachment(app: &App, caller: &Caller, id: Uuid) -> Result<Attachment, ApiError> {
    match app.attachments.attachment(id).await? {
        Some(a) if caller.can_access(&a.owner_sub) => Ok(a),
        _ => Err(ApiError::NotFound(format!("no attachment {id}"))),
    }
}

fn object_store_error(e: crate::ports::objects::ObjectStoreError) -> ApiError {
    ApiError::Internal(e.to_string())
}

/// The attachment id of a keyed registration: derived from the caller, the opportunity and the
/// key, so a retry whose first attempt committed but lost its idempotency record finds it.
fn keyed_id(caller: &str, opportunity_id: Uuid, key: &str) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_OID,
        format!("attachment\n{caller}\n{opportunity_id}\n{key}").as_bytes(),
    )
}

fn registered_response(attachment: &Attachment, upload: &SignedUrl) -> StoredResponse {
    to_stored(
        StatusCode::CREATED,
        &RegisteredAttachment {
            attachment: AttachmentView::of(attachment),
            upload: upload.clone(),
        },
        vec![("location".into(), format!("/v1/attachments/{}", attachment.id))],
    )
}

/// `POST /v1/opportunities/{id}/attachments`: registers a pending upload and signs its URL,
/// within the opportunity's limits; honours `Idempotency-Key` like the creates.
pub async fn register(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = opportunity_manager(&request)?;
    let opportunity_id = path_id(&request, "id")?;
    let (body, mut errors): (RegisterAttachmentRequest, _) = json_body(&request)?;
    let key = idempotency_key(&request)?;
    let registration = match Registration::parse(
        body.file_name.as_deref(),
        body.content_type.as_deref(),
        body.size_bytes,
        body.sha256.as_deref(),
    ) {
        Ok(registration) if errors.is_empty() => registration,
        Ok(_) => return Err(ApiError::Validation(errors.into_vec())),
        Err(found) => {
            errors.append(found);
            return Err(ApiError::Validation(errors.into_vec()));
        }
    };
    let opportunity = match app.opportunities.get(opportunity_id).await? {
        Some(o) if caller.can_access(&o.owner_sub) => o,
        _ => return Err(ApiError::NotFound(format!("no opportunity {opportunity_id}"))),
    };
    if matches!(opportunity.status, Status::Completed | Status::Cancelled) {
        return Err(ApiError::Conflict {
            code: "opportunity_closed",
            detail: format!("a {} opportunity takes no new attachments", opportunity.status.as_str()),
        });
    }
    let now = app.clock.now();
    let id = match &key {
        Some(key) => keyed_id(&caller.id, opportunity_id, key),
        None => app.ids.new_id(),
    };
    let object = object_key(opportunity_id, id);
    let terms = UploadTerms {
        content_type: registration.content_type.clone(),
        size_bytes: registration.size_bytes,
        sha256: Some(registration.sha256.clone()),
    };
    let upload: SignedUrl = app
        .objects
        .presign_upload(&object, &terms, UPLOAD_URL_TTL)
        .await
        .map_err(object_store_error)?
        .into();
    let attachment = Attachment {
        id,
        opportunity_id,
        owner_sub: opportunity.owner_sub.clone(),
        file_name: registration.file_name,
        content_type: registration.content_type,
        size_bytes: registration.size_bytes,
        sha256: Some(registration.sha256),
        object_key: object,
        status: AttachmentStatus::Pending,
        rejection_reason: None,
        created_at: now,
        upload_expires_at: upload.expires_at,
        completed_at: None,
    };
    let event = attachment_event(app, ChangeKind::AttachmentRegistered, &attachment);
    let render = |(a, _): &WithEvent<Attachment>| registered_response(a, &upload);
    let fingerprint = request_fingerprint(&request);
    let once = idempotent::Request {
        caller: &caller.id,
        key: key.as_deref(),
        fingerprint: &fingerprint,
        now,
    };
    let created = idempotent::create_once(once, &render, |claim| {
        app.attachments.register(&attachment, &event, claim)
    })
    .await;
    let created = match created {
        // A keyed retry whose first attempt committed but could not record its response: the id
        // comes from the key, so the record exists; answer with it and a fresh upload URL.
        Err(ApiError::Conflict {
            code: "already_exists", ..
        }) if key.is_some() => {
            let existing = accessible_attachment(app, &caller, id).await?;
            let upload: SignedUrl = app
                .objects
                .presign_upload(
                    &existing.object_key,
                    &UploadTerms {
                        content_type: existing.content_type.clone(),
                        size_bytes: existing.size_bytes,
                        sha256: existing.sha256.clone(),
                    },
                    UPLOAD_URL_TTL,
                )
                .await
                .map_err(object_store_error)?
                .into();
            return Ok(replay(registered_response(&existing, &upload)));
        }
        other => other?,
    };
    match created {
        Once::Created((attachment, stamped)) => {
            after_attachment_change(app, stamped).await;
            let response = json(
                StatusCode::CREATED,
                &RegisteredAttachment {
                    attachment: AttachmentView::of(&attachment),
                    upload,
                },
            )?;
            Ok(with_header(
                response,
                "location",
                &format!("/v1/attachments/{}", attachment.id),
            ))
        }
        Once::Replayed(response) => Ok(response),
    }
}

/// `GET /v1/opportunities/{id}/attachments`.
pub async fn list(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = opportunity_manager(&request)?;
    let opportunity_id = path_id(&request, "id")?;
    only_query_params(&request, &["limit", "cursor"])?;
    let limit = parse_limit(query(&request, "limit")?.as_deref())?;
    let list_name = format!("attachments:{opportunity_id}");
    let after = match position(&request, &list_name)? {
        None => None,
        Some((value, id)) => Some((
            crate::domain::dates::parse_instant(&value).map_err(|_| malformed())?,
            id,
        )),
    };
    // The first page comes with the opportunity's access check, in one read.
    let first_page = match after {
        None => Some(limit.saturating_add(1)),
        Some(_) => None,
    };
    let found = app
        .opportunities
        .get_with_attachments(opportunity_id, first_page.unwrap_or(0))
        .await?;
    let first = match found {
        Some((o, attachments)) if caller.can_access(&o.owner_sub) => attachments,
        _ => return Err(ApiError::NotFound(format!("no opportunity {opportunity_id}"))),
    };
    let rows = match first_page {
        Some(_) => first,
        None => app.attachments.attachments(opportunity_id, after, limit).await?,
    };
    let page = Page::from_overfetch(
        rows,
        limit,
        &list_name,
        |a: &Attachment| (crate::http::cursor::timestamp_position(a.created_at), a.id.to_string()),
        |a| AttachmentView::of(&a),
    );
    json(StatusCode::OK, &page)
}

/// `GET /v1/attachments/{id}`: with a 5-minute download URL once available.
pub async fn get(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = opportunity_manager(&request)?;
    let id = path_id(&request, "id")?;
    let attachment = accessible_attachment(app, &caller, id).await?;
    let download = if attachment.status == AttachmentStatus::Available {
        Some(
            app.objects
                .presign_download(&attachment.object_key, &attachment.file_name, DOWNLOAD_URL_TTL)
                .await
                .map_err(object_store_error)?
                .into(),
        )
    } else {
        None
    };
    json(
        StatusCode::OK,
        &AttachmentWithDownload {
            attachment: AttachmentView::of(&attachment),
            download,
        },
    )
}

/// `DELETE /v1/attachments/{id}`: the record, then the object.
pub async fn delete(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = opportunity_manager(&request)?;
    let id = path_id(&request, "id")?;
    let attachment = accessible_attachment(app, &caller, id).await?;
    let event = attachment_event(app, ChangeKind::AttachmentDeleted, &attachment);
    if let Some(stamped) = app.attachments.remove(id, &event).await? {
        after_attachment_change(app, stamped).await;
    }
    // A late upload event for the deleted record finds no record and deletes the object again.
    if let Err(error) = app.objects.delete(&attachment.object_key).await {
        tracing::warn!(%error, key = attachment.object_key, "the object could not be deleted now; the completion handler removes orphans");
    }
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    Ok(response)
}
