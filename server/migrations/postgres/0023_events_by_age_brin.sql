-- Old events are found by age once an hour (`prune_events`), so their
-- index on `created_at` need not be a B-tree: every event wrote an entry
-- into it when inserted and another when placed (the placing's update
-- changes an indexed column, so it is never heap-only). Events are
-- appended in time order, which is what a BRIN index summarizes: a few
-- pages for the whole table, and no entry per row.
DROP INDEX events_by_age;
CREATE INDEX events_by_age ON events USING brin (created_at);
