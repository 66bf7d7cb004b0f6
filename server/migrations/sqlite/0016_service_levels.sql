-- Service levels: an organization's business hours (JSON, as the API
-- writes them; NULL: never set, always open).
ALTER TABLE organizations ADD COLUMN business_hours TEXT;
