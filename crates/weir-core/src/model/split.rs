//! Traffic split and mirroring of a service. A split: shares of its requests sent to the upstreams
//! of other services (a canary 95/5), optionally sticky by a header or a
//! cookie, with rules that force a request to one side. The routed
//! service's own policies, rewrites and answers apply whichever upstream
//! takes the request; only the upstream (nodes, balancing, health,
//! timeouts, retries) is the target's — except the routed service's own
//! `timeouts:`, which override the target upstream's. A mirror copies a
//! share of the requests to another service's upstream and discards its
//! answers (the shadow's own timeouts apply to the copies).

use serde::{Deserialize, Serialize};

use super::is_default;

/// `split:` of an `http` or `grpc` service. What the targets do not take
/// stays on the service's own upstream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Split {
    /// Services whose upstreams take a share, each with its percentage.
    pub targets: Vec<SplitTarget>,
    /// Keep each client on one side: `header:NAME` or `cookie:NAME`; a
    /// request without it is split like any other.
    #[serde(default, skip_serializing_if = "is_default")]
    pub sticky: Option<String>,
    /// Rules tried in order before the shares: the first whose header or
    /// cookie matches sends the request to its `service`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub force: Vec<SplitForce>,
}

/// One target of a split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitTarget {
    /// The service whose upstream takes the share (of the same kind).
    pub service: String,
    /// Share of the requests, in percent (0.01 to 100, two decimals).
    pub percent: f64,
}

/// A rule that forces a request to one side of the split: a `header` or a
/// `cookie` (exactly one), with an exact `value` or, without one, any
/// value. `service` is a target of the split or the service itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitForce {
    #[serde(default, skip_serializing_if = "is_default")]
    pub header: Option<String>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub cookie: Option<String>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub value: Option<String>,
    pub service: String,
}

/// `mirror:` of an `http` or `grpc` service: a share of its requests is
/// also sent, as the upstream gets it, to the upstream of another service
/// (a shadow); the shadow's answers are discarded, and nothing it does
/// reaches the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mirror {
    /// The service whose upstream gets the copies (of the same kind).
    pub service: String,
    /// Share of the requests copied, in percent (0.01 to 100, two
    /// decimals).
    #[serde(default = "all", skip_serializing_if = "is_all")]
    pub percent: f64,
}

field_default!(all, is_all: f64 = 100.0);
