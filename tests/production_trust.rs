//! Trust in production, with real nodes on loopback: the directory is the federation
//! operator's (signed by its own key, with a serial that only grows and an expiry), taken up
//! without a restart from a file or an HTTP(S) URL; a member renews its certificate with an
//! overlap in which both work, and the old one not after.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use doorbraak_federation::crypto::RsaPadding;
use doorbraak_federation::directory::{Manifest, Operator, SignedManifest};
use doorbraak_federation::tls::{TlsFiles, TlsMaterial};
use doorbraak_model::OrgKind;
use doorbraak_proto::v1;
use serde_json::{Value, json};
use support::fed::{Fed, tok};
use support::{LT, VT};

const ORGS: [(&str, &str, OrgKind); 2] = [
    (LT, "Lokaal Team", OrgKind::LocalTeam),
    (VT, "Veilig Thuis", OrgKind::VeiligThuis),
];

fn write(path: &std::path::Path, signed: &SignedManifest) {
    std::fs::write(path, serde_json::to_string_pretty(signed).unwrap()).unwrap();
}

fn read(path: &std::path::Path) -> SignedManifest {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

async fn reload(fed: &Fed, i: usize) -> (u16, Value) {
    fed.node(i)
        .post(
            "/api/v1/federation/directory/reload",
            &tok(i, "a"),
            json!({}),
        )
        .await
}

/// The value of a metric at org `i`.
async fn metric(fed: &Fed, i: usize, name: &str) -> Option<f64> {
    let text = reqwest::get(format!("http://127.0.0.1:{}/metrics", fed.orgs[i].http))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find(|l| l.starts_with(&format!("{name} ")))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// Serve `file` at `http://127.0.0.1:PORT/directory.json` (read at each request).
async fn serve(file: std::path::PathBuf) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let file = file.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 2048];
                let _ = s.read(&mut buf).await;
                let body = std::fs::read(&file).unwrap_or_default();
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(head.as_bytes()).await;
                let _ = s.write_all(&body).await;
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_operators_fresh_and_newer_manifest_is_taken_up_also_from_a_url() {
    let mut fed = Fed::create("trust-directory", &ORGS, &[], &[]);
    let manifest = fed.dir.join("directory.json");
    // Veilig Thuis keeps its own copy, fetched from the operator's URL every 5 seconds
    let published = fed.dir.join("published.json");
    std::fs::copy(&manifest, &published).unwrap();
    let vt_copy = fed.dir.join("node1").join("directory.json");
    std::fs::copy(&manifest, &vt_copy).unwrap();
    let port = serve(published.clone()).await;
    let config = std::fs::read_to_string(&fed.orgs[1].config).unwrap();
    let config = config.replace(
        &format!("manifest = \"{}\"\n", manifest.display()),
        &format!(
            "manifest = \"{}\"\nurl = \"http://127.0.0.1:{port}/directory.json\"\nrefresh_secs = 5\n",
            vt_copy.display()
        ),
    );
    std::fs::write(&fed.orgs[1].config, config).unwrap();
    fed.start_all(2);
    assert_eq!(
        metric(&fed, 0, "doorbraak_directory_serial").await,
        Some(1.0)
    );
    let first = read(&manifest);

    // forbidden: a manifest signed by the TLS CA, not by the operator
    let ca_key = {
        use rustls::pki_types::PrivateKeyDer;
        use rustls::pki_types::pem::PemObject;
        match PrivateKeyDer::from_pem_file(fed.pki.ca_key()).unwrap() {
            PrivateKeyDer::Pkcs8(k) => k.secret_pkcs8_der().to_vec(),
            _ => panic!("not PKCS#8"),
        }
    };
    let ca = Operator::new(
        doorbraak_federation::operator::read_cert(&fed.pki.ca_cert()).unwrap(),
        &ca_key,
        RsaPadding::Pkcs1,
    )
    .unwrap();
    let now = jiff::Timestamp::now();
    let next = |serial, issued_at, expires_at| Manifest {
        serial,
        issued_at,
        expires_at,
        ..first.manifest.clone()
    };
    let day = jiff::SignedDuration::from_hours(24);
    write(&manifest, &ca.sign(next(2, now, now + day * 30)).unwrap());
    let (s, b) = reload(&fed, 0).await;
    assert_eq!(
        (s, b["rule"].as_str()),
        (422, Some("directory.not_the_operator")),
        "{b}"
    );
    assert!(
        b["message_nl"]
            .as_str()
            .unwrap()
            .contains("federatiebeheerder"),
        "{b}"
    );

    // forbidden: the operator's own, but expired
    let op = fed.operator().operator(RsaPadding::Pkcs1).unwrap();
    write(
        &manifest,
        &op.sign(next(2, now - day * 2, now - day)).unwrap(),
    );
    let (s, b) = reload(&fed, 0).await;
    assert_eq!(
        (s, b["rule"].as_str()),
        (422, Some("directory.expired")),
        "{b}"
    );
    assert_eq!(
        metric(&fed, 0, "doorbraak_directory_serial").await,
        Some(1.0)
    );

    // allowed: the operator's next manifest
    fed.edit_directory(|_| {});
    let second = read(&manifest);
    assert_eq!(second.manifest.serial, 2);
    let (s, b) = reload(&fed, 0).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        metric(&fed, 0, "doorbraak_directory_serial").await,
        Some(2.0)
    );

    // forbidden: going back to serial 1, or serial 2 with other content
    write(&manifest, &first);
    let (s, b) = reload(&fed, 0).await;
    assert_eq!(
        (s, b["rule"].as_str()),
        (422, Some("directory.older")),
        "{b}"
    );
    write(&manifest, &op.sign(next(2, now, now + day * 30)).unwrap());
    let (s, b) = reload(&fed, 0).await;
    assert_eq!(
        (s, b["rule"].as_str()),
        (422, Some("directory.serial_reused")),
        "{b}"
    );

    // a restart with the old file on disk keeps the newer version accepted before
    write(&manifest, &first);
    fed.stop(0);
    fed.start(0);
    assert_eq!(
        metric(&fed, 0, "doorbraak_directory_serial").await,
        Some(2.0)
    );
    assert!(
        metric(&fed, 0, "doorbraak_directory_expires_in_seconds")
            .await
            .unwrap()
            > 0.0
    );

    // the operator publishes serial 2 at its URL: Veilig Thuis takes it up without a restart
    write(&published, &second);
    let mut serial = None;
    for _ in 0..150 {
        serial = metric(&fed, 1, "doorbraak_directory_serial").await;
        if serial == Some(2.0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(serial, Some(2.0), "the published manifest was not taken up");
    assert_eq!(read(&vt_copy).manifest.serial, 2, "and kept in its file");
    // a manifest at the URL that is not the operator's is not taken up (nor written)
    write(&published, &ca.sign(next(3, now, now + day * 30)).unwrap());
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    assert_eq!(
        metric(&fed, 1, "doorbraak_directory_serial").await,
        Some(2.0)
    );
    assert_eq!(read(&vt_copy).manifest.serial, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewed_certificate_overlaps_the_old_one_which_is_refused_after() {
    let mut fed = Fed::create("trust-rotation", &ORGS, &[], &[]);
    // Veilig Thuis' current certificate, kept aside before it renews
    let keep = fed.dir.join("vt-old");
    std::fs::create_dir_all(&keep).unwrap();
    let old = TlsFiles {
        ca: fed.pki.ca_cert(),
        cert: keep.join("old.pem"),
        key: keep.join("old.key"),
        crl: Some(fed.pki.crl()),
    };
    std::fs::copy(fed.pki.node_cert(VT), &old.cert).unwrap();
    std::fs::copy(fed.pki.node_key(VT), &old.key).unwrap();
    fed.start(0);
    let client = |m: TlsMaterial| {
        let ch = doorbraak_federation::transport::channel(
            &format!("127.0.0.1:{}", fed.orgs[0].grpc),
            m.client,
            doorbraak_model::Oin::parse(LT).unwrap(),
        )
        .unwrap();
        v1::federation_client::FederationClient::new(ch)
    };
    // the renewal: a new certificate, listed beside the old one for a short overlap
    fed.pki
        .issue_node(
            VT,
            "Veilig Thuis",
            &["localhost".into(), "127.0.0.1".into()],
        )
        .unwrap();
    let new_der = doorbraak_federation::operator::read_cert(&fed.pki.node_cert(VT)).unwrap();
    let now = jiff::Timestamp::now();
    let overlap = jiff::SignedDuration::from_secs(4);
    fed.operator()
        .rotate(
            &doorbraak_model::Oin::parse(VT).unwrap(),
            &new_der,
            now,
            now + overlap,
        )
        .unwrap();
    fed.edit_directory(|_| {});
    let (s, b) = reload(&fed, 0).await;
    assert_eq!(s, 200, "{b}");
    // in the overlap both work
    client(TlsMaterial::load(&old).unwrap())
        .identity(v1::IdentityRequest::default())
        .await
        .unwrap();
    fed.client_as(VT, 0)
        .identity(v1::IdentityRequest::default())
        .await
        .unwrap();
    // after it, the old one is refused and the new one works
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    let refused = client(TlsMaterial::load(&old).unwrap())
        .identity(v1::IdentityRequest::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    assert!(
        refused.message().starts_with("federation.not_a_member:"),
        "{}",
        refused.message()
    );
    fed.client_as(VT, 0)
        .identity(v1::IdentityRequest::default())
        .await
        .unwrap();
}

/// Whether the server closed this connection within `secs` (reading whatever it sends).
async fn closed_within(
    open: &mut tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
    secs: u64,
) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 1024];
    tokio::time::timeout(std::time::Duration::from_secs(secs), async {
        loop {
            match open.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_revoked_while_connected_is_cut_off_without_a_restart() {
    let mut fed = Fed::create("trust-revoke", &ORGS, &[], &[]);
    // the local team reads its CRL every second
    let crl_line = format!("crl = \"{}\"\n", fed.pki.crl().display());
    let config = std::fs::read_to_string(&fed.orgs[0].config).unwrap();
    assert!(config.contains(&crl_line));
    std::fs::write(
        &fed.orgs[0].config,
        config.replace(&crl_line, &format!("{crl_line}crl_refresh_secs = 1\n")),
    )
    .unwrap();
    fed.start(0);
    // Veilig Thuis holds a connection open, and calls over a channel
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", fed.orgs[0].grpc))
        .await
        .unwrap();
    let mut open = tokio_rustls::TlsConnector::from(fed.material(VT).client)
        .connect(
            rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap(),
            tcp,
        )
        .await
        .unwrap();
    let mut vt = fed.client_as(VT, 0);
    vt.identity(v1::IdentityRequest::default()).await.unwrap();

    assert!(
        !closed_within(&mut open, 2).await,
        "the connection is open before the revocation"
    );

    // revoked: at the next refresh the open connection is closed by the local team
    fed.pki.revoke(VT).unwrap();
    let mut reloaded = None;
    for _ in 0..100 {
        reloaded = metric(&fed, 0, "doorbraak_tls_crl_reloads_total").await;
        if reloaded == Some(1.0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(reloaded, Some(1.0), "the new CRL was not taken up");
    assert!(
        closed_within(&mut open, 3).await,
        "the revoked peer's connection stayed open"
    );
    let refused = vt.identity(v1::IdentityRequest::default()).await;
    assert!(refused.is_err(), "a call as the revoked peer still worked");
    assert!(
        metric(&fed, 0, "doorbraak_tls_revoked_connections_closed_total")
            .await
            .unwrap()
            >= 1.0
    );
    // a member that is not revoked still connects
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", fed.orgs[0].grpc))
        .await
        .unwrap();
    tokio_rustls::TlsConnector::from(fed.material(LT).client)
        .connect(
            rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap(),
            tcp,
        )
        .await
        .unwrap();
}
