//! The manifest: every function of the fleet, in the order the template lists them. Adding a
//! function is one entry here, its handler, its crate (`functions/<name>`, whose `main` calls
//! `<ENTRY>.run()`) and a sample event under `events/`; then `oms-local render` updates
//! `template.yaml` and `openapi.json`.

use super::{Capability::*, Function, Queue, Trigger};
use crate::handlers::{attachments, catalog, opportunities, platform, privacy, reports};
use crate::openapi::{ACTION_CONFLICTS, Doc, JSON, MUTATION_CONFLICTS, PAGE, VIEW, base};
use crate::routes::route;
use crate::{consumers, jobs};

/// Every function, in template order.
pub static FLEET: &[&Function] = &[
    &AUTHORIZER,
    &HEALTH,
    &GET_OPENAPI,
    &GET_DOCS,
    &GET_DOCS_ASSET,
    &GET_ME,
    &LIST_CUSTOMERS,
    &GET_CUSTOMER,
    &CREATE_CUSTOMER,
    &LIST_SKILLS,
    &GET_SKILL,
    &CREATE_SKILL,
    &CREATE_OPPORTUNITY,
    &LIST_OPPORTUNITIES,
    &GET_OPPORTUNITY,
    &PATCH_OPPORTUNITY,
    &PUT_PROBLEM_STATEMENT,
    &PUT_SKILL_REQUIREMENTS,
    &SUBMIT_OPPORTUNITY,
    &CANCEL_OPPORTUNITY,
    &REACTIVATE_OPPORTUNITY,
    &GET_OPPORTUNITY_HISTORY,
    &PRESIGN_UPLOAD,
    &LIST_ATTACHMENTS,
    &GET_ATTACHMENT,
    &DELETE_ATTACHMENT,
    &EXPORT_SUBJECT_DATA,
    &ERASE_SUBJECT_DATA,
    &LIST_AUDIT_EVENTS,
    &GET_PIPELINE_REPORT,
    &CACHE_INVALIDATION,
    &OPPORTUNITY_STATUS_EVENTS,
    &OUTBOX_RELAY,
    &ATTACHMENT_COMPLETE,
    &EXPIRE_UPLOADS,
    &RETENTION_PURGE,
    &OPPORTUNITY_EXPORT,
];

/// `authorizer`: Lambda TOKEN authorizer: Cognito ID or access tokens of the configured app clients.
pub static AUTHORIZER: Function = Function {
    name: "authorizer",
    summary: "Lambda TOKEN authorizer: Cognito ID or access tokens of the configured app clients",
    trigger: Trigger::Authorizer,
    needs: &[VerifyTokens],
    timeout_seconds: Some(5),
    why: "Runs before every uncached request: a cold start fetches the JWKS (3 s timeout).",
};

/// `health`: GET /health: liveness, no auth.
pub static HEALTH: Function = Function {
    name: "health",
    summary: "GET /health: liveness, no auth",
    trigger: route!(
        "health",
        GET,
        "/health",
        false,
        platform::health,
        Doc {
            role: "public",
            ..base("Liveness", "platform", ("200", Some("Health")))
        }
    ),
    needs: &[],
    timeout_seconds: None,
    why: "Touches no database (it still builds the Data API client from the environment, which makes no call), so beyond logs and X-Ray it has no permissions at all.",
};

/// `get-openapi`: GET /openapi.json: the OpenAPI description, no auth.
pub static GET_OPENAPI: Function = Function {
    name: "get-openapi",
    summary: "GET /openapi.json: the OpenAPI description, no auth",
    trigger: route!(
        "get-openapi",
        GET,
        "/openapi.json",
        false,
        platform::openapi,
        Doc {
            role: "public",
            ..base("This OpenAPI description", "platform", ("200", None))
        }
    ),
    needs: &[],
    timeout_seconds: None,
    why: "Serves files compiled into the binary and touches no database (it still builds the Data API client from the environment, which makes no call): no permissions beyond logs and X-Ray.",
};

/// `get-docs`: GET /docs: the API documentation page (Swagger UI), no auth.
pub static GET_DOCS: Function = Function {
    name: "get-docs",
    summary: "GET /docs: the API documentation page (Swagger UI), no auth",
    trigger: route!(
        "get-docs",
        GET,
        "/docs",
        false,
        platform::docs,
        Doc {
            role: "public",
            ..base("The API documentation page (Swagger UI)", "platform", ("200", None))
        }
    ),
    needs: &[],
    timeout_seconds: None,
    why: "Serves files compiled into the binary and touches no database (it still builds the Data API client from the environment, which makes no call): no permissions beyond logs and X-Ray.",
};

/// `get-docs-asset`: GET /docs/{asset}: a Swagger UI file of the documentation page, no auth.
pub static GET_DOCS_ASSET: Function = Function {
    name: "get-docs-asset",
    summary: "GET /docs/{asset}: a Swagger UI file of the documentation page, no auth",
    trigger: route!(
        "get-docs-asset",
        GET,
        "/docs/{asset}",
        false,
        platform::docs_asset,
        Doc {
            role: "public",
            ..base("A file of the documentation page", "platform", ("200", None))
        }
    ),
    needs: &[DocsAssets],
    timeout_seconds: None,
    why: "Serves files compiled into the binary and touches no database (it still builds the Data API client from the environment, which makes no call): no permissions beyond logs and X-Ray.",
};

/// `get-me`: GET /v1/me: the caller's profile.
pub static GET_ME: Function = Function {
    name: "get-me",
    summary: "GET /v1/me: the caller's profile from the user directory",
    trigger: route!(
        "get-me",
        GET,
        "/v1/me",
        true,
        privacy::me,
        Doc {
            role: "any",
            ..base(
                "The caller's profile from the user directory (from the token until their first write)",
                "platform",
                ("200", Some("UserProfile")),
            )
        }
    ),
    needs: &[DatabaseStatements, ReadCache, CountRequests],
    timeout_seconds: None,
    why: "Reads the caller's profile (single statements) through the profile cache user:{id} (GetItem, conditional PutItem).",
};

/// `list-customers`: GET /v1/customers: customers by name.
pub static LIST_CUSTOMERS: Function = Function {
    name: "list-customers",
    summary: "GET /v1/customers: customers by name",
    trigger: route!(
        "list-customers",
        GET,
        "/v1/customers",
        true,
        catalog::list_customers,
        Doc {
            role: "any",
            query: &["customer_q", "limit", "cursor"],
            ..base("List customers by name", "customers", ("200", Some("CustomerPage")))
        }
    ),
    needs: &[DatabaseStatements, CountRequests],
    timeout_seconds: None,
    why: "Read-only: single statements, no transactions.",
};

/// `get-customer`: GET /v1/customers/{id}: one customer.
pub static GET_CUSTOMER: Function = Function {
    name: "get-customer",
    summary: "GET /v1/customers/{id}: one customer",
    trigger: route!(
        "get-customer",
        GET,
        "/v1/customers/{id}",
        true,
        catalog::get_customer,
        Doc {
            role: "any",
            ..base("One customer", "customers", ("200", Some("Customer")))
        }
    ),
    needs: &[DatabaseStatements, CountRequests],
    timeout_seconds: None,
    why: "Read-only: single statements, no transactions.",
};

/// `create-customer`: POST /v1/customers: adds a customer.
pub static CREATE_CUSTOMER: Function = Function {
    name: "create-customer",
    summary: "POST /v1/customers: adds a customer",
    trigger: route!(
        "create-customer",
        POST,
        "/v1/customers",
        true,
        catalog::create_customer,
        Doc {
            role: "any",
            body: Some(("CreateCustomerRequest", JSON)),
            success_headers: &["Location"],
            conflicts: &["already_exists"],
            idempotent: true,
            ..base("Add a customer", "customers", ("201", Some("Customer")))
        }
    ),
    needs: &[DatabaseTransactions, PublishChangeEvents, CountRequests],
    timeout_seconds: None,
    why: "Writes in a Data API transaction (the change event goes into the outbox in the same one), then publishes it to the change-events queue (SendMessageBatch, authorised as sqs:SendMessage) and marks it published. No cache write: the catalog entry it changes is invalidated by cache-invalidation. Idempotency-Key records are rows of the same transaction. The queue is encrypted with the stack key, used only through SQS and only for this queue.",
};

/// `list-skills`: GET /v1/skills: the skills catalog.
pub static LIST_SKILLS: Function = Function {
    name: "list-skills",
    summary: "GET /v1/skills: the skills catalog",
    trigger: route!(
        "list-skills",
        GET,
        "/v1/skills",
        true,
        catalog::list_skills,
        Doc {
            role: "any",
            query: PAGE,
            ..base("The skills catalog", "skills", ("200", Some("SkillPage")))
        }
    ),
    needs: &[DatabaseStatements, ReadCache, CountRequests],
    timeout_seconds: None,
    why: "Read-only in the database (single statements, no transactions); reads the cache and fills it (GetItem, conditional PutItem). The table is encrypted with the stack key, which DynamoDB uses on the function's behalf.",
};

/// `get-skill`: GET /v1/skills/{id}: one catalog skill.
pub static GET_SKILL: Function = Function {
    name: "get-skill",
    summary: "GET /v1/skills/{id}: one catalog skill",
    trigger: route!(
        "get-skill",
        GET,
        "/v1/skills/{id}",
        true,
        catalog::get_skill,
        Doc {
            role: "any",
            ..base("One catalog skill", "skills", ("200", Some("Skill")))
        }
    ),
    needs: &[DatabaseStatements, ReadCache, CountRequests],
    timeout_seconds: None,
    why: "Read-only in the database (single statements, no transactions); reads the cache and fills it (GetItem, conditional PutItem). The table is encrypted with the stack key, which DynamoDB uses on the function's behalf.",
};

/// `create-skill`: POST /v1/skills: Admins add a catalog skill.
pub static CREATE_SKILL: Function = Function {
    name: "create-skill",
    summary: "POST /v1/skills: Admins add a catalog skill",
    trigger: route!(
        "create-skill",
        POST,
        "/v1/skills",
        true,
        catalog::create_skill,
        Doc {
            role: "admin",
            body: Some(("CreateSkillRequest", JSON)),
            success_headers: &["Location"],
            conflicts: &["already_exists"],
            idempotent: true,
            ..base("Add a catalog skill (Admin)", "skills", ("201", Some("Skill")))
        }
    ),
    needs: &[DatabaseTransactions, PublishChangeEvents, CountRequests],
    timeout_seconds: None,
    why: "Writes in a Data API transaction (the change event goes into the outbox in the same one), then publishes it to the change-events queue (SendMessageBatch, authorised as sqs:SendMessage) and marks it published. No cache write: the catalog entry it changes is invalidated by cache-invalidation. Idempotency-Key records are rows of the same transaction. The queue is encrypted with the stack key, used only through SQS and only for this queue.",
};

/// `create-opportunity`: POST /v1/opportunities: creates a draft opportunity.
pub static CREATE_OPPORTUNITY: Function = Function {
    name: "create-opportunity",
    summary: "POST /v1/opportunities: creates a draft opportunity",
    trigger: route!(
        "create-opportunity",
        POST,
        "/v1/opportunities",
        true,
        opportunities::create,
        Doc {
            body: Some(("CreateOpportunityRequest", JSON)),
            success_headers: &["Location", "ETag"],
            conflicts: &["already_exists"],
            idempotent: true,
            ..base(
                "Create a draft opportunity",
                "opportunities",
                ("201", Some("OpportunityView")),
            )
        }
    ),
    needs: &[DatabaseTransactions, WriteCache, PublishChangeEvents, CountRequests],
    timeout_seconds: None,
    why: "Writes in a Data API transaction (the change events go into the outbox in the same one), then writes the cache through (conditional PutItem), publishes the change events to the change-events queue (SendMessageBatch, authorised as sqs:SendMessage) and marks them published. Idempotency-Key records are rows of the same transaction. Table and queue are encrypted with the stack key, used only through DynamoDB and SQS and only for this table and this queue.",
};

/// `list-opportunities`: GET /v1/opportunities: filters, sorts and pages opportunities.
pub static LIST_OPPORTUNITIES: Function = Function {
    name: "list-opportunities",
    summary: "GET /v1/opportunities: filters, sorts and pages opportunities",
    trigger: route!(
        "list-opportunities",
        GET,
        "/v1/opportunities",
        true,
        opportunities::list,
        Doc {
            query: &[
                "status",
                "priority",
                "customer_id",
                "owner_id",
                "created_from",
                "created_to",
                "opportunity_q",
                "sort",
                "limit",
                "cursor",
            ],
            ..base(
                "List opportunities (Sales Managers: their own; Admins: all)",
                "opportunities",
                ("200", Some("OpportunityPage")),
            )
        }
    ),
    needs: &[DatabaseStatements, CountRequests],
    timeout_seconds: None,
    why: "Read-only: single statements, no transactions.",
};

/// `get-opportunity`: GET /v1/opportunities/{id}: the whole opportunity.
pub static GET_OPPORTUNITY: Function = Function {
    name: "get-opportunity",
    summary: "GET /v1/opportunities/{id}: the whole opportunity",
    trigger: route!(
        "get-opportunity",
        GET,
        "/v1/opportunities/{id}",
        true,
        opportunities::get,
        Doc {
            success_headers: &["ETag"],
            ..base("The whole opportunity", "opportunities", VIEW)
        }
    ),
    needs: &[DatabaseStatements, ReadCache, CountRequests],
    timeout_seconds: None,
    why: "Read-only in the database (single statements, no transactions); reads the cache and fills it (GetItem, conditional PutItem). The table is encrypted with the stack key, which DynamoDB uses on the function's behalf.",
};

/// `patch-opportunity`: PATCH /v1/opportunities/{id}: a JSON merge patch of details and timeline.
pub static PATCH_OPPORTUNITY: Function = Function {
    name: "patch-opportunity",
    summary: "PATCH /v1/opportunities/{id}: a JSON merge patch of details and timeline",
    trigger: route!(
        "patch-opportunity",
        PATCH,
        "/v1/opportunities/{id}",
        true,
        opportunities::patch,
        Doc {
            body: Some((
                "OpportunityPatch",
                &["application/merge-patch+json", "application/json"],
            )),
            success_headers: &["ETag"],
            conflicts: MUTATION_CONFLICTS,
            if_match: true,
            ..base("Change details and timeline (JSON merge patch)", "opportunities", VIEW)
        }
    ),
    needs: &[DatabaseTransactions, WriteCache, PublishChangeEvents, CountRequests],
    timeout_seconds: None,
    why: "Writes in a Data API transaction (the change events go into the outbox in the same one), then writes the cache through (conditional PutItem), publishes the change events to the change-events queue (SendMessageBatch, authorised as sqs:SendMessage) and marks them published. Table and queue are encrypted with the stack key, used only through DynamoDB and SQS and only for this table and this queue.",
};

/// `put-problem-statement`: PUT /v1/opportunities/{id}/problem-statement: sets the problem statement.
pub static PUT_PROBLEM_STATEMENT: Function = Function {
    name: "put-problem-statement",
    summary: "PUT /v1/opportunities/{id}/problem-statement: sets the problem statement",
    trigger: route!(
        "put-problem-statement",
        PUT,
        "/v1/opportunities/{id}/problem-statement",
        true,
        opportunities::put_problem_statement,
        Doc {
            body: Some(("ProblemStatementRequest", JSON)),
            success_headers: &["ETag"],
            conflicts: MUTATION_CONFLICTS,
            if_match: true,
            ..base("Set the problem statement", "opportunities", VIEW)
        }
    ),
    needs: &[DatabaseTransactions, WriteCache, PublishChangeEvents, CountRequests],
    timeout_seconds: None,
    why: "Writes in a Data API transaction (the change events go into the outbox in the same one), then writes the cache through (conditional PutItem), publishes the change events to the change-events queue (SendMessageBatch, authorised as sqs:SendMessage) and marks them published. Table and queue are encrypted with the stack key, used only through DynamoDB and SQS and only for this table and this queue.",
};

/// `put-skill-requirements`: PUT /v1/opportunities/{id}/skill-requirements: replaces the skill requirements.
pub static PUT_SKILL_REQUIREMENTS: Function = Function {
    name: "put-skill-requirements",
    summary: "PUT /v1/opportunities/{id}/skill-requirements: replaces the skill requirements",
    trigger: route!(
        "put-skill-requirements",
        PUT,
        "/v1/opportunities/{id}/skill-requirements",
        true,
        opportunities::put_skill_requirements,
        Doc {
            body: Some(("SkillRequirementsRequest", JSON)),
            success_headers: &["ETag"],
            conflicts: MUTATION_CONFLICTS,
            if_match: true,
            ..base("Replace the skill requirements", "opportunities", VIEW)
        }
    ),
    needs: &[DatabaseTransactions, WriteCache, PublishChangeEvents, CountRequests],
    timeout_seconds: None,
    why: "Writes in a Data API transaction (the change events go into the outbox in the same one), then writes the cache through (conditional PutItem), publishes the change events to the change-events queue (SendMessageBatch, authorised as sqs:SendMessage) and marks them published. Table and queue are encrypted with the stack key, used only through DynamoDB and SQS and only for this table and this queue.",
};

/// `submit-opportunity`: POST /v1/opportunities/{id}/submit: draft to submitted.
pub static SUBMIT_OPPORTUNITY: Function = Function {
    name: "submit-opportunity",
    summary: "POST /v1/opportunities/{id}/submit: draft to submitted",
    trigger: route!(
        "submit-opportunity",
        POST,
        "/v1/opportunities/{id}/submit",
        true,
        opportunities::submit,
        Doc {
            success_headers: &["ETag"],
            conflicts: ACTION_CONFLICTS,
            if_match: true,
            incomplete: true,
            ..base("Submit a complete draft", "lifecycle", VIEW)
        }
    ),
    needs: &[DatabaseTransactions, WriteCache, PublishChangeEvents, CountRequests],
    timeout_seconds: None,
    why: "Writes in a Data API transaction (the change events go into the outbox in the same one), then writes the cache through (conditional PutItem), publishes the change events to the change-events queue (SendMessageBatch, authorised as sqs:SendMessage) and marks them published. Table and queue are encrypted with the stack key, used only through DynamoDB and SQS and only for this table and this queue.",
};

/// `cancel-opportunity`: POST /v1/opportunities/{id}/cancel: cancels, with a reason.
pub static CANCEL_OPPORTUNITY: Function = Function {
    name: "cancel-opportunity",
    summary: "POST /v1/opportunities/{id}/cancel: cancels, with a reason",
    trigger: route!(
        "cancel-opportunity",
        POST,
        "/v1/opportunities/{id}/cancel",
        true,
        opportunities::cancel,
        Doc {
            body: Some(("CancelRequest", JSON)),
            success_headers: &["ETag"],
            conflicts: ACTION_CONFLICTS,
            if_match: true,
            ..base("Cancel (reason required)", "lifecycle", VIEW)
        }
    ),
    needs: &[DatabaseTransactions, WriteCache, PublishChangeEvents, CountRequests],
    timeout_seconds: None,
    why: "Writes in a Data API transaction (the change events go into the outbox in the same one), then writes the cache through (conditional PutItem), publishes the change events to the change-events queue (SendMessageBatch, authorised as sqs:SendMessage) and marks them published. Table and queue are encrypted with the stack key, used only through DynamoDB and SQS and only for this table and this queue.",
};

/// `reactivate-opportunity`: POST /v1/opportunities/{id}/reactivate: reactivates within 90 days.
pub static REACTIVATE_OPPORTUNITY: Function = Function {
    name: "reactivate-opportunity",
    summary: "POST /v1/opportunities/{id}/reactivate: reactivates within 90 days",
    trigger: route!(
        "reactivate-opportunity",
        POST,
        "/v1/opportunities/{id}/reactivate",
        true,
        opportunities::reactivate_opportunity,
        Doc {
            success_headers: &["ETag"],
            conflicts: ACTION_CONFLICTS,
            if_match: true,
            ..base("Reactivate within 90 days of cancellation", "lifecycle", VIEW)
        }
    ),
    needs: &[DatabaseTransactions, WriteCache, PublishChangeEvents, CountRequests],
    timeout_seconds: None,
    why: "Writes in a Data API transaction (the change events go into the outbox in the same one), then writes the cache through (conditional PutItem), publishes the change events to the change-events queue (SendMessageBatch, authorised as sqs:SendMessage) and marks them published. Table and queue are encrypted with the stack key, used only through DynamoDB and SQS and only for this table and this queue.",
};

/// `get-opportunity-history`: GET /v1/opportunities/{id}/history: status history and field changes.
pub static GET_OPPORTUNITY_HISTORY: Function = Function {
    name: "get-opportunity-history",
    summary: "GET /v1/opportunities/{id}/history: status history and field changes",
    trigger: route!(
        "get-opportunity-history",
        GET,
        "/v1/opportunities/{id}/history",
        true,
        opportunities::history,
        Doc {
            query: PAGE,
            ..base(
                "Status history and field changes",
                "opportunities",
                ("200", Some("HistoryPage")),
            )
        }
    ),
    needs: &[DatabaseStatements, CountRequests],
    timeout_seconds: None,
    why: "Read-only: single statements, no transactions.",
};

/// `presign-upload`: POST /v1/opportunities/{id}/attachments: registers an upload and signs its URL.
pub static PRESIGN_UPLOAD: Function = Function {
    name: "presign-upload",
    summary: "POST /v1/opportunities/{id}/attachments: registers an upload and signs its URL",
    trigger: route!(
        "presign-upload",
        POST,
        "/v1/opportunities/{id}/attachments",
        true,
        attachments::register,
        Doc {
            body: Some(("RegisterAttachmentRequest", JSON)),
            success_headers: &["Location"],
            conflicts: &["opportunity_closed", "attachment_limit_reached"],
            idempotent: true,
            ..base(
                "Register an upload (at most 50 attachments and 1 GiB per opportunity); returns a single-use presigned PUT valid 15 minutes",
                "attachments",
                ("201", Some("RegisteredAttachment")),
            )
        }
    ),
    needs: &[
        DatabaseTransactions,
        WriteCache,
        PublishChangeEvents,
        UploadAttachments,
        CountRequests,
    ],
    timeout_seconds: None,
    why: "Reads the opportunity, then registers the pending attachment with its change event in a Data API transaction; invalidates the opportunity's cache entry (conditional PutItem) and publishes the change event. Idempotency-Key records are rows of the registration's transaction. The presigned PUT (single use: it signs If-None-Match: *) is signed with this role's credentials, so the role itself must be allowed what the browser's upload does: s3:PutObject on attachments/* only, and only with SSE-KMS under the stack key (the headers the URL binds), plus kms:GenerateDataKey (and kms:Decrypt) of that key through S3 for this bucket. The bytes never pass through the function.",
};

/// `list-attachments`: GET /v1/opportunities/{id}/attachments: an opportunity's attachments.
pub static LIST_ATTACHMENTS: Function = Function {
    name: "list-attachments",
    summary: "GET /v1/opportunities/{id}/attachments: an opportunity's attachments",
    trigger: route!(
        "list-attachments",
        GET,
        "/v1/opportunities/{id}/attachments",
        true,
        attachments::list,
        Doc {
            query: PAGE,
            ..base(
                "An opportunity's attachments",
                "attachments",
                ("200", Some("AttachmentPage")),
            )
        }
    ),
    needs: &[DatabaseStatements, CountRequests],
    timeout_seconds: None,
    why: "Read-only: single statements, no transactions; the records only, never the bucket.",
};

/// `get-attachment`: GET /v1/attachments/{id}: an attachment, with a download URL once available.
pub static GET_ATTACHMENT: Function = Function {
    name: "get-attachment",
    summary: "GET /v1/attachments/{id}: an attachment, with a download URL once available",
    trigger: route!(
        "get-attachment",
        GET,
        "/v1/attachments/{id}",
        true,
        attachments::get,
        base(
            "An attachment, with a download URL valid 5 minutes once available",
            "attachments",
            ("200", Some("AttachmentWithDownload")),
        )
    ),
    needs: &[DatabaseStatements, DownloadAttachments, CountRequests],
    timeout_seconds: None,
    why: "Reads the record (single statement); for an available attachment it presigns a GET, which carries this role's credentials: s3:GetObject on attachments/* and kms:Decrypt of the stack key through S3 for this bucket (the objects are SSE-KMS).",
};

/// `delete-attachment`: DELETE /v1/attachments/{id}: deletes an attachment and its object.
pub static DELETE_ATTACHMENT: Function = Function {
    name: "delete-attachment",
    summary: "DELETE /v1/attachments/{id}: deletes an attachment and its object",
    trigger: route!(
        "delete-attachment",
        DELETE,
        "/v1/attachments/{id}",
        true,
        attachments::delete,
        base("Delete an attachment and its object", "attachments", ("204", None))
    ),
    needs: &[
        DatabaseTransactions,
        WriteCache,
        PublishChangeEvents,
        DeleteAttachments,
        CountRequests,
    ],
    timeout_seconds: None,
    why: "Deletes the record with its change event in a Data API transaction, invalidates the opportunity's cache entry, publishes the change event, then deletes the object (s3:DeleteObject on attachments/* only; in the versioned bucket that adds a delete marker, and the noncurrent version expires after 30 days).",
};

/// `export-subject-data`: GET /v1/privacy/subjects/{user_id}/export: GDPR access (Admin).
pub static EXPORT_SUBJECT_DATA: Function = Function {
    name: "export-subject-data",
    summary: "GET /v1/privacy/subjects/{user_id}/export: everything stored about a person (Admin, audited)",
    trigger: route!(
        "export-subject-data",
        GET,
        "/v1/privacy/subjects/{user_id}/export",
        true,
        privacy::export,
        Doc {
            role: "admin",
            query: &["download_links"],
            ..base(
                "Everything stored about a person (GDPR access, Admin; audited): the document itself, or a link to it in the exports bucket when larger than 4 MiB. A person the service never saw gets an empty document.",
                "privacy",
                ("200", Some("ExportResponse")),
            )
        }
    ),
    needs: &[
        DatabaseTransactions,
        DownloadAttachments,
        WritePrivacyExports,
        CountRequests,
    ],
    timeout_seconds: Some(28),
    why: "Reads the person's records page by page (single statements within the Data API's limits), records the export in the audit log, presigns attachment downloads on request, and hands a large document over as a presigned object under privacy-exports/.",
};

/// `erase-subject-data`: POST /v1/privacy/subjects/{user_id}/erasure: GDPR erasure (Admin).
pub static ERASE_SUBJECT_DATA: Function = Function {
    name: "erase-subject-data",
    summary: "POST /v1/privacy/subjects/{user_id}/erasure: pseudonymises a person everywhere (Admin, audited)",
    trigger: route!(
        "erase-subject-data",
        POST,
        "/v1/privacy/subjects/{user_id}/erasure",
        true,
        privacy::erase,
        Doc {
            role: "admin",
            ..base(
                "Erase a person (GDPR erasure, Admin): their id becomes a stable pseudonym everywhere, their e-mail address and name leave their free text, their profile is deleted; answers the audit entry. Repeating it is harmless.",
                "privacy",
                ("200", Some("AuditEvent")),
            )
        }
    ),
    needs: &[DatabaseTransactions, WriteCache, PseudonymKey, CountRequests],
    timeout_seconds: Some(28),
    why: "Rewrites every record of the person (their Idempotency-Key rows deleted) in one Data API transaction with the audit entry, then invalidates the cached views (conditional PutItem).",
};

/// `list-audit-events`: GET /v1/audit-events: the privacy audit log (Admin).
pub static LIST_AUDIT_EVENTS: Function = Function {
    name: "list-audit-events",
    summary: "GET /v1/audit-events: the audit log of privacy exports and erasures (Admin)",
    trigger: route!(
        "list-audit-events",
        GET,
        "/v1/audit-events",
        true,
        privacy::audit_events,
        Doc {
            role: "admin",
            query: PAGE,
            ..base(
                "The audit log of privacy exports and erasures (Admin), oldest first",
                "privacy",
                ("200", Some("AuditEventPage")),
            )
        }
    ),
    needs: &[DatabaseStatements, CountRequests],
    timeout_seconds: None,
    why: "Read-only: single statements, no transactions.",
};

/// `get-pipeline-report`: GET /v1/reports/pipeline: counts and ARR by status and priority (Admin).
pub static GET_PIPELINE_REPORT: Function = Function {
    name: "get-pipeline-report",
    summary: "GET /v1/reports/pipeline: counts and ARR per currency by status and priority (Admin)",
    trigger: route!(
        "get-pipeline-report",
        GET,
        "/v1/reports/pipeline",
        true,
        reports::pipeline,
        Doc {
            role: "admin",
            query: &["created_from", "created_to", "owner_id", "customer_id"],
            ..base(
                "Pipeline report: counts and revenue per currency by status and priority (Admin; `Accept: text/csv` for CSV)",
                "reports",
                ("200", Some("PipelineReport")),
            )
        }
    ),
    needs: &[DatabaseStatements, CountRequests],
    timeout_seconds: None,
    why: "Read-only: one aggregate statement (GROUP BY status, priority, currency).",
};

/// `cache-invalidation`: SQS change events: marks cached entries stale (partial batch responses).
pub static CACHE_INVALIDATION: Function = Function {
    name: "cache-invalidation",
    summary: "SQS change events (from the integration bus): marks cached entries stale (partial batch responses)",
    trigger: Trigger::Queue {
        queue: Queue::CacheInvalidation,
        handler: |app, event| Box::pin(consumers::cache_invalidation::handle(app, event)),
    },
    needs: &[WriteCache],
    timeout_seconds: Some(15),
    why: "Ten conditional PutItem calls a batch. 6 x 15 s + the 1 s batching window stays within the cache-invalidation queue's 120 s visibility timeout (the integration bus's rule fills it with every change event). Writes invalidation markers only (conditional PutItem); no Data API permission, although it gets the database variables (the application is built from them at init). Receiving from the KMS-encrypted queue needs kms:Decrypt through SQS.",
};

/// `opportunity-status-events`: SQS status events from the matching and selection services: applies status changes with history, once each.
pub static OPPORTUNITY_STATUS_EVENTS: Function = Function {
    name: "opportunity-status-events",
    summary: "SQS status events from the matching and selection services: applies status changes with history, once each",
    trigger: Trigger::Queue {
        queue: Queue::StatusEvents,
        handler: |app, event| Box::pin(consumers::status_events::handle(app, event)),
    },
    needs: &[DatabaseTransactions, WriteCache, PublishChangeEvents, ParkDeadLetters],
    timeout_seconds: Some(30),
    why: "One Data API transaction per message (ten a batch), with room for a cluster resuming from zero ACUs. 6 x 30 s equals the status-events queue's 180 s visibility timeout. Applies each status change in a Data API transaction (with its history and outbox rows), writes the cache through, publishes the change events, and parks unprocessable messages in the status-events dead-letter queue.",
};

/// `outbox-relay`: Every minute: publishes change events left in the outbox.
pub static OUTBOX_RELAY: Function = Function {
    name: "outbox-relay",
    summary: "Every minute: publishes change events left in the outbox",
    trigger: Trigger::Schedule {
        expression: "rate(1 minute)",
        description: "Publishes the change events left in the outbox.",
        retries: 0,
        handler: |app, event| Box::pin(consumers::outbox_relay::handle(app, event)),
    },
    needs: &[DatabaseStatements, PublishChangeEvents],
    timeout_seconds: Some(60),
    why: "Reads the unpublished outbox rows and marks them published (single statements, no transactions); publishes them to the change-events queue. Asynchronous invocation: no retries (the next run comes within a minute anyway).",
};

/// `attachment-complete`: S3 ObjectCreated on attachments/: marks uploads available or rejected.
pub static ATTACHMENT_COMPLETE: Function = Function {
    name: "attachment-complete",
    summary: "S3 ObjectCreated on attachments/: marks uploads available or rejected",
    trigger: Trigger::AttachmentUploaded(|app, event| Box::pin(consumers::attachments::handle(app, event))),
    needs: &[DatabaseTransactions, WriteCache, PublishChangeEvents, CheckUploads],
    timeout_seconds: Some(30),
    why: "One S3 notification is one object: a HEAD, a Data API transaction, a cache write and a message, with room for a cluster resuming from zero ACUs. HEADs the uploaded object with its checksum (s3:GetObject; kms:Decrypt of the stack key through S3, which a checksum of an SSE-KMS object needs), records the outcome with its change event in a Data API transaction, invalidates the opportunity's cache entry and publishes the change event; a rejected or unregistered object is deleted (s3:DeleteObject). s3:ListBucket on the bucket (no object access) makes S3 answer the HEAD of a missing object with 404 instead of 403, which the code needs to tell \"no object\" from a failure. The bucket is named by its fixed name throughout (see OMS_ATTACHMENTS_BUCKET). Asynchronous invocation: a failed completion (e.g. the Data API failed) is retried twice; after that Lambda sends the event with the error to the dead-letter queue, so none is lost (and expire-uploads completes a pending attachment whose object exists once its URL lapsed).",
};

/// `expire-uploads`: Every 5 minutes: rejects registrations whose upload never came.
pub static EXPIRE_UPLOADS: Function = Function {
    name: "expire-uploads",
    summary: "Every 5 minutes: rejects registrations whose upload never came",
    trigger: Trigger::Schedule {
        expression: "rate(5 minutes)",
        description: "Rejects the registrations whose upload never came.",
        retries: 0,
        handler: |app, event| Box::pin(consumers::attachments::expire_uploads(app, event)),
    },
    needs: &[DatabaseTransactions, WriteCache, PublishChangeEvents, CheckUploads],
    timeout_seconds: Some(120),
    why: "Up to 200 lapsed registrations a run, each a HEAD and a Data API transaction. Lists the pending registrations whose upload URL lapsed (single statement) and, for each, HEADs its object like attachment-complete (an upload whose notification was missed is completed) or rejects it (Data API transaction, cache invalidation, change event). s3:ListBucket: without it S3 answers the HEAD of a missing object, the usual case here, with 403 instead of 404 and every run would fail. Asynchronous invocation: no retries (the next run comes within 5 minutes anyway).",
};

/// `retention-purge`: daily: deletes what is past its retention period.
pub static RETENTION_PURGE: Function = Function {
    name: "retention-purge",
    summary: "Daily: deletes what is past its retention period, in bounded batches",
    trigger: Trigger::Schedule {
        expression: "cron(0 3 * * ? *)",
        description: "Deletes closed opportunities past their retention, old outbox and processed-event rows, expired idempotency records and dead upload registrations.",
        retries: 2,
        handler: |app, event| Box::pin(jobs::purge::handle(app, event)),
    },
    needs: &[DatabaseTransactions, WriteCache, PublishChangeEvents, DeleteAttachments],
    timeout_seconds: Some(900),
    why: "Each batch of closed opportunities is one Data API transaction that also queues their object keys; the objects are deleted after the commit (s3:DeleteObject), the cached views invalidated (conditional PutItem), and a dead registration's AttachmentDeleted event published.",
};

/// `opportunity-export`: daily: the opportunities changed since the last run, to the exports bucket.
pub static OPPORTUNITY_EXPORT: Function = Function {
    name: "opportunity-export",
    summary: "Daily: exports the opportunities changed since the last run as gzip JSON Lines with a manifest",
    trigger: Trigger::Schedule {
        expression: "cron(0 2 * * ? *)",
        description: "Exports the opportunities changed since the last run to the exports bucket.",
        retries: 2,
        handler: |app, event| Box::pin(jobs::export::handle(app, event)),
    },
    needs: &[DatabaseTransactions, WriteOpportunityExports],
    timeout_seconds: Some(900),
    why: "Claims its run and window in the database (export_runs), reads the changed opportunities page by page, writes the parts and then the manifest under opportunities/ (a redone run replaces and deletes its own parts).",
};
