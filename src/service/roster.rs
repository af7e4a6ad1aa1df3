//! Importing a program's sponsor roster: the one path the command line and the API
//! share. The file is read and checked whole first (`domain::roster`), then written
//! [`BATCH`] rows to a transaction, so that other writers get their turn meanwhile
//! (SQLite takes one writer at a time).

use std::sync::Arc;

use chrono::{Duration, Utc};
use diesel::Connection;
use indicatif::{ProgressBar, ProgressStyle};

use super::ServiceError;
use crate::config::{Secrets, Settings};
use crate::domain::roster::{self, ImportMode, ImportReport, Roster};
use crate::notify::links::LinkSigner;
use crate::store::roster::{Importer, apply, record_import, refusals};
use crate::store::{Db, StoreError, accounts};

/// Rows written per transaction.
pub const BATCH: usize = 1000;

/// Told how far an import has come, for a progress bar.
pub trait Progress: Sync {
    /// `rows` checked rows are about to be written.
    fn start(&self, rows: u64);
    /// `rows` more are written.
    fn advance(&self, rows: u64);
}

/// Nobody watching.
impl Progress for () {
    fn start(&self, _: u64) {}
    fn advance(&self, _: u64) {}
}

impl Progress for ProgressBar {
    fn start(&self, rows: u64) {
        self.set_length(rows);
    }

    fn advance(&self, rows: u64) {
        self.inc(rows);
    }
}

/// A progress bar for the operator's commands, on stderr (none when stderr is not a
/// terminal): what it counts, how far, how fast.
pub fn progress_bar(len: u64, message: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(len).with_style(
        ProgressStyle::with_template("{msg:>9} {bar:40} {pos}/{len} ({per_sec}, {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(message);
    bar
}

/// Imports a roster file into the importer's program. In `AllOrNothing` mode a row
/// rejected by the file's rules or the database's means nothing is written
/// (`ServiceError::RosterRejected`); in `SkipInvalid` mode the other rows are written and the
/// report lists the rejected ones. (All or nothing, the database is checked before the
/// first batch is written; an address taken by another writer in between is rejected
/// when its batch is written, and listed in the report of what was written.) New
/// sponsors' invites are emailed through the outbox. One audit event tells what was
/// written, also when a batch fails part way.
pub async fn import_sponsors(
    db: &Db,
    settings: &Settings,
    secrets: &Secrets,
    importer: Importer,
    csv: impl AsRef<[u8]> + Send + 'static,
    mode: ImportMode,
    progress: &dyn Progress,
) -> Result<ImportReport, ServiceError> {
    let program = importer.program();
    let today = Utc::now().date_naive();
    // The program's rules first: its maximum capacity is part of them.
    let read = db
        .run(move |conn| {
            let max_capacity = accounts::get_program(conn, program)?.max_capacity();
            Ok(roster::parse(csv.as_ref(), today, max_capacity))
        })
        .await?;
    let Roster { entries, rejected } = read.map_err(ServiceError::RosterRejected)?;
    let entries = Arc::new(entries);
    let mut report = ImportReport {
        rejected,
        ..ImportReport::default()
    };
    if mode == ImportMode::AllOrNothing {
        let checked = entries.clone();
        // One read transaction: every batch is checked against the same state.
        let refused = db
            .run(move |conn| {
                conn.transaction(|conn| {
                    let mut refused = Vec::new();
                    for batch in checked.chunks(BATCH) {
                        refused.extend(refusals(conn, program, batch)?);
                    }
                    Ok::<_, StoreError>(refused)
                })
            })
            .await?;
        report.rejected.extend(refused);
        if !report.rejected.is_empty() {
            report.rejected.sort_by_key(|r| r.line);
            return Err(ServiceError::RosterRejected(report.rejected));
        }
    }
    let links = LinkSigner::from_settings(settings, secrets);
    let invites_expire =
        (Utc::now() + Duration::hours(i64::from(settings.auth.invite_hours))).naive_utc();
    progress.start(entries.len() as u64);
    let mut failed = None;
    for start in (0..entries.len()).step_by(BATCH) {
        let end = (start + BATCH).min(entries.len());
        let (batch, importer, links) = (entries.clone(), importer.clone(), links.clone());
        let applied = db
            .write(move |conn| apply(conn, &importer, &links, invites_expire, &batch[start..end]))
            .await;
        match applied {
            Ok(applied) => report.add(applied),
            Err(error) => {
                failed = Some(error);
                break;
            }
        }
        progress.advance((end - start) as u64);
    }
    report.rejected.sort_by_key(|r| r.line);
    let audited = report.clone();
    db.write(move |conn| record_import(conn, &importer, &audited))
        .await?;
    match failed {
        Some(error) => Err(error.into()),
        None => Ok(report),
    }
}
