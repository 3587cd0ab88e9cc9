//! Helpers shared by the end-to-end tests: the binary, and `imgconf serve` on a free port.

#![allow(dead_code)] // each test file uses its own subset

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_imgconf"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("IMGCONF_ENDPOINT");
    // A caller's OpenStack credentials (OS_CLOUD, OS_AUTH_URL…) would point runs at their cloud.
    for (k, _) in std::env::vars() {
        if k.starts_with("OS_") || k.starts_with("IMGCONF_PERSONA_") {
            c.env_remove(k);
        }
    }
    c
}

/// `imgconf serve` on a free loopback port; stopped when dropped.
pub struct Server(pub Child, pub String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn serve(extra: &[&str]) -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = bin()
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(extra)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "imgconf serve did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    Server(child, format!("http://127.0.0.1:{port}"))
}
