-- Priced on 2026-12-07 and not built (README, "How far it scales"): the conversations' activity clock in a
-- narrow table of its own, so that a message's UPDATE of conversations can be HOT. Run it on a bench database:
--   SETUP_SQL="$(cat scripts/pg-activity-table.sql)" scripts/bench-postgres.sh 1 20000 500
-- (the gateway's inbox reads still name the dropped indexes' columns on conversations: ingest only).
ALTER TABLE conversations SET (fillfactor = 80);
CREATE TABLE conversation_activity (conversation_id bigint PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE, status text NOT NULL, owner text, assignee text, last_message_at double precision NOT NULL);
INSERT INTO conversation_activity SELECT id, status, owner, assignee, last_message_at FROM conversations;
DROP INDEX conversations_by_assignee; DROP INDEX conversations_by_owner; DROP INDEX conversations_by_status;
CREATE INDEX activity_by_assignee ON conversation_activity (assignee, status, last_message_at);
CREATE INDEX activity_by_owner ON conversation_activity (owner, status, last_message_at);
CREATE INDEX activity_by_status ON conversation_activity (status, last_message_at);
CREATE FUNCTION conversation_activity_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE conversation_activity a SET status = n.status, owner = n.owner, assignee = n.assignee, last_message_at = n.last_message_at
    FROM changed n WHERE a.conversation_id = n.id
    AND (a.status, a.owner, a.assignee, a.last_message_at) IS DISTINCT FROM (n.status, n.owner, n.assignee, n.last_message_at);
  RETURN NULL;
END $$;
CREATE TRIGGER conversation_activity_updated AFTER UPDATE ON conversations REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION conversation_activity_updated();
CREATE FUNCTION conversation_activity_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO conversation_activity SELECT id, status, owner, assignee, last_message_at FROM added;
  RETURN NULL;
END $$;
CREATE TRIGGER conversation_activity_added AFTER INSERT ON conversations REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION conversation_activity_added();
