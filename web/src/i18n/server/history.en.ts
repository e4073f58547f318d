// The admin API's history messages in English: generated revision summaries,
// the pieces a change summary is worded with, and audit details, keyed by the
// code the server sends beside its English text, with the server's parameter
// names (a list parameter such as `changes` is worded by the dashboard from
// the `summary_*` and `kind_*` pieces first).
//
// GENERATED from the Rust source (weir-store's `message` module and
// weir-core's `diff::SummaryPiece`); do not edit. After changing a message:
//   WEIR_UPDATE_CATALOG=1 cargo test -p weir-store --lib catalog

const messages: Record<string, string> = {
  changes: '{changes}',
  rollback: 'rollback to revision {revision}: {changes}',
  tenant_secret_reset: 'tenants: secret of {app_id} reset',
  signing_key_rotated: 'signing keys: rotate to {name} ({algorithm})',
  signing_key_retired: 'signing keys: retire {name}',
  signing_key_generated: 'generate {algorithm} signing key',
  imported_from_go_gateway: 'import from go-gateway: {services} services, {tenants} tenants',
  summary_no_changes: 'no changes',
  summary_kind: '{kind}: {parts}',
  summary_added: 'added {names}',
  summary_changed: 'changed {names}',
  summary_removed: 'removed {names}',
  summary_more: '{names} and {more} more',
  summary_fields: '{name} ({fields})',
  summary_list_sep: ', ',
  summary_part_sep: '; ',
  kind_services: 'services',
  kind_tenants: 'tenants',
  kind_signing_keys: 'signing_keys',
  kind_certificates: 'certificates',
  no_change: 'no change',
  request_failed: '{error}',
  role: '{role}',
  token_name: '{name}',
  signing_algorithm: '{algorithm}',
  token_endpoint_answered: 'token endpoint answered {status}',
  login_throttled: 'throttled',
  wrong_credentials: 'wrong user name or password',
  wrong_current_password: 'wrong current password',
  registration_id: 'id {id}',
  registration_not_enabled: 'self-registration is not enabled for this service',
  registration_loopback: '{ip} is a loopback address; allowed_cidrs must name loopback (e.g. 127.0.0.0/8) for it to register',
  registration_outside_cidrs: '{ip} is outside the service\'s registration.allowed_cidrs',
  registration_own_listener: '{addr} is one of the gateway\'s own listeners',
}

export default messages
