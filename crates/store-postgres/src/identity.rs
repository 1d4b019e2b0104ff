//! Staff accounts, sessions, device tokens and sign-in throttling on PostgreSQL.

use crate::audit::append;
use crate::{PgStore, db, opt_ts, read_ts, ts};
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
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

const STAFF_SELECT: &str = "SELECT s.id, s.login, p.full_name, p.fin, p.phone, s.role, s.centre_code,
        s.provider_code, s.active, s.must_change_password, s.created_at, s.password_hash
    FROM staff s JOIN persons p ON p.id = s.person_id";

/// The session holding the token hash bound first, with its staff account's columns, in one
/// statement (every signed-in request reads it); the session's own are renamed where the names
/// meet.
fn session_select() -> String {
    format!(
        "SELECT st.*, se.id AS session_id, se.csrf_token, se.created_at AS session_created_at,
            se.last_seen_at, se.expires_at, se.revoked_at
         FROM sessions se JOIN ({STAFF_SELECT}) st ON st.id = se.staff_id WHERE se.token_hash = $1"
    )
}

const DEVICE_SELECT: &str =
    "SELECT id, kind, centre_code, window_code, label, created_at, revoked_at FROM device_tokens";

fn staff(row: &PgRow) -> Result<StaffRecord, StoreError> {
    let role: String = row.get("role");
    let fin: Option<String> = row.get("fin");
    let phone: Option<String> = row.get("phone");
    Ok(StaffRecord {
        id: row.get("id"),
        login: row.get("login"),
        full_name: row.get("full_name"),
        fin: fin.map(|f| Fin::parse(&f).map_err(|_| StoreError::invalid("FIN", "…"))).transpose()?,
        phone: phone.map(|p| Phone::parse(&p).map_err(|_| StoreError::invalid("phone", "…"))).transpose()?,
        role: role.parse::<Role>().map_err(|_| StoreError::invalid("role", &role))?,
        scope: Scope { centre: row.get("centre_code"), provider: row.get("provider_code"), window: None },
        active: row.get("active"),
        must_change_password: row.get("must_change_password"),
        created_at: read_ts(row, "created_at")?,
    })
}

fn device(row: &PgRow) -> Result<DeviceRecord, StoreError> {
    let kind: String = row.get("kind");
    Ok(DeviceRecord {
        id: row.get("id"),
        kind: kind.parse::<DeviceKind>().map_err(|_| StoreError::invalid("device kind", &kind))?,
        scope: Scope { centre: Some(row.get("centre_code")), provider: None, window: row.get("window_code") },
        label: row.get("label"),
        created_at: read_ts(row, "created_at")?,
        revoked_at: opt_ts(row, "revoked_at")?,
    })
}

async fn staff_in(conn: &mut PgConnection, login: &str) -> Result<StaffRecord, StoreError> {
    let row = sqlx::query(&format!("{STAFF_SELECT} WHERE s.login = $1"))
        .bind(login)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .ok_or_else(|| StoreError::NotFound(format!("staff account {login}")))?;
    staff(&row)
}

async fn end_sessions(
    conn: &mut PgConnection,
    staff_id: i64,
    keep: Option<i64>,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = $1 WHERE staff_id = $2 AND revoked_at IS NULL AND id IS DISTINCT FROM $3",
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
impl IdentityStore for PgStore {
    async fn create_staff(
        &self,
        new: &NewStaff,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<StaffRecord, StoreError> {
        let mut tx = self.begin_write().await?;
        let taken: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM staff WHERE login = $1)")
            .bind(&new.login)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        if taken {
            return Err(StoreError::Conflict(format!("the login {} is taken", new.login)));
        }
        let fin = new.fin.as_ref().map(Fin::reveal);
        let known: Option<i64> = match fin {
            Some(fin) => sqlx::query_scalar("SELECT id FROM persons WHERE fin = $1")
                .bind(fin)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?,
            None => None,
        };
        let person_id = match known {
            Some(id) => {
                let has_account: bool =
                    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM staff WHERE person_id = $1)")
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db)?;
                if has_account {
                    return Err(StoreError::Conflict(
                        "the person with this FIN already has a staff account".into(),
                    ));
                }
                sqlx::query("UPDATE persons SET full_name = $1, phone = COALESCE($2, phone) WHERE id = $3")
                    .bind(&new.full_name)
                    .bind(new.phone.as_ref().map(Phone::reveal))
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                id
            }
            None => sqlx::query_scalar(
                "INSERT INTO persons (full_name, fin, phone) VALUES ($1, $2, $3) RETURNING id",
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
             VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $8, $9)",
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
        let row = sqlx::query(&format!("{STAFF_SELECT} WHERE s.login = $1"))
            .bind(login)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(|r| Ok((staff(&r)?, r.get("password_hash")))).transpose()
    }

    async fn list_staff(&self, centre: Option<&str>) -> Result<Vec<StaffRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "{STAFF_SELECT} WHERE $1::text IS NULL OR s.centre_code = $2 ORDER BY s.login"
        ))
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
        sqlx::query("UPDATE staff SET active = $1, updated_at = $2 WHERE id = $3")
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
            "UPDATE staff SET password_hash = $1, must_change_password = $2, updated_at = $3 WHERE id = $4",
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
            "SELECT failures, last_failure_at, locked_until FROM sign_in_throttle WHERE login = $1",
        )
        .bind(login)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        let Some(row) = row else { return Ok(Throttle::default()) };
        Ok(Throttle {
            failures: u32::try_from(row.get::<i32, _>("failures")).unwrap_or(u32::MAX),
            last_failure: opt_ts(&row, "last_failure_at")?,
            locked_until: opt_ts(&row, "locked_until")?,
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
            "INSERT INTO sign_in_throttle (login, failures, last_failure_at, locked_until) VALUES ($1, $2, $3, $4)
             ON CONFLICT (login) DO UPDATE SET failures = excluded.failures,
                last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until",
        )
        .bind(login)
        .bind(i32::try_from(throttle.failures).unwrap_or(i32::MAX))
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
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
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
        sqlx::query("DELETE FROM sign_in_throttle WHERE login = $1")
            .bind(login)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        append(&mut tx, audit).await?;
        tx.commit().await.map_err(db)?;
        Ok(id)
    }

    async fn session_by_token(&self, token_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let row =
            sqlx::query(&session_select()).bind(token_hash).fetch_optional(&self.pool).await.map_err(db)?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(SessionRecord {
            id: row.get("session_id"),
            staff: staff(&row)?,
            csrf_token: row.get("csrf_token"),
            times: SessionTimes {
                created_at: read_ts(&row, "session_created_at")?,
                last_seen_at: read_ts(&row, "last_seen_at")?,
                expires_at: read_ts(&row, "expires_at")?,
                revoked_at: opt_ts(&row, "revoked_at")?,
            },
        }))
    }

    async fn touch_session(&self, session_id: i64, now: Timestamp) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2 AND last_seen_at < $3")
            .bind(ts(now))
            .bind(session_id)
            .bind(ts(now))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn end_session(
        &self,
        session_id: i64,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
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
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
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
        let row = sqlx::query(&format!("{DEVICE_SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        device(&row)
    }

    async fn device_by_token(&self, token_hash: &str) -> Result<Option<DeviceRecord>, StoreError> {
        let row = sqlx::query(&format!("{DEVICE_SELECT} WHERE token_hash = $1"))
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.as_ref().map(device).transpose()
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
        let row = sqlx::query(&format!("{DEVICE_SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?
            .ok_or_else(|| StoreError::NotFound(format!("device token {id}")))?;
        if device(&row)?.revoked_at.is_some() {
            return Err(StoreError::Conflict(format!("device token {id} is already revoked")));
        }
        sqlx::query("UPDATE device_tokens SET revoked_at = $1 WHERE id = $2")
            .bind(ts(now))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        append(&mut tx, audit).await?;
        let row = sqlx::query(&format!("{DEVICE_SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        device(&row)
    }
}
