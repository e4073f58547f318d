//! The revision history as data: one revision, a page of revisions, the
//! configuration as it was at any revision, the difference between two
//! revisions, and rollback.
//!
//! Revisions store changes, not copies, so the configuration at revision `N`
//! is rebuilt by undoing, newest first, every change made after `N` on top of
//! the current resources — all read in one snapshot so that a concurrent
//! write cannot tear the result. Rollback is then an ordinary
//! [`Store::apply`] of that configuration: a *new* revision whose content
//! equals revision `N`, so the history only ever grows and a rollback can
//! itself be rolled back.

use std::collections::BTreeMap;

use weir_core::{Change, ConfigDocument, diff};

use crate::{
    ApplyOutcome, Revision, RevisionMeta, RevisionSummary, Store, StoreError, StoredText, codec,
};

/// A revision entry as `select_revisions!` reads it.
pub(crate) type RevisionRow = (
    i64,
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

pub(crate) fn revision_from_row(
    (id, created_at_ms, author, source, summary, code, params): RevisionRow,
) -> Revision {
    let summary = StoredText::from_columns(summary, code, params);
    Revision {
        id,
        created_at_ms,
        author,
        source,
        summary: summary.text,
        summary_code: summary.code,
        summary_params: summary.params,
    }
}

impl Store {
    /// One revision's entry, or `None`.
    pub async fn revision_entry(&self, id: i64) -> Result<Option<Revision>, StoreError> {
        let row: Option<RevisionRow> = sqlx::query_as(
            self.dialect
                .sql(concat!(select_revisions!(), " WHERE id = ?")),
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(revision_from_row))
    }

    /// The number of revisions and the page `offset..offset + limit`, newest
    /// first.
    pub async fn revision_page(
        &self,
        offset: u64,
        limit: u32,
    ) -> Result<(u64, Vec<Revision>), StoreError> {
        let total: i64 =
            sqlx::query_scalar(self.dialect.sql("SELECT COUNT(*) FROM weir_revisions"))
                .fetch_one(&self.pool)
                .await?;
        let rows: Vec<RevisionRow> = sqlx::query_as(self.dialect.sql(concat!(
            select_revisions!(),
            " ORDER BY id DESC LIMIT ? OFFSET ?"
        )))
        .bind(i64::from(limit))
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        Ok((
            u64::try_from(total).unwrap_or(0),
            rows.into_iter().map(revision_from_row).collect(),
        ))
    }

    /// The whole configuration as it was right after `revision` was written
    /// (every kind declared). Revision 0 is the empty configuration.
    /// [`StoreError::NotFound`] for a revision not written yet.
    pub async fn config_at(&self, revision: i64) -> Result<ConfigDocument, StoreError> {
        let mut tx = self.pool.begin_with(self.dialect.begin_read()).await?;
        let current: i64 = sqlx::query_scalar(self.dialect.sql(crate::REVISION_SQL))
            .fetch_one(&mut *tx)
            .await?;
        if revision < 0 || revision > current {
            tx.rollback().await?;
            return Err(StoreError::NotFound(format!("revision {revision}")));
        }
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            self.dialect
                .sql("SELECT kind, name, spec FROM weir_resources ORDER BY kind, name"),
        )
        .fetch_all(&mut *tx)
        .await?;
        let later: Vec<codec::ChangeRow> = sqlx::query_as(self.dialect.sql(
            "SELECT kind, name, op, before_spec, after_spec FROM weir_revision_changes \
             WHERE revision > ? ORDER BY revision DESC, seq DESC",
        ))
        .bind(revision)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;

        // (kind, name) → spec text; undo later changes newest first.
        let mut state: BTreeMap<(String, String), String> =
            rows.into_iter().map(|(k, n, s)| ((k, n), s)).collect();
        for (kind, name, op, before, _after) in later {
            let key = (kind, name);
            match (op.as_str(), before) {
                ("add", _) => {
                    state.remove(&key);
                }
                ("update" | "remove", Some(before)) => {
                    state.insert(key, before);
                }
                (other, _) => {
                    return Err(StoreError::corrupt(
                        &key.0,
                        &key.1,
                        format!("change {other:?} cannot be undone"),
                    ));
                }
            }
        }
        codec::document_from_rows(state.into_iter().map(|((k, n), s)| (k, n, s)).collect())
    }

    /// What changed from revision `from` to revision `to` (either order; an
    /// older `to` shows the changes that would undo the newer ones).
    pub async fn diff_revisions(&self, from: i64, to: i64) -> Result<Vec<Change>, StoreError> {
        let a = self.config_at(from).await?;
        let b = self.config_at(to).await?;
        Ok(diff::diff_documents(&a, &b))
    }

    /// Make the configuration equal to what it was at `revision`, as a new
    /// revision (none when it already is). The summary defaults to
    /// `rollback to revision N: <changes>`.
    pub async fn rollback(
        &self,
        revision: i64,
        mut meta: RevisionMeta,
    ) -> Result<ApplyOutcome, StoreError> {
        let target = self.config_at(revision).await?;
        if meta.summary.is_none() {
            let (_, current) = self.load().await?;
            let changes = diff::diff_documents(&current, &target);
            meta.summary = Some(
                RevisionSummary::Rollback {
                    revision,
                    changes: diff::summary(&changes),
                }
                .into(),
            );
        }
        self.apply(&target, meta).await
    }
}
