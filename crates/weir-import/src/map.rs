//! The mapping from go-gateway rows to Weir's model, as pure functions so
//! every column's translation is unit-tested without a database.
//!
//! Semantics follow what go-gateway did with a value, not only what its
//! column comment says: `add` in `header_transfor` replaced the header (Go's
//! `Header.Set`), `0` timeouts meant 30 s / 30 s / 90 s and a pool of 100,
//! `round_type 3` hashed the request URL, and `need_https` made go-gateway
//! speak TLS to the nodes. Columns go-gateway never read (the `check_*`
//! columns: its checker was fixed at 5 s, 2 failures) are noted, not mapped.
//!
//! After mapping, the whole document goes through [`weir_core::compile`],
//! the same gate as `weir apply`; every error is traced back to the row and
//! column it came from and its service or tenant is refused.

use std::collections::{BTreeSet, HashMap};

use weir_core::model::{
    AuthPolicy, Balance, CheckKind, ConfigDocument, HashKey, HeaderOp, HeaderOpKind, HealthCheck,
    HumanDuration, IpList, Node, RewriteRule, Service, ServiceKind, Tenant, Timeouts, Upstream,
    UpstreamTls,
};

use crate::report::{Action, Issue, Report};
use crate::rows::{
    AccessControlRow, AppRow, GrpcRuleRow, HttpRuleRow, LoadBalanceRow, SeedData, ServiceInfoRow,
    TcpRuleRow, table,
};

/// go-gateway's values for a `0` in the load-balance columns.
const GO_CONNECT_TIMEOUT_SECS: u64 = 30;
const GO_HEADER_TIMEOUT_SECS: u64 = 30;
const GO_IDLE_TIMEOUT_SECS: u64 = 90;
const GO_MAX_IDLE: u32 = 100;
/// go-gateway's fixed TCP check: every 5 s, 5 s to connect, out after 2
/// failures in a row, back after 1 success.
const GO_CHECK_SECS: u64 = 5;
const GO_CHECK_FAILURES: u32 = 2;

/// Choices the user makes on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Give every service go-gateway's always-on TCP health check.
    pub health_check: bool,
    /// Ports of the gateway's own listeners (HTTP, HTTPS, admin), which a
    /// TCP or gRPC service cannot also bind.
    pub reserved_ports: Vec<u16>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            health_check: true,
            reserved_ports: Vec::new(),
        }
    }
}

/// The result: a document `weir apply` accepts (services and tenants
/// declared, so applying it replaces both kinds) and the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    pub document: ConfigDocument,
    pub report: Report,
}

/// Which rows a mapped service came from, to trace validation errors back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Origin {
    info: i64,
    /// `(table, id)` of the http, tcp or grpc rule row.
    rule: (&'static str, i64),
    load_balance: i64,
    access_control: Option<i64>,
}

/// Collects issues for one item.
struct Findings<'a> {
    issues: &'a mut Vec<Issue>,
    item: String,
    refused: bool,
}

impl Findings<'_> {
    fn push(
        &mut self,
        action: Action,
        table: &'static str,
        id: i64,
        field: &'static str,
        message: impl Into<String>,
    ) {
        if action == Action::Refused {
            self.refused = true;
        }
        self.issues.push(Issue {
            action,
            table,
            id,
            field,
            item: self.item.clone(),
            message: message.into(),
        });
    }
}

/// Map every table to one document and validate it as `weir apply` would.
pub fn map_seed(seed: &SeedData, opts: &Options) -> Import {
    let mut report = Report::default();
    let mut services: Vec<(Service, Origin)> = Vec::new();
    let by_service = RowsByService::new(seed);
    for info in &seed.services {
        if info.is_delete == 1 {
            report.deleted_services += 1;
            continue;
        }
        if let Some(mapped) = map_service(info, &by_service, opts, &mut report.issues) {
            services.push(mapped);
        }
    }
    let mut tenants: Vec<(Tenant, i64)> = Vec::new();
    for app in &seed.apps {
        if app.is_delete == 1 {
            report.deleted_tenants += 1;
            continue;
        }
        if let Some(t) = map_tenant(app, &mut report.issues) {
            tenants.push((t, app.id));
        }
    }
    note_orphans(seed, &mut report.issues);
    let document = validate(services, tenants, &mut report);
    report.services = document.services.as_ref().map_or(0, Vec::len);
    report.tenants = document.tenants.as_ref().map_or(0, Vec::len);
    Import { document, report }
}

/// The rule rows of each service, in id order.
struct RowsByService<'a> {
    http: HashMap<i64, Vec<&'a HttpRuleRow>>,
    tcp: HashMap<i64, Vec<&'a TcpRuleRow>>,
    grpc: HashMap<i64, Vec<&'a GrpcRuleRow>>,
    lb: HashMap<i64, Vec<&'a LoadBalanceRow>>,
    ac: HashMap<i64, Vec<&'a AccessControlRow>>,
}

fn group<T>(rows: &[T], key: impl Fn(&T) -> i64) -> HashMap<i64, Vec<&T>> {
    let mut out: HashMap<i64, Vec<&T>> = HashMap::new();
    for r in rows {
        out.entry(key(r)).or_default().push(r);
    }
    out
}

impl<'a> RowsByService<'a> {
    fn new(seed: &'a SeedData) -> Self {
        Self {
            http: group(&seed.http_rules, |r| r.service_id),
            tcp: group(&seed.tcp_rules, |r| r.service_id),
            grpc: group(&seed.grpc_rules, |r| r.service_id),
            lb: group(&seed.load_balances, |r| r.service_id),
            ac: group(&seed.access_controls, |r| r.service_id),
        }
    }
}

/// The first row of `rows`; further rows are reported as dropped (go-gateway
/// read one per service).
fn first<'r, T>(
    rows: Option<&Vec<&'r T>>,
    table: &'static str,
    id: impl Fn(&T) -> i64,
    f: &mut Findings<'_>,
) -> Option<&'r T> {
    let rows = rows?;
    for extra in rows.iter().skip(1) {
        f.push(
            Action::Dropped,
            table,
            id(extra),
            "service_id",
            "a second row for the same service; only the first is imported",
        );
    }
    rows.first().copied()
}

/// One service from its info row and its rule, balance and access rows.
fn map_service(
    info: &ServiceInfoRow,
    rows: &RowsByService<'_>,
    opts: &Options,
    issues: &mut Vec<Issue>,
) -> Option<(Service, Origin)> {
    let mut f = Findings {
        issues,
        item: format!("service {:?}", info.service_name),
        refused: false,
    };
    const INFO: &str = table::SERVICE_INFO;
    let kind = match info.load_type {
        0 => ServiceKind::Http,
        1 => ServiceKind::Tcp,
        2 => ServiceKind::Grpc,
        other => {
            f.push(
                Action::Refused,
                INFO,
                info.id,
                "load_type",
                format!("unknown load type {other} (0 http, 1 tcp, 2 grpc)"),
            );
            return None;
        }
    };
    let enabled = match info.status {
        0 => false,
        1 => true,
        other => {
            f.push(
                Action::Note,
                INFO,
                info.id,
                "status",
                format!("unknown status {other}; imported enabled"),
            );
            true
        }
    };
    let Some(lb) = first(rows.lb.get(&info.id), table::LOAD_BALANCE, |r| r.id, &mut f) else {
        f.push(
            Action::Refused,
            INFO,
            info.id,
            "id",
            "has no row in gateway_service_load_balance (no upstream nodes)",
        );
        return None;
    };
    let ac = first(
        rows.ac.get(&info.id),
        table::ACCESS_CONTROL,
        |r| r.id,
        &mut f,
    );
    let mut svc = Service {
        kind,
        description: info.service_desc.clone(),
        enabled,
        ..Service::new(
            info.service_name.clone(),
            map_upstream(lb, kind, opts, &mut f),
        )
    };
    let rule = match kind {
        ServiceKind::Http => {
            let rule = first(rows.http.get(&info.id), table::HTTP_RULE, |r| r.id, &mut f);
            rule.map(|r| {
                map_http_rule(r, &mut svc, &mut f);
                (table::HTTP_RULE, r.id)
            })
        }
        ServiceKind::Tcp => {
            let rule = first(rows.tcp.get(&info.id), table::TCP_RULE, |r| r.id, &mut f);
            rule.map(|r| {
                svc.port = map_port(r.port, opts, table::TCP_RULE, r.id, &mut f);
                (table::TCP_RULE, r.id)
            })
        }
        ServiceKind::Grpc => {
            let rule = first(rows.grpc.get(&info.id), table::GRPC_RULE, |r| r.id, &mut f);
            rule.map(|r| {
                svc.port = map_port(r.port, opts, table::GRPC_RULE, r.id, &mut f);
                svc.request_headers =
                    map_header_ops(&r.header_transfor, table::GRPC_RULE, r.id, &mut f);
                (table::GRPC_RULE, r.id)
            })
        }
    };
    let Some(rule) = rule else {
        let t = match kind {
            ServiceKind::Http => table::HTTP_RULE,
            ServiceKind::Tcp => table::TCP_RULE,
            ServiceKind::Grpc => table::GRPC_RULE,
        };
        f.push(
            Action::Refused,
            INFO,
            info.id,
            "id",
            format!("has no row in {t}"),
        );
        return None;
    };
    if let Some(ac) = ac {
        map_access(ac, &mut svc, &mut f);
    }
    let origin = Origin {
        info: info.id,
        rule,
        load_balance: lb.id,
        access_control: ac.map(|a| a.id),
    };
    (!f.refused).then_some((svc, origin))
}

/// Match, strip, rewrites, header operations, WebSocket and upstream TLS.
fn map_http_rule(r: &HttpRuleRow, svc: &mut Service, f: &mut Findings<'_>) {
    const T: &str = table::HTTP_RULE;
    let rule = r.rule.trim().to_owned();
    match r.rule_type {
        0 => svc.route.prefix = Some(rule),
        1 => {
            svc.route.host = Some(rule);
            if r.need_strip_uri == 1 {
                f.push(
                    Action::Note,
                    T,
                    r.id,
                    "need_strip_uri",
                    "ignored for a domain rule (go-gateway only stripped url_prefix rules)",
                );
            }
        }
        other => f.push(
            Action::Refused,
            T,
            r.id,
            "rule_type",
            format!("unknown rule type {other} (0 url_prefix, 1 domain)"),
        ),
    }
    svc.strip_prefix = r.rule_type == 0 && r.need_strip_uri == 1;
    svc.rewrite = map_rewrites(&r.url_rewrite, r.id, f);
    svc.request_headers = map_header_ops(&r.header_transfor, T, r.id, f);
    svc.websocket = r.need_websocket == 1;
    svc.upstream.tls = UpstreamTls {
        enabled: r.need_https == 1,
        ..UpstreamTls::default()
    };
}

/// A comma-separated column as trimmed, non-empty entries.
pub fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `url_rewrite`: `PATTERN REPLACEMENT` items, comma separated.
fn map_rewrites(s: &str, id: i64, f: &mut Findings<'_>) -> Vec<RewriteRule> {
    let mut out = Vec::new();
    for item in split_list(s) {
        let parts: Vec<&str> = item.split_whitespace().collect();
        match parts.as_slice() {
            [pattern, replacement] => out.push(RewriteRule {
                pattern: (*pattern).to_owned(),
                replacement: (*replacement).to_owned(),
            }),
            _ => f.push(
                Action::Dropped,
                table::HTTP_RULE,
                id,
                "url_rewrite",
                format!("{item:?} is not `PATTERN REPLACEMENT` (go-gateway ignored it too)"),
            ),
        }
    }
    out
}

/// `header_transfor`: `add NAME VALUE`, `edit NAME VALUE`, `del NAME`.
/// go-gateway's `add` replaced the header (Go's `Header.Set`), so both
/// `add` and `edit` become `set`.
fn map_header_ops(s: &str, table: &'static str, id: i64, f: &mut Findings<'_>) -> Vec<HeaderOp> {
    let mut out = Vec::new();
    for item in split_list(s) {
        let parts: Vec<&str> = item.split_whitespace().collect();
        let op = match parts.as_slice() {
            ["add" | "edit", name, value] => Some(HeaderOp {
                op: HeaderOpKind::Set,
                name: (*name).to_owned(),
                value: Some((*value).to_owned()),
            }),
            ["del", name] | ["del", name, _] => {
                if parts.len() == 2 {
                    f.push(
                        Action::Note,
                        table,
                        id,
                        "header_transfor",
                        format!(
                            "{item:?}: go-gateway skipped entries without a third word; Weir removes the header"
                        ),
                    );
                }
                Some(HeaderOp {
                    op: HeaderOpKind::Remove,
                    name: (*name).to_owned(),
                    value: None,
                })
            }
            _ => None,
        };
        match op {
            Some(op) => out.push(op),
            None => f.push(
                Action::Dropped,
                table,
                id,
                "header_transfor",
                format!(
                    "{item:?} is not `add|edit NAME VALUE` or `del NAME` (go-gateway ignored it too)"
                ),
            ),
        }
    }
    out
}

fn map_port(
    port: i64,
    opts: &Options,
    table: &'static str,
    id: i64,
    f: &mut Findings<'_>,
) -> Option<u16> {
    match u16::try_from(port) {
        Ok(p) if opts.reserved_ports.contains(&p) => {
            f.push(
                Action::Refused,
                table,
                id,
                "port",
                format!("{p} is a port of the gateway's own listeners (listen.http, listen.https, listen.admin)"),
            );
            None
        }
        Ok(p) if p > 0 => Some(p),
        _ => {
            f.push(
                Action::Refused,
                table,
                id,
                "port",
                format!("{port} is not a port (1-65535)"),
            );
            None
        }
    }
}

/// A non-negative count that fits `u32`, or a refusal naming the column.
fn count(v: i64, table: &'static str, id: i64, field: &'static str, f: &mut Findings<'_>) -> u32 {
    u32::try_from(v).unwrap_or_else(|_| {
        f.push(
            Action::Refused,
            table,
            id,
            field,
            format!("{v} is not between 0 and {}", u32::MAX),
        );
        0
    })
}

/// Seconds, with go-gateway's default for 0.
fn seconds(
    v: i64,
    default: u64,
    table: &'static str,
    id: i64,
    field: &'static str,
    f: &mut Findings<'_>,
) -> HumanDuration {
    let secs = match u64::try_from(v) {
        Ok(0) => default,
        Ok(s) => s,
        Err(_) => {
            f.push(
                Action::Refused,
                table,
                id,
                field,
                format!("{v} is negative"),
            );
            default
        }
    };
    HumanDuration::from_secs(secs)
}

/// Balancing, nodes, timeouts, pool size and the health check.
fn map_upstream(
    lb: &LoadBalanceRow,
    kind: ServiceKind,
    opts: &Options,
    f: &mut Findings<'_>,
) -> Upstream {
    const T: &str = table::LOAD_BALANCE;
    let (balance, hash_key) = match lb.round_type {
        0 => (Balance::Random, None),
        1 => (Balance::RoundRobin, None),
        2 => (Balance::WeightedRoundRobin, None),
        // go-gateway hashed the request URL; a TCP connection has none.
        3 if kind == ServiceKind::Tcp => (Balance::ConsistentHash, None),
        3 => (Balance::ConsistentHash, Some(HashKey::Uri)),
        other => {
            f.push(
                Action::Note,
                T,
                lb.id,
                "round_type",
                format!(
                    "unknown round type {other}; go-gateway fell back to random, so does the import"
                ),
            );
            (Balance::Random, None)
        }
    };
    for (field, v) in [
        ("check_method", lb.check_method),
        ("check_timeout", lb.check_timeout),
        ("check_interval", lb.check_interval),
    ] {
        if v != 0 {
            f.push(
                Action::Note,
                T,
                lb.id,
                field,
                format!(
                    "{v} was never read by go-gateway (its check was fixed: tcp, every 5 s, 2 failures); {}",
                    if opts.health_check { "imported as that fixed check" } else { "no health check (--no-health-check)" }
                ),
            );
        }
    }
    let timeouts = Timeouts {
        connect: seconds(
            lb.upstream_connect_timeout,
            GO_CONNECT_TIMEOUT_SECS,
            T,
            lb.id,
            "upstream_connect_timeout",
            f,
        ),
        response_header: seconds(
            lb.upstream_header_timeout,
            GO_HEADER_TIMEOUT_SECS,
            T,
            lb.id,
            "upstream_header_timeout",
            f,
        ),
        idle: seconds(
            lb.upstream_idle_timeout,
            GO_IDLE_TIMEOUT_SECS,
            T,
            lb.id,
            "upstream_idle_timeout",
            f,
        ),
        ..Timeouts::default()
    };
    let max_idle = match count(lb.upstream_max_idle, T, lb.id, "upstream_max_idle", f) {
        0 => GO_MAX_IDLE,
        n => n,
    };
    Upstream {
        balance,
        hash_key,
        timeouts,
        max_idle_per_node: max_idle,
        health_check: opts.health_check.then(go_gateway_health_check),
        ..Upstream::new(map_nodes(lb, f))
    }
}

/// go-gateway's always-on check, in Weir's terms.
pub fn go_gateway_health_check() -> HealthCheck {
    HealthCheck {
        kind: CheckKind::Tcp,
        interval: HumanDuration::from_secs(GO_CHECK_SECS),
        timeout: HumanDuration::from_secs(GO_CHECK_SECS),
        healthy: 1,
        unhealthy: GO_CHECK_FAILURES,
        path: "/".into(),
        expect_status: "200-399".into(),
        host: None,
        grpc_service: String::new(),
    }
}

/// `ip_list` with the weights at the same positions of `weight_list`;
/// addresses on `forbid_list` are imported disabled.
fn map_nodes(lb: &LoadBalanceRow, f: &mut Findings<'_>) -> Vec<Node> {
    const T: &str = table::LOAD_BALANCE;
    let ips = split_list(&lb.ip_list);
    let weights = split_list(&lb.weight_list);
    let forbid = split_list(&lb.forbid_list);
    if weights.is_empty() && !ips.is_empty() && lb.round_type == 2 {
        f.push(
            Action::Note,
            T,
            lb.id,
            "weight_list",
            "is empty; every node gets weight 1",
        );
    } else if !weights.is_empty() && weights.len() < ips.len() {
        f.push(
            Action::Refused,
            T,
            lb.id,
            "weight_list",
            format!(
                "has {} weights for {} addresses in ip_list",
                weights.len(),
                ips.len()
            ),
        );
    } else if weights.len() > ips.len() {
        f.push(
            Action::Dropped,
            T,
            lb.id,
            "weight_list",
            format!(
                "has {} weights for {} addresses; the extra ones are ignored",
                weights.len(),
                ips.len()
            ),
        );
    }
    for addr in forbid.iter().filter(|a| !ips.contains(a)) {
        f.push(
            Action::Note,
            T,
            lb.id,
            "forbid_list",
            format!("{addr} is not in ip_list; nothing to disable"),
        );
    }
    let mut nodes = Vec::with_capacity(ips.len());
    for (i, addr) in ips.iter().enumerate() {
        let weight = match weights.get(i).map(|w| w.parse::<u32>()) {
            None => 1,
            Some(Ok(w)) => w,
            Some(Err(_)) => {
                f.push(
                    Action::Refused,
                    T,
                    lb.id,
                    "weight_list",
                    format!("{:?} is not a weight", weights[i]),
                );
                1
            }
        };
        nodes.push(Node {
            addr: addr.clone(),
            weight,
            enabled: !forbid.contains(addr),
        });
    }
    nodes
}

/// IP lists, authentication with its API allow list, and rate limits.
fn map_access(ac: &AccessControlRow, svc: &mut Service, f: &mut Findings<'_>) {
    const T: &str = table::ACCESS_CONTROL;
    svc.access.ip_allow = ip_list(ac.open_white_list == 1, &ac.white_list);
    svc.access.ip_deny = ip_list(ac.open_black_list == 1, &ac.black_list);
    let api_list = split_list(&ac.api_white_list);
    if svc.kind == ServiceKind::Tcp {
        if ac.open_auth == 1 {
            f.push(
                Action::Note,
                T,
                ac.id,
                "open_auth",
                "ignored for a tcp service (go-gateway never checked tokens on TCP)",
            );
        }
    } else {
        if ac.open_api_white_list != 1 && !api_list.is_empty() {
            f.push(
                Action::Note,
                T,
                ac.id,
                "api_white_list",
                "not imported: it was switched off (open_api_white_list = 0)",
            );
        }
        svc.access.auth = AuthPolicy {
            enabled: ac.open_auth == 1,
            allow_paths: if ac.open_api_white_list == 1 {
                api_list
            } else {
                Vec::new()
            },
            ..AuthPolicy::default()
        };
    }
    svc.limits.service_qps = count(ac.service_flow_limit, T, ac.id, "service_flow_limit", f);
    svc.limits.client_ip_qps = count(ac.clientip_flow_limit, T, ac.id, "clientip_flow_limit", f);
}

/// go-gateway checked a list only when it was switched on and not empty;
/// a switched-off list keeps its addresses, disabled.
fn ip_list(on: bool, s: &str) -> IpList {
    let ips = split_list(s);
    IpList {
        enabled: on && !ips.is_empty(),
        ips,
    }
}

/// One tenant from a `gateway_app` row.
fn map_tenant(app: &AppRow, issues: &mut Vec<Issue>) -> Option<Tenant> {
    const T: &str = table::APP;
    let mut f = Findings {
        issues,
        item: format!("tenant {:?}", app.app_id),
        refused: false,
    };
    let enabled = match app.status {
        0 => false,
        1 => true,
        other => {
            f.push(
                Action::Note,
                T,
                app.id,
                "status",
                format!("unknown status {other}; imported enabled"),
            );
            true
        }
    };
    let qps = count(app.qps, T, app.id, "qps", &mut f);
    let qpd = u64::try_from(app.qpd).unwrap_or_else(|_| {
        f.push(
            Action::Refused,
            T,
            app.id,
            "qpd",
            format!("{} is negative", app.qpd),
        );
        0
    });
    let tenant = Tenant {
        app_id: app.app_id.clone(),
        name: app.name.clone(),
        description: String::new(),
        secret: Some(app.secret.clone()),
        enabled,
        ip_allow: split_list(&app.white_ips),
        qps,
        qpd,
    };
    (!f.refused).then_some(tenant)
}

/// Rule rows whose service does not exist at all (deleted services' rows
/// are part of the deleted service and need no word).
fn note_orphans(seed: &SeedData, issues: &mut Vec<Issue>) {
    let ids: BTreeSet<i64> = seed.services.iter().map(|s| s.id).collect();
    let mut orphan = |table: &'static str, id: i64, service_id: i64| {
        if !ids.contains(&service_id) {
            issues.push(Issue {
                action: Action::Note,
                table,
                id,
                field: "service_id",
                item: String::new(),
                message: format!("no service with id {service_id}; row ignored"),
            });
        }
    };
    for r in &seed.http_rules {
        orphan(table::HTTP_RULE, r.id, r.service_id);
    }
    for r in &seed.tcp_rules {
        orphan(table::TCP_RULE, r.id, r.service_id);
    }
    for r in &seed.grpc_rules {
        orphan(table::GRPC_RULE, r.id, r.service_id);
    }
    for r in &seed.load_balances {
        orphan(table::LOAD_BALANCE, r.id, r.service_id);
    }
    for r in &seed.access_controls {
        orphan(table::ACCESS_CONTROL, r.id, r.service_id);
    }
}

/// Compile the document as `weir apply` would; refuse every service or
/// tenant an error points at and try again, until it compiles.
fn validate(
    mut services: Vec<(Service, Origin)>,
    mut tenants: Vec<(Tenant, i64)>,
    report: &mut Report,
) -> ConfigDocument {
    loop {
        let doc = ConfigDocument {
            services: Some(services.iter().map(|(s, _)| s.clone()).collect()),
            tenants: Some(tenants.iter().map(|(t, _)| t.clone()).collect()),
            signing_keys: None,
            certificates: None,
        };
        let Err(errors) = weir_core::compile(&doc) else {
            return doc;
        };
        let mut bad_services = BTreeSet::new();
        let mut bad_tenants = BTreeSet::new();
        for e in &errors.errors {
            if let Some((i, rest)) = indexed(&e.path, "services")
                && let Some((svc, origin)) = services.get(i)
            {
                let (table, id, field) = service_column(rest, origin);
                report.issues.push(Issue {
                    action: Action::Refused,
                    table,
                    id,
                    field,
                    item: format!("service {:?}", svc.name),
                    message: e.to_string(),
                });
                bad_services.insert(i);
            } else if let Some((i, rest)) = indexed(&e.path, "tenants")
                && let Some((t, id)) = tenants.get(i)
            {
                report.issues.push(Issue {
                    action: Action::Refused,
                    table: table::APP,
                    id: *id,
                    field: tenant_column(rest),
                    item: format!("tenant {:?}", t.app_id),
                    message: e.to_string(),
                });
                bad_tenants.insert(i);
            }
        }
        if bad_services.is_empty() && bad_tenants.is_empty() {
            // Not traceable to a row (cannot happen with services and
            // tenants only); refuse everything rather than loop.
            for e in errors.errors {
                report.issues.push(Issue {
                    action: Action::Refused,
                    table: "",
                    id: 0,
                    field: "",
                    item: String::new(),
                    message: e.to_string(),
                });
            }
            return ConfigDocument {
                services: Some(Vec::new()),
                tenants: Some(Vec::new()),
                ..ConfigDocument::default()
            };
        }
        for i in bad_services.into_iter().rev() {
            services.remove(i);
        }
        for i in bad_tenants.into_iter().rev() {
            tenants.remove(i);
        }
    }
}

/// `services[3].upstream.nodes[0].addr` → `(3, "upstream.nodes[0].addr")`.
fn indexed<'p>(path: &'p str, list: &str) -> Option<(usize, &'p str)> {
    let rest = path.strip_prefix(list)?.strip_prefix('[')?;
    let (index, rest) = rest.split_once(']')?;
    Some((index.parse().ok()?, rest.strip_prefix('.').unwrap_or(rest)))
}

/// The go-gateway row and column a Weir service field came from.
fn service_column(weir_field: &str, o: &Origin) -> (&'static str, i64, &'static str) {
    let (rule_table, rule_id) = o.rule;
    let lb = (table::LOAD_BALANCE, o.load_balance);
    let ac = (table::ACCESS_CONTROL, o.access_control.unwrap_or(o.info));
    let starts = |p: &str| weir_field.starts_with(p);
    if starts("name") {
        (table::SERVICE_INFO, o.info, "service_name")
    } else if starts("description") {
        (table::SERVICE_INFO, o.info, "service_desc")
    } else if starts("port") {
        (rule_table, rule_id, "port")
    } else if starts("match") {
        (rule_table, rule_id, "rule")
    } else if starts("strip_prefix") {
        (rule_table, rule_id, "need_strip_uri")
    } else if starts("rewrite") {
        (rule_table, rule_id, "url_rewrite")
    } else if starts("request_headers") {
        (rule_table, rule_id, "header_transfor")
    } else if starts("websocket") {
        (rule_table, rule_id, "need_websocket")
    } else if starts("access.ip_allow") {
        (ac.0, ac.1, "white_list")
    } else if starts("access.ip_deny") {
        (ac.0, ac.1, "black_list")
    } else if starts("access.auth.allow_paths") {
        (ac.0, ac.1, "api_white_list")
    } else if starts("access") {
        (ac.0, ac.1, "open_auth")
    } else if starts("limits.service_qps") {
        (ac.0, ac.1, "service_flow_limit")
    } else if starts("limits.client_ip_qps") {
        (ac.0, ac.1, "clientip_flow_limit")
    } else if starts("upstream.nodes") && weir_field.ends_with("weight") {
        (lb.0, lb.1, "weight_list")
    } else if starts("upstream.nodes") {
        (lb.0, lb.1, "ip_list")
    } else if starts("upstream.tls") {
        (rule_table, rule_id, "need_https")
    } else if starts("upstream.timeouts.connect") {
        (lb.0, lb.1, "upstream_connect_timeout")
    } else if starts("upstream.timeouts.response_header") {
        (lb.0, lb.1, "upstream_header_timeout")
    } else if starts("upstream.timeouts.idle") {
        (lb.0, lb.1, "upstream_idle_timeout")
    } else if starts("upstream.max_idle_per_node") {
        (lb.0, lb.1, "upstream_max_idle")
    } else if starts("upstream") {
        (lb.0, lb.1, "round_type")
    } else {
        (table::SERVICE_INFO, o.info, "load_type")
    }
}

fn tenant_column(weir_field: &str) -> &'static str {
    if weir_field.starts_with("app_id") {
        "app_id"
    } else if weir_field.starts_with("secret") {
        "secret"
    } else if weir_field.starts_with("ip_allow") {
        "white_ips"
    } else if weir_field.starts_with("qpd") {
        "qpd"
    } else if weir_field.starts_with("qps") {
        "qps"
    } else {
        "name"
    }
}

#[cfg(test)]
mod tests;
