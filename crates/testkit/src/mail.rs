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

/// Where the application's mail can be read: its file transport (the `TestApp`)
/// or an [`SmtpSink`].
pub trait Inbox: Sync {
    /// Every message so far, oldest first.
    fn received(&self) -> Vec<ReceivedMail>;
}

impl dyn Inbox + '_ {
    /// Waits (at most 10 s) for a message to `to` whose subject contains `subject`; the newest such.
    pub async fn mail_to(&self, to: &str, subject: &str) -> ReceivedMail {
        wait_for(|| self.received(), to, subject).await
    }
}

impl Inbox for SmtpSink {
    fn received(&self) -> Vec<ReceivedMail> {
        SmtpSink::received(self)
    }
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

/// How the SMTP sink protects its connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpSecurity {
    Plain,
    /// STARTTLS, required before anything else.
    StartTls,
    /// TLS from the first byte (`smtps://`).
    Tls,
}

/// A real SMTP server (Python's aiosmtpd) on a random loopback port, storing
/// what it receives in a maildir. Stopped when dropped.
pub struct SmtpSink {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
    security: SmtpSecurity,
    credentials: Option<(String, String)>,
}

impl SmtpSink {
    /// A plain sink, no TLS, no AUTH.
    pub async fn start() -> Self {
        Self::start_with(SmtpSecurity::Plain, None).await
    }

    /// Starts the sink with the Python of `TESSERA_TEST_PYTHON` (default `python3`),
    /// which must have `aiosmtpd` and `cryptography` (`scripts/test-deps`). With TLS
    /// the sink makes a self-signed certificate, at [`SmtpSink::ca_file`]; with
    /// credentials it requires AUTH.
    pub async fn start_with(security: SmtpSecurity, credentials: Option<(&str, &str)>) -> Self {
        let python = std::env::var("TESSERA_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let dir = tempfile::tempdir().expect("maildir");
        let script = dir.path().join("smtp_sink.py");
        std::fs::write(&script, include_str!("smtp_sink.py")).expect("sink script");
        let port = free_port();
        let mode = match security {
            SmtpSecurity::Plain => "plain",
            SmtpSecurity::StartTls => "starttls",
            SmtpSecurity::Tls => "tls",
        };
        let mut cmd = Command::new(&python);
        cmd.arg(&script).arg(port.to_string()).arg(dir.path().join("maildir")).arg(mode);
        if let Some((user, password)) = credentials {
            cmd.args([user, password]);
        }
        // The sink's own log (expected TLS and AUTH failures included) stays beside its maildir.
        let log = std::fs::File::create(dir.path().join("sink.log")).expect("sink log");
        let child = cmd
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the SMTP sink with {python}: {e}"));
        let credentials = credentials.map(|(u, p)| (u.to_owned(), p.to_owned()));
        let sink = Self { port, dir, child, security, credentials };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return sink;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the SMTP sink did not start on port {port} (is aiosmtpd installed for {python}?)");
    }

    /// The `mail.url` that sends to this sink (with its credentials, if any).
    pub fn url(&self) -> String {
        let auth = match &self.credentials {
            Some((u, p)) => format!("{u}:{p}@"),
            None => String::new(),
        };
        match self.security {
            SmtpSecurity::Plain => format!("smtp://{auth}127.0.0.1:{}", self.port),
            SmtpSecurity::StartTls => format!("smtp://{auth}127.0.0.1:{}?tls=required", self.port),
            SmtpSecurity::Tls => format!("smtps://{auth}127.0.0.1:{}", self.port),
        }
    }

    /// The certificate the sink presents (for `mail.tls_ca_file`).
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
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
