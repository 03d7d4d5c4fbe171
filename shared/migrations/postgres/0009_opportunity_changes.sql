-- Every child row one opportunity write produces (its skill requirements replaced, its history
-- records, its change events, the writer's profile in the user directory) goes in with one batch of one statement: an INSERT into this view,
-- which a trigger routes to the table each row belongs to. On the Data API that is one
-- BatchExecuteStatement call per write, whatever the number of skills, records and events,
-- where one statement per table cost up to four calls (issue 16). The view holds no rows.
CREATE VIEW opportunity_changes AS
SELECT NULL::text AS row_kind,
       NULL::uuid AS opportunity_id,
       NULL::integer AS position,
       NULL::uuid AS skill_id,
       NULL::text AS custom_name,
       NULL::text AS category,
       NULL::text AS importance,
       NULL::text AS min_proficiency,
       NULL::text AS history_kind,
       NULL::timestamptz AS at,
       NULL::text AS actor,
       NULL::text AS from_status,
       NULL::text AS to_status,
       NULL::text AS field,
       NULL::text AS old_value,
       NULL::text AS new_value,
       NULL::text AS reason,
       NULL::uuid AS event_id,
       NULL::text AS event_type,
       NULL::uuid AS aggregate_id,
       NULL::bigint AS aggregate_version,
       NULL::timestamptz AS occurred_at,
       NULL::text AS payload,
       NULL::text AS sub,
       NULL::text AS email,
       NULL::text AS name,
       NULL::text AS group_names,
       NULL::timestamptz AS seen_at
WHERE false;

-- Rows apply in the batch's order: `requirements_reset` (delete the opportunity's requirements)
-- before the `requirement` rows that replace them; each `history` row takes the next sequence
-- number of its opportunity (the write's UPDATE of the opportunity row serialises writers).
CREATE FUNCTION apply_opportunity_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.row_kind = 'requirements_reset' THEN
        DELETE FROM skill_requirements WHERE opportunity_id = NEW.opportunity_id;
    ELSIF NEW.row_kind = 'requirement' THEN
        INSERT INTO skill_requirements (opportunity_id, position, skill_id, custom_name, category, importance,
            min_proficiency)
        VALUES (NEW.opportunity_id, NEW.position, NEW.skill_id, NEW.custom_name, NEW.category, NEW.importance,
            NEW.min_proficiency);
    ELSIF NEW.row_kind = 'history' THEN
        INSERT INTO opportunity_history (opportunity_id, seq, kind, at, actor, from_status, to_status, field,
            old_value, new_value, reason)
        VALUES (NEW.opportunity_id,
            (SELECT COALESCE(MAX(h.seq), 0) + 1 FROM opportunity_history h WHERE h.opportunity_id = NEW.opportunity_id),
            NEW.history_kind, NEW.at, NEW.actor, NEW.from_status, NEW.to_status, NEW.field, NEW.old_value,
            NEW.new_value, NEW.reason);
    ELSIF NEW.row_kind = 'event' THEN
        INSERT INTO outbox_events (id, event_type, aggregate_id, aggregate_version, occurred_at, payload)
        VALUES (NEW.event_id, NEW.event_type, NEW.aggregate_id, NEW.aggregate_version, NEW.occurred_at, NEW.payload);
    ELSIF NEW.row_kind = 'profile' THEN
        INSERT INTO user_profiles (sub, email, name, group_names, first_seen_at, last_seen_at)
        VALUES (NEW.sub, NEW.email, NEW.name, NEW.group_names, NEW.seen_at, NEW.seen_at)
        ON CONFLICT (sub) DO UPDATE SET email = excluded.email, name = excluded.name,
            group_names = excluded.group_names, last_seen_at = excluded.last_seen_at;
    ELSE
        RAISE EXCEPTION 'unknown opportunity change row kind: %', NEW.row_kind;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER opportunity_changes_apply INSTEAD OF INSERT ON opportunity_changes
    FOR EACH ROW EXECUTE FUNCTION apply_opportunity_change();
