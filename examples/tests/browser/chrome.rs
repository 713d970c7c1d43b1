//! Headless Chromium driven through WebDriver: Debian's `chromium` and `chromedriver`
//! (or `CHROMIUM` and `CHROMEDRIVER`), started per test with a profile of its own, and
//! the steps of a test, each screenshotted so that a failure leaves the pictures of
//! every step up to it in a folder named in the failure message.

use std::future::Future;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use fantoccini::cookies::Cookie;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

/// How long a page may take to show what a step waits for.
const PATIENCE: Duration = Duration::from_secs(20);

fn program(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_string())
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// One browser: its chromedriver, its WebDriver session, its profile directory, and
/// the screenshots of the steps so far.
pub struct Chrome {
    /// The WebDriver session.
    pub client: Client,
    driver: Driver,
    profile: PathBuf,
    test: String,
    shots: Vec<(String, Vec<u8>)>,
}

impl Chrome {
    /// Start chromedriver on a free loopback port and a headless Chromium under it, for
    /// the test named `test` (the name of its screenshot folder).
    pub async fn start(test: &str) -> Chrome {
        let chromedriver = program("CHROMEDRIVER", "/usr/bin/chromedriver");
        let chromium = program("CHROMIUM", "/usr/bin/chromium");
        for p in [&chromedriver, &chromium] {
            assert!(
                Path::new(p).exists(),
                "{p} is missing: install Debian's chromium and chromium-driver \
                 (`bash scripts/browser.sh` does), or set CHROMIUM and CHROMEDRIVER"
            );
        }
        let port = free_port();
        // Killed on drop from here on, also when the start below fails.
        let mut driver = Driver(
            Command::new(&chromedriver)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("{chromedriver} does not start: {e}")),
        );
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = driver.0.try_wait() {
                panic!("{chromedriver} exited at start (port {port} taken?): {status}");
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "{chromedriver} not listening after {PATIENCE:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = std::env::temp_dir().join(format!(
            "kinde-browser-{}-{}-{port}",
            test,
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).expect("a profile directory");
        // The flags the machine's own probe runs Chromium with: headless, no sandbox
        // (CI runs as root), and none of the background connections to Google's hosts
        // that a closed network refuses.
        let args = [
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--window-size=1024,768".into(),
            // Only loopback resolves: a page that links a font or script elsewhere (as
            // oidc-provider's pages do) fails at once instead of waiting on the network.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1".into(),
            format!("--user-data-dir={}", profile.display()),
        ];
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        });
        let caps = match caps {
            serde_json::Value::Object(map) => map,
            _ => unreachable!("an object literal"),
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| panic!("no WebDriver session with {chromium}: {e}"));
        Chrome {
            client,
            driver,
            profile,
            test: test.to_string(),
            shots: Vec::new(),
        }
    }

    /// The folder this test's screenshots go to when a step fails.
    pub fn screenshot_dir(&self) -> PathBuf {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
        target.join("browser-screenshots").join(&self.test)
    }

    /// Run one step of the test. Its screenshot is kept; if it fails, the screenshots
    /// of every step so far (this one included) are written to [`Self::screenshot_dir`]
    /// and the test fails with the step's name, its error, the page's URL and that
    /// folder.
    pub async fn step<T, F>(&mut self, name: &str, run: impl FnOnce(Client) -> F) -> T
    where
        F: Future<Output = anyhow::Result<T>>,
    {
        let outcome = run(self.client.clone()).await;
        let shot = self.client.screenshot().await.unwrap_or_default();
        self.shots.push((name.to_string(), shot));
        match outcome {
            Ok(value) => value,
            Err(err) => {
                let url = self
                    .client
                    .current_url()
                    .await
                    .map(|u| u.to_string())
                    .unwrap_or_else(|e| format!("(no URL: {e})"));
                let dir = self.screenshot_dir();
                let _ = std::fs::remove_dir_all(&dir);
                let _ = std::fs::create_dir_all(&dir);
                for (i, (step, png)) in self.shots.iter().enumerate() {
                    let file: String = step
                        .chars()
                        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                        .collect();
                    let _ = std::fs::write(dir.join(format!("{:02}-{file}.png", i + 1)), png);
                }
                // End the browser properly before failing (the drop then only stops
                // chromedriver).
                let _ = self.client.clone().close().await;
                panic!(
                    "browser step `{name}` failed: {err:#}\n  at {url}\n  screenshots of every step: {}",
                    dir.display()
                );
            }
        }
    }

    /// End the WebDriver session (closing the browser).
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Chrome {
    fn drop(&mut self) {
        self.driver.stop();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// The chromedriver process, stopped when dropped.
struct Driver(Child);

impl Driver {
    fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The text of the page as a person sees it (`document.body.innerText`).
pub async fn page_text(c: &Client) -> anyhow::Result<String> {
    let body = c.find(Locator::Css("body")).await.context("no <body>")?;
    Ok(body.text().await?)
}

/// Wait until the page's text contains `text`; the last text seen is in the error.
pub async fn wait_for_text(c: &Client, text: &str) -> anyhow::Result<String> {
    let started = Instant::now();
    loop {
        let seen = page_text(c).await.unwrap_or_default();
        if seen.contains(text) {
            return Ok(seen);
        }
        if started.elapsed() > PATIENCE {
            bail!("the page never showed {text:?}; it shows:\n{seen}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Wait until the address bar shows a URL for which `ok` holds.
pub async fn wait_for_url(
    c: &Client,
    what: &str,
    ok: impl Fn(&url::Url) -> bool,
) -> anyhow::Result<url::Url> {
    let started = Instant::now();
    loop {
        let url = c.current_url().await?;
        if ok(&url) {
            return Ok(url);
        }
        if started.elapsed() > PATIENCE {
            bail!("the address bar never showed {what}; it shows {url}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Click the element `css` whose text contains `label`.
pub async fn click_labelled(c: &Client, css: &str, label: &str) -> anyhow::Result<()> {
    for el in c.find_all(Locator::Css(css)).await? {
        if el.text().await?.contains(label) {
            el.click().await?;
            return Ok(());
        }
    }
    bail!("no {css} labelled {label:?} on the page")
}

/// The cookie named `name` as the browser holds it for the current page.
pub async fn cookie(c: &Client, name: &str) -> anyhow::Result<Option<Cookie<'static>>> {
    Ok(c.get_all_cookies()
        .await?
        .into_iter()
        .find(|k| k.name() == name))
}

/// What the page's own scripts see of the cookies (`document.cookie`).
pub async fn script_cookies(c: &Client) -> anyhow::Result<String> {
    let v = c.execute("return document.cookie", vec![]).await?;
    Ok(v.as_str().unwrap_or_default().to_string())
}
