//! A program's sponsor roster: one entry per external id, with the invite sent for it
//! and, until that invite is accepted, the profile the sponsor will start with.
//!
//! Applying an import compares each row with its entry: a new external id is invited;
//! a row changed while its invite waits replaces the pending profile (and, with a new
//! email, the invite); a row as last imported changes nothing and sends nothing. Once
//! the invite is accepted the profile is the sponsor's own, and the roster no longer
//! changes it.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::audit::{self, Actor, RecordKind};
use super::schema::{invites, roster_entries, users};
use super::{AnyConnection, StoreError, from_json, insert_all, now, outbox, unencodable};
use crate::auth::{Principal, Role};
use crate::domain::ids::{InviteId, ProgramId, UserId};
use crate::domain::roster::{ImportReport, Rejection, RosterEntry};
use crate::domain::sponsor::SponsorProfileInput;
use crate::notify::MessageKind;
use crate::notify::links::LinkSigner;

/// Who imports: a program admin through the API, or the operator's command line.
#[derive(Debug, Clone)]
pub enum Importer {
    Admin(Actor),
    Operator(ProgramId),
}

impl Importer {
    pub fn program(&self) -> ProgramId {
        match self {
            Importer::Admin(actor) => actor.principal.program_id(),
            Importer::Operator(program) => *program,
        }
    }

    /// The inviting user, for `invites.created_by`; none from the command line.
    fn inviter(&self) -> Option<UserId> {
        match self {
            Importer::Admin(Actor {
                principal: Principal::User { id, .. },
                ..
            }) => Some(*id),
            _ => None,
        }
    }
}

/// The invite an entry has now.
struct CurrentInvite {
    id: InviteId,
    email: String,
    expires_at: NaiveDateTime,
    accepted: bool,
}

/// What applying a row takes.
enum Step<'e> {
    Unchanged,
    LeftToSponsor,
    /// The invite waits: replace the pending profile and the invite's display name.
    Refresh {
        entry: &'e RosterEntry,
        invite: InviteId,
    },
    /// A new invite, emailed: for a new external id (`known` false), or one whose invite
    /// expired, was replaced, or whose email changed (`replaces` the waiting invite).
    Invite {
        entry: &'e RosterEntry,
        known: bool,
        replaces: Option<InviteId>,
    },
}

/// The steps of a batch, the rows the database refuses, and the waiting invites the
/// batch's new ones replace.
struct Plan<'e> {
    steps: Vec<Step<'e>>,
    rejected: Vec<Rejection>,
    superseded: Vec<InviteId>,
}

/// Works out what applying `entries` would do, reading only. Run it in a transaction.
fn plan<'e>(
    conn: &mut AnyConnection,
    program: ProgramId,
    entries: &'e [RosterEntry],
    at: NaiveDateTime,
) -> Result<Plan<'e>, StoreError> {
    if let AnyConnection::Postgresql(pg) = conn {
        // Every lookup of a batch is by an index whose first column is the key looked
        // up, a thousand keys at a time. PostgreSQL plans them on tables the import is
        // filling, without statistics, and keeps the plan: it chose to scan the table
        // (or all of the program's rows) for each batch, longer with every batch, until
        // 100,000 rows took 150 s.
        pg.batch_execute("SET LOCAL enable_seqscan = off")?;
    }
    let ids: Vec<&str> = entries.iter().map(|e| e.external_id.as_str()).collect();
    let known: Vec<(String, String, Option<InviteId>)> = roster_entries::table
        .filter(roster_entries::program_id.eq(program))
        .filter(roster_entries::external_id.eq_any(&ids))
        .select((
            roster_entries::external_id,
            roster_entries::content_hash,
            roster_entries::invite_id,
        ))
        .load(conn)?;
    let invite_ids: Vec<InviteId> = known.iter().filter_map(|(_, _, i)| *i).collect();
    let mut invites_now: HashMap<InviteId, CurrentInvite> = if invite_ids.is_empty() {
        HashMap::new()
    } else {
        invites::table
            .filter(invites::id.eq_any(&invite_ids))
            .select((
                invites::id,
                invites::email,
                invites::expires_at,
                invites::used_at,
            ))
            .load::<(InviteId, String, NaiveDateTime, Option<NaiveDateTime>)>(conn)?
            .into_iter()
            .map(|(id, email, expires_at, used_at)| {
                let invite = CurrentInvite {
                    id,
                    email,
                    expires_at,
                    accepted: used_at.is_some(),
                };
                (id, invite)
            })
            .collect()
    };
    let known: HashMap<String, (String, Option<CurrentInvite>)> = known
        .into_iter()
        .map(|(external_id, hash, invite)| {
            let invite = invite.and_then(|id| invites_now.remove(&id));
            (external_id, (hash, invite))
        })
        .collect();
    let mut steps = Vec::with_capacity(entries.len());
    for entry in entries {
        let step = match known.get(entry.external_id.as_str()) {
            None => Step::Invite {
                entry,
                known: false,
                replaces: None,
            },
            Some((hash, invite)) => {
                let unchanged = *hash == entry.content_hash().map_err(unencodable)?;
                match invite {
                    Some(invite) if invite.accepted && unchanged => Step::Unchanged,
                    Some(invite) if invite.accepted => Step::LeftToSponsor,
                    Some(invite)
                        if invite.expires_at > at && invite.email == entry.email.as_str() =>
                    {
                        if unchanged {
                            Step::Unchanged
                        } else {
                            Step::Refresh {
                                entry,
                                invite: invite.id,
                            }
                        }
                    }
                    waiting => Step::Invite {
                        entry,
                        known: true,
                        replaces: waiting.as_ref().map(|invite| invite.id),
                    },
                }
            }
        };
        steps.push(step);
    }
    let (rejected, superseded) = check_addresses(conn, program, &mut steps)?;
    Ok(Plan {
        steps,
        rejected,
        superseded,
    })
}

/// The addresses the new invites of `steps` go to.
fn new_addresses<'s>(steps: &'s [Step<'_>]) -> impl Iterator<Item = &'s str> {
    steps.iter().filter_map(|step| match step {
        Step::Invite { entry, .. } => Some(entry.email.as_str()),
        _ => None,
    })
}

/// An invite of the program to one of the addresses a batch invites.
struct InviteTo {
    id: InviteId,
    email: String,
    waiting: bool,
}

/// Looks at the addresses of the new invites in `steps`: takes out those of a user of
/// the program, or of another external id of its roster, saying why; and returns with
/// them the program's waiting invites to the others, which the new invites replace.
fn check_addresses(
    conn: &mut AnyConnection,
    program: ProgramId,
    steps: &mut Vec<Step<'_>>,
) -> Result<(Vec<Rejection>, Vec<InviteId>), StoreError> {
    let emails: Vec<&str> = new_addresses(steps).collect();
    if emails.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    // By address alone, each by its own index; the rows of other programs are few.
    let users: HashSet<String> = users::table
        .filter(users::email.eq_any(&emails))
        .select((users::email, users::program_id))
        .load::<(String, ProgramId)>(conn)?
        .into_iter()
        .filter_map(|(email, of)| (of == program).then_some(email))
        .collect();
    let invited: Vec<InviteTo> = invites::table
        .filter(invites::email.eq_any(&emails))
        .select((
            invites::id,
            invites::email,
            invites::program_id,
            invites::used_at.is_null(),
        ))
        .load::<(InviteId, String, ProgramId, bool)>(conn)?
        .into_iter()
        .filter_map(|(id, email, of, waiting)| {
            (of == program).then_some(InviteTo { id, email, waiting })
        })
        .collect();
    let on_roster: HashMap<InviteId, String> = if invited.is_empty() {
        HashMap::new()
    } else {
        let ids: Vec<InviteId> = invited.iter().map(|i| i.id).collect();
        roster_entries::table
            .filter(roster_entries::invite_id.assume_not_null().eq_any(&ids))
            .select((
                roster_entries::invite_id.assume_not_null(),
                roster_entries::external_id,
            ))
            .load::<(InviteId, String)>(conn)?
            .into_iter()
            .collect()
    };
    let mut rejected = Vec::new();
    steps.retain(|step| {
        let Step::Invite { entry, .. } = step else {
            return true;
        };
        let email = entry.email.as_str();
        let other = invited
            .iter()
            .filter(|invite| invite.email == email)
            .filter_map(|invite| on_roster.get(&invite.id))
            .find(|id| *id != entry.external_id.as_str());
        if users.contains(email) {
            rejected.push(Rejection::of(
                entry,
                "email",
                "conflict",
                "a user of this program has this email",
            ));
            false
        } else if let Some(other) = other {
            rejected.push(Rejection::of(
                entry,
                "email",
                "conflict",
                format!("external id {other} of this program's roster has this email"),
            ));
            false
        } else {
            true
        }
    });
    let kept: HashSet<&str> = new_addresses(steps).collect();
    let superseded = invited
        .into_iter()
        .filter(|invite| invite.waiting && kept.contains(invite.email.as_str()))
        .map(|invite| invite.id)
        .collect();
    Ok((rejected, superseded))
}

/// What applying `entries` would refuse, without writing: for an all-or-nothing import
/// to know before it writes anything. Run it in a transaction.
pub fn refusals(
    conn: &mut AnyConnection,
    program: ProgramId,
    entries: &[RosterEntry],
) -> Result<Vec<Rejection>, StoreError> {
    Ok(plan(conn, program, entries, now())?.rejected)
}

#[derive(Insertable)]
#[diesel(table_name = invites, treat_none_as_default_value = false)]
struct InviteRow {
    id: InviteId,
    program_id: ProgramId,
    email: String,
    display_name: String,
    role: Role,
    token_hash: String,
    created_by: Option<UserId>,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = roster_entries)]
struct EntryRow {
    program_id: ProgramId,
    external_id: String,
    invite_id: Option<InviteId>,
    content_hash: String,
    profile: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// Applies `entries` in the caller's write transaction: invites with their emails
/// through the outbox, the entries, and what changed since the last import. Rows the
/// database refuses (an address taken in the program) come back as rejections.
pub fn apply(
    conn: &mut AnyConnection,
    importer: &Importer,
    links: &LinkSigner,
    invites_expire: NaiveDateTime,
    entries: &[RosterEntry],
) -> Result<ImportReport, StoreError> {
    let program = importer.program();
    let at = now();
    let Plan {
        steps,
        rejected,
        mut superseded,
    } = plan(conn, program, entries, at)?;
    let mut report = ImportReport {
        rejected,
        ..ImportReport::default()
    };
    let mut invited = Vec::new();
    for step in steps {
        match step {
            Step::Unchanged => report.unchanged += 1,
            Step::LeftToSponsor => report.left_to_sponsor += 1,
            Step::Refresh { entry, invite } => {
                report.updated += 1;
                diesel::update(invites::table.find(invite))
                    .set(invites::display_name.eq(entry.display_name.as_str()))
                    .execute(conn)?;
                save_entry(conn, program, entry, invite, at)?;
            }
            Step::Invite {
                entry,
                known,
                replaces,
            } => {
                if known {
                    report.updated += 1;
                } else {
                    report.created += 1;
                }
                superseded.extend(replaces);
                invited.push((known, entry, InviteId::new()));
            }
        }
    }
    if invited.is_empty() {
        return Ok(report);
    }
    // One waiting invite per address in a program, as inviting through the API keeps it.
    if !superseded.is_empty() {
        diesel::delete(invites::table)
            .filter(invites::id.eq_any(&superseded))
            .filter(invites::used_at.is_null())
            .execute(conn)?;
    }
    let invite_rows: Vec<InviteRow> = invited
        .iter()
        .map(|(_, entry, invite)| InviteRow {
            id: *invite,
            program_id: program,
            email: entry.email.as_str().to_owned(),
            display_name: entry.display_name.as_str().to_owned(),
            role: Role::Sponsor,
            token_hash: links.invite_token_hash(*invite),
            created_by: importer.inviter(),
            created_at: at,
            expires_at: invites_expire,
        })
        .collect();
    insert_all!(conn, invites::table, &invite_rows)?;
    let mut new_entries = Vec::new();
    for (known, entry, invite) in &invited {
        if *known {
            save_entry(conn, program, entry, *invite, at)?;
        } else {
            new_entries.push(EntryRow {
                program_id: program,
                external_id: entry.external_id.as_str().to_owned(),
                invite_id: Some(*invite),
                content_hash: entry.content_hash().map_err(unencodable)?,
                profile: Some(entry.profile_json().map_err(unencodable)?),
                created_at: at,
                updated_at: at,
            });
        }
    }
    if !new_entries.is_empty() {
        insert_all!(conn, roster_entries::table, &new_entries)?;
    }
    let messages = invited
        .iter()
        .map(|(_, _, invite)| {
            let key = format!("{invite}:{}", MessageKind::SponsorInvite.as_str());
            (key, invite.to_string())
        })
        .collect();
    outbox::enqueue_unmatched(conn, program, MessageKind::SponsorInvite, messages)?;
    Ok(report)
}

/// Replaces a known entry's pending profile and names its invite.
fn save_entry(
    conn: &mut AnyConnection,
    program: ProgramId,
    entry: &RosterEntry,
    invite: InviteId,
    at: NaiveDateTime,
) -> Result<(), StoreError> {
    let key = (entry.external_id.as_str().to_owned(), program);
    diesel::update(roster_entries::table.find(key))
        .set((
            roster_entries::invite_id.eq(invite),
            roster_entries::content_hash.eq(entry.content_hash().map_err(unencodable)?),
            roster_entries::profile.eq(entry.profile_json().map_err(unencodable)?),
            roster_entries::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The import's one audit event: its counts, never a person.
pub fn record_import(
    conn: &mut AnyConnection,
    importer: &Importer,
    report: &ImportReport,
) -> Result<(), StoreError> {
    let counts = format!(
        "created={} updated={} unchanged={} left_to_sponsor={} rejected={}",
        report.created,
        report.updated,
        report.unchanged,
        report.left_to_sponsor,
        report.rejected_rows()
    );
    let (action, kind) = ("roster.import", RecordKind::Roster);
    match importer {
        Importer::Admin(actor) => audit::record(conn, actor, action, kind, &counts),
        Importer::Operator(program) => {
            audit::record_service(conn, *program, "import-sponsors", action, kind, &counts)
        }
    }
}

/// The profile imported with a roster invite, taken when the sponsor accepts it (in the
/// acceptance's transaction): the pending copy is forgotten.
pub fn take_pending_profile(
    conn: &mut AnyConnection,
    invite: InviteId,
) -> Result<Option<SponsorProfileInput>, StoreError> {
    let pending = roster_entries::table
        .filter(roster_entries::invite_id.eq(invite))
        .select(roster_entries::profile)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten();
    let Some(json) = pending else {
        return Ok(None);
    };
    diesel::update(roster_entries::table.filter(roster_entries::invite_id.eq(invite)))
        .set(roster_entries::profile.eq(None::<String>))
        .execute(conn)?;
    from_json("roster_entries.profile", &json).map(Some)
}
