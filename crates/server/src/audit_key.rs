//! The Ed25519 key that signs the audit chain's head, kept in a file of its own: the base64 of its
//! 32-byte seed on one line, readable by its owner only.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::SigningKey;
use std::io::Write;
use std::path::Path;

/// Reads the key at `path`, if the file exists.
pub fn load(path: &Path) -> Result<Option<SigningKey>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read the audit signing key {}: {e}", path.display())),
    };
    let seed: [u8; 32] = BASE64
        .decode(text.trim())
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| format!("{} is not an audit signing key (base64 of 32 bytes)", path.display()))?;
    Ok(Some(SigningKey::from_bytes(&seed)))
}

/// Reads the key at `path`, creating a new random one (mode 0600) if the file is missing.
pub fn load_or_create(path: &Path) -> Result<SigningKey, String> {
    if let Some(key) = load(path)? {
        return Ok(key);
    }
    let seed = onestop_web::auth::random_bytes();
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| format!("cannot create the audit signing key {}: {e}", path.display()))?;
    writeln!(file, "{}", BASE64.encode(seed)).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    tracing::info!(path = %path.display(), "created a new audit signing key");
    Ok(SigningKey::from_bytes(&seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_created_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/audit.key");
        assert!(load(&path).unwrap().is_none());
        let key = load_or_create(&path).unwrap();
        assert_eq!(load_or_create(&path).unwrap().to_bytes(), key.to_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key\n").unwrap();
        assert!(load(&path).unwrap_err().contains("is not an audit signing key"));
    }
}
