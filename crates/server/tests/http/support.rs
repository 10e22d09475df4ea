//! Raw HTTP over a TCP stream, for requests a normal client will not send (a body
//! that never finishes) or whose connection the test must watch from the outside.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An answer read off the wire until the server closed the connection.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub head: String,
    pub json: Value,
}

/// Opens a connection and writes `head` (request line and headers, without the
/// blank line) followed by `body`; returns the stream and its local port.
pub async fn send_raw(addr: std::net::SocketAddr, head: &str, body: &[u8]) -> (TcpStream, u16) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let port = stream.local_addr().expect("local addr").port();
    let mut bytes = format!("{head}\r\nHost: {addr}\r\nConnection: close\r\n\r\n").into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes).await.expect("write request");
    (stream, port)
}

/// Reads the whole answer (the server closes the connection after it).
pub async fn read_response(stream: &mut TcpStream) -> RawResponse {
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut raw))
        .await
        .expect("the server answered within 60 s")
        .expect("read answer");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let json = match (body.find('{'), body.rfind('}')) {
        (Some(a), Some(b)) => serde_json::from_str(&body[a..=b]).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    RawResponse { status, head: head.to_owned(), json }
}

/// Waits (at most 10 s) until the server has read everything the client at
/// `client_port` sent to `server_port` — its receive queue in /proc/net/tcp is
/// empty — so the request is being handled, not merely queued in the kernel.
pub async fn wait_until_server_read(server_port: u16, client_port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp");
        let drained = table.lines().skip(1).any(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let port = |addr: &str| addr.rsplit(':').next().and_then(|p| u16::from_str_radix(p, 16).ok());
            let rx_queue = f.get(4).and_then(|q| q.split(':').nth(1));
            f.len() > 4
                && port(f[1]) == Some(server_port)
                && port(f[2]) == Some(client_port)
                && rx_queue.is_some_and(|q| u64::from_str_radix(q, 16) == Ok(0))
        });
        if drained {
            return;
        }
        assert!(Instant::now() < deadline, "the server did not read the request within 10 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
