//! What the CLI tests share: a scratch folder to run `tessera` in, a running
//! `tessera serve` with its log, and a look at the server's socket queue.

// Shared by several test binaries, each using only part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

/// A temp folder that is every command's working directory; `data/` is the data dir.
pub struct Scratch(tempfile::TempDir);

impl Scratch {
    pub fn new() -> Self {
        Self(tempfile::tempdir().unwrap())
    }
    pub fn path(&self) -> &Path {
        self.0.path()
    }
    pub fn data(&self) -> PathBuf {
        self.path().join("data")
    }
    /// The binary with no inherited `TESSERA_*` variable and no terminal on stdin.
    pub fn tessera(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tessera"));
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("TESSERA_") {
                cmd.env_remove(key);
            }
        }
        cmd.current_dir(self.path()).arg("--data-dir").arg(self.data()).stdin(Stdio::null());
        cmd
    }
    /// Runs a command to its end (at most 120 s).
    pub fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = self.tessera();
        cmd.args(args).envs(env.iter().copied());
        finish(cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap())
    }
}

pub fn finish(child: Child) -> Output {
    let (tx, rx) = std::sync::mpsc::channel();
    let pid = child.id();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
            panic!("tessera did not finish within 120 s");
        }
    }
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `tessera serve` on a free loopback port, its stderr collected.
pub struct Server {
    child: Child,
    pub port: u16,
    pub base: String,
    log: Arc<Mutex<String>>,
    reader: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start(scratch: &Scratch, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut cmd = scratch.tessera();
        cmd.args(["serve", "--bind", &format!("127.0.0.1:{port}")]);
        // Nodes of one cluster share a public URL (the token issuer), given in `env`.
        if !env.iter().any(|(k, _)| *k == "TESSERA_PUBLIC_URL") {
            cmd.args(["--public-url", &base]);
        }
        cmd.envs(env.iter().copied()).stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let pipe = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let sink = log.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        Self { child, port, base, log, reader: Some(reader) }
    }

    /// Waits (at most 60 s) until `/ready` answers 200.
    pub async fn ready(mut self) -> Self {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(res) = http.get(self.url("/ready")).send().await
                && res.status() == 200
            {
                return self;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("tessera serve exited with {status}: {}", self.log());
            }
            assert!(Instant::now() < deadline, "not ready in 60 s: {}", self.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
    pub fn signal(&self, signal: &str) {
        let sent = Command::new("kill").args([signal, &self.child.id().to_string()]).status().unwrap();
        assert!(sent.success(), "kill {signal}");
    }
    /// Waits (at most 60 s) for the process to end and its log to be read.
    pub fn exit_status(&mut self) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "still running: {}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        };
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        status
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub async fn get_json(url: &str) -> (u16, Value) {
    let res = reqwest::get(url).await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Waits (at most 10 s) until the server has read all that `client_port` sent to
/// `server_port` (its receive queue in /proc/net/tcp is empty).
pub async fn wait_until_server_read(server_port: u16, client_port: u16) {
    let port = |addr: &str| u16::from_str_radix(addr.rsplit(':').next()?, 16).ok();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
        let drained = table.lines().skip(1).any(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            f.len() > 4
                && port(f[1]) == Some(server_port)
                && port(f[2]) == Some(client_port)
                && f[4].split(':').nth(1) == Some("00000000")
        });
        if drained {
            return;
        }
        assert!(Instant::now() < deadline, "the server did not read the request");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
