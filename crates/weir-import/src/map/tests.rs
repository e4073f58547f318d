//! Column-by-column tests of the mapping, on rows built in code.

use super::*;
use weir_core::model::{Access, Limits, Match};

fn info(id: i64, name: &str, load_type: i64) -> ServiceInfoRow {
    ServiceInfoRow {
        id,
        load_type,
        service_name: name.into(),
        service_desc: format!("{name} desc"),
        is_delete: 0,
        status: 1,
    }
}

fn lb(id: i64, service_id: i64, ips: &str, weights: &str) -> LoadBalanceRow {
    LoadBalanceRow {
        id,
        service_id,
        round_type: 2,
        ip_list: ips.into(),
        weight_list: weights.into(),
        ..LoadBalanceRow::default()
    }
}

fn http(id: i64, service_id: i64, rule_type: i64, rule: &str) -> HttpRuleRow {
    HttpRuleRow {
        id,
        service_id,
        rule_type,
        rule: rule.into(),
        ..HttpRuleRow::default()
    }
}

fn app(id: i64, app_id: &str, secret: &str) -> AppRow {
    AppRow {
        id,
        app_id: app_id.into(),
        name: format!("{app_id} name"),
        secret: secret.into(),
        status: 1,
        ..AppRow::default()
    }
}

/// A seed with one plain HTTP prefix service `web` (id 1).
fn one_http() -> SeedData {
    SeedData {
        services: vec![info(1, "web", 0)],
        http_rules: vec![http(11, 1, 0, "/web")],
        load_balances: vec![lb(21, 1, "127.0.0.1:8001", "50")],
        ..SeedData::default()
    }
}

fn service<'a>(import: &'a Import, name: &str) -> &'a Service {
    import
        .document
        .services
        .as_ref()
        .and_then(|s| s.iter().find(|s| s.name == name))
        .unwrap_or_else(|| panic!("service {name} not imported: {}", import.report))
}

fn issues<'a>(import: &'a Import, field: &str) -> Vec<&'a Issue> {
    import
        .report
        .issues
        .iter()
        .filter(|i| i.field == field)
        .collect()
}

fn set(name: &str, value: &str) -> HeaderOp {
    HeaderOp {
        op: HeaderOpKind::Set,
        name: name.into(),
        value: Some(value.into()),
    }
}

#[test]
fn an_http_prefix_service_maps_every_column() {
    let mut seed = one_http();
    seed.http_rules[0] = HttpRuleRow {
        need_https: 1,
        need_strip_uri: 1,
        need_websocket: 1,
        url_rewrite: "^/a/(.*) /b/$1 , ^/c /d".into(),
        header_transfor: "add X-Add 1, edit X-Edit two ,del X-Gone x".into(),
        ..seed.http_rules[0].clone()
    };
    seed.load_balances[0] = LoadBalanceRow {
        ip_list: "127.0.0.1:8001, 127.0.0.1:8002 ,127.0.0.1:8003".into(),
        weight_list: "50, 30,20".into(),
        forbid_list: " 127.0.0.1:8003 ".into(),
        upstream_connect_timeout: 3,
        upstream_header_timeout: 7,
        upstream_idle_timeout: 11,
        upstream_max_idle: 13,
        ..seed.load_balances[0].clone()
    };
    seed.access_controls = vec![AccessControlRow {
        id: 31,
        service_id: 1,
        open_auth: 1,
        black_list: "10.0.0.9".into(),
        white_list: "10.0.0.1, 10.0.0.2".into(),
        clientip_flow_limit: 5,
        service_flow_limit: 100,
        open_api_white_list: 1,
        open_white_list: 1,
        open_black_list: 0,
        api_white_list: "/web/health, /web/public/*".into(),
    }];
    let import = map_seed(&seed, &Options::default());
    assert!(import.report.issues.is_empty(), "{}", import.report);
    // Every field the import sets; the rest stay at their defaults.
    let want = Service {
        kind: ServiceKind::Http,
        description: "web desc".into(),
        enabled: true,
        route: Match {
            prefix: Some("/web".into()),
            ..Match::default()
        },
        strip_prefix: true,
        rewrite: vec![
            RewriteRule {
                pattern: "^/a/(.*)".into(),
                replacement: "/b/$1".into(),
            },
            RewriteRule {
                pattern: "^/c".into(),
                replacement: "/d".into(),
            },
        ],
        request_headers: vec![
            set("X-Add", "1"),
            set("X-Edit", "two"),
            HeaderOp {
                op: HeaderOpKind::Remove,
                name: "X-Gone".into(),
                value: None,
            },
        ],
        websocket: true,
        access: Access {
            ip_allow: IpList {
                enabled: true,
                ips: vec!["10.0.0.1".into(), "10.0.0.2".into()],
            },
            ip_deny: IpList {
                enabled: false,
                ips: vec!["10.0.0.9".into()],
            },
            auth: AuthPolicy {
                enabled: true,
                allow_paths: vec!["/web/health".into(), "/web/public/*".into()],
                ..AuthPolicy::default()
            },
        },
        limits: Limits {
            service_qps: 100,
            client_ip_qps: 5,
            burst: None,
            max_connections: 0,
        },
        upstream: Upstream {
            balance: Balance::WeightedRoundRobin,
            hash_key: None,
            nodes: vec![
                Node {
                    addr: "127.0.0.1:8001".into(),
                    weight: 50,
                    enabled: true,
                },
                Node {
                    addr: "127.0.0.1:8002".into(),
                    weight: 30,
                    enabled: true,
                },
                Node {
                    addr: "127.0.0.1:8003".into(),
                    weight: 20,
                    enabled: false,
                },
            ],
            tls: UpstreamTls {
                enabled: true,
                ..UpstreamTls::default()
            },
            timeouts: Timeouts {
                connect: HumanDuration::from_secs(3),
                response_header: HumanDuration::from_secs(7),
                idle: HumanDuration::from_secs(11),
                ..Timeouts::default()
            },
            max_idle_per_node: 13,
            health_check: Some(go_gateway_health_check()),
            ..Upstream::new(Vec::new())
        },
        ..Service::new("web", Upstream::new(Vec::new()))
    };
    assert_eq!(service(&import, "web"), &want);
    assert_eq!(import.report.services, 1);
}

#[test]
fn zero_timeouts_and_pool_take_go_gateways_defaults() {
    let import = map_seed(&one_http(), &Options::default());
    let up = &service(&import, "web").upstream;
    assert_eq!(up.timeouts.connect, HumanDuration::from_secs(30));
    assert_eq!(up.timeouts.response_header, HumanDuration::from_secs(30));
    assert_eq!(up.timeouts.idle, HumanDuration::from_secs(90));
    assert_eq!(up.max_idle_per_node, 100);
    let hc = up.health_check.as_ref().expect("health check");
    assert_eq!(
        (hc.kind, hc.interval, hc.unhealthy, hc.healthy),
        (CheckKind::Tcp, HumanDuration::from_secs(5), 2, 1)
    );
    let import = map_seed(
        &one_http(),
        &Options {
            health_check: false,
            ..Options::default()
        },
    );
    assert_eq!(service(&import, "web").upstream.health_check, None);
}

#[test]
fn all_four_round_types_and_an_unknown_one() {
    for (round_type, balance, key) in [
        (0, Balance::Random, None),
        (1, Balance::RoundRobin, None),
        (2, Balance::WeightedRoundRobin, None),
        (3, Balance::ConsistentHash, Some(HashKey::Uri)),
        (9, Balance::Random, None),
    ] {
        let mut seed = one_http();
        seed.load_balances[0].round_type = round_type;
        let import = map_seed(&seed, &Options::default());
        let up = &service(&import, "web").upstream;
        assert_eq!(
            (up.balance, up.hash_key.clone()),
            (balance, key),
            "{round_type}"
        );
        assert_eq!(
            issues(&import, "round_type").len(),
            usize::from(round_type == 9)
        );
    }
}

#[test]
fn a_domain_rule_matches_the_host_and_ignores_strip() {
    let mut seed = one_http();
    seed.http_rules[0] = HttpRuleRow {
        need_strip_uri: 1,
        ..http(11, 1, 1, " api.example.com ")
    };
    let import = map_seed(&seed, &Options::default());
    let svc = service(&import, "web");
    assert_eq!(svc.route.host.as_deref(), Some("api.example.com"));
    assert_eq!(svc.route.prefix, None);
    assert!(!svc.strip_prefix);
    let notes = issues(&import, "need_strip_uri");
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].action, Action::Note);
    assert!(!import.report.has_losses());
}

#[test]
fn tcp_and_grpc_services_get_their_ports_and_metadata_ops() {
    let seed = SeedData {
        services: vec![info(1, "redis", 1), info(2, "rpc", 2)],
        tcp_rules: vec![TcpRuleRow {
            id: 5,
            service_id: 1,
            port: 6390,
        }],
        grpc_rules: vec![GrpcRuleRow {
            id: 6,
            service_id: 2,
            port: 7001,
            header_transfor: "add x-tenant blue,del x-debug".into(),
        }],
        load_balances: vec![
            LoadBalanceRow {
                round_type: 3,
                ..lb(21, 1, "127.0.0.1:6379", "")
            },
            lb(22, 2, "127.0.0.1:50051", "1"),
        ],
        access_controls: vec![AccessControlRow {
            id: 31,
            service_id: 1,
            open_auth: 1,
            ..AccessControlRow::default()
        }],
        ..SeedData::default()
    };
    let import = map_seed(&seed, &Options::default());
    let tcp = service(&import, "redis");
    assert_eq!((tcp.kind, tcp.port), (ServiceKind::Tcp, Some(6390)));
    assert_eq!(tcp.upstream.balance, Balance::ConsistentHash);
    assert_eq!(tcp.upstream.hash_key, None, "tcp hashes the client address");
    assert!(!tcp.access.auth.enabled);
    assert_eq!(issues(&import, "open_auth")[0].action, Action::Note);
    let grpc = service(&import, "rpc");
    assert_eq!((grpc.kind, grpc.port), (ServiceKind::Grpc, Some(7001)));
    assert_eq!(grpc.request_headers[0], set("x-tenant", "blue"));
    assert_eq!(grpc.request_headers[1].op, HeaderOpKind::Remove);
    assert!(!import.report.has_losses(), "{}", import.report);
}

#[test]
fn deleted_rows_are_skipped_and_disabled_rows_kept_off() {
    let mut seed = one_http();
    seed.services.push(ServiceInfoRow {
        is_delete: 1,
        ..info(2, "gone", 0)
    });
    seed.services.push(ServiceInfoRow {
        status: 0,
        ..info(3, "off", 0)
    });
    seed.http_rules.push(http(12, 2, 0, "/gone"));
    seed.http_rules.push(http(13, 3, 0, "/off"));
    seed.load_balances.push(lb(22, 2, "127.0.0.1:1", "1"));
    seed.load_balances.push(lb(23, 3, "127.0.0.1:2", "1"));
    seed.apps = vec![
        app(1, "live", "live-secret-1"),
        AppRow {
            is_delete: 1,
            ..app(2, "deleted", "deleted-secret")
        },
        AppRow {
            status: 0,
            ..app(3, "paused", "paused-secret")
        },
    ];
    let import = map_seed(&seed, &Options::default());
    assert!(import.report.issues.is_empty(), "{}", import.report);
    let names: Vec<&str> = import
        .document
        .services
        .as_ref()
        .unwrap()
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["web", "off"]);
    assert!(!service(&import, "off").enabled);
    let tenants = import.document.tenants.as_ref().unwrap();
    assert_eq!(tenants.len(), 2);
    assert!(tenants[0].enabled && !tenants[1].enabled);
    assert_eq!(
        (
            import.report.deleted_services,
            import.report.deleted_tenants
        ),
        (1, 1)
    );
}

#[test]
fn an_invalid_regex_refuses_its_service_by_row_and_column() {
    let mut seed = one_http();
    seed.services.push(info(2, "broken", 0));
    seed.http_rules.push(HttpRuleRow {
        url_rewrite: "^/(unclosed $1".into(),
        ..http(12, 2, 0, "/broken")
    });
    seed.load_balances.push(lb(22, 2, "127.0.0.1:1", "1"));
    let import = map_seed(&seed, &Options::default());
    service(&import, "web");
    assert_eq!(import.report.services, 1);
    let refused = issues(&import, "url_rewrite");
    assert_eq!(refused.len(), 1, "{}", import.report);
    assert_eq!(
        (refused[0].action, refused[0].table, refused[0].id),
        (Action::Refused, table::HTTP_RULE, 12)
    );
    assert!(refused[0].message.contains("invalid regular expression"));
    assert!(import.report.has_losses());
}

#[test]
fn a_port_conflict_refuses_one_of_the_two() {
    let seed = SeedData {
        services: vec![info(1, "a_tcp", 1), info(2, "b_tcp", 1)],
        tcp_rules: vec![
            TcpRuleRow {
                id: 5,
                service_id: 1,
                port: 7000,
            },
            TcpRuleRow {
                id: 6,
                service_id: 2,
                port: 7000,
            },
        ],
        load_balances: vec![lb(21, 1, "127.0.0.1:1", "1"), lb(22, 2, "127.0.0.1:2", "1")],
        ..SeedData::default()
    };
    let import = map_seed(&seed, &Options::default());
    assert_eq!(import.report.services, 1);
    let refused = issues(&import, "port");
    assert_eq!(refused.len(), 1);
    assert_eq!((refused[0].table, refused[0].id), (table::TCP_RULE, 6));
    assert!(
        refused[0].message.contains("already used"),
        "{}",
        refused[0]
    );
}

#[test]
fn a_port_of_the_gateways_own_listeners_is_refused() {
    let seed = SeedData {
        services: vec![info(1, "on_http_port", 1)],
        tcp_rules: vec![TcpRuleRow {
            id: 5,
            service_id: 1,
            port: 8080,
        }],
        load_balances: vec![lb(21, 1, "127.0.0.1:1", "1")],
        ..SeedData::default()
    };
    let opts = Options {
        reserved_ports: vec![8080, 9080],
        ..Options::default()
    };
    let import = map_seed(&seed, &opts);
    assert_eq!(import.report.services, 0);
    let refused = issues(&import, "port");
    assert_eq!((refused[0].table, refused[0].id), (table::TCP_RULE, 5));
    assert_eq!(map_seed(&seed, &Options::default()).report.services, 1);
}

#[test]
fn tenants_map_every_column_and_bad_ones_are_refused() {
    let seed = SeedData {
        apps: vec![
            AppRow {
                white_ips: "10.0.0.1 , 10.1.0.0/16,".into(),
                qps: 20,
                qpd: 1000,
                ..app(1, "app_one", "0123456789abcdef")
            },
            app(2, "short", "abc"),
            AppRow {
                qps: -1,
                ..app(3, "negative", "negative-secret")
            },
        ],
        ..SeedData::default()
    };
    let import = map_seed(&seed, &Options::default());
    assert_eq!(
        import.document.tenants.as_deref(),
        Some(
            &[Tenant {
                app_id: "app_one".into(),
                name: "app_one name".into(),
                description: String::new(),
                secret: Some("0123456789abcdef".into()),
                enabled: true,
                ip_allow: vec!["10.0.0.1".into(), "10.1.0.0/16".into()],
                qps: 20,
                qpd: 1000,
            }][..]
        )
    );
    let secret = issues(&import, "secret");
    assert_eq!((secret[0].table, secret[0].id), (table::APP, 2));
    assert_eq!(issues(&import, "qps")[0].id, 3);
    assert_eq!(import.report.count(Action::Refused), 2);
}

#[test]
fn list_shape_problems_are_reported() {
    let mut seed = one_http();
    seed.load_balances[0].ip_list = "127.0.0.1:1,127.0.0.1:2".into();
    seed.load_balances[0].weight_list = "5".into();
    let import = map_seed(&seed, &Options::default());
    assert_eq!(import.report.services, 0);
    assert_eq!(issues(&import, "weight_list")[0].action, Action::Refused);

    let mut seed = one_http();
    seed.http_rules[0].header_transfor = "add X-Only-Name, set X-A 1, add X-Ok 1".into();
    seed.http_rules[0].url_rewrite = "^/lonely".into();
    let import = map_seed(&seed, &Options::default());
    let svc = service(&import, "web");
    assert_eq!(svc.request_headers, [set("X-Ok", "1")]);
    assert!(svc.rewrite.is_empty());
    assert_eq!(issues(&import, "header_transfor").len(), 2);
    assert_eq!(issues(&import, "url_rewrite")[0].action, Action::Dropped);
    assert!(import.report.has_losses());
}

#[test]
fn empty_lists_and_missing_rows() {
    assert!(split_list(" , ,").is_empty());
    assert_eq!(split_list(" a ,b,, c "), ["a", "b", "c"]);
    let mut seed = one_http();
    seed.load_balances[0].ip_list = " ".into();
    seed.services.push(info(2, "no_rule", 0));
    seed.load_balances.push(lb(22, 2, "127.0.0.1:1", "1"));
    seed.http_rules.push(http(99, 77, 0, "/orphan"));
    let import = map_seed(&seed, &Options::default());
    assert_eq!(import.report.services, 0, "{}", import.report);
    let ip = issues(&import, "ip_list");
    assert_eq!((ip[0].table, ip[0].id), (table::LOAD_BALANCE, 21));
    assert!(
        import
            .report
            .issues
            .iter()
            .any(|i| i.id == 2 && i.message.contains("gateway_service_http_rule"))
    );
    assert!(
        import
            .report
            .issues
            .iter()
            .any(|i| i.id == 99 && i.action == Action::Note)
    );
}
