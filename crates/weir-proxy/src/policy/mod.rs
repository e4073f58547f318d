//! The policy phases of a request, between routing and forwarding:
//! client identity, IP allow/deny, tenant authentication (with the API
//! allow-list bypass, the service's list of admitted tenants and the
//! tenant's own IP list), then rate limits and the
//! tenant's daily quota. The first phase that refuses decides the answer.

mod auth;
mod compat;
pub(crate) mod identity;
pub(crate) mod limit;
mod verified;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use http::HeaderMap;
use jiff::tz::TimeZone;
use weir_core::compile::{CompiledConfig, CompiledService, CompiledTenant, IpRefusal, Rate};

pub(crate) use auth::AuthFailure;
pub use auth::authenticate;
pub use compat::GoGatewayCompat;
use limit::{Decision, LimitBackend, LimitScope, QuotaDecision, ServiceLimiters};
pub use verified::VerifiedTokens;

use crate::DataPlane;
use crate::pipeline::route::Routed;
use crate::snapshot::{Snapshot, TenantRuntime};
use crate::stats::Rejection;

/// Why the policies refused a request.
#[derive(Debug, Clone)]
pub(crate) enum Refusal {
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
pub(crate) enum LimitedScope {
    Service,
    ClientIp,
    Tenant,
}

impl Refusal {
    pub(crate) fn rejection(&self) -> Rejection {
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
pub(crate) struct Admission {
    pub tenant: Option<Arc<CompiledTenant>>,
    /// The tenant's quota state after this request (for quota headers).
    pub quota: Option<QuotaDecision>,
}

/// Everything the policies read besides the request.
pub(crate) struct PolicyInputs<'a> {
    pub config: &'a CompiledConfig,
    /// Tokens verified under `config`; `None` verifies every token afresh
    /// and caches nothing (explain).
    pub tokens: Option<&'a VerifiedTokens>,
    pub service: &'a CompiledService,
    pub service_limits: &'a ServiceLimiters,
    /// Tenants' runtime state (limit buckets) by app id.
    pub tenants: &'a HashMap<Arc<str>, TenantRuntime>,
    pub backend: &'a dyn LimitBackend,
    pub time_zone: &'a TimeZone,
    pub now_nanos: u64,
    /// Wall clock, read only when a daily quota is checked.
    pub wall_clock: &'a crate::clock::WallClock,
    /// go-gateway's tokens, when the migration option is on.
    pub compat: Option<&'a GoGatewayCompat>,
}

impl<'a> PolicyInputs<'a> {
    /// The inputs for a request to `routed` under `snap`, as the data plane
    /// runs them: the snapshot's token cache, the plane's limit backend.
    pub(crate) fn new(plane: &'a DataPlane, snap: &'a Snapshot, routed: Routed<'a>) -> Self {
        Self {
            config: &snap.config,
            tokens: Some(&snap.tokens),
            service: routed.svc,
            service_limits: &routed.rt.limiters,
            tenants: &snap.tenants,
            backend: &*plane.options.limits,
            time_zone: &plane.options.time_zone,
            now_nanos: crate::clock::mono_nanos(),
            wall_clock: &plane.options.wall_clock,
            compat: plane.options.go_gateway_compat.as_ref(),
        }
    }
}

/// One decision of the policy phases, as it is made. The data plane passes
/// [`NoTrace`], which compiles to nothing; explain records the steps to say
/// why, so that what it says is what the data plane's code decided.
#[derive(Debug)]
pub(crate) enum Step<'a> {
    /// The service's IP allow/deny lists.
    // Read by explain through patterns, which the dead-code analysis does
    // not count as reads.
    #[allow(dead_code)]
    Ip(Result<(), IpRefusal>),
    /// The service has no `access.auth`.
    AuthOff,
    /// The path is on `access.auth`'s bypass list.
    AuthBypassed,
    Authenticated(&'a CompiledTenant),
    AuthFailed(AuthFailure),
    /// `access.auth.tenants` names other tenants.
    TenantNotAllowed(&'a CompiledTenant),
    /// Admitted by `access.auth.tenants` (`listed`) or because it names
    /// none.
    TenantAdmitted {
        listed: bool,
    },
    /// The tenant's own IP list: `None` when it has none.
    // Read by explain through literal patterns, which the dead-code
    // analysis does not count as reads.
    #[allow(dead_code)]
    TenantIp(Option<bool>),
    /// A rate limit was consulted.
    Limit {
        scope: LimitedScope,
        rate: Rate,
    },
    /// The tenant's daily quota was consulted.
    Quota {
        // Only in the step's Debug form so far (explain says which
        // limit line applies, not the number).
        #[allow(dead_code)]
        limit: u64,
    },
}

/// Where [`admit`] reports its steps.
pub(crate) trait Trace {
    fn step(&mut self, step: Step<'_>);
}

/// No tracing (the data plane).
pub(crate) struct NoTrace;

impl Trace for NoTrace {
    #[inline(always)]
    fn step(&mut self, _: Step<'_>) {}
}

/// Run the policy phases for a request from `client` with `headers` and
/// the path the client sent: IP rules, authentication, rate limits, quota.
pub(crate) fn admit(
    inputs: &PolicyInputs<'_>,
    client: IpAddr,
    headers: &HeaderMap,
    path: &str,
    trace: &mut impl Trace,
) -> Result<Admission, Refusal> {
    check_ip(inputs.service, client, trace)?;
    let tenant = authenticate_tenant(inputs, client, headers, path, trace)?;
    service_limits(inputs, client, trace)?;
    let quota = match &tenant {
        Some(t) => tenant_limits(inputs, t, trace)?,
        None => None,
    };
    Ok(Admission { tenant, quota })
}

/// The policies of a TCP connection: the IP rules and the service's rate
/// limits, the same phases as a request's (a byte stream has no identity).
pub(crate) fn admit_connection(inputs: &PolicyInputs<'_>, client: IpAddr) -> Result<(), Refusal> {
    check_ip(inputs.service, client, &mut NoTrace)?;
    service_limits(inputs, client, &mut NoTrace)
}

/// The policies of a CORS preflight, which the gateway answers itself: the
/// IP rules only. A browser sends no credentials on a preflight, so
/// authentication cannot apply; and it is the browser's request, not the
/// application's, so it takes no rate-limit token or quota.
pub(crate) fn admit_preflight(
    svc: &CompiledService,
    client: IpAddr,
    trace: &mut impl Trace,
) -> Result<(), Refusal> {
    check_ip(svc, client, trace)
}

fn check_ip(svc: &CompiledService, client: IpAddr, trace: &mut impl Trace) -> Result<(), Refusal> {
    let checked = svc.access.check_ip(client);
    trace.step(Step::Ip(checked));
    checked.map_err(Refusal::Ip)
}

/// The tenant a request is from, when the service requires one.
fn authenticate_tenant(
    inputs: &PolicyInputs<'_>,
    client: IpAddr,
    headers: &HeaderMap,
    path: &str,
    trace: &mut impl Trace,
) -> Result<Option<Arc<CompiledTenant>>, Refusal> {
    let Some(auth) = &inputs.service.access.auth else {
        trace.step(Step::AuthOff);
        return Ok(None);
    };
    if auth.bypasses(path) {
        trace.step(Step::AuthBypassed);
        return Ok(None);
    }
    let config = inputs.config;
    let tenant = authenticate(
        headers,
        &config.keys,
        &config.tenants,
        inputs.tokens,
        inputs.compat,
    )
    .inspect_err(|f| trace.step(Step::AuthFailed(*f)))
    .map_err(Refusal::Auth)?;
    trace.step(Step::Authenticated(&tenant));
    if !auth.admits(&tenant.app_id) {
        trace.step(Step::TenantNotAllowed(&tenant));
        return Err(Refusal::TenantNotAllowed {
            app_id: Arc::clone(&tenant.app_id),
        });
    }
    trace.step(Step::TenantAdmitted {
        listed: auth.tenant_names().is_some(),
    });
    let on_list = tenant.ip_allow.as_ref().map(|allow| allow.contains(client));
    trace.step(Step::TenantIp(on_list));
    if on_list == Some(false) {
        return Err(Refusal::TenantIp {
            app_id: Arc::clone(&tenant.app_id),
        });
    }
    Ok(Some(tenant))
}

/// `service_qps` and `client_ip_qps`.
fn service_limits(
    inputs: &PolicyInputs<'_>,
    client: IpAddr,
    trace: &mut impl Trace,
) -> Result<(), Refusal> {
    let svc = inputs.service;
    let name = &*svc.name;
    if let Some(rate) = svc.limits.service {
        let scope = LimitScope::Service {
            service: name,
            cell: &inputs.service_limits.service,
        };
        check(inputs, scope, rate, LimitedScope::Service, trace)?;
    }
    if let Some(rate) = svc.limits.client_ip {
        let scope = LimitScope::ClientIp {
            service: name,
            ip: inputs.service_limits.client_key(client),
            table: &inputs.service_limits.client_ip,
        };
        check(inputs, scope, rate, LimitedScope::ClientIp, trace)?;
    }
    Ok(())
}

/// The tenant's `qps` and daily quota `qpd`; the quota's state after this
/// request, for the quota headers.
fn tenant_limits(
    inputs: &PolicyInputs<'_>,
    tenant: &CompiledTenant,
    trace: &mut impl Trace,
) -> Result<Option<QuotaDecision>, Refusal> {
    if tenant.qps.is_none() && tenant.qpd == 0 {
        return Ok(None);
    }
    let Some(state) = inputs.tenants.get(&tenant.app_id) else {
        return Ok(None);
    };
    if let Some(rate) = tenant.qps {
        let scope = LimitScope::Tenant {
            app_id: &tenant.app_id,
            cell: &state.limiters.qps,
        };
        check(inputs, scope, rate, LimitedScope::Tenant, trace)?;
    }
    if tenant.qpd == 0 {
        return Ok(None);
    }
    trace.step(Step::Quota { limit: tenant.qpd });
    let d = inputs.backend.acquire_quota(
        &tenant.app_id,
        &state.limiters.quota,
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
    Ok(Some(d))
}

fn check(
    inputs: &PolicyInputs<'_>,
    scope: LimitScope<'_>,
    rate: Rate,
    which: LimitedScope,
    trace: &mut impl Trace,
) -> Result<(), Refusal> {
    trace.step(Step::Limit { scope: which, rate });
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
