//! The `blocking-cli` binary, run as a user would: against the embedded Kinde server.

use std::process::Command;

fn cli(args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_blocking-cli"));
    for var in [
        "KINDE_DOMAIN",
        "KINDE_HOST",
        "KINDE_ISSUER_URL",
        "KINDE_M2M_AUDIENCE",
    ] {
        cmd.env_remove(var);
    }
    cmd.args(args).output().expect("blocking-cli runs")
}

#[test]
fn verifies_an_m2m_token_and_a_demo_user_token() {
    let out = cli(&["--demo"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("machine-to-machine token for http://127.0.0.1:"),
        "{stdout}"
    );
    assert!(stdout.contains("\"client_credentials\""), "{stdout}");
    assert!(stdout.contains("user access token verified"), "{stdout}");
    assert!(stdout.contains("kp_demo_admin"), "{stdout}");
    assert!(stdout.contains("read:todos"), "{stdout}");
}

#[test]
fn a_bad_token_is_a_clear_message_and_exit_status_1() {
    for bad in ["not-a-jwt", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."] {
        let out = cli(&[bad]);
        assert_eq!(out.status.code(), Some(1), "{bad}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("invalid token:"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
