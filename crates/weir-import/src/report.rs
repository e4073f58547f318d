//! What the import did with each row it could not carry over unchanged:
//! every problem names the go-gateway table, the row id and the column.

use std::fmt;

/// What happened to the item a problem was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The whole service or tenant is left out.
    Refused,
    /// One entry or value is left out; the rest of the item is imported.
    Dropped,
    /// Imported; the note says how Weir's behaviour differs or why a value
    /// that had no effect in go-gateway was not carried over.
    Note,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Refused => "refused",
            Action::Dropped => "dropped",
            Action::Note => "note",
        }
    }
}

/// One finding, e.g. `refused gateway_service_http_rule id 7 url_rewrite
/// (service "orders"): invalid regular expression ...`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Issue {
    pub action: Action,
    pub table: &'static str,
    /// The row's `id` column.
    pub id: i64,
    /// The go-gateway column.
    pub field: &'static str,
    /// The Weir service name or tenant app id the row belongs to.
    pub item: String,
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<7} {} id {} {}",
            self.action.as_str(),
            self.table,
            self.id,
            self.field
        )?;
        if !self.item.is_empty() {
            write!(f, " ({})", self.item)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Everything the import found, with counts for the summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub issues: Vec<Issue>,
    /// Services and tenants in the resulting document.
    pub services: usize,
    pub tenants: usize,
    /// Rows with `is_delete = 1`, skipped.
    pub deleted_services: usize,
    pub deleted_tenants: usize,
}

impl Report {
    /// Whether anything was refused or dropped (the import is then not a
    /// faithful copy, and the command fails unless told to skip).
    pub fn has_losses(&self) -> bool {
        self.issues.iter().any(|i| i.action != Action::Note)
    }

    pub fn count(&self, action: Action) -> usize {
        self.issues.iter().filter(|i| i.action == action).count()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for issue in &self.issues {
            writeln!(f, "{issue}")?;
        }
        write!(
            f,
            "{} services and {} tenants mapped; {} refused, {} entries dropped, {} notes; \
             skipped deleted rows: {} services, {} tenants",
            self.services,
            self.tenants,
            self.count(Action::Refused),
            self.count(Action::Dropped),
            self.count(Action::Note),
            self.deleted_services,
            self.deleted_tenants
        )
    }
}
