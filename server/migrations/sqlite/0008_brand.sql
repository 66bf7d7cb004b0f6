-- The company's brand in the widget: its accent colour and theme.
ALTER TABLE organizations ADD COLUMN accent_color TEXT NOT NULL DEFAULT '#4f46e5';
ALTER TABLE organizations ADD COLUMN theme TEXT NOT NULL DEFAULT 'auto'
    CHECK (theme IN ('light', 'dark', 'auto'));
