//! Secrets that callers present and the forms they are stored in.
//!
//! - Passwords: argon2id, slow on purpose; only `login` and account setup pay for it.
//! - Session, invite and password reset tokens: 256 bits (random, or for emailed
//!   links an HMAC under the signing key), stored as SHA-256, so a stolen
//!   database holds nothing usable and a token check is one indexed lookup.
//! - Portal API keys: 256 random bits, stored as HMAC-SHA-256 under a pepper kept
//!   outside the database.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

use crate::domain::error::FieldError;

pub const SESSION_TOKEN_PREFIX: &str = "smt_";
pub const API_KEY_PREFIX: &str = "smk_";
pub const INVITE_TOKEN_PREFIX: &str = "smi_";
pub const RESET_TOKEN_PREFIX: &str = "smr_";

/// A password someone chose: 12 to 256 characters.
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: String) -> Result<Self, FieldError> {
        crate::domain::values::refuse_nul(&raw)?;
        let chars = raw.chars().count();
        if chars < 12 {
            return Err(FieldError::new(
                "",
                "too_short",
                "must be at least 12 characters",
            ));
        }
        if chars > 256 {
            return Err(FieldError::new(
                "",
                "too_long",
                "must be at most 256 characters",
            ));
        }
        Ok(Self(raw))
    }

    pub fn hash(&self) -> String {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(self.0.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            // Hashing with default parameters and a fresh salt cannot fail.
            .unwrap_or_default()
    }
}

/// A PHC string of a password nobody knows, verified against when an account does not
/// exist so that a failed login costs the same either way.
pub fn dummy_password_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| NewPassword(random_token("")).hash())
}

pub fn verify_password(candidate: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(candidate.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A fresh secret: the prefix (so leaked keys are recognisable) and 256 random bits.
pub fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Storage form of session, invite and password reset tokens.
pub fn sha256_hex(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Storage form of API keys.
pub fn api_key_hash(key: &str, pepper: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(pepper)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(key.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let password = NewPassword::parse("correct horse battery".into()).unwrap();
        let hash = password.hash();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("anything", "not a phc string"));
        assert!(!verify_password("anything", dummy_password_hash()));
    }

    #[test]
    fn password_length_is_bounded() {
        assert!(NewPassword::parse("short".into()).is_err());
        assert!(NewPassword::parse("x".repeat(257)).is_err());
    }

    #[test]
    fn tokens_are_long_random_and_prefixed() {
        let a = random_token(SESSION_TOKEN_PREFIX);
        let b = random_token(SESSION_TOKEN_PREFIX);
        assert_ne!(a, b);
        assert!(a.starts_with("smt_"));
        assert_eq!(a.len(), 4 + 43, "32 bytes in unpadded base64");
        assert_eq!(sha256_hex(&a).len(), 64);
        assert_ne!(api_key_hash(&a, b"one"), api_key_hash(&a, b"two"));
    }
}
