//! `opportunity-export`: daily, writes the opportunities changed since the last run to the exports
//! bucket (locally a folder) as gzip-compressed JSON Lines partitioned by date, with a manifest.
//!
//! Layout (Athena/Glue read `data/` as a table partitioned by `dt`; manifests live beside it, so
//! they are never read as data):
//! - `opportunities/data/dt=YYYY-MM-DD/run-000042-part-00000.jsonl.gz`: one opportunity per line,
//!   its public view, the same JSON as `GET /v1/opportunities/{id}` (schema `OpportunityView` in
//!   `openapi.json`), read from the database at export time;
//! - `opportunities/manifests/dt=YYYY-MM-DD/run-000042.json`: the run, its watermark window, the
//!   record count and each part's key, records, bytes and SHA-256 (of the compressed file).
//!   A run's files are complete once its manifest exists.
//!
//! # The watermark: a lagged upper bound on `(updated_at, id)`
//!
//! Run N exports the opportunities whose `updated_at` lies in `(upper(N-1), upper(N)]`, where
//! `upper(N) = now - lag`, read in `(updated_at, id)` order (ties on `updated_at` are ordered by
//! id, so paging never skips or repeats a row). Each opportunity is exported with the state it
//! has when read, and only if that state's `updated_at` is still inside the window: one that
//! changed after the window was read lies in a later window and is exported by that run. So every
//! version of a row is in exactly one window, and no window is read before it is final:
//! - `updated_at` is taken from the clock inside the writing invocation and the write commits
//!   before that invocation ends; a Lambda invocation lasts at most 15 minutes, so a row whose
//!   `updated_at` is at or before `now - lag` (lag 1 hour by default, `OMS_EXPORT_LAG_SECONDS`,
//!   at least 15 minutes) has committed by the time the run reads it, even if its transaction
//!   started long before it committed;
//! - a change sequence (a counter or a database sequence) would not help: its values are also
//!   assigned before commit, so they commit out of order just the same and still need the lag.
//!
//! # Restartable without gaps or duplicates
//!
//! A run is claimed in `export_runs` (its number and window) before any file is written, and its
//! files are named by the run: an invocation that finds the last run still `started` redoes that
//! same window, overwriting the same keys, deletes parts the earlier attempt wrote beyond the
//! ones it writes now (the count of started parts is raised in the database before each part is
//! written), writes the manifest, and only then marks the run completed and so moves the
//! watermark. A crash at any point leaves a window that is redone whole or already complete.
//!
//! # Erasure
//!
//! Rows are read from the database at export time, so an erasure (which rewrites a person's id to
//! a pseudonym and bumps `updated_at`) is exported with the pseudonym and nothing erased reappears
//! in a later export; files written before the erasure keep the old values until the exports
//! bucket's lifecycle rule expires them (`ExportRetentionDays`, 30 days, noncurrent versions 1
//! day). Purged opportunities likewise stop appearing.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::app::App;
use crate::ports::jobs::{ExportRun, ExportRunStatus};

/// Opportunities listed per page of a window (ids and timestamps only: a small response).
const PAGE: i64 = 500;
/// The export format's version, in the manifest.
pub const FORMAT_VERSION: u32 = 1;

/// How the export runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportConfig {
    /// `OMS_EXPORT_LAG_SECONDS` (default 3600, at least 900): how far behind now the window ends.
    pub lag: Duration,
    /// `OMS_EXPORT_PART_RECORDS` (default 5000, 1 to 100000): records per part file.
    pub part_records: usize,
    /// `OMS_EXPORT_PREFIX` (default `opportunities`): the key prefix of the files.
    pub prefix: String,
}

impl Default for ExportConfig {
    fn default() -> Self {
        ExportConfig {
            lag: Duration::hours(1),
            part_records: 5000,
            prefix: "opportunities".into(),
        }
    }
}

impl ExportConfig {
    /// Reads the configuration; unset variables take their defaults.
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<ExportConfig, String> {
        let mut config = ExportConfig::default();
        if let Some(text) = lookup("OMS_EXPORT_LAG_SECONDS") {
            match text.trim().parse::<i64>() {
                Ok(s) if (900..=7 * 86_400).contains(&s) => config.lag = Duration::seconds(s),
                _ => {
                    return Err(format!(
                        "OMS_EXPORT_LAG_SECONDS must be 900 to 604800 seconds (got {text:?})"
                    ));
                }
            }
        }
        if let Some(text) = lookup("OMS_EXPORT_PART_RECORDS") {
            match text.trim().parse::<usize>() {
                Ok(n) if (1..=100_000).contains(&n) => config.part_records = n,
                _ => return Err(format!("OMS_EXPORT_PART_RECORDS must be 1 to 100000 (got {text:?})")),
            }
        }
        if let Some(prefix) = lookup("OMS_EXPORT_PREFIX") {
            let plain = prefix.split('/').all(|s| {
                !s.is_empty()
                    && s != "."
                    && s != ".."
                    && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.=".contains(c))
            });
            if !plain {
                return Err(format!(
                    "OMS_EXPORT_PREFIX must be plain path segments (got {prefix:?})"
                ));
            }
            config.prefix = prefix;
        }
        Ok(config)
    }

    /// No lag: the window ends now. For tests and the bench, where no write is in flight; the
    /// environment cannot set it.
    pub fn without_lag(mut self) -> Self {
        self.lag = Duration::ZERO;
        self
    }
}

/// One part file, as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportFile {
    /// Its key under the destination.
    pub key: String,
    /// Records (lines) in it.
    pub records: u64,
    /// Its size, compressed.
    pub bytes: u64,
    /// SHA-256 of the compressed file, hex.
    pub sha256: String,
}

/// What one run wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportReport {
    /// The run's number (0 when nothing was due).
    pub run: i64,
    /// Whether this invocation redid a run an earlier one left unfinished.
    pub resumed: bool,
    /// The window's exclusive lower bound.
    #[serde(with = "time::serde::rfc3339")]
    pub from_exclusive: OffsetDateTime,
    /// The window's inclusive upper bound: the new watermark.
    #[serde(with = "time::serde::rfc3339")]
    pub to_inclusive: OffsetDateTime,
    /// Records written.
    pub records: u64,
    /// Opportunities of the window that changed again (a later run exports them) or were purged.
    pub skipped: u64,
    /// Compressed bytes written (parts only).
    pub bytes: u64,
    /// The part files.
    pub files: Vec<ExportFile>,
    /// The manifest's key (empty when nothing was due).
    pub manifest: String,
    /// Where the files went.
    pub destination: String,
}

/// The manifest written last.
#[derive(Debug, Serialize)]
struct Manifest<'a> {
    format: &'static str,
    format_version: u32,
    record_schema: &'static str,
    run: i64,
    watermark: Watermark,
    #[serde(with = "time::serde::rfc3339")]
    generated_at: OffsetDateTime,
    records: u64,
    files: &'a [ExportFile],
}

#[derive(Debug, Serialize)]
struct Watermark {
    column: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    from_exclusive: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    to_inclusive: OffsetDateTime,
}

fn date_partition(at: OffsetDateTime) -> String {
    let d = at.date();
    format!("dt={:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The key of part `n` of `run`.
pub fn part_key(config: &ExportConfig, run: &ExportRun, n: i64) -> String {
    format!(
        "{}/data/{}/run-{:06}-part-{:05}.jsonl.gz",
        config.prefix,
        date_partition(run.upper),
        run.seq,
        n
    )
}

/// The key of `run`'s manifest.
pub fn manifest_key(config: &ExportConfig, run: &ExportRun) -> String {
    format!(
        "{}/manifests/{}/run-{:06}.json",
        config.prefix,
        date_partition(run.upper),
        run.seq
    )
}

/// A part file being filled.
struct Part {
    encoder: GzEncoder<Vec<u8>>,
    records: u64,
}

impl Part {
    fn new() -> Part {
        Part {
            encoder: GzEncoder::new(Vec::new(), Compression::default()),
            records: 0,
        }
    }
}

/// Writes a finished part: the count of started parts is raised first, so a redo knows it may
/// exist.
async fn write_part(
    app: &App,
    config: &ExportConfig,
    run: &ExportRun,
    part: Part,
    files: &mut Vec<ExportFile>,
) -> Result<(), String> {
    let n = files.len() as i64;
    let body = part.encoder.finish().map_err(|e| format!("gzip: {e}"))?;
    app.export_runs
        .export_parts_started(run.seq, n + 1)
        .await
        .map_err(|e| e.to_string())?;
    let key = part_key(config, run, n);
    let file = ExportFile {
        key: key.clone(),
        records: part.records,
        bytes: body.len() as u64,
        sha256: hex::encode(Sha256::digest(&body)),
    };
    app.export_sink
        .put(&key, body, "application/gzip")
        .await
        .map_err(|e| e.to_string())?;
    files.push(file);
    Ok(())
}

/// The run this invocation works on: the unfinished last one, or a new one claimed now; `None`
/// when nothing is due (the window would be empty) or another invocation claimed it.
async fn claim(app: &App, config: &ExportConfig, now: OffsetDateTime) -> Result<Option<(ExportRun, bool)>, String> {
    let last = app.export_runs.last_export_run().await.map_err(|e| e.to_string())?;
    if let Some(run) = &last
        && run.status == ExportRunStatus::Started
    {
        return Ok(Some((run.clone(), true)));
    }
    let upper = now
        .checked_sub(config.lag)
        .ok_or_else(|| "the clock is before the export lag".to_owned())?;
    let (seq, lower) = match &last {
        Some(run) => (run.seq.checked_add(1).ok_or("export run numbers exhausted")?, run.upper),
        None => (1, OffsetDateTime::UNIX_EPOCH),
    };
    if upper <= lower {
        return Ok(None);
    }
    let run = ExportRun {
        seq,
        lower,
        upper,
        status: ExportRunStatus::Started,
        parts_started: 0,
        started_at: now,
    };
    if !app
        .export_runs
        .start_export_run(&run)
        .await
        .map_err(|e| e.to_string())?
    {
        tracing::info!(run = seq, "another invocation claimed this export run");
        return Ok(None);
    }
    Ok(Some((run, false)))
}

/// One run of the export.
pub async fn export(app: &App, config: &ExportConfig) -> Result<ExportReport, String> {
    let now = app.clock.now();
    let Some((run, resumed)) = claim(app, config, now).await? else {
        return Ok(ExportReport {
            run: 0,
            resumed: false,
            from_exclusive: now,
            to_inclusive: now,
            records: 0,
            skipped: 0,
            bytes: 0,
            files: Vec::new(),
            manifest: String::new(),
            destination: app.export_sink.location(),
        });
    };
    let mut files = Vec::new();
    let mut part = Part::new();
    let mut records = 0u64;
    let mut skipped = 0u64;
    let mut after = None;
    loop {
        let page = app
            .export_runs
            .changed_opportunities(run.lower, run.upper, after, PAGE)
            .await
            .map_err(|e| e.to_string())?;
        let Some(last) = page.last() else { break };
        after = Some((last.updated_at, last.id));
        for changed in &page {
            // The opportunity with the attachments its view lists, in one statement.
            let in_view = crate::handlers::opportunities::ATTACHMENTS_IN_VIEW;
            let found = app
                .opportunities
                .get_with_attachments(changed.id, in_view)
                .await
                .map_err(|e| e.to_string())?;
            let Some((opportunity, attachments)) = found.filter(|(o, _)| o.updated_at <= run.upper) else {
                skipped += 1; // purged, or changed again: a later window holds its new state
                continue;
            };
            let view = crate::handlers::opportunities::view_with(&opportunity, &attachments);
            let mut line = serde_json::to_vec(&view).map_err(|e| e.to_string())?;
            line.push(b'\n');
            part.encoder.write_all(&line).map_err(|e| format!("gzip: {e}"))?;
            part.records += 1;
            records += 1;
            if part.records as usize >= config.part_records {
                write_part(app, config, &run, std::mem::replace(&mut part, Part::new()), &mut files).await?;
            }
        }
        if (page.len() as i64) < PAGE {
            break;
        }
    }
    if part.records > 0 {
        write_part(app, config, &run, part, &mut files).await?;
    }
    // Parts an earlier attempt of this run wrote beyond the ones written now.
    for n in (files.len() as i64)..run.parts_started {
        app.export_sink
            .delete(&part_key(config, &run, n))
            .await
            .map_err(|e| e.to_string())?;
    }
    let manifest_key = manifest_key(config, &run);
    let manifest = Manifest {
        format: "oms-opportunity-export",
        format_version: FORMAT_VERSION,
        record_schema: "OpportunityView (openapi.json): the JSON of GET /v1/opportunities/{id}, one per line",
        run: run.seq,
        watermark: Watermark {
            column: "updated_at",
            from_exclusive: run.lower,
            to_inclusive: run.upper,
        },
        generated_at: now,
        records,
        files: &files,
    };
    let body = serde_json::to_vec_pretty(&manifest).map_err(|e| e.to_string())?;
    app.export_sink
        .put(&manifest_key, body, "application/json")
        .await
        .map_err(|e| e.to_string())?;
    app.export_runs
        .complete_export_run(
            run.seq,
            i64::try_from(records).unwrap_or(i64::MAX),
            &manifest_key,
            app.clock.now(),
        )
        .await
        .map_err(|e| e.to_string())?;
    let bytes = files.iter().map(|f| f.bytes).sum();
    tracing::info!(
        run = run.seq,
        resumed,
        records,
        skipped,
        bytes,
        parts = files.len(),
        "export written"
    );
    super::report_metrics(&[("ExportedOpportunities", records), ("ExportedBytes", bytes)]);
    Ok(ExportReport {
        run: run.seq,
        resumed,
        from_exclusive: run.lower,
        to_inclusive: run.upper,
        records,
        skipped,
        bytes,
        files,
        manifest: manifest_key,
        destination: app.export_sink.location(),
    })
}

/// The scheduled entry point (the EventBridge event's content does not matter); the
/// configuration is read from the environment at each run.
pub async fn handle(app: &App, _event: serde_json::Value) -> Result<serde_json::Value, String> {
    let config = ExportConfig::from_lookup(&|name| crate::app::env_var(name))?;
    let report = export(app, &config).await?;
    serde_json::to_value(report).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configuration_has_defaults_and_refuses_a_lag_shorter_than_a_lambda_invocation() {
        assert_eq!(ExportConfig::from_lookup(&|_| None).unwrap(), ExportConfig::default());
        let short = ExportConfig::from_lookup(&|n| (n == "OMS_EXPORT_LAG_SECONDS").then(|| "60".to_owned()));
        assert!(short.unwrap_err().contains("OMS_EXPORT_LAG_SECONDS"));
        let prefix = ExportConfig::from_lookup(&|n| (n == "OMS_EXPORT_PREFIX").then(|| "../x".to_owned()));
        assert!(prefix.is_err());
        let parts = ExportConfig::from_lookup(&|n| (n == "OMS_EXPORT_PART_RECORDS").then(|| "10".to_owned()));
        assert_eq!(parts.unwrap().part_records, 10);
    }

    #[test]
    fn files_are_named_by_run_and_partitioned_by_the_watermark_date() {
        let run = ExportRun {
            seq: 42,
            lower: OffsetDateTime::UNIX_EPOCH,
            upper: time::macros::datetime!(2026-11-22 02:00 UTC),
            status: ExportRunStatus::Started,
            parts_started: 0,
            started_at: OffsetDateTime::UNIX_EPOCH,
        };
        let config = ExportConfig::default();
        assert_eq!(
            part_key(&config, &run, 3),
            "opportunities/data/dt=2026-11-22/run-000042-part-00003.jsonl.gz"
        );
        assert_eq!(
            manifest_key(&config, &run),
            "opportunities/manifests/dt=2026-11-22/run-000042.json"
        );
    }
}
