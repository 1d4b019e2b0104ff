//! The portable dump on PostgreSQL: reads the schema from `information_schema` in the current schema.

use crate::db;
use onestop_store::StoreError;
use onestop_store::dump::{
    Column, ColumnKind, DumpError, DumpReader, DumpSummary, DumpWriter, Value, import_order,
};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};
use std::collections::BTreeMap;
use std::path::Path;

/// The canonical timestamp form of `onestop_store::canonical_timestamp`, written by PostgreSQL.
const TIMESTAMP_FORMAT: &str = "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'";

/// A table as this database declares it.
struct TableInfo {
    name: String,
    columns: Vec<Column>,
    primary_key: Vec<String>,
}

const SCHEMA_VERSION: &str = "SELECT MAX(version) FROM _sqlx_migrations WHERE success";

pub(crate) async fn schema_version(pool: &PgPool) -> Result<Option<i64>, StoreError> {
    sqlx::query_scalar(SCHEMA_VERSION).fetch_one(pool).await.map_err(db)
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Maps a column's SQL type onto the dump's types. Migrations use only these types.
fn kind_of(table: &str, column: &str, data_type: &str) -> Result<ColumnKind, DumpError> {
    Ok(match data_type {
        "bigint" | "integer" | "smallint" => ColumnKind::Integer,
        "double precision" | "real" => ColumnKind::Real,
        "text" | "character varying" => ColumnKind::Text,
        "boolean" => ColumnKind::Boolean,
        "bytea" => ColumnKind::Bytes,
        "timestamp with time zone" => ColumnKind::Timestamp,
        "date" => ColumnKind::Date,
        other => {
            return Err(DumpError::TableMismatch(format!(
                "column {table}.{column} has type {other:?}, which the dump format does not know"
            )));
        }
    })
}

async fn tables(conn: &mut PgConnection) -> Result<Vec<TableInfo>, DumpError> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations'
         ORDER BY table_name COLLATE \"C\"",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let rows = sqlx::query(
            "SELECT column_name::text AS name, data_type::text AS type FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
        let mut columns = rows
            .iter()
            .map(|row| {
                let column: String = row.get("name");
                let data_type: String = row.get("type");
                Ok(Column { kind: kind_of(&name, &column, &data_type)?, name: column })
            })
            .collect::<Result<Vec<_>, DumpError>>()?;
        columns.sort_by(|a, b| a.name.cmp(&b.name));
        let primary_key: Vec<String> = sqlx::query_scalar(
            "SELECT kcu.column_name::text FROM information_schema.table_constraints tc
             JOIN information_schema.key_column_usage kcu
               ON kcu.constraint_schema = tc.constraint_schema AND kcu.constraint_name = tc.constraint_name
             WHERE tc.table_schema = current_schema() AND tc.table_name = $1 AND tc.constraint_type = 'PRIMARY KEY'
             ORDER BY kcu.ordinal_position",
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
        out.push(TableInfo { name, columns, primary_key });
    }
    Ok(out)
}

/// The expression that reads a column in the form the dump wants.
fn select_expr(column: &Column) -> String {
    let name = quote(&column.name);
    match column.kind {
        ColumnKind::Integer => format!("{name}::int8"),
        ColumnKind::Real => format!("{name}::float8"),
        ColumnKind::Timestamp => format!("to_char({name} AT TIME ZONE 'UTC', {TIMESTAMP_FORMAT})"),
        ColumnKind::Date => format!("to_char({name}, 'YYYY-MM-DD')"),
        ColumnKind::Text | ColumnKind::Boolean | ColumnKind::Bytes => name,
    }
}

/// The expression that orders by a column the way SQLite does (text by bytes, not by locale).
fn order_expr(column: &Column) -> String {
    match column.kind {
        ColumnKind::Text => format!("{} COLLATE \"C\"", quote(&column.name)),
        _ => quote(&column.name),
    }
}

fn read_value(row: &PgRow, index: usize, kind: ColumnKind) -> Result<Value, StoreError> {
    let value = match kind {
        ColumnKind::Integer => row.try_get::<Option<i64>, _>(index).map(|v| v.map(Value::Integer)),
        ColumnKind::Real => row.try_get::<Option<f64>, _>(index).map(|v| v.map(Value::Real)),
        ColumnKind::Text => row.try_get::<Option<String>, _>(index).map(|v| v.map(Value::Text)),
        ColumnKind::Boolean => row.try_get::<Option<bool>, _>(index).map(|v| v.map(Value::Boolean)),
        ColumnKind::Bytes => row.try_get::<Option<Vec<u8>>, _>(index).map(|v| v.map(Value::Bytes)),
        ColumnKind::Timestamp => row.try_get::<Option<String>, _>(index).map(|v| v.map(Value::Timestamp)),
        ColumnKind::Date => row.try_get::<Option<String>, _>(index).map(|v| v.map(Value::Date)),
    };
    Ok(value.map_err(db)?.unwrap_or(Value::Null))
}

pub(crate) async fn export(pool: &PgPool, dir: &Path) -> Result<DumpSummary, DumpError> {
    // One snapshot for the whole dump, even while the server writes.
    let mut tx = pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await.map_err(db)?;
    let version = sqlx::query_scalar::<_, Option<i64>>(SCHEMA_VERSION)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?
        .unwrap_or(0);
    let mut writer = DumpWriter::create(dir, version)?;
    for table in tables(&mut tx).await? {
        let select: Vec<_> = table.columns.iter().map(select_expr).collect();
        let order: Vec<_> = if table.primary_key.is_empty() {
            table.columns.iter().map(order_expr).collect()
        } else {
            table
                .primary_key
                .iter()
                .filter_map(|k| table.columns.iter().find(|c| &c.name == k))
                .map(order_expr)
                .collect()
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

/// The placeholder for a value of a column: explicit casts where the dump carries text.
fn placeholder(n: usize, kind: ColumnKind) -> String {
    match kind {
        ColumnKind::Timestamp => format!("${n}::timestamptz"),
        ColumnKind::Date => format!("${n}::date"),
        _ => format!("${n}"),
    }
}

pub(crate) async fn import(pool: &PgPool, dir: &Path) -> Result<DumpSummary, DumpError> {
    let reader = DumpReader::open(dir)?;
    let mut tx = pool.begin().await.map_err(db)?;
    let database = sqlx::query_scalar::<_, Option<i64>>(SCHEMA_VERSION)
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
    let references: Vec<(String, String)> = sqlx::query_as(
        "SELECT tc.table_name::text, ccu.table_name::text FROM information_schema.table_constraints tc
         JOIN information_schema.constraint_column_usage ccu
           ON ccu.constraint_schema = tc.constraint_schema AND ccu.constraint_name = tc.constraint_name
         WHERE tc.table_schema = current_schema() AND tc.constraint_type = 'FOREIGN KEY'",
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    sqlx::query("SET CONSTRAINTS ALL DEFERRED").execute(&mut *tx).await.map_err(db)?;

    let names: Vec<String> = by_name.keys().cloned().collect();
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
        let values: Vec<_> = columns.iter().enumerate().map(|(i, c)| placeholder(i + 1, c.kind)).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            quote(&name),
            column_list.join(", "),
            values.join(", ")
        );
        for row in reader.rows(&name)? {
            let mut query = sqlx::query(&sql);
            for (value, column) in row?.into_iter().zip(columns) {
                query = match (value, column.kind) {
                    (Value::Null, ColumnKind::Integer) => query.bind(None::<i64>),
                    (Value::Null, ColumnKind::Real) => query.bind(None::<f64>),
                    (Value::Null, ColumnKind::Boolean) => query.bind(None::<bool>),
                    (Value::Null, ColumnKind::Bytes) => query.bind(None::<Vec<u8>>),
                    (Value::Null, _) => query.bind(None::<String>),
                    (Value::Integer(i), _) => query.bind(i),
                    (Value::Real(r), _) => query.bind(r),
                    (Value::Text(s) | Value::Timestamp(s) | Value::Date(s), _) => query.bind(s),
                    (Value::Boolean(b), _) => query.bind(b),
                    (Value::Bytes(b), _) => query.bind(b),
                };
            }
            query.execute(&mut *tx).await.map_err(db)?;
            summary.rows += 1;
        }
        summary.tables += 1;
    }
    // Identity columns continue after the highest imported value.
    let identities: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')",
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    for (table, column) in identities {
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX({col}), 0) + 1, false) FROM {tab}",
            col = quote(&column),
            tab = quote(&table)
        );
        sqlx::query(&sql).bind(quote(&table)).bind(&column).execute(&mut *tx).await.map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    Ok(summary)
}
