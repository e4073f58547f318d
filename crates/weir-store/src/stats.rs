//! Hourly traffic rollups. Gateways add the deltas of their in-memory
//! counters (see `weir_proxy::stats`) every few seconds; the admin side reads
//! hours summed over every node that wrote them.

use std::collections::BTreeMap;

pub use weir_core::rollup::{StatsDelta, StatsHour};

use crate::{Store, StoreError};

type Row = (
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    String,
    String,
    Option<String>,
);

impl Store {
    /// Add `deltas` to `node`'s rows, in one transaction.
    pub async fn add_stats(&self, node: &str, deltas: &[StatsDelta]) -> Result<(), StoreError> {
        if deltas.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for d in deltas {
            let existing: Option<Row> = sqlx::query_as(self.dialect.sql(
                "SELECT hour, requests, status_1xx, status_2xx, status_3xx, status_4xx, \
                 status_5xx, rejections, latency, counters FROM weir_stats_hourly \
                 WHERE scope = ? AND name = ? AND hour = ? AND node = ?",
            ))
            .bind(&d.scope)
            .bind(&d.name)
            .bind(d.counts.hour)
            .bind(node)
            .fetch_optional(&mut *tx)
            .await?;
            match existing {
                Some(row) => {
                    let mut total = d.clone();
                    total.counts.add(&decode(row)?);
                    self.update_row(&mut tx, node, &total).await?;
                }
                None => self.insert_row(&mut tx, node, d).await?,
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Set `node`'s rows to `totals`, in one transaction: each entry is
    /// everything `node` counted for that scope, name and hour. Cheaper than
    /// [`Store::add_stats`] (no read-back) for a writer that keeps its own
    /// totals, which a gateway can since its node id is unique per start.
    pub async fn put_stats(&self, node: &str, totals: &[StatsDelta]) -> Result<(), StoreError> {
        if totals.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for d in totals {
            // Every put carries new counts, so an existing row always
            // changes: zero affected rows means there is none yet (MySQL
            // counts changed rows, not matched ones).
            if !self.update_row(&mut tx, node, d).await? {
                self.insert_row(&mut tx, node, d).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Overwrite one row; false when it does not exist.
    async fn update_row(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        node: &str,
        row: &StatsDelta,
    ) -> Result<bool, StoreError> {
        let total = &row.counts;
        let (s, rejections, latency, counters) = columns(total)?;
        let done = self
            .q(
                "UPDATE weir_stats_hourly SET requests = ?, status_1xx = ?, status_2xx = ?, \
                 status_3xx = ?, status_4xx = ?, status_5xx = ?, rejections = ?, latency = ?, \
                 counters = ? WHERE scope = ? AND name = ? AND hour = ? AND node = ?",
            )
            .bind(total.requests as i64)
            .bind(s[0])
            .bind(s[1])
            .bind(s[2])
            .bind(s[3])
            .bind(s[4])
            .bind(rejections)
            .bind(latency)
            .bind(counters)
            .bind(&row.scope)
            .bind(&row.name)
            .bind(total.hour)
            .bind(node)
            .execute(&mut **tx)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn insert_row(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        node: &str,
        row: &StatsDelta,
    ) -> Result<(), StoreError> {
        let total = &row.counts;
        let (s, rejections, latency, counters) = columns(total)?;
        self.q(
            "INSERT INTO weir_stats_hourly (scope, name, hour, node, requests, status_1xx, \
             status_2xx, status_3xx, status_4xx, status_5xx, rejections, latency, counters) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&row.scope)
        .bind(&row.name)
        .bind(total.hour)
        .bind(node)
        .bind(total.requests as i64)
        .bind(s[0])
        .bind(s[1])
        .bind(s[2])
        .bind(s[3])
        .bind(s[4])
        .bind(rejections)
        .bind(latency)
        .bind(counters)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Hours in `[from_hour, to_hour)` for one scope, summed over nodes, in
    /// hour order (hours without traffic are absent).
    pub async fn stats_hours(
        &self,
        scope: &str,
        name: &str,
        from_hour: i64,
        to_hour: i64,
    ) -> Result<Vec<StatsHour>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(self.dialect.sql(
            "SELECT hour, requests, status_1xx, status_2xx, status_3xx, status_4xx, \
             status_5xx, rejections, latency, counters FROM weir_stats_hourly \
             WHERE scope = ? AND name = ? AND hour >= ? AND hour < ? ORDER BY hour",
        ))
        .bind(scope)
        .bind(name)
        .bind(from_hour)
        .bind(to_hour)
        .fetch_all(&self.pool)
        .await?;
        let mut by_hour: BTreeMap<i64, StatsHour> = BTreeMap::new();
        for row in rows {
            let h = decode(row)?;
            by_hour
                .entry(h.hour)
                .or_insert_with(|| StatsHour {
                    hour: h.hour,
                    ..StatsHour::default()
                })
                .add(&h);
        }
        Ok(by_hour.into_values().collect())
    }

    /// Request totals per name of a scope over `[from_hour, to_hour)`, for
    /// lists (e.g. today's requests of every service).
    pub async fn stats_totals(
        &self,
        scope: &str,
        from_hour: i64,
        to_hour: i64,
    ) -> Result<BTreeMap<String, u64>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(self.dialect.sql(
            "SELECT name, requests FROM weir_stats_hourly \
             WHERE scope = ? AND hour >= ? AND hour < ?",
        ))
        .bind(scope)
        .bind(from_hour)
        .bind(to_hour)
        .fetch_all(&self.pool)
        .await?;
        let mut out = BTreeMap::new();
        for (name, requests) in rows {
            *out.entry(name).or_default() += requests.max(0) as u64;
        }
        Ok(out)
    }

    /// Delete rollups of hours before `before_hour` (retention).
    pub async fn prune_stats(&self, before_hour: i64) -> Result<u64, StoreError> {
        let done = self
            .q("DELETE FROM weir_stats_hourly WHERE hour < ?")
            .bind(before_hour)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

fn decode(row: Row) -> Result<StatsHour, StoreError> {
    let (hour, requests, s1, s2, s3, s4, s5, rejections, latency, counters) = row;
    let corrupt = |message: String| StoreError::Corrupt {
        kind: "stats".into(),
        name: hour.to_string(),
        message,
    };
    let rejections: BTreeMap<String, u64> =
        serde_json::from_str(&rejections).map_err(|e| corrupt(e.to_string()))?;
    let pairs: Vec<(usize, u64)> =
        serde_json::from_str(&latency).map_err(|e| corrupt(e.to_string()))?;
    let counters: BTreeMap<String, u64> = match counters.as_deref() {
        None | Some("") => BTreeMap::new(),
        Some(text) => serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?,
    };
    Ok(StatsHour {
        hour,
        requests: requests.max(0) as u64,
        status: [s1, s2, s3, s4, s5].map(|v| v.max(0) as u64),
        rejections,
        latency: pairs.into_iter().collect(),
        counters,
    })
}

/// The stored form of a row's counts: status classes, rejections (JSON),
/// the latency histogram and the further counters (JSON).
fn columns(total: &StatsHour) -> Result<([i64; 5], String, String, String), StoreError> {
    let rejections = serde_json::to_string(&total.rejections).map_err(StoreError::Encode)?;
    let counters = serde_json::to_string(&total.counters).map_err(StoreError::Encode)?;
    Ok((
        total.status.map(|v| v as i64),
        rejections,
        encode_latency(&total.latency)?,
        counters,
    ))
}

fn encode_latency(latency: &BTreeMap<usize, u64>) -> Result<String, StoreError> {
    let pairs: Vec<(usize, u64)> = latency
        .iter()
        .filter(|(_, v)| **v > 0)
        .map(|(k, v)| (*k, *v))
        .collect();
    serde_json::to_string(&pairs).map_err(StoreError::Encode)
}
