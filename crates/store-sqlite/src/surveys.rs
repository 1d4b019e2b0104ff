//! Surveys on SQLite.

use crate::audit::append;
use crate::{SqliteStore, db, ts};
use async_trait::async_trait;
use jiff::Timestamp;
use onestop_domain::audit::AuditEvent;
use onestop_domain::feedback::survey::{Answer, SurveyChannel};
use onestop_store::queue::to_micros;
use onestop_store::surveys::{
    NewSurvey, SurveyRecord, SurveyStore, decode_answers, decode_channels, decode_questions, encode_answers,
    encode_channels, encode_questions,
};
use onestop_store::{StoreError, parse_timestamp};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

const COLUMNS: &str = "id, code, title, questions, channels, created_at, published_at";

fn survey(row: &SqliteRow) -> Result<SurveyRecord, StoreError> {
    Ok(SurveyRecord {
        id: row.get("id"),
        code: row.get("code"),
        title: row.get("title"),
        questions: decode_questions(row.get("questions"))?,
        channels: decode_channels(row.get("channels")),
        created_at: parse_timestamp(row.get("created_at"))?,
        published_at: row
            .get::<Option<String>, _>("published_at")
            .as_deref()
            .map(parse_timestamp)
            .transpose()?,
    })
}

#[async_trait]
impl SurveyStore for SqliteStore {
    async fn create_survey(
        &self,
        new: NewSurvey,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<SurveyRecord, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(&format!(
            "INSERT INTO surveys (code, title, questions, channels, created_at) VALUES (?, ?, ?, ?, ?) RETURNING {COLUMNS}"
        ))
        .bind(&new.code)
        .bind(&new.title)
        .bind(encode_questions(&new.questions))
        .bind(encode_channels(&new.channels))
        .bind(ts(to_micros(now)))
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        append(&mut tx, audit.with_record(format!("survey:{}", new.code))).await?;
        let record = survey(&row)?;
        tx.commit().await.map_err(db)?;
        Ok(record)
    }

    async fn publish_survey(
        &self,
        code: &str,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<SurveyRecord, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(&format!(
            "UPDATE surveys SET published_at = COALESCE(published_at, ?) WHERE code = ? RETURNING {COLUMNS}"
        ))
        .bind(ts(to_micros(now)))
        .bind(code)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?
        .ok_or_else(|| StoreError::NotFound(format!("survey {code}")))?;
        append(&mut tx, audit.with_record(format!("survey:{code}"))).await?;
        let record = survey(&row)?;
        tx.commit().await.map_err(db)?;
        Ok(record)
    }

    async fn survey(&self, code: &str) -> Result<Option<SurveyRecord>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM surveys WHERE code = ?"))
            .bind(code)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.as_ref().map(survey).transpose()
    }

    async fn surveys(&self) -> Result<Vec<SurveyRecord>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM surveys ORDER BY created_at DESC, id DESC"))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(survey).collect()
    }

    async fn answer_survey(
        &self,
        survey_id: i64,
        channel: SurveyChannel,
        answers: &[Answer],
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO survey_responses (survey_id, channel, at, answers) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(survey_id)
        .bind(channel.as_str())
        .bind(ts(to_micros(now)))
        .bind(encode_answers(answers))
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        append(&mut tx, audit.with_record(format!("survey_response:{id}"))).await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn survey_responses(&self, survey_id: i64) -> Result<Vec<Vec<Answer>>, StoreError> {
        let rows = sqlx::query("SELECT answers FROM survey_responses WHERE survey_id = ? ORDER BY id")
            .bind(survey_id)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(|r| decode_answers(r.get("answers"))).collect()
    }
}
