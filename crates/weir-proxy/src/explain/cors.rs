//! Explain's CORS line: the data plane's own CORS phase
//! ([`crate::pipeline::cors`]) run on the request, and for a preflight the
//! same policies the handler runs before answering it
//! ([`policy::admit_preflight`]), so that the report and the fields it
//! lists are what the gateway does.

use http::header::{HeaderMap, HeaderValue};
use http::{Method, StatusCode, Version};
use weir_core::compile::CompiledService;

use super::{
    CorsOutcome, CorsReport, ExplainText, Explanation, HeaderEntry, Refused, owned, refused,
    rejection_as, trace,
};
use crate::DataPlane;
use crate::http::ProxyError;
use crate::pipeline::cors::{self, CorsRequest, Preflight, Refused as PreflightRefused};
use crate::policy;

/// The CORS phase, right after routing: the report goes to `out`; a
/// preflight comes back to be answered once the path and the HTTPS
/// redirect let it through (as in the handler).
pub(super) fn cors_phase<'s>(
    svc: &'s CompiledService,
    method: &Method,
    headers: &HeaderMap,
    out: &mut Explanation,
) -> Option<Preflight<'s>> {
    // Explain models an HTTP/1.1 request (see `upgrade_phase`).
    let (outcome, text, fields, preflight) =
        match cors::classify(svc, method, Version::HTTP_11, headers) {
            CorsRequest::Off if svc.cors.is_none() => {
                (CorsOutcome::None, ExplainText::CorsOff, None, None)
            }
            CorsRequest::Off => (CorsOutcome::None, ExplainText::CorsNoOrigin, None, None),
            CorsRequest::Upgrade => (CorsOutcome::None, ExplainText::CorsUpgrade, None, None),
            CorsRequest::Actual(a) => {
                let origin = lossy(&a.origin);
                let mut fields = HeaderMap::new();
                a.apply(&mut fields);
                let (outcome, text) = if a.allowed() {
                    let text = ExplainText::CorsOriginAllowed { origin };
                    (CorsOutcome::OriginAllowed, text)
                } else {
                    let text = ExplainText::CorsOriginNotAllowed { origin };
                    (CorsOutcome::OriginNotAllowed, text)
                };
                (outcome, text, Some(fields), None)
            }
            CorsRequest::Preflight(p) => {
                let (outcome, text) = preflight_text(&p);
                // The fields are listed once the preflight is answered.
                (outcome, text, None, Some(p))
            }
        };
    out.cors = Some(CorsReport {
        outcome,
        headers: fields.as_ref().map(entries).unwrap_or_default(),
        detail: text.to_string(),
        detail_code: text.code().into(),
        detail_params: owned(text.params()),
    });
    preflight
}

/// The gateway's answer to a preflight, after the service's IP rules (their
/// verdicts go to the policies, as for any request): `204`, recorded as the
/// explanation's rejection (the gateway answers, nothing is forwarded).
pub(super) fn answer_preflight(
    plane: &DataPlane,
    svc: &CompiledService,
    client: std::net::IpAddr,
    path: &str,
    preflight: &Preflight<'_>,
    out: &mut Explanation,
) -> Result<(), Refused> {
    let backend = &plane.options.limits;
    let counted = (backend.status(), backend.fleet_size());
    let mut trace = trace::Verdicts::new(svc, client, path, &mut out.policies, counted);
    if let Err(refusal) = policy::admit_preflight(svc, client, &mut trace) {
        let text = trace.refusal_text(&refusal);
        return Err(refused(&ProxyError::Refused(refusal), text));
    }
    let mut fields = HeaderMap::new();
    preflight.answer_headers(&mut fields);
    if let Some(report) = &mut out.cors {
        report.headers = entries(&fields);
    }
    out.rejection = Some(rejection_as(
        StatusCode::NO_CONTENT,
        "cors_preflight",
        ExplainText::CorsPreflightAnswer,
    ));
    Ok(())
}

fn preflight_text(p: &Preflight<'_>) -> (CorsOutcome, ExplainText) {
    let origin = lossy(&p.origin);
    let text = match &p.verdict {
        Ok(()) => {
            let method = lossy(&p.method);
            return (
                CorsOutcome::PreflightAllowed,
                ExplainText::CorsPreflightAllowed { origin, method },
            );
        }
        Err(PreflightRefused::Origin) => ExplainText::CorsPreflightOriginRefused { origin },
        Err(PreflightRefused::Method) => ExplainText::CorsPreflightMethodRefused {
            origin,
            method: lossy(&p.method),
        },
        Err(PreflightRefused::Header(h)) => ExplainText::CorsPreflightHeaderRefused {
            origin,
            header: h.to_string(),
        },
    };
    (CorsOutcome::PreflightRefused, text)
}

fn lossy(v: &HeaderValue) -> String {
    String::from_utf8_lossy(v.as_bytes()).into_owned()
}

fn entries(fields: &HeaderMap) -> Vec<HeaderEntry> {
    fields
        .iter()
        .map(|(k, v)| HeaderEntry {
            name: k.as_str().to_owned(),
            value: lossy(v),
        })
        .collect()
}
