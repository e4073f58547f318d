//! The policy phases' steps as explain's verdicts: [`Verdicts`] is the
//! [`Trace`] explain hands to `policy::admit`, so each line says what the
//! data plane's own code decided.

use std::net::IpAddr;

use weir_core::compile::{CompiledService, Rate};

use super::{ExplainText, PolicyOutcome, PolicyVerdict, verdict};
use crate::policy::limit::LimitStatus;
use crate::policy::{LimitedScope, Refusal, Step, Trace};

/// Collects verdicts in the order the phases run.
pub(super) struct Verdicts<'a> {
    svc: &'a CompiledService,
    client: IpAddr,
    path: &'a str,
    policies: &'a mut Vec<PolicyVerdict>,
    /// The authenticated tenant's app id.
    tenant: Option<String>,
    /// Which limit lines are said: service, client IP, tenant.
    limits: [bool; 3],
    /// Where limits are counted (`[cluster] redis`), and over how many
    /// nodes when Redis is away.
    counted: (LimitStatus, u32),
}

impl<'a> Verdicts<'a> {
    pub(super) fn new(
        svc: &'a CompiledService,
        client: IpAddr,
        path: &'a str,
        policies: &'a mut Vec<PolicyVerdict>,
        counted: (LimitStatus, u32),
    ) -> Self {
        Self {
            svc,
            client,
            path,
            policies,
            tenant: None,
            limits: [false; 3],
            counted,
        }
    }

    /// After an admission: the limits that were not consulted are said to
    /// be unlimited, so every answer lists the same lines.
    pub(super) fn finish(&mut self) {
        self.limit_line(2);
    }

    /// The text of the refusal's rejection.
    pub(super) fn refusal_text(&self, refusal: &Refusal) -> ExplainText {
        match refusal {
            Refusal::Ip(why) => (*why).into(),
            Refusal::Auth(f) => (*f).into(),
            Refusal::TenantNotAllowed { app_id } => self.not_allowed(app_id),
            Refusal::TenantIp { .. } => ExplainText::TenantIpRefused,
            // The dry-run backend refuses nothing; said for completeness.
            Refusal::RateLimited { decision, .. } => ExplainText::RateDepends {
                per_second: decision.limit.to_string(),
                burst: decision.remaining.to_string(),
            },
            Refusal::Quota { app_id, .. } => ExplainText::TenantLimitsDepend {
                tenant: app_id.to_string(),
            },
        }
    }

    fn not_allowed(&self, tenant: &str) -> ExplainText {
        let auth = self.svc.access.auth.as_ref();
        ExplainText::TenantNotAllowed {
            tenant: tenant.into(),
            allowed: auth
                .and_then(|a| a.tenant_names())
                .unwrap_or_default()
                .join(", "),
        }
    }

    fn push(&mut self, policy: &'static str, outcome: PolicyOutcome, text: ExplainText) {
        self.policies.push(verdict(policy, outcome, text));
    }

    fn ip(&mut self) {
        let access = &self.svc.access;
        let client = self.client.to_string();
        let allowed_by_list = access.ip_allow.as_ref().map(|l| l.contains(self.client));
        let (outcome, text) = match allowed_by_list {
            None => (PolicyOutcome::Skip, ExplainText::NoAllowList),
            Some(true) => (
                PolicyOutcome::Allow,
                ExplainText::OnAllowList {
                    client: client.clone(),
                },
            ),
            Some(false) => (
                PolicyOutcome::Reject,
                ExplainText::NotOnAllowList {
                    client: client.clone(),
                },
            ),
        };
        self.push("ip_allow", outcome, text);
        let (outcome, text) = match (&access.ip_deny, allowed_by_list) {
            (None, _) => (PolicyOutcome::Skip, ExplainText::NoDenyList),
            (Some(_), Some(_)) => (PolicyOutcome::Skip, ExplainText::AllowListDecides),
            (Some(deny), None) if deny.contains(self.client) => {
                (PolicyOutcome::Reject, ExplainText::OnDenyList { client })
            }
            (Some(_), None) => (PolicyOutcome::Allow, ExplainText::NotOnDenyList { client }),
        };
        self.push("ip_deny", outcome, text);
    }

    /// Say the limit lines before `upto` (0 service, 1 client IP, 2
    /// tenant) that were not consulted.
    fn limit_line(&mut self, upto: usize) {
        for i in 0..upto {
            if !self.limits[i] {
                self.limits[i] = true;
                let name = ["service_qps", "client_ip_qps"][i];
                self.push(name, PolicyOutcome::Skip, ExplainText::Unlimited);
            }
        }
        if upto == 2
            && !self.limits[2]
            && let Some(tenant) = self.tenant.clone()
        {
            self.limits[2] = true;
            self.push(
                "tenant_limits",
                PolicyOutcome::Depends,
                ExplainText::TenantLimitsDepend { tenant },
            );
        }
    }

    fn limit(&mut self, scope: LimitedScope, rate: Rate) {
        let (i, name) = match scope {
            LimitedScope::Service => (0, "service_qps"),
            LimitedScope::ClientIp => (1, "client_ip_qps"),
            LimitedScope::Tenant => return self.limit_line(2),
        };
        self.limit_line(i);
        self.limits[i] = true;
        let (per_second, burst) = (rate.per_second.to_string(), rate.burst.to_string());
        let text = match &self.counted {
            (LimitStatus::Local, _) => ExplainText::RateDepends { per_second, burst },
            (LimitStatus::Shared, _) => ExplainText::RateDependsFleet { per_second, burst },
            (LimitStatus::Degraded { .. }, nodes) => ExplainText::RateDependsDegraded {
                per_second,
                burst,
                nodes: nodes.to_string(),
            },
        };
        self.push(name, PolicyOutcome::Depends, text);
    }
}

impl Trace for Verdicts<'_> {
    fn step(&mut self, step: Step<'_>) {
        let tenant = || self.tenant.clone().unwrap_or_default();
        match step {
            Step::Ip(_) => self.ip(),
            Step::AuthOff => self.push("auth", PolicyOutcome::Skip, ExplainText::AuthOff),
            Step::AuthBypassed => {
                let path = self.path.into();
                self.push(
                    "auth",
                    PolicyOutcome::Allow,
                    ExplainText::AuthBypassed { path },
                );
            }
            Step::AuthFailed(f) => self.push("auth", PolicyOutcome::Reject, f.into()),
            Step::Authenticated(t) => {
                self.tenant = Some(t.app_id.to_string());
                let tenant = t.app_id.to_string();
                self.push(
                    "auth",
                    PolicyOutcome::Allow,
                    ExplainText::ValidToken { tenant },
                );
            }
            Step::TenantNotAllowed(t) => {
                let text = self.not_allowed(&t.app_id);
                self.push("auth_tenants", PolicyOutcome::Reject, text);
            }
            Step::TenantAdmitted { listed: true } => {
                let tenant = tenant();
                self.push(
                    "auth_tenants",
                    PolicyOutcome::Allow,
                    ExplainText::TenantListed { tenant },
                );
            }
            Step::TenantAdmitted { listed: false } => {
                self.push(
                    "auth_tenants",
                    PolicyOutcome::Skip,
                    ExplainText::EveryTenant,
                );
            }
            Step::TenantIp(None) => {
                self.push("tenant_ip", PolicyOutcome::Skip, ExplainText::TenantNoList)
            }
            Step::TenantIp(Some(true)) => {
                self.push("tenant_ip", PolicyOutcome::Allow, ExplainText::OnTenantList);
            }
            Step::TenantIp(Some(false)) => {
                let text = ExplainText::NotOnTenantList {
                    client: self.client.to_string(),
                    tenant: tenant(),
                };
                self.push("tenant_ip", PolicyOutcome::Reject, text);
            }
            Step::Limit { scope, rate } => self.limit(scope, rate),
            Step::Quota { .. } => self.limit_line(2),
        }
    }
}
