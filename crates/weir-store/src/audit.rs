//! The audit log: who did what, when, from which address, and with what
//! outcome — configuration writes (linked to the revision they made), logins,
//! account and token changes. Append-only; read newest first with filters.

use crate::{AuditDetail, Store, StoreError, StoredText};

/// Parameters longer than this are not stored (the entry keeps its code-less
/// English text): a detail's parameters are short, so only a pathological
/// value (a huge name) gets here, and cut JSON would not parse.
const MAX_PARAMS: usize = 4096;

/// An entry to append. Text fields are cut to the column sizes (at a
/// character boundary) rather than rejected: the log must never lose an
/// entry because a name was long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub at_ms: i64,
    /// User or token name (`-` when unknown, e.g. a failed login's IP only).
    pub actor: String,
    /// `user`, `token` or `system`.
    pub actor_kind: String,
    pub ip: String,
    /// Dotted verb, e.g. `service.create`, `session.login`, `revision.rollback`.
    pub action: String,
    /// What was acted on, e.g. `service/user_api`, `user/alice`.
    pub target: String,
    pub revision: Option<i64>,
    /// `ok`, `denied` or `failed`.
    pub outcome: String,
    /// English text.
    pub detail: String,
    /// For a detail Weir generated: its message code ([`AuditDetail`]; a
    /// newer Weir may have written one this version does not know).
    pub detail_code: Option<String>,
    /// The code's parameters (a JSON object).
    pub detail_params: Option<serde_json::Value>,
}

impl NewAuditEntry {
    /// Sets the detail: its English text, code and parameters; `None`
    /// leaves it empty.
    pub fn set_detail(&mut self, detail: Option<&AuditDetail>) {
        let stored = detail.map_or_else(|| StoredText::written(""), StoredText::coded);
        self.detail = stored.text;
        self.detail_code = stored.code;
        self.detail_params = stored.params;
    }
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub entry: NewAuditEntry,
}

/// Exact-match filters (empty string: any) and a time range.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditFilter {
    pub actor: String,
    pub action: String,
    pub target: String,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
}

type AuditRow = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    String,
    Option<i64>,
    String,
    String,
    Option<String>,
    Option<String>,
);

/// The filter shared by the count and the page; each filter is written so
/// that the empty string disables it, which binds as plain text on every
/// backend (a NULL parameter has no type PostgreSQL can infer). A macro so
/// that `concat!` can build `&'static str` statements from it.
macro_rules! audit_where {
    () => {
        "WHERE (? = '' OR actor = ?) AND (? = '' OR action = ?) \
         AND (? = '' OR target = ?) AND at_ms >= ? AND at_ms < ?"
    };
}

const COUNT_SQL: &str = concat!("SELECT COUNT(*) FROM weir_audit ", audit_where!());
const PAGE_SQL: &str = concat!(
    "SELECT id, at_ms, actor, actor_kind, ip, action, target, revision, outcome, detail, \
     detail_code, detail_params FROM weir_audit ",
    audit_where!(),
    " ORDER BY at_ms DESC, id DESC LIMIT ? OFFSET ?"
);

fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl Store {
    /// Append an entry.
    pub async fn record_audit(&self, e: &NewAuditEntry) -> Result<(), StoreError> {
        let detail = StoredText {
            text: e.detail.clone(),
            code: e.detail_code.clone(),
            params: e.detail_params.clone(),
        };
        let (code, params) = match detail.params_text() {
            Some(p) if p.len() <= MAX_PARAMS => (detail.code, Some(p)),
            _ => (None, None),
        };
        self.q("INSERT INTO weir_audit \
                (at_ms, actor, actor_kind, ip, action, target, revision, outcome, detail, \
                 detail_code, detail_params) \
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(e.at_ms)
            .bind(cut(&e.actor, 128).to_owned())
            .bind(cut(&e.actor_kind, 16).to_owned())
            .bind(cut(&e.ip, 64).to_owned())
            .bind(cut(&e.action, 64).to_owned())
            .bind(cut(&e.target, 512).to_owned())
            .bind(e.revision)
            .bind(cut(&e.outcome, 16).to_owned())
            .bind(cut(&e.detail, 4096).to_owned())
            .bind(code.map(|c| cut(&c, 64).to_owned()))
            .bind(params)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Matching entries, newest first: the total and one page.
    pub async fn audit(
        &self,
        filter: &AuditFilter,
        offset: u64,
        limit: u32,
    ) -> Result<(u64, Vec<AuditEntry>), StoreError> {
        let since = filter.since_ms.unwrap_or(i64::MIN);
        let until = filter.until_ms.unwrap_or(i64::MAX);
        macro_rules! bind_filter {
            ($q:expr) => {
                $q.bind(filter.actor.as_str())
                    .bind(filter.actor.as_str())
                    .bind(filter.action.as_str())
                    .bind(filter.action.as_str())
                    .bind(filter.target.as_str())
                    .bind(filter.target.as_str())
                    .bind(since)
                    .bind(until)
            };
        }
        let total: i64 = bind_filter!(sqlx::query_scalar(self.dialect.sql(COUNT_SQL)))
            .fetch_one(&self.pool)
            .await?;
        let rows: Vec<AuditRow> = bind_filter!(sqlx::query_as(self.dialect.sql(PAGE_SQL)))
            .bind(i64::from(limit))
            .bind(i64::try_from(offset).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        let entries = rows
            .into_iter()
            .map(
                |(
                    id,
                    at_ms,
                    actor,
                    actor_kind,
                    ip,
                    action,
                    target,
                    revision,
                    outcome,
                    detail,
                    code,
                    params,
                )| {
                    let detail = StoredText::from_columns(detail, code, params);
                    AuditEntry {
                        id,
                        entry: NewAuditEntry {
                            at_ms,
                            actor,
                            actor_kind,
                            ip,
                            action,
                            target,
                            revision,
                            outcome,
                            detail: detail.text,
                            detail_code: detail.code,
                            detail_params: detail.params,
                        },
                    }
                },
            )
            .collect();
        Ok((u64::try_from(total).unwrap_or(0), entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_respects_char_boundaries() {
        assert_eq!(cut("abc", 5), "abc");
        assert_eq!(cut("abcdef", 3), "abc");
        assert_eq!(cut("日本", 4), "日");
    }
}
