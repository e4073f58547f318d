//! Validation and compilation of a service's traffic split and mirror. Percentages
//! become basis points (0–10,000) laid end to end, so that a request's
//! bucket in 0..10,000 names its side with one comparison per target.
//! Target names are checked here; their indexes in the compiled
//! configuration are filled in by [`resolve`] once every service is
//! compiled and sorted.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize};

use http::HeaderName;

use crate::error::ValidationErrors;
use crate::model::{Mirror, Service, ServiceKind, Split};
use crate::msg::Msg;

/// Basis points in 100 %.
pub const SPLIT_SCALE: u32 = 10_000;
/// Most targets of one split and most force rules.
pub const MAX_SPLIT_TARGETS: usize = 16;

/// A split ready for the data plane.
#[derive(Debug, Clone)]
pub struct CompiledSplit {
    pub targets: Box<[SplitSide]>,
    /// The request field that keeps a client on one side.
    pub sticky: Option<SplitKey>,
    pub force: Box<[ForceRule]>,
    /// Requests split so far (not sticky, not forced): the position in the
    /// low-discrepancy sequence that spreads them (`pipeline::split`).
    pub sequence: Arc<AtomicU64>,
}

/// A target: its service and the end of its range of buckets.
#[derive(Debug, Clone)]
pub struct SplitSide {
    pub service: Arc<str>,
    /// Index of the service in the compiled configuration.
    pub index: u32,
    /// Buckets below this (and at or above the previous target's) go here.
    pub upto: u32,
    /// The share in basis points.
    pub share: u32,
}

/// A request header or cookie, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitKey {
    Header(HeaderName),
    Cookie(Box<str>),
}

/// A force rule: the field, the exact value (any when `None`) and where it
/// sends the request (`None`: the service's own upstream).
#[derive(Debug, Clone)]
pub struct ForceRule {
    pub key: SplitKey,
    pub value: Option<Box<str>>,
    pub service: Arc<str>,
    pub index: Option<u32>,
}

impl SplitKey {
    /// `header:NAME` or `cookie:NAME`.
    fn parse(s: &str) -> Option<Self> {
        if let Some(name) = s.strip_prefix("header:") {
            return HeaderName::from_bytes(name.as_bytes())
                .ok()
                .map(SplitKey::Header);
        }
        let name = s.strip_prefix("cookie:")?;
        is_cookie_name(name).then(|| SplitKey::Cookie(name.into()))
    }
}

/// A cookie name is an HTTP token (RFC 6265 §4.1.1).
fn is_cookie_name(name: &str) -> bool {
    !name.is_empty() && HeaderName::from_bytes(name.as_bytes()).is_ok()
}

/// A percentage (0.01 to 100, at most two decimals) in basis points, or
/// `None` when it is not one.
fn basis_points(percent: f64) -> Option<u32> {
    let bp = percent * 100.0;
    let whole = (bp - bp.round()).abs() <= 1e-6;
    // In range and whole: the cast is exact (1 to 10,000).
    (percent > 0.0 && percent <= 100.0 && whole).then(|| bp.round() as u32)
}

/// Validate `split` of `svc` (reporting under `path`, e.g. `services[3]`).
/// Indexes are left at 0 for [`resolve`].
pub(crate) fn compile_split(
    svc: &Service,
    split: &Split,
    path: &str,
    errors: &mut ValidationErrors,
) -> Option<CompiledSplit> {
    let before = errors.errors.len();
    let p = format!("{path}.split");
    if split.targets.is_empty() {
        errors.push(format!("{p}.targets"), Msg::SplitNoTarget);
    }
    if split.targets.len() > MAX_SPLIT_TARGETS || split.force.len() > MAX_SPLIT_TARGETS {
        errors.push(
            &p,
            Msg::TooManyConditions {
                max: MAX_SPLIT_TARGETS,
            },
        );
    }
    let mut targets: Vec<SplitSide> = Vec::with_capacity(split.targets.len());
    let mut upto = 0u32;
    for (i, t) in split.targets.iter().enumerate() {
        let tp = format!("{p}.targets[{i}]");
        let Some(share) = basis_points(t.percent) else {
            errors.push(format!("{tp}.percent"), Msg::SplitPercent);
            continue;
        };
        if t.service == svc.name {
            errors.push(format!("{tp}.service"), Msg::SplitToItself);
            continue;
        }
        if targets.iter().any(|s| *s.service == *t.service) {
            errors.push(
                format!("{tp}.service"),
                Msg::ListedTwice {
                    value: t.service.clone(),
                },
            );
            continue;
        }
        upto = upto.saturating_add(share);
        targets.push(SplitSide {
            service: t.service.as_str().into(),
            index: 0,
            upto,
            share,
        });
    }
    if upto > SPLIT_SCALE {
        errors.push(format!("{p}.targets"), Msg::SplitOver100);
    }
    let sticky = split.sticky.as_ref().and_then(|s| {
        let key = SplitKey::parse(s);
        if key.is_none() {
            errors.push(
                format!("{p}.sticky"),
                Msg::SplitKeyInvalid { value: s.clone() },
            );
        }
        key
    });
    let force = compile_force(svc, split, &p, errors);
    (errors.errors.len() == before).then(|| CompiledSplit {
        targets: targets.into(),
        sticky,
        force: force.into(),
        sequence: Arc::new(AtomicU64::new(0)),
    })
}

fn compile_force(
    svc: &Service,
    split: &Split,
    p: &str,
    errors: &mut ValidationErrors,
) -> Vec<ForceRule> {
    let mut out = Vec::with_capacity(split.force.len());
    for (i, f) in split.force.iter().enumerate() {
        let fp = format!("{p}.force[{i}]");
        let key = match (&f.header, &f.cookie) {
            (Some(h), None) => SplitKey::parse(&format!("header:{h}")),
            (None, Some(c)) => SplitKey::parse(&format!("cookie:{c}")),
            _ => {
                errors.push(&fp, Msg::SplitForceField);
                continue;
            }
        };
        let Some(key) = key else {
            let name = f
                .header
                .clone()
                .or_else(|| f.cookie.clone())
                .unwrap_or_default();
            errors.push(&fp, Msg::HeaderNameInvalid { name });
            continue;
        };
        let own = f.service == svc.name;
        if !own && !split.targets.iter().any(|t| t.service == f.service) {
            errors.push(
                format!("{fp}.service"),
                Msg::SplitForceTarget {
                    service: f.service.clone(),
                },
            );
            continue;
        }
        out.push(ForceRule {
            key,
            value: f.value.as_deref().map(Into::into),
            service: f.service.as_str().into(),
            index: None,
        });
    }
    out
}

/// A mirror ready for the data plane.
#[derive(Debug, Clone)]
pub struct CompiledMirror {
    pub service: Arc<str>,
    /// Index of the shadow service in the compiled configuration.
    pub index: u32,
    /// The share copied, in basis points.
    pub share: u32,
    /// Requests seen so far: the position in the sequence that picks the
    /// copied share.
    pub sequence: Arc<AtomicU64>,
    /// What became of the copies (since this configuration was applied).
    pub counts: Arc<MirrorCounts>,
}

/// Copies by outcome, and copies in flight now.
#[derive(Debug, Default)]
pub struct MirrorCounts {
    /// The shadow answered (whatever its status).
    pub sent: AtomicU64,
    /// The shadow failed (refused, reset, timed out).
    pub failed: AtomicU64,
    /// Not copied: too many copies in flight, a body too large to keep, or
    /// a client body that did not arrive whole.
    pub skipped: AtomicU64,
    pub in_flight: AtomicUsize,
}

/// Validate `mirror` of `svc`; the index is filled in by [`resolve`].
pub(crate) fn compile_mirror(
    svc: &Service,
    mirror: &Mirror,
    path: &str,
    errors: &mut ValidationErrors,
) -> Option<CompiledMirror> {
    let p = format!("{path}.mirror");
    let Some(share) = basis_points(mirror.percent) else {
        errors.push(format!("{p}.percent"), Msg::SplitPercent);
        return None;
    };
    if mirror.service == svc.name {
        errors.push(format!("{p}.service"), Msg::MirrorToItself);
        return None;
    }
    Some(CompiledMirror {
        service: mirror.service.as_str().into(),
        index: 0,
        share,
        sequence: Arc::new(AtomicU64::new(0)),
        counts: Arc::new(MirrorCounts::default()),
    })
}

/// Fill in the target indexes of every split once `services` is in its
/// final order, refusing targets that do not exist, are of another kind,
/// or split themselves. `doc_index` maps a compiled index to the service's
/// place in the document (for field paths).
pub(crate) fn resolve(
    services: &mut [super::CompiledService],
    doc_index: &[usize],
    errors: &mut ValidationErrors,
) {
    let by_name: HashMap<Arc<str>, (u32, ServiceKind, bool)> = services
        .iter()
        .enumerate()
        .map(|(i, s)| (Arc::clone(&s.name), (i as u32, s.kind, s.split.is_some())))
        .collect();
    let target =
        |service: &str, kind: ServiceKind, field: String, errors: &mut ValidationErrors| {
            match by_name.get(service) {
                None => errors.push(
                    field,
                    Msg::SplitUnknown {
                        service: service.to_owned(),
                    },
                ),
                Some(&(_, k, _)) if k != kind => errors.push(
                    field,
                    Msg::SplitKind {
                        service: service.to_owned(),
                        kind: k.as_str().into(),
                    },
                ),
                Some(&(index, _, _)) => return Some(index),
            }
            None
        };
    for (i, svc) in services.iter_mut().enumerate() {
        let kind = svc.kind;
        if let Some(mirror) = svc.mirror.as_mut() {
            let field = format!("services[{}].mirror.service", doc_index[i]);
            if let Some(index) = target(&mirror.service, kind, field, errors) {
                mirror.index = index;
            }
        }
        let Some(split) = svc.split.as_mut() else {
            continue;
        };
        let p = format!("services[{}].split", doc_index[i]);
        let mut sides = split.targets.to_vec();
        for (j, side) in sides.iter_mut().enumerate() {
            let field = format!("{p}.targets[{j}].service");
            match by_name.get(&side.service) {
                None => errors.push(
                    field,
                    Msg::SplitUnknown {
                        service: side.service.to_string(),
                    },
                ),
                Some(&(_, k, _)) if k != kind => errors.push(
                    field,
                    Msg::SplitKind {
                        service: side.service.to_string(),
                        kind: k.as_str().into(),
                    },
                ),
                Some(&(_, _, true)) => errors.push(
                    field,
                    Msg::SplitChained {
                        service: side.service.to_string(),
                    },
                ),
                Some(&(index, _, _)) => side.index = index,
            }
        }
        split.targets = sides.into();
        let targets = split.targets.clone();
        let mut rules = split.force.to_vec();
        for rule in &mut rules {
            rule.index = targets
                .iter()
                .find(|t| t.service == rule.service)
                .map(|t| t.index);
        }
        split.force = rules.into();
    }
}
