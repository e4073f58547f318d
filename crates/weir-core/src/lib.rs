//! Weir's configuration core: the model users write (YAML, JSON through the
//! admin API), its validation with field-named errors, compilation into the
//! immutable routing structures the data plane reads, and the diff between two
//! configurations.
//!
//! Nothing here does I/O; the store, the data plane and the admin API all
//! depend on this crate and agree on the model through it.

pub mod compile;
pub mod diff;
pub mod error;
pub mod model;
pub mod msg;
pub mod path;
pub mod report;
pub mod rollup;
pub mod rules;
pub mod yaml;

pub use compile::{CompiledConfig, CompiledService, compile};
pub use diff::{Change, ChangeOp, FieldChange, diff_documents};
pub use error::{FieldError, ValidationErrors};
pub use model::{
    Access, AuthPolicy, Balance, Certificate, CheckKind, ConfigDocument, Cors, DnsSettings,
    HashKey, HeaderOp, HeaderOpKind, HealthCheck, HumanDuration, IpList, KeyStatus, Limits, Match,
    Node, Outlier, ResourceKind, RewriteRule, Service, ServiceKind, SigningAlgorithm, SigningKey,
    Tenant, Timeouts, Upstream, UpstreamTls,
};
pub use msg::{Coded, Msg};
