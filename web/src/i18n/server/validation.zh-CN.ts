// Translations of the admin API's validation messages (zh-CN), keyed by the
// message code the server sends beside its English text; parameters are
// named as in the server's `params` object. The English (validation.en.ts)
// is generated from the server's message enums: every code there needs its
// translation here (tests/serverText.spec.ts checks codes and parameters).
// Most messages follow a field path or a field's label, so they read as a
// predicate ("必填", "不能小于 …"). Literal braces, `@` and `|` are written
// `{'{'}`, `{'}'}`, `{'@'}`, `{'|'}` (vue-i18n syntax).

const messages: Record<string, string> = {
  // ---- general ----
  required: '必填',
  too_long_chars: '长度不能超过 {max} 个字符',
  too_long_bytes: '长度不能超过 {max} 字节',
  invalid_name: '“{name}”只能包含字母、数字、“_”、“-”和“.”，且必须以字母或数字开头',
  between: '必须在 {min} 到 {max} 之间',
  between_seconds: '必须在 {min} 秒到 {max} 秒之间',
  length_between: '长度必须为 {min}–{max} 个字符',
  at_least: '不能小于 {min}',
  at_least_ms: '不能短于 {min}ms',
  at_most: '不能大于 {max}',
  at_most_entries: '最多 {max} 项',
  greater_than_zero: '必须大于 0',
  not_less_than: '不能小于 {other}',
  must_start_with_slash: '“{value}”必须以“/”开头',
  only_trailing_star: '只支持末尾的“*”',
  reported_on: '{message}（报告于 {path}）',
  document_invalid: '配置不符合模型：“{error}”',

  // ---- the document as a whole ----
  name_taken: '“{name}”已是 {other} 的名称',
  port_taken: '端口 {port} 已被 {other}（“{service}”）使用',
  route_taken: '路由 {route} 已被 {other}（“{service}”）使用',
  route_host: '主机 {host}',
  route_host_prefix: '主机 {host} + 前缀 {prefix}',
  route_prefix: '前缀 {prefix}',
  route_path: '路径 {path}',
  route_path_regex: '路径正则 {regex}',
  route_host_path: '主机 {host} + {path}',
  route_any_path: '任意主机和路径',
  route_with_conditions: '{route}，条件为 {conditions}',

  // ---- service kinds ----
  not_for_kind: '不适用于 {kind} 服务（{why}）',
  why_http_listeners: 'http 服务共用主监听端口；port 仅用于 tcp 和 grpc 服务',
  why_grpc_http2: 'gRPC 基于 HTTP/2',
  why_grpc_redirects: 'gRPC 客户端不跟随重定向',
  why_tcp_bytes: 'tcp 服务传输的是字节流，而不是 HTTP 请求',
  why_tcp_port: 'tcp 服务通过其端口访问',
  why_tcp_token: 'TCP 连接不携带令牌',
  why_tcp_tls: 'tcp 服务不支持向上游发起 TLS',
  why_tcp_breaker: 'tcp 服务的连接数由 limits.max_connections 限制',
  grpc_needs_port_or_match: 'grpc 服务需要独立端口、匹配规则（如 prefix: /package.Service/），或两者兼有',
  tcp_hash_client_ip: 'tcp 服务只能按 client_ip 做哈希',
  required_for_tcp: 'tcp 服务必填',
  only_for_tcp: '仅适用于 tcp 服务',
  why_grpc_compression: 'gRPC 自行压缩其消息（grpc-encoding）',
  only_for_grpc: '仅适用于 grpc 服务',

  // ---- match, paths and host names ----
  match_needs_prefix_or_host: "需要主机、路径（prefix、path 或 path_regex）或条件之一（如 match: {'{'} prefix: /api/ {'}'}）",
  match_path_one_of: 'prefix、path 和 path_regex 最多只能设置一个',
  field_match_one_of: 'exact、regex 和 present 必须恰好设置一个',
  condition_listed_twice: '{what} 重复列出',
  too_many_conditions: '超过 {max} 项',
  prefix_bad_chars: '“{prefix}”含有空格、控制字符、“?”或“#”',
  match_host_invalid: '“{host}”不是有效的主机名（{why}）；请不带端口书写，如 api.example.com 或 *.example.com',
  strip_prefix_needs_prefix: '需要 match.prefix（没有可去除的前缀）',
  path_not_normal: '“{path}”不是规范化路径，永远不会匹配；请写成“{normal}”',
  path_invalid: '“{path}”：{why}',
  path_not_absolute: '路径不以“/”开头',
  path_invalid_escape: '路径含有无效的百分号转义',
  path_encoded_slash: '路径含有编码的斜杠（%2F）',
  path_backslash: '路径含有反斜杠',
  path_nul: '路径含有编码的 NUL（%00）',
  path_dot_parameters: '路径含有带参数的点段（..;）',
  host_empty: '为空',
  host_too_long: '超过 {max} 个字符',
  host_empty_label: '含有空的标签',
  host_label_too_long: '有标签超过 {max} 个字符',
  host_bad_chars: '只允许字母、数字、“-”和“_”',
  host_label_hyphen: '有标签以“-”开头或结尾',
  host_name_invalid: '“{host}”不是有效的主机名：{why}',
  host_invalid: '“{host}”不是有效的主机',

  // ---- rewrites and header operations ----
  regex_invalid: '正则表达式无效：“{error}”',
  replacement_unclosed: "第 {at} 字节处的“${'{'}”未闭合",
  replacement_unknown_group: '引用了分组“{group}”，但模式中没有该分组',
  replacement_group_hint:
    "引用了分组“{group}”，但模式中没有该分组（若要在分组 {digits} 后紧跟文字，请写成 ${'{'}{digits}{'}'}{rest}）",
  header_name_invalid: '“{name}”不是有效的请求头名称',
  header_managed: '{name} 由网关管理，不能修改',
  value_empty_for_remove: 'remove 操作必须留空',
  value_required_for_add_set: 'add 和 set 操作必填',
  header_value_invalid: '含有请求头值中不允许的字符',

  // ---- compression ----
  compression_no_algorithm: '至少需要 br、zstd、gzip 中的一种（要关闭压缩，请删除整个配置块）',
  compression_no_content_type: '至少需要一个媒体类型（要关闭压缩，请删除整个配置块）',
  listed_twice: '{value} 重复列出',
  media_range_invalid: '“{value}”不是可匹配的媒体类型（请写作 type/subtype、type/* 或 type/*+suffix，不带参数，例如 application/json、text/*、application/*+json）',
  // ---- cors ----
  cors_origins_empty: '至少需要一个源（如 https://app.example.com），或用 "*" 表示任意源',
  cors_origin_invalid: '“{origin}”不是一个源（{why}）；请写成 scheme://host[:port]，如 https://app.example.com 或 https://*.example.com',
  cors_origin_no_scheme: '缺少 scheme://',
  cors_origin_path: '源不含路径、查询串或用户名',
  cors_origin_shape: '主机或端口无效（端口是 1 到 65535 之间的数字）',
  cors_origin_wildcard: '通配符只能是开头的 "*."，且其后的域名至少有两级',
  cors_star_alone: '"*" 表示任意，不能再列出其他项',
  cors_star_with_credentials: '"*" 不能与 allow_credentials: true 同时使用（Fetch 标准禁止这样做，否则任何网站都能读取你的用户能读取的内容）；请逐个列出源',
  cors_expose_star_with_credentials: '"*" 只在不带凭据时表示任意响应头；设置了 allow_credentials: true 时请逐个列出',
  cors_methods_empty: '没有列出任何方法（不写此项即为 GET、HEAD 和 POST）',

  // ---- upstream ----
  needs_node: '至少需要一个节点',
  addr_empty: '为空（请写成 host:port）',
  addr_port_zero: '“{addr}”的端口为 0',
  srv_invalid: '“{addr}”不是有效的 SRV 名称：{why}',
  srv_not_srv: '“{addr}”不是 SRV 名称（请写成 _service._proto.domain，如 _http._tcp.api.internal）',
  addr_no_port: '“{addr}”缺少端口（请写成 {addr}:PORT）',
  addr_ipv6_brackets: '“{addr}”不是有效的地址（IPv6 地址需放在方括号中：[::1]:80）',
  addr_bad_port: '“{addr}”的端口“{port}”无效（1-65535）',
  ipv4_invalid: '“{host}”不是有效的 IPv4 地址',
  addr_listed_twice: '{addr} 重复列出',
  weight_zero: '在负载均衡方式 {balance} 下不能小于 1（要停用节点，请改用 enabled: false）',
  only_for_consistent_hash: '仅适用于 balance: consistent_hash',
  timeout_over_interval: '不能长于检查间隔',
  http_check_needs_http: 'http 检查需要 http 或 grpc 服务；请改用 tcp',
  grpc_check_needs_grpc: 'grpc 检查需要 grpc 服务',
  status_invalid: '“{value}”不是 HTTP 状态码（100-599）',
  status_range_empty: '“{range}”是空范围',
  status_none: '未指定任何状态码（如 200-399）',
  not_a_status: '不是 HTTP 状态码（100-599）',
  grpc_status_unknown: '"{value}" 不是 gRPC 状态（请写名称，如 unavailable，或 0-16 的数字）',
  no_certificate_block: '不含 CERTIFICATE 块',
  pem_invalid: '不是有效的 PEM：“{error}”',

  // ---- IP lists ----
  ip_empty: '为空',
  ip_pattern_invalid: '“{value}”不是有效的地址模式',
  cidr_invalid: '“{value}”不是有效的 CIDR',
  cidr_host_bits: '“{value}”设置了主机位（是否应为 {network}？）',
  ip_invalid: '“{value}”不是 IP 地址或 CIDR',
  ip_list_empty_enabled: '名单已启用但为空（请添加地址或设置 enabled: false）',

  // ---- self-registration ----
  cidrs_required: '启用注册时必填：请写明实例注册所来自的网段，如 10.0.0.0/8',
  registration_off: '该服务未启用自注册',
  registration_loopback: '{ip} 是回环地址；allowed_cidrs 必须包含回环网段（如 127.0.0.0/8）才能注册',
  registration_outside: '{ip} 不在该服务的 registration.allowed_cidrs 之内',
  reg_addr_not_ip_port: '“{addr}”不是 ip:port 地址（如 10.0.0.5:8080 或 [2001:db8::5]:8080）',
  reg_addr_not_unicast: '“{addr}”不是实例可被访问的单播地址',
  reg_addr_broadcast: '“{addr}”是广播地址',
  metadata_key: '键长度须为 1–{max} 个字符，且不含控制字符',
  metadata_value: '值最多 {max} 个字符',

  // ---- tenants ----
  secret_required: '必填（新租户需要密钥）',
  secret_length: '长度必须为 {min} 到 {max} 个字符',
  app_id_taken: '“{app_id}”已被另一个租户使用',

  // ---- signing keys ----
  key_name_taken: '“{name}”已被另一个密钥使用',
  key_required: '新密钥必填',
  hs256_not_base64: 'HS256 密钥必须是 base64',
  hs256_too_short: 'HS256 密钥至少需要 {min} 字节（实际 {got}）',
  rsa_pem_invalid: '不是有效的 RSA 私钥 PEM：“{error}”',
  rsa_public_key: '无法导出 RSA 公钥：“{error}”',
  key_unusable: '密钥无法使用：“{error}”',
  ed25519_invalid: '不是有效的 Ed25519 PKCS#8 密钥：“{error}”',
  pem_no_begin: '不是 PEM {label}（应以 {begin} 开头）',
  pem_no_end: 'PEM {label} 缺少 {end} 行',
  pem_body_base64: 'PEM {label} 的内容不是有效的 base64',
  active_key_twice: '只能有一个密钥处于启用状态；“{other}”也已启用（请将较旧的设为 verify_only）',

  // ---- certificates ----
  cert_key_required: '新证书必填',
  key_pem_invalid: '不是有效的 PEM 私钥：“{error}”',
  cert_unreadable: '无法读取第一个证书：“{error}”',
  key_unsupported: '不是受支持的密钥：“{error}”',
  key_mismatch: '与证书不匹配',
  cert_no_host: '未指定任何主机（没有 DNS 主题备用名称）；请将其设为默认证书，或使用带 DNS 名称的证书',
  default_twice: '只能有一个默认证书；{other} 也是默认证书',
  cert_expired: '已于 {at} 过期',
  cert_not_yet_valid: '在 {at} 之前无效',

  // ---- the admin API's own checks ----
  username_rule: '1–{max} 个字母、数字、“_”、“-”或“.”，以字母或数字开头',
  password_too_short: '至少需要 {min} 个字符',
  password_too_long: '最多 {max} 字节',
  password_is_username: '不能与用户名相同',
  password_one_char: '不能只重复同一个字符',
  password_unchanged: '必须与当前密码不同',
  registrar_needs_services: '注册者令牌需写明可注册到的服务（或写 ["*"] 表示所有启用注册的服务）',
  scope_only_registrar: '只有注册者令牌才能限定服务',
  scope_count: '{min} 到 {max} 个服务名称',
  scope_service_name: '服务名称（字母、数字、_ - .；最多 {max} 个字符）或 *',
  token_name_rule: '1–{max} 个字符，不含控制字符',
  ttl_not_whole: '{value} 不是整数秒',
  ttl_too_large: '“{value}”过大',
  ttl_type: '必须是时长字符串（如 30s）或秒数',
  own_listener: '{addr} 是网关自己的监听地址',
  required_for_scope: '此范围下必填',
  rename_refused: '为“{body}”，但 URL 指定的是“{url}”；重命名需先创建再删除',

  // ---- values of their own syntax ----
  duration_invalid: '时长“{input}”无效：{why}（请写成 2s、500ms、1m30s 或 1h 的形式）',
  duration_empty: '为空',
  duration_too_long: '太长',
  duration_expected_number: '此处应为数字',
  duration_number_too_large: '数字太大',
  duration_missing_unit: '缺少单位（ms、s、m、h 或 d）',
  duration_unknown_unit: '未知单位（请用 ms、s、m、h 或 d）',
  duration_too_large: '太大',
  hash_key_unknown: '未知的哈希键“{value}”（应为 client_ip、uri 或 header:名称）',
  upstream_tls_shape: "应为 true/false 或 {'{'} ca, server_name, insecure_skip_verify {'}'}",

  // ---- explain: the request to explain ----
  method_invalid: '“{method}”不是 HTTP 方法',
  request_path_invalid: '不是有效的请求路径',
  not_an_ip: '“{value}”不是 IP 地址',

  // ---- request shapes ----
  invalid_type: '类型无效：收到 {found}，应为 {expected}',
  invalid_value: '值无效：收到 {found}，应为 {expected}',
  invalid_length: '长度 {len} 无效，应为 {expected}',
  unknown_variant: '未知的取值 `{variant}`，应为 {expected}',
  unknown_field: '未知字段 `{field}`，应为 {expected}',
  missing_field: '缺少字段 `{field}`',
  duplicate_field: '字段 `{field}` 重复',
  value_invalid: '{reason}',
  // serde's own words, with no code of their own: quoted as they are.
  invalid: '值无效：“{text}”',
  body_shape: '请求体：{reason}',
}

export default messages
