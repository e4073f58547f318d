//! `weir apply` and `weir export` against a remote gateway's admin API
//! (`--server URL --token T`) instead of the store: the same document, the
//! same difference printed, the same exit codes. The revision's author is
//! the API token's name (the server decides it, not the client).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use weir_core::{Change, ChangeOp, ConfigDocument, FieldChange, ResourceKind};

/// Where and as whom.
#[derive(Debug, Clone)]
pub struct Remote {
    /// Base URL of the admin listener, e.g. `http://127.0.0.1:9080`.
    pub server: String,
    pub token: String,
}

#[derive(Debug, Deserialize)]
struct WriteOutcome {
    base_revision: i64,
    revision: Option<i64>,
    changes: Vec<RemoteChange>,
}

#[derive(Debug, Deserialize)]
struct RemoteChange {
    kind: String,
    name: String,
    op: String,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    /// As the server computed them, with secrets redacted (the specs above
    /// have secrets removed, so they cannot show that a secret changed).
    #[serde(default)]
    fields: Vec<RemoteField>,
}

#[derive(Debug, Deserialize)]
struct RemoteField {
    path: String,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct ConfigExport {
    revision: i64,
    document: ConfigDocument,
}

#[derive(Debug, Deserialize)]
struct Problem {
    code: String,
    detail: String,
    #[serde(default)]
    errors: Vec<FieldProblem>,
}

#[derive(Debug, Deserialize)]
struct FieldProblem {
    path: String,
    message: String,
}

impl Remote {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.trim_end_matches('/'))
    }

    fn client() -> anyhow::Result<reqwest::Client> {
        Ok(reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?)
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> anyhow::Result<reqwest::Response> {
        req.bearer_auth(&self.token)
            .send()
            .await
            .with_context(|| format!("cannot reach the admin API at {}", self.server))
    }

    /// The current configuration and its revision.
    pub async fn export(&self) -> anyhow::Result<(i64, ConfigDocument)> {
        let res = self
            .send(Self::client()?.get(self.url("/api/v1/config")))
            .await?;
        let res = ok_or_problem(res).await?;
        let body: ConfigExport = res.json().await.context("unexpected answer")?;
        Ok((body.revision, body.document))
    }

    /// The fleet as the admin API lists it (`GET /api/v1/gateways`).
    pub async fn gateways(&self) -> anyhow::Result<crate::wait::FleetView> {
        let res = self
            .send(Self::client()?.get(self.url("/api/v1/gateways")))
            .await?;
        let res = ok_or_problem(res).await?;
        res.json().await.context("unexpected answer")
    }

    /// Apply (or plan) a document; prints the changes as the local apply does.
    pub async fn apply(
        &self,
        doc: &ConfigDocument,
        dry_run: bool,
        if_empty: bool,
        message: Option<&str>,
    ) -> anyhow::Result<ExitCode> {
        if if_empty && self.export().await?.0 != 0 {
            println!("the store already has a configuration; nothing applied (--if-empty)");
            return Ok(ExitCode::SUCCESS);
        }
        let mut url = self.url(&format!("/api/v1/config?dry_run={dry_run}"));
        if let Some(m) = message {
            url.push_str("&message=");
            url.extend(utf8_percent_encode(m, QUERY_VALUE));
        }
        let req = Self::client()?.put(url).json(doc);
        let res = self.send(req).await?;
        if res.status() == reqwest::StatusCode::UNPROCESSABLE_ENTITY {
            let p: Problem = res.json().await.context("unexpected answer")?;
            let n = p.errors.len();
            eprintln!("{n} configuration error{}", if n == 1 { "" } else { "s" });
            for e in p.errors {
                if e.path.is_empty() {
                    eprintln!("  - {}", e.message);
                } else {
                    eprintln!("  - {}: {}", e.path, e.message);
                }
            }
            return Ok(ExitCode::FAILURE);
        }
        let res = ok_or_problem(res).await?;
        let out: WriteOutcome = res.json().await.context("unexpected answer")?;
        let changes: Vec<(Change, Vec<FieldChange>)> =
            out.changes.into_iter().filter_map(to_change).collect();
        for (c, fields) in &changes {
            println!("{}", weir_core::diff::render(c, fields));
        }
        let changes: Vec<Change> = changes.into_iter().map(|(c, _)| c).collect();
        let summary = weir_core::diff::summarize(&changes);
        match (dry_run, out.revision) {
            (true, _) => println!("dry run: {summary}; nothing written"),
            (false, Some(rev)) => println!("applied revision {rev}: {summary}"),
            (false, None) => println!("no changes; the store is at revision {}", out.base_revision),
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Query-string values escape every byte but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn to_change(c: RemoteChange) -> Option<(Change, Vec<FieldChange>)> {
    let fields = c
        .fields
        .into_iter()
        .map(|f| FieldChange {
            path: f.path,
            before: f.before,
            after: f.after,
        })
        .collect();
    let change = Change {
        kind: ResourceKind::parse(&c.kind)?,
        name: c.name,
        op: match c.op.as_str() {
            "add" => ChangeOp::Add,
            "update" => ChangeOp::Update,
            "remove" => ChangeOp::Remove,
            _ => return None,
        },
        before: c.before,
        after: c.after,
    };
    Some((change, fields))
}

async fn ok_or_problem(res: reqwest::Response) -> anyhow::Result<reqwest::Response> {
    if res.status().is_success() {
        return Ok(res);
    }
    let status = res.status();
    match res.json::<Problem>().await {
        Ok(p) => bail!("the admin API answered {status} ({}): {}", p.code, p.detail),
        Err(_) => bail!("the admin API answered {status}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_keep_only_unreserved_characters() {
        let enc = |s: &str| utf8_percent_encode(s, QUERY_VALUE).to_string();
        assert_eq!(enc("Az09-._~"), "Az09-._~");
        assert_eq!(enc("a b&c=d/e?"), "a%20b%26c%3Dd%2Fe%3F");
        assert_eq!(enc("100% ü"), "100%25%20%C3%BC");
    }
}
