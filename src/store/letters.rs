//! What the outbox worker sends for a claimed message, gathered from the records as
//! they are at delivery: a match that moved on, a consent revoked, an invite or a
//! password reset used or replaced since the message was queued stops it here.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::outbox::Claimed;
use super::schema::{
    check_ins, invites, matches, password_resets, programs, seeker_contacts, seekers,
    sponsor_contacts, sponsor_profiles, users,
};
use super::seekers::consent_for;
use super::{AnyConnection, StoreError, now};
use crate::auth::{Role, UserStatus};
use crate::domain::check_in::{CheckInAnswer, CheckInParty, links_expire};
use crate::domain::consent::RecipientClass;
use crate::domain::ids::{
    CheckInId, ConsentId, InviteId, MatchId, PasswordResetId, ProgramId, SeekerId, UserId,
};
use crate::domain::lifecycle::{MatchState, Reason};
use crate::notify::MessageKind;
use crate::notify::letters::Letter;
use crate::notify::links::{CheckInClaim, LinkAction, LinkClaim, LinkSigner};

/// What to do with a claimed message.
#[derive(Debug, Clone, PartialEq)]
pub enum Composed {
    Send {
        to: Vec<String>,
        /// What the message is about, for its Message-ID: the match, or the invite.
        about: uuid::Uuid,
        letter: Letter,
        /// The consent under which the letter discloses the seeker's record (the
        /// introduction to the sponsor): logged once it is sent, when it happens.
        discloses: Option<ConsentId>,
    },
    /// A webhook: the event as queued, to the program's endpoint as it is now.
    Post {
        url: String,
        secret: String,
        body: String,
    },
    /// No longer wanted.
    Cancel(&'static str),
    /// Wanted but impossible, e.g. no address on record: for a program admin to see.
    Undeliverable(&'static str),
}

struct MatchFacts {
    id: MatchId,
    seeker: SeekerId,
    sponsor: UserId,
    program: ProgramId,
    state: MatchState,
    reason: Option<Reason>,
    answer_by: Option<NaiveDateTime>,
    version: i32,
}

/// The match a claimed message names (`id`, as claimed).
fn match_facts(conn: &mut AnyConnection, id: &str) -> Result<MatchFacts, StoreError> {
    #[allow(clippy::type_complexity)]
    let (id, seeker, sponsor, program, state, reason, answer_by, version): (
        MatchId,
        SeekerId,
        UserId,
        ProgramId,
        MatchState,
        Option<Reason>,
        Option<NaiveDateTime>,
        i32,
    ) = matches::table
        .find(id)
        .select((
            matches::id,
            matches::seeker_id,
            matches::sponsor_id,
            matches::program_id,
            matches::state,
            matches::reason,
            matches::answer_by,
            matches::version,
        ))
        .first(conn)?;
    Ok(MatchFacts {
        id,
        seeker,
        sponsor,
        program,
        state,
        reason,
        answer_by,
        version,
    })
}

pub fn compose(
    conn: &mut AnyConnection,
    message: &Claimed,
    links: &LinkSigner,
) -> Result<Composed, StoreError> {
    let kind = MessageKind::parse(&message.kind)
        .ok_or_else(|| StoreError::Corrupt("outbox_messages.kind".into()))?;
    match kind {
        MessageKind::Webhook => return webhook(conn, message),
        MessageKind::SponsorInvite => return invite(conn, message, links),
        MessageKind::PasswordReset => return password_reset(conn, message, links),
        _ => {}
    }
    let Some(match_id) = &message.match_id else {
        return Ok(Composed::Undeliverable("the message names no match"));
    };
    let m = match_facts(conn, match_id)?;
    match kind {
        MessageKind::SponsorRequest => sponsor_request(conn, &m, links),
        MessageKind::IntroductionToSponsor | MessageKind::IntroductionToSeeker => {
            introduction(conn, &m, kind == MessageKind::IntroductionToSponsor)
        }
        MessageKind::Webhook => webhook(conn, message),
        MessageKind::SponsorInvite => invite(conn, message, links),
        MessageKind::PasswordReset => password_reset(conn, message, links),
        MessageKind::CheckInToSeeker | MessageKind::CheckInToSponsor => {
            check_in(conn, &m, message, links)
        }
        MessageKind::DeclineNotice | MessageKind::ExpiryNotice => {
            let to = staff_addresses(conn, m.program)?;
            if to.is_empty() {
                return Ok(Composed::Undeliverable("the program has no active staff"));
            }
            Ok(Composed::Send {
                to,
                about: m.id.as_uuid(),
                letter: Letter::Notice {
                    expired: kind == MessageKind::ExpiryNotice,
                    reason: m.reason,
                },
                discloses: None,
            })
        }
    }
}

fn webhook(conn: &mut AnyConnection, message: &Claimed) -> Result<Composed, StoreError> {
    let Some(body) = message.payload.clone() else {
        return Ok(Composed::Undeliverable("the webhook has no event"));
    };
    Ok(match super::webhooks::target(conn, &message.program_id)? {
        Some((url, secret)) => Composed::Post { url, secret, body },
        None => Composed::Cancel("the program no longer has a webhook"),
    })
}

/// An invite of a roster import, while it can still be accepted.
fn invite(
    conn: &mut AnyConnection,
    message: &Claimed,
    links: &LinkSigner,
) -> Result<Composed, StoreError> {
    let Some(id) = message.payload.as_deref() else {
        return Ok(Composed::Undeliverable("the message names no invite"));
    };
    let found = invites::table
        .inner_join(programs::table)
        .filter(invites::id.eq(id))
        .select((
            invites::id,
            invites::email,
            invites::display_name,
            invites::expires_at,
            invites::used_at,
            programs::name,
        ))
        .first::<(
            InviteId,
            String,
            String,
            NaiveDateTime,
            Option<NaiveDateTime>,
            String,
        )>(conn)
        .optional()?;
    let Some((invite, email, name, expires_at, used_at, program)) = found else {
        return Ok(Composed::Cancel("the invite was replaced"));
    };
    if used_at.is_some() {
        return Ok(Composed::Cancel("the invite was accepted"));
    }
    if expires_at <= now() {
        return Ok(Composed::Cancel("the invite has expired"));
    }
    Ok(Composed::Send {
        to: vec![email],
        about: invite.as_uuid(),
        letter: Letter::SponsorInvite {
            name,
            program,
            accept_url: links.invite_url(invite),
            expires_at: expires_at.format("%Y-%m-%d %H:%M").to_string(),
        },
        discloses: None,
    })
}

/// A link to choose a new password, while it can be used by an active account.
fn password_reset(
    conn: &mut AnyConnection,
    message: &Claimed,
    links: &LinkSigner,
) -> Result<Composed, StoreError> {
    let Some(id) = message.payload.as_deref() else {
        return Ok(Composed::Undeliverable(
            "the message names no password reset",
        ));
    };
    let found = password_resets::table
        .inner_join(users::table)
        .filter(password_resets::id.eq(id))
        .select((
            password_resets::id,
            password_resets::created_at,
            password_resets::expires_at,
            password_resets::used_at,
            users::email,
            users::display_name,
            users::status,
        ))
        .first::<(
            PasswordResetId,
            NaiveDateTime,
            NaiveDateTime,
            Option<NaiveDateTime>,
            String,
            String,
            UserStatus,
        )>(conn)
        .optional()?;
    let Some((reset, created_at, expires_at, used_at, email, name, status)) = found else {
        return Ok(Composed::Cancel("the link was replaced"));
    };
    if used_at.is_some() {
        return Ok(Composed::Cancel("the link was used"));
    }
    if expires_at <= now() {
        return Ok(Composed::Cancel("the link has expired"));
    }
    if status != UserStatus::Active {
        return Ok(Composed::Cancel("the account is disabled"));
    }
    Ok(Composed::Send {
        to: vec![email],
        about: reset.as_uuid(),
        letter: Letter::PasswordReset {
            name,
            reset_url: links.reset_url(reset),
            minutes: (expires_at - created_at).num_minutes(),
        },
        discloses: None,
    })
}

fn sponsor_request(
    conn: &mut AnyConnection,
    m: &MatchFacts,
    links: &LinkSigner,
) -> Result<Composed, StoreError> {
    if m.state != MatchState::AwaitingSponsor {
        return Ok(Composed::Cancel(
            "the request is no longer waiting for the sponsor",
        ));
    }
    if consent_for(conn, m.seeker, RecipientClass::CandidateSponsors)?.is_none() {
        return Ok(Composed::Cancel(
            "the seeker's consent is no longer in force",
        ));
    }
    let Some(answer_by) = m.answer_by else {
        return Ok(Composed::Cancel("the request has no answer time"));
    };
    let (email, alias) = users::table
        .inner_join(sponsor_profiles::table)
        .filter(users::id.eq(m.sponsor))
        .select((users::email, sponsor_profiles::alias))
        .first::<(String, String)>(conn)?;
    let link = |action| {
        links.url(&LinkClaim {
            match_id: m.id,
            action,
            version: m.version,
            expires: answer_by.and_utc(),
        })
    };
    Ok(Composed::Send {
        to: vec![email],
        about: m.id.as_uuid(),
        letter: Letter::SponsorRequest {
            name: alias,
            answer_by: answer_by.format("%Y-%m-%d %H:%M").to_string(),
            accept_url: link(LinkAction::Accept),
            decline_url: link(LinkAction::Decline),
        },
        discloses: None,
    })
}

fn introduction(
    conn: &mut AnyConnection,
    m: &MatchFacts,
    to_sponsor: bool,
) -> Result<Composed, StoreError> {
    if !m.state.is_under_way() {
        return Ok(Composed::Cancel("the match is not introduced"));
    }
    let Some(consent) = consent_for(conn, m.seeker, RecipientClass::MatchedSponsor)? else {
        return Ok(Composed::Cancel(
            "the seeker's consent to share contact details is no longer in force",
        ));
    };
    let (sponsor_account, sponsor_alias) = users::table
        .inner_join(sponsor_profiles::table)
        .filter(users::id.eq(m.sponsor))
        .select((users::email, sponsor_profiles::alias))
        .first::<(String, String)>(conn)?;
    let (sponsor_email, sponsor_phone) = sponsor_contacts::table
        .find(m.sponsor)
        .select((sponsor_contacts::email, sponsor_contacts::phone))
        .first::<(Option<String>, Option<String>)>(conn)?;
    let seeker_alias = seekers::table
        .find(m.seeker)
        .select(seekers::alias)
        .first::<String>(conn)?;
    let (seeker_email, seeker_phone) = seeker_contacts::table
        .find(m.seeker)
        .select((seeker_contacts::email, seeker_contacts::phone))
        .first::<(Option<String>, Option<String>)>(conn)?;
    Ok(if to_sponsor {
        Composed::Send {
            to: vec![sponsor_account],
            about: m.id.as_uuid(),
            letter: Letter::Introduction {
                to_sponsor,
                name: sponsor_alias,
                other_alias: seeker_alias,
                other_email: seeker_email,
                other_phone: seeker_phone,
            },
            discloses: Some(consent),
        }
    } else {
        let Some(address) = seeker_email else {
            return Ok(Composed::Undeliverable(
                "the seeker has no email address on record",
            ));
        };
        if sponsor_email.is_none() && sponsor_phone.is_none() {
            return Ok(Composed::Undeliverable(
                "the sponsor has no contact details to share",
            ));
        }
        Composed::Send {
            to: vec![address],
            about: m.id.as_uuid(),
            letter: Letter::Introduction {
                to_sponsor,
                name: seeker_alias,
                other_alias: sponsor_alias,
                other_email: sponsor_email,
                other_phone: sponsor_phone,
            },
            discloses: None,
        }
    })
}

fn check_in(
    conn: &mut AnyConnection,
    m: &MatchFacts,
    message: &Claimed,
    links: &LinkSigner,
) -> Result<Composed, StoreError> {
    if !m.state.is_under_way() {
        return Ok(Composed::Cancel("the match is no longer under way"));
    }
    let Some(id) = message.payload.as_deref() else {
        return Ok(Composed::Undeliverable("the message names no check-in"));
    };
    let (check_in, party, day, sent_at, answer) = check_ins::table
        .find(id)
        .select((
            check_ins::id,
            check_ins::party,
            check_ins::day,
            check_ins::sent_at,
            check_ins::answer,
        ))
        .first::<(
            CheckInId,
            CheckInParty,
            i32,
            NaiveDateTime,
            Option<CheckInAnswer>,
        )>(conn)?;
    if answer.is_some() {
        return Ok(Composed::Cancel("the check-in is already answered"));
    }
    let to_sponsor = party == CheckInParty::Sponsor;
    let (sponsor_email, sponsor_alias) = users::table
        .inner_join(sponsor_profiles::table)
        .filter(users::id.eq(m.sponsor))
        .select((users::email, sponsor_profiles::alias))
        .first::<(String, String)>(conn)?;
    let seeker_alias = seekers::table
        .find(m.seeker)
        .select(seekers::alias)
        .first::<String>(conn)?;
    let (to, name, other_alias) = if to_sponsor {
        (sponsor_email, sponsor_alias, seeker_alias)
    } else {
        let seeker_email = seeker_contacts::table
            .find(m.seeker)
            .select(seeker_contacts::email)
            .first::<Option<String>>(conn)
            .optional()?
            .flatten();
        let Some(address) = seeker_email else {
            return Ok(Composed::Undeliverable(
                "the seeker has no email address on record",
            ));
        };
        (address, seeker_alias, sponsor_alias)
    };
    let expires = links_expire(sent_at).and_utc();
    let link = |answer| {
        links.check_in_url(&CheckInClaim {
            check_in,
            answer,
            expires,
        })
    };
    Ok(Composed::Send {
        to: vec![to],
        about: m.id.as_uuid(),
        letter: Letter::CheckIn {
            to_sponsor,
            name,
            other_alias,
            day: u32::try_from(day).map_err(|_| StoreError::Corrupt("check_ins.day".into()))?,
            going_well_url: link(CheckInAnswer::GoingWell),
            need_help_url: link(CheckInAnswer::NeedHelp),
            want_change_url: link(CheckInAnswer::WantChange),
        },
        discloses: None,
    })
}

/// The program's active case managers, or its admins when it has none.
fn staff_addresses(
    conn: &mut AnyConnection,
    program: ProgramId,
) -> Result<Vec<String>, StoreError> {
    for role in [Role::CaseManager, Role::ProgramAdmin] {
        let addresses = users::table
            .filter(users::program_id.eq(program))
            .filter(users::role.eq(role))
            .filter(users::status.eq(UserStatus::Active))
            .order(users::id.asc())
            .select(users::email)
            .load::<String>(conn)?;
        if !addresses.is_empty() {
            return Ok(addresses);
        }
    }
    Ok(Vec::new())
}
