//! Operations on staff, device tokens and the audit trail, as the command line runs them.
//! Each returns what to print, or a one-line error.

use crate::clock;
use ed25519_dalek::SigningKey;
use jiff::Timestamp;
use onestop_domain::audit::{self, AuditEvent, ChainVerifier, Verified};
use onestop_domain::catalogue::{fingerprint, parse_catalogue, to_yaml};
use onestop_domain::identity::{DeviceKind, Role, Scope, check_device_scope, check_login, check_staff_scope};
use onestop_domain::password;
use onestop_domain::pii::{Fin, Phone};
use onestop_domain::token;
use onestop_store::{NewStaff, Store, StoreError};

/// How the command line names itself in the audit trail: `cli:USER`.
pub fn cli_actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into())
    )
}

fn event(at: Timestamp, action: &str, summary: impl Into<String>, record: String) -> AuditEvent {
    AuditEvent::new(at, cli_actor(), action, summary).with_origin(Some("cli".into())).with_record(record)
}

/// A staff account to add from the command line.
#[derive(Debug, Clone)]
pub struct UserAdd {
    /// Login.
    pub login: String,
    /// Role name.
    pub role: String,
    /// Centre code.
    pub centre: Option<String>,
    /// Provider code.
    pub provider: Option<String>,
    /// Full name.
    pub name: String,
    /// FIN.
    pub fin: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Whether the person must choose a new password at first sign-in.
    pub must_change_password: bool,
}

/// Adds a staff account with `password`.
pub async fn user_add(store: &dyn Store, add: UserAdd, password_text: &str) -> Result<String, String> {
    check_login(&add.login)?;
    let role: Role = add.role.parse().map_err(|e: onestop_domain::identity::UnknownRole| e.to_string())?;
    let scope = Scope { centre: add.centre, provider: add.provider, window: None };
    check_staff_scope(role, &scope).map_err(|e| e.to_string())?;
    if add.name.trim().is_empty() {
        return Err("--name must not be empty".into());
    }
    let fin = add.fin.as_deref().map(Fin::parse).transpose().map_err(|e| format!("--fin: {e}"))?;
    let phone = add.phone.as_deref().map(Phone::parse).transpose().map_err(|e| format!("--phone: {e}"))?;
    password::check_policy(&add.login, password_text).map_err(|e| e.to_string())?;
    let salt: [u8; 16] = onestop_web::auth::random_bytes()[..16].try_into().expect("16 bytes");
    let new = NewStaff {
        login: add.login.clone(),
        full_name: add.name.trim().to_owned(),
        fin,
        phone,
        role,
        scope: scope.clone(),
        password_hash: password::hash(password_text, &salt),
        must_change_password: add.must_change_password,
    };
    let now = clock::now();
    let at = scope.centre.as_ref().map(|c| format!(" at {c}")).unwrap_or_default();
    let audit =
        event(now, "staff.create", format!("created {role} account{at}"), format!("staff:{}", add.login));
    store.create_staff(&new, now, audit).await.map_err(|e| e.to_string())?;
    Ok(format!("added {} ({role}{at})", add.login))
}

/// Lists staff accounts as a table (personal data masked).
pub async fn user_list(store: &dyn Store) -> Result<String, String> {
    let staff = store.list_staff(None).await.map_err(|e| e.to_string())?;
    let mut out = format!(
        "{:<20} {:<28} {:<22} {:<10} {:<10} {:<9} {}\n",
        "LOGIN", "NAME", "ROLE", "CENTRE", "PROVIDER", "FIN", "STATUS"
    );
    for s in staff {
        out.push_str(&format!(
            "{:<20} {:<28} {:<22} {:<10} {:<10} {:<9} {}\n",
            s.login,
            s.full_name,
            s.role.as_str(),
            s.scope.centre.as_deref().unwrap_or("-"),
            s.scope.provider.as_deref().unwrap_or("-"),
            s.fin.map_or("-".to_owned(), |f| f.masked()),
            if s.active { "active" } else { "suspended" },
        ));
    }
    Ok(out)
}

/// Suspends (`active = false`) or reactivates an account.
pub async fn user_set_active(store: &dyn Store, login: &str, active: bool) -> Result<String, String> {
    let now = clock::now();
    let (action, word) =
        if active { ("staff.activate", "reactivated") } else { ("staff.suspend", "suspended") };
    let audit = event(now, action, format!("{word} from the command line"), format!("staff:{login}"));
    store.set_staff_active(login, active, now, audit).await.map_err(|e| e.to_string())?;
    Ok(format!("{login} {word}{}", if active { "" } else { "; their sessions were ended" }))
}

/// Issues a device token; answers the record and the token, which is shown only this once.
pub async fn token_issue(
    store: &dyn Store,
    kind: &str,
    centre: String,
    window: Option<String>,
    label: Option<String>,
) -> Result<(i64, String), String> {
    let kind: DeviceKind = kind.parse()?;
    let scope = Scope { centre: Some(centre), provider: None, window };
    check_device_scope(kind, &scope)?;
    let secret = token::render(token::DEVICE_PREFIX, &onestop_web::auth::random_bytes());
    let label = label.unwrap_or_else(|| format!("{kind} at {}", scope.centre.as_deref().unwrap_or_default()));
    let now = clock::now();
    let audit = event(now, "device.issue", format!("issued a {kind} token \"{label}\""), String::new());
    let record = store
        .issue_device_token(kind, &scope, &label, &token::digest(&secret), now, audit)
        .await
        .map_err(|e| e.to_string())?;
    Ok((record.id, secret))
}

/// Revokes device token `id`.
pub async fn token_revoke(store: &dyn Store, id: i64) -> Result<String, String> {
    let now = clock::now();
    let audit = event(now, "device.revoke", "revoked from the command line", format!("device:{id}"));
    let record = store.revoke_device_token(id, now, audit).await.map_err(|e| e.to_string())?;
    Ok(format!("revoked device token {} ({} \"{}\")", record.id, record.kind, record.label))
}

/// Lists device tokens.
pub async fn token_list(store: &dyn Store) -> Result<String, String> {
    let mut out =
        format!("{:<6} {:<12} {:<10} {:<8} {:<28} {}\n", "ID", "KIND", "CENTRE", "WINDOW", "LABEL", "STATUS");
    for d in store.list_device_tokens().await.map_err(|e| e.to_string())? {
        out.push_str(&format!(
            "{:<6} {:<12} {:<10} {:<8} {:<28} {}\n",
            d.id,
            d.kind.as_str(),
            d.scope.centre.as_deref().unwrap_or("-"),
            d.scope.window.as_deref().unwrap_or("-"),
            d.label,
            d.revoked_at.map_or("active".to_owned(), |t| format!("revoked {t}")),
        ));
    }
    Ok(out)
}

/// Signs the chain's head unless it is signed already; answers the signed position.
pub async fn sign_audit_head(
    store: &dyn Store,
    key: &SigningKey,
    now: Timestamp,
) -> Result<Option<i64>, StoreError> {
    let Some(head) = store.audit_head().await? else { return Ok(None) };
    if store.last_audit_signature().await?.is_some_and(|s| s.seq >= head.seq) {
        return Ok(None);
    }
    match store.store_audit_signature(&audit::sign(key, &head, now)).await {
        Ok(()) => Ok(Some(head.seq)),
        // Another replica signed the same head first.
        Err(StoreError::Conflict(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Why verification did not pass.
#[derive(Debug)]
pub enum VerifyError {
    /// The chain is broken: the message names the entry.
    Broken(audit::Broken),
    /// Verification could not run.
    Failed(String),
}

/// Walks the whole chain and its signatures; `progress` is called after every page.
pub async fn audit_verify(
    store: &dyn Store,
    key: Option<&SigningKey>,
    mut progress: impl FnMut(u64),
) -> Result<Verified, VerifyError> {
    let signatures = store.audit_signatures().await.map_err(|e| VerifyError::Failed(e.to_string()))?;
    if key.is_none() && !signatures.is_empty() {
        return Err(VerifyError::Failed(format!(
            "the trail holds {} signatures but there is no audit signing key to check them (audit.signing_key_file)",
            signatures.len()
        )));
    }
    let mut verifier = ChainVerifier::new(key.map(SigningKey::verifying_key), signatures);
    let mut after = 0;
    let mut checked = 0u64;
    loop {
        let page = store.audit_entries(after, 2000).await.map_err(|e| VerifyError::Failed(e.to_string()))?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for entry in &page {
            verifier.push(entry).map_err(VerifyError::Broken)?;
        }
        checked += page.len() as u64;
        progress(checked);
    }
    verifier.finish().map_err(VerifyError::Broken)
}

/// The demo network: the real ASAN Service catalogue of the case study.
pub const DEMO_CATALOGUE: &str = include_str!("../../../catalogue/asan-demo.yaml");

/// Checks a catalogue file whole and saves it as the registry's new version. A file with any
/// problem is refused with every problem listed by line and field, and nothing is saved.
pub async fn catalogue_import(store: &dyn Store, text: &str, label: &str) -> Result<String, String> {
    let catalogue = parse_catalogue(text).map_err(|errors| errors.to_string())?;
    let sha = fingerprint(text);
    if let Some(current) = store.current_catalogue().await.map_err(|e| e.to_string())?
        && current.sha256 == sha
    {
        return Ok(format!("{label} is already catalogue version {}; nothing changed", current.version));
    }
    let counts = format!(
        "{} providers, {} services, {} centres and buses",
        catalogue.providers.len(),
        catalogue.services.len(),
        catalogue.centres.len()
    );
    let now = clock::now();
    let audit = event(now, "catalogue.import", format!("imported {label}: {counts}"), String::new());
    let version = store.save_catalogue(text, &sha, label, now, audit).await.map_err(|e| e.to_string())?;
    Ok(format!("imported {label} as catalogue version {version}: {counts}"))
}

/// Loads the demo catalogue unless a catalogue is already in force.
pub async fn ensure_demo_catalogue(store: &dyn Store) -> Result<Option<String>, String> {
    if store.current_catalogue_version().await.map_err(|e| e.to_string())?.is_some() {
        return Ok(None);
    }
    catalogue_import(store, DEMO_CATALOGUE, "asan-demo.yaml").await.map(Some)
}

/// The registry in force, parsed; `None` before any import.
pub async fn catalogue_in_force(
    store: &dyn Store,
) -> Result<Option<onestop_domain::catalogue::Catalogue>, String> {
    let Some(current) = store.current_catalogue().await.map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    parse_catalogue(&current.body)
        .map(Some)
        .map_err(|errors| format!("the stored catalogue does not parse: {errors}"))
}

/// The registry in force in the catalogue file format.
pub async fn catalogue_export(store: &dyn Store) -> Result<String, String> {
    let current = store
        .current_catalogue()
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no catalogue has been imported yet")?;
    let catalogue = parse_catalogue(&current.body)
        .map_err(|errors| format!("the stored catalogue does not parse: {errors}"))?;
    Ok(to_yaml(&catalogue))
}
