// The admin API's history messages in Chinese: generated revision summaries,
// the pieces a change summary is worded with, and audit details, keyed by the
// code the server sends beside its English text, with the server's parameter
// names. The codes are those of history.en.ts (generated from the Rust
// source); the parity test in tests/serverText.spec.ts checks both have the
// same codes and parameters.

const messages: Record<string, string> = {
  // Revision summaries.
  changes: '{changes}',
  rollback: '回滚到版本 {revision}：{changes}',
  tenant_secret_reset: '租户：已重置 {app_id} 的密钥',
  signing_key_rotated: '签名密钥：轮换到 {name}（{algorithm}）',
  signing_key_retired: '签名密钥：移除 {name}',
  signing_key_generated: '生成 {algorithm} 签名密钥',
  imported_from_go_gateway: '从 go-gateway 导入：{services} 个服务，{tenants} 个租户',
  // The pieces of a change summary (`changes` above).
  summary_no_changes: '无变更',
  summary_kind: '{kind}：{parts}',
  summary_added: '新增 {names}',
  summary_changed: '修改 {names}',
  summary_removed: '删除 {names}',
  summary_more: '{names} 及另外 {more} 个',
  summary_fields: '{name}（{fields}）',
  summary_list_sep: '、',
  summary_part_sep: '；',
  kind_services: '服务',
  kind_tenants: '租户',
  kind_signing_keys: '签名密钥',
  kind_certificates: '证书',
  // Audit details.
  no_change: '无变化',
  request_failed: '错误码 {error}',
  role: '角色：{role}',
  token_name: '名称：{name}',
  signing_algorithm: '算法：{algorithm}',
  token_endpoint_answered: '令牌接口返回 {status}',
  login_throttled: '尝试次数过多，已限制登录',
  wrong_credentials: '用户名或密码错误',
  wrong_current_password: '当前密码错误',
  registration_id: 'ID {id}',
  registration_not_enabled: '此服务未开启自注册',
  registration_loopback: '{ip} 是环回地址；allowed_cidrs 须明确包含环回网段（如 127.0.0.0/8）才能注册',
  registration_outside_cidrs: '{ip} 不在服务的 registration.allowed_cidrs 范围内',
  registration_own_listener: '{addr} 是网关自身的监听地址',
}

export default messages
