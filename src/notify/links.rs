//! Signed links in emails, so a sponsor can answer a request, and either side a
//! check-in, without logging in; and the tokens of invites sent by email.
//!
//! A link names the match, the action, the match's version and an expiry, signed with
//! HMAC-SHA256 under the deployment's token signing key. It works once: any step of the
//! match changes its version, after which every link for it is dead.
//!
//! An emailed invite's token is an HMAC of the invite's id under the same key: the
//! database keeps only its SHA-256, as for any invite, and the worker that writes the
//! email later derives the token again. A password reset's token is made the same way
//! from the reset's id, under a label of its own.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;

use crate::auth::credentials::{INVITE_TOKEN_PREFIX, RESET_TOKEN_PREFIX, sha256_hex};
use crate::config::{Secrets, Settings};
use crate::domain::check_in::CheckInAnswer;
use crate::domain::ids::{CheckInId, InviteId, MatchId, PasswordResetId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkAction {
    Accept,
    Decline,
}

impl LinkAction {
    fn byte(self) -> u8 {
        match self {
            LinkAction::Accept => b'a',
            LinkAction::Decline => b'd',
        }
    }
}

/// What a link lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkClaim {
    pub match_id: MatchId,
    pub action: LinkAction,
    /// The match's version when the link was made.
    pub version: i32,
    pub expires: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link is not valid")]
    Invalid,
    #[error("the link has expired")]
    Expired,
}

const PAYLOAD: usize = 16 + 1 + 4 + 8;
const TAG: usize = 32;

/// Each kind of link is signed under its own label, so one can never pass for another.
const REQUEST_LINK: &[u8] = b"sponsor-match link v1";
const CHECK_IN_LINK: &[u8] = b"sponsor-match check-in v1";
const INVITE_TOKEN: &[u8] = b"sponsor-match invite v1";
const RESET_TOKEN: &[u8] = b"sponsor-match password reset v1";

fn tag(key: &[u8], label: &[u8], payload: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(label);
    mac.update(payload);
    mac
}

/// A link's signed fields: a record's id, a byte naming what to do, a number, an expiry.
struct Sealed {
    id: uuid::Uuid,
    what: u8,
    number: i32,
    expires: DateTime<Utc>,
}

fn seal(key: &[u8], label: &[u8], sealed: &Sealed) -> String {
    let mut bytes = Vec::with_capacity(PAYLOAD + TAG);
    bytes.extend_from_slice(sealed.id.as_bytes());
    bytes.push(sealed.what);
    bytes.extend_from_slice(&sealed.number.to_be_bytes());
    bytes.extend_from_slice(&sealed.expires.timestamp().to_be_bytes());
    let mac = tag(key, label, &bytes).finalize().into_bytes();
    bytes.extend_from_slice(&mac);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unseal(key: &[u8], label: &[u8], token: &str, now: DateTime<Utc>) -> Result<Sealed, LinkError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| LinkError::Invalid)?;
    if bytes.len() != PAYLOAD + TAG {
        return Err(LinkError::Invalid);
    }
    let (payload, mac) = bytes.split_at(PAYLOAD);
    tag(key, label, payload)
        .verify_slice(mac)
        .map_err(|_| LinkError::Invalid)?;
    let id = uuid::Uuid::from_slice(&payload[..16]).map_err(|_| LinkError::Invalid)?;
    let number = <[u8; 4]>::try_from(&payload[17..21]).map(i32::from_be_bytes);
    let seconds = <[u8; 8]>::try_from(&payload[21..29]).map(i64::from_be_bytes);
    let (Ok(number), Ok(seconds)) = (number, seconds) else {
        return Err(LinkError::Invalid);
    };
    let expires = DateTime::from_timestamp(seconds, 0).ok_or(LinkError::Invalid)?;
    if expires <= now {
        return Err(LinkError::Expired);
    }
    Ok(Sealed {
        id,
        what: payload[16],
        number,
        expires,
    })
}

pub fn sign(key: &[u8], claim: &LinkClaim) -> String {
    let sealed = Sealed {
        id: claim.match_id.as_uuid(),
        what: claim.action.byte(),
        number: claim.version,
        expires: claim.expires,
    };
    seal(key, REQUEST_LINK, &sealed)
}

pub fn verify(key: &[u8], token: &str, now: DateTime<Utc>) -> Result<LinkClaim, LinkError> {
    let sealed = unseal(key, REQUEST_LINK, token, now)?;
    let action = match sealed.what {
        b'a' => LinkAction::Accept,
        b'd' => LinkAction::Decline,
        _ => return Err(LinkError::Invalid),
    };
    Ok(LinkClaim {
        match_id: MatchId::from(sealed.id),
        action,
        version: sealed.number,
        expires: sealed.expires,
    })
}

/// The token of an emailed invite, `smi_` like any invite token: the same for the same
/// invite, and unknowable without the key.
pub fn invite_token(key: &[u8], invite: InviteId) -> String {
    let mac = tag(key, INVITE_TOKEN, invite.as_uuid().as_bytes()).finalize();
    format!(
        "{INVITE_TOKEN_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(mac.into_bytes())
    )
}

/// The token of a password reset, `smr_`: the same for the same reset, unknowable
/// without the key, never an invite's.
pub fn reset_token(key: &[u8], reset: PasswordResetId) -> String {
    let mac = tag(key, RESET_TOKEN, reset.as_uuid().as_bytes()).finalize();
    format!(
        "{RESET_TOKEN_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(mac.into_bytes())
    )
}

/// What a check-in link lets its holder do: give one answer to one check-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckInClaim {
    pub check_in: CheckInId,
    pub answer: CheckInAnswer,
    pub expires: DateTime<Utc>,
}

fn answer_byte(answer: CheckInAnswer) -> u8 {
    match answer {
        CheckInAnswer::GoingWell => b'g',
        CheckInAnswer::NeedHelp => b'h',
        CheckInAnswer::WantChange => b'c',
    }
}

pub fn sign_check_in(key: &[u8], claim: &CheckInClaim) -> String {
    let sealed = Sealed {
        id: claim.check_in.as_uuid(),
        what: answer_byte(claim.answer),
        number: 0,
        expires: claim.expires,
    };
    seal(key, CHECK_IN_LINK, &sealed)
}

pub fn verify_check_in(
    key: &[u8],
    token: &str,
    now: DateTime<Utc>,
) -> Result<CheckInClaim, LinkError> {
    let sealed = unseal(key, CHECK_IN_LINK, token, now)?;
    let answer = CheckInAnswer::ALL
        .iter()
        .copied()
        .find(|a| answer_byte(*a) == sealed.what)
        .ok_or(LinkError::Invalid)?;
    Ok(CheckInClaim {
        check_in: CheckInId::from(sealed.id),
        answer,
        expires: sealed.expires,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    fn claim() -> LinkClaim {
        LinkClaim {
            match_id: MatchId::new(),
            action: LinkAction::Accept,
            version: 3,
            expires: DateTime::from_timestamp(Utc::now().timestamp() + 3600, 0).unwrap(),
        }
    }

    #[test]
    fn a_signed_link_verifies_to_its_claim() {
        let claim = claim();
        let token = sign(b"key", &claim);
        assert_eq!(verify(b"key", &token, Utc::now()), Ok(claim));
    }

    #[test]
    fn another_key_a_changed_byte_or_the_passing_of_time_breaks_it() {
        let claim = claim();
        let token = sign(b"key", &claim);
        assert_eq!(
            verify(b"other", &token, Utc::now()),
            Err(LinkError::Invalid)
        );
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        bytes[16] = b'd';
        let forged = URL_SAFE_NO_PAD.encode(&bytes);
        assert_eq!(verify(b"key", &forged, Utc::now()), Err(LinkError::Invalid));
        assert_eq!(verify(b"key", "short", Utc::now()), Err(LinkError::Invalid));
        let later = claim.expires + TimeDelta::seconds(1);
        assert_eq!(verify(b"key", &token, later), Err(LinkError::Expired));
    }

    #[test]
    fn a_check_in_link_verifies_and_never_passes_for_a_request_link() {
        let claim = CheckInClaim {
            check_in: CheckInId::new(),
            answer: CheckInAnswer::WantChange,
            expires: DateTime::from_timestamp(Utc::now().timestamp() + 3600, 0).unwrap(),
        };
        let token = sign_check_in(b"key", &claim);
        assert_eq!(verify_check_in(b"key", &token, Utc::now()), Ok(claim));
        assert_eq!(verify(b"key", &token, Utc::now()), Err(LinkError::Invalid));
        let request = sign(b"key", &self::claim());
        assert_eq!(
            verify_check_in(b"key", &request, Utc::now()),
            Err(LinkError::Invalid)
        );
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        bytes[16] = b'g';
        let forged = URL_SAFE_NO_PAD.encode(&bytes);
        assert_eq!(
            verify_check_in(b"key", &forged, Utc::now()),
            Err(LinkError::Invalid)
        );
    }

    #[test]
    fn invite_tokens_are_per_invite_and_per_key() {
        let invite = InviteId::new();
        let token = invite_token(b"key", invite);
        assert!(token.starts_with("smi_"));
        assert_eq!(
            token.len(),
            4 + 43,
            "32 bytes in unpadded base64, like a random token"
        );
        assert_eq!(token, invite_token(b"key", invite));
        assert_ne!(token, invite_token(b"other", invite));
        assert_ne!(token, invite_token(b"key", InviteId::new()));
    }

    #[test]
    fn reset_tokens_are_per_reset_and_never_an_invites() {
        let id = uuid::Uuid::now_v7();
        let token = reset_token(b"key", PasswordResetId::from(id));
        assert!(token.starts_with("smr_"));
        assert_eq!(token.len(), 4 + 43);
        assert_eq!(token, reset_token(b"key", PasswordResetId::from(id)));
        assert_ne!(token, reset_token(b"other", PasswordResetId::from(id)));
        let invite = invite_token(b"key", InviteId::from(id));
        assert_ne!(token[4..], invite[4..]);
    }
}

/// Makes the links for emails: signed tokens under the service's public address.
#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
    public_url: String,
}

impl LinkSigner {
    pub fn new(key: &[u8], public_url: &str) -> Self {
        Self {
            key: key.to_vec(),
            public_url: public_url.trim_end_matches('/').to_owned(),
        }
    }

    /// The deployment's: its signing key, its public address.
    pub fn from_settings(settings: &Settings, secrets: &Secrets) -> Self {
        Self::new(
            secrets.token_signing_key.expose_secret().as_bytes(),
            &settings.email.public_url,
        )
    }

    pub fn url(&self, claim: &LinkClaim) -> String {
        format!("{}/respond/{}", self.public_url, sign(&self.key, claim))
    }

    pub fn check_in_url(&self, claim: &CheckInClaim) -> String {
        let token = sign_check_in(&self.key, claim);
        format!("{}/check-in/{token}", self.public_url)
    }

    /// The page where the invited person chooses a password.
    pub fn invite_url(&self, invite: InviteId) -> String {
        let token = invite_token(&self.key, invite);
        format!("{}/invite/{token}", self.public_url)
    }

    /// The hash an emailed invite's token is stored as.
    pub fn invite_token_hash(&self, invite: InviteId) -> String {
        sha256_hex(&invite_token(&self.key, invite))
    }

    /// The page where the person who asked chooses a new password.
    pub fn reset_url(&self, reset: PasswordResetId) -> String {
        let token = reset_token(&self.key, reset);
        format!("{}/reset-password/{token}", self.public_url)
    }

    /// The hash a password reset's token is stored as.
    pub fn reset_token_hash(&self, reset: PasswordResetId) -> String {
        sha256_hex(&reset_token(&self.key, reset))
    }

    /// The console's sign-in page, which every email that says "sign in" links to.
    pub fn sign_in_url(&self) -> String {
        format!("{}/sign-in", self.public_url)
    }
}
