//! The OpenAPI 3.1 document, generated from the handlers' annotations and
//! the API types (utoipa), served at `/api/v1/openapi.json` and browsable at
//! `/api/docs`.
//!
//! Two things are added to what the annotations say: the security schemes
//! (session cookie, API token), and a `default` problem+json response on
//! every operation — any status an operation does not list (401, 403, 413,
//! 503…) still has a documented body.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::api::{
    audit_log, certificates, config, explain, listeners, registrations, revisions, services,
    session, signing_keys, stats, status, tenants, token_tryout, tokens, users,
};
use crate::error::{FieldProblem, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Weir admin API",
        description = "Manage a Weir gateway: services, tenants, certificates, revisions and \
                       rollback, accounts and API tokens, statistics, node health, \
                       self-registration, listeners, audit log and request explain. Errors are \
                       `application/problem+json` documents with a stable `code`. See \
                       docs/admin-api.md."
    ),
    paths(
        status::healthz,
        status::metrics,
        status::status,
        session::login,
        session::current,
        session::logout,
        session::change_password,
        users::list,
        users::create,
        users::show,
        users::update,
        users::remove,
        tokens::list,
        tokens::create,
        tokens::revoke,
        services::list,
        services::create,
        services::show,
        services::replace,
        services::remove,
        services::health,
        services::stats,
        tenants::list,
        tenants::create,
        tenants::show,
        tenants::replace,
        tenants::remove,
        tenants::reset_secret,
        tenants::stats,
        token_tryout::token_tryout,
        signing_keys::list,
        signing_keys::rotate,
        signing_keys::retire,
        certificates::list,
        certificates::create,
        certificates::show,
        certificates::replace,
        certificates::remove,
        registrations::register,
        registrations::heartbeat,
        registrations::deregister,
        registrations::list_for_service,
        registrations::list,
        registrations::registered_nodes,
        listeners::list,
        stats::summary,
        stats::series,
        revisions::list,
        revisions::show,
        revisions::config_at,
        revisions::diff,
        revisions::rollback,
        config::export,
        config::apply,
        audit_log::list,
        explain::explain,
    ),
    components(schemas(Problem, FieldProblem)),
    modifiers(&Additions),
    security(("session_cookie" = []), ("bearer_token" = [])),
    tags(
        (name = "session", description = "Log in and out; change your password"),
        (name = "users", description = "Admin users (role admin)"),
        (name = "tokens", description = "API tokens for automation (role admin)"),
        (name = "services", description = "Proxied services"),
        (name = "tenants", description = "Tenants (apps) and their secrets"),
        (name = "signing keys", description = "Keys that sign tenant tokens: rotate, retire"),
        (name = "history", description = "Revisions, rollback, audit log"),
        (name = "config", description = "The whole configuration as one document"),
        (name = "certificates", description = "TLS certificates; private keys are write-only"),
        (name = "registrations", description = "Self-registration of service instances with a TTL \
                                                (roles admin and registrar; any role may list)"),
        (name = "stats", description = "Traffic statistics"),
        (name = "explain", description = "What the gateway would do with a request"),
        (name = "status", description = "Liveness and status"),
    )
)]
pub struct ApiDoc;

struct Additions;

impl Modify for Additions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi
            .components
            .get_or_insert_with(|| ComponentsBuilder::new().build());
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "weir_session",
                "Session cookie from POST /api/v1/session. State-changing requests also need \
                 the session's CSRF token in the X-CSRF-Token header.",
            ))),
        );
        components.add_security_scheme(
            "bearer_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("weir API token")
                    .description(Some("An API token from POST /api/v1/tokens"))
                    .build(),
            ),
        );
        let problem = ResponseBuilder::new()
            .description("An error, as a problem document")
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build();
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                op.responses
                    .responses
                    .entry("default".into())
                    .or_insert_with(|| problem.clone().into());
            }
        }
    }
}

/// The document as served.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
