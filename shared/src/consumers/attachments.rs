//! `attachment-complete` (S3 ObjectCreated events) and `expire-uploads` (schedule): an uploaded
//! object becomes `available` when its size, type and checksum match the registration, and is
//! `rejected` (and deleted) otherwise; registrations whose upload never came are rejected once
//! their URL lapsed. An object that arrives for a rejected, deleted or unknown registration is
//! deleted, and a verified object replaced by a mismatching one is rejected and deleted. Both
//! are idempotent: each attachment changes status at most once per state.

use aws_lambda_events::event::s3::S3Event;
use serde::Serialize;
use time::Duration;

use crate::app::App;
use crate::domain::attachment::{Attachment, AttachmentStatus, attachment_id_of};
use crate::domain::events::ChangeKind;
use crate::handlers::attachments::{after_attachment_change, attachment_event};

/// Decodes an S3 event key: URL-encoded, with `+` for a space.
pub fn decode_key(raw: &str) -> String {
    percent_encoding::percent_decode_str(&raw.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// What happened to one attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Completion {
    /// Matched its registration.
    Available,
    /// Did not match; the object was deleted.
    Rejected,
    /// Not pending any more (a duplicate or late event): nothing to do.
    AlreadyDone,
    /// No object yet.
    NoObject,
    /// The registration was rejected (its URL lapsed, or its upload mismatched) before this
    /// object arrived: the object is deleted, not kept.
    LateObjectDeleted,
    /// The object of an attachment already verified `available` was replaced by one that does
    /// not match the registration: the attachment is rejected and the object deleted.
    ReplacedObjectRejected,
}

async fn finish(
    app: &App,
    attachment: &Attachment,
    from: AttachmentStatus,
    status: AttachmentStatus,
    reason: Option<&str>,
) -> Result<bool, String> {
    let mut done = attachment.clone();
    done.status = status;
    let event_type = if status == AttachmentStatus::Available {
        ChangeKind::AttachmentAvailable
    } else {
        ChangeKind::AttachmentRejected
    };
    let event = attachment_event(app, event_type, &done);
    let stamped = app
        .attachments
        .complete(attachment.id, from, status, reason, app.clock.now(), &event)
        .await
        .map_err(|e| e.to_string())?;
    match stamped {
        Some(stamped) => {
            after_attachment_change(app, stamped).await;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Checks the stored object against an attachment and records the outcome: a pending one
/// becomes available or rejected; an object arriving for a rejected registration is deleted;
/// an available one whose object no longer matches (replaced after its verification) is
/// rejected and its object deleted, so a download never serves unverified bytes.
pub async fn complete(app: &App, attachment: &Attachment) -> Result<Completion, String> {
    if attachment.status == AttachmentStatus::Rejected {
        app.objects
            .delete(&attachment.object_key)
            .await
            .map_err(|e| e.to_string())?;
        return Ok(Completion::LateObjectDeleted);
    }
    let Some(facts) = app
        .objects
        .head(&attachment.object_key)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(if attachment.status == AttachmentStatus::Pending {
            Completion::NoObject
        } else {
            Completion::AlreadyDone
        });
    };
    let mismatch = attachment.mismatch(&facts);
    match (attachment.status, mismatch) {
        (AttachmentStatus::Available, None) => Ok(Completion::AlreadyDone),
        (AttachmentStatus::Available, Some(reason)) => {
            let reason = format!("the verified object was replaced by a different upload ({reason})");
            tracing::error!(attachment = %attachment.id, reason, "verified attachment replaced; rejecting it");
            let changed = reject_and_delete(app, attachment, AttachmentStatus::Available, &reason).await?;
            Ok(if changed {
                Completion::ReplacedObjectRejected
            } else {
                Completion::AlreadyDone
            })
        }
        (_, None) => Ok(
            if finish(
                app,
                attachment,
                AttachmentStatus::Pending,
                AttachmentStatus::Available,
                None,
            )
            .await?
            {
                Completion::Available
            } else {
                Completion::AlreadyDone
            },
        ),
        (_, Some(reason)) => {
            tracing::warn!(attachment = %attachment.id, reason, "upload rejected");
            let changed = reject_and_delete(app, attachment, AttachmentStatus::Pending, &reason).await?;
            Ok(if changed {
                Completion::Rejected
            } else {
                Completion::AlreadyDone
            })
        }
    }
}

/// Rejects the attachment (from `from`) and deletes its object, which no one may download; true
/// when this call made the change.
async fn reject_and_delete(
    app: &App,
    attachment: &Attachment,
    from: AttachmentStatus,
    reason: &str,
) -> Result<bool, String> {
    let changed = finish(app, attachment, from, AttachmentStatus::Rejected, Some(reason)).await?;
    app.objects
        .delete(&attachment.object_key)
        .await
        .map_err(|e| e.to_string())?;
    Ok(changed)
}

/// Handles an S3 event: each record independently; a transient failure of any record fails the
/// invocation so that Lambda retries it (every step is idempotent).
pub async fn handle(app: &App, event: S3Event) -> Result<serde_json::Value, String> {
    let mut outcomes = Vec::new();
    let mut failures = Vec::new();
    for record in &event.records {
        if !record
            .event_name
            .as_deref()
            .unwrap_or_default()
            .starts_with("ObjectCreated")
        {
            continue;
        }
        let key = decode_key(record.s3.object.key.as_deref().unwrap_or_default());
        let Some((_, attachment_id)) = attachment_id_of(&key) else {
            tracing::warn!(key, "an object outside the attachments layout; left alone");
            continue;
        };
        let outcome = match app.attachments.attachment(attachment_id).await {
            Err(error) => Err(error.to_string()),
            // A record under another key is not this object's: the object is an orphan.
            Ok(Some(attachment)) if attachment.object_key == key => complete(app, &attachment)
                .await
                .map(|c| serde_json::json!({ "key": key, "outcome": c })),
            // No record: the attachment was deleted (or never registered). The record is always
            // committed before its upload URL is handed out, so this object is an orphan.
            Ok(_) => app
                .objects
                .delete(&key)
                .await
                .map(|_| serde_json::json!({ "key": key, "outcome": "orphan_deleted" }))
                .map_err(|e| e.to_string()),
        };
        match outcome {
            Ok(value) => outcomes.push(value),
            Err(error) => failures.push(format!("{key}: {error}")),
        }
    }
    if failures.is_empty() {
        Ok(serde_json::json!({ "records": outcomes }))
    } else {
        Err(failures.join("; "))
    }
}

/// Grace after an upload URL lapses before the registration counts as abandoned.
const EXPIRY_GRACE: Duration = Duration::minutes(1);

/// What one expiry run did.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct ExpiryReport {
    /// Lapsed pending registrations looked at.
    pub checked: usize,
    /// Completed from an object whose event was missed.
    pub completed: usize,
    /// Rejected because no upload came.
    pub expired: usize,
}

/// `expire-uploads`: rejects pending registrations whose upload never came.
pub async fn expire_uploads(app: &App, _event: serde_json::Value) -> Result<serde_json::Value, String> {
    let before = app.clock.now() - EXPIRY_GRACE;
    let lapsed = app
        .attachments
        .expired_uploads(before, 200)
        .await
        .map_err(|e| e.to_string())?;
    let mut report = ExpiryReport {
        checked: lapsed.len(),
        ..ExpiryReport::default()
    };
    for attachment in &lapsed {
        match complete(app, attachment).await? {
            Completion::NoObject => {
                if finish(
                    app,
                    attachment,
                    AttachmentStatus::Pending,
                    AttachmentStatus::Rejected,
                    Some("no upload arrived before the upload URL expired"),
                )
                .await?
                {
                    report.expired += 1;
                }
            }
            Completion::Available | Completion::Rejected => report.completed += 1,
            Completion::AlreadyDone | Completion::LateObjectDeleted | Completion::ReplacedObjectRejected => {}
        }
    }
    serde_json::to_value(report).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_event_keys_are_url_decoded_with_plus_for_space() {
        assert_eq!(decode_key("attachments/a/b"), "attachments/a/b");
        assert_eq!(decode_key("attachments%2Fa%2Fb"), "attachments/a/b");
        assert_eq!(decode_key("My+File%2B1+%C3%A4.pdf"), "My File+1 ä.pdf");
    }
}
