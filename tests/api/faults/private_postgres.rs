//! A throwaway Postgres cluster the fault tests may crash and restart: the shared server on
//! 5432 (every other suite's) is never touched.
//!
//! `initdb` into a temporary folder rather than `pg_createcluster`: nothing is registered in
//! `/etc/postgresql`, so a test killed half-way leaves no cluster that would come back on the
//! next boot, and the same code works as root (server run as `postgres` via `runuser`) and as
//! an ordinary user (server run as that user).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output};

use crate::helpers::free_loopback_port;

pub struct PrivatePostgres {
    bin: PathBuf,
    /// `runuser`, when we are root: the server refuses to run as root, so it runs as `postgres`.
    runuser: Option<PathBuf>,
    dir: tempfile::TempDir,
    port: u16,
}

/// The account the server runs as when the tests run as root.
const ACCOUNT: &str = "postgres";

/// Environment variable that turns a missing Postgres toolchain into a failure (set by CI).
const REQUIRED: &str = "TEST_REQUIRE_PRIVATE_POSTGRES";

impl PrivatePostgres {
    /// A fresh cluster, initialised and started; `None` after a loud notice when the server
    /// binaries (or, as root, the `postgres` account) are missing.
    pub fn start_new() -> Option<Self> {
        let (bin, runuser) = match toolchain() {
            Ok(found) => found,
            Err(why) => {
                if std::env::var_os(REQUIRED).is_some() {
                    panic!("{REQUIRED} is set but the private Postgres cannot run: {why}");
                }
                // The raw handle, so libtest's capture does not hide it.
                let notice = format!(
                    "\n*** SKIPPED: the Postgres-restart fault test needs its own cluster, \
                     but {why}. Install the `postgresql` package (CI does). ***\n"
                );
                let _ = std::io::stderr().write_all(notice.as_bytes());
                return None;
            }
        };
        let dir = tempfile::tempdir().expect("temp dir for the private cluster");
        let mut cluster = Self {
            bin,
            runuser,
            dir,
            port: 0,
        };
        if cluster.runuser.is_some() {
            cluster.run(Command::new("chown").arg(ACCOUNT).arg(cluster.dir.path()));
        }
        let data = cluster.data_dir();
        // --no-sync only speeds up initdb itself; the running server keeps fsync on.
        cluster.run(
            cluster
                .tool("initdb")
                .arg("-D")
                .arg(&data)
                .args(["-U", "postgres", "--auth=trust", "--no-sync"])
                .args(["-E", "UTF8", "--locale=C"]),
        );
        let conf = "listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\n";
        std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .and_then(|mut f| f.write_all(conf.as_bytes()))
            .expect("configure the private cluster");
        // The port was free a moment ago; should it be taken by now, try another.
        for attempt in 0.. {
            cluster.port = free_loopback_port();
            match cluster.try_start() {
                Ok(()) => return Some(cluster),
                Err(error) if attempt < 3 => eprintln!("private postgres: {error}; retrying"),
                Err(error) => panic!("{error}"),
            }
        }
        unreachable!()
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`: trust auth, loopback only.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server (again) on the same port and data, waiting until it accepts connections.
    pub fn start(&self) {
        self.try_start().unwrap_or_else(|error| panic!("{error}"));
    }

    /// Crash-stops the server: no checkpoint, the next start replays the WAL.
    pub fn stop_immediately(&self) {
        self.run(&mut self.pg_ctl(&["stop", "-m", "immediate", "-w", "-t", "30"]));
    }

    fn try_start(&self) -> Result<(), String> {
        let log = self.dir.path().join("postgres.log");
        let port = format!("-p {}", self.port);
        let mut command = self.pg_ctl(&["start", "-w", "-t", "30", "-o", &port]);
        let output = command.arg("-l").arg(&log).output().expect("pg_ctl runs");
        if output.status.success() {
            return Ok(());
        }
        let server_log = std::fs::read_to_string(&log).unwrap_or_default();
        Err(format!(
            "private postgres did not start on port {}: {}\n{}",
            self.port,
            describe(&output),
            tail(&server_log, 20)
        ))
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn pg_ctl(&self, args: &[&str]) -> Command {
        let mut command = self.tool("pg_ctl");
        command.arg("-D").arg(self.data_dir()).args(args);
        command
    }

    /// A server tool, as the `postgres` account when we are root; run from the cluster's
    /// folder, which that account can read (it may not be able to read the test's cwd).
    fn tool(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        let mut command = match &self.runuser {
            Some(runuser) => {
                let mut c = Command::new(runuser);
                c.args(["-u", ACCOUNT, "--"]).arg(program);
                c
            }
            None => Command::new(program),
        };
        command.current_dir(self.dir.path());
        command
    }

    fn run(&self, command: &mut Command) {
        let output = command.output().expect("command runs");
        assert!(
            output.status.success(),
            "{:?}: {}",
            command,
            describe(&output)
        );
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        // Runs on failure too; the temporary folder (data and log) goes with `dir`.
        let _ = self
            .pg_ctl(&["stop", "-m", "immediate", "-w", "-t", "30"])
            .output();
    }
}

/// The server binaries (newest Debian-packaged version first, then PATH) and, as root, `runuser`.
fn toolchain() -> Result<(PathBuf, Option<PathBuf>), String> {
    let packaged = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version: u32 = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, bin)| bin.join("initdb").is_file() && bin.join("pg_ctl").is_file())
        .max_by_key(|(version, _)| *version)
        .map(|(_, bin)| bin.join("initdb"));
    let initdb = packaged
        .or_else(|| find_program("initdb"))
        .ok_or("initdb and pg_ctl were not found (/usr/lib/postgresql/*/bin or PATH)")?;
    let bin = initdb.parent().expect("a file has a folder").to_path_buf();
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| e.to_string())?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Ok((bin, None));
    }
    let has_account = Command::new("id")
        .arg(ACCOUNT)
        .output()
        .is_ok_and(|o| o.status.success());
    match find_program("runuser") {
        Some(runuser) if has_account => Ok((bin, Some(runuser))),
        _ => Err("running as root needs the `postgres` account and `runuser`".into()),
    }
}

/// A program on PATH, or in /usr/sbin (not on every user's PATH).
fn find_program(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .chain([PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

fn describe(output: &Output) -> String {
    format!(
        "{}; {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The last `lines` lines of a log, for failure messages.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
