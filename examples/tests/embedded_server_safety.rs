//! The demo apps and the embedded local Kinde server, which lets anyone sign in as any
//! demo user: run as a user would, without `KINDE_DOMAIN`, an app that would listen
//! beyond this machine refuses to start, and one on loopback says loudly that it uses
//! a test server.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const APPS: [&str; 3] = [
    env!("CARGO_BIN_EXE_axum-app"),
    env!("CARGO_BIN_EXE_actix-app"),
    env!("CARGO_BIN_EXE_axum-api"),
];

/// `app` with no Kinde configured and no Redis, listening on `host`.
fn app(path: &str, host: &str, port: u16) -> Command {
    let mut cmd = Command::new(path);
    for var in [
        "KINDE_DOMAIN",
        "KINDE_HOST",
        "KINDE_ISSUER_URL",
        "REDIS_URL",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("HOST", host)
        .env("PORT", port.to_string())
        .env("RUST_LOG", "warn");
    cmd
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

#[test]
fn without_kinde_domain_a_non_loopback_app_refuses_to_start() {
    for path in APPS {
        for host in ["0.0.0.0", "::", "192.0.2.10"] {
            let out = app(path, host, free_port()).output().expect("the app runs");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{path} HOST={host}: {stderr}");
            assert!(stderr.contains("Refusing to start"), "{stderr}");
            assert!(stderr.contains("KINDE_DOMAIN"), "{stderr}");
            assert!(stderr.contains(&format!("HOST={host}")), "{stderr}");
            assert!(!stderr.contains("panicked"), "{stderr}");
            // It never got as far as listening or starting the test server.
            assert!(!String::from_utf8_lossy(&out.stdout).contains("listening"));
        }
    }
}

#[test]
fn a_bad_host_is_a_clear_error() {
    let out = app(APPS[0], "my-laptop", free_port())
        .output()
        .expect("the app runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("HOST: `my-laptop` is not an IP address"),
        "{stderr}"
    );
}

#[test]
fn on_loopback_the_app_starts_and_warns_that_its_kinde_is_a_test_server() {
    for path in APPS {
        for host in ["127.0.0.1", "localhost"] {
            let mut child = app(path, host, free_port())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the app starts");
            let stderr = child.stderr.take().expect("piped stderr");
            // The first line on stderr is the warning (read until it comes; the app
            // runs until killed).
            let mut first = String::new();
            BufReader::new(stderr)
                .read_line(&mut first)
                .expect("a line on stderr");
            child.kill().expect("stop the app");
            child.wait().expect("the app stopped");
            assert!(
                first.starts_with("WARNING: local Kinde TEST server at http://127.0.0.1:"),
                "{path} HOST={host}: {first}"
            );
            assert!(first.contains("NOT for production"), "{first}");
        }
    }
}
