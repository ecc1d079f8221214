//! The real OpenID Connect provider of tests/oidc (node-oidc-provider), started on loopback.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

pub struct Provider {
    child: Child,
    pub issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn oidc_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc")
}

/// Start the provider with `config` (see tests/oidc/README.md; the port is added here), or
/// `None` when Node.js or its packages are missing (allowed only when DOORBRAAK_REQUIRE_BROWSER
/// is not set).
pub fn start(dir: &Path, mut config: serde_json::Value) -> Option<Provider> {
    let installed = oidc_dir().join("node_modules/oidc-provider").exists();
    let node = Command::new("node").arg("--version").output().is_ok();
    if !installed || !node {
        assert!(
            std::env::var("DOORBRAAK_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "DOORBRAAK_REQUIRE_BROWSER=1 but the OpenID Connect provider is not installed (npm ci --prefix tests/oidc)"
        );
        eprintln!("skipping: node or tests/oidc/node_modules missing");
        return None;
    }
    let port = super::free_port();
    config["port"] = port.into();
    let path = dir.join(format!("oidc-{port}.json"));
    std::fs::write(&path, config.to_string()).unwrap();
    let mut cmd = Command::new("node");
    cmd.arg(oidc_dir().join("provider.mjs")).arg(&path);
    // stdin stays open: the provider exits when it closes (when this test process ends)
    let (child, rx) = super::spawn_lines(cmd);
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the OpenID Connect provider did not start");
    assert!(line.starts_with("oidc-provider ready"), "{line}");
    Some(Provider {
        child,
        issuer: format!("http://127.0.0.1:{port}"),
    })
}
