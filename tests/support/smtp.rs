//! A real SMTP server on loopback for the notification tests: Debian's python3-aiosmtpd,
//! writing what it receives to a maildir.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const PYTHON: &str = "/usr/bin/python3";

/// A running aiosmtpd; stopped when dropped.
pub struct Smtp {
    child: Child,
    pub maildir: PathBuf,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether aiosmtpd is installed (CI sets `DOORBRAAK_REQUIRE_SMTP=1`: then it must be).
pub fn available() -> bool {
    let ok = Command::new(PYTHON)
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok || std::env::var("DOORBRAAK_REQUIRE_SMTP").as_deref() != Ok("1"),
        "aiosmtpd is missing: apt-get install python3-aiosmtpd"
    );
    ok
}

/// aiosmtpd on `port` with its maildir at `maildir`; returns once it listens.
pub async fn start(port: u16, maildir: &Path) -> Smtp {
    let child = Command::new(PYTHON)
        .args(["-m", "aiosmtpd", "-n", "-l"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let smtp = Smtp {
        child,
        maildir: maildir.to_owned(),
    };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return smtp;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("aiosmtpd did not start on port {port}");
}

/// Days from today to the next Dutch working day (mails of a pick-up go out on those only).
pub fn working_day_offset() -> i64 {
    let now = jiff::Timestamp::now();
    (0..10i64)
        .find(|d| {
            let t = now
                .checked_add(jiff::SignedDuration::from_hours(24 * d))
                .unwrap();
            doorbraak_model::calendar::is_working_day(doorbraak_app::time::date(t))
        })
        .unwrap()
}
