// What every defaulted field of a resource is when it is left out. Answers
// leave defaults out (docs/admin-api.md), so whoever shows a value fills it
// in from here. defaults.json is the server's own table
// (crates/weir-core/src/model/defaults.rs), written and checked by the
// test `dashboard_defaults_are_the_models` in crates/weir-admin: change a
// default there, not here.
import table from './defaults.json'

/** Service defaults by field path (`upstream.timeouts.connect`, `upstream.nodes[].weight`). */
export const SERVICE_DEFAULTS = table.service
/** Tenant defaults by field. */
export const TENANT_DEFAULTS = table.tenant
/** Certificate defaults by field. */
export const CERTIFICATE_DEFAULTS = table.certificate
