//! The SQL texts of the user directory, the privacy requests and the audit log: one constant per
//! query, parameters always bound, the same text on Aurora (Data API), PostgreSQL and SQLite.
//! Every read an export or an erasure makes is paged by count and, where rows carry long text, by
//! bytes, so that each response stays within the Data API's 1 MiB.

/// Records the verified caller in the transaction of the write they make: one statement.
pub const UPSERT_PROFILE: &str = "INSERT INTO user_profiles (sub, email, name, group_names, first_seen_at, last_seen_at) \
     VALUES (:sub, :email, :name, :group_names, :seen_at, :seen_at) ON CONFLICT (sub) DO UPDATE SET \
     email = excluded.email, name = excluded.name, group_names = excluded.group_names, \
     last_seen_at = excluded.last_seen_at";

pub const SELECT_PROFILE: &str = "SELECT sub, email, name, group_names, first_seen_at, last_seen_at FROM user_profiles \
     WHERE sub = :sub";

pub const DELETE_PROFILE: &str = "DELETE FROM user_profiles WHERE sub = :sub";

/// A page of the person's opportunities, whole, cut by the bytes of their long texts as well as
/// by count (as the history's pages are): a row is included while the description and problem
/// statement text of the rows before it stays under `:max_page_bytes`.
pub const EXPORT_OPPORTUNITIES: &str = "SELECT * FROM (SELECT o.id, o.owner_sub, o.customer_id, c.name AS customer_name, \
     o.title, o.description, o.priority, o.arr_amount, o.arr_currency, o.start_date, o.end_date, o.duration_days, \
     o.flexible, o.specific_days, o.start_date_key, o.problem_statement, o.status, o.status_before_cancel, \
     o.cancelled_at, o.version, o.created_at, o.updated_at, p.name AS owner_name, \
     SUM(octet_length(o.description) + COALESCE(octet_length(o.problem_statement), 0)) OVER (ORDER BY o.created_at, o.id) \
     - (octet_length(o.description) + COALESCE(octet_length(o.problem_statement), 0)) AS bytes_before, \
     ROW_NUMBER() OVER (ORDER BY o.created_at, o.id) AS position, COUNT(*) OVER () AS candidates \
     FROM (SELECT * FROM opportunities WHERE owner_sub = :sub \
     AND (:first_page OR (created_at, id) > (:after_created_at, :after_id)) ORDER BY created_at, id \
     LIMIT :limit_plus_one) o JOIN customers c ON c.id = o.customer_id \
     LEFT JOIN user_profiles p ON p.sub = o.owner_sub) page \
     WHERE page.position <= :limit AND page.bytes_before < :max_page_bytes ORDER BY created_at, id";

/// The skill requirements of the person's opportunities from one position to another (the page
/// just read): at most 50 per opportunity. The plain `created_at` bounds repeat what the row
/// comparisons imply: PostgreSQL estimates a range of one column well and a range of row values
/// badly, and with the bad estimate it hashed every skill requirement of the database (the scale
/// bench: a sequential scan of 3 million rows at 10^6 opportunities) instead of looking up the
/// page's twenty.
pub const EXPORT_REQUIREMENTS: &str = "SELECT r.opportunity_id, r.position, r.skill_id, s.name AS skill_name, \
     r.custom_name, r.category, r.importance, r.min_proficiency FROM skill_requirements r \
     JOIN opportunities o ON o.id = r.opportunity_id LEFT JOIN skills s ON s.id = r.skill_id \
     WHERE o.owner_sub = :sub AND o.created_at >= :from_created_at AND o.created_at <= :to_created_at \
     AND (o.created_at, o.id) >= (:from_created_at, :from_id) \
     AND (o.created_at, o.id) <= (:to_created_at, :to_id) ORDER BY o.created_at, o.id, r.position";

/// A page of the history records the person made, by opportunity and sequence, cut by bytes.
pub const EXPORT_HISTORY: &str = "SELECT * FROM (SELECT h.opportunity_id, h.seq, h.kind, h.at, h.actor, h.from_status, \
     h.to_status, h.field, h.old_value, h.new_value, h.reason, \
     SUM(COALESCE(octet_length(h.old_value), 0) + COALESCE(octet_length(h.new_value), 0) + \
     COALESCE(octet_length(h.reason), 0)) OVER (ORDER BY h.opportunity_id, h.seq) - (COALESCE(octet_length(h.old_value), 0) + \
     COALESCE(octet_length(h.new_value), 0) + COALESCE(octet_length(h.reason), 0)) AS bytes_before, \
     ROW_NUMBER() OVER (ORDER BY h.opportunity_id, h.seq) AS position, COUNT(*) OVER () AS candidates \
     FROM (SELECT * FROM opportunity_history WHERE actor = :sub \
     AND (:first_page OR (opportunity_id, seq) > (:after_id, :after_seq)) ORDER BY opportunity_id, seq \
     LIMIT :limit_plus_one) h) page \
     WHERE page.position <= :limit AND page.bytes_before < :max_page_bytes ORDER BY opportunity_id, seq";

pub const EXPORT_CUSTOMERS: &str = "SELECT id, name, created_at FROM customers WHERE created_by = :sub \
     AND (:first_page OR (created_at, id) > (:after_created_at, :after_id)) ORDER BY created_at, id LIMIT :limit";

pub const EXPORT_SKILLS: &str = "SELECT id, name, category, description, created_at FROM skills WHERE created_by = :sub \
     AND (:first_page OR (created_at, id) > (:after_created_at, :after_id)) ORDER BY created_at, id LIMIT :limit";

pub const EXPORT_ATTACHMENTS: &str = "SELECT id, opportunity_id, owner_sub, file_name, content_type, size_bytes, sha256, \
     object_key, status, rejection_reason, created_at, upload_expires_at, completed_at FROM attachments \
     WHERE owner_sub = :sub AND (:first_page OR (created_at, id) > (:after_created_at, :after_id)) \
     ORDER BY created_at, id LIMIT :limit";

/// Privacy requests about the person, or that the person made (as an Admin).
pub const EXPORT_AUDIT_EVENTS: &str = "SELECT id, at, actor_id, action, subject_id, details FROM audit_events \
     WHERE (subject_id = :sub OR actor_id = :sub) AND (:first_page OR (at, id) > (:after_at, :after_id)) \
     ORDER BY at, id LIMIT :limit";

pub const COUNT_IDEMPOTENCY_RECORDS: &str =
    "SELECT COUNT(*) AS records FROM idempotency_records WHERE caller_sub = :sub";

/// Outbox events whose payload holds the person's id as a JSON string.
pub const COUNT_OUTBOX_EVENTS: &str =
    "SELECT COUNT(*) AS events FROM outbox_events WHERE payload LIKE :payload_pattern ESCAPE '\\'";

/// Whether a column contains the first or second identifier: lower-cased (ASCII case on SQLite,
/// Unicode on PostgreSQL) or exactly as written. The exact matching is in Rust; this only narrows
/// the rows read.
macro_rules! mentions {
    ($col:literal) => {
        concat!(
            "(lower(",
            $col,
            ") LIKE :first_lower ESCAPE '\\' OR ",
            $col,
            " LIKE :first ESCAPE '\\' OR lower(",
            $col,
            ") LIKE :second_lower ESCAPE '\\' OR ",
            $col,
            " LIKE :second ESCAPE '\\')"
        )
    };
}

/// The person's opportunities whose texts mention them, five at a time (a problem statement can
/// be 120 KB of UTF-8).
pub const SCRUB_OPPORTUNITY_CANDIDATES: &str = concat!(
    "SELECT id, title, description, problem_statement FROM opportunities WHERE owner_sub = :sub ",
    "AND (:first_page OR id > :after_id) AND (",
    mentions!("title"),
    " OR ",
    mentions!("description"),
    " OR ",
    mentions!("problem_statement"),
    ") ORDER BY id LIMIT :limit"
);

pub const UPDATE_SCRUBBED_OPPORTUNITY: &str = "UPDATE opportunities SET title = :title, description = :description, \
     problem_statement = :problem_statement WHERE id = :id";

/// History records the person made, or of opportunities they own, whose texts mention them.
pub const SCRUB_HISTORY_CANDIDATES: &str = concat!(
    "SELECT opportunity_id, seq, old_value, new_value, reason FROM opportunity_history ",
    "WHERE (actor = :sub OR opportunity_id IN (SELECT id FROM opportunities WHERE owner_sub = :sub)) ",
    "AND (:first_page OR (opportunity_id, seq) > (:after_id, :after_seq)) AND (",
    mentions!("old_value"),
    " OR ",
    mentions!("new_value"),
    " OR ",
    mentions!("reason"),
    ") ORDER BY opportunity_id, seq LIMIT :limit"
);

pub const UPDATE_SCRUBBED_HISTORY: &str = "UPDATE opportunity_history SET old_value = :old_value, \
     new_value = :new_value, reason = :reason WHERE opportunity_id = :opportunity_id AND seq = :seq";

pub const SCRUB_ATTACHMENT_CANDIDATES: &str = concat!(
    "SELECT id, file_name FROM attachments WHERE owner_sub = :sub AND (:first_page OR id > :after_id) AND ",
    mentions!("file_name"),
    " ORDER BY id LIMIT :limit"
);

pub const UPDATE_SCRUBBED_ATTACHMENT: &str = "UPDATE attachments SET file_name = :file_name WHERE id = :id";

/// The person's opportunities pass to the pseudonym; each counts a version up, so that cached
/// views of the former owner are stale.
pub const REKEY_OPPORTUNITIES: &str = "UPDATE opportunities SET owner_sub = :pseudonym, version = version + 1 \
     WHERE owner_sub = :sub RETURNING id, version";
pub const REKEY_HISTORY: &str = "UPDATE opportunity_history SET actor = :pseudonym WHERE actor = :sub";
pub const REKEY_CUSTOMERS: &str = "UPDATE customers SET created_by = :pseudonym WHERE created_by = :sub";
pub const REKEY_SKILLS: &str = "UPDATE skills SET created_by = :pseudonym WHERE created_by = :sub";
pub const REKEY_ATTACHMENTS: &str = "UPDATE attachments SET owner_sub = :pseudonym WHERE owner_sub = :sub";
/// Change events naming the person: the id (as a JSON string) becomes the pseudonym, and the
/// e-mail address and name as written (JSON-escaped) become `[erased]`.
pub const REKEY_OUTBOX_EVENTS: &str = "UPDATE outbox_events SET payload = replace(replace(replace(payload, \
     :quoted_sub, :quoted_pseudonym), :email_text, :erased), :name_text, :erased) \
     WHERE payload LIKE :payload_pattern ESCAPE '\\'";
pub const DELETE_IDEMPOTENCY_RECORDS: &str = "DELETE FROM idempotency_records WHERE caller_sub = :sub";

pub const INSERT_AUDIT_EVENT: &str = "INSERT INTO audit_events (id, at, actor_id, action, subject_id, details) \
     VALUES (:id, :at, :actor_id, :action, :subject_id, :details)";

pub const LIST_AUDIT_EVENTS: &str = "SELECT id, at, actor_id, action, subject_id, details FROM audit_events \
     WHERE (:first_page OR (at, id) > (:after_at, :after_id)) ORDER BY at, id LIMIT :limit";

/// Every statement, for the suite that runs each one on every backend.
pub const ALL: &[(&str, &str)] = &[
    ("UPSERT_PROFILE", UPSERT_PROFILE),
    ("SELECT_PROFILE", SELECT_PROFILE),
    ("DELETE_PROFILE", DELETE_PROFILE),
    ("EXPORT_OPPORTUNITIES", EXPORT_OPPORTUNITIES),
    ("EXPORT_REQUIREMENTS", EXPORT_REQUIREMENTS),
    ("EXPORT_HISTORY", EXPORT_HISTORY),
    ("EXPORT_CUSTOMERS", EXPORT_CUSTOMERS),
    ("EXPORT_SKILLS", EXPORT_SKILLS),
    ("EXPORT_ATTACHMENTS", EXPORT_ATTACHMENTS),
    ("EXPORT_AUDIT_EVENTS", EXPORT_AUDIT_EVENTS),
    ("COUNT_IDEMPOTENCY_RECORDS", COUNT_IDEMPOTENCY_RECORDS),
    ("COUNT_OUTBOX_EVENTS", COUNT_OUTBOX_EVENTS),
    ("SCRUB_OPPORTUNITY_CANDIDATES", SCRUB_OPPORTUNITY_CANDIDATES),
    ("UPDATE_SCRUBBED_OPPORTUNITY", UPDATE_SCRUBBED_OPPORTUNITY),
    ("SCRUB_HISTORY_CANDIDATES", SCRUB_HISTORY_CANDIDATES),
    ("UPDATE_SCRUBBED_HISTORY", UPDATE_SCRUBBED_HISTORY),
    ("SCRUB_ATTACHMENT_CANDIDATES", SCRUB_ATTACHMENT_CANDIDATES),
    ("UPDATE_SCRUBBED_ATTACHMENT", UPDATE_SCRUBBED_ATTACHMENT),
    ("REKEY_OPPORTUNITIES", REKEY_OPPORTUNITIES),
    ("REKEY_HISTORY", REKEY_HISTORY),
    ("REKEY_CUSTOMERS", REKEY_CUSTOMERS),
    ("REKEY_SKILLS", REKEY_SKILLS),
    ("REKEY_ATTACHMENTS", REKEY_ATTACHMENTS),
    ("REKEY_OUTBOX_EVENTS", REKEY_OUTBOX_EVENTS),
    ("DELETE_IDEMPOTENCY_RECORDS", DELETE_IDEMPOTENCY_RECORDS),
    ("INSERT_AUDIT_EVENT", INSERT_AUDIT_EVENT),
    ("LIST_AUDIT_EVENTS", LIST_AUDIT_EVENTS),
];
