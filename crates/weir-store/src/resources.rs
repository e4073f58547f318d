//! One resource at a time, for the admin API: read a kind's resources with
//! their versions, and create, replace or delete one resource against the
//! version the caller read (optimistic concurrency).
//!
//! A resource's `version` is the revision that last wrote it. A write names
//! what it expects ([`Expect`]): that the name is free (create) or that the
//! resource is still at the version the caller saw (update, delete). A stale
//! expectation is [`StoreError::VersionMismatch`] and nothing is written —
//! never a silent overwrite. Writers of *other* resources do not conflict: if
//! the store moved on meanwhile, the write is recomputed against the new
//! state and the expectation checked again.

use std::time::Duration;

use serde_json::Value;
use weir_core::{Change, ChangeOp, FieldError, Msg, ResourceKind, ValidationErrors, compile};

use crate::{APPLY_ATTEMPTS, RevisionMeta, Store, StoreError, codec};

/// A stored resource with the revision that last wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResource {
    pub name: String,
    /// The spec as stored, in the model's canonical form (defaults left
    /// out, also for specs an older version stored with them).
    pub spec: Value,
    pub version: i64,
}

/// What a single-resource write expects to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The name is not taken (create).
    Absent,
    /// The resource exists at exactly this version (update, delete).
    Version(i64),
}

/// What a single-resource write did.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceWrite {
    /// The revision written; `None` when the new spec equals the stored one
    /// (nothing written).
    pub revision: Option<i64>,
    /// The resource's version after the write (its old version when nothing
    /// was written; the new revision otherwise; for a delete, the revision
    /// that deleted it).
    pub version: i64,
    pub change: Option<Change>,
}

impl Store {
    /// The current revision and every resource of `kind` with its version,
    /// in name order, read in one consistent snapshot.
    pub async fn resources(
        &self,
        kind: ResourceKind,
    ) -> Result<(i64, Vec<StoredResource>), StoreError> {
        let (revision, rows) = self.rows().await?;
        let mut out = Vec::new();
        for (k, name, spec, version) in rows {
            if k == kind.as_str() {
                let spec = codec::read_spec(kind, &name, &spec)?;
                out.push(StoredResource {
                    name,
                    spec,
                    version,
                });
            }
        }
        Ok((revision, out))
    }

    /// One resource with its version, or `None`.
    pub async fn resource(
        &self,
        kind: ResourceKind,
        name: &str,
    ) -> Result<Option<StoredResource>, StoreError> {
        let row: Option<(String, i64)> = sqlx::query_as(
            self.dialect
                .sql("SELECT spec, version FROM weir_resources WHERE kind = ? AND name = ?"),
        )
        .bind(kind.as_str())
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(spec, version)| {
            Ok(StoredResource {
                name: name.to_owned(),
                spec: codec::read_spec(kind, name, &spec)?,
                version,
            })
        })
        .transpose()
    }

    /// Create (`spec` given, [`Expect::Absent`]), replace (`spec` given,
    /// [`Expect::Version`]) or delete (`spec` = `None`, [`Expect::Version`])
    /// one resource as one revision.
    ///
    /// The whole configuration that would result is compiled first;
    /// [`StoreError::Invalid`] then carries field paths relative to this
    /// resource (`upstream.nodes[1].addr`, not `services[4].upstream…`).
    pub async fn write_resource(
        &self,
        kind: ResourceKind,
        name: &str,
        spec: Option<Value>,
        expect: Expect,
        meta: RevisionMeta,
    ) -> Result<ResourceWrite, StoreError> {
        let what = format!("{} {name:?}", kind.as_str());
        // Compared with the stored spec, which reads canonical.
        let spec = spec.map(|s| codec::canonical(kind, s));
        for attempt in 1..=APPLY_ATTEMPTS {
            let (base, rows) = self.rows().await?;
            let existing = rows
                .iter()
                .find(|(k, n, _, _)| k == kind.as_str() && n == name)
                // Canonical: a spec stored with its defaults written out
                // equals the same spec without them (no empty revision).
                .map(|(_, n, s, v)| codec::read_spec(kind, n, s).map(|spec| (spec, *v)))
                .transpose()?;
            match (expect, &existing, &spec) {
                (Expect::Absent, Some(_), _) => return Err(StoreError::AlreadyExists(what)),
                (Expect::Version(_), None, _) => return Err(StoreError::NotFound(what)),
                (Expect::Absent, None, None) => return Err(StoreError::NotFound(what)),
                (Expect::Version(v), Some((_, current)), _) if *current != v => {
                    return Err(StoreError::VersionMismatch {
                        what,
                        current: *current,
                    });
                }
                _ => {}
            }
            if let (Some((old, version)), Some(new)) = (&existing, &spec)
                && old == new
            {
                return Ok(ResourceWrite {
                    revision: None,
                    version: *version,
                    change: None,
                });
            }

            // The configuration as it would be, validated as a whole.
            let mut doc = codec::document_from_rows(
                rows.into_iter().map(|(k, n, s, _)| (k, n, s)).collect(),
            )?;
            let mut items: Vec<(String, Value)> = doc.resources(kind).unwrap_or_default();
            items.retain(|(n, _)| n != name);
            if let Some(new) = &spec {
                items.push((name.to_owned(), new.clone()));
            }
            items.sort_by(|a, b| a.0.cmp(&b.0));
            let index = items.iter().position(|(n, _)| n == name);
            let stored = doc.clone();
            doc.set_resources(kind, items.into_iter().map(|(_, v)| v).collect())
                .map_err(|e| {
                    let error = one_line(&e.to_string());
                    StoreError::Invalid(ValidationErrors::single(
                        "",
                        Msg::DocumentInvalid { error },
                    ))
                })?;
            // A secret the new spec leaves out (write-only fields read back
            // redacted) keeps its stored value.
            doc.inherit_secrets(&stored);
            let spec = match &spec {
                Some(_) => doc
                    .resources(kind)
                    .unwrap_or_default()
                    .into_iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v),
                None => None,
            };
            if let Err(errors) = compile(&doc) {
                return Err(StoreError::Invalid(scope_errors(
                    errors,
                    kind.document_key(),
                    index,
                )));
            }

            let change = Change {
                kind,
                name: name.to_owned(),
                op: match (&existing, &spec) {
                    (None, _) => ChangeOp::Add,
                    (Some(_), Some(_)) => ChangeOp::Update,
                    (Some(_), None) => ChangeOp::Remove,
                },
                before: existing.map(|(s, _)| s),
                after: spec.clone(),
            };
            let now = crate::unix_now_secs();
            // Write-time checks name the resource (`certificates[NAME].cert`),
            // not its index: scoped by name.
            weir_core::compile::check_changes(std::slice::from_ref(&change), now)
                .map_err(|e| StoreError::Invalid(scope_named(e, kind.document_key(), name)))?;
            if let Some(revision) = self
                .write(base, std::slice::from_ref(&change), &meta)
                .await?
            {
                return Ok(ResourceWrite {
                    revision: Some(revision),
                    version: revision,
                    change: Some(change),
                });
            }
            tracing::debug!(base, attempt, %what, "resource write lost a race; recomputing");
            tokio::time::sleep(Duration::from_millis(u64::from(attempt))).await;
        }
        Err(StoreError::Conflict)
    }

    /// The revision and every resource row `(kind, name, spec, version)`,
    /// read in one consistent snapshot.
    pub(crate) async fn rows(
        &self,
    ) -> Result<(i64, Vec<(String, String, String, i64)>), StoreError> {
        let mut tx = self.pool.begin_with(self.dialect.begin_read()).await?;
        let revision: i64 = sqlx::query_scalar(self.dialect.sql(crate::REVISION_SQL))
            .fetch_one(&mut *tx)
            .await?;
        let rows = sqlx::query_as(
            self.dialect
                .sql("SELECT kind, name, spec, version FROM weir_resources ORDER BY kind, name"),
        )
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((revision, rows))
    }
}

/// Error paths relative to the written resource: `services[3].match.prefix`
/// becomes `match.prefix` when index 3 is the resource. A problem reported on
/// another resource of the kind (a route both claim is reported on whichever
/// sorts later) is about the same field of this one, so its path is scoped
/// the same way; the message still names the other resource.
fn scope_errors(errors: ValidationErrors, key: &str, index: Option<usize>) -> ValidationErrors {
    let errors = errors
        .errors
        .into_iter()
        .map(|e| {
            let Some(rest) = e.path.strip_prefix(key).and_then(|r| r.strip_prefix('[')) else {
                return e;
            };
            let Some((i, tail)) = rest.split_once(']') else {
                return e;
            };
            let ours = index.is_some_and(|ix| i.parse() == Ok(ix));
            let tail = tail.strip_prefix('.').unwrap_or(tail).to_owned();
            if ours {
                FieldError { path: tail, ..e }
            } else {
                let message = Msg::ReportedOn {
                    message: e.coded().into(),
                    path: e.path.clone(),
                };
                FieldError::new(tail, message)
            }
        })
        .collect();
    ValidationErrors { errors }
}

/// Paths `key[name].tail` (as [`weir_core::compile::check_changes`] writes
/// them) relative to resource `name`: `tail`.
fn scope_named(errors: ValidationErrors, key: &str, name: &str) -> ValidationErrors {
    let prefix = format!("{key}[{name}]");
    let errors = errors
        .errors
        .into_iter()
        .map(|e| match e.path.strip_prefix(&prefix) {
            Some(tail) => FieldError {
                path: tail.strip_prefix('.').unwrap_or(tail).to_owned(),
                ..e.clone()
            },
            None => e,
        })
        .collect();
    ValidationErrors { errors }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_scoped_to_the_resource() {
        let mut e = ValidationErrors::default();
        e.push("services[1].upstream.nodes[0].addr", Msg::AddrEmpty);
        e.push("services[0].match", Msg::MatchNeedsPrefixOrHost);
        e.push("services[1]", Msg::Required);
        e.push("other", Msg::Required);
        let scoped = scope_errors(e, "services", Some(1));
        let paths: Vec<_> = scoped.errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["upstream.nodes[0].addr", "match", "", "other"]);
        assert_eq!(scoped.errors[0].message, Msg::AddrEmpty.to_string());
        assert_eq!(scoped.errors[0].code, "addr_empty");
        // Reported on another resource: the message names it, and keeps
        // the original as a nested message.
        assert!(scoped.errors[1].message.contains("services[0].match"));
        assert_eq!(scoped.errors[1].code, "reported_on");
        assert_eq!(scoped.errors[1].params["path"], "services[0].match");
        assert_eq!(
            scoped.errors[1].params["message"]["code"],
            "match_needs_prefix_or_host"
        );
    }

    #[test]
    fn write_time_errors_are_scoped_by_name() {
        let mut e = ValidationErrors::default();
        e.push("certificates[web].cert", Msg::Required);
        e.push("certificates[webby].cert", Msg::Required);
        let scoped = scope_named(e, "certificates", "web");
        let paths: Vec<_> = scoped.errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["cert", "certificates[webby].cert"]);
    }
}
