//! A small authoritative DNS server for discovery tests: answers A, AAAA
//! and SRV questions (UDP and TCP) from a table the test changes at will,
//! with a chosen TTL, or fails every question on demand.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, SRV};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::task::JoinHandle;

/// One SRV answer: target host, port, weight, priority.
#[derive(Debug, Clone)]
pub struct Srv {
    pub target: String,
    pub port: u16,
    pub weight: u16,
    pub priority: u16,
}

#[derive(Debug, Default)]
struct Zone {
    ips: HashMap<String, Vec<IpAddr>>,
    srv: HashMap<String, Vec<Srv>>,
    ttl: u32,
    failing: bool,
    queries: u64,
}

/// A DNS server on 127.0.0.1 (the same port for UDP and TCP).
pub struct TestDns {
    pub addr: SocketAddr,
    zone: Arc<Mutex<Zone>>,
    tasks: Vec<JoinHandle<()>>,
}

impl TestDns {
    pub async fn start() -> Self {
        // Find a port free for both protocols.
        let (udp, tcp) = loop {
            let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let port = udp.local_addr().unwrap().port();
            if let Ok(tcp) = TcpListener::bind(("127.0.0.1", port)).await {
                break (udp, tcp);
            }
        };
        let addr = udp.local_addr().unwrap();
        let zone = Arc::new(Mutex::new(Zone {
            ttl: 1,
            ..Zone::default()
        }));
        let udp_task = {
            let zone = Arc::clone(&zone);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                loop {
                    let Ok((n, peer)) = udp.recv_from(&mut buf).await else {
                        continue;
                    };
                    if let Some(reply) = answer(&zone, &buf[..n]) {
                        let _ = udp.send_to(&reply, peer).await;
                    }
                }
            })
        };
        let tcp_task = {
            let zone = Arc::clone(&zone);
            tokio::spawn(async move {
                loop {
                    let Ok((mut s, _)) = tcp.accept().await else {
                        continue;
                    };
                    let zone = Arc::clone(&zone);
                    tokio::spawn(async move {
                        let mut len = [0u8; 2];
                        while s.read_exact(&mut len).await.is_ok() {
                            let mut q = vec![0u8; u16::from_be_bytes(len) as usize];
                            if s.read_exact(&mut q).await.is_err() {
                                return;
                            }
                            let Some(reply) = answer(&zone, &q) else {
                                return;
                            };
                            let _ = s.write_all(&(reply.len() as u16).to_be_bytes()).await;
                            let _ = s.write_all(&reply).await;
                        }
                    });
                }
            })
        };
        Self {
            addr,
            zone,
            tasks: vec![udp_task, tcp_task],
        }
    }

    /// Answer `name` with these addresses.
    pub fn set(&self, name: &str, ips: &[IpAddr]) {
        self.lock().ips.insert(normalize(name), ips.to_vec());
    }

    /// Answer the SRV name with these records.
    pub fn set_srv(&self, name: &str, records: Vec<Srv>) {
        self.lock().srv.insert(normalize(name), records);
    }

    /// TTL of every answer, in seconds.
    pub fn set_ttl(&self, secs: u32) {
        self.lock().ttl = secs;
    }

    /// Answer SERVFAIL to every question while `failing`.
    pub fn set_failing(&self, failing: bool) {
        self.lock().failing = failing;
    }

    /// Questions answered so far.
    pub fn queries(&self) -> u64 {
        self.lock().queries
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Zone> {
        self.zone.lock().unwrap()
    }
}

impl Drop for TestDns {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

fn normalize(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn answer(zone: &Mutex<Zone>, query: &[u8]) -> Option<Vec<u8>> {
    let q = Message::from_vec(query).ok()?;
    let mut reply = Message::new();
    reply
        .set_id(q.id())
        .set_message_type(MessageType::Response)
        .set_op_code(OpCode::Query)
        .set_authoritative(true)
        .set_recursion_desired(q.recursion_desired())
        .set_recursion_available(true);
    let mut zone = zone.lock().unwrap();
    zone.queries += 1;
    for question in q.queries() {
        reply.add_query(question.clone());
        if zone.failing {
            reply.set_response_code(ResponseCode::ServFail);
            continue;
        }
        let name = normalize(&question.name().to_utf8());
        let owner: Name = question.name().clone();
        match question.query_type() {
            RecordType::A | RecordType::AAAA => {
                for ip in zone.ips.get(&name).into_iter().flatten() {
                    let rdata = match (ip, question.query_type()) {
                        (IpAddr::V4(v4), RecordType::A) => RData::A(A(*v4)),
                        (IpAddr::V6(v6), RecordType::AAAA) => RData::AAAA(AAAA(*v6)),
                        _ => continue,
                    };
                    reply.add_answer(Record::from_rdata(owner.clone(), zone.ttl, rdata));
                }
                if !zone.ips.contains_key(&name) {
                    reply.set_response_code(ResponseCode::NXDomain);
                }
            }
            RecordType::SRV => match zone.srv.get(&name) {
                Some(records) => {
                    for r in records {
                        let target = Name::from_ascii(format!("{}.", r.target)).ok()?;
                        let rdata = RData::SRV(SRV::new(r.priority, r.weight, r.port, target));
                        reply.add_answer(Record::from_rdata(owner.clone(), zone.ttl, rdata));
                    }
                }
                None => {
                    reply.set_response_code(ResponseCode::NXDomain);
                }
            },
            _ => {}
        }
    }
    reply.to_vec().ok()
}
