//! Integration tests: the real server on a random port with a fresh SQLite
//! file (or, with `ECHO_TEST_DATABASE_URL`, a fresh PostgreSQL database),
//! called over HTTP with the protocol crate's types.

mod desk_helpers;
mod fixtures;
mod headers;
mod helpers;
mod hygiene;
mod identity;
mod members;
mod smtp;

mod agent;
mod allowed_sites;
mod assignment;
mod attachments;
mod audit_log;
mod away;
mod billing;
mod boundary;
mod brand;
mod business_hours;
mod contact_sessions;
mod conversations;
mod desk_canned;
mod desk_labels;
mod desk_mail;
mod desk_notes;
mod desk_search;
mod desk_visitor;
mod durability;
mod erasure;
mod hostile;
mod knowledge;
mod limits;
mod live;
mod mail;
mod mail_replicas;
mod mail_trust;
mod messages;
mod onboarding;
mod operations;
mod operator;
mod pro;
mod ratings;
mod replicas;
mod reports;
mod revocation;
mod scripted_llm;
mod secrets_in_logs;
mod sessions;
mod sse;
mod team;
mod two_factor;
mod upload_limits;
mod widget;
mod widget_page;
