-- The company's brand in the widget (see the SQLite migration 0008_brand.sql).
ALTER TABLE organizations ADD COLUMN accent_color TEXT NOT NULL DEFAULT '#4f46e5';
ALTER TABLE organizations ADD COLUMN theme TEXT NOT NULL DEFAULT 'auto'
    CHECK (theme IN ('light', 'dark', 'auto'));
