//! Every SQL text the service runs, one constant per query, shared by Aurora (Data API), the
//! test PostgreSQL and the embedded SQLite file. Parameters are always bound (`:name`), never
//! spliced: optional filters are switched on and off by boolean parameters, and each sort order
//! is its own constant text.

/// Shared `SELECT` list of an opportunity with its customer's name and its owner's name (from the
/// user directory, `user_profiles p`; NULL when the owner never wrote or was erased).
macro_rules! opportunity_columns {
    () => {
        "o.id, o.owner_sub, o.customer_id, c.name AS customer_name, o.title, o.description, o.priority, \
         o.arr_amount, o.arr_currency, o.start_date, o.end_date, o.duration_days, o.flexible, o.specific_days, \
         o.start_date_key, o.problem_statement, o.status, o.status_before_cancel, o.cancelled_at, o.version, \
         o.created_at, o.updated_at, p.name AS owner_name"
    };
}

/// What a list shows of each opportunity: never the description or the problem statement, so
/// that a page of 100 stays far below the Data API's 1 MiB per response.
macro_rules! summary_columns {
    () => {
        "o.id, o.owner_sub, o.customer_id, c.name AS customer_name, o.title, o.priority, o.arr_amount, \
         o.arr_currency, o.start_date, o.start_date_key, o.status, o.version, o.created_at, o.updated_at, \
         p.name AS owner_name"
    };
}

/// An opportunity with everything its view shows, in one statement (one Data API call, one
/// snapshot, so the parts are of one version): the opportunity row, one row per skill requirement
/// and one per attachment (the first `:attachments_limit`, oldest first), told apart by `part`.
/// Rows, not one aggregated JSON value: the largest legal opportunity (30 KB of problem statement,
/// 20 KB of description) plus 50 requirements and 100 attachments would pass the Data API's
/// 64 KB per row, while each of these rows stays far below it. The first branch types the
/// columns the others leave NULL.
macro_rules! opportunity_view {
    () => {
        concat!(
    "SELECT 'opportunity' AS part, ",
    opportunity_columns!(),
    ", CAST(NULL AS integer) AS position, CAST(NULL AS uuid) AS skill_id, CAST(NULL AS text) AS skill_name, \
     CAST(NULL AS text) AS custom_name, CAST(NULL AS text) AS category, CAST(NULL AS text) AS importance, \
     CAST(NULL AS text) AS min_proficiency, CAST(NULL AS uuid) AS a_id, CAST(NULL AS uuid) AS a_opportunity_id, \
     CAST(NULL AS text) AS a_owner_sub, CAST(NULL AS text) AS a_file_name, CAST(NULL AS text) AS a_content_type, \
     CAST(NULL AS bigint) AS a_size_bytes, CAST(NULL AS text) AS a_sha256, CAST(NULL AS text) AS a_object_key, \
     CAST(NULL AS text) AS a_status, CAST(NULL AS text) AS a_rejection_reason, CAST(NULL AS timestamptz) AS a_created_at, \
     CAST(NULL AS timestamptz) AS a_upload_expires_at, CAST(NULL AS timestamptz) AS a_completed_at \
     FROM opportunities o JOIN customers c ON c.id = o.customer_id \
     LEFT JOIN user_profiles p ON p.sub = o.owner_sub WHERE o.id = :id \
     UNION ALL SELECT 'requirement', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, r.position, r.skill_id, s.name, r.custom_name, r.category, \
     r.importance, r.min_proficiency, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL \
     FROM skill_requirements r LEFT JOIN skills s ON s.id = r.skill_id WHERE r.opportunity_id = :id \
     UNION ALL SELECT 'attachment', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, a.id, a.opportunity_id, \
     a.owner_sub, a.file_name, a.content_type, a.size_bytes, a.sha256, a.object_key, a.status, a.rejection_reason, \
     a.created_at, a.upload_expires_at, a.completed_at \
     FROM (SELECT * FROM attachments WHERE opportunity_id = :id ORDER BY created_at, id LIMIT :attachments_limit) a"
        )
    };
}

/// The ids a statement takes as `:id_0` to `:id_49` (unused ones bound to NULL).
macro_rules! skill_id_slots {
    () => {
        "(:id_0, :id_1, :id_2, :id_3, :id_4, :id_5, :id_6, :id_7, :id_8, :id_9, :id_10, :id_11, :id_12, :id_13, :id_14, \
         :id_15, :id_16, :id_17, :id_18, :id_19, :id_20, :id_21, :id_22, :id_23, :id_24, :id_25, :id_26, :id_27, :id_28, \
         :id_29, :id_30, :id_31, :id_32, :id_33, :id_34, :id_35, :id_36, :id_37, :id_38, :id_39, :id_40, :id_41, :id_42, \
         :id_43, :id_44, :id_45, :id_46, :id_47, :id_48, :id_49)"
    };
}

/// An opportunity with everything its view shows, in one statement (see `opportunity_view!`).
pub const SELECT_OPPORTUNITY_VIEW: &str = opportunity_view!();

/// [`SELECT_OPPORTUNITY_VIEW`] with the catalog skills a change of the requirements names (up to
/// [`SKILLS_BY_ID_SLOTS`]; `part` = `skill`, with `skill_id` and `skill_name`): the state the
/// change is computed from and the catalog it is validated against, in one call.
pub const SELECT_OPPORTUNITY_VIEW_WITH_SKILLS: &str = concat!(
    opportunity_view!(),
    " UNION ALL SELECT 'skill', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, s.id, s.name, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM skills s WHERE s.id IN ",
    skill_id_slots!()
);

/// Counts a change the opportunity's view shows but its row does not hold (an attachment), and
/// takes the row's lock, so that attachment changes of one opportunity are serialised.
pub const BUMP_OPPORTUNITY_VERSION: &str =
    "UPDATE opportunities SET version = version + 1 WHERE id = :id RETURNING version";

pub const INSERT_OPPORTUNITY: &str = "INSERT INTO opportunities (id, owner_sub, customer_id, title, description, priority, \
     priority_rank, arr_amount, arr_currency, start_date, end_date, duration_days, flexible, specific_days, start_date_key, \
     problem_statement, status, status_before_cancel, cancelled_at, version, created_at, updated_at) VALUES (:id, :owner_sub, \
     :customer_id, :title, :description, :priority, :priority_rank, :arr_amount, :arr_currency, :start_date, :end_date, \
     :duration_days, :flexible, :specific_days, :start_date_key, :problem_statement, :status, :status_before_cancel, \
     :cancelled_at, :version, :created_at, :updated_at)";

pub const UPDATE_OPPORTUNITY: &str = "UPDATE opportunities SET customer_id = :customer_id, title = :title, \
     description = :description, priority = :priority, priority_rank = :priority_rank, arr_amount = :arr_amount, \
     arr_currency = :arr_currency, start_date = :start_date, end_date = :end_date, duration_days = :duration_days, \
     flexible = :flexible, specific_days = :specific_days, start_date_key = :start_date_key, \
     problem_statement = :problem_statement, status = :status, status_before_cancel = :status_before_cancel, \
     cancelled_at = :cancelled_at, version = :version, updated_at = :updated_at \
     WHERE id = :id AND version = :expected_version";

/// A page of history records, cut by size as well as count: a record is included while the text
/// of the records before it on the page stays under `:max_page_bytes`, so that a page of large
/// field changes stays within the Data API's 1 MiB per response (each record is well under its
/// 64 KB per row: problem statement records carry the new text only). `candidates` counts the
/// records considered (up to `:limit + 1`): more than the page holds means more follow. Each
/// record carries its actor's name (or e-mail, when the token carried no name) from the user
/// directory (NULL for a service, or a person who never wrote or was erased), so that a history
/// reads by names in the same call.
macro_rules! history_page {
    () => {
        "SELECT page.seq, page.kind, page.at, page.actor, COALESCE(actor_profile.name, actor_profile.email) AS actor_name, page.from_status, \
     page.to_status, page.field, page.old_value, page.new_value, page.reason, \
     page.candidates FROM (SELECT h.seq, h.kind, h.at, h.actor, h.from_status, h.to_status, h.field, h.old_value, h.new_value, \
     h.reason, SUM(COALESCE(octet_length(h.old_value), 0) + COALESCE(octet_length(h.new_value), 0) + \
     COALESCE(octet_length(h.reason), 0)) OVER (ORDER BY h.seq) - (COALESCE(octet_length(h.old_value), 0) + \
     COALESCE(octet_length(h.new_value), 0) + COALESCE(octet_length(h.reason), 0)) AS bytes_before, \
     ROW_NUMBER() OVER (ORDER BY h.seq) AS position, COUNT(*) OVER () AS candidates \
     FROM (SELECT * FROM opportunity_history WHERE opportunity_id = :opportunity_id AND seq > :after_seq \
     ORDER BY seq LIMIT :limit_plus_one) h) page LEFT JOIN user_profiles actor_profile ON actor_profile.sub = page.actor \
     WHERE page.position <= :limit AND page.bytes_before < :max_page_bytes ORDER BY page.seq"
    };
}

pub const SELECT_HISTORY: &str = history_page!();

/// [`SELECT_HISTORY`] beside the opportunity's owner, in one statement (one Data API call for the
/// access check and the page): one row per record, or one row of NULLs beside the owner when the
/// page is empty; no row when there is no such opportunity.
pub const SELECT_HISTORY_WITH_OWNER: &str = concat!(
    "SELECT o.owner_sub AS owner_sub, page.seq AS seq, page.kind AS kind, page.at AS at, page.actor AS actor, \
     page.actor_name AS actor_name, page.from_status AS from_status, page.to_status AS to_status, page.field AS field, page.old_value AS old_value, \
     page.new_value AS new_value, page.reason AS reason, page.candidates AS candidates \
     FROM opportunities o LEFT JOIN (",
    history_page!(),
    ") page ON 1 = 1 WHERE o.id = :opportunity_id ORDER BY page.seq"
);

/// Every child row of an opportunity write and the writer's profile, in one batch: the
/// `opportunity_changes` view's trigger routes each to its table by `row_kind` (migration 0009).
pub const INSERT_OPPORTUNITY_CHANGES: &str = "INSERT INTO opportunity_changes (row_kind, opportunity_id, position, \
     skill_id, custom_name, category, importance, min_proficiency, history_kind, at, actor, from_status, to_status, \
     field, old_value, new_value, reason, event_id, event_type, aggregate_id, aggregate_version, occurred_at, payload, \
     sub, email, name, group_names, seen_at) VALUES (:row_kind, :opportunity_id, :position, :skill_id, :custom_name, \
     :category, :importance, :min_proficiency, :history_kind, :at, :actor, :from_status, :to_status, :field, :old_value, \
     :new_value, :reason, :event_id, :event_type, :aggregate_id, :aggregate_version, :occurred_at, :payload, :sub, \
     :email, :name, :group_names, :seen_at)";

/// The `FROM` and `WHERE` of a page of opportunities: every filter, `$text` (the `q` condition)
/// and the keyset comparison `$cmp` on the sort column `$col`.
macro_rules! list_from_where {
    ($col:literal, $cmp:literal, $text:literal) => {
        concat!(
            " FROM opportunities o JOIN customers c ON c.id = o.customer_id ",
            "LEFT JOIN user_profiles p ON p.sub = o.owner_sub ",
            "WHERE (:all_owners OR o.owner_sub = :owner_sub) ",
            "AND (:any_status OR o.status = :status) ",
            "AND (:any_priority OR o.priority = :priority) ",
            "AND (:any_customer OR o.customer_id = :customer_id) ",
            "AND (:any_created_from OR o.created_at >= :created_from) ",
            "AND (:any_created_to OR o.created_at < :created_to) ",
            $text,
            "AND (:first_page OR (o.",
            $col,
            ", o.id) ",
            $cmp,
            " (:after_value, :after_id)) "
        )
    };
}

/// A page of opportunities in one sort order: `$col` is the sort column, `$cmp` the keyset
/// comparison and `$dir` the direction.
macro_rules! list_opportunities {
    ($col:literal, $cmp:literal, $dir:literal) => {
        concat!(
            "SELECT ",
            summary_columns!(),
            list_from_where!(
                $col,
                $cmp,
                "AND (:any_text OR lower(o.title) LIKE :pattern ESCAPE '\\' OR lower(c.name) LIKE :pattern ESCAPE '\\') "
            ),
            "ORDER BY o.",
            $col,
            " ",
            $dir,
            ", o.id ",
            $dir,
            " LIMIT :limit"
        )
    };
}

/// [`list_opportunities!`] for a `q` search: the page of the rows whose title matches and the
/// page of those whose customer's name matches, merged. Each half has its condition on one table,
/// so PostgreSQL can take either the sort order's index (a common word: the first rows match) or
/// the trigram index of that column (a rare word: few rows to sort), by its estimate; one
/// condition across both tables (`title OR customer name`) can use neither and scanned every
/// opportunity for a rare word (the scale bench: 75 to 290 ms at 10^5 opportunities). `sort_value` carries the sort column
/// to the merge (the priority's rank is no summary column).
macro_rules! list_matching {
    ($col:literal, $cmp:literal, $dir:literal) => {
        concat!(
            "SELECT * FROM (SELECT ",
            summary_columns!(),
            ", o.",
            $col,
            " AS sort_value",
            list_from_where!(
                $col,
                $cmp,
                "AND (:any_text OR lower(o.title) LIKE :pattern ESCAPE '\\') "
            ),
            "ORDER BY o.",
            $col,
            " ",
            $dir,
            ", o.id ",
            $dir,
            " LIMIT :limit) title_match UNION SELECT * FROM (SELECT ",
            summary_columns!(),
            ", o.",
            $col,
            " AS sort_value",
            list_from_where!(
                $col,
                $cmp,
                "AND (:any_text OR lower(c.name) LIKE :pattern ESCAPE '\\') "
            ),
            "ORDER BY o.",
            $col,
            " ",
            $dir,
            ", o.id ",
            $dir,
            " LIMIT :limit) customer_match ORDER BY sort_value ",
            $dir,
            ", id ",
            $dir,
            " LIMIT :limit"
        )
    };
}

pub const LIST_BY_CREATED_ASC: &str = list_opportunities!("created_at", ">", "ASC");
pub const LIST_BY_CREATED_DESC: &str = list_opportunities!("created_at", "<", "DESC");
pub const LIST_BY_UPDATED_ASC: &str = list_opportunities!("updated_at", ">", "ASC");
pub const LIST_BY_UPDATED_DESC: &str = list_opportunities!("updated_at", "<", "DESC");
pub const LIST_BY_PRIORITY_ASC: &str = list_opportunities!("priority_rank", ">", "ASC");
pub const LIST_BY_PRIORITY_DESC: &str = list_opportunities!("priority_rank", "<", "DESC");
pub const LIST_BY_START_ASC: &str = list_opportunities!("start_date_key", ">", "ASC");
pub const LIST_BY_START_DESC: &str = list_opportunities!("start_date_key", "<", "DESC");

pub const LIST_MATCHING_BY_CREATED_ASC: &str = list_matching!("created_at", ">", "ASC");
pub const LIST_MATCHING_BY_CREATED_DESC: &str = list_matching!("created_at", "<", "DESC");
pub const LIST_MATCHING_BY_UPDATED_ASC: &str = list_matching!("updated_at", ">", "ASC");
pub const LIST_MATCHING_BY_UPDATED_DESC: &str = list_matching!("updated_at", "<", "DESC");
pub const LIST_MATCHING_BY_PRIORITY_ASC: &str = list_matching!("priority_rank", ">", "ASC");
pub const LIST_MATCHING_BY_PRIORITY_DESC: &str = list_matching!("priority_rank", "<", "DESC");
pub const LIST_MATCHING_BY_START_ASC: &str = list_matching!("start_date_key", ">", "ASC");
pub const LIST_MATCHING_BY_START_DESC: &str = list_matching!("start_date_key", "<", "DESC");

pub const SELECT_CUSTOMER_BY_ID: &str = "SELECT id, name, created_at FROM customers WHERE id = :id";
pub const SELECT_CUSTOMER_BY_NAME_KEY: &str = "SELECT id, name, created_at FROM customers WHERE name_key = :name_key";
/// A customer by name: inserted when new, else the existing one, returned either way (one
/// statement instead of an insert and a select; the no-op update makes the conflict return the row).
pub const UPSERT_CUSTOMER_RETURNING: &str = "INSERT INTO customers (id, name, name_key, created_by, created_at) \
     VALUES (:id, :name, :name_key, :created_by, :created_at) ON CONFLICT (name_key) DO UPDATE SET name_key = excluded.name_key \
     RETURNING id, name";
pub const INSERT_CUSTOMER_IF_NEW: &str = "INSERT INTO customers (id, name, name_key, created_by, created_at) \
     VALUES (:id, :name, :name_key, :created_by, :created_at) ON CONFLICT (name_key) DO NOTHING";
pub const LIST_CUSTOMERS: &str = "SELECT id, name, name_key, created_at FROM customers \
     WHERE (:any_text OR lower(name) LIKE :pattern ESCAPE '\\') \
     AND (:first_page OR (name_key, id) > (:after_key, :after_id)) ORDER BY name_key, id LIMIT :limit";

pub const INSERT_SKILL_IF_NEW: &str = "INSERT INTO skills (id, name, name_key, category, description, created_at, \
     created_by) VALUES (:id, :name, :name_key, :category, :description, :created_at, :created_by) \
     ON CONFLICT (name_key) DO NOTHING";
pub const SELECT_SKILL_BY_NAME_KEY: &str =
    "SELECT id, name, category, description, created_at FROM skills WHERE name_key = :name_key";
/// Catalog skills by id: up to [`SKILLS_BY_ID_SLOTS`] ids, unused slots bound to NULL (one SQL
/// text whatever the count, no IN-list assembled from input).
pub const SELECT_SKILLS_BY_ID: &str = concat!(
    "SELECT id, name, category, description, created_at FROM skills WHERE id IN ",
    skill_id_slots!()
);
/// How many ids [`SELECT_SKILLS_BY_ID`] takes, and their parameter names.
pub const SKILLS_BY_ID_SLOTS: [&str; 50] = [
    "id_0", "id_1", "id_2", "id_3", "id_4", "id_5", "id_6", "id_7", "id_8", "id_9", "id_10", "id_11", "id_12", "id_13",
    "id_14", "id_15", "id_16", "id_17", "id_18", "id_19", "id_20", "id_21", "id_22", "id_23", "id_24", "id_25",
    "id_26", "id_27", "id_28", "id_29", "id_30", "id_31", "id_32", "id_33", "id_34", "id_35", "id_36", "id_37",
    "id_38", "id_39", "id_40", "id_41", "id_42", "id_43", "id_44", "id_45", "id_46", "id_47", "id_48", "id_49",
];
pub const BUMP_CATALOG_VERSION: &str =
    "UPDATE catalog_versions SET version = version + 1 WHERE name = 'skills' RETURNING version";
pub const SELECT_CATALOG_VERSION: &str = "SELECT version FROM catalog_versions WHERE name = 'skills'";
pub const LIST_SKILLS: &str = "SELECT id, name, name_key, category, description, created_at FROM skills \
     WHERE (:first_page OR (name_key, id) > (:after_key, :after_id)) ORDER BY name_key, id LIMIT :limit";

pub const CLAIM_IDEMPOTENCY_KEY: &str = "INSERT INTO idempotency_records (caller_sub, idempotency_key, request_hash, \
     status_code, response_headers, response_body, created_at, expires_at) VALUES (:caller_sub, :idempotency_key, \
     :request_hash, 0, '[]', '', :now, :expires_at) ON CONFLICT (caller_sub, idempotency_key) DO UPDATE SET \
     request_hash = excluded.request_hash, status_code = 0, response_headers = '[]', response_body = '', \
     created_at = excluded.created_at, expires_at = excluded.expires_at WHERE idempotency_records.expires_at < :now";
pub const COMPLETE_IDEMPOTENCY_KEY: &str = "UPDATE idempotency_records SET status_code = :status_code, \
     response_headers = :response_headers, response_body = :response_body \
     WHERE caller_sub = :caller_sub AND idempotency_key = :idempotency_key";
pub const SELECT_IDEMPOTENCY_RECORD: &str = "SELECT request_hash, status_code, response_headers, response_body \
     FROM idempotency_records WHERE caller_sub = :caller_sub AND idempotency_key = :idempotency_key";

pub const SELECT_UNPUBLISHED_EVENTS: &str = "SELECT payload FROM outbox_events WHERE published_at IS NULL \
     ORDER BY occurred_at, id LIMIT :limit";
pub const MARK_EVENT_PUBLISHED: &str =
    "UPDATE outbox_events SET published_at = :published_at WHERE id = :id AND published_at IS NULL";
pub const INSERT_PROCESSED_EVENT: &str =
    "INSERT INTO processed_events (event_id, processed_at) VALUES (:event_id, :processed_at)";
pub const SELECT_PROCESSED_EVENT: &str = "SELECT event_id FROM processed_events WHERE event_id = :event_id";

/// Shared `SELECT` list of an attachment.
macro_rules! attachment_columns {
    () => {
        "id, opportunity_id, owner_sub, file_name, content_type, size_bytes, sha256, object_key, status, rejection_reason, \
         created_at, upload_expires_at, completed_at"
    };
}

pub const INSERT_ATTACHMENT: &str = "INSERT INTO attachments (id, opportunity_id, owner_sub, file_name, content_type, size_bytes, \
     sha256, object_key, status, rejection_reason, created_at, upload_expires_at, completed_at) VALUES (:id, :opportunity_id, \
     :owner_sub, :file_name, :content_type, :size_bytes, :sha256, :object_key, :status, :rejection_reason, :created_at, \
     :upload_expires_at, :completed_at)";
pub const SELECT_ATTACHMENT: &str = concat!("SELECT ", attachment_columns!(), " FROM attachments WHERE id = :id");
pub const LIST_ATTACHMENTS: &str = concat!(
    "SELECT ",
    attachment_columns!(),
    " FROM attachments WHERE opportunity_id = :opportunity_id AND (:first_page OR (created_at, id) > (:after_created_at, :after_id)) \
     ORDER BY created_at, id LIMIT :limit"
);
/// The attachments that count against an opportunity's limits (pending and available).
pub const COUNT_ACTIVE_ATTACHMENTS: &str = "SELECT COUNT(*) AS attachments, \
     CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) AS total_bytes FROM attachments \
     WHERE opportunity_id = :opportunity_id AND status IN ('pending', 'available')";
pub const COMPLETE_ATTACHMENT: &str = "UPDATE attachments SET status = :status, rejection_reason = :rejection_reason, \
     completed_at = :completed_at WHERE id = :id AND status = :from_status";
pub const DELETE_ATTACHMENT: &str = "DELETE FROM attachments WHERE id = :id";
pub const LIST_EXPIRED_UPLOADS: &str = concat!(
    "SELECT ",
    attachment_columns!(),
    " FROM attachments WHERE status = 'pending' AND upload_expires_at < :before ORDER BY upload_expires_at, id LIMIT :limit"
);

/// Every statement, for the suite that runs each one on every backend.
pub const ALL: &[(&str, &str)] = &[
    ("SELECT_OPPORTUNITY_VIEW", SELECT_OPPORTUNITY_VIEW),
    (
        "SELECT_OPPORTUNITY_VIEW_WITH_SKILLS",
        SELECT_OPPORTUNITY_VIEW_WITH_SKILLS,
    ),
    ("BUMP_OPPORTUNITY_VERSION", BUMP_OPPORTUNITY_VERSION),
    ("INSERT_OPPORTUNITY", INSERT_OPPORTUNITY),
    ("UPDATE_OPPORTUNITY", UPDATE_OPPORTUNITY),
    ("SELECT_HISTORY", SELECT_HISTORY),
    ("SELECT_HISTORY_WITH_OWNER", SELECT_HISTORY_WITH_OWNER),
    ("INSERT_OPPORTUNITY_CHANGES", INSERT_OPPORTUNITY_CHANGES),
    ("LIST_BY_CREATED_ASC", LIST_BY_CREATED_ASC),
    ("LIST_BY_CREATED_DESC", LIST_BY_CREATED_DESC),
    ("LIST_BY_UPDATED_ASC", LIST_BY_UPDATED_ASC),
    ("LIST_BY_UPDATED_DESC", LIST_BY_UPDATED_DESC),
    ("LIST_BY_PRIORITY_ASC", LIST_BY_PRIORITY_ASC),
    ("LIST_BY_PRIORITY_DESC", LIST_BY_PRIORITY_DESC),
    ("LIST_BY_START_ASC", LIST_BY_START_ASC),
    ("LIST_BY_START_DESC", LIST_BY_START_DESC),
    ("LIST_MATCHING_BY_CREATED_ASC", LIST_MATCHING_BY_CREATED_ASC),
    ("LIST_MATCHING_BY_CREATED_DESC", LIST_MATCHING_BY_CREATED_DESC),
    ("LIST_MATCHING_BY_UPDATED_ASC", LIST_MATCHING_BY_UPDATED_ASC),
    ("LIST_MATCHING_BY_UPDATED_DESC", LIST_MATCHING_BY_UPDATED_DESC),
    ("LIST_MATCHING_BY_PRIORITY_ASC", LIST_MATCHING_BY_PRIORITY_ASC),
    ("LIST_MATCHING_BY_PRIORITY_DESC", LIST_MATCHING_BY_PRIORITY_DESC),
    ("LIST_MATCHING_BY_START_ASC", LIST_MATCHING_BY_START_ASC),
    ("LIST_MATCHING_BY_START_DESC", LIST_MATCHING_BY_START_DESC),
    ("SELECT_CUSTOMER_BY_ID", SELECT_CUSTOMER_BY_ID),
    ("SELECT_CUSTOMER_BY_NAME_KEY", SELECT_CUSTOMER_BY_NAME_KEY),
    ("INSERT_CUSTOMER_IF_NEW", INSERT_CUSTOMER_IF_NEW),
    ("UPSERT_CUSTOMER_RETURNING", UPSERT_CUSTOMER_RETURNING),
    ("LIST_CUSTOMERS", LIST_CUSTOMERS),
    ("INSERT_SKILL_IF_NEW", INSERT_SKILL_IF_NEW),
    ("SELECT_SKILL_BY_NAME_KEY", SELECT_SKILL_BY_NAME_KEY),
    ("BUMP_CATALOG_VERSION", BUMP_CATALOG_VERSION),
    ("SELECT_CATALOG_VERSION", SELECT_CATALOG_VERSION),
    ("LIST_SKILLS", LIST_SKILLS),
    ("SELECT_SKILLS_BY_ID", SELECT_SKILLS_BY_ID),
    ("CLAIM_IDEMPOTENCY_KEY", CLAIM_IDEMPOTENCY_KEY),
    ("COMPLETE_IDEMPOTENCY_KEY", COMPLETE_IDEMPOTENCY_KEY),
    ("SELECT_IDEMPOTENCY_RECORD", SELECT_IDEMPOTENCY_RECORD),
    ("SELECT_UNPUBLISHED_EVENTS", SELECT_UNPUBLISHED_EVENTS),
    ("MARK_EVENT_PUBLISHED", MARK_EVENT_PUBLISHED),
    ("INSERT_PROCESSED_EVENT", INSERT_PROCESSED_EVENT),
    ("SELECT_PROCESSED_EVENT", SELECT_PROCESSED_EVENT),
    ("INSERT_ATTACHMENT", INSERT_ATTACHMENT),
    ("SELECT_ATTACHMENT", SELECT_ATTACHMENT),
    ("LIST_ATTACHMENTS", LIST_ATTACHMENTS),
    ("COUNT_ACTIVE_ATTACHMENTS", COUNT_ACTIVE_ATTACHMENTS),
    ("COMPLETE_ATTACHMENT", COMPLETE_ATTACHMENT),
    ("DELETE_ATTACHMENT", DELETE_ATTACHMENT),
    ("LIST_EXPIRED_UPLOADS", LIST_EXPIRED_UPLOADS),
];
