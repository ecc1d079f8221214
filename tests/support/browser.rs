//! Browser tests: a real headless Chromium driven over WebDriver (chromedriver) with fantoccini.
//!
//! `Browser::start()` finds `chromedriver` (env `DOORBRAAK_CHROMEDRIVER`, else
//! `/usr/bin/chromedriver`) and `chromium` (env `DOORBRAAK_CHROMIUM`, else `/usr/bin/chromium`).
//! When either is missing it returns `Ok(None)` so the test can skip, unless
//! `DOORBRAAK_REQUIRE_BROWSER=1`, in which case that is an error (as with PostgreSQL).
//!
//! Chromedriver runs in its own process group on a free loopback port, Chromium gets a fresh
//! profile directory; on drop both are killed (the whole process group, and any process still
//! using the profile) and the profile is removed. Call `close().await` to end the WebDriver
//! session gracefully first.
#![allow(dead_code)]

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long `wait_for` (and every helper that looks an element up) waits.
pub const WAIT: Duration = Duration::from_secs(10);
/// How long chromedriver gets to answer `/status` with `ready: true`.
const DRIVER_START: Duration = Duration::from_secs(30);
/// How long Chromium gets to start and open the WebDriver session.
const SESSION_START: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(50);

/// The viewport size (CSS pixels) pages are rendered and screenshotted at.
pub const VIEWPORT: (u32, u32) = (1280, 900);

const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
];

pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: PathBuf,
    driver_log: PathBuf,
    /// The window's own chrome (width, height) around the page's viewport.
    chrome: (u32, u32),
}

fn binary(var: &str, default: &str) -> Option<PathBuf> {
    let path = std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(default), PathBuf::from);
    path.is_file().then_some(path)
}

fn required() -> bool {
    std::env::var("DOORBRAAK_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
}

fn fresh_dir() -> anyhow::Result<PathBuf> {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!(
        "doorbraak-browser-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    Ok(dir)
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// One plain HTTP/1.1 GET of chromedriver's `/status`; true when it says `ready`.
/// (Chromedriver refuses HTTP/1.0 and keeps the connection open even with `Connection: close`,
/// so read until the JSON body parses.)
async fn driver_ready(port: u16) -> bool {
    let attempt = async {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        s.write_all(b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .await?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = s.read(&mut chunk).await?;
            if n == 0 {
                bail!("connection closed before a JSON body");
            }
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf);
            if let (Some(start), Some(end)) = (text.find('{'), text.rfind('}'))
                && let Ok(v) = serde_json::from_str::<Value>(&text[start..=end])
            {
                return anyhow::Ok(v);
            }
        }
    };
    match tokio::time::timeout(Duration::from_secs(2), attempt).await {
        Ok(Ok(v)) => v.pointer("/value/ready").and_then(Value::as_bool) == Some(true),
        _ => false,
    }
}

impl Browser {
    /// Start chromedriver + headless Chromium. `Ok(None)`: not installed (and not required).
    pub async fn start() -> anyhow::Result<Option<Browser>> {
        let driver_bin = binary("DOORBRAAK_CHROMEDRIVER", "/usr/bin/chromedriver");
        let chromium_bin = binary("DOORBRAAK_CHROMIUM", "/usr/bin/chromium");
        let (Some(driver_bin), Some(chromium_bin)) = (driver_bin, chromium_bin) else {
            if required() {
                bail!(
                    "DOORBRAAK_REQUIRE_BROWSER=1 but chromedriver/chromium not found \
                     (set DOORBRAAK_CHROMEDRIVER / DOORBRAAK_CHROMIUM or install \
                     Debian's chromium and chromium-driver)"
                );
            }
            eprintln!("skipping browser test: chromedriver/chromium not installed");
            return Ok(None);
        };

        let profile = fresh_dir()?;
        let user_data = profile.join("chromium");
        let driver_log = profile.join("chromedriver.log");
        let port = free_port()?;
        let driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", driver_log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Keep Chromium's ~/.config (crash reports) and ~/.cache inside the profile dir.
            .env("XDG_CONFIG_HOME", profile.join("config"))
            .env("XDG_CACHE_HOME", profile.join("cache"))
            // Own process group, so Drop can kill chromedriver and every Chromium it started.
            .process_group(0)
            .spawn();
        let driver = match driver {
            Ok(d) => d,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&profile);
                return Err(e).with_context(|| format!("start {}", driver_bin.display()));
            }
        };
        // From here on Drop cleans up, also on the error paths below.
        let mut browser = Starting {
            driver: Some(driver),
            profile: profile.clone(),
        };

        let deadline = Instant::now() + DRIVER_START;
        loop {
            if driver_ready(port).await {
                break;
            }
            let driver = browser.driver.as_mut().context("driver gone")?;
            if let Some(status) = driver.try_wait()? {
                bail!(
                    "chromedriver exited ({status}) before it was ready; log:\n{}",
                    log_tail(&driver_log)
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "chromedriver not ready on 127.0.0.1:{port} within {DRIVER_START:?}; log:\n{}",
                    log_tail(&driver_log)
                );
            }
            tokio::time::sleep(POLL).await;
        }

        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| (*a).to_owned()).collect();
        args.push(format!("--user-data-dir={}", user_data.display()));
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium_bin,
                "args": args,
            },
        });
        let Value::Object(caps) = caps else {
            bail!("capabilities are not an object");
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let mut builder = ClientBuilder::new(connector);
        builder.capabilities(caps);
        let url = format!("http://127.0.0.1:{port}");
        let connect = builder.connect(&url);
        let client = match tokio::time::timeout(SESSION_START, connect).await {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => bail!(
                "WebDriver session: {e}; chromedriver log:\n{}",
                log_tail(&driver_log)
            ),
            Err(_) => bail!(
                "no WebDriver session within {SESSION_START:?}; chromedriver log:\n{}",
                log_tail(&driver_log)
            ),
        };

        // Headless Chromium's window still reserves room for browser UI: grow the window so the
        // viewport (what screenshots show) is exactly VIEWPORT.
        let extra = client
            .execute(
                "return [window.outerWidth - window.innerWidth, \
                 window.outerHeight - window.innerHeight];",
                vec![],
            )
            .await
            .context("measure window chrome")?;
        let dw = extra.get(0).and_then(Value::as_u64).unwrap_or(0);
        let dh = extra.get(1).and_then(Value::as_u64).unwrap_or(0);
        client
            .set_window_size(
                VIEWPORT.0 + u32::try_from(dw).unwrap_or(0),
                VIEWPORT.1 + u32::try_from(dh).unwrap_or(0),
            )
            .await
            .context("set window size")?;

        let driver = browser.driver.take().context("driver gone")?;
        Ok(Some(Browser {
            client,
            driver,
            profile,
            driver_log,
            chrome: (
                u32::try_from(dw).unwrap_or(0),
                u32::try_from(dh).unwrap_or(0),
            ),
        }))
    }

    /// Make the page's viewport `width` × `height` CSS pixels (e.g. a phone's 390 × 844).
    pub async fn viewport(&self, width: u32, height: u32) -> anyhow::Result<()> {
        self.client
            .set_window_size(width + self.chrome.0, height + self.chrome.1)
            .await
            .context("set window size")?;
        Ok(())
    }

    /// End the WebDriver session (Chromium quits), then stop chromedriver (via Drop).
    pub async fn close(self) -> anyhow::Result<()> {
        let res = tokio::time::timeout(Duration::from_secs(10), self.client.clone().close()).await;
        drop(self);
        match res {
            Ok(r) => r.context("close WebDriver session"),
            Err(_) => bail!("closing the WebDriver session timed out"),
        }
    }

    /// The profile directory (Chromium's user data is under `chromium/`, the driver log beside).
    pub fn profile(&self) -> &Path {
        &self.profile
    }

    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        self.client
            .goto(url)
            .await
            .with_context(|| format!("goto {url}"))
    }

    pub async fn current_url(&self) -> anyhow::Result<String> {
        Ok(self.client.current_url().await?.to_string())
    }

    /// Wait (up to `WAIT`) for an element matching `css`, and return it.
    pub async fn wait_for(&self, css: &str) -> anyhow::Result<Element> {
        let deadline = Instant::now() + WAIT;
        loop {
            match self.client.find(Locator::Css(css)).await {
                Ok(el) => return Ok(el),
                Err(e) if Instant::now() > deadline => {
                    let url = self
                        .current_url()
                        .await
                        .unwrap_or_else(|e| format!("<unknown: {e}>"));
                    let text = self.page_text().await.unwrap_or_default();
                    let excerpt: String = text.chars().take(1500).collect();
                    bail!(
                        "timed out after {WAIT:?} waiting for `{css}` ({e})\n\
                         current URL: {url}\npage text:\n{excerpt}"
                    );
                }
                Err(_) => tokio::time::sleep(POLL).await,
            }
        }
    }

    /// Clear the field matching `css` and type `text` into it.
    pub async fn fill(&self, css: &str, text: &str) -> anyhow::Result<()> {
        let el = self.wait_for(css).await?;
        el.clear().await.with_context(|| format!("clear `{css}`"))?;
        el.send_keys(text)
            .await
            .with_context(|| format!("type into `{css}`"))
    }

    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        let el = self.wait_for(css).await?;
        el.click().await.with_context(|| format!("click `{css}`"))
    }

    /// Choose the `<option value="value">` of the `<select>` matching `css`.
    pub async fn select_option(&self, css: &str, value: &str) -> anyhow::Result<()> {
        let el = self.wait_for(css).await?;
        el.select_by_value(value)
            .await
            .with_context(|| format!("select `{value}` in `{css}`"))
    }

    /// The rendered (visible) text of the element matching `css`.
    pub async fn text(&self, css: &str) -> anyhow::Result<String> {
        let el = self.wait_for(css).await?;
        el.text().await.with_context(|| format!("text of `{css}`"))
    }

    /// The whole page's rendered text (`document.body.innerText`).
    pub async fn page_text(&self) -> anyhow::Result<String> {
        let v = self
            .client
            .execute(
                "return document.body ? document.body.innerText : '';",
                vec![],
            )
            .await?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// Save a PNG screenshot of the viewport (`VIEWPORT`, 1280x900) to `path`.
    pub async fn screenshot(&self, path: impl AsRef<Path>) -> anyhow::Result<()> {
        let path = path.as_ref();
        let png = self.client.screenshot().await.context("screenshot")?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, png).with_context(|| format!("write {}", path.display()))
    }

    /// The last part of chromedriver's log, for error messages.
    pub fn driver_log(&self) -> String {
        log_tail(&self.driver_log)
    }
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let start = text.len().saturating_sub(4000);
    let start = (start..text.len())
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(text.len());
    text[start..].to_owned()
}

/// Kill chromedriver's process group, any process still using `profile`, reap, remove the dir.
fn kill_all(driver: &mut Child, profile: &Path) {
    let pgid = driver.id();
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = driver.kill();
    let _ = driver.wait();
    // Chromium processes that somehow left the group: those whose command line names our profile.
    let needle = profile.to_string_lossy().into_owned();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
                continue;
            };
            if String::from_utf8_lossy(&cmdline).contains(&needle) {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
        }
    }
    let _ = std::fs::remove_dir_all(profile);
}

/// Cleanup guard while `start` is still setting up.
struct Starting {
    driver: Option<Child>,
    profile: PathBuf,
}

impl Drop for Starting {
    fn drop(&mut self) {
        if let Some(mut driver) = self.driver.take() {
            kill_all(&mut driver, &self.profile);
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        kill_all(&mut self.driver, &self.profile);
    }
}
