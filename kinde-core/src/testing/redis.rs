//! [`TestRedis`]: a real `redis-server` of the test's own, on a free loopback port with
//! a temporary directory, that a test can stop, restart, pause and slow down.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A `redis-server` (Debian's `redis-server` package, or any on `PATH`) started for one
/// test: its own loopback port, its own temporary directory (removed when dropped),
/// append-only persistence (a restart keeps the data) and nothing shared with another
/// test. Dropping it stops the server.
///
/// ```no_run
/// use kinde_core::testing::TestRedis;
/// let redis = TestRedis::start();
/// assert_eq!(redis.command(&["PING"]).unwrap(), "PONG");
/// redis.stop(); // Redis unreachable…
/// redis.restart(); // …and back, with its data
/// ```
pub struct TestRedis {
    port: u16,
    dir: PathBuf,
    child: Mutex<Option<Child>>,
}

impl std::fmt::Debug for TestRedis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestRedis")
            .field("port", &self.port)
            .finish()
    }
}

static STARTED: AtomicU32 = AtomicU32::new(0);

impl TestRedis {
    /// Start a server.
    ///
    /// # Panics
    /// If `redis-server` is not installed or does not start (the message says so).
    pub fn start() -> TestRedis {
        Self::try_start().unwrap_or_else(|e| {
            panic!("could not start redis-server (apt-get install redis-server): {e}")
        })
    }

    /// Start a server, or say why it could not be.
    pub fn try_start() -> io::Result<TestRedis> {
        let port = TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port();
        let n = STARTED.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("kinde-test-redis-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let redis = TestRedis {
            port,
            dir,
            child: Mutex::new(None),
        };
        redis.spawn()?;
        Ok(redis)
    }

    fn spawn(&self) -> io::Result<()> {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port"])
            .arg(self.port.to_string())
            .arg("--dir")
            .arg(&self.dir)
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--enable-debug-command",
                "local",
                "--protected-mode",
                "yes",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        *self.child.lock().unwrap_or_else(|p| p.into_inner()) = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.command(&["PING"]) {
                Ok(pong) if pong == "PONG" => return Ok(()),
                _ if Instant::now() > deadline => {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "redis-server did not answer PING within 10 s",
                    ));
                }
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Stop the server (it is unreachable until [`restart`](Self::restart)).
    pub fn stop(&self) {
        if let Some(mut child) = self.child.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Start the server again on the same port and directory: what it held is back.
    ///
    /// # Panics
    /// If it does not start.
    pub fn restart(&self) {
        self.stop();
        self.spawn().expect("redis-server restarts");
    }

    /// Stop answering every client for `duration` (`CLIENT PAUSE`): commands wait.
    ///
    /// # Panics
    /// If the server refuses.
    pub fn pause(&self, duration: Duration) {
        let millis = duration.as_millis().to_string();
        self.command(&["CLIENT", "PAUSE", &millis, "ALL"])
            .expect("CLIENT PAUSE");
    }

    /// Block the server for `duration` (`DEBUG SLEEP`): a slow Redis. Returns once the
    /// server is asleep; the returned thread ends when it wakes up.
    ///
    /// # Panics
    /// If the command cannot be sent.
    pub fn sleep_in_background(&self, duration: Duration) -> std::thread::JoinHandle<()> {
        let secs = format!("{:.3}", duration.as_secs_f64());
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .write_all(request(&["DEBUG", "SLEEP", &secs]).as_bytes())
            .expect("DEBUG SLEEP");
        // The server takes commands in order: once this one is queued, it sleeps before
        // answering anything sent after it.
        std::thread::sleep(Duration::from_millis(50));
        std::thread::spawn(move || {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
            let _ = read_reply(&mut BufReader::new(stream));
        })
    }

    /// Send one command and read its reply: a simple string, an error (`ERR …`), an
    /// integer, or a bulk string, as text (`(nil)` for none).
    pub fn command(&self, args: &[&str]) -> io::Result<String> {
        command_at(self.port, args)
    }

    /// How many times each command ran (`INFO commandstats`): `(command, calls)`.
    ///
    /// # Panics
    /// If the server does not answer.
    pub fn command_calls(&self) -> Vec<(String, u64)> {
        let info = self.command(&["INFO", "commandstats"]).expect("INFO");
        info.lines()
            .filter_map(|line| {
                let rest = line.strip_prefix("cmdstat_")?;
                let (name, stats) = rest.split_once(':')?;
                let calls = stats.split(',').find_map(|kv| kv.strip_prefix("calls="))?;
                Some((name.to_string(), calls.parse().ok()?))
            })
            .collect()
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn command_at(port: u16, args: &[&str]) -> io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.write_all(request(args).as_bytes())?;
    read_reply(&mut BufReader::new(stream))
}

/// One command in RESP.
fn request(args: &[&str]) -> String {
    let mut request = format!("*{}\r\n", args.len());
    for arg in args {
        request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
    }
    request
}

/// One RESP reply as text; an array's elements one a line.
fn read_reply(reader: &mut BufReader<TcpStream>) -> io::Result<String> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let line = line.trim_end();
    let (kind, rest) = line.split_at(line.len().min(1));
    let length = || {
        rest.parse::<i64>()
            .map_err(|_| io::Error::other(format!("a bad length: {line}")))
    };
    match kind {
        "+" | ":" => Ok(rest.to_string()),
        "-" => Ok(format!("ERR {rest}")),
        "$" => {
            let Ok(len) = usize::try_from(length()?) else {
                return Ok("(nil)".into());
            };
            let mut body = vec![0; len + 2];
            reader.read_exact(&mut body)?;
            body.truncate(len);
            String::from_utf8(body).map_err(io::Error::other)
        }
        "*" => {
            let n = usize::try_from(length()?).unwrap_or(0);
            let items = (0..n)
                .map(|_| read_reply(reader))
                .collect::<io::Result<Vec<_>>>()?;
            Ok(items.join("\n"))
        }
        _ => Err(io::Error::other(format!("an unexpected reply: {line}"))),
    }
}
