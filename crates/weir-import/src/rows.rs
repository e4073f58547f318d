//! The go-gateway tables as plain row structs, one per table, with every
//! integer widened to `i64` and every nullable text column read as `""`, so
//! the mapping never has to care how MySQL typed a column.

/// `gateway_service_info`: one row per service.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct ServiceInfoRow {
    pub id: i64,
    /// 0 = http, 1 = tcp, 2 = grpc.
    pub load_type: i64,
    pub service_name: String,
    pub service_desc: String,
    /// 1 = deleted.
    pub is_delete: i64,
    /// 1 = on (the column's default); 0 = off.
    pub status: i64,
}

/// `gateway_service_http_rule`.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct HttpRuleRow {
    pub id: i64,
    pub service_id: i64,
    /// 0 = url_prefix, 1 = domain.
    pub rule_type: i64,
    pub rule: String,
    pub need_https: i64,
    pub need_strip_uri: i64,
    pub need_websocket: i64,
    /// `^/a(.*) $1` items, comma separated.
    pub url_rewrite: String,
    /// `add|edit name value` / `del name` items, comma separated.
    pub header_transfor: String,
}

/// `gateway_service_tcp_rule`.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct TcpRuleRow {
    pub id: i64,
    pub service_id: i64,
    pub port: i64,
}

/// `gateway_service_grpc_rule`.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct GrpcRuleRow {
    pub id: i64,
    pub service_id: i64,
    pub port: i64,
    /// Metadata (HTTP/2 header) operations, same format as HTTP.
    pub header_transfor: String,
}

/// `gateway_service_load_balance`.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct LoadBalanceRow {
    pub id: i64,
    pub service_id: i64,
    pub check_method: i64,
    pub check_timeout: i64,
    pub check_interval: i64,
    /// 0 random, 1 round robin, 2 weighted round robin, 3 consistent hash.
    pub round_type: i64,
    pub ip_list: String,
    pub weight_list: String,
    pub forbid_list: String,
    /// Seconds; 0 = go-gateway's default.
    pub upstream_connect_timeout: i64,
    pub upstream_header_timeout: i64,
    pub upstream_idle_timeout: i64,
    pub upstream_max_idle: i64,
}

/// `gateway_service_access_control`.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct AccessControlRow {
    pub id: i64,
    pub service_id: i64,
    pub open_auth: i64,
    pub black_list: String,
    pub white_list: String,
    pub clientip_flow_limit: i64,
    pub service_flow_limit: i64,
    pub open_api_white_list: i64,
    pub open_white_list: i64,
    pub open_black_list: i64,
    pub api_white_list: String,
}

/// `gateway_app`: one row per tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct AppRow {
    pub id: i64,
    pub app_id: String,
    pub name: String,
    pub secret: String,
    pub white_ips: String,
    pub qpd: i64,
    pub qps: i64,
    pub is_delete: i64,
    /// 1 = on (the column's default); 0 = off.
    pub status: i64,
}

/// Every row the import reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedData {
    pub services: Vec<ServiceInfoRow>,
    pub http_rules: Vec<HttpRuleRow>,
    pub tcp_rules: Vec<TcpRuleRow>,
    pub grpc_rules: Vec<GrpcRuleRow>,
    pub load_balances: Vec<LoadBalanceRow>,
    pub access_controls: Vec<AccessControlRow>,
    pub apps: Vec<AppRow>,
}

/// Table names, as reports print them.
pub mod table {
    pub const SERVICE_INFO: &str = "gateway_service_info";
    pub const HTTP_RULE: &str = "gateway_service_http_rule";
    pub const TCP_RULE: &str = "gateway_service_tcp_rule";
    pub const GRPC_RULE: &str = "gateway_service_grpc_rule";
    pub const LOAD_BALANCE: &str = "gateway_service_load_balance";
    pub const ACCESS_CONTROL: &str = "gateway_service_access_control";
    pub const APP: &str = "gateway_app";
}
