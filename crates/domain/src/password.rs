//! Staff passwords: the policy, and argon2id hashing in PHC string form.
//!
//! The salt is passed in (the server draws it from the operating system), so this stays pure.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// The shortest password accepted.
pub const MIN_LEN: usize = 12;
/// The longest password accepted (argon2 would take more, but nobody types more).
pub const MAX_LEN: usize = 128;

/// Why a new password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fewer than [`MIN_LEN`] characters.
    #[error("the password must have at least {MIN_LEN} characters")]
    TooShort,
    /// More than [`MAX_LEN`] characters.
    #[error("the password must have at most {MAX_LEN} characters")]
    TooLong,
    /// The password is the login or contains it.
    #[error("the password must not contain the login")]
    ContainsLogin,
}

/// Checks a new password against the policy.
pub fn check_policy(login: &str, password: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_LEN {
        return Err(PasswordError::TooShort);
    }
    if chars > MAX_LEN {
        return Err(PasswordError::TooLong);
    }
    if !login.is_empty() && password.to_lowercase().contains(&login.to_lowercase()) {
        return Err(PasswordError::ContainsLogin);
    }
    Ok(())
}

/// Hashes a password with argon2id (the crate's defaults: 19 MiB, 2 passes) and a 16-byte salt.
pub fn hash(password: &str, salt: &[u8; 16]) -> String {
    let salt = SaltString::encode_b64(salt).expect("16 bytes is a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters")
        .to_string()
}

/// Whether `password` matches a stored PHC hash. A malformed hash matches nothing.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_password() {
        let stored = hash("correct horse battery", &[7; 16]);
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("correct horse batterY", &stored));
        assert!(!verify("correct horse battery", "not a hash"));
        assert_ne!(stored, hash("correct horse battery", &[8; 16]), "the salt changes the hash");
    }

    #[test]
    fn the_policy_names_what_is_wrong() {
        assert_eq!(check_policy("aliyev", "short"), Err(PasswordError::TooShort));
        assert_eq!(check_policy("aliyev", &"x".repeat(129)), Err(PasswordError::TooLong));
        assert_eq!(check_policy("aliyev", "my-ALIYEV-password"), Err(PasswordError::ContainsLogin));
        assert_eq!(check_policy("aliyev", "twelve chars"), Ok(()));
        assert_eq!(check_policy("aliyev", "ağac ağac ağ"), Ok(()), "characters, not bytes");
    }
}
