//! Reading the go-gateway tables from MySQL (or MariaDB). Every integer is
//! cast to `SIGNED` and every nullable column coalesced in SQL, so one row
//! struct fits whichever integer widths and NULL defaults a dump used.

use sqlx::mysql::MySqlPoolOptions;
use sqlx::{MySql, MySqlPool};

use crate::rows::SeedData;

/// Why the database could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot connect to the go-gateway database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("cannot read table {table}: {source}")]
    Table {
        table: &'static str,
        #[source]
        source: sqlx::Error,
    },
}

const SERVICES: &str = "SELECT CAST(id AS SIGNED) AS id, CAST(load_type AS SIGNED) AS load_type, \
    service_name, service_desc, CAST(COALESCE(is_delete, 0) AS SIGNED) AS is_delete, \
    CAST(COALESCE(status, 1) AS SIGNED) AS status FROM gateway_service_info ORDER BY id";
const HTTP_RULES: &str = "SELECT CAST(id AS SIGNED) AS id, CAST(service_id AS SIGNED) AS service_id, \
    CAST(rule_type AS SIGNED) AS rule_type, rule, CAST(need_https AS SIGNED) AS need_https, \
    CAST(need_strip_uri AS SIGNED) AS need_strip_uri, \
    CAST(need_websocket AS SIGNED) AS need_websocket, url_rewrite, header_transfor \
    FROM gateway_service_http_rule ORDER BY id";
const TCP_RULES: &str = "SELECT CAST(id AS SIGNED) AS id, CAST(service_id AS SIGNED) AS service_id, \
    CAST(port AS SIGNED) AS port FROM gateway_service_tcp_rule ORDER BY id";
const GRPC_RULES: &str = "SELECT CAST(id AS SIGNED) AS id, CAST(service_id AS SIGNED) AS service_id, \
    CAST(port AS SIGNED) AS port, header_transfor FROM gateway_service_grpc_rule ORDER BY id";
const LOAD_BALANCES: &str = "SELECT CAST(id AS SIGNED) AS id, \
    CAST(service_id AS SIGNED) AS service_id, CAST(check_method AS SIGNED) AS check_method, \
    CAST(check_timeout AS SIGNED) AS check_timeout, \
    CAST(check_interval AS SIGNED) AS check_interval, CAST(round_type AS SIGNED) AS round_type, \
    ip_list, weight_list, forbid_list, \
    CAST(upstream_connect_timeout AS SIGNED) AS upstream_connect_timeout, \
    CAST(upstream_header_timeout AS SIGNED) AS upstream_header_timeout, \
    CAST(upstream_idle_timeout AS SIGNED) AS upstream_idle_timeout, \
    CAST(upstream_max_idle AS SIGNED) AS upstream_max_idle \
    FROM gateway_service_load_balance ORDER BY id";
const ACCESS_CONTROLS: &str = "SELECT CAST(id AS SIGNED) AS id, \
    CAST(service_id AS SIGNED) AS service_id, CAST(open_auth AS SIGNED) AS open_auth, \
    black_list, white_list, CAST(clientip_flow_limit AS SIGNED) AS clientip_flow_limit, \
    CAST(service_flow_limit AS SIGNED) AS service_flow_limit, \
    CAST(COALESCE(open_api_white_list, 0) AS SIGNED) AS open_api_white_list, \
    CAST(COALESCE(open_white_list, 0) AS SIGNED) AS open_white_list, \
    CAST(COALESCE(open_black_list, 0) AS SIGNED) AS open_black_list, \
    COALESCE(api_white_list, '') AS api_white_list \
    FROM gateway_service_access_control ORDER BY id";
const APPS: &str = "SELECT CAST(id AS SIGNED) AS id, app_id, name, secret, white_ips, \
    CAST(qpd AS SIGNED) AS qpd, CAST(qps AS SIGNED) AS qps, \
    CAST(COALESCE(is_delete, 0) AS SIGNED) AS is_delete, \
    CAST(COALESCE(status, 1) AS SIGNED) AS status FROM gateway_app ORDER BY id";

/// Read every table the import maps from the database at `url`
/// (`mysql://user:pass@host:port/db`). Read only: nothing is written.
pub async fn read_database(url: &str) -> Result<SeedData, ReadError> {
    let pool = MySqlPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .map_err(ReadError::Connect)?;
    let data = read_tables(&pool).await;
    pool.close().await;
    data
}

async fn read_tables(pool: &MySqlPool) -> Result<SeedData, ReadError> {
    use crate::rows::table;
    Ok(SeedData {
        services: fetch(pool, table::SERVICE_INFO, SERVICES).await?,
        http_rules: fetch(pool, table::HTTP_RULE, HTTP_RULES).await?,
        tcp_rules: fetch(pool, table::TCP_RULE, TCP_RULES).await?,
        grpc_rules: fetch(pool, table::GRPC_RULE, GRPC_RULES).await?,
        load_balances: fetch(pool, table::LOAD_BALANCE, LOAD_BALANCES).await?,
        access_controls: fetch(pool, table::ACCESS_CONTROL, ACCESS_CONTROLS).await?,
        apps: fetch(pool, table::APP, APPS).await?,
    })
}

async fn fetch<T>(
    pool: &MySqlPool,
    table: &'static str,
    sql: &'static str,
) -> Result<Vec<T>, ReadError>
where
    T: for<'r> sqlx::FromRow<'r, <MySql as sqlx::Database>::Row> + Send + Unpin,
{
    sqlx::query_as::<MySql, T>(sql)
        .fetch_all(pool)
        .await
        .map_err(|source| ReadError::Table { table, source })
}
