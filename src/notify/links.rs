//! Signed links in emails, so a sponsor can answer a request without logging in.
//!
//! A link names the match, the action, the match's version and an expiry, signed with
//! HMAC-SHA256 under the deployment's token signing key. It works once: any step of the
//! match changes its version, after which every link for it is dead.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::ids::MatchId;

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

fn tag(key: &[u8], payload: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(b"sponsor-match link v1");
    mac.update(payload);
    mac
}

pub fn sign(key: &[u8], claim: &LinkClaim) -> String {
    let mut bytes = Vec::with_capacity(PAYLOAD + TAG);
    bytes.extend_from_slice(claim.match_id.as_uuid().as_bytes());
    bytes.push(claim.action.byte());
    bytes.extend_from_slice(&claim.version.to_be_bytes());
    bytes.extend_from_slice(&claim.expires.timestamp().to_be_bytes());
    let mac = tag(key, &bytes).finalize().into_bytes();
    bytes.extend_from_slice(&mac);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn verify(key: &[u8], token: &str, now: DateTime<Utc>) -> Result<LinkClaim, LinkError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| LinkError::Invalid)?;
    if bytes.len() != PAYLOAD + TAG {
        return Err(LinkError::Invalid);
    }
    let (payload, mac) = bytes.split_at(PAYLOAD);
    tag(key, payload)
        .verify_slice(mac)
        .map_err(|_| LinkError::Invalid)?;
    let uuid = uuid::Uuid::from_slice(&payload[..16]).map_err(|_| LinkError::Invalid)?;
    let action = match payload[16] {
        b'a' => LinkAction::Accept,
        b'd' => LinkAction::Decline,
        _ => return Err(LinkError::Invalid),
    };
    let version = <[u8; 4]>::try_from(&payload[17..21]).map(i32::from_be_bytes);
    let seconds = <[u8; 8]>::try_from(&payload[21..29]).map(i64::from_be_bytes);
    let (Ok(version), Ok(seconds)) = (version, seconds) else {
        return Err(LinkError::Invalid);
    };
    let expires = DateTime::from_timestamp(seconds, 0).ok_or(LinkError::Invalid)?;
    if expires <= now {
        return Err(LinkError::Expired);
    }
    Ok(LinkClaim {
        match_id: MatchId::from(uuid),
        action,
        version,
        expires,
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

    pub fn url(&self, claim: &LinkClaim) -> String {
        format!("{}/respond/{}", self.public_url, sign(&self.key, claim))
    }
}
