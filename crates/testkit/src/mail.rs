//! Reading the mail tessera sent: `.eml` files of the file transport, or messages
//! received by a real SMTP server (aiosmtpd) that the test starts.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use mail_parser::MessageParser;

/// One received message.
#[derive(Clone, Debug)]
pub struct ReceivedMail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

impl ReceivedMail {
    /// The first link in the body that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> Option<String> {
        let start = self.text.find(prefix)?;
        let rest = &self.text[start..];
        let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
        Some(rest[..end].to_owned())
    }

    /// The `token` query parameter of the first link starting with `prefix`.
    pub fn token(&self, prefix: &str) -> Option<String> {
        let link = url::Url::parse(&self.link(prefix)?).ok()?;
        link.query_pairs().find(|(k, _)| k == "token").map(|(_, v)| v.into_owned())
    }
}

fn parse(bytes: &[u8]) -> Option<ReceivedMail> {
    let msg = MessageParser::default().parse(bytes)?;
    let to = msg.to().and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or_default().to_owned();
    Some(ReceivedMail {
        to,
        subject: msg.subject().unwrap_or_default().to_owned(),
        text: msg.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
    })
}

/// Every message file under `dir` (recursively), oldest first.
pub(crate) fn read_dir(dir: &Path) -> Vec<ReceivedMail> {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "eml")
                || p.parent().and_then(|d| d.file_name()).is_some_and(|n| n == "new" || n == "cur")
            {
                files.push(p);
            }
        }
    }
    files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    files.iter().filter_map(|p| std::fs::read(p).ok()).filter_map(|b| parse(&b)).collect()
}

/// Polls `read` for up to 10 s until a matching message arrives.
pub(crate) async fn wait_for(read: impl Fn() -> Vec<ReceivedMail>, to: &str, subject: &str) -> ReceivedMail {
    for _ in 0..200 {
        if let Some(m) = read().into_iter().rev().find(|m| m.to.eq_ignore_ascii_case(to) && m.subject.contains(subject))
        {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no mail to {to} with subject containing {subject:?} within 10 s");
}

/// A real SMTP server (Python's aiosmtpd) on a random loopback port, storing
/// what it receives in a maildir. Stopped when dropped.
pub struct SmtpSink {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

impl SmtpSink {
    /// Starts the sink with the Python of `TESSERA_TEST_PYTHON` (default `python3`),
    /// which must have `aiosmtpd` installed (`scripts/test-deps` does it).
    pub async fn start() -> Self {
        let python = std::env::var("TESSERA_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let dir = tempfile::tempdir().expect("maildir");
        let port = free_port();
        let child = Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("maildir"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the SMTP sink with {python} -m aiosmtpd: {e}"));
        let sink = Self { port, dir, child };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return sink;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the SMTP sink did not start on port {port} (is aiosmtpd installed for {python}?)");
    }

    /// The `mail.url` that sends to this sink.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn received(&self) -> Vec<ReceivedMail> {
        read_dir(&self.dir.path().join("maildir"))
    }

    /// Waits (at most 10 s) for a message to `to` whose subject contains `subject`.
    pub async fn mail_to(&self, to: &str, subject: &str) -> ReceivedMail {
        wait_for(|| self.received(), to, subject).await
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}
