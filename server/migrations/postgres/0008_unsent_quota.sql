-- Each organization's unsent uploads are summed before another is stored
-- (a cap on what a public organization ID lets strangers park here).
CREATE INDEX attachments_unsent_by_organization ON attachments (organization_id) WHERE message_id IS NULL;
