//! Compiled tenants, looked up by app id when a token is verified.

use std::collections::HashMap;
use std::sync::Arc;

use super::ipset::IpSet;
use super::policy::Rate;
use crate::error::ValidationErrors;
use crate::model::Tenant;
use crate::msg::Msg;
use crate::rules::SECRET_LEN;

#[derive(Debug, Clone)]
pub struct CompiledTenant {
    pub app_id: Arc<str>,
    pub enabled: bool,
    pub secret: String,
    /// `None` = any address.
    pub ip_allow: Option<IpSet>,
    pub qps: Option<Rate>,
    /// Daily quota; 0 = unlimited.
    pub qpd: u64,
    pub spec: Arc<Tenant>,
}

pub(crate) fn compile_tenants(
    list: &[Tenant],
    errors: &mut ValidationErrors,
) -> HashMap<Arc<str>, Arc<CompiledTenant>> {
    let mut out = HashMap::new();
    for (i, t) in list.iter().enumerate() {
        let path = format!("tenants[{i}]");
        let before = errors.errors.len();
        super::service::validate_name(&t.app_id, &format!("{path}.app_id"), errors);
        let secret = match &t.secret {
            None => {
                errors.push(format!("{path}.secret"), Msg::SecretRequired);
                String::new()
            }
            Some(s) if !SECRET_LEN.contains(&s.chars().count()) => {
                errors.push(
                    format!("{path}.secret"),
                    Msg::SecretLength {
                        min: *SECRET_LEN.start(),
                        max: *SECRET_LEN.end(),
                    },
                );
                String::new()
            }
            Some(s) => s.clone(),
        };
        let ip_allow = match IpSet::parse(&t.ip_allow) {
            Ok(set) => (!set.is_empty()).then_some(set),
            Err((j, why)) => {
                errors.push(format!("{path}.ip_allow[{j}]"), why);
                None
            }
        };
        if errors.errors.len() != before {
            continue;
        }
        let app_id: Arc<str> = t.app_id.as_str().into();
        if out.contains_key(&app_id) {
            errors.push(
                format!("{path}.app_id"),
                Msg::AppIdTaken {
                    app_id: t.app_id.clone(),
                },
            );
            continue;
        }
        out.insert(
            Arc::clone(&app_id),
            Arc::new(CompiledTenant {
                app_id,
                enabled: t.enabled,
                secret,
                ip_allow,
                qps: Rate::new(t.qps, None),
                qpd: t.qpd,
                spec: Arc::new(t.clone()),
            }),
        );
    }
    out
}
