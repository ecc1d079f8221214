//! The web UI's cost next to the JSON API's: the escalation page (HTML, session cookie) against
//! `GET /api/v1/escalations/{id}` (JSON, bearer token) on the same node, same escalation, in the
//! same run. Both log the read in the access log first (one database write per request).
//!
//! Usage: `cargo run --release -p doorbraak-bench --bin bench-web -- [N] [CONCURRENCY]`
#![forbid(unsafe_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use doorbraak_bench::{LT, oin, open_escalation, percentile};
use doorbraak_model::{Actor, Escalation, EscalationId, Participant, PersonId, Role, Situation};

/// `n` GETs of `url` with `header`, `concurrency` at a time; (requests/s, p50, p99).
async fn measure(
    http: &reqwest::Client,
    url: &str,
    header: (&'static str, String),
    n: usize,
    concurrency: usize,
) -> anyhow::Result<(f64, Duration, Duration)> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, url, header, next) =
            (http.clone(), url.to_owned(), header.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < n {
                let t = Instant::now();
                let r = http.get(&url).header(header.0, &header.1).send().await?;
                if !r.status().is_success() {
                    bail!("{url}: {}", r.status());
                }
                r.bytes().await?;
                lat.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>(lat)
        }));
    }
    let mut all = Vec::with_capacity(n);
    for t in tasks {
        all.extend(t.await??);
    }
    let secs = start.elapsed().as_secs_f64();
    all.sort();
    Ok((
        all.len() as f64 / secs,
        percentile(&all, 0.5),
        percentile(&all, 0.99),
    ))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(2000);
    let concurrency = args.get(1).copied().unwrap_or(8);

    let dir = std::env::temp_dir().join(format!("doorbraak-bench-web-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir)?;
    let toml = format!(
        "[node]\noin = \"{LT}\"\nname = \"Lokaal Team\"\nkind = \"local_team\"\n\n\
         [http]\nlisten = \"127.0.0.1:0\"\n\n[web]\ndev_login = true\nsecure_cookies = false\n\n\
         [[dev_users]]\nid = \"anna\"\nname = \"Anna\"\nrole = \"professional\"\ntoken = \"bench-anna-token\"\n"
    );
    let path = dir.join("node.toml");
    std::fs::write(&path, toml)?;
    let settings = doorbraak_node::NodeConfig::load(&path, std::iter::empty())?;
    let node = doorbraak_node::server::open(settings).await?;

    // one escalation to look at
    let user = doorbraak_node::User {
        id: "anna".into(),
        name: "Anna".into(),
        role: Role::Professional,
    };
    node.create_case(&user, "LT-BENCH-1", "Bench", None).await?;
    let id = EscalationId(node.new_stream_id());
    node.execute::<Escalation>(
        &Actor::person("anna", Role::Professional, oin(LT)?),
        &id.to_string(),
        &open_escalation(
            id,
            "LT-BENCH-1",
            Situation::ProfessionalDilemma,
            vec![Participant {
                person: PersonId::new("anna"),
                name: "Anna".into(),
                role: Role::Professional,
                org: oin(LT)?,
            }],
        )?,
        "open",
    )
    .await?;

    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(doorbraak_node::server::run(
        node.clone(),
        async move {
            let _ = stop_rx.await;
        },
        move |b| {
            let _ = ready_tx.send(b.http);
        },
    ));
    let addr = ready_rx.await.context("the node did not start")?;
    let base = format!("http://{addr}");

    // log in as a browser would: the login page's CSRF token, then the development account
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let page = http.get(format!("{base}/inloggen")).send().await?;
    let cookie = |r: &reqwest::Response| {
        r.headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::to_owned)
    };
    let anon = cookie(&page).context("no session cookie")?;
    let html = page.text().await?;
    let csrf = html
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .context("no CSRF token on the login page")?
        .to_owned();
    let login = http
        .post(format!("{base}/inloggen/dev"))
        .header("cookie", &anon)
        .form(&[("user", "anna"), ("_csrf", csrf.as_str())])
        .send()
        .await?;
    let session = cookie(&login).context("login gave no session")?;

    let page_url = format!("{base}/escalaties/{id}");
    let api_url = format!("{base}/api/v1/escalations/{id}");
    // warm up both paths
    measure(
        &http,
        &page_url,
        ("cookie", session.clone()),
        200,
        concurrency,
    )
    .await?;
    measure(
        &http,
        &api_url,
        ("authorization", "Bearer bench-anna-token".into()),
        200,
        concurrency,
    )
    .await?;
    println!("{n} requests per path, {concurrency} concurrent, SQLite, release build");
    println!("path                         req/s      p50        p99");
    let (rps, p50, p99) = measure(
        &http,
        &api_url,
        ("authorization", "Bearer bench-anna-token".into()),
        n,
        concurrency,
    )
    .await?;
    println!("JSON GET escalation      {rps:>9.0}  {p50:>9.2?}  {p99:>9.2?}");
    let api_rps = rps;
    let (rps, p50, p99) = measure(
        &http,
        &page_url,
        ("cookie", session.clone()),
        n,
        concurrency,
    )
    .await?;
    println!("HTML escalation page     {rps:>9.0}  {p50:>9.2?}  {p99:>9.2?}");
    println!("page / JSON throughput: {:.0} %", 100.0 * rps / api_rps);

    let _ = stop_tx.send(());
    let _ = server.await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
