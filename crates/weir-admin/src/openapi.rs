//! The OpenAPI 3.1 document, generated from the handlers' annotations and
//! the API types (utoipa), served at `/api/v1/openapi.json` and browsable at
//! `/api/docs`.
//!
//! Added to what the annotations say, for the whole document at once:
//! - the security schemes (session cookie, API token);
//! - a `default` problem+json response on every operation — any status an
//!   operation does not list (401, 403, 413, 503…) still has a documented
//!   body;
//! - a unique `operationId` per operation (`get_services_by_name`), from its
//!   method and path;
//! - the format of every `If-Match` parameter (`extract::IF_MATCH_PATTERN`);
//! - `additionalProperties: false` on every object a request body can hold
//!   (request types deny unknown fields; the model does too);
//! - `additionalProperties: true` on every object without properties (a
//!   map of parameters, a spec as it was): what JSON Schema means by a bare
//!   `type: object`, but generators such as the dashboard's
//!   openapi-typescript read it as an empty object;
//! - `links` from the operations that create or list a resource to those
//!   that read, change or delete it (`LINKS`), so a client — or a
//!   stateful test — can follow a created service to its update;
//! - the `default` of every defaulted field of the configuration model,
//!   from `weir_core::model::defaults`: answers leave defaults out, and
//!   this is where a client learns what an absent field is.

use std::collections::{BTreeMap, BTreeSet};

use utoipa::openapi::Required;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayItems, ObjectBuilder, Schema, SchemaType, Type,
};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, Content, ContentBuilder, PathItem, Ref, RefOr, ResponseBuilder,
};
use utoipa::{Modify, OpenApi};
use weir_core::ResourceKind;
use weir_core::model::defaults;

use crate::api::{
    audit_log, certificates, config, explain, gateways, listeners, registrations, revisions,
    services, session, signing_keys, stats, status, tenants, token_tryout, tokens, users,
};
use crate::error::{FieldProblem, Problem};
use crate::extract::IF_MATCH_PATTERN;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Weir admin API",
        description = "Manage a Weir gateway: services, tenants, certificates, revisions and \
                       rollback, accounts and API tokens, statistics, node health, \
                       self-registration, listeners, the fleet of gateways, audit log and request explain. Errors are \
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
        gateways::list,
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
        (name = "gateways", description = "The gateway processes sharing the store: the revision \
                                           each serves and whether it is alive"),
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
        for (path, item) in openapi.paths.paths.iter_mut() {
            for (method, op) in operations(item) {
                op.responses
                    .responses
                    .entry("default".into())
                    .or_insert_with(|| problem.clone().into());
                op.operation_id = Some(operation_id(method, path));
                if_match_format(op);
            }
        }
        cross_field_rules(openapi);
        model_defaults(openapi);
        optional_bodies_are_objects(openapi);
        close_request_objects(openapi);
        open_free_form_objects(openapi);
        add_links(openapi);
    }
}

/// Rules between fields (`schema::service_rules` …) as `allOf` of
/// `if`/`then`, which utoipa's builders do not have: set as raw keys.
fn cross_field_rules(openapi: &mut utoipa::openapi::OpenApi) {
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    for (name, rules) in [
        ("Service", crate::schema::service_rules()),
        ("Upstream", crate::schema::upstream_rules()),
        ("HeaderOp", crate::schema::header_op_rules()),
        ("ServiceMatch", crate::schema::match_rules()),
        ("RouteFieldMatch", crate::schema::field_match_rules()),
        ("SplitForce", crate::schema::split_force_rules()),
    ] {
        if let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut(name) {
            // Built from pairs: utoipa's own parsing keeps only `x-` keys.
            o.extensions = Some(Extensions::from_iter([("allOf", rules)]));
        }
    }
}

/// The component schema of each kind of resource with defaults.
const DEFAULTED: [(&str, ResourceKind); 3] = [
    ("Service", ResourceKind::Service),
    ("Tenant", ResourceKind::Tenant),
    ("Certificate", ResourceKind::Certificate),
];

/// Sets the model's default on each property it has one for; returns the
/// paths no property was found for (`openapi_tests` wants none).
pub(crate) fn model_defaults(openapi: &mut utoipa::openapi::OpenApi) -> Vec<String> {
    let mut missing = Vec::new();
    let Some(components) = openapi.components.as_mut() else {
        return missing;
    };
    for (schema, kind) in DEFAULTED {
        for (path, value) in defaults::table(kind) {
            let segments: Vec<&str> = path.split('.').collect();
            if !set_default(&mut components.schemas, schema, &segments, value) {
                missing.push(format!("{schema}.{path}"));
            }
        }
    }
    missing
}

/// Where the walk down a property path got to.
enum Step<'p> {
    Done,
    Missing,
    /// Go on in another component with the rest of the path.
    Ref(String, &'p [&'p str]),
}

fn set_default(
    schemas: &mut BTreeMap<String, RefOr<Schema>>,
    component: &str,
    path: &[&str],
    value: serde_json::Value,
) -> bool {
    let mut component = component.to_owned();
    let mut path = path;
    // Bounded: each hop follows one `$ref`; the model is not that deep.
    for _ in 0..16 {
        let Some(schema) = schemas.get_mut(&component) else {
            return false;
        };
        match descend(schema, path, &value) {
            Step::Done => return true,
            Step::Missing => return false,
            Step::Ref(next, rest) => {
                component = next;
                path = rest;
            }
        }
    }
    false
}

/// Find property `path[0]` in `schema` (an object, a reference to one, or
/// a composition holding one) and go on with the rest of the path.
fn descend<'p>(
    schema: &mut RefOr<Schema>,
    path: &'p [&'p str],
    value: &serde_json::Value,
) -> Step<'p> {
    let Some((first, rest)) = path.split_first() else {
        return Step::Missing;
    };
    let schema = match schema {
        RefOr::Ref(r) => {
            return match r.ref_location.strip_prefix("#/components/schemas/") {
                Some(name) => Step::Ref(name.to_owned(), path),
                None => Step::Missing,
            };
        }
        RefOr::T(schema) => schema,
    };
    let items = match schema {
        Schema::Object(o) => {
            let key = first.strip_suffix("[]").unwrap_or(first);
            let Some(property) = o.properties.get_mut(key) else {
                return Step::Missing;
            };
            if rest.is_empty() {
                set_default_on(property, value.clone());
                return Step::Done;
            }
            if first.ends_with("[]") {
                return match property {
                    RefOr::T(Schema::Array(a)) => match &mut a.items {
                        ArrayItems::RefOrSchema(items) => descend(items, rest, value),
                        ArrayItems::False => Step::Missing,
                    },
                    _ => Step::Missing,
                };
            }
            return descend(property, rest, value);
        }
        Schema::OneOf(o) => &mut o.items,
        Schema::AllOf(o) => &mut o.items,
        Schema::AnyOf(o) => &mut o.items,
        _ => return Step::Missing,
    };
    for item in items {
        match descend(item, path, value) {
            Step::Missing => continue,
            found => return found,
        }
    }
    Step::Missing
}

fn set_default_on(property: &mut RefOr<Schema>, value: serde_json::Value) {
    let slot = match property {
        RefOr::Ref(r) => &mut r.default,
        RefOr::T(Schema::Object(o)) => &mut o.default,
        RefOr::T(Schema::Array(a)) => &mut a.default,
        RefOr::T(Schema::OneOf(o)) => &mut o.default,
        RefOr::T(Schema::AllOf(o)) => &mut o.default,
        RefOr::T(Schema::AnyOf(o)) => &mut o.default,
        RefOr::T(_) => return,
    };
    *slot = Some(value);
}

/// utoipa writes an optional body (`Option<T>`) as `T` or `null`; the
/// server takes no body or `T`, and refuses `null` like any other wrong type
/// (`extract::OptionalJson`). Say so: optional, and `T`.
fn optional_bodies_are_objects(openapi: &mut utoipa::openapi::OpenApi) {
    for item in openapi.paths.paths.values_mut() {
        for (_, op) in operations(item) {
            let Some(RefOr::T(body)) = op.request_body.as_mut() else {
                continue;
            };
            for content in body.content.values_mut() {
                let RefOr::T(content) = content else { continue };
                let Some(RefOr::T(Schema::OneOf(one_of))) = content.schema.as_ref() else {
                    continue;
                };
                let mut items = one_of.items.iter().filter(|s| !is_null(s));
                if let (Some(only), None) = (items.next(), items.next()) {
                    content.schema = Some(only.clone());
                    body.required = Some(Required::False);
                }
            }
        }
    }
}

fn is_null(schema: &RefOr<Schema>) -> bool {
    matches!(schema, RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::Null))
}

/// Every operation of a path with its method.
fn operations(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("get", &mut item.get),
        ("put", &mut item.put),
        ("post", &mut item.post),
        ("delete", &mut item.delete),
        ("patch", &mut item.patch),
    ]
    .into_iter()
    .filter_map(|(method, op)| op.as_mut().map(|op| (method, op)))
}

/// `get_services_by_name_health` for `GET /api/v1/services/{name}/health`.
pub fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_owned();
    for segment in path.trim_start_matches("/api/v1").split('/') {
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(param) => id.push_str(&format!("_by_{param}")),
            None if !segment.is_empty() => {
                id.push('_');
                id.push_str(&segment.replace(['-', '.'], "_"));
            }
            None => {}
        }
    }
    id
}

/// `If-Match` holds a version: say which spelling the server takes.
fn if_match_format(op: &mut Operation) {
    for p in op.parameters.iter_mut().flatten() {
        let RefOr::T(p) = p else { continue };
        if p.parameter_in == ParameterIn::Header && p.name.eq_ignore_ascii_case("If-Match") {
            p.schema = Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(IF_MATCH_PATTERN))
                    .examples(["\"12\""])
                    .into(),
            );
        }
    }
}

/// Close (`additionalProperties: false`) every object with properties that
/// a request body can reach, through references and nesting.
fn close_request_objects(openapi: &mut utoipa::openapi::OpenApi) {
    let mut roots = Vec::new();
    for item in openapi.paths.paths.values_mut() {
        for (_, op) in operations(item) {
            let Some(RefOr::T(body)) = op.request_body.as_mut() else {
                continue;
            };
            for content in body.content.values_mut() {
                if let RefOr::T(content) = content
                    && let Some(schema) = content.schema.as_mut()
                {
                    close(schema, &mut roots);
                }
            }
        }
    }
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    let mut done = BTreeSet::new();
    while let Some(name) = roots.pop() {
        if !done.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = components.schemas.get_mut(&name) {
            close(schema, &mut roots);
        }
    }
}

/// Close `schema` and its inline parts; push the components it refers to.
fn close(schema: &mut RefOr<Schema>, refs: &mut Vec<String>) {
    let schema = match schema {
        RefOr::Ref(r) => {
            if let Some(name) = r.ref_location.strip_prefix("#/components/schemas/") {
                refs.push(name.to_owned());
            }
            return;
        }
        RefOr::T(schema) => schema,
    };
    match schema {
        Schema::Object(o) => {
            if !o.properties.is_empty() && o.additional_properties.is_none() {
                o.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
            }
            for p in o.properties.values_mut() {
                close(p, refs);
            }
            if let Some(extra) = o.additional_properties.as_deref_mut()
                && let AdditionalProperties::RefOr(s) = extra
            {
                close(s, refs);
            }
        }
        Schema::Array(a) => {
            if let ArrayItems::RefOrSchema(items) = &mut a.items {
                close(items, refs);
            }
        }
        Schema::OneOf(o) => o.items.iter_mut().for_each(|s| close(s, refs)),
        Schema::AllOf(o) => o.items.iter_mut().for_each(|s| close(s, refs)),
        Schema::AnyOf(o) => o.items.iter_mut().for_each(|s| close(s, refs)),
        _ => {}
    }
}

/// Say `additionalProperties: true` on every object that has no properties
/// and says nothing of others, in the components and in the operations'
/// bodies and answers.
fn open_free_form_objects(openapi: &mut utoipa::openapi::OpenApi) {
    for item in openapi.paths.paths.values_mut() {
        for (_, op) in operations(item) {
            if let Some(RefOr::T(body)) = op.request_body.as_mut() {
                body.content.values_mut().for_each(open_content);
            }
            for answer in op.responses.responses.values_mut() {
                if let RefOr::T(answer) = answer {
                    answer.content.values_mut().for_each(open_content);
                }
            }
        }
    }
    if let Some(components) = openapi.components.as_mut() {
        components.schemas.values_mut().for_each(open);
    }
}

fn open_content(content: &mut RefOr<Content>) {
    if let RefOr::T(content) = content
        && let Some(schema) = content.schema.as_mut()
    {
        open(schema);
    }
}

fn open(schema: &mut RefOr<Schema>) {
    let RefOr::T(schema) = schema else { return };
    match schema {
        Schema::Object(o) => {
            let object = match &o.schema_type {
                SchemaType::Type(t) => *t == Type::Object,
                SchemaType::Array(ts) => ts.contains(&Type::Object),
                SchemaType::AnyValue => false,
            };
            if object && o.properties.is_empty() && o.additional_properties.is_none() {
                o.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(true)));
            }
            o.properties.values_mut().for_each(open);
            if let Some(AdditionalProperties::RefOr(s)) = o.additional_properties.as_deref_mut() {
                open(s);
            }
        }
        Schema::Array(a) => {
            if let ArrayItems::RefOrSchema(items) = &mut a.items {
                open(items);
            }
        }
        Schema::OneOf(o) => o.items.iter_mut().for_each(open),
        Schema::AllOf(o) => o.items.iter_mut().for_each(open),
        Schema::AnyOf(o) => o.items.iter_mut().for_each(open),
        _ => {}
    }
}

/// A link from the answer of one operation to another operation.
pub(crate) struct LinkSpec {
    /// `(method, path, status)` of the answer the link starts from.
    pub(crate) from: (&'static str, &'static str, &'static str),
    /// The link's name.
    pub(crate) name: &'static str,
    /// `(method, path)` of the operation it leads to.
    pub(crate) to: (&'static str, &'static str),
    /// Parameters of the target: `path.name`, `header.If-Match`, … and
    /// runtime expressions.
    parameters: &'static [(&'static str, &'static str)],
}

const SERVICE: &str = "/api/v1/services/{name}";
const TENANT: &str = "/api/v1/tenants/{app_id}";
const CERTIFICATE: &str = "/api/v1/certificates/{name}";
const USER: &str = "/api/v1/users/{name}";
const REGISTRATION: &str = "/api/v1/services/{name}/registrations/{id}";
const REVISION: &str = "/api/v1/revisions/{id}";

const SERVICE_NAME: (&str, &str) = ("path.name", "$response.body#/spec/name");
const TENANT_ID: (&str, &str) = ("path.app_id", "$response.body#/spec/app_id");
const CERTIFICATE_NAME: (&str, &str) = ("path.name", "$response.body#/spec/name");
const ETAG: (&str, &str) = ("header.If-Match", "$response.header.ETag");
const VERSION_REVISION: (&str, &str) = ("path.id", "$response.body#/version");

/// What follows from what: create → read, change, delete (with the version
/// just answered in `If-Match`); read → change, delete; list → read.
#[rustfmt::skip]
pub(crate) const LINKS: &[LinkSpec] = &[
    // Services.
    LinkSpec { from: ("post", "/api/v1/services", "201"), name: "GetService", to: ("get", SERVICE), parameters: &[SERVICE_NAME] },
    LinkSpec { from: ("post", "/api/v1/services", "201"), name: "ReplaceService", to: ("put", SERVICE), parameters: &[SERVICE_NAME, ETAG] },
    LinkSpec { from: ("post", "/api/v1/services", "201"), name: "DeleteService", to: ("delete", SERVICE), parameters: &[SERVICE_NAME, ETAG] },
    LinkSpec { from: ("post", "/api/v1/services", "201"), name: "ServiceHealth", to: ("get", "/api/v1/services/{name}/health"), parameters: &[SERVICE_NAME] },
    LinkSpec { from: ("post", "/api/v1/services", "201"), name: "ServiceStats", to: ("get", "/api/v1/services/{name}/stats"), parameters: &[SERVICE_NAME] },
    LinkSpec { from: ("post", "/api/v1/services", "201"), name: "RegisterInstance", to: ("post", "/api/v1/services/{name}/registrations"), parameters: &[SERVICE_NAME] },
    LinkSpec { from: ("post", "/api/v1/services", "201"), name: "ListRegistrations", to: ("get", "/api/v1/services/{name}/registrations"), parameters: &[SERVICE_NAME] },
    LinkSpec { from: ("post", "/api/v1/services", "201"), name: "GetRevision", to: ("get", REVISION), parameters: &[VERSION_REVISION] },
    LinkSpec { from: ("get", SERVICE, "200"), name: "ReplaceService", to: ("put", SERVICE), parameters: &[SERVICE_NAME, ETAG] },
    LinkSpec { from: ("get", SERVICE, "200"), name: "DeleteService", to: ("delete", SERVICE), parameters: &[SERVICE_NAME, ETAG] },
    LinkSpec { from: ("put", SERVICE, "200"), name: "GetService", to: ("get", SERVICE), parameters: &[SERVICE_NAME] },
    LinkSpec { from: ("put", SERVICE, "200"), name: "DeleteService", to: ("delete", SERVICE), parameters: &[SERVICE_NAME, ETAG] },
    // Tenants.
    LinkSpec { from: ("post", "/api/v1/tenants", "201"), name: "GetTenant", to: ("get", TENANT), parameters: &[TENANT_ID] },
    LinkSpec { from: ("post", "/api/v1/tenants", "201"), name: "ReplaceTenant", to: ("put", TENANT), parameters: &[TENANT_ID, ETAG] },
    LinkSpec { from: ("post", "/api/v1/tenants", "201"), name: "DeleteTenant", to: ("delete", TENANT), parameters: &[TENANT_ID, ETAG] },
    LinkSpec { from: ("post", "/api/v1/tenants", "201"), name: "ResetSecret", to: ("post", "/api/v1/tenants/{app_id}/secret"), parameters: &[TENANT_ID] },
    LinkSpec { from: ("post", "/api/v1/tenants", "201"), name: "TenantStats", to: ("get", "/api/v1/tenants/{app_id}/stats"), parameters: &[TENANT_ID] },
    LinkSpec { from: ("post", "/api/v1/tenants", "201"), name: "TokenTryout", to: ("post", "/api/v1/tenants/{app_id}/token-tryout"), parameters: &[TENANT_ID] },
    LinkSpec { from: ("get", TENANT, "200"), name: "ReplaceTenant", to: ("put", TENANT), parameters: &[TENANT_ID, ETAG] },
    LinkSpec { from: ("get", TENANT, "200"), name: "DeleteTenant", to: ("delete", TENANT), parameters: &[TENANT_ID, ETAG] },
    // Certificates.
    LinkSpec { from: ("post", "/api/v1/certificates", "201"), name: "GetCertificate", to: ("get", CERTIFICATE), parameters: &[CERTIFICATE_NAME] },
    LinkSpec { from: ("post", "/api/v1/certificates", "201"), name: "ReplaceCertificate", to: ("put", CERTIFICATE), parameters: &[CERTIFICATE_NAME, ETAG] },
    LinkSpec { from: ("post", "/api/v1/certificates", "201"), name: "DeleteCertificate", to: ("delete", CERTIFICATE), parameters: &[CERTIFICATE_NAME, ETAG] },
    LinkSpec { from: ("get", CERTIFICATE, "200"), name: "DeleteCertificate", to: ("delete", CERTIFICATE), parameters: &[CERTIFICATE_NAME, ETAG] },
    // Users and API tokens.
    LinkSpec { from: ("post", "/api/v1/users", "201"), name: "GetUser", to: ("get", USER), parameters: &[("path.name", "$response.body#/username")] },
    LinkSpec { from: ("post", "/api/v1/users", "201"), name: "UpdateUser", to: ("patch", USER), parameters: &[("path.name", "$response.body#/username")] },
    LinkSpec { from: ("post", "/api/v1/users", "201"), name: "DeleteUser", to: ("delete", USER), parameters: &[("path.name", "$response.body#/username")] },
    LinkSpec { from: ("post", "/api/v1/tokens", "201"), name: "RevokeToken", to: ("delete", "/api/v1/tokens/{id}"), parameters: &[("path.id", "$response.body#/id")] },
    // Signing keys: the first listed key after a rotation (its version
    // quoted as an ETag: a header takes a string, not a number).
    LinkSpec { from: ("post", "/api/v1/signing-keys/rotate", "200"), name: "RetireKey", to: ("delete", "/api/v1/signing-keys/{name}"), parameters: &[("path.name", "$response.body#/keys/0/name"), ("header.If-Match", "\"{$response.body#/keys/0/version}\"")] },
    // Registrations.
    LinkSpec { from: ("post", "/api/v1/services/{name}/registrations", "201"), name: "Heartbeat", to: ("put", REGISTRATION), parameters: &[("path.name", "$request.path.name"), ("path.id", "$response.body#/id")] },
    LinkSpec { from: ("post", "/api/v1/services/{name}/registrations", "201"), name: "Deregister", to: ("delete", REGISTRATION), parameters: &[("path.name", "$request.path.name"), ("path.id", "$response.body#/id")] },
    // History: the revision a create wrote.
    LinkSpec { from: ("post", "/api/v1/services", "201"), name: "ConfigAtRevision", to: ("get", "/api/v1/revisions/{id}/config"), parameters: &[VERSION_REVISION] },
    LinkSpec { from: ("post", "/api/v1/services", "201"), name: "RollbackToBefore", to: ("post", "/api/v1/revisions/{id}/rollback"), parameters: &[VERSION_REVISION] },
    LinkSpec { from: ("post", "/api/v1/tenants", "201"), name: "GetRevision", to: ("get", REVISION), parameters: &[VERSION_REVISION] },
    LinkSpec { from: ("get", "/api/v1/config", "200"), name: "ApplyConfig", to: ("put", "/api/v1/config"), parameters: &[ETAG] },
];

fn add_links(openapi: &mut utoipa::openapi::OpenApi) {
    for l in LINKS {
        let (method, path, status) = l.from;
        let mut link = LinkBuilder::new().operation_id(operation_id(l.to.0, l.to.1));
        for (name, value) in l.parameters {
            link = link.parameter(*name, *value);
        }
        let response = openapi
            .paths
            .paths
            .get_mut(path)
            .and_then(|item| operations(item).find(|(m, _)| *m == method))
            .and_then(|(_, op)| op.responses.responses.get_mut(status));
        if let Some(RefOr::T(response)) = response {
            response.links.insert(l.name.into(), link.build().into());
        }
    }
}

/// The document as served.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
