//! The Bank of Ideas on SQLite: each score and decision is one `BEGIN IMMEDIATE` transaction that
//! reads the idea, checks the rules and writes with its audit entry.

use crate::audit::append;
use crate::{SqliteStore, db, ts};
use async_trait::async_trait;
use jiff::Timestamp;
use onestop_domain::audit::AuditEvent;
use onestop_domain::feedback::idea::{IdeaError, IdeaStatus, check_decision};
use onestop_store::ideas::{IdeaRecord, IdeaStepError, IdeaStore, MemberScores, NewIdea, Reward};
use onestop_store::queue::to_micros;
use onestop_store::{StoreError, parse_timestamp};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

const COLUMNS: &str = "id, reference, title, body, author_name, contact, status, submitted_at, decided_at";

async fn complete(conn: &mut SqliteConnection, row: &SqliteRow) -> Result<IdeaRecord, StoreError> {
    let id: i64 = row.get("id");
    let status: String = row.get("status");
    let scores = sqlx::query(
        "SELECT member, criterion, score, at FROM idea_scores WHERE idea_id = ? ORDER BY member, criterion",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut members: Vec<MemberScores> = Vec::new();
    for s in &scores {
        let member: String = s.get("member");
        let at = parse_timestamp(s.get("at"))?;
        let score = u8::try_from(s.get::<i64, _>("score")).map_err(|_| StoreError::invalid("score", "?"))?;
        let criterion: String = s.get("criterion");
        match members.last_mut() {
            Some(m) if m.member == member => m.scores.push((criterion, score)),
            _ => members.push(MemberScores { member, scores: vec![(criterion, score)], at }),
        }
    }
    for m in &mut members {
        m.scores.sort_by_key(|(c, _)| {
            onestop_domain::feedback::idea::CRITERIA.iter().position(|k| k.code == c).unwrap_or(usize::MAX)
        });
    }
    let reward = sqlx::query("SELECT amount_minor, currency, note FROM idea_rewards WHERE idea_id = ?")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .map(|r| Reward {
            amount_minor: r.get("amount_minor"),
            currency: r.get("currency"),
            note: r.get("note"),
        });
    Ok(IdeaRecord {
        id,
        reference: row.get("reference"),
        title: row.get("title"),
        text: row.get("body"),
        author: row.get("author_name"),
        contact: row.get("contact"),
        status: IdeaStatus::parse(&status).ok_or_else(|| StoreError::invalid("idea status", &status))?,
        submitted_at: parse_timestamp(row.get("submitted_at"))?,
        decided_at: row.get::<Option<String>, _>("decided_at").as_deref().map(parse_timestamp).transpose()?,
        scores: members,
        reward,
    })
}

async fn by_reference(
    conn: &mut SqliteConnection,
    reference: &str,
) -> Result<Option<IdeaRecord>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM ideas WHERE reference = ?"))
        .bind(reference)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    match row {
        Some(row) => Ok(Some(complete(conn, &row).await?)),
        None => Ok(None),
    }
}

#[async_trait]
impl IdeaStore for SqliteStore {
    async fn submit_idea(
        &self,
        new: NewIdea,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<IdeaRecord, StoreError> {
        let now = to_micros(now);
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO ideas (reference, title, body, author_name, contact, status, submitted_at)
             VALUES (?, ?, ?, ?, ?, 'submitted', ?)",
        )
        .bind(&new.reference)
        .bind(&new.title)
        .bind(&new.text)
        .bind(&new.author)
        .bind(&new.contact)
        .bind(ts(now))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        append(&mut tx, audit.with_record(format!("idea:{}", new.reference))).await?;
        let idea = by_reference(&mut tx, &new.reference)
            .await?
            .ok_or_else(|| StoreError::invalid("idea", "lost"))?;
        tx.commit().await.map_err(db)?;
        Ok(idea)
    }

    async fn idea(&self, reference: &str) -> Result<Option<IdeaRecord>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        by_reference(&mut conn, reference).await
    }

    async fn ideas(&self, limit: u32) -> Result<Vec<IdeaRecord>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        let rows =
            sqlx::query(&format!("SELECT {COLUMNS} FROM ideas ORDER BY submitted_at DESC, id DESC LIMIT ?"))
                .bind(i64::from(limit))
                .fetch_all(&mut *conn)
                .await
                .map_err(db)?;
        let mut out = Vec::new();
        for row in &rows {
            out.push(complete(&mut conn, row).await?);
        }
        Ok(out)
    }

    async fn score_idea(
        &self,
        reference: &str,
        member: &str,
        scores: Vec<(String, u8)>,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<IdeaRecord, IdeaStepError> {
        let now = to_micros(now);
        let mut tx = self.begin_write().await?;
        let idea = by_reference(&mut tx, reference)
            .await?
            .ok_or_else(|| IdeaStepError::NotFound(reference.into()))?;
        if !idea.status.open() {
            return Err(IdeaError::Decided.into());
        }
        sqlx::query("DELETE FROM idea_scores WHERE idea_id = ? AND member = ?")
            .bind(idea.id)
            .bind(member)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        for (criterion, score) in &scores {
            sqlx::query(
                "INSERT INTO idea_scores (idea_id, member, criterion, score, at) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(idea.id)
            .bind(member)
            .bind(criterion)
            .bind(i64::from(*score))
            .bind(ts(now))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        sqlx::query("UPDATE ideas SET status = 'under_review' WHERE id = ?")
            .bind(idea.id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        append(&mut tx, audit.with_record(format!("idea:{reference}"))).await?;
        let idea =
            by_reference(&mut tx, reference).await?.ok_or_else(|| StoreError::invalid("idea", "lost"))?;
        tx.commit().await.map_err(db)?;
        Ok(idea)
    }

    async fn decide_idea(
        &self,
        reference: &str,
        accept: bool,
        reward: Option<Reward>,
        member: &str,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<IdeaRecord, IdeaStepError> {
        let now = to_micros(now);
        let mut tx = self.begin_write().await?;
        let idea = by_reference(&mut tx, reference)
            .await?
            .ok_or_else(|| IdeaStepError::NotFound(reference.into()))?;
        let to =
            check_decision(idea.status, idea.scores.len(), accept, reward.as_ref().map(|r| r.amount_minor))?;
        sqlx::query("UPDATE ideas SET status = ?, decided_at = ?, decided_by = ? WHERE id = ?")
            .bind(to.as_str())
            .bind(ts(now))
            .bind(member)
            .bind(idea.id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        if let Some(r) = &reward {
            sqlx::query(
                "INSERT INTO idea_rewards (idea_id, amount_minor, currency, note, at) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(idea.id)
            .bind(r.amount_minor)
            .bind(&r.currency)
            .bind(&r.note)
            .bind(ts(now))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        append(&mut tx, audit.with_record(format!("idea:{reference}"))).await?;
        let idea =
            by_reference(&mut tx, reference).await?.ok_or_else(|| StoreError::invalid("idea", "lost"))?;
        tx.commit().await.map_err(db)?;
        Ok(idea)
    }
}
