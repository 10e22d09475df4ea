//! One attempt: the signed POST of a delivery's envelope, and what came back
//! (status, headers, body cut at 16 KB, duration). The SSRF guard checks the
//! URL before every attempt and every address the host resolves to at connect
//! time; redirects are not followed.

use std::time::Instant;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use futures::StreamExt;
use serde_json::{Map, Value};

use super::Webhooks;
use crate::entity::{deliveries, endpoints};
use crate::signing::{self, SigningSecret};

/// The most of a response body kept.
pub const BODY_CAP: usize = 16 * 1024;

/// What an attempt produced.
#[derive(Debug, Clone)]
pub struct AttemptResult {
    pub attempted_at: i64,
    pub duration_ms: i32,
    pub status: Option<u16>,
    pub headers: Option<Value>,
    pub body: Option<String>,
    pub error: Option<String>,
    /// Seconds the endpoint asked to wait (`Retry-After` on 429/503), counted from the
    /// attempt's start for the date form; the recorder caps it at a day.
    pub retry_after: Option<u64>,
}

impl AttemptResult {
    pub fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

impl Webhooks {
    /// Sends `delivery` to `endpoint` once.
    pub async fn attempt(&self, endpoint: &endpoints::Model, delivery: &deliveries::Model) -> AttemptResult {
        let started = Instant::now();
        let attempted_at = self.core.clock.now_ms();
        let mut result = AttemptResult {
            attempted_at,
            duration_ms: 0,
            status: None,
            headers: None,
            body: None,
            error: None,
            retry_after: None,
        };
        let url = match self.guard.check_url(&endpoint.url) {
            Ok(url) => url,
            Err(e) => {
                result.error = Some(e.to_string());
                return result;
            }
        };
        let body = serde_json::to_vec(&delivery.payload).unwrap_or_default();
        let timestamp = attempted_at / 1_000;
        let msg_id = delivery.event_id.to_string();
        let secrets = self.secrets(endpoint, attempted_at);
        let refs: Vec<&SigningSecret> = secrets.iter().collect();
        let signature = signing::signature_header(&refs, &msg_id, timestamp, &body);
        let mut headers = HeaderMap::new();
        for (k, v) in self.open_headers(endpoint) {
            if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(&v)) {
                headers.insert(name, value);
            }
        }
        let set = |h: &mut HeaderMap, k: &'static str, v: &str| {
            if let Ok(v) = HeaderValue::from_str(v) {
                h.insert(HeaderName::from_static(k), v);
            }
        };
        set(&mut headers, signing::HEADER_ID, &msg_id);
        set(&mut headers, signing::HEADER_TIMESTAMP, &timestamp.to_string());
        set(&mut headers, signing::HEADER_SIGNATURE, &signature);
        set(&mut headers, "content-type", "application/json");
        let sent = self.client.post(url).headers(headers).body(body).send().await;
        match sent {
            Err(e) => {
                let why = match tessera_kernel::ssrf::SsrfError::find_in(&e) {
                    Some(ssrf) => ssrf.to_string(),
                    None if e.is_timeout() => "timed out".to_owned(),
                    None if e.is_connect() => format!("connection failed: {}", root_cause(&e)),
                    None => root_cause(&e),
                };
                result.error = Some(why);
            }
            Ok(res) => {
                let status = res.status().as_u16();
                result.status = Some(status);
                if status == 429 || status == 503 {
                    result.retry_after = res
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| retry_after_secs(v, attempted_at));
                }
                let mut kept = Map::new();
                for (k, v) in res.headers().iter().take(50) {
                    kept.insert(
                        k.as_str().to_owned(),
                        Value::String(String::from_utf8_lossy(v.as_bytes()).chars().take(1024).collect()),
                    );
                }
                result.headers = Some(Value::Object(kept));
                let (body, err) = read_capped(res).await;
                result.body = Some(body);
                if let Some(err) = err {
                    result.error = Some(err);
                }
                if !result.ok() && result.error.is_none() {
                    result.error = Some(format!("the endpoint answered {status}"));
                }
            }
        }
        result.duration_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
        result
    }
}

/// The wait a `Retry-After` value asks for, in seconds from `attempted_at` (ms): either a
/// number of seconds or an HTTP date (IMF-fixdate, or the obsolete RFC 850 and asctime
/// forms every HTTP recipient must read). A date already past asks for no wait; a value
/// that is neither is ignored.
fn retry_after_secs(value: &str, attempted_at: i64) -> Option<u64> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(secs);
    }
    let until = httpdate::parse_http_date(value).ok()?;
    let until_ms = until.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
    let from_ms = u128::try_from(attempted_at).unwrap_or(0);
    // Rounded up: waiting a fraction of a second less than asked would come too early.
    Some(u64::try_from(until_ms.saturating_sub(from_ms).div_ceil(1_000)).unwrap_or(u64::MAX))
}

/// The body, up to [`BODY_CAP`] bytes; the rest is never read.
async fn read_capped(res: reqwest::Response) -> (String, Option<String>) {
    let mut buf = Vec::new();
    let mut stream = res.bytes_stream();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => {
                let room = BODY_CAP - buf.len();
                buf.extend_from_slice(&bytes[..bytes.len().min(room)]);
                if buf.len() >= BODY_CAP {
                    break;
                }
            }
            Err(e) => return (capped_text(buf), Some(format!("reading the response: {e}"))),
        }
    }
    (capped_text(buf), None)
}

/// The kept bytes as text, never longer than [`BODY_CAP`]: a character the cap cut in two is
/// dropped (a replacement character in its place would add bytes the endpoint never sent).
fn capped_text(mut buf: Vec<u8>) -> String {
    if buf.len() >= BODY_CAP {
        let tail = buf.len().saturating_sub(3);
        if let Some(lead) = (tail..buf.len()).rev().find(|&i| buf[i] & 0xC0 != 0x80) {
            let len = match buf[lead] {
                b if b >= 0xF0 => 4,
                b if b >= 0xE0 => 3,
                b if b >= 0xC0 => 2,
                _ => 1,
            };
            if lead + len > buf.len() {
                buf.truncate(lead);
            }
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

#[cfg(test)]
mod tests {
    use super::{BODY_CAP, capped_text, retry_after_secs};

    /// 2015-10-21T07:28:00Z in milliseconds.
    const AT: i64 = 1_445_412_480_000;

    #[test]
    fn retry_after_reads_seconds_and_every_http_date_form() {
        assert_eq!(retry_after_secs("120", AT), Some(120));
        assert_eq!(retry_after_secs(" 0 ", AT), Some(0));
        assert_eq!(retry_after_secs("Wed, 21 Oct 2015 07:30:00 GMT", AT), Some(120));
        assert_eq!(retry_after_secs("Wednesday, 21-Oct-15 07:30:00 GMT", AT), Some(120));
        assert_eq!(retry_after_secs("Wed Oct 21 07:30:00 2015", AT), Some(120));
        // Counted from the attempt, rounded up to whole seconds.
        assert_eq!(retry_after_secs("Wed, 21 Oct 2015 07:30:00 GMT", AT + 500), Some(120));
        assert_eq!(retry_after_secs("Wed, 21 Oct 2015 07:30:00 GMT", AT + 1_000), Some(119));
        // A date in the past asks for no wait.
        assert_eq!(retry_after_secs("Wed, 21 Oct 2015 07:00:00 GMT", AT), Some(0));
        assert_eq!(retry_after_secs("Thu, 01 Jan 1970 00:00:00 GMT", AT), Some(0));
        for junk in ["", "-5", "1.5", "soon", "Wed, 32 Oct 2015 07:30:00 GMT", "2015-10-21T07:30:00Z"] {
            assert_eq!(retry_after_secs(junk, AT), None, "{junk:?}");
        }
    }

    #[test]
    fn a_character_cut_by_the_cap_is_dropped() {
        let euros: Vec<u8> = "€".repeat(BODY_CAP).into_bytes()[..BODY_CAP].to_vec();
        let text = capped_text(euros);
        assert!(text.len() <= BODY_CAP && text.chars().all(|c| c == '€'), "{}", text.len());
        assert_eq!(text.len(), BODY_CAP / 3 * 3);
        let ascii = vec![b'x'; BODY_CAP];
        assert_eq!(capped_text(ascii).len(), BODY_CAP);
        // Below the cap, invalid bytes stay visible as replacement characters.
        assert_eq!(capped_text(vec![b'a', 0xE2, 0x82]), "a\u{fffd}");
    }
}
