//! `weir echo`: a tiny upstream that answers every request with a JSON
//! description of what it received (method, path, query, headers, body), so
//! a demo or a manual test sees exactly what the gateway forwarded.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{Request, Response, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;

/// Bytes of the request body echoed back; the rest is counted, not kept.
const ECHO_BODY_LIMIT: usize = 64 * 1024;

/// Serve until the process ends. `name` is reported as `"node"` so a client
/// can tell upstreams apart.
pub async fn run(listener: TcpListener, name: String) -> std::io::Result<()> {
    let name: std::sync::Arc<str> = name.into();
    loop {
        let (stream, peer) = listener.accept().await?;
        let name = std::sync::Arc::clone(&name);
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let name = std::sync::Arc::clone(&name);
                async move { Ok::<_, Infallible>(echo(req, peer, &name).await) }
            });
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

async fn echo(req: Request<Incoming>, peer: SocketAddr, name: &str) -> Response<Full<Bytes>> {
    let (parts, mut body) = req.into_parts();
    let mut kept = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else { break };
        if let Ok(data) = frame.into_data() {
            total += data.len();
            let room = ECHO_BODY_LIMIT.saturating_sub(kept.len());
            kept.extend_from_slice(&data[..data.len().min(room)]);
        }
    }
    let mut headers = Map::new();
    for (k, v) in &parts.headers {
        let v = Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned());
        match headers.get_mut(k.as_str()) {
            Some(Value::Array(list)) => list.push(v),
            Some(prev) => *prev = Value::Array(vec![prev.take(), v]),
            None => {
                headers.insert(k.as_str().to_owned(), v);
            }
        }
    }
    let out = json!({
        "node": name,
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": parts.uri.query(),
        "version": format!("{:?}", parts.version),
        "peer": peer.to_string(),
        "headers": headers,
        "body": String::from_utf8_lossy(&kept),
        "body_bytes": total,
    });
    let mut res = Response::new(Full::new(Bytes::from(out.to_string())));
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    res
}
