//! Rebuilds when a migration is added (sqlx embeds them at compile time).

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
