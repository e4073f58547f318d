import { describe, expect, it } from 'vitest'
import type { Service } from '@/api'
import { SERVICE_DEFAULTS } from '@/api/defaults'
import { DEFAULTS, checkForm, emptyForm, formToSpec, ineffective, lineNumberOf, mapProblems, specToForm } from '@/utils/serviceForm'

const full: Service = {
  name: 'user_api',
  kind: 'http',
  description: 'users',
  match: { prefix: '/user/', host: 'api.example.com' },
  strip_prefix: true,
  allow_encoded_slashes: true,
  websocket: true,
  max_body_bytes: 10485760,
  rewrite: [{ pattern: '^/v1/(.*)', replacement: '/api/v1/$1' }],
  request_headers: [
    { op: 'set', name: 'X-Gateway', value: 'weir' },
    { op: 'remove', name: 'X-Debug' },
  ],
  response_headers: [
    { op: 'set', name: 'X-Frame-Options', value: 'DENY' },
    { op: 'remove', name: 'Server' },
  ],
  access: {
    auth: { enabled: true, allow_paths: ['/health', '/public/*'], tenants: ['mobile_app', 'web_app'] },
    ip_allow: { enabled: true, ips: ['10.0.0.0/8'] },
  },
  limits: { service_qps: 100, client_ip_qps: 10 },
  upstream: {
    balance: 'weighted_round_robin',
    nodes: [
      { addr: '127.0.0.1:9001', weight: 50 },
      { addr: '127.0.0.1:9002', weight: 100, enabled: false },
    ],
    timeouts: { connect: '2s' },
    tls: { server_name: 'users.internal' },
    health_check: { type: 'http', interval: '5s', timeout: '2s', healthy: 2, unhealthy: 3, path: '/healthz', expect_status: '200-399' },
    outlier: { consecutive_failures: 5, base_ejection: '30s', max_ejection: '5m', max_ejected_percent: 50, failure_statuses: [502, 503] },
  },
  future_field: { kept: true },
}

describe('the service form', () => {
  it('edits the self-registration block, writing it only when set', () => {
    const plain = formToSpec(specToForm({ name: 'a', upstream: { nodes: [{ addr: '10.0.0.1:80' }] } }))
    expect(plain.spec.registration).toBeUndefined()
    const form = specToForm({
      name: 'a',
      upstream: { nodes: [{ addr: '10.0.0.1:80' }] },
      registration: { enabled: true, allowed_cidrs: ['10.0.0.0/8', '127.0.0.0/8'], max_instances: 5 },
    })
    expect([form.regEnabled, form.regCidrs, form.regMaxInstances]).toEqual([true, '10.0.0.0/8\n127.0.0.0/8', 5])
    form.regCidrs = '10.0.0.0/8'
    expect(formToSpec(form).spec.registration).toEqual({ enabled: true, allowed_cidrs: ['10.0.0.0/8'], max_instances: 5 })
    const mapped = mapProblems(
      [{ path: 'registration.allowed_cidrs[0]', message: 'bad' }, { path: 'registration.max_instances', message: 'too many' }],
      form,
      [],
      (line, m) => `line ${line}: ${m}`,
    )
    expect(mapped.fields.regCidrs).toBe('line 1: bad')
    expect(mapped.fields.regMaxInstances).toBe('too many')
  })

  it('edits response header operations in the words of request ones', () => {
    const f = emptyForm()
    f.name = 'x'
    f.prefix = '/x'
    f.nodes = '1.2.3.4:80'
    f.responseHeaders = 'set X-Frame-Options DENY\nadd Cache-Control no-store\ndel Server\nbogus'
    const { spec, problems } = formToSpec(f)
    expect(spec.response_headers?.slice(0, 3)).toEqual([
      { op: 'set', name: 'X-Frame-Options', value: 'DENY' },
      { op: 'add', name: 'Cache-Control', value: 'no-store' },
      { op: 'remove', name: 'Server' },
    ])
    expect(problems.map((p) => [p.field, p.values?.line])).toEqual([['responseHeaders', 4]])
    // Not sent when empty; a TCP service has none.
    expect(formToSpec({ ...f, responseHeaders: '' }).spec.response_headers).toBeUndefined()
    expect(formToSpec({ ...f, kind: 'tcp', port: 7000 }).spec.response_headers).toBeUndefined()
    const mapped = mapProblems([{ path: 'response_headers[1].name', message: 'bad' }], f, [], (line, m) => `line ${line}: ${m}`)
    expect(mapped.fields.responseHeaders).toBe('line 2: bad')
  })

  it('edits a path match and method, header and query conditions', () => {
    const svc: Service = {
      name: 'users',
      match: {
        host: 'api.example.com',
        path_regex: '/users/[0-9]+',
        methods: ['GET', 'HEAD'],
        headers: [
          { name: 'X-Canary', exact: '1' },
          { name: 'X-Version', regex: 'v[23]' },
          { name: 'X-Debug', present: false },
        ],
        query: [{ name: 'beta', present: true }],
      },
      upstream: { nodes: [{ addr: '10.0.0.1:80' }] },
    }
    const f = specToForm(svc)
    expect(f.ruleType).toBe('both')
    expect(f.pathMatch).toBe('path_regex')
    expect(f.prefix).toBe('/users/[0-9]+')
    expect(f.methods).toBe('GET, HEAD')
    expect(f.matchHeaders).toBe('X-Canary = 1\nX-Version ~ v[23]\nX-Debug absent')
    expect(f.matchQuery).toBe('beta present')
    const { spec, problems } = formToSpec(f)
    expect(problems).toEqual([])
    expect(spec.match).toEqual(svc.match)
    // The path goes to the field its kind names; conditions alone make a match.
    const exact = formToSpec({ ...f, pathMatch: 'path', prefix: '/login', ruleType: 'prefix', matchHeaders: '', matchQuery: '' })
    expect(exact.spec.match).toEqual({ path: '/login', methods: ['GET', 'HEAD'] })
    const onlyConditions = { ...f, ruleType: 'prefix' as const, prefix: '', methods: '', matchQuery: '' }
    expect(formToSpec(onlyConditions).spec.match?.headers).toHaveLength(3)
    expect(checkForm(onlyConditions).filter((p) => p.field === 'prefix')).toEqual([])
    // Malformed lines and names are reported on their field and line.
    const bad = { ...f, methods: 'GET, get', matchHeaders: 'X-A = 1\nno-sign-here\nb(d = x', pathMatch: 'path_regex' as const, prefix: '(' }
    const built = formToSpec(bad).problems.filter((p) => p.field === 'matchHeaders')
    expect(built.map((p) => [p.key, p.values?.line ?? p.line])).toEqual([
      ['form.lineCondition', 2],
      ['rules.headerName', 3],
    ])
    const checked = checkForm(bad)
    expect(checked.find((p) => p.field === 'methods')?.values).toEqual({ method: 'get' })
    expect(checked.find((p) => p.field === 'prefix')?.key).toBe('rules.regex')
    // Server problems land on the fields.
    const mapped = mapProblems(
      [
        { path: 'match.path_regex', message: 'bad regex' },
        { path: 'match.headers[1].regex', message: 'bad' },
        { path: 'match.query[0].name', message: 'twice' },
      ],
      f,
      [],
      (line, m) => `line ${line}: ${m}`,
    )
    expect(mapped.fields.prefix).toBe('bad regex')
    expect(mapped.fields.matchHeaders).toBe('line 2: bad')
    expect(mapped.fields.matchQuery).toBe('line 1: twice')
  })

  it('edits compression, writing only what differs from the defaults', () => {
    const f = emptyForm()
    f.name = 'x'
    f.prefix = '/x'
    f.nodes = '1.2.3.4:80'
    expect(formToSpec(f).spec.compression).toBeUndefined()
    // On with every default: an empty block; defaults written out stay out.
    f.compressionEnabled = true
    expect(formToSpec(f).spec.compression).toEqual({})
    f.compressionAlgorithms = DEFAULTS.compressionAlgorithms
    f.compressionTypes = DEFAULTS.compressionTypes
    f.compressionMinSize = DEFAULTS.compressionMinSize
    f.compressionGzip = DEFAULTS.compressionGzip
    expect(formToSpec(f).spec.compression).toEqual({})
    expect(DEFAULTS.compressionAlgorithms).toBe(SERVICE_DEFAULTS['compression.algorithms'].join(', '))
    // Set away from them: written, and read back the same.
    f.compressionAlgorithms = 'gzip, br'
    f.compressionTypes = 'application/json\ntext/*'
    f.compressionMinSize = 0
    f.compressionGzip = 6
    const { spec, problems } = formToSpec(f)
    expect(problems).toEqual([])
    expect(spec.compression).toEqual({
      algorithms: ['gzip', 'br'],
      min_size: 0,
      content_types: ['application/json', 'text/*'],
      level: { gzip: 6 },
    })
    const back = specToForm(spec)
    expect([back.compressionEnabled, back.compressionAlgorithms, back.compressionTypes, back.compressionMinSize, back.compressionGzip, back.compressionBr]).toEqual([
      true,
      'gzip, br',
      'application/json\ntext/*',
      0,
      6,
      null,
    ])
    // Only for http services.
    expect(formToSpec({ ...f, kind: 'grpc', port: 7000 }).spec.compression).toBeUndefined()
    expect(formToSpec({ ...f, kind: 'tcp', port: 7000 }).spec.compression).toBeUndefined()
  })

  it('checks compression settings as the server does, and maps its problems', () => {
    const f = emptyForm()
    f.name = 'x'
    f.prefix = '/x'
    f.nodes = '1.2.3.4:80'
    f.compressionEnabled = true
    f.compressionAlgorithms = 'gzip, deflate, gzip'
    f.compressionTypes = 'text/*\ntext/html; charset=utf-8\napplication/*+json\n*/json'
    f.compressionBr = 12
    f.compressionZstd = 19
    f.compressionGzip = 0
    expect(checkForm(f).map((p) => [p.field, p.key, p.line])).toEqual([
      ['compressionAlgorithms', 'rules.encodings', undefined],
      ['compressionTypes', 'rules.mediaRange', 2],
      ['compressionTypes', 'rules.mediaRange', 4],
      ['compressionBr', 'rules.range', undefined],
      ['compressionGzip', 'rules.range', undefined],
    ])
    // Off: nothing of it is checked.
    expect(checkForm({ ...f, compressionEnabled: false })).toEqual([])
    const mapped = mapProblems(
      [
        { path: 'compression.content_types[1]', message: 'bad type' },
        { path: 'compression.level.zstd', message: 'too high' },
        { path: 'compression', message: 'not for grpc' },
      ],
      f,
      [],
      (line, m) => `line ${line}: ${m}`,
    )
    expect(mapped.fields.compressionTypes).toBe('line 2: bad type')
    expect(mapped.fields.compressionZstd).toBe('too high')
    expect(mapped.fields.compressionEnabled).toBe('not for grpc')
    expect(mapped.general).toEqual([])
  })

  it('edits the retry policy and circuit breaker, writing only what is set', () => {
    const base: Service = { name: 'a', match: { prefix: '/a' }, upstream: { nodes: [{ addr: '10.0.0.1:80' }] } }
    // Off: neither block is written (the built-in retry applies).
    expect(formToSpec(specToForm(base)).spec.upstream.retry).toBeUndefined()
    const f = specToForm(base)
    f.retryEnabled = true
    expect(f.retryOn).toBe('connect_failure, reset, timeout')
    expect(formToSpec(f).spec.upstream.retry).toEqual({})
    f.retryAttempts = 3
    f.retryOn = '5xx'
    f.retryStatuses = '429, 409'
    f.retryPerTry = '2s'
    f.retryBackoffMax = DEFAULTS.retryBackoffMax
    f.retryBudgetPercent = 50
    f.cbEnabled = true
    f.cbMaxRequests = 100
    const { spec, problems } = formToSpec(f)
    expect(problems).toEqual([])
    expect(spec.upstream.retry).toEqual({ attempts: 3, retry_on: ['5xx'], statuses: [429, 409], per_try_timeout: '2s', budget: { percent: 50 } })
    expect(spec.upstream.circuit_breaker).toEqual({ max_requests: 100 })
    // An empty list of conditions is a setting of its own.
    expect(formToSpec({ ...f, retryOn: '' }).spec.upstream.retry?.retry_on).toEqual([])
    // The form reads back what it wrote.
    const again = specToForm(spec)
    expect([again.retryAttempts, again.retryOn, again.retryStatuses, again.cbMaxRequests]).toEqual([3, '5xx', '429, 409', 100])

    // gRPC statuses are for grpc services; names or codes; words checked.
    const g = { ...f, kind: 'grpc' as const, retryGrpcStatuses: 'unavailable, 8, nope', retryOn: 'reset, sometimes', retryStatuses: '200' }
    const built = formToSpec(g)
    expect(built.spec.upstream.retry?.grpc_statuses).toEqual(['unavailable', 8, 'nope'])
    expect(built.problems.map((p) => p.field).sort()).toEqual(['retryGrpcStatuses', 'retryOn', 'retryStatuses'])
    expect(formToSpec({ ...f, retryGrpcStatuses: 'unavailable' }).spec.upstream.retry?.grpc_statuses).toBeUndefined()
    // Bounds, as the server checks them; a TCP service has neither block.
    const bad = checkForm({ ...f, retryAttempts: 11, retryBackoffBase: '2s', retryBackoffMax: '1s', cbMaxPending: 0 })
    expect(bad.map((p) => [p.field, p.key])).toEqual([
      ['retryAttempts', 'rules.range'],
      ['retryBackoffMax', 'rules.minAboveMax'],
      ['cbMaxPending', 'rules.range'],
    ])
    expect(checkForm({ ...f, retryBackoffMax: '61s' }).map((p) => p.key)).toEqual(['rules.durationMax'])
    const tcp = formToSpec({ ...f, kind: 'tcp', port: 7000 }).spec.upstream
    expect([tcp.retry, tcp.circuit_breaker]).toEqual([undefined, undefined])
    const mapped = mapProblems(
      [{ path: 'upstream.retry.per_try_timeout', message: 'bad' }, { path: 'upstream.circuit_breaker.max_requests', message: 'big' }],
      f,
      [],
      (line, m) => `line ${line}: ${m}`,
    )
    expect([mapped.fields.retryPerTry, mapped.fields.cbMaxRequests]).toEqual(['bad', 'big'])
  })

  it('edits a traffic split: targets, sticky key and force rules', () => {
    const svc: Service = {
      name: 'shop',
      match: { prefix: '/shop/' },
      split: {
        targets: [{ service: 'shop-canary', percent: 5.5 }],
        sticky: 'cookie:session',
        force: [
          { header: 'X-Canary', value: '1', service: 'shop-canary' },
          { cookie: 'beta', service: 'shop-canary' },
          { header: 'X-Stable', service: 'shop' },
        ],
      },
      upstream: { nodes: [{ addr: '10.0.0.1:80' }] },
    }
    const f = specToForm(svc)
    expect(f.splitTargets).toBe('shop-canary 5.5')
    expect(f.splitForce).toBe('header X-Canary 1 shop-canary\ncookie beta shop-canary\nheader X-Stable shop')
    const { spec, problems } = formToSpec(f)
    expect(problems).toEqual([])
    expect(spec.split).toEqual(svc.split)
    // No targets: no split at all.
    expect(formToSpec({ ...f, splitTargets: '' }).spec.split).toBeUndefined()
    // Malformed lines and a sticky key that is neither header: nor cookie:.
    const bad = { ...f, splitTargets: 'shop-canary 5.555\nshop-canary', splitForce: 'query x shop-canary', splitSticky: 'ip' }
    const keys = formToSpec(bad).problems.map((p) => [p.field, p.key, p.values?.line ?? p.line])
    expect(keys).toEqual(
      expect.arrayContaining([
        ['splitTargets', 'form.lineSplitTarget', 1],
        ['splitTargets', 'form.lineSplitTarget', 2],
        ['splitForce', 'form.lineSplitForce', 1],
        ['splitSticky', 'editor.splitStickyInvalid', undefined],
      ]),
    )
    const mapped = mapProblems([{ path: 'split.targets[0].service', message: 'no such service' }], f, [], (line, m) => `line ${line}: ${m}`)
    expect(mapped.fields.splitTargets).toBe('line 1: no such service')
  })

  it('edits a mirror, leaving the default share out', () => {
    const base: Service = { name: 'shop', match: { prefix: '/shop/' }, upstream: { nodes: [{ addr: '10.0.0.1:80' }] } }
    const f = specToForm({ ...base, mirror: { service: 'shadow', percent: 12.5 } })
    expect([f.mirrorService, f.mirrorPercent]).toEqual(['shadow', 12.5])
    expect(formToSpec(f).spec.mirror).toEqual({ service: 'shadow', percent: 12.5 })
    expect(formToSpec({ ...f, mirrorPercent: 100 }).spec.mirror).toEqual({ service: 'shadow' })
    expect(formToSpec({ ...f, mirrorService: '' }).spec.mirror).toBeUndefined()
    expect(checkForm({ ...f, mirrorPercent: 0.005 }).map((p) => [p.field, p.key])).toEqual([['mirrorPercent', 'rules.percent']])
    expect(mapProblems([{ path: 'mirror.service', message: 'unknown' }], f, [], (_line, m) => m).fields.mirrorService).toBe('unknown')
  })

  it('edits the route timeouts, writing only what is set, never for tcp', () => {
    const base: Service = { name: 'shop', match: { prefix: '/shop/' }, upstream: { nodes: [{ addr: '10.0.0.1:80' }], timeouts: { response_header: '30s' } } }
    const f = specToForm({ ...base, timeouts: { response_header: '500ms' } })
    expect([f.routeConnectTimeout, f.routeResponseHeaderTimeout, f.routeStreamIdleTimeout]).toEqual(['', '500ms', ''])
    expect(formToSpec(f).spec.timeouts).toEqual({ response_header: '500ms' })
    // The upstream's own stay where they are.
    expect(formToSpec(f).spec.upstream.timeouts).toEqual({ response_header: '30s' })
    expect(formToSpec({ ...f, routeResponseHeaderTimeout: '' }).spec.timeouts).toBeUndefined()
    expect(formToSpec({ ...f, kind: 'tcp', port: 9000 }).spec.timeouts).toBeUndefined()
    expect(checkForm({ ...f, routeStreamIdleTimeout: '0s' }).map((p) => p.field)).toEqual(['routeStreamIdleTimeout'])
    expect(mapProblems([{ path: 'timeouts.connect', message: 'must be greater than 0' }], f, [], (_line, m) => m).fields.routeConnectTimeout).toBe('must be greater than 0')
  })

  it('round-trips a full service, keeping fields it does not know', () => {
    const form = specToForm(full)
    expect(form.ruleType).toBe('both')
    expect(form.rewrite).toBe('^/v1/(.*) /api/v1/$1')
    expect(form.headers).toBe('set X-Gateway weir\nremove X-Debug')
    expect(form.nodes).toBe('127.0.0.1:9001 50\n127.0.0.1:9002 100')
    expect(form.disabledNodes).toBe('127.0.0.1:9002')
    expect(form.allowEncodedSlashes).toBe(true)
    const { spec, problems } = formToSpec(form, full)
    expect(problems).toEqual([])
    // The settings equal to their defaults are left out (`kind: http`
    // too); the rest is kept.
    const upstream = full.upstream
    expect(spec.kind).toBeUndefined()
    expect(spec).toEqual({
      ...full,
      kind: undefined,
      upstream: {
        ...upstream,
        health_check: { type: 'http', path: '/healthz' },
        outlier: { failure_statuses: [502, 503] },
      },
    })
  })

  it('writes only what differs from the defaults', () => {
    const f = emptyForm()
    f.name = 'demo'
    f.prefix = '/demo/'
    f.nodes = '127.0.0.1:9001'
    expect(formToSpec(f).spec).toEqual({
      name: 'demo',
      match: { prefix: '/demo/' },
      upstream: { nodes: [{ addr: '127.0.0.1:9001' }] },
    })
  })

  it('leaves out every default, also inside checks, weights and registration', () => {
    const f = emptyForm()
    f.name = 'demo'
    f.prefix = '/demo/'
    f.nodes = '127.0.0.1:9001 1\n127.0.0.1:9002 5'
    f.hcEnabled = true
    f.outlierEnabled = true
    f.regMaxInstances = 10
    f.dnsMaxTtl = '10m'
    const { spec, problems } = formToSpec(f)
    expect(problems).toEqual([])
    expect(spec.upstream).toEqual({
      nodes: [{ addr: '127.0.0.1:9001' }, { addr: '127.0.0.1:9002', weight: 5 }],
      health_check: {},
      outlier: {},
      dns: { max_ttl: '10m' },
    })
    expect(spec.registration).toEqual({ max_instances: 10 })
    // And a stored default weight is not shown as if someone had chosen it.
    expect(specToForm({ name: 'a', upstream: { nodes: [{ addr: '10.0.0.1:80', weight: 1 }] } }).nodes).toBe('10.0.0.1:80')
  })

  it('shows unset settings empty, the default being a placeholder, not a value', () => {
    // What the server answers for a service that sets only name, match and nodes.
    const f = specToForm({ name: 'a', match: { prefix: '/a/' }, upstream: { nodes: [{ addr: '10.0.0.1:80' }] } })
    f.hcEnabled = true
    f.outlierEnabled = true
    for (const k of ['connectTimeout', 'responseHeaderTimeout', 'idleTimeout', 'streamIdleTimeout', 'dnsMinTtl', 'dnsMaxTtl', 'hcInterval', 'hcTimeout', 'hcPath', 'hcExpect', 'olBase', 'olMax'] as const) {
      expect(f[k], k).toBe('')
    }
    for (const k of ['maxIdlePerNode', 'hcHealthy', 'hcUnhealthy', 'olFailures', 'olMaxPercent', 'regMaxInstances'] as const) {
      expect(f[k], k).toBeNull()
    }
    // Left empty, nothing is written; a value is written as set.
    expect(checkForm(f)).toEqual([])
    expect(formToSpec(f).spec.upstream).toEqual({ nodes: [{ addr: '10.0.0.1:80' }], health_check: {}, outlier: {} })
    f.connectTimeout = '2s'
    f.maxIdlePerNode = 0
    expect(formToSpec(f).spec.upstream).toMatchObject({ timeouts: { connect: '2s' }, max_idle_per_node: 0 })
    // A value set shows as a value.
    expect(specToForm({ name: 'a', upstream: { nodes: [], timeouts: { idle: '0s' } } }).idleTimeout).toBe('0s')
  })

  it('takes its defaults from the server\'s table', () => {
    expect(DEFAULTS.connect).toBe(SERVICE_DEFAULTS['upstream.timeouts.connect'])
    expect(DEFAULTS.maxIdle).toBe(SERVICE_DEFAULTS['upstream.max_idle_per_node'])
    expect(DEFAULTS.olStatuses).toBe(SERVICE_DEFAULTS['upstream.outlier.failure_statuses'].join(', '))
    expect(emptyForm().balance).toBe(SERVICE_DEFAULTS['upstream.balance'])
  })

  it('checks empty bounds as their defaults apply', () => {
    const f = emptyForm()
    f.dnsMinTtl = '10m' // above the default maximum of 5m
    expect(checkForm(f).map((p) => [p.field, p.key])).toContainEqual(['dnsMinTtl', 'rules.minAboveMax'])
    f.dnsMaxTtl = '1h'
    expect(checkForm(f).map((p) => p.field)).not.toContain('dnsMinTtl')
  })

  it('checks every field before sending, each problem on its field and line', () => {
    const f = emptyForm()
    f.name = '-bad name'
    f.prefix = 'api/'
    f.nodes = '127.0.0.1:9001\nno-port\n10.0.0.1:99999'
    f.connectTimeout = '5 seconds'
    f.ipAllow = '10.0.0.0/8\n10.0.0.300'
    f.rewrite = '^/a(.*) /$1\n^/(unclosed /$1'
    f.hcEnabled = true
    f.hcType = 'http'
    f.hcInterval = '10ms'
    f.hcExpect = '200-99'
    f.dnsMinTtl = '10m'
    f.dnsMaxTtl = '1m'
    const got = checkForm(f).map((p) => [p.field, p.key, p.line])
    expect(got).toEqual([
      ['name', 'rules.name', undefined],
      ['prefix', 'rules.prefixSlash', undefined],
      ['rewrite', 'rules.regex', 2],
      ['ipAllow', 'rules.cidr', 2],
      ['nodes', 'rules.addr', 2],
      ['nodes', 'rules.addr', 3],
      ['connectTimeout', 'rules.duration', undefined],
      ['dnsMaxTtl', 'rules.minAboveMax', undefined],
      ['hcInterval', 'rules.durationMin', undefined],
      ['hcExpect', 'rules.statusSpec', undefined],
    ])
    // formToSpec reports the same problems, so nothing is sent.
    expect(formToSpec(f).problems.length).toBe(got.length)
  })

  it('asks for a port, not a prefix, for a gRPC service on its own port', () => {
    const g = specToForm({ name: 'orders', kind: 'grpc', port: 8001, upstream: { nodes: [{ addr: '10.0.0.7:50051' }] } })
    expect(g.ruleType).toBe('port')
    expect(checkForm(g)).toEqual([])
    expect(formToSpec(g).spec.match).toBeUndefined()
    g.port = null
    expect(checkForm(g).map((p) => [p.field, p.key])).toEqual([['port', 'rules.portRequired']])
  })

  it('warns that weights do nothing with balancers that ignore them', () => {
    const f = emptyForm()
    f.nodes = '10.0.0.1:80 5\n10.0.0.2:80'
    expect(ineffective(f)).toEqual([{ field: 'nodes', key: 'editor.weightsIgnored' }])
    for (const b of ['random', 'least_request'] as const) {
      f.balance = b
      expect(ineffective(f)).toHaveLength(1)
    }
    for (const b of ['weighted_round_robin', 'consistent_hash'] as const) {
      f.balance = b
      expect(ineffective(f)).toEqual([])
    }
    f.balance = 'round_robin'
    f.nodes = '10.0.0.1:80 1\n10.0.0.2:80'
    expect(ineffective(f)).toEqual([])
  })

  it('accepts the seed\'s header words and reports malformed lines', () => {
    const f = emptyForm()
    f.name = 'x'
    f.prefix = '/x'
    f.headers = 'edit X-A 1\ndel X-B\nbogus'
    f.rewrite = '\n^/a(.*)\nonly-one'
    f.nodes = '1.2.3.4:80 heavy'
    f.disabledNodes = '9.9.9.9:80'
    const { spec, problems } = formToSpec(f)
    expect(spec.request_headers?.slice(0, 2)).toEqual([
      { op: 'set', name: 'X-A', value: '1' },
      { op: 'remove', name: 'X-B' },
    ])
    expect(problems.map((p) => [p.field, p.values?.line])).toEqual([
      ['rewrite', 2],
      ['rewrite', 3],
      ['headers', 3],
      ['nodes', 1],
      ['disabledNodes', 1],
    ])
  })

  it('builds TCP and gRPC services without HTTP-only fields', () => {
    const f = emptyForm('tcp')
    f.name = 'redis'
    f.port = 6380
    f.prefix = '/ignored'
    f.nodes = '10.0.0.9:6379'
    f.maxConnections = 1000
    f.websocket = true
    f.maxBodyBytes = 1024
    const { spec } = formToSpec(f)
    expect(spec).toEqual({
      name: 'redis',
      kind: 'tcp',
      port: 6380,
      limits: { max_connections: 1000 },
      upstream: { nodes: [{ addr: '10.0.0.9:6379' }] },
    })
    const g = emptyForm('grpc')
    g.name = 'orders'
    g.port = 8001
    g.prefix = ''
    g.headers = 'set x-caller gateway'
    g.nodes = '10.0.0.7:50051'
    expect(formToSpec(g).spec).toMatchObject({ kind: 'grpc', port: 8001, request_headers: [{ op: 'set', name: 'x-caller', value: 'gateway' }] })
    expect(formToSpec(g).spec.match).toBeUndefined()
  })
})

describe('problem paths', () => {
  it('land on the field and line they are about', () => {
    const f = emptyForm()
    f.rewrite = '\n^/ok $1\n^/(bad $1'
    f.nodes = '# no\n\n127.0.0.1:1 1\nbad-addr 1'
    const lines = [3, 4]
    const mapped = mapProblems(
      [
        { path: 'rewrite[1].pattern', message: 'invalid regular expression' },
        { path: 'upstream.nodes[1].addr', message: 'has no port' },
        { path: 'match.prefix', message: 'must start with /' },
        { path: 'upstream.health_check.interval', message: 'too short' },
        { path: 'access.ip_allow.ips[0]', message: 'not an address' },
        { path: 'something_new', message: '?' },
      ],
      f,
      lines,
      (line, message) => `line ${line}: ${message}`,
    )
    expect(mapped.fields).toEqual({
      rewrite: 'line 3: invalid regular expression',
      nodes: 'line 4: has no port',
      prefix: 'must start with /',
      hcInterval: 'too short',
      ipAllow: 'not an address',
    })
    expect(mapped.general).toEqual([{ path: 'something_new', message: '?' }])
  })

  it('counts non-empty lines', () => {
    expect(lineNumberOf('a\n\n b\nc', 1)).toBe(3)
    expect(lineNumberOf('a', 5)).toBeUndefined()
  })
})
