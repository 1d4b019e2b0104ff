//! The portable dump on SQLite: reads the schema from `sqlite_schema` and the table pragmas.

use crate::db;
use onestop_store::dump::{
    Column, ColumnKind, DumpError, DumpReader, DumpSummary, DumpWriter, Value, import_order,
};
use onestop_store::{StoreError, canonical_timestamp, parse_timestamp};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection, SqlitePool};
use std::collections::BTreeMap;
use std::path::Path;

/// A table as this database declares it.
struct TableInfo {
    name: String,
    columns: Vec<Column>,
    primary_key: Vec<String>,
}

pub(crate) async fn schema_version(pool: &SqlitePool) -> Result<Option<i64>, StoreError> {
    sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(pool)
        .await
        .map_err(db)
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Maps a declared column type onto the dump's types. Migrations use only these names.
fn kind_of(table: &str, column: &str, declared: &str) -> Result<ColumnKind, DumpError> {
    Ok(match declared.to_ascii_uppercase().as_str() {
        "INTEGER" | "BIGINT" | "INT" => ColumnKind::Integer,
        "REAL" | "DOUBLE" => ColumnKind::Real,
        "TEXT" => ColumnKind::Text,
        "BOOLEAN" => ColumnKind::Boolean,
        "BLOB" => ColumnKind::Bytes,
        "TIMESTAMP" => ColumnKind::Timestamp,
        "DATE" => ColumnKind::Date,
        other => {
            return Err(DumpError::TableMismatch(format!(
                "column {table}.{column} has type {other:?}, which the dump format does not know"
            )));
        }
    })
}

async fn tables(conn: &mut SqliteConnection) -> Result<Vec<TableInfo>, DumpError> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_schema
         WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> '_sqlx_migrations'
         ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let rows = sqlx::query("SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid")
            .bind(&name)
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
        let mut columns = Vec::new();
        let mut keyed = Vec::new();
        for row in rows {
            let column: String = row.get("name");
            let declared: String = row.get("type");
            let pk: i64 = row.get("pk");
            columns.push(Column { kind: kind_of(&name, &column, &declared)?, name: column.clone() });
            if pk > 0 {
                keyed.push((pk, column));
            }
        }
        keyed.sort();
        columns.sort_by(|a, b| a.name.cmp(&b.name));
        out.push(TableInfo { name, columns, primary_key: keyed.into_iter().map(|(_, c)| c).collect() });
    }
    Ok(out)
}

fn read_value(row: &SqliteRow, index: usize, kind: ColumnKind) -> Result<Value, StoreError> {
    let value = match kind {
        ColumnKind::Integer => row.try_get::<Option<i64>, _>(index).map(|v| v.map(Value::Integer)),
        ColumnKind::Real => row.try_get::<Option<f64>, _>(index).map(|v| v.map(Value::Real)),
        ColumnKind::Text => row.try_get::<Option<String>, _>(index).map(|v| v.map(Value::Text)),
        ColumnKind::Boolean => row.try_get::<Option<bool>, _>(index).map(|v| v.map(Value::Boolean)),
        ColumnKind::Bytes => row.try_get::<Option<Vec<u8>>, _>(index).map(|v| v.map(Value::Bytes)),
        ColumnKind::Date => row.try_get::<Option<String>, _>(index).map(|v| v.map(Value::Date)),
        ColumnKind::Timestamp => {
            let text = row.try_get::<Option<String>, _>(index).map_err(db)?;
            return Ok(match text {
                Some(text) => Value::Timestamp(canonical_timestamp(parse_timestamp(&text)?)),
                None => Value::Null,
            });
        }
    };
    Ok(value.map_err(db)?.unwrap_or(Value::Null))
}

pub(crate) async fn export(pool: &SqlitePool, dir: &Path) -> Result<DumpSummary, DumpError> {
    // One read transaction: the dump is a consistent snapshot even while the server writes.
    let mut tx = pool.begin().await.map_err(db)?;
    let version =
        sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?
            .unwrap_or(0);
    let mut writer = DumpWriter::create(dir, version)?;
    for table in tables(&mut tx).await? {
        let select: Vec<_> = table.columns.iter().map(|c| quote(&c.name)).collect();
        let order = if table.primary_key.is_empty() {
            select.clone()
        } else {
            table.primary_key.iter().map(|c| quote(c)).collect()
        };
        let sql =
            format!("SELECT {} FROM {} ORDER BY {}", select.join(", "), quote(&table.name), order.join(", "));
        let mut out = writer.table(&table.name, table.columns.clone())?;
        let rows = sqlx::query(&sql).fetch_all(&mut *tx).await.map_err(db)?;
        for row in rows {
            let values = table
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| read_value(&row, i, c.kind))
                .collect::<Result<Vec<_>, _>>()?;
            out.row(&values)?;
        }
        out.finish()?;
    }
    tx.commit().await.map_err(db)?;
    writer.finish()
}

pub(crate) async fn import(mut tx: crate::WriteTx, dir: &Path) -> Result<DumpSummary, DumpError> {
    let reader = DumpReader::open(dir)?;
    let database =
        sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?
            .unwrap_or(0);
    if reader.manifest().schema_version != database {
        return Err(DumpError::SchemaMismatch { dump: reader.manifest().schema_version, database });
    }
    let infos = tables(&mut tx).await?;
    let by_name: BTreeMap<String, Vec<Column>> =
        infos.iter().map(|t| (t.name.clone(), t.columns.clone())).collect();
    reader.check_tables(&by_name)?;

    let mut references = Vec::new();
    for table in by_name.keys() {
        let parents: Vec<String> = sqlx::query_scalar("SELECT \"table\" FROM pragma_foreign_key_list(?)")
            .bind(table)
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        references.extend(parents.into_iter().map(|p| (table.clone(), p)));
    }
    let names: Vec<String> = by_name.keys().cloned().collect();
    // Checked at commit, so a table referencing itself may hold rows in any order.
    sqlx::query("PRAGMA defer_foreign_keys = ON").execute(&mut *tx).await.map_err(db)?;

    let mut summary = DumpSummary::default();
    for name in import_order(&names, &references)? {
        let has_rows: bool = sqlx::query_scalar(&format!("SELECT EXISTS (SELECT 1 FROM {})", quote(&name)))
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        if has_rows {
            return Err(DumpError::NotEmpty(name));
        }
        let columns = &by_name[&name];
        let column_list: Vec<_> = columns.iter().map(|c| quote(&c.name)).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            quote(&name),
            column_list.join(", "),
            vec!["?"; columns.len()].join(", ")
        );
        for row in reader.rows(&name)? {
            let mut query = sqlx::query(&sql);
            for value in row? {
                query = match value {
                    Value::Null => query.bind(None::<String>),
                    Value::Integer(i) => query.bind(i),
                    Value::Real(r) => query.bind(r),
                    Value::Text(s) | Value::Timestamp(s) | Value::Date(s) => query.bind(s),
                    Value::Boolean(b) => query.bind(b),
                    Value::Bytes(b) => query.bind(b),
                };
            }
            query.execute(&mut *tx).await.map_err(db)?;
            summary.rows += 1;
        }
        summary.tables += 1;
    }
    tx.commit().await.map_err(db)?;
    Ok(summary)
}
