//! The NATS JetStream bridge: a subscriber that publishes every event to
//! `<prefix>.<orgId or "platform">.<type>` with `Nats-Msg-Id` set to the event
//! id, so JetStream drops the copies a retried batch sends again (within the
//! stream's duplicate window). The stream is created if absent.

use std::time::Duration;

use async_nats::jetstream::{self, Context};
use tokio::sync::OnceCell;

use crate::config::EventsConfig;
use tessera_kernel::bus::{Event, HandleError, Subscriber};

/// Publishes events to JetStream.
pub struct NatsBridge {
    url: String,
    stream: String,
    prefix: String,
    js: OnceCell<Context>,
}

impl NatsBridge {
    pub fn new(cfg: &EventsConfig) -> Self {
        Self {
            url: cfg.nats_url.clone(),
            stream: cfg.nats_stream.clone(),
            prefix: cfg.nats_subject_prefix.clone(),
            js: OnceCell::new(),
        }
    }

    /// The subject of `event`.
    pub fn subject(&self, event: &Event) -> String {
        let scope = event.org_id.map_or_else(|| "platform".to_owned(), |o| o.to_string());
        format!("{}.{scope}.{}", self.prefix, event.event_type)
    }

    /// Connects and makes sure the stream exists (once; retried by the next batch when it fails).
    async fn context(&self) -> Result<&Context, HandleError> {
        self.js
            .get_or_try_init(|| async {
                let client = async_nats::ConnectOptions::new()
                    .connection_timeout(Duration::from_secs(5))
                    .name("tessera-events")
                    .connect(self.url.as_str())
                    .await
                    .map_err(|e| HandleError(format!("connecting to NATS: {e}")))?;
                let js = jetstream::new(client);
                js.get_or_create_stream(jetstream::stream::Config {
                    name: self.stream.clone(),
                    subjects: vec![format!("{}.>", self.prefix)],
                    duplicate_window: Duration::from_secs(120),
                    ..Default::default()
                })
                .await
                .map_err(|e| HandleError(format!("creating the NATS stream {}: {e}", self.stream)))?;
                Ok(js)
            })
            .await
    }
}

#[async_trait::async_trait]
impl Subscriber for NatsBridge {
    fn name(&self) -> &str {
        "events.nats"
    }

    fn batch_size(&self) -> u64 {
        500
    }

    async fn handle(&self, events: &[Event]) -> Result<(), HandleError> {
        let js = self.context().await?;
        let mut acks = Vec::with_capacity(events.len());
        for event in events {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert(async_nats::header::NATS_MESSAGE_ID, event.id.to_string().as_str());
            headers.insert("Tessera-Event-Type", event.event_type.as_str());
            let ack = js
                .publish_with_headers(self.subject(event), headers, event.to_bytes().into())
                .await
                .map_err(|e| HandleError(format!("publishing {} to NATS: {e}", event.id)))?;
            acks.push(ack);
        }
        for ack in acks {
            ack.await.map_err(|e| HandleError(format!("NATS did not acknowledge: {e}")))?;
        }
        Ok(())
    }
}
