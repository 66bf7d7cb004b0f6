-- Service levels: an organization's business hours (JSON, as the API
-- writes them; NULL: never set, always open).
ALTER TABLE organizations ADD COLUMN business_hours TEXT;

-- The end of the closed period the conversation's last away reply went
-- in (the next opening): one away reply per conversation per closed period.
ALTER TABLE conversations ADD COLUMN away_until INTEGER;
