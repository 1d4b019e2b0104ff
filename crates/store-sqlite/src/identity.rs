//! Staff accounts, sessions, device tokens and sign-in throttling on SQLite.

use crate::audit::append;
use crate::engine::{Columns, at, exec, one, opt_at};
use crate::{SqliteStore, db, ts};
use async_trait::async_trait;
use jiff::Timestamp;
use onestop_domain::audit::AuditEvent;
use onestop_domain::identity::{DeviceKind, Role, Scope};
use onestop_domain::pii::{Fin, Phone};
use onestop_domain::session::SessionTimes;
use onestop_domain::throttle::Throttle;
use onestop_store::{
    DeviceRecord, IdentityStore, NewSession, NewStaff, SessionRecord, StaffRecord, StoreError,
};
use rusqlite::{Connection, params};
use sqlx::{Row, SqliteConnection};

const STAFF_SELECT: &str = "SELECT s.id, s.login, p.full_name, p.fin, p.phone, s.role, s.centre_code,
        s.provider_code, s.active, s.must_change_password, s.created_at, s.password_hash
    FROM staff s JOIN persons p ON p.id = s.person_id";

/// The session holding the token hash bound first, with its staff account's columns; the
/// session's own are renamed where the names meet.
fn session_select() -> String {
    format!(
        "SELECT st.*, se.id AS session_id, se.csrf_token, se.created_at AS session_created_at,
            se.last_seen_at, se.expires_at, se.revoked_at
         FROM sessions se JOIN ({STAFF_SELECT}) st ON st.id = se.staff_id WHERE se.token_hash = ?"
    )
}

const DEVICE_SELECT: &str =
    "SELECT id, kind, centre_code, window_code, label, created_at, revoked_at FROM device_tokens";

fn staff(row: &impl Columns) -> Result<StaffRecord, StoreError> {
    let role: String = row.value("role")?;
    let fin: Option<String> = row.value("fin")?;
    let phone: Option<String> = row.value("phone")?;
    Ok(StaffRecord {
        id: row.value("id")?,
        login: row.value("login")?,
        full_name: row.value("full_name")?,
        fin: fin.map(|f| Fin::parse(&f).map_err(|_| StoreError::invalid("FIN", "…"))).transpose()?,
        phone: phone.map(|p| Phone::parse(&p).map_err(|_| StoreError::invalid("phone", "…"))).transpose()?,
        role: role.parse::<Role>().map_err(|_| StoreError::invalid("role", &role))?,
        scope: Scope {
            centre: row.value("centre_code")?,
            provider: row.value("provider_code")?,
            window: None,
        },
        active: row.value("active")?,
        must_change_password: row.value("must_change_password")?,
        created_at: at(row, "created_at")?,
    })
}

fn device(row: &impl Columns) -> Result<DeviceRecord, StoreError> {
    let kind: String = row.value("kind")?;
    Ok(DeviceRecord {
        id: row.value("id")?,
        kind: kind.parse::<DeviceKind>().map_err(|_| StoreError::invalid("device kind", &kind))?,
        scope: Scope {
            centre: Some(row.value("centre_code")?),
            provider: None,
            window: row.value("window_code")?,
        },
        label: row.value("label")?,
        created_at: at(row, "created_at")?,
        revoked_at: opt_at(row, "revoked_at")?,
    })
}

/// The session holding token `token_hash`, with its staff account, in one statement (every
/// signed-in request reads it).
fn session_by_token(conn: &Connection, token_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
    one(conn, &session_select(), [token_hash], |row| {
        Ok(SessionRecord {
            id: row.value("session_id")?,
            staff: staff(row)?,
            csrf_token: row.value("csrf_token")?,
            times: SessionTimes {
                created_at: at(row, "session_created_at")?,
                last_seen_at: at(row, "last_seen_at")?,
                expires_at: at(row, "expires_at")?,
                revoked_at: opt_at(row, "revoked_at")?,
            },
        })
    })
}

async fn staff_in(conn: &mut SqliteConnection, login: &str) -> Result<StaffRecord, StoreError> {
    let row = sqlx::query(&format!("{STAFF_SELECT} WHERE s.login = ?"))
        .bind(login)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .ok_or_else(|| StoreError::NotFound(format!("staff account {login}")))?;
    staff(&row)
}

async fn end_sessions(
    conn: &mut SqliteConnection,
    staff_id: i64,
    keep: Option<i64>,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = ? WHERE staff_id = ? AND revoked_at IS NULL AND id IS NOT ?",
    )
    .bind(ts(now))
    .bind(staff_id)
    .bind(keep)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(done.rows_affected())
}

#[async_trait]
impl IdentityStore for SqliteStore {
    async fn create_staff(
        &self,
        new: &NewStaff,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<StaffRecord, StoreError> {
        let mut tx = self.begin_write().await?;
        let taken: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM staff WHERE login = ?)")
            .bind(&new.login)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        if taken {
            return Err(StoreError::Conflict(format!("the login {} is taken", new.login)));
        }
        let fin = new.fin.as_ref().map(Fin::reveal);
        let known: Option<i64> = match fin {
            Some(fin) => sqlx::query_scalar("SELECT id FROM persons WHERE fin = ?")
                .bind(fin)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?,
            None => None,
        };
        let person_id = match known {
            Some(id) => {
                let has_account: bool =
                    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM staff WHERE person_id = ?)")
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db)?;
                if has_account {
                    return Err(StoreError::Conflict(
                        "the person with this FIN already has a staff account".into(),
                    ));
                }
                sqlx::query("UPDATE persons SET full_name = ?, phone = COALESCE(?, phone) WHERE id = ?")
                    .bind(&new.full_name)
                    .bind(new.phone.as_ref().map(Phone::reveal))
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                id
            }
            None => sqlx::query_scalar(
                "INSERT INTO persons (full_name, fin, phone) VALUES (?, ?, ?) RETURNING id",
            )
            .bind(&new.full_name)
            .bind(fin)
            .bind(new.phone.as_ref().map(Phone::reveal))
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?,
        };
        sqlx::query(
            "INSERT INTO staff (login, person_id, role, centre_code, provider_code, password_hash, active,
                must_change_password, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, TRUE, ?, ?, ?)",
        )
        .bind(&new.login)
        .bind(person_id)
        .bind(new.role.as_str())
        .bind(&new.scope.centre)
        .bind(&new.scope.provider)
        .bind(&new.password_hash)
        .bind(new.must_change_password)
        .bind(ts(now))
        .bind(ts(now))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        append(&mut tx, audit).await?;
        let record = staff_in(&mut tx, &new.login).await?;
        tx.commit().await.map_err(db)?;
        Ok(record)
    }

    async fn staff_by_login(&self, login: &str) -> Result<Option<(StaffRecord, String)>, StoreError> {
        let row = sqlx::query(&format!("{STAFF_SELECT} WHERE s.login = ?"))
            .bind(login)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(|r| Ok((staff(&r)?, r.get("password_hash")))).transpose()
    }

    async fn list_staff(&self, centre: Option<&str>) -> Result<Vec<StaffRecord>, StoreError> {
        let rows =
            sqlx::query(&format!("{STAFF_SELECT} WHERE ? IS NULL OR s.centre_code = ? ORDER BY s.login"))
                .bind(centre)
                .bind(centre)
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        rows.iter().map(staff).collect()
    }

    async fn set_staff_active(
        &self,
        login: &str,
        active: bool,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<StaffRecord, StoreError> {
        let mut tx = self.begin_write().await?;
        let before = staff_in(&mut tx, login).await?;
        sqlx::query("UPDATE staff SET active = ?, updated_at = ? WHERE id = ?")
            .bind(active)
            .bind(ts(now))
            .bind(before.id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        if !active {
            end_sessions(&mut tx, before.id, None, now).await?;
        }
        append(&mut tx, audit).await?;
        let after = staff_in(&mut tx, login).await?;
        tx.commit().await.map_err(db)?;
        Ok(after)
    }

    async fn set_password(
        &self,
        login: &str,
        password_hash: &str,
        must_change: bool,
        keep_session: Option<i64>,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let account = staff_in(&mut tx, login).await?;
        sqlx::query(
            "UPDATE staff SET password_hash = ?, must_change_password = ?, updated_at = ? WHERE id = ?",
        )
        .bind(password_hash)
        .bind(must_change)
        .bind(ts(now))
        .bind(account.id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        end_sessions(&mut tx, account.id, keep_session, now).await?;
        append(&mut tx, audit).await?;
        tx.commit().await.map_err(db)
    }

    async fn sign_in_throttle(&self, login: &str) -> Result<Throttle, StoreError> {
        let row = sqlx::query(
            "SELECT failures, last_failure_at, locked_until FROM sign_in_throttle WHERE login = ?",
        )
        .bind(login)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        let Some(row) = row else { return Ok(Throttle::default()) };
        Ok(Throttle {
            failures: u32::try_from(row.get::<i64, _>("failures")).unwrap_or(u32::MAX),
            last_failure: opt_at(&row, "last_failure_at")?,
            locked_until: opt_at(&row, "locked_until")?,
        })
    }

    async fn record_sign_in_failure(
        &self,
        login: &str,
        throttle: Throttle,
        audit: AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO sign_in_throttle (login, failures, last_failure_at, locked_until) VALUES (?, ?, ?, ?)
             ON CONFLICT (login) DO UPDATE SET failures = excluded.failures,
                last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until",
        )
        .bind(login)
        .bind(i64::from(throttle.failures))
        .bind(throttle.last_failure.map(ts))
        .bind(throttle.locked_until.map(ts))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        append(&mut tx, audit).await?;
        tx.commit().await.map_err(db)
    }

    async fn start_session(
        &self,
        login: &str,
        session: &NewSession,
        audit: AuditEvent,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO sessions (token_hash, staff_id, csrf_token, created_at, last_seen_at, expires_at, origin)
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&session.token_hash)
        .bind(session.staff_id)
        .bind(&session.csrf_token)
        .bind(ts(session.times.created_at))
        .bind(ts(session.times.last_seen_at))
        .bind(ts(session.times.expires_at))
        .bind(&session.origin)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        sqlx::query("DELETE FROM sign_in_throttle WHERE login = ?")
            .bind(login)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        append(&mut tx, audit).await?;
        tx.commit().await.map_err(db)?;
        Ok(id)
    }

    async fn session_by_token(&self, token_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        self.engine.read(|conn| session_by_token(conn, token_hash))
    }

    async fn touch_session(&self, session_id: i64, now: Timestamp) -> Result<(), StoreError> {
        self.engine
            .write(move |conn| {
                exec(
                    conn,
                    "UPDATE sessions SET last_seen_at = ?1 WHERE id = ?2 AND last_seen_at < ?1",
                    params![ts(now), session_id],
                )
                .map(|_| ())
            })
            .await
    }

    async fn end_session(
        &self,
        session_id: i64,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
            .bind(ts(now))
            .bind(session_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        append(&mut tx, audit).await?;
        tx.commit().await.map_err(db)
    }

    async fn end_staff_sessions(
        &self,
        login: &str,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let account = staff_in(&mut tx, login).await?;
        let ended = end_sessions(&mut tx, account.id, None, now).await?;
        append(&mut tx, audit).await?;
        tx.commit().await.map_err(db)?;
        Ok(ended)
    }

    async fn issue_device_token(
        &self,
        kind: DeviceKind,
        scope: &Scope,
        label: &str,
        token_hash: &str,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<DeviceRecord, StoreError> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO device_tokens (token_hash, kind, centre_code, window_code, label, created_at)
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(token_hash)
        .bind(kind.as_str())
        .bind(&scope.centre)
        .bind(&scope.window)
        .bind(label)
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        let mut audit = audit;
        audit.record = Some(format!("device:{id}"));
        append(&mut tx, audit).await?;
        let row = sqlx::query(&format!("{DEVICE_SELECT} WHERE id = ?"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        device(&row)
    }

    async fn device_by_token(&self, token_hash: &str) -> Result<Option<DeviceRecord>, StoreError> {
        self.engine.read(|conn| {
            one(conn, &format!("{DEVICE_SELECT} WHERE token_hash = ?"), [token_hash], |row| device(row))
        })
    }

    async fn list_device_tokens(&self) -> Result<Vec<DeviceRecord>, StoreError> {
        let rows = sqlx::query(&format!("{DEVICE_SELECT} ORDER BY id DESC"))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(device).collect()
    }

    async fn revoke_device_token(
        &self,
        id: i64,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<DeviceRecord, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(&format!("{DEVICE_SELECT} WHERE id = ?"))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?
            .ok_or_else(|| StoreError::NotFound(format!("device token {id}")))?;
        if device(&row)?.revoked_at.is_some() {
            return Err(StoreError::Conflict(format!("device token {id} is already revoked")));
        }
        sqlx::query("UPDATE device_tokens SET revoked_at = ? WHERE id = ?")
            .bind(ts(now))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        append(&mut tx, audit).await?;
        let row = sqlx::query(&format!("{DEVICE_SELECT} WHERE id = ?"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        device(&row)
    }
}
