-- Every child row one opportunity write produces goes in with one batch of one statement: an
-- INSERT into this view, which a trigger routes to the table each row belongs to (see the
-- PostgreSQL migration of the same number; the application's SQL text is the same on both).
CREATE VIEW opportunity_changes AS
SELECT NULL AS row_kind,
       NULL AS opportunity_id,
       NULL AS position,
       NULL AS skill_id,
       NULL AS custom_name,
       NULL AS category,
       NULL AS importance,
       NULL AS min_proficiency,
       NULL AS history_kind,
       NULL AS at,
       NULL AS actor,
       NULL AS from_status,
       NULL AS to_status,
       NULL AS field,
       NULL AS old_value,
       NULL AS new_value,
       NULL AS reason,
       NULL AS event_id,
       NULL AS event_type,
       NULL AS aggregate_id,
       NULL AS aggregate_version,
       NULL AS occurred_at,
       NULL AS payload,
       NULL AS sub,
       NULL AS email,
       NULL AS name,
       NULL AS group_names,
       NULL AS seen_at
WHERE 0;

-- One trigger, a guarded statement per row kind, applied in the batch's order.
CREATE TRIGGER opportunity_changes_apply INSTEAD OF INSERT ON opportunity_changes
BEGIN
    SELECT RAISE(ABORT, 'unknown opportunity change row kind')
    WHERE NEW.row_kind NOT IN ('requirements_reset', 'requirement', 'history', 'event', 'profile');
    DELETE FROM skill_requirements
    WHERE NEW.row_kind = 'requirements_reset' AND opportunity_id = NEW.opportunity_id;
    INSERT INTO skill_requirements (opportunity_id, position, skill_id, custom_name, category, importance,
        min_proficiency)
    SELECT NEW.opportunity_id, NEW.position, NEW.skill_id, NEW.custom_name, NEW.category, NEW.importance,
        NEW.min_proficiency
    WHERE NEW.row_kind = 'requirement';
    INSERT INTO opportunity_history (opportunity_id, seq, kind, at, actor, from_status, to_status, field,
        old_value, new_value, reason)
    SELECT NEW.opportunity_id,
        (SELECT COALESCE(MAX(h.seq), 0) + 1 FROM opportunity_history h WHERE h.opportunity_id = NEW.opportunity_id),
        NEW.history_kind, NEW.at, NEW.actor, NEW.from_status, NEW.to_status, NEW.field, NEW.old_value,
        NEW.new_value, NEW.reason
    WHERE NEW.row_kind = 'history';
    INSERT INTO outbox_events (id, event_type, aggregate_id, aggregate_version, occurred_at, payload)
    SELECT NEW.event_id, NEW.event_type, NEW.aggregate_id, NEW.aggregate_version, NEW.occurred_at, NEW.payload
    WHERE NEW.row_kind = 'event';
    INSERT INTO user_profiles (sub, email, name, group_names, first_seen_at, last_seen_at)
    SELECT NEW.sub, NEW.email, NEW.name, NEW.group_names, NEW.seen_at, NEW.seen_at
    WHERE NEW.row_kind = 'profile'
    ON CONFLICT (sub) DO UPDATE SET email = excluded.email, name = excluded.name,
        group_names = excluded.group_names, last_seen_at = excluded.last_seen_at;
END;
