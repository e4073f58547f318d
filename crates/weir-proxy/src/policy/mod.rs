//! The policy phases of a request, between routing and forwarding:
//! client identity, IP allow/deny, tenant authentication (with the API
//! allow-list bypass, the service's list of admitted tenants and the
//! tenant's own IP list), then rate limits and the
//! tenant's daily quota. The first phase that refuses decides the answer.

mod auth;
mod compat;
pub mod identity;
pub mod limit;
mod verified;

use std::net::IpAddr;
use std::sync::Arc;

use http::HeaderMap;
use jiff::tz::TimeZone;
use weir_core::compile::{CompiledConfig, CompiledService, CompiledTenant, IpRefusal, IpSet, Rate};

pub use auth::{AuthFailure, authenticate};
pub use compat::GoGatewayCompat;
use limit::{Decision, LimitBackend, LimitScope, QuotaDecision, ServiceLimiters, TenantLimiters};
pub use verified::VerifiedTokens;

use crate::stats::Rejection;

/// Why the policies refused a request.
#[derive(Debug, Clone)]
pub enum Refusal {
    Ip(IpRefusal),
    Auth(AuthFailure),
    TenantIp {
        app_id: Arc<str>,
    },
    /// A valid token of a tenant that `access.auth.tenants` does not name.
    TenantNotAllowed {
        app_id: Arc<str>,
    },
    RateLimited {
        scope: LimitedScope,
        decision: Decision,
    },
    Quota {
        app_id: Arc<str>,
        decision: QuotaDecision,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitedScope {
    Service,
    ClientIp,
    Tenant,
}

impl Refusal {
    pub fn rejection(&self) -> Rejection {
        match self {
            Refusal::Ip(_) => Rejection::IpRefused,
            Refusal::Auth(_) => Rejection::Unauthenticated,
            Refusal::TenantIp { .. } => Rejection::TenantIpRefused,
            Refusal::TenantNotAllowed { .. } => Rejection::TenantNotAllowed,
            Refusal::RateLimited { scope, .. } => match scope {
                LimitedScope::Service => Rejection::ServiceRateLimited,
                LimitedScope::ClientIp => Rejection::ClientIpRateLimited,
                LimitedScope::Tenant => Rejection::TenantRateLimited,
            },
            Refusal::Quota { .. } => Rejection::QuotaExceeded,
        }
    }
}

/// The outcome of the policy phases for an admitted request.
#[derive(Debug, Default)]
pub struct Admission {
    pub tenant: Option<Arc<CompiledTenant>>,
    /// The tenant's quota state after this request (for quota headers).
    pub quota: Option<QuotaDecision>,
}

/// Everything the policies read besides the request.
pub struct PolicyInputs<'a> {
    pub config: &'a CompiledConfig,
    /// Tokens verified under `config`.
    pub tokens: &'a VerifiedTokens,
    pub service: &'a CompiledService,
    pub service_limits: &'a ServiceLimiters,
    /// Limit state of a tenant by app id.
    pub tenant_limits: &'a (dyn Fn(&str) -> Option<Arc<TenantLimiters>> + Sync),
    pub backend: &'a dyn LimitBackend,
    pub time_zone: &'a TimeZone,
    pub now_nanos: u64,
    /// Wall clock, read only when a daily quota is checked.
    pub wall_clock: &'a crate::clock::WallClock,
    /// go-gateway's tokens, when the migration option is on.
    pub compat: Option<&'a GoGatewayCompat>,
}

/// Run the policy phases for a request from `client` with `headers` and
/// the path the client sent.
pub fn admit(
    inputs: &PolicyInputs<'_>,
    client: IpAddr,
    headers: &HeaderMap,
    path: &str,
) -> Result<Admission, Refusal> {
    let svc = inputs.service;
    svc.access.check_ip(client).map_err(Refusal::Ip)?;

    let mut admission = Admission::default();
    if let Some(auth) = &svc.access.auth
        && !auth.bypasses(path)
    {
        let tenant = authenticate(
            headers,
            &inputs.config.keys,
            &inputs.config.tenants,
            Some(inputs.tokens),
            inputs.compat,
        )
        .map_err(Refusal::Auth)?;
        if !auth.admits(&tenant.app_id) {
            return Err(Refusal::TenantNotAllowed {
                app_id: Arc::clone(&tenant.app_id),
            });
        }
        if let Some(allow) = &tenant.ip_allow
            && !allow.contains(client)
        {
            return Err(Refusal::TenantIp {
                app_id: Arc::clone(&tenant.app_id),
            });
        }
        admission.tenant = Some(tenant);
    }

    let name = &*svc.name;
    if let Some(rate) = svc.limits.service {
        let scope = LimitScope::Service {
            service: name,
            cell: &inputs.service_limits.service,
        };
        check(inputs, scope, rate, LimitedScope::Service)?;
    }
    if let Some(rate) = svc.limits.client_ip {
        let scope = LimitScope::ClientIp {
            service: name,
            ip: inputs.service_limits.client_key(client),
            table: &inputs.service_limits.client_ip,
        };
        check(inputs, scope, rate, LimitedScope::ClientIp)?;
    }
    if let Some(tenant) = &admission.tenant
        && (tenant.qps.is_some() || tenant.qpd > 0)
        && let Some(state) = (inputs.tenant_limits)(&tenant.app_id)
    {
        if let Some(rate) = tenant.qps {
            let scope = LimitScope::Tenant {
                app_id: &tenant.app_id,
                cell: &state.qps,
            };
            check(inputs, scope, rate, LimitedScope::Tenant)?;
        }
        if tenant.qpd > 0 {
            let d = inputs.backend.acquire_quota(
                &tenant.app_id,
                &state.quota,
                tenant.qpd,
                inputs.wall_clock.now_ms(),
                inputs.time_zone,
            );
            if !d.allowed {
                return Err(Refusal::Quota {
                    app_id: Arc::clone(&tenant.app_id),
                    decision: d,
                });
            }
            admission.quota = Some(d);
        }
    }
    Ok(admission)
}

fn check(
    inputs: &PolicyInputs<'_>,
    scope: LimitScope<'_>,
    rate: Rate,
    which: LimitedScope,
) -> Result<(), Refusal> {
    let d = inputs.backend.acquire(scope, rate, inputs.now_nanos);
    if d.allowed {
        Ok(())
    } else {
        Err(Refusal::RateLimited {
            scope: which,
            decision: d,
        })
    }
}

/// Trusted proxies whose forwarded headers name the client.
pub type TrustedProxies = IpSet;
