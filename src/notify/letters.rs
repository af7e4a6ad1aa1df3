//! What each message says: its recipients, a subject and preview that never reveal
//! recovery or treatment, and plain-text and HTML bodies from the template files.
//! Pure: the caller gathers the facts; nothing here reads the database or the clock.

use super::MessageKind;
use crate::domain::check_in::{CheckInAnswer, CheckInParty};
use crate::domain::lifecycle::{Reason, ReasonCategory};

/// The notice 42 CFR 2.32 requires with each disclosure of a patient's record.
pub const REDISCLOSURE_NOTICE: &str = "This record which has been disclosed to you is \
protected by federal confidentiality rules (42 CFR part 2). These rules prohibit you from \
using or disclosing this record, or testimony that describes the information contained in \
this record, in any civil, criminal, administrative, or legislative proceedings by any \
Federal, State, or local authority, against the patient, unless authorized by the consent \
of the patient, except as provided at 42 CFR 2.12(c)(5) or as authorized by a court in \
accordance with 42 CFR 2.64 or 2.65. In addition, the Federal rules prohibit you from making \
any other use or disclosure of this record unless at least one of the following applies: \
(i) Further use or disclosure is expressly permitted by the written consent of the \
individual whose information is being disclosed in this record or as otherwise permitted by \
42 CFR part 2. (ii) You are a covered entity or business associate and have received the \
record for treatment, payment, or health care operations, or (iii) You have received the \
record from a covered entity or business associate as permitted by 45 CFR part 164, subparts \
A and E. A general authorization for the release of medical or other information is NOT \
sufficient to meet the required elements of written consent to further use or redisclose \
the record (see 42 CFR 2.31).";

/// The facts a message is written from.
#[derive(Debug, Clone, PartialEq)]
pub enum Letter {
    SponsorRequest {
        name: String,
        /// When the answer is due, as shown (UTC).
        answer_by: String,
        accept_url: String,
        decline_url: String,
    },
    Introduction {
        /// Whom it is for: the sponsor or the seeker.
        to_sponsor: bool,
        name: String,
        other_alias: String,
        other_email: Option<String>,
        other_phone: Option<String>,
    },
    Notice {
        expired: bool,
        reason: Option<Reason>,
    },
    CheckIn {
        to_sponsor: bool,
        name: String,
        other_alias: String,
        /// Days since the introduction: also tells the rounds' messages apart.
        day: u32,
        going_well_url: String,
        need_help_url: String,
        want_change_url: String,
    },
    SponsorInvite {
        /// The display name the program gave.
        name: String,
        program: String,
        accept_url: String,
        /// Until when the link works, as shown (UTC).
        expires_at: String,
    },
    PasswordReset {
        name: String,
        reset_url: String,
        /// How long the link works from when it was asked for.
        minutes: i64,
    },
}

/// A message ready for a transport.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The same for every attempt at the same message: receivers can drop repeats.
    pub message_id: String,
}

#[derive(Debug, thiserror::Error)]
#[error("template {template}: {source}")]
pub struct RenderError {
    template: String,
    source: minijinja::Error,
}

/// Steps the fellowships' own literature suggests for a new sponsorship.
const FIRST_STEPS_SEEKER: [&str; 4] = [
    "Reach out within a day or two; a short call or message is enough to start.",
    "Agree how and when you will talk: a regular time helps.",
    "Go to a meeting together if you both can.",
    "It is fine to take things slowly and to ask questions.",
];
const FIRST_STEPS_SPONSOR: [&str; 4] = [
    "Expect to hear from them soon; if you have not in a few days, reach out yourself.",
    "Agree how and when you will talk, and what they can expect from you.",
    "Share your experience, not advice on medication or treatment: that stays with their clinicians.",
    "Keep what they tell you to yourself.",
];

/// Renders `letter` as the message of `kind` about a record: its match, or for an
/// invite the invite (a password reset, the reset). `domain` names the sending domain,
/// for the Message-ID; every message that says "sign in" links to `sign_in_url`.
pub fn render(
    kind: MessageKind,
    about: uuid::Uuid,
    domain: &str,
    sign_in_url: &str,
    letter: &Letter,
) -> Result<Rendered, RenderError> {
    // Check-ins come in rounds; each round's message is its own.
    let message_id = match letter {
        Letter::CheckIn { day, .. } => format!("<{about}.{}.{day}@{domain}>", kind.as_str()),
        _ => format!("<{about}.{}@{domain}>", kind.as_str()),
    };
    let (template, subject, preview, vars) = match letter {
        Letter::SponsorRequest {
            name,
            answer_by,
            accept_url,
            decline_url,
        } => (
            "sponsor_request",
            "A request is waiting for your answer",
            "Please answer when you can.",
            minijinja::context! { name, answer_by, accept_url, decline_url },
        ),
        Letter::Introduction {
            to_sponsor,
            name,
            other_alias,
            other_email,
            other_phone,
        } => {
            let first_steps: &[&str] = if *to_sponsor {
                &FIRST_STEPS_SPONSOR
            } else {
                &FIRST_STEPS_SEEKER
            };
            (
                "introduction",
                "You have been introduced",
                "How to reach each other.",
                minijinja::context! {
                    name, other_alias, other_email, other_phone, first_steps,
                    notice => REDISCLOSURE_NOTICE,
                },
            )
        }
        Letter::Notice { expired, reason } => {
            let (subject, what) = if *expired {
                (
                    "A request expired without an answer",
                    "A request was not answered in time and has expired.",
                )
            } else {
                ("A request was declined", "A request was declined.")
            };
            let category = reason.map(|r| match r.category() {
                ReasonCategory::Safety => "safety",
                ReasonCategory::Fit => "fit",
                ReasonCategory::Service => "service",
            });
            (
                "notice",
                subject,
                "Something may need your attention.",
                minijinja::context! {
                    what, match_id => about.to_string(),
                    reason => reason.map(Reason::as_str), category,
                },
            )
        }
        Letter::CheckIn {
            to_sponsor,
            name,
            other_alias,
            day,
            going_well_url,
            need_help_url,
            want_change_url,
        } => {
            let want_change = if *to_sponsor {
                CheckInAnswer::WantChange.wording(CheckInParty::Sponsor)
            } else {
                CheckInAnswer::WantChange.wording(CheckInParty::Seeker)
            };
            (
                "check_in",
                "A quick question",
                "One click is enough to answer.",
                minijinja::context! {
                    name, other_alias, day, going_well_url, need_help_url, want_change_url,
                    going_well => CheckInAnswer::GoingWell.wording(CheckInParty::Seeker),
                    need_help => CheckInAnswer::NeedHelp.wording(CheckInParty::Seeker),
                    want_change,
                },
            )
        }
        Letter::SponsorInvite {
            name,
            program,
            accept_url,
            expires_at,
        } => (
            "sponsor_invite",
            "You are invited to create an account",
            "Choose a password to get started.",
            minijinja::context! { name, program, accept_url, expires_at },
        ),
        Letter::PasswordReset {
            name,
            reset_url,
            minutes,
        } => (
            "password_reset",
            "Choose a new password",
            "The link in this email works once.",
            minijinja::context! { name, reset_url, minutes },
        ),
    };
    let context = minijinja::context! { subject, preview, sign_in_url, ..vars };
    let render = |name: String| {
        crate::templates::render(&format!("email/{name}"), &context).map_err(|source| RenderError {
            template: name,
            source,
        })
    };
    Ok(Rendered {
        subject: subject.to_owned(),
        text: render(format!("{template}.txt"))?,
        html: render(format!("{template}.html"))?,
        message_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{InviteId, MatchId, PasswordResetId};

    const SIGN_IN: &str = "https://example.org/sign-in";

    /// Words a subject or preview must never carry: they would tell anyone glancing at
    /// an inbox that the person is in recovery or treatment.
    const REVEALING: [&str; 12] = [
        "recovery",
        "sponsor",
        "sobriety",
        "sober",
        "addiction",
        "treatment",
        "alcohol",
        "drug",
        "anonymous",
        "rehab",
        "mat",
        "relapse",
    ];

    fn letters() -> Vec<(MessageKind, Letter)> {
        vec![
            (
                MessageKind::SponsorRequest,
                Letter::SponsorRequest {
                    name: "Sam".into(),
                    answer_by: "2026-11-25 18:00".into(),
                    accept_url: "https://example.org/respond/a?x=<&>".into(),
                    decline_url: "https://example.org/respond/d".into(),
                },
            ),
            (
                MessageKind::IntroductionToSeeker,
                Letter::Introduction {
                    to_sponsor: false,
                    name: "Jo".into(),
                    other_alias: "Sam <script>".into(),
                    other_email: Some("sam@example.org".into()),
                    other_phone: None,
                },
            ),
            (
                MessageKind::DeclineNotice,
                Letter::Notice {
                    expired: false,
                    reason: Some(Reason::SafetyConcern),
                },
            ),
            (
                MessageKind::ExpiryNotice,
                Letter::Notice {
                    expired: true,
                    reason: None,
                },
            ),
            (
                MessageKind::CheckInToSeeker,
                Letter::CheckIn {
                    to_sponsor: false,
                    name: "Jo".into(),
                    other_alias: "Sam".into(),
                    day: 7,
                    going_well_url: "https://example.org/check-in/g".into(),
                    need_help_url: "https://example.org/check-in/h".into(),
                    want_change_url: "https://example.org/check-in/c".into(),
                },
            ),
            (
                MessageKind::SponsorInvite,
                Letter::SponsorInvite {
                    name: "Sam Rivera".into(),
                    program: "Riverside Treatment Center".into(),
                    accept_url: "https://example.org/invite/smi_x".into(),
                    expires_at: "2026-12-03 18:00".into(),
                },
            ),
            (
                MessageKind::PasswordReset,
                Letter::PasswordReset {
                    name: "Sam Rivera".into(),
                    reset_url: "https://example.org/reset-password/smr_x".into(),
                    minutes: 30,
                },
            ),
        ]
    }

    #[test]
    fn subjects_and_previews_reveal_nothing() {
        for (kind, letter) in letters() {
            let rendered = render(
                kind,
                MatchId::new().as_uuid(),
                "example.org",
                SIGN_IN,
                &letter,
            )
            .unwrap();
            let preview = rendered.text.lines().next().unwrap().to_lowercase();
            let subject = rendered.subject.to_lowercase();
            for word in REVEALING {
                let has = |text: &str| {
                    text.split(|c: char| !c.is_alphanumeric())
                        .any(|w| w == word)
                };
                assert!(!has(&subject), "{kind:?} subject says {word}");
                assert!(!has(&preview), "{kind:?} preview says {word}");
            }
            assert!(
                rendered
                    .html
                    .contains(&rendered.text.lines().next().unwrap().to_owned())
            );
        }
    }

    #[test]
    fn introductions_carry_the_contact_details_and_the_notice() {
        let (kind, letter) = letters().swap_remove(1);
        let rendered = render(
            kind,
            MatchId::new().as_uuid(),
            "example.org",
            SIGN_IN,
            &letter,
        )
        .unwrap();
        assert!(rendered.text.contains("sam@example.org"));
        assert!(rendered.text.contains("42 CFR part 2"));
        assert!(rendered.html.contains("42 CFR part 2"));
        assert!(!rendered.text.contains("Phone:"), "no phone was given");
        assert!(
            rendered.html.contains("Sam &lt;script&gt;"),
            "HTML is escaped"
        );
        assert!(rendered.text.contains("Sam <script>"), "text is not");
    }

    #[test]
    fn check_ins_carry_three_answers_and_rounds_have_their_own_message_ids() {
        let (kind, letter) = letters().swap_remove(4);
        let id = MatchId::new();
        let rendered = render(kind, id.as_uuid(), "example.org", SIGN_IN, &letter).unwrap();
        for url in ["check-in/g", "check-in/h", "check-in/c"] {
            assert!(rendered.text.contains(url), "{url} in {}", rendered.text);
        }
        assert_eq!(rendered.html.matches("<a href=").count(), 3);
        assert!(rendered.text.contains("a different sponsor"));
        assert_eq!(
            rendered.message_id,
            format!("<{id}.check_in_to_seeker.7@example.org>")
        );
    }

    #[test]
    fn message_ids_are_stable_per_match_and_kind() {
        let id = MatchId::new();
        let (kind, letter) = letters().swap_remove(0);
        let first = render(kind, id.as_uuid(), "example.org", SIGN_IN, &letter).unwrap();
        let again = render(kind, id.as_uuid(), "example.org", SIGN_IN, &letter).unwrap();
        assert_eq!(first.message_id, again.message_id);
        assert_eq!(
            first.message_id,
            format!("<{id}.sponsor_request@example.org>")
        );
        assert!(first.html.contains("x=&lt;&amp;&gt;"), "{}", first.html);
    }

    #[test]
    fn an_invite_carries_its_link_and_is_known_by_its_invite() {
        let (kind, letter) = letters().swap_remove(5);
        let invite = InviteId::new();
        let rendered = render(kind, invite.as_uuid(), "example.org", SIGN_IN, &letter).unwrap();
        assert!(rendered.text.contains("https://example.org/invite/smi_x"));
        assert!(rendered.html.contains("smi_x\">Create your account</a>"));
        assert!(
            rendered.text.contains("Riverside Treatment Center"),
            "in the body only"
        );
        assert_eq!(
            rendered.message_id,
            format!("<{invite}.sponsor_invite@example.org>")
        );
    }

    #[test]
    fn a_password_reset_carries_its_link_and_how_long_it_works() {
        let (kind, letter) = letters().swap_remove(6);
        let reset = PasswordResetId::new();
        let rendered = render(kind, reset.as_uuid(), "example.org", SIGN_IN, &letter).unwrap();
        let url = "https://example.org/reset-password/smr_x";
        assert!(rendered.text.contains(url) && rendered.html.contains(url));
        assert!(rendered.text.contains("30 minutes"));
        assert_eq!(
            rendered.message_id,
            format!("<{reset}.password_reset@example.org>")
        );
    }

    #[test]
    fn every_message_that_says_sign_in_links_to_the_sign_in_page() {
        for (kind, letter) in letters() {
            let rendered = render(
                kind,
                MatchId::new().as_uuid(),
                "example.org",
                SIGN_IN,
                &letter,
            )
            .unwrap();
            for body in [&rendered.text, &rendered.html] {
                if body.to_lowercase().contains("sign in") {
                    assert!(
                        body.contains(SIGN_IN),
                        "{kind:?} says sign in without the link"
                    );
                }
            }
        }
    }
}
