//! The web dashboard (`web/`), embedded at build time by `build.rs` and
//! served at `/` by the admin listener:
//!
//! - files under `/assets/` have content hashes in their names: cached for a
//!   year, `immutable`;
//! - any other path that names no file (`/services/user_api`, …) gets
//!   `index.html`, so the single-page app's own routes survive a reload;
//!   `index.html` itself is `no-cache` (revalidated with its ETag), so a new
//!   binary's dashboard is picked up at once;
//! - every answer carries a Content-Security-Policy the dashboard satisfies
//!   (scripts and styles from this origin only, no inline script, no eval);
//! - gzip when the browser accepts it.
//!
//! Paths under `/api/` never fall back to the app: they stay problem+json
//! 404s. A binary built without `web/dist` serves a page that says how to
//! build the dashboard.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// One embedded file of `web/dist`.
pub(crate) struct Asset {
    /// Path relative to `web/dist`, with `/` separators.
    pub(crate) path: &'static str,
    pub(crate) body: &'static [u8],
    /// The same body gzipped, when that is smaller.
    pub(crate) gzip: Option<&'static [u8]>,
    /// A quoted content hash.
    pub(crate) etag: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/dashboard_assets.rs"));

/// The policy the dashboard is built to satisfy (the browser tests fail on
/// any violation): every script and style sheet is a file from this origin;
/// no inline script, no eval.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
     frame-ancestors 'none'";

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// Shown by a binary built without the dashboard.
const NOT_BUILT: &str = "<!doctype html>
<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Weir: dashboard not built</title></head>
<body>
<h1>Weir</h1>
<p>This <code>weir</code> binary was built without the web dashboard.</p>
<p>To include it, build the dashboard, then rebuild Weir:</p>
<pre>cd web &amp;&amp; npm ci &amp;&amp; npm run build
cargo build -p weir</pre>
<p>(<code>make run</code> does both.) The admin API works without it:
<a href=\"/api/docs\">/api/docs</a>, <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a>.</p>
</body></html>
";

/// Whether this binary embeds a built dashboard.
pub fn is_built() -> bool {
    find("index.html").is_some()
}

fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

/// The admin router's fallback: dashboard files, the app's routes, and
/// problem+json 404s for unknown API paths.
pub async fn fallback(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    if path == "/api" || path.starts_with("/api/") {
        return ApiError::not_found("no such endpoint; see /api/v1/openapi.json").into_response();
    }
    if method != Method::GET && method != Method::HEAD {
        return ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "the dashboard is read with GET",
        )
        .into_response();
    }
    let rel = path.trim_start_matches('/');
    if let Some(asset) = (!rel.is_empty()).then(|| find(rel)).flatten() {
        let cache = if rel.starts_with("assets/") {
            IMMUTABLE
        } else {
            REVALIDATE
        };
        return serve(asset, cache, &method, &headers);
    }
    // A missing file (a stale hashed asset, a typo) is a plain 404; only
    // paths without an extension are the app's own routes.
    let last = rel.rsplit('/').next().unwrap_or_default();
    if rel.starts_with("assets/") || last.contains('.') {
        return plain(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "not found\n",
        );
    }
    match find("index.html") {
        Some(index) => serve(index, REVALIDATE, &method, &headers),
        None => plain(StatusCode::OK, "text/html; charset=utf-8", NOT_BUILT),
    }
}

fn serve(asset: &'static Asset, cache: &'static str, method: &Method, req: &HeaderMap) -> Response {
    let not_modified = req
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == asset.etag || t.trim() == "*")
        });
    let gzip = asset.gzip.filter(|_| accepts_gzip(req));
    let (status, body) = if not_modified {
        (StatusCode::NOT_MODIFIED, &[][..])
    } else {
        (StatusCode::OK, gzip.unwrap_or(asset.body))
    };
    let mut res = Response::new(if method == Method::HEAD || not_modified {
        Body::empty()
    } else {
        Body::from(body)
    });
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(asset.path)),
    );
    if !not_modified {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    }
    if gzip.is_some() && !not_modified {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    if asset.gzip.is_some() {
        h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    h.insert(header::ETAG, HeaderValue::from_static(asset.etag));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    secure(h);
    res
}

fn plain(status: StatusCode, content_type: &'static str, body: &'static str) -> Response {
    let mut res = Response::new(Body::from(body));
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(REVALIDATE));
    secure(h);
    res
}

fn secure(h: &mut HeaderMap) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
}

fn accepts_gzip(req: &HeaderMap) -> bool {
    req.get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|enc| {
            let mut parts = enc.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit('.').next().unwrap_or_default();
    match ext {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "json" | "map" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn gzip_negotiation() {
        assert!(accepts_gzip(&headers(&[(
            "accept-encoding",
            "gzip, deflate, br"
        )])));
        assert!(accepts_gzip(&headers(&[(
            "accept-encoding",
            "br;q=1, GZIP;q=0.5"
        )])));
        assert!(!accepts_gzip(&headers(&[("accept-encoding", "gzip;q=0")])));
        assert!(!accepts_gzip(&headers(&[("accept-encoding", "br")])));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    async fn get(path: &'static str, method: Method) -> Response {
        fallback(method, Uri::from_static(path), HeaderMap::new()).await
    }

    #[tokio::test]
    async fn api_paths_stay_problems() {
        for path in ["/api", "/api/v2/x", "/api/v1x"] {
            let res = get(path, Method::GET).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
            assert_eq!(
                res.headers()[header::CONTENT_TYPE],
                "application/problem+json"
            );
        }
    }

    #[tokio::test]
    async fn app_routes_get_the_page_with_a_policy() {
        for path in ["/", "/services/user_api", "/history"] {
            let res = get(path, Method::GET).await;
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            assert!(
                res.headers()[header::CONTENT_TYPE]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html")
            );
            assert_eq!(res.headers()[header::CACHE_CONTROL], "no-cache");
            assert_eq!(
                res.headers()[header::CONTENT_SECURITY_POLICY],
                CONTENT_SECURITY_POLICY
            );
        }
    }

    #[tokio::test]
    async fn missing_files_are_plain_404s() {
        for path in ["/assets/index-gone.js", "/favicon.ico", "/x/y.css"] {
            assert_eq!(get(path, Method::GET).await.status(), StatusCode::NOT_FOUND);
        }
        assert_eq!(
            get("/", Method::POST).await.status(),
            StatusCode::METHOD_NOT_ALLOWED
        );
    }

    #[tokio::test]
    async fn hashed_assets_are_immutable_and_revalidate_by_etag() {
        let Some(asset) = ASSETS.iter().find(|a| a.path.starts_with("assets/")) else {
            assert!(!is_built(), "a built dashboard has hashed assets");
            return;
        };
        let path = format!("/{}", asset.path);
        let uri: Uri = path.parse().unwrap();
        let res = fallback(
            Method::GET,
            uri.clone(),
            headers(&[("accept-encoding", "gzip")]),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::CACHE_CONTROL], IMMUTABLE);
        assert_eq!(res.headers()[header::ETAG], asset.etag);
        if asset.gzip.is_some() {
            assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
        }
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static(asset.etag));
        let res = fallback(Method::GET, uri, h).await;
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(
            content_type("assets/index-abc.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("favicon.svg"), "image/svg+xml");
        assert_eq!(content_type("x.bin"), "application/octet-stream");
    }
}
