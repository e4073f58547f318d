//! Explain's timeouts section: the timeouts a forwarded request lives
//! under — the data plane's own resolution (`RouteTimeouts::resolve`, as
//! `http::handler::dispatch` calls it) — and whether each comes from the
//! routed service's `timeouts:` or from the upstream that takes it.

use std::time::Duration;

use weir_core::compile::EffectiveTimeouts;
use weir_core::report::{TimeoutFrom, TimeoutValue, TimeoutsReport};

use super::{ExplainText, owned};
use crate::pipeline::route::Routed;

/// `routed`: the routed service with the upstream that takes the request
/// (after the split); `effective`: its resolved timeouts.
pub(super) fn report(routed: Routed<'_>, effective: &EffectiveTimeouts) -> TimeoutsReport {
    let upstream_of = routed.rt.upstream.service.to_string();
    let origins = routed.svc.timeouts.origins();
    let value = |i: usize, d: Duration| TimeoutValue {
        ms: d.as_millis() as u64,
        from: origins[i].1,
    };
    let set: Vec<&str> = origins
        .iter()
        .filter(|(_, o)| *o == TimeoutFrom::Route)
        .map(|(field, _)| *field)
        .collect();
    let detail = if set.is_empty() {
        ExplainText::TimeoutsUpstream {
            service: upstream_of.clone(),
        }
    } else {
        ExplainText::TimeoutsRoute {
            fields: set.join(", "),
            service: upstream_of.clone(),
        }
    };
    TimeoutsReport {
        connect: value(0, effective.connect),
        response_header: value(1, effective.response_header),
        per_try_ms: effective.per_try.as_millis() as u64,
        stream_idle: value(2, effective.stream_idle),
        upstream_of,
        detail: detail.to_string(),
        detail_code: detail.code().into(),
        detail_params: owned(detail.params()),
    }
}
