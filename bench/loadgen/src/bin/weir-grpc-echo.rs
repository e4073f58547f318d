//! weir-grpc-echo: the gRPC upstream of scenario s6-grpc, and a small client
//! that checks calls through a proxy really succeed.
//!
//! * `serve --listen IP:PORT` — tonic server (h2c, one runtime thread) with
//!   one service, `bench.Echo`: `Unary` answers the request message as is;
//!   `Count` answers how many `Unary` calls it has served (decimal, in the
//!   payload). The load itself comes from h2load with a framed protobuf body
//!   (bench/run.py writes it), which cannot see `grpc-status` in trailers;
//!   comparing the server's count before and after a run with h2load's
//!   successes shows whether every call really reached the server.
//! * `check --addr IP:PORT [--calls 20] [--payload 64]` — tonic client: makes
//!   unary calls, fails unless every one returns OK with the same payload.
//! * `count --addr IP:PORT` — prints `{"count": N}` from `Count`.
//!
//! The message is `message Msg { bytes payload = 1; }`, written by hand
//! (prost derive) so no protoc or build script is needed; the service is the
//! code tonic-build would generate for
//! `service Echo { rpc Unary(Msg) returns (Msg); rpc Count(Msg) returns (Msg); }`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use tonic::codegen::{http, Body, BoxFuture, Service, StdError};

#[derive(Clone, PartialEq, prost::Message)]
pub struct Msg {
    #[prost(bytes = "vec", tag = "1")]
    pub payload: Vec<u8>,
}

static CALLS: AtomicU64 = AtomicU64::new(0);

const UNARY: &str = "/bench.Echo/Unary";
const COUNT: &str = "/bench.Echo/Count";

struct UnarySvc;

impl tonic::server::UnaryService<Msg> for UnarySvc {
    type Response = Msg;
    type Future = std::future::Ready<Result<tonic::Response<Msg>, tonic::Status>>;
    fn call(&mut self, req: tonic::Request<Msg>) -> Self::Future {
        CALLS.fetch_add(1, Ordering::Relaxed);
        std::future::ready(Ok(tonic::Response::new(req.into_inner())))
    }
}

struct CountSvc;

impl tonic::server::UnaryService<Msg> for CountSvc {
    type Response = Msg;
    type Future = std::future::Ready<Result<tonic::Response<Msg>, tonic::Status>>;
    fn call(&mut self, _req: tonic::Request<Msg>) -> Self::Future {
        let n = CALLS.load(Ordering::Relaxed);
        std::future::ready(Ok(tonic::Response::new(Msg {
            payload: n.to_string().into_bytes(),
        })))
    }
}

#[derive(Clone)]
struct EchoServer;

impl tonic::server::NamedService for EchoServer {
    const NAME: &'static str = "bench.Echo";
}

impl<B> Service<http::Request<B>> for EchoServer
where
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let path = req.uri().path().to_owned();
        Box::pin(async move {
            let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::<Msg, Msg>::default());
            Ok(match path.as_str() {
                UNARY => grpc.unary(UnarySvc, req).await,
                COUNT => grpc.unary(CountSvc, req).await,
                _ => {
                    let mut res = http::Response::new(tonic::body::Body::default());
                    let h = res.headers_mut();
                    h.insert(
                        tonic::Status::GRPC_STATUS,
                        (tonic::Code::Unimplemented as i32).into(),
                    );
                    h.insert(
                        http::header::CONTENT_TYPE,
                        tonic::metadata::GRPC_CONTENT_TYPE,
                    );
                    res
                }
            })
        })
    }
}

fn die(msg: &str) -> ! {
    eprintln!(
        "weir-grpc-echo: {msg}\nusage:\n  weir-grpc-echo serve --listen IP:PORT\n  \
         weir-grpc-echo check --addr IP:PORT [--calls 20] [--payload 64]\n  \
         weir-grpc-echo count --addr IP:PORT"
    );
    std::process::exit(2)
}

async fn call(
    grpc: &mut tonic::client::Grpc<tonic::transport::Channel>,
    path: &'static str,
    msg: Msg,
) -> Result<Msg, tonic::Status> {
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let codec = tonic_prost::ProstCodec::<Msg, Msg>::default();
    let res = grpc
        .unary(
            tonic::Request::new(msg),
            http::uri::PathAndQuery::from_static(path),
            codec,
        )
        .await?;
    Ok(res.into_inner())
}

async fn client(addr: SocketAddr) -> tonic::client::Grpc<tonic::transport::Channel> {
    let ch = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap_or_else(|e| die(&e.to_string()))
        .connect()
        .await
        .unwrap_or_else(|e| {
            eprintln!("weir-grpc-echo: connect {addr}: {e}");
            std::process::exit(1)
        });
    tonic::client::Grpc::new(ch)
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mode = argv.first().cloned().unwrap_or_else(|| die("missing mode"));
    let (mut addr, mut calls, mut payload) = (None::<SocketAddr>, 20u64, 64usize);
    for kv in argv[1..].chunks(2) {
        let [k, v] = kv else {
            die(&format!("{} needs a value", kv[0]))
        };
        match k.as_str() {
            "--listen" | "--addr" => addr = Some(v.parse().unwrap_or_else(|_| die("want IP:PORT"))),
            "--calls" => calls = v.parse().unwrap_or_else(|_| die("--calls: not a number")),
            "--payload" => payload = v.parse().unwrap_or_else(|_| die("--payload: not a number")),
            _ => die(&format!("unknown option {k}")),
        }
    }
    let addr = addr.unwrap_or_else(|| die("--listen / --addr is required"));
    // One runtime thread, like the one-worker nginx upstream of the HTTP scenarios.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        match mode.as_str() {
            "serve" => {
                eprintln!("weir-grpc-echo listening on {addr}");
                tonic::transport::Server::builder()
                    .tcp_nodelay(true)
                    .add_service(EchoServer)
                    .serve(addr)
                    .await
                    .unwrap_or_else(|e| die(&format!("serve {addr}: {e}")));
            }
            "check" => {
                let mut grpc = client(addr).await;
                let body: Vec<u8> = (0..payload).map(|i| b'a' + (i % 26) as u8).collect();
                for i in 0..calls {
                    match call(
                        &mut grpc,
                        UNARY,
                        Msg {
                            payload: body.clone(),
                        },
                    )
                    .await
                    {
                        Ok(m) if m.payload == body => {}
                        Ok(_) => {
                            eprintln!("weir-grpc-echo: call {i}: wrong payload in the reply");
                            std::process::exit(1)
                        }
                        Err(s) => {
                            eprintln!("weir-grpc-echo: call {i}: {:?}: {}", s.code(), s.message());
                            std::process::exit(1)
                        }
                    }
                }
                println!("{{\"mode\":\"check\",\"calls\":{calls},\"ok\":true}}");
            }
            "count" => {
                let mut grpc = client(addr).await;
                let m = call(&mut grpc, COUNT, Msg::default())
                    .await
                    .unwrap_or_else(|s| die(&format!("Count: {s}")));
                println!("{{\"count\":{}}}", String::from_utf8_lossy(&m.payload));
            }
            m => die(&format!("unknown mode {m}")),
        }
    });
}
