//! `demo-data`: a program filled with synthetic sponsors and seekers for a tour of the
//! service, through the same store functions the API uses.

use chrono::Utc;

use crate::auth::credentials::{NewPassword, random_token};
use crate::auth::{Principal, Role};
use crate::domain::consent::{Consent, ConsentInput, DisclosedItem, RecipientClass};
use crate::domain::ids::ProgramId;
use crate::domain::seeker::SeekerProfile;
use crate::domain::sponsor::SponsorProfile;
use crate::matching::population::Population;
use crate::service::roster::progress_bar;
use crate::store::audit::Actor;
use crate::store::{Db, StoreError, accounts, seekers, sponsors, write_transaction};

pub struct DemoSummary {
    pub program: ProgramId,
    pub admin_email: String,
    pub password: String,
}

/// Sponsors are written in batches, one transaction each.
const BATCH: usize = 500;

pub async fn fill(
    db: &Db,
    sponsors: usize,
    seekers: usize,
    seed: u64,
) -> anyhow::Result<DemoSummary> {
    let password = random_token("");
    // One hash for every demo account: argon2 is slow on purpose.
    let hash = NewPassword::parse(password.clone())
        .map_err(|e| anyhow::anyhow!(e.message))?
        .hash();
    let admin_email = format!("admin-{seed}@demo.example.org");
    let (email, admin_hash) = (admin_email.clone(), hash.clone());
    let (program, admin) = db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                accounts::create_program_with_admin(
                    conn,
                    "demo-data",
                    "Demo Program",
                    &email,
                    "Demo Admin",
                    admin_hash,
                )
            })
        })
        .await?;
    let today = Utc::now().date_naive();
    let max_capacity = 5;
    let mut population = Population::new(seed, today);

    let bar = progress_bar((sponsors + seekers) as u64, "sponsors");
    let mut made = 0;
    while made < sponsors {
        let count = BATCH.min(sponsors - made);
        let batch: Vec<_> = (0..count).map(|_| population.sponsor()).collect();
        let hash = hash.clone();
        db.run(move |conn| {
            write_transaction(conn, |conn| {
                for synthetic in batch {
                    let email = format!("sponsor-{}@demo.example.org", synthetic.id.simple());
                    let alias = synthetic.profile.alias.clone();
                    let (profile, contact) =
                        SponsorProfile::parse(synthetic.profile, today, max_capacity)
                            .map_err(|e| StoreError::Corrupt(format!("generated sponsor: {e}")))?;
                    let user = accounts::create_user(
                        conn,
                        program,
                        &email,
                        &alias,
                        Role::Sponsor,
                        hash.clone(),
                    )?;
                    let actor = Actor {
                        principal: Principal::User {
                            id: user.id,
                            program_id: program,
                            role: Role::Sponsor,
                        },
                        request_id: "demo-data".into(),
                    };
                    sponsors::save_profile(conn, &actor, user.id, &profile, &contact, None)?;
                }
                Ok(())
            })
        })
        .await?;
        made += count;
        bar.inc(count as u64);
    }

    bar.set_message("seekers");
    let staff = Actor {
        principal: Principal::User {
            id: admin.id,
            program_id: program,
            role: Role::ProgramAdmin,
        },
        request_id: "demo-data".into(),
    };
    let inputs: Vec<_> = (0..seekers).map(|_| population.seeker()).collect();
    db.run(move |conn| {
        write_transaction(conn, |conn| {
            let now = Utc::now();
            for input in inputs {
                let alias = input.alias.clone();
                let (profile, contact) = SeekerProfile::parse(input, today)
                    .map_err(|e| StoreError::Corrupt(format!("generated seeker: {e}")))?;
                let seeker = seekers::create(conn, &staff, &profile, &contact)?;
                let consent = Consent::parse(
                    ConsentInput {
                        discloser: "Demo Program".into(),
                        recipient_class: RecipientClass::CandidateSponsors,
                        information: vec![
                            DisclosedItem::Alias,
                            DisclosedItem::Fellowships,
                            DisclosedItem::Needs,
                        ],
                        purpose: "To find a peer sponsor in recovery".into(),
                        signed_by: alias,
                        signed_at: now,
                        expires_at: now + chrono::Duration::days(180),
                        revocation_instructions: "Tell your case manager.".into(),
                    },
                    now,
                )
                .map_err(|e| StoreError::Corrupt(format!("generated consent: {e}")))?;
                seekers::record_consent(conn, &staff, seeker.id, &consent)?;
            }
            Ok(())
        })
    })
    .await?;
    bar.inc(seekers as u64);
    bar.finish_with_message("done");
    Ok(DemoSummary {
        program,
        admin_email,
        password,
    })
}
