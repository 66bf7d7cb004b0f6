//! Reading the test server's database straight, on either backend: to
//! prove a rejected request stored nothing, and to read raw rows a test
//! compares the API with.

use crate::helpers::TestApp;

impl TestApp {
    /// Counts rows straight from the database, to prove a rejected request
    /// stored nothing.
    pub async fn count(&self, table: &str) -> i64 {
        self.scalar_i64(&format!("SELECT COUNT(*) FROM {table}"))
            .await
    }

    /// One integer, read straight from the database (either backend).
    pub async fn scalar_i64(&self, sql: &str) -> i64 {
        match &self.postgres {
            Some(db) => {
                let value: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
                    .fetch_one(&db.pool)
                    .await
                    .unwrap();
                value
            }
            None => self.sqlite().query_row(sql, [], |r| r.get(0)).unwrap(),
        }
    }

    /// One text value, read straight from the database (either backend).
    pub async fn scalar_text(&self, sql: &str) -> String {
        match &self.postgres {
            Some(db) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
                .fetch_one(&db.pool)
                .await
                .unwrap(),
            None => self.sqlite().query_row(sql, [], |r| r.get(0)).unwrap(),
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    /// Rows straight from the database, every column as text (cast it in
    /// the query; `None` for NULL).
    pub async fn text_rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        match &self.postgres {
            Some(db) => {
                use sqlx::Row;
                sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                    .fetch_all(&db.pool)
                    .await
                    .unwrap()
                    .iter()
                    .map(|row| {
                        (0..row.len())
                            .map(|i| row.get::<Option<String>, _>(i))
                            .collect()
                    })
                    .collect()
            }
            None => {
                let conn = self.sqlite();
                let mut statement = conn.prepare(sql).unwrap();
                let width = statement.column_count();
                statement
                    .query_map([], |row| {
                        (0..width)
                            .map(|i| row.get::<_, Option<String>>(i))
                            .collect::<rusqlite::Result<Vec<_>>>()
                    })
                    .unwrap()
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .unwrap()
            }
        }
    }

    fn sqlite(&self) -> rusqlite::Connection {
        let path = self
            .database_url
            .strip_prefix("sqlite://")
            .expect("a SQLite URL");
        rusqlite::Connection::open(path).unwrap()
    }
}
