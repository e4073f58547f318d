//! Self-registration: instances register `service + address (+ weight,
//! metadata)` with a TTL, renew it by heartbeat, and deregister on shutdown;
//! a registration not renewed within its TTL counts as gone.
//!
//! This is runtime state, not configuration: nothing here writes a revision
//! (a heartbeat every few seconds per instance would bury the history). It
//! lives in the store anyway so that it survives a restart and every gateway
//! node sharing the store sees the same instances.
//!
//! How followers (gateways) keep up cheaply: `weir_registration_seq` is one
//! integer bumped by every change that matters for routing — a registration,
//! a heartbeat that changes weight, metadata or TTL, a deregistration, and a
//! prune that removed something. A plain renewal does **not** bump it (it
//! would make every heartbeat a full re-read on every gateway). So a
//! follower must not expire what it cached by the cached `expires_at_ms`
//! (that goes stale with every unbumped renewal); instead each poll it calls
//! [`Store::prune_registrations`] (which deletes what really expired and
//! bumps the sequence if it did), then [`Store::registration_seq`], and
//! re-reads [`Store::registrations`] only when the sequence moved.
//!
//! Readers never see expired rows: [`Store::registrations`] and
//! [`Store::registration`] filter by time, whether or not anyone pruned.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use rand::RngCore;
use weir_core::{Msg, ValidationErrors};

use crate::{Store, StoreError};

/// TTL when the instance names none.
pub const DEFAULT_TTL: Duration = Duration::from_secs(30);
/// Shortest TTL: below it, heartbeats would be a load of their own.
pub const MIN_TTL: Duration = Duration::from_secs(1);
/// Longest TTL: a crashed instance must not linger for longer than this.
pub const MAX_TTL: Duration = Duration::from_secs(3600);
/// The same bound as a configured node's weight.
pub const MAX_WEIGHT: u32 = 1_000_000;
/// Metadata bounds, so that one registration cannot bloat every follower's
/// copy of the table.
pub const MAX_METADATA_ENTRIES: usize = 32;
pub const MAX_METADATA_KEY: usize = 64;
pub const MAX_METADATA_VALUE: usize = 512;

/// A live registration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Registration {
    /// Random, stable for the life of the registration (re-registering the
    /// same service and address keeps it).
    pub id: String,
    pub service: String,
    /// Canonical `ip:port` (`[v6]:port`).
    pub addr: String,
    pub weight: u32,
    pub metadata: BTreeMap<String, String>,
    pub ttl_ms: i64,
    /// Unix ms after which the registration is gone unless renewed.
    pub expires_at_ms: i64,
    pub created_at_ms: i64,
    /// Unix ms of the last registration or heartbeat.
    pub updated_at_ms: i64,
}

/// What [`Store::register`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub registration: Registration,
    /// False when an unexpired registration of the same service and address
    /// existed and was renewed (same id).
    pub created: bool,
}

/// A registration to make: see [`Store::register_new`].
#[derive(Debug, Clone, Copy)]
pub struct NewRegistration<'a> {
    pub service: &'a str,
    pub addr: &'a str,
    pub weight: u32,
    pub metadata: &'a BTreeMap<String, String>,
    pub ttl: Duration,
    /// Live registrations the service may have at most (the service's
    /// `registration.max_instances`); renewals are always allowed.
    pub max_instances: Option<u32>,
}

/// Optional changes a heartbeat carries; the default is a plain renewal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistrationUpdate {
    pub ttl: Option<Duration>,
    pub weight: Option<u32>,
    pub metadata: Option<BTreeMap<String, String>>,
}

type Row = (String, String, String, i64, String, i64, i64, i64, i64);

fn from_row(
    (id, service, addr, weight, metadata, ttl_ms, expires_at_ms, created_at_ms, updated_at_ms): Row,
) -> Result<Registration, StoreError> {
    let metadata =
        serde_json::from_str(&metadata).map_err(|e| StoreError::corrupt("registration", &id, e))?;
    Ok(Registration {
        weight: u32::try_from(weight).map_err(|e| StoreError::corrupt("registration", &id, e))?,
        id,
        service,
        addr,
        metadata,
        ttl_ms,
        expires_at_ms,
        created_at_ms,
        updated_at_ms,
    })
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// `addr` as a canonical `ip:port`, or why it cannot be one. Only literal
/// addresses: a registering instance knows its own address, and a name would
/// need resolving (DNS discovery is the configured nodes' business).
pub fn canonical_addr(addr: &str) -> Result<String, Msg> {
    let owned = || addr.to_owned();
    let sa: SocketAddr = addr
        .trim()
        .parse()
        .map_err(|_| Msg::RegAddrNotIpPort { addr: owned() })?;
    let ip = sa.ip();
    if sa.port() == 0 {
        return Err(Msg::AddrPortZero { addr: owned() });
    }
    if ip.is_unspecified() || ip.is_multicast() {
        return Err(Msg::RegAddrNotUnicast { addr: owned() });
    }
    if let std::net::IpAddr::V4(v4) = ip
        && v4.is_broadcast()
    {
        return Err(Msg::RegAddrBroadcast { addr: owned() });
    }
    Ok(sa.to_string())
}

fn check_ttl(ttl: Duration, errors: &mut ValidationErrors) {
    if ttl < MIN_TTL || ttl > MAX_TTL {
        errors.push(
            "ttl",
            Msg::BetweenSeconds {
                min: MIN_TTL.as_secs(),
                max: MAX_TTL.as_secs(),
            },
        );
    }
}

fn check_weight(weight: u32, errors: &mut ValidationErrors) {
    if weight == 0 || weight > MAX_WEIGHT {
        errors.push(
            "weight",
            Msg::Between {
                min: 1,
                max: u64::from(MAX_WEIGHT),
            },
        );
    }
}

fn check_metadata(metadata: &BTreeMap<String, String>, errors: &mut ValidationErrors) {
    if metadata.len() > MAX_METADATA_ENTRIES {
        errors.push(
            "metadata",
            Msg::AtMostEntries {
                max: MAX_METADATA_ENTRIES,
            },
        );
        return;
    }
    for (k, v) in metadata {
        if k.is_empty() || k.chars().count() > MAX_METADATA_KEY || k.chars().any(char::is_control) {
            errors.push(
                format!("metadata.{k}"),
                Msg::MetadataKey {
                    max: MAX_METADATA_KEY,
                },
            );
        } else if v.chars().count() > MAX_METADATA_VALUE {
            errors.push(
                format!("metadata.{k}"),
                Msg::MetadataValue {
                    max: MAX_METADATA_VALUE,
                },
            );
        }
    }
}

pub(crate) fn new_id() -> String {
    let mut buf = [0u8; 16];
    rand::rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    /// Register `addr` for `service` for `ttl` from `now_ms`, or renew the
    /// unexpired registration of the same pair (same id; weight, metadata
    /// and TTL replaced). Validates the address (`ip:port`), weight, TTL and
    /// metadata ([`StoreError::Invalid`] with paths `addr`, `weight`, `ttl`,
    /// `metadata.KEY`). Whether `service` exists in the configuration is the
    /// caller's business: registrations may outlive their service's
    /// configuration by a TTL.
    pub async fn register(
        &self,
        service: &str,
        addr: &str,
        weight: u32,
        metadata: &BTreeMap<String, String>,
        ttl: Duration,
        now_ms: i64,
    ) -> Result<Registered, StoreError> {
        let new = NewRegistration {
            service,
            addr,
            weight,
            metadata,
            ttl,
            max_instances: None,
        };
        self.register_new(&new, now_ms).await
    }

    /// [`Store::register`], refusing a new registration with
    /// [`StoreError::LimitReached`] when the service already has
    /// `max_instances` live ones (checked inside the write transaction, so
    /// concurrent registrations cannot overshoot).
    pub async fn register_new(
        &self,
        new: &NewRegistration<'_>,
        now_ms: i64,
    ) -> Result<Registered, StoreError> {
        let NewRegistration {
            service,
            addr,
            weight,
            metadata,
            ttl,
            max_instances,
        } = *new;
        let mut errors = ValidationErrors::default();
        let addr = match canonical_addr(addr) {
            Ok(a) => a,
            Err(e) => {
                errors.push("addr", e);
                String::new()
            }
        };
        if service.is_empty() || service.len() > 64 {
            errors.push("service", Msg::LengthBetween { min: 1, max: 64 });
        }
        check_weight(weight, &mut errors);
        check_ttl(ttl, &mut errors);
        check_metadata(metadata, &mut errors);
        errors.into_result().map_err(StoreError::Invalid)?;
        let metadata_text = serde_json::to_string(metadata)?;
        let ttl_ms = ms(ttl);
        let expires = now_ms.saturating_add(ttl_ms);

        let mut tx = self.begin_write().await?;
        // Bump first: the row lock serialises registration writers on
        // PostgreSQL and MySQL (SQLite's BEGIN IMMEDIATE already does), so two
        // instances registering the same pair at once cannot both insert.
        self.q("UPDATE weir_registration_seq SET seq = seq + 1 WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        let existing: Option<(String, i64, i64)> = sqlx::query_as(self.dialect.sql(
            "SELECT id, created_at_ms, expires_at_ms FROM weir_registrations \
             WHERE service = ? AND addr = ?",
        ))
        .bind(service)
        .bind(addr.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let (id, created_at_ms, created) = match existing {
            Some((id, created_at, expires_at)) if expires_at > now_ms => {
                self.q(
                    "UPDATE weir_registrations SET weight = ?, metadata = ?, ttl_ms = ?, \
                     expires_at_ms = ?, updated_at_ms = ? WHERE id = ?",
                )
                .bind(i64::from(weight))
                .bind(metadata_text.as_str())
                .bind(ttl_ms)
                .bind(expires)
                .bind(now_ms)
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
                (id, created_at, false)
            }
            stale => {
                if let Some(cap) = max_instances {
                    let (live,): (i64,) = sqlx::query_as(self.dialect.sql(
                        "SELECT COUNT(*) FROM weir_registrations \
                         WHERE service = ? AND expires_at_ms > ?",
                    ))
                    .bind(service)
                    .bind(now_ms)
                    .fetch_one(&mut *tx)
                    .await?;
                    if live >= i64::from(cap) {
                        tx.rollback().await?;
                        return Err(StoreError::LimitReached(format!(
                            "service {service:?} already has {live} live registrations \
                             (registration.max_instances = {cap})"
                        )));
                    }
                }
                // An expired row nobody pruned yet is a past life of this
                // instance: the new registration gets a fresh id.
                if let Some((old, _, _)) = stale {
                    self.q("DELETE FROM weir_registrations WHERE id = ?")
                        .bind(old)
                        .execute(&mut *tx)
                        .await?;
                }
                let id = new_id();
                self.q(
                    "INSERT INTO weir_registrations (id, service, addr, weight, metadata, \
                     ttl_ms, expires_at_ms, created_at_ms, updated_at_ms) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(id.as_str())
                .bind(service)
                .bind(addr.as_str())
                .bind(i64::from(weight))
                .bind(metadata_text.as_str())
                .bind(ttl_ms)
                .bind(expires)
                .bind(now_ms)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
                (id, now_ms, true)
            }
        };
        tx.commit().await?;
        Ok(Registered {
            registration: Registration {
                id,
                service: service.to_owned(),
                addr,
                weight,
                metadata: metadata.clone(),
                ttl_ms,
                expires_at_ms: expires,
                created_at_ms,
                updated_at_ms: now_ms,
            },
            created,
        })
    }

    /// Renew registration `id` for its TTL (or `update.ttl`) from `now_ms`,
    /// applying the update's weight and metadata. [`StoreError::NotFound`]
    /// when there is no such registration or it already expired (the
    /// instance must register again).
    pub async fn heartbeat(
        &self,
        id: &str,
        update: &RegistrationUpdate,
        now_ms: i64,
    ) -> Result<Registration, StoreError> {
        let mut errors = ValidationErrors::default();
        if let Some(ttl) = update.ttl {
            check_ttl(ttl, &mut errors);
        }
        if let Some(w) = update.weight {
            check_weight(w, &mut errors);
        }
        if let Some(m) = &update.metadata {
            check_metadata(m, &mut errors);
        }
        errors.into_result().map_err(StoreError::Invalid)?;

        let mut tx = self.begin_write().await?;
        let row: Option<Row> = sqlx::query_as(self.dialect.sql(
            "SELECT id, service, addr, weight, metadata, ttl_ms, expires_at_ms, \
             created_at_ms, updated_at_ms FROM weir_registrations WHERE id = ?",
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(current) = row.map(from_row).transpose()? else {
            tx.rollback().await?;
            return Err(StoreError::NotFound(format!("registration {id:?}")));
        };
        if current.expires_at_ms <= now_ms {
            tx.rollback().await?;
            return Err(StoreError::NotFound(format!(
                "registration {id:?} (it expired; register again)"
            )));
        }
        let mut next = current.clone();
        if let Some(ttl) = update.ttl {
            next.ttl_ms = ms(ttl);
        }
        if let Some(w) = update.weight {
            next.weight = w;
        }
        if let Some(m) = &update.metadata {
            next.metadata = m.clone();
        }
        next.expires_at_ms = now_ms.saturating_add(next.ttl_ms);
        next.updated_at_ms = now_ms;
        let changed = next.ttl_ms != current.ttl_ms
            || next.weight != current.weight
            || next.metadata != current.metadata;
        if changed {
            self.q("UPDATE weir_registration_seq SET seq = seq + 1 WHERE id = 1")
                .execute(&mut *tx)
                .await?;
        }
        self.q(
            "UPDATE weir_registrations SET weight = ?, metadata = ?, ttl_ms = ?, \
             expires_at_ms = ?, updated_at_ms = ? WHERE id = ?",
        )
        .bind(i64::from(next.weight))
        .bind(serde_json::to_string(&next.metadata)?)
        .bind(next.ttl_ms)
        .bind(next.expires_at_ms)
        .bind(now_ms)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Remove registration `id`, returning it. [`StoreError::NotFound`] when
    /// there is none, or it had expired already (it is removed all the same).
    pub async fn deregister(&self, id: &str, now_ms: i64) -> Result<Registration, StoreError> {
        let mut tx = self.begin_write().await?;
        let row: Option<Row> = sqlx::query_as(self.dialect.sql(
            "SELECT id, service, addr, weight, metadata, ttl_ms, expires_at_ms, \
             created_at_ms, updated_at_ms FROM weir_registrations WHERE id = ?",
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Err(StoreError::NotFound(format!("registration {id:?}")));
        };
        self.q("DELETE FROM weir_registrations WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.q("UPDATE weir_registration_seq SET seq = seq + 1 WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        let gone = from_row(row)?;
        if gone.expires_at_ms <= now_ms {
            return Err(StoreError::NotFound(format!(
                "registration {id:?} (it had expired)"
            )));
        }
        Ok(gone)
    }

    /// One unexpired registration.
    pub async fn registration(
        &self,
        id: &str,
        now_ms: i64,
    ) -> Result<Option<Registration>, StoreError> {
        let row: Option<Row> = sqlx::query_as(self.dialect.sql(
            "SELECT id, service, addr, weight, metadata, ttl_ms, expires_at_ms, \
             created_at_ms, updated_at_ms FROM weir_registrations \
             WHERE id = ? AND expires_at_ms > ?",
        ))
        .bind(id)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?;
        row.map(from_row).transpose()
    }

    /// Every unexpired registration, by service then address.
    pub async fn registrations(&self, now_ms: i64) -> Result<Vec<Registration>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(self.dialect.sql(
            "SELECT id, service, addr, weight, metadata, ttl_ms, expires_at_ms, \
             created_at_ms, updated_at_ms FROM weir_registrations \
             WHERE expires_at_ms > ? ORDER BY service, addr",
        ))
        .bind(now_ms)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(from_row).collect()
    }

    /// The registration sequence: changes whenever the set of live
    /// registrations or their routing fields change (see the module docs
    /// for what a follower must do about plain renewals and expiry).
    pub async fn registration_seq(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            self.dialect
                .sql("SELECT seq FROM weir_registration_seq WHERE id = 1"),
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// Delete registrations expired at `now_ms`; returns how many. Bumps
    /// the sequence when it removed any, so followers notice the expiry.
    /// Safe to call from every gateway at once.
    pub async fn prune_registrations(&self, now_ms: i64) -> Result<u64, StoreError> {
        // Checked without a write transaction first: prune runs on every
        // follower poll and almost always finds nothing.
        let due: i64 = sqlx::query_scalar(
            self.dialect
                .sql("SELECT COUNT(*) FROM weir_registrations WHERE expires_at_ms <= ?"),
        )
        .bind(now_ms)
        .fetch_one(&self.pool)
        .await?;
        if due == 0 {
            return Ok(0);
        }
        let mut tx = self.begin_write().await?;
        let removed = self
            .q("DELETE FROM weir_registrations WHERE expires_at_ms <= ?")
            .bind(now_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if removed > 0 {
            self.q("UPDATE weir_registration_seq SET seq = seq + 1 WHERE id = 1")
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_literal_unicast_ip_port() {
        assert_eq!(canonical_addr("10.0.0.5:8080").unwrap(), "10.0.0.5:8080");
        assert_eq!(
            canonical_addr(" [2001:DB8::5]:80 ").unwrap(),
            "[2001:db8::5]:80"
        );
        for bad in [
            "10.0.0.5",
            "host:80",
            "10.0.0.5:0",
            "0.0.0.0:80",
            "[::]:80",
            "224.0.0.1:80",
            "255.255.255.255:80",
            "",
        ] {
            assert!(canonical_addr(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fields_are_bounded() {
        let mut e = ValidationErrors::default();
        check_ttl(Duration::from_millis(999), &mut e);
        check_ttl(MAX_TTL + Duration::from_millis(1), &mut e);
        check_weight(0, &mut e);
        check_weight(MAX_WEIGHT + 1, &mut e);
        let mut big = BTreeMap::new();
        big.insert("k".repeat(65), "v".into());
        big.insert("v".into(), "x".repeat(513));
        check_metadata(&big, &mut e);
        let paths: Vec<_> = e.errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "ttl",
                "ttl",
                "weight",
                "weight",
                &*format!("metadata.{}", "k".repeat(65)),
                "metadata.v"
            ]
        );
        let mut ok = ValidationErrors::default();
        check_ttl(MIN_TTL, &mut ok);
        check_ttl(MAX_TTL, &mut ok);
        check_weight(1, &mut ok);
        check_weight(MAX_WEIGHT, &mut ok);
        assert!(ok.is_empty());
    }
}
