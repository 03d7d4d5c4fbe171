//! Versioned schema migrations, one file per version and dialect, applied in order and recorded
//! in `schema_migrations`. DDL is the only SQL that differs between PostgreSQL and SQLite.

use time::OffsetDateTime;

use super::{DbError, Dialect, SqlExecutor, SqlValue};
use crate::params;

/// One schema version.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Monotonic version number.
    pub version: i64,
    /// A short name for humans.
    pub name: &'static str,
    /// The PostgreSQL DDL (Aurora and the test PostgreSQL).
    pub postgres: &'static str,
    /// The SQLite DDL (the embedded default).
    pub sqlite: &'static str,
}

/// Every migration, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "opportunities",
        postgres: include_str!("../../migrations/postgres/0001_opportunities.sql"),
        sqlite: include_str!("../../migrations/sqlite/0001_opportunities.sql"),
    },
    Migration {
        version: 2,
        name: "event_consumers",
        postgres: include_str!("../../migrations/postgres/0002_event_consumers.sql"),
        sqlite: include_str!("../../migrations/sqlite/0002_event_consumers.sql"),
    },
    Migration {
        version: 3,
        name: "attachments",
        postgres: include_str!("../../migrations/postgres/0003_attachments.sql"),
        sqlite: include_str!("../../migrations/sqlite/0003_attachments.sql"),
    },
    Migration {
        version: 4,
        name: "money_minor_units",
        postgres: include_str!("../../migrations/postgres/0004_money_minor_units.sql"),
        sqlite: include_str!("../../migrations/sqlite/0004_money_minor_units.sql"),
    },
    Migration {
        version: 5,
        name: "catalog_versions",
        postgres: include_str!("../../migrations/postgres/0005_catalog_versions.sql"),
        sqlite: include_str!("../../migrations/sqlite/0005_catalog_versions.sql"),
    },
    Migration {
        version: 6,
        name: "privacy",
        postgres: include_str!("../../migrations/postgres/0006_privacy.sql"),
        sqlite: include_str!("../../migrations/sqlite/0006_privacy.sql"),
    },
    Migration {
        version: 7,
        name: "reports_retention_exports",
        postgres: include_str!("../../migrations/postgres/0007_reports_retention_exports.sql"),
        sqlite: include_str!("../../migrations/sqlite/0007_reports_retention_exports.sql"),
    },
    Migration {
        version: 8,
        name: "indexes_at_scale",
        postgres: include_str!("../../migrations/postgres/0008_indexes_at_scale.sql"),
        sqlite: include_str!("../../migrations/sqlite/0008_indexes_at_scale.sql"),
    },
    Migration {
        version: 9,
        name: "opportunity_changes",
        postgres: include_str!("../../migrations/postgres/0009_opportunity_changes.sql"),
        sqlite: include_str!("../../migrations/sqlite/0009_opportunity_changes.sql"),
    },
];

const CREATE_MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";
const SELECT_APPLIED: &str = "SELECT version FROM schema_migrations ORDER BY version";
const INSERT_APPLIED: &str =
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (:version, :name, :applied_at)";

/// Splits a migration file into statements. A statement ends with a line ending in `;`, except
/// inside a body that holds statements of its own: a `$$`-quoted PostgreSQL function body, or
/// the `BEGIN` ... `END;` of a SQLite trigger, which end at their close.
fn statements(ddl: &'static str) -> impl Iterator<Item = &'static str> {
    let mut found = Vec::new();
    let (mut start, mut offset) = (0, 0);
    let (mut in_dollar_body, mut in_trigger_body) = (false, false);
    for line in ddl.split_inclusive('\n') {
        offset += line.len();
        let text = line.trim();
        if line.matches("$$").count() % 2 == 1 {
            in_dollar_body = !in_dollar_body;
        }
        if text.eq_ignore_ascii_case("BEGIN")
            && ddl[start..offset]
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with("--"))
                .is_some_and(|first| first.starts_with("CREATE TRIGGER"))
        {
            in_trigger_body = true;
        }
        let ends = text.ends_with(';') && !text.starts_with("--");
        if ends && !in_dollar_body && (!in_trigger_body || text.eq_ignore_ascii_case("END;")) {
            found.push(&ddl[start..offset]);
            start = offset;
            in_trigger_body = false;
        }
    }
    found.push(&ddl[start..]);
    found.into_iter().map(|s| s.trim().trim_end_matches(';')).filter(|s| {
        s.lines()
            .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--"))
    })
}

/// Applies every migration the database has not seen, each in its own transaction. Returns the
/// versions applied.
pub async fn migrate(executor: &dyn SqlExecutor) -> Result<Vec<i64>, DbError> {
    // Several processes may migrate one fresh database at once (a server and `oms-local migrate`
    // on a new data folder); a database that reports a conflict is asked again, and each round
    // re-reads what is applied, so a retry never applies a version twice.
    const ATTEMPTS: u32 = 8;
    let mut attempt = 1;
    loop {
        match migrate_once(executor).await {
            Err(DbError::Conflict(reason)) if attempt < ATTEMPTS => {
                tracing::info!(attempt, %reason, "migration conflicted with another process; retrying");
                tokio::time::sleep(std::time::Duration::from_millis(25 * u64::from(attempt))).await;
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

async fn migrate_once(executor: &dyn SqlExecutor) -> Result<Vec<i64>, DbError> {
    executor.execute(CREATE_MIGRATIONS_TABLE, &[]).await?;
    let applied: Vec<i64> = executor
        .query(SELECT_APPLIED, &[])
        .await?
        .iter()
        .map(|r| r.int("version"))
        .collect::<Result<_, _>>()?;
    let mut newly_applied = Vec::new();
    for migration in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
        let ddl = match executor.dialect() {
            Dialect::Postgres => migration.postgres,
            Dialect::Sqlite => migration.sqlite,
        };
        let mut tx = executor.begin().await?;
        // Another process on the same database (a server and `oms-local migrate` started together
        // on a fresh data folder) may have applied it since the list was read; SQLite's write lock
        // is held from BEGIN IMMEDIATE, so this second look is final there.
        let work = async {
            let now_applied = tx.query(SELECT_APPLIED, &[]).await?;
            if now_applied
                .iter()
                .any(|r| r.int("version").ok() == Some(migration.version))
            {
                return Ok(false);
            }
            for statement in statements(ddl) {
                tx.execute(statement, &[]).await?;
            }
            tx.execute(
                INSERT_APPLIED,
                &params![
                    "version" => migration.version,
                    "name" => migration.name,
                    "applied_at" => SqlValue::Text(OffsetDateTime::now_utc().to_string()),
                ],
            )
            .await?;
            Ok(true)
        }
        .await;
        // Roll back explicitly: a Data API transaction left open would hold its locks for minutes.
        match work {
            Ok(true) => {}
            Ok(false) => {
                tx.rollback().await?;
                continue;
            }
            Err(error) => {
                if let Err(rollback_error) = tx.rollback().await {
                    tracing::warn!(error = %rollback_error, "rollback of a failed migration failed");
                }
                return Err(error);
            }
        }
        tx.commit().await?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "schema migration applied"
        );
        newly_applied.push(migration.version);
    }
    Ok(newly_applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_dialects_define_the_same_tables() {
        for migration in MIGRATIONS {
            let tables = |ddl: &'static str| -> Vec<String> {
                statements(ddl)
                    .filter(|s| s.contains("CREATE TABLE"))
                    .map(|s| s.split_whitespace().nth(2).unwrap_or("").to_owned())
                    .collect()
            };
            assert_eq!(tables(migration.postgres), tables(migration.sqlite));
            assert!(statements(migration.postgres).next().is_some());
            assert!(statements(migration.sqlite).next().is_some());
        }
    }

    #[test]
    fn a_function_or_trigger_body_is_one_statement_with_the_statements_it_holds() {
        let ddl = "-- a comment;\nCREATE TABLE t (a int);\n\n-- its function;\nCREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    DELETE FROM t;\n    RETURN NEW;\nEND\n$$;\n\n-- and its trigger\nCREATE TRIGGER g INSTEAD OF INSERT ON v\nBEGIN\n    DELETE FROM t;\n    INSERT INTO t VALUES (1);\nEND;\nCREATE INDEX i ON t (a);\n";
        let found: Vec<&str> = statements(ddl).collect();
        assert_eq!(found.len(), 4, "{found:#?}");
        assert_eq!(found[0], "-- a comment;\nCREATE TABLE t (a int)");
        assert!(
            found[1].contains("\nCREATE FUNCTION") && found[1].ends_with("$$"),
            "{}",
            found[1]
        );
        assert!(
            found[2].contains("\nCREATE TRIGGER") && found[2].ends_with("END"),
            "{}",
            found[2]
        );
        assert_eq!(found[3], "CREATE INDEX i ON t (a)");
    }

    #[test]
    fn the_opportunity_changes_migration_is_one_view_one_function_and_one_trigger() {
        let migration = MIGRATIONS.iter().find(|m| m.version == 9).expect("migration 9");
        let postgres: Vec<&str> = statements(migration.postgres).collect();
        let sqlite: Vec<&str> = statements(migration.sqlite).collect();
        assert_eq!(postgres.len(), 3, "{postgres:#?}");
        assert_eq!(sqlite.len(), 2, "{sqlite:#?}");
    }
}
