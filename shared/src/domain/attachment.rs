//! Attachments: documents registered before they are uploaded straight to the object store, and
//! completed by the store's ObjectCreated event once their size, type and checksum are checked.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use utoipa::ToSchema;
use uuid::Uuid;

use super::validation::FieldErrors;

/// Largest upload: 100 MiB.
pub const MAX_SIZE_BYTES: i64 = 104_857_600;
/// Longest file name kept, in characters.
pub const FILE_NAME_MAX: usize = 200;
/// Most attachments an opportunity holds at once (pending and available; rejected ones do not
/// count).
pub const MAX_ATTACHMENTS_PER_OPPORTUNITY: i64 = 50;
/// Most bytes an opportunity's pending and available attachments add up to: 1 GiB.
pub const MAX_TOTAL_BYTES_PER_OPPORTUNITY: i64 = 1_073_741_824;
/// How long an upload URL is valid.
pub const UPLOAD_URL_TTL: Duration = Duration::minutes(15);
/// How long a download URL is valid.
pub const DOWNLOAD_URL_TTL: Duration = Duration::minutes(5);

/// Media types accepted for business documents and images.
pub const ALLOWED_CONTENT_TYPES: &[&str] = &[
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "text/plain",
    "text/csv",
    "text/markdown",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
];

/// Where an attachment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentStatus {
    /// Registered; the upload has not been checked yet.
    Pending,
    /// Uploaded and checked; downloadable.
    Available,
    /// The upload did not match the registration, or never came.
    Rejected,
}

impl AttachmentStatus {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            AttachmentStatus::Pending => "pending",
            AttachmentStatus::Available => "available",
            AttachmentStatus::Rejected => "rejected",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(text: &str) -> Option<AttachmentStatus> {
        [
            AttachmentStatus::Pending,
            AttachmentStatus::Available,
            AttachmentStatus::Rejected,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// An attachment of an opportunity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Id.
    pub id: Uuid,
    /// The opportunity.
    pub opportunity_id: Uuid,
    /// The opportunity's owner (for access checks without loading it).
    pub owner_sub: String,
    /// Sanitised file name (for display and downloads only).
    pub file_name: String,
    /// Declared media type.
    pub content_type: String,
    /// Declared size.
    pub size_bytes: i64,
    /// Declared SHA-256, lower-case hex.
    pub sha256: Option<String>,
    /// Where the object lives: derived from the ids.
    pub object_key: String,
    /// Status.
    pub status: AttachmentStatus,
    /// Why it was rejected.
    pub rejection_reason: Option<String>,
    /// Registered.
    pub created_at: OffsetDateTime,
    /// When the upload URL lapses.
    pub upload_expires_at: OffsetDateTime,
    /// When it became available or was rejected.
    pub completed_at: Option<OffsetDateTime>,
}

/// The object key of an attachment: `attachments/<opportunity>/<attachment>`.
pub fn object_key(opportunity_id: Uuid, attachment_id: Uuid) -> String {
    format!("attachments/{opportunity_id}/{attachment_id}")
}

/// The attachment id in an object key, if the key is one of ours.
pub fn attachment_id_of(key: &str) -> Option<(Uuid, Uuid)> {
    let mut parts = key.split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("attachments"), Some(opportunity), Some(attachment), None) => {
            Some((Uuid::parse_str(opportunity).ok()?, Uuid::parse_str(attachment).ok()?))
        }
        _ => None,
    }
}

/// Whether a character is invisible and reorders or hides what is shown: bidirectional
/// embeddings, overrides, isolates and marks (a name like `invoice\u{202E}fdp.exe` displays as
/// `invoiceexe.pdf`), zero-width characters, joiners and the byte-order mark.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Keeps the last path segment, drops control (Unicode Cc) and reserved characters (as spaces)
/// and invisible format characters (bidirectional controls, zero-width characters: removed),
/// collapses spaces and limits the length (keeping the extension).
pub fn sanitise_file_name(raw: &str) -> Result<String, String> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !is_invisible_format(*c))
        .map(|c| {
            if c.is_control() || "<>:\"|?*\u{7f}".contains(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    let collapsed = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let trimmed = collapsed
        .trim_matches(|c: char| c == '.' || c.is_whitespace())
        .to_owned();
    if trimmed.is_empty() {
        return Err("must name a file".into());
    }
    if trimmed.chars().count() <= FILE_NAME_MAX {
        return Ok(trimmed);
    }
    let (stem, extension) = match trimmed.rsplit_once('.') {
        Some((stem, ext)) if ext.chars().count() <= 10 => (stem.to_owned(), format!(".{ext}")),
        _ => (trimmed.clone(), String::new()),
    };
    let keep = FILE_NAME_MAX - extension.chars().count();
    Ok(format!(
        "{}{extension}",
        stem.chars().take(keep).collect::<String>().trim_end()
    ))
}

/// Why one more attachment of `size_bytes` would exceed the opportunity's limits, given the
/// `count` and `total_bytes` of its pending and available attachments.
pub fn exceeds_limits(count: i64, total_bytes: i64, size_bytes: i64) -> Option<String> {
    if count >= MAX_ATTACHMENTS_PER_OPPORTUNITY {
        return Some(format!(
            "an opportunity holds at most {MAX_ATTACHMENTS_PER_OPPORTUNITY} attachments (pending and available); delete one first"
        ));
    }
    match total_bytes.checked_add(size_bytes) {
        Some(total) if total <= MAX_TOTAL_BYTES_PER_OPPORTUNITY => None,
        _ => Some(format!(
            "an opportunity's attachments add up to at most {MAX_TOTAL_BYTES_PER_OPPORTUNITY} bytes (1 GiB); {total_bytes} are used"
        )),
    }
}

/// A validated upload registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// Sanitised file name.
    pub file_name: String,
    /// Media type from the allow-list.
    pub content_type: String,
    /// 1 byte to 100 MiB.
    pub size_bytes: i64,
    /// Lower-case hex SHA-256 of the bytes to come: the presigned URL binds it, so the object
    /// store refuses any other bytes, and completion checks it again.
    pub sha256: String,
}

impl Registration {
    /// Checks every field, reporting all failures.
    pub fn parse(
        file_name: Option<&str>,
        content_type: Option<&str>,
        size_bytes: Option<i64>,
        sha256: Option<&str>,
    ) -> Result<Registration, FieldErrors> {
        let mut errors = FieldErrors::new();
        let file_name = errors
            .require("file_name", file_name)
            .and_then(|n| errors.check("file_name", sanitise_file_name(n)));
        let content_type = errors.require("content_type", content_type).and_then(|t| {
            let normalised = t.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            errors.check(
                "content_type",
                if ALLOWED_CONTENT_TYPES.contains(&normalised.as_str()) {
                    Ok(normalised)
                } else {
                    Err(format!("must be one of {}", ALLOWED_CONTENT_TYPES.join(", ")))
                },
            )
        });
        let size_bytes = errors.require("size_bytes", size_bytes).and_then(|s| {
            errors.check(
                "size_bytes",
                if (1..=MAX_SIZE_BYTES).contains(&s) {
                    Ok(s)
                } else {
                    Err(format!("must be between 1 and {MAX_SIZE_BYTES} bytes (100 MiB)"))
                },
            )
        });
        // Required: without it an upload URL would take any bytes of the right size and type
        // (a leaked URL, a proxy that rewrites), and completion could verify nothing more.
        let sha256 = errors.require("sha256", sha256).and_then(|hex| {
            errors.check(
                "sha256",
                if hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
                    Ok(hex.to_ascii_lowercase())
                } else {
                    Err("must be 64 hexadecimal characters".to_owned())
                },
            )
        });
        match (file_name, content_type, size_bytes, sha256) {
            (Some(file_name), Some(content_type), Some(size_bytes), Some(sha256)) if errors.is_empty() => {
                Ok(Registration {
                    file_name,
                    content_type,
                    size_bytes,
                    sha256,
                })
            }
            _ => Err(errors),
        }
    }
}

/// What the object store says about an uploaded object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectFacts {
    /// Stored size.
    pub size_bytes: i64,
    /// Stored media type.
    pub content_type: Option<String>,
    /// Stored SHA-256, lower-case hex, when the store computed one.
    pub sha256: Option<String>,
}

impl Attachment {
    /// Why the uploaded object does not match the registration, if it does not.
    pub fn mismatch(&self, facts: &ObjectFacts) -> Option<String> {
        if facts.size_bytes != self.size_bytes {
            return Some(format!(
                "size {} differs from the registered {}",
                facts.size_bytes, self.size_bytes
            ));
        }
        let stored_type = facts
            .content_type
            .as_deref()
            .map(|t| t.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
        if stored_type.as_deref() != Some(self.content_type.as_str()) {
            return Some(format!(
                "content type {stored_type:?} differs from the registered {}",
                self.content_type
            ));
        }
        match &self.sha256 {
            // A registration from before the checksum was required: nothing binds its bytes.
            None => Some("registered without a SHA-256, so its bytes cannot be verified".into()),
            Some(expected) if facts.sha256.as_deref() != Some(expected.as_str()) => {
                Some("checksum differs from the registered SHA-256".into())
            }
            Some(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_sanitised_and_limited() {
        assert_eq!(sanitise_file_name("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(
            sanitise_file_name("C:\\\\Users\\\\me\\\\Angebot Q3.pdf").unwrap(),
            "Angebot Q3.pdf"
        );
        assert_eq!(sanitise_file_name("  bad\u{0}name<>.docx ").unwrap(), "bad name .docx");
        assert!(sanitise_file_name(" / ").is_err());
        let long = format!("{}.pdf", "x".repeat(400));
        let kept = sanitise_file_name(&long).unwrap();
        assert_eq!(kept.chars().count(), FILE_NAME_MAX);
        assert!(kept.ends_with(".pdf"));
    }

    #[test]
    fn file_names_lose_bidirectional_overrides_and_zero_width_characters() {
        // Displayed as "invoiceexe.pdf" by a bidi-aware viewer; it is an .exe.
        assert_eq!(sanitise_file_name("invoice\u{202E}fdp.exe").unwrap(), "invoicefdp.exe");
        for hidden in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{200E}',
            '\u{200F}', '\u{061C}', '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}',
        ] {
            assert_eq!(
                sanitise_file_name(&format!("Q3{hidden} report.pdf")).unwrap(),
                "Q3 report.pdf",
                "U+{:04X}",
                hidden as u32
            );
        }
        // C0 and C1 controls, tabs and newlines become spaces, then collapse.
        assert_eq!(
            sanitise_file_name("a\u{1b}[31mred\u{9b}\tb\r\nc.txt").unwrap(),
            "a [31mred b c.txt"
        );
        assert!(
            sanitise_file_name("\u{202E}\u{200B}").is_err(),
            "nothing visible is left"
        );
        // Ordinary non-ASCII letters stay.
        assert_eq!(sanitise_file_name("Übersicht 東京.pdf").unwrap(), "Übersicht 東京.pdf");
    }

    #[test]
    fn attachment_limits_count_attachments_and_bytes_per_opportunity() {
        assert_eq!(exceeds_limits(0, 0, MAX_SIZE_BYTES), None);
        assert_eq!(exceeds_limits(MAX_ATTACHMENTS_PER_OPPORTUNITY - 1, 0, 1), None);
        assert!(exceeds_limits(MAX_ATTACHMENTS_PER_OPPORTUNITY, 0, 1).is_some());
        assert_eq!(
            exceeds_limits(9, MAX_TOTAL_BYTES_PER_OPPORTUNITY - MAX_SIZE_BYTES, MAX_SIZE_BYTES),
            None,
            "exactly 1 GiB fits"
        );
        assert!(exceeds_limits(10, MAX_TOTAL_BYTES_PER_OPPORTUNITY - MAX_SIZE_BYTES, MAX_SIZE_BYTES + 1).is_some());
        assert!(exceeds_limits(1, i64::MAX, 1).is_some(), "no overflow");
    }

    #[test]
    fn registrations_report_every_failing_field() {
        let errors = Registration::parse(
            Some(""),
            Some("application/x-msdownload"),
            Some(MAX_SIZE_BYTES + 1),
            Some("abc"),
        )
        .unwrap_err();
        let fields: Vec<String> = errors.into_vec().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["file_name", "content_type", "size_bytes", "sha256"]);
        let hex = "AB".repeat(32);
        let ok = Registration::parse(
            Some("a.PDF"),
            Some("Application/PDF; charset=binary"),
            Some(1),
            Some(&hex),
        )
        .unwrap();
        assert_eq!(ok.content_type, "application/pdf");
        assert_eq!(ok.sha256, "ab".repeat(32));
        let without = Registration::parse(Some("a.pdf"), Some("application/pdf"), Some(1), None).unwrap_err();
        let fields: Vec<String> = without.into_vec().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["sha256"], "an upload is bound to its checksum");
    }

    #[test]
    fn keys_derive_from_ids_and_parse_back() {
        let (o, a) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(attachment_id_of(&object_key(o, a)), Some((o, a)));
        assert_eq!(attachment_id_of("attachments/x/y"), None);
        assert_eq!(attachment_id_of("other/key"), None);
    }
}
