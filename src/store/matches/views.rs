//! Read models for people: one match with its history, a seeker's matches and
//! disclosures, the requests a sponsor sees, and the request behind an emailed link.

use super::*;
use crate::store::Writer;

/// A request as its sponsor sees it: only what the seeker consented to disclose.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SponsorRequest {
    pub id: MatchId,
    pub state: MatchState,
    pub answer_by: Option<DateTime<Utc>>,
    pub seeker: SeekerSummaryForSponsor,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct SeekerSummaryForSponsor {
    pub alias: Option<String>,
    pub fellowships: Option<Vec<Fellowship>>,
    pub languages: Option<Vec<String>>,
    pub needs: Option<Vec<crate::domain::values::Attribute>>,
    /// Hours a week both are free.
    pub shared_hours: Option<u32>,
    /// How far apart they are, as a band; only when they could meet in person.
    pub distance_band: Option<DistanceBand>,
}

/// Every disclosure of a seeker's record through matching: what went to whom, when,
/// under which consent, so the program can answer the person's request for that list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DisclosureRecord {
    pub match_id: MatchId,
    /// The sponsor who received it.
    pub recipient_id: UserId,
    pub items: Vec<DisclosedItem>,
    pub purpose: String,
    pub consent_id: Option<ConsentId>,
    pub disclosed_at: DateTime<Utc>,
}

pub fn disclosures(
    conn: &mut AnyConnection,
    actor: &Actor,
    seeker: SeekerId,
) -> Result<Vec<DisclosureRecord>, StoreError> {
    ensure_seeker(conn, actor.principal.program_id(), seeker)?;
    if actor.principal.is_person() {
        audit::record(
            conn,
            actor,
            "seeker.disclosures",
            RecordKind::Seeker,
            &seeker.to_string(),
        )?;
    }
    disclosures::table
        .filter(disclosures::seeker_id.eq(seeker))
        .order(disclosures::id.asc())
        .select((
            disclosures::match_id,
            disclosures::recipient_id,
            disclosures::items,
            disclosures::purpose,
            disclosures::consent_id,
            disclosures::disclosed_at,
        ))
        .load::<(
            MatchId,
            UserId,
            String,
            String,
            Option<ConsentId>,
            NaiveDateTime,
        )>(conn)?
        .into_iter()
        .map(|(match_id, recipient_id, items, purpose, consent_id, at)| {
            Ok(DisclosureRecord {
                match_id,
                recipient_id,
                items: from_json("disclosures.items", &items)?,
                purpose,
                consent_id,
                disclosed_at: at.and_utc(),
            })
        })
        .collect()
}

/// One match of the caller's program, or addressed to the calling sponsor. Reads by
/// people are audited.
pub fn read(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: MatchId,
) -> Result<MatchRecord, StoreError> {
    let row = load_row(conn, id, Some(By::Caller(actor)))?;
    let program = row.program_id;
    if actor.principal.is_person() {
        audit::record_in(
            conn,
            actor,
            program,
            "match.read",
            RecordKind::Match,
            &row.id.to_string(),
        )?;
    }
    let history = history(conn, &[row.id])?;
    record(row, history.into_iter().map(|(_, t)| t).collect())
}

/// Every match of a seeker of the caller's program, newest first, with their histories.
pub fn seeker_history(
    conn: &mut AnyConnection,
    actor: &Actor,
    seeker: SeekerId,
) -> Result<Vec<MatchRecord>, StoreError> {
    ensure_seeker(conn, actor.principal.program_id(), seeker)?;
    let rows = matches::table
        .filter(matches::seeker_id.eq(seeker))
        .order(matches::id.desc())
        .select(MatchRow::as_select())
        .load::<MatchRow>(conn)?;
    if actor.principal.is_person() {
        audit::record(
            conn,
            actor,
            "seeker.matches",
            RecordKind::Seeker,
            &seeker.to_string(),
        )?;
    }
    let ids: Vec<MatchId> = rows.iter().map(|r| r.id).collect();
    let mut steps: HashMap<MatchId, Vec<TransitionRecord>> = HashMap::new();
    for (match_id, step) in history(conn, &ids)? {
        steps.entry(match_id).or_default().push(step);
    }
    rows.into_iter()
        .map(|row| {
            let mine = steps.remove(&row.id).unwrap_or_default();
            record(row, mine)
        })
        .collect()
}

/// The requests that reached the calling sponsor, newest first, whatever became of them.
/// Requests still under review, or stopped before they reached the sponsor, are not
/// theirs to see. Three statements whatever the page's length: the requests with their
/// seekers, what was disclosed to the sponsor over the page's range of ids, the audit
/// events.
pub fn sponsor_requests(
    conn: &mut AnyConnection,
    writer: &Writer,
    actor: &Actor,
    sponsor: UserId,
    page: PageRequest,
) -> Result<Vec<SponsorRequest>, StoreError> {
    requests_of(conn, writer, actor, sponsor, page, None)
}

/// One request addressed to the sponsor, as their list shows it.
pub fn sponsor_request(
    conn: &mut AnyConnection,
    writer: &Writer,
    actor: &Actor,
    sponsor: UserId,
    id: MatchId,
) -> Result<SponsorRequest, StoreError> {
    // A page of one, plus the row that would say whether another follows.
    let page = PageRequest {
        limit: 2,
        after: None,
    };
    requests_of(conn, writer, actor, sponsor, page, Some(id))?
        .into_iter()
        .next()
        .ok_or(StoreError::NotFound)
}

fn requests_of(
    conn: &mut AnyConnection,
    writer: &Writer,
    actor: &Actor,
    sponsor: UserId,
    page: PageRequest,
    only: Option<MatchId>,
) -> Result<Vec<SponsorRequest>, StoreError> {
    let reached = disclosures::table
        .filter(disclosures::recipient_id.eq(sponsor))
        .select(disclosures::match_id);
    let mut query = matches::table
        .inner_join(seekers::table)
        .filter(matches::sponsor_id.eq(sponsor))
        .filter(matches::id.eq_any(reached))
        .select((MatchRow::as_select(), DisclosableSeeker::as_select()))
        .order(matches::id.desc())
        .limit(page.limit)
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(matches::id.lt(MatchId::from(after)));
    }
    if let Some(id) = only {
        query = query.filter(matches::id.eq(id));
    }
    let rows = query.load::<(MatchRow, DisclosableSeeker)>(conn)?;
    let (Some((newest, _)), Some((oldest, _))) = (rows.first(), rows.last()) else {
        return Ok(Vec::new());
    };
    // The page is every request of the sponsor between its oldest and newest id, so
    // that range names its disclosures without a list of ids.
    let mut disclosed: HashMap<MatchId, Vec<DisclosedItem>> = HashMap::new();
    for (match_id, text) in disclosures::table
        .filter(disclosures::recipient_id.eq(sponsor))
        .filter(disclosures::match_id.between(oldest.id, newest.id))
        .select((disclosures::match_id, disclosures::items))
        .load::<(MatchId, String)>(conn)?
    {
        disclosed
            .entry(match_id)
            .or_default()
            .extend(from_json::<Vec<DisclosedItem>>("disclosures.items", &text)?);
    }
    // The row past the page only tells whether another page follows: nobody sees it.
    let shown = usize::try_from(page.limit - 1).unwrap_or_default();
    let read: Vec<(ProgramId, String)> = rows
        .iter()
        .take(shown)
        .map(|(row, _)| (row.program_id, row.id.to_string()))
        .collect();
    writer.audit_read_in(conn, actor, "match.read", RecordKind::Match, read)?;
    rows.into_iter()
        .map(|(row, seeker)| {
            let items = disclosed.remove(&row.id).unwrap_or_default();
            Ok(SponsorRequest {
                id: row.id,
                state: row.state,
                answer_by: row.answer_by.map(|t| t.and_utc()),
                created_at: row.created_at.and_utc(),
                seeker: summary(&row, &items, seeker)?,
            })
        })
        .collect()
}

/// The seeker's fields a sponsor may be shown, if disclosed.
#[derive(Queryable, Selectable)]
#[diesel(table_name = seekers)]
struct DisclosableSeeker {
    alias: String,
    fellowships: String,
    languages: String,
    needs: String,
}

/// What was disclosed to the sponsor about the seeker, as they may see it now.
fn summary_for_sponsor(
    conn: &mut AnyConnection,
    row: &MatchRow,
) -> Result<SeekerSummaryForSponsor, StoreError> {
    let disclosed = disclosures::table
        .filter(disclosures::match_id.eq(row.id))
        .filter(disclosures::recipient_id.eq(row.sponsor_id))
        .select(disclosures::items)
        .load::<String>(conn)?;
    let mut items = Vec::new();
    for text in disclosed {
        items.extend(from_json::<Vec<DisclosedItem>>("disclosures.items", &text)?);
    }
    let seeker = seekers::table
        .find(row.seeker_id)
        .select(DisclosableSeeker::as_select())
        .first(conn)?;
    summary(row, &items, seeker)
}

/// The seeker's summary from the items disclosed to the match's sponsor.
fn summary(
    row: &MatchRow,
    items: &[DisclosedItem],
    seeker: DisclosableSeeker,
) -> Result<SeekerSummaryForSponsor, StoreError> {
    let has = |item| items.contains(&item);
    let breakdown: Explanation = from_json("matches.breakdown", &row.breakdown)?;
    let mut summary = SeekerSummaryForSponsor {
        alias: has(DisclosedItem::Alias).then_some(seeker.alias),
        fellowships: has(DisclosedItem::Fellowships)
            .then(|| from_json("seekers.fellowships", &seeker.fellowships))
            .transpose()?,
        languages: has(DisclosedItem::Languages)
            .then(|| from_json("seekers.languages", &seeker.languages))
            .transpose()?,
        needs: has(DisclosedItem::Needs)
            .then(|| from_json("seekers.needs", &seeker.needs))
            .transpose()?,
        ..SeekerSummaryForSponsor::default()
    };
    for component in breakdown.components {
        match component {
            Component::Availability { shared_hours, .. } if has(DisclosedItem::Availability) => {
                summary.shared_hours = Some(shared_hours);
            }
            Component::Distance { band, .. } if has(DisclosedItem::MeetingArea) => {
                summary.distance_band = band;
            }
            _ => {}
        }
    }
    Ok(summary)
}

/// Someone the sponsor sponsors now: who, since when, and how to reach them once the
/// introduction has disclosed it.
#[derive(Debug, Clone, Serialize)]
pub struct Sponsee {
    pub id: MatchId,
    pub state: MatchState,
    /// The name they go by; the introduction gave it.
    pub alias: String,
    /// Their contact details, once the introduction disclosed them to this sponsor.
    pub contact: Option<SponseeContact>,
    pub since: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SponseeContact {
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// The sponsor's matches under way (introduced or active), newest first; each read on
/// the trail of the program whose match it is. A sponsor holds at most their capacity
/// (at most 50) of them, so there is no paging.
pub fn sponsees(
    conn: &mut AnyConnection,
    writer: &Writer,
    actor: &Actor,
    sponsor: UserId,
) -> Result<Vec<Sponsee>, StoreError> {
    let under_way = [MatchState::Introduced, MatchState::Active];
    let rows = matches::table
        .inner_join(seekers::table)
        .filter(matches::sponsor_id.eq(sponsor))
        .filter(matches::state.eq_any(under_way))
        .order(matches::id.desc())
        .select((
            matches::id,
            matches::program_id,
            matches::seeker_id,
            matches::state,
            seekers::alias,
            matches::updated_at,
        ))
        .load::<(
            MatchId,
            ProgramId,
            SeekerId,
            MatchState,
            String,
            NaiveDateTime,
        )>(conn)?;
    let ids: Vec<MatchId> = rows.iter().map(|r| r.0).collect();
    let mut introduced: HashSet<MatchId> = HashSet::new();
    for (match_id, text) in disclosures::table
        .filter(disclosures::recipient_id.eq(sponsor))
        .filter(disclosures::match_id.eq_any(&ids))
        .select((disclosures::match_id, disclosures::items))
        .load::<(MatchId, String)>(conn)?
    {
        let items: Vec<DisclosedItem> = from_json("disclosures.items", &text)?;
        if items.contains(&DisclosedItem::ContactDetails) {
            introduced.insert(match_id);
        }
    }
    let seekers: Vec<SeekerId> = rows.iter().map(|r| r.2).collect();
    let contacts: HashMap<SeekerId, SponseeContact> = seeker_contacts::table
        .filter(seeker_contacts::seeker_id.eq_any(&seekers))
        .select((
            seeker_contacts::seeker_id,
            seeker_contacts::email,
            seeker_contacts::phone,
        ))
        .load::<(SeekerId, Option<String>, Option<String>)>(conn)?
        .into_iter()
        .map(|(id, email, phone)| (id, SponseeContact { email, phone }))
        .collect();
    let read: Vec<(ProgramId, String)> = rows
        .iter()
        .map(|(id, program, ..)| (*program, id.to_string()))
        .collect();
    writer.audit_read_in(conn, actor, "match.read", RecordKind::Match, read)?;
    Ok(rows
        .into_iter()
        .map(|(id, _, seeker, state, alias, since)| Sponsee {
            id,
            state,
            alias,
            contact: introduced
                .contains(&id)
                .then(|| contacts.get(&seeker).cloned())
                .flatten(),
            since: since.and_utc(),
        })
        .collect())
}

/// A request as its email link shows it: enough to decide, and who would answer.
#[derive(Debug, Clone)]
pub struct LinkedRequest {
    /// The program whose request it is.
    pub program: ProgramId,
    pub state: MatchState,
    pub version: i32,
    pub answer_by: Option<DateTime<Utc>>,
    /// The sponsor as the caller the link stands for; `None` when the account is disabled.
    pub sponsor: Option<Principal>,
    pub seeker: SeekerSummaryForSponsor,
}

pub fn linked_request(conn: &mut AnyConnection, id: MatchId) -> Result<LinkedRequest, StoreError> {
    let row = load_row(conn, id, None)?;
    let (program, status) = crate::store::schema::users::table
        .find(row.sponsor_id)
        .select((
            crate::store::schema::users::program_id,
            crate::store::schema::users::status,
        ))
        .first::<(ProgramId, UserStatus)>(conn)?;
    let sponsor = (status == UserStatus::Active).then_some(Principal::User {
        id: row.sponsor_id,
        program_id: program,
        role: Role::Sponsor,
    });
    Ok(LinkedRequest {
        program: row.program_id,
        state: row.state,
        version: row.version,
        answer_by: row.answer_by.map(|t| t.and_utc()),
        sponsor,
        seeker: summary_for_sponsor(conn, &row)?,
    })
}
