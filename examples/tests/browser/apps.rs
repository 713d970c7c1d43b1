//! The demo apps as a person starts them: the `axum-app` and `actix-app` binaries, on a
//! free loopback port, with the embedded local Kinde server (no `KINDE_DOMAIN`) or with
//! the `KINDE_*` variables of another provider.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::chrome::free_port;

/// The demo apps, by name and binary.
pub const AXUM_APP: (&str, &str) = ("axum-app", env!("CARGO_BIN_EXE_axum-app"));
/// See [`AXUM_APP`].
pub const ACTIX_APP: (&str, &str) = ("actix-app", env!("CARGO_BIN_EXE_actix-app"));

/// A running demo app, stopped when dropped.
pub struct DemoApp {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub origin: String,
}

impl DemoApp {
    /// Start `app` with `env` on top of an environment without Kinde or Redis settings,
    /// and wait until it says it is listening.
    pub fn start(app: (&str, &str), env: &[(&str, String)]) -> DemoApp {
        let (name, path) = app;
        let port = free_port();
        let mut cmd = Command::new(path);
        for (var, _) in std::env::vars() {
            if var.starts_with("KINDE_") || var == "REDIS_URL" {
                cmd.env_remove(var);
            }
        }
        cmd.env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("{name} does not start: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        // Read its start-up lines (and keep draining, so the app never blocks on a full
        // pipe).
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let origin = format!("http://127.0.0.1:{port}");
        loop {
            match rx.recv_timeout(Duration::from_secs(60)) {
                Ok(line) if line.contains(&format!("listening on {origin}")) => break,
                Ok(_) => {}
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("{name} did not say it was listening on {origin}");
                }
            }
        }
        DemoApp { child, origin }
    }

    /// The absolute URL of `path` on this app.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    /// Whether `url` is on this app.
    pub fn owns(&self, url: &url::Url) -> bool {
        url.origin().ascii_serialization() == self.origin
    }
}

impl Drop for DemoApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
