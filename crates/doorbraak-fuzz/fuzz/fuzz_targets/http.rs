//! One node's real HTTP router (SQLite in a temporary directory, the example configuration,
//! rate limits off), made once per fuzzing process; and one request through it, whose answer
//! must be a 2xx, 3xx or 4xx, never a 5xx (a panic aborts the run).

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, Uri};
use tower::ServiceExt;

struct Harness {
    rt: tokio::runtime::Runtime,
    app: axum::Router,
}

fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let app = rt.block_on(async {
            let dir =
                std::env::temp_dir().join(format!("doorbraak-libfuzzer-{}", uuid::Uuid::now_v7()));
            std::fs::create_dir_all(&dir).expect("a directory");
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
            std::fs::copy(
                root.join("deploy/examples/directory.json"),
                dir.join("directory.json"),
            )
            .expect("the example directory");
            let text = std::fs::read_to_string(root.join("deploy/examples/node.toml"))
                .expect("the example configuration");
            let off = |k: &str| (k.to_owned(), "0".to_owned());
            let settings = doorbraak_node::NodeConfig::from_toml(
                &text,
                &dir.join("node.toml"),
                &dir,
                vec![
                    off("DOORBRAAK__HTTP__API_BURST"),
                    off("DOORBRAAK__HTTP__API_PER_SECOND"),
                    off("DOORBRAAK__HTTP__LOGIN_BURST"),
                    off("DOORBRAAK__HTTP__LOGIN_PERIOD_SECS"),
                ],
            )
            .expect("the example configuration is valid");
            let node = doorbraak_node::server::open(settings)
                .await
                .expect("the node opens");
            doorbraak_node::server::http_router(node)
        });
        Harness { rt, app }
    })
}

/// Send one request; a 5xx is a finding.
pub fn send(method: &str, uri: &str, token: &str, content_type: &str, body: Vec<u8>) {
    // what is no URI never reaches a router
    let Ok(uri) = Uri::try_from(uri) else {
        return;
    };
    let h = harness();
    let req = Request::builder()
        .method(method)
        .uri(uri.clone())
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .body(Body::from(body))
        .expect("a request");
    let status =
        h.rt.block_on(h.app.clone().oneshot(req))
            .expect("the router answers")
            .status();
    assert!(!status.is_server_error(), "{method} {uri}: {status}");
}
