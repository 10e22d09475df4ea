//! Outgoing e-mail. Services enqueue a [`Mail`] as a job in their transaction; a
//! worker sends it through SMTP (lettre: plain, STARTTLS or TLS, with auth) or writes
//! an `.eml` file, retrying with backoff, so a slow mail server never slows a request.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::AsyncSmtpTransportBuilder;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::{ConnectionTrait, DbErr};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::{DataConfig, MailConfig};
use crate::jobs::{JobError, JobHandler, Jobs};

/// Job kind of an outgoing message.
pub const JOB_KIND: &str = "mail.send";

/// A message ready to send.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(AsyncFileTransport<Tokio1Executor>),
}

/// With `mail.tls_ca_file` set, trusts that authority too for the TLS the URL asks for.
fn trust_private_ca(
    builder: AsyncSmtpTransportBuilder,
    cfg: &MailConfig,
) -> Result<AsyncSmtpTransportBuilder, MailError> {
    if cfg.tls_ca_file.trim().is_empty() {
        return Ok(builder);
    }
    let err = |e: &dyn std::fmt::Display| MailError::Config(format!("mail.tls_ca_file: {e}"));
    let url = url::Url::parse(&cfg.url).map_err(|e| MailError::Config(format!("mail.url: {e}")))?;
    let host = url.host_str().unwrap_or_default().to_owned();
    let pem = std::fs::read(&cfg.tls_ca_file).map_err(|e| err(&e))?;
    let params = TlsParameters::builder(host)
        .add_root_certificate(Certificate::from_pem(&pem).map_err(|e| err(&e))?)
        .build_rustls()
        .map_err(|e| err(&e))?;
    let tls = url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
    Ok(match (url.scheme(), tls.as_deref()) {
        ("smtps", _) => builder.tls(Tls::Wrapper(params)),
        (_, Some("required")) => builder.tls(Tls::Required(params)),
        (_, Some("opportunistic")) => builder.tls(Tls::Opportunistic(params)),
        _ => builder,
    })
}

/// Sends mail through the configured transport.
#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
    max_attempts: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail configuration: {0}")]
    Config(String),
}

impl Mailer {
    /// Builds the transport named by `mail.url`.
    pub fn new(cfg: &MailConfig, data: &DataConfig) -> Result<Self, MailError> {
        let from: Mailbox = cfg.from.parse().map_err(|e| MailError::Config(format!("mail.from: {e}")))?;
        let transport = if let Some(dir) = cfg.url.strip_prefix("file://") {
            let dir = if dir.is_empty() { data.dir.join("mail") } else { PathBuf::from(dir) };
            std::fs::create_dir_all(&dir)
                .map_err(|e| MailError::Config(format!("mail.url: cannot create {}: {e}", dir.display())))?;
            Transport::File(AsyncFileTransport::new(dir))
        } else {
            let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&cfg.url)
                .map_err(|e| MailError::Config(format!("mail.url: {e}")))?
                .timeout(Some(std::time::Duration::from_secs(30)));
            Transport::Smtp(trust_private_ca(builder, cfg)?.build())
        };
        Ok(Self { from, transport, max_attempts: cfg.max_attempts })
    }

    /// The folder `.eml` files go to, when the file transport is in use.
    pub fn file_dir(cfg: &MailConfig, data: &DataConfig) -> Option<PathBuf> {
        cfg.url
            .strip_prefix("file://")
            .map(|d| if d.is_empty() { data.dir.join("mail") } else { Path::new(d).to_path_buf() })
    }

    /// Queues `mail` on `conn` (the caller's transaction); wake `jobs` after commit.
    pub async fn enqueue<C: ConnectionTrait>(&self, jobs: &Jobs, conn: &C, mail: &Mail) -> Result<(), DbErr> {
        jobs.enqueue(conn, JOB_KIND, mail, self.max_attempts).await.map(|_| ())
    }

    /// Sends one message now.
    pub async fn send(&self, mail: &Mail) -> Result<(), JobError> {
        let to: Mailbox = mail.to.parse().map_err(|e| JobError::Permanent(format!("bad recipient: {e}")))?;
        let builder = Message::builder().from(self.from.clone()).to(to).subject(mail.subject.clone());
        let message = match &mail.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(mail.text.clone(), html.clone())),
            None => builder.body(mail.text.clone()),
        }
        .map_err(|e| JobError::Permanent(format!("cannot build message: {e}")))?;
        match &self.transport {
            Transport::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| {
                if e.is_permanent() { JobError::Permanent(e.to_string()) } else { JobError::Retry(e.to_string()) }
            }),
            Transport::File(t) => t.send(message).await.map(|_| ()).map_err(|e| JobError::Retry(e.to_string())),
        }
    }

    /// Registers the sending job with the queue.
    pub fn register(self: &Arc<Self>, jobs: &Jobs) {
        jobs.register(JOB_KIND, Arc::new(SendMail(self.clone())));
    }
}

struct SendMail(Arc<Mailer>);

#[async_trait::async_trait]
impl JobHandler for SendMail {
    async fn run(&self, payload: Value) -> Result<(), JobError> {
        let mail: Mail = serde_json::from_value(payload).map_err(|e| JobError::Permanent(e.to_string()))?;
        self.0.send(&mail).await
    }
}
