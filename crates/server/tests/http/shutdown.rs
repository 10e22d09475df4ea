//! Graceful shutdown: a request being handled when the server is told to stop
//! still gets its whole answer; new connections are refused afterwards.

use serde_json::json;
use tessera_testkit::spawn_app_with;
use tokio::net::TcpStream;

use crate::support;

#[tokio::test]
async fn stopping_the_server_lets_a_request_in_flight_finish() {
    // A sign-in costs about a second of argon2id, so it is still running when
    // `stop` is called.
    let app = spawn_app_with(|cfg| {
        cfg.set("identity.password.argon2_memory_kib", json!(65536))
            .set("identity.password.argon2_iterations", json!(16))
            .set("server.shutdown_grace_secs", json!(60));
    })
    .await;
    let addr = app.addr;
    let body = json!({ "email": "nobody@example.test", "password": "wrong-password-1" }).to_string();
    let head = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nContent-Type: application/json\r\nx-request-id: in-flight-1\r\nContent-Length: {}",
        body.len()
    );
    let (mut stream, client_port) = support::send_raw(addr, &head, body.as_bytes()).await;
    support::wait_until_server_read(addr.port(), client_port).await;
    let answer = tokio::spawn(async move { support::read_response(&mut stream).await });

    app.stop().await;
    let res = answer.await.unwrap();

    assert_eq!(res.status, 401, "{}", res.head);
    assert_eq!(res.json["error"]["code"], "INVALID_CREDENTIALS");
    assert_eq!(res.json["error"]["requestId"], "in-flight-1");
    assert!(TcpStream::connect(addr).await.is_err(), "a stopped server accepts no new connection");
}
