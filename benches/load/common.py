"""What every load-benchmark mode shares: processes pinned to CPUs, databases, the server's
environment, readiness, RSS from /proc, wrk runs and the machine label. Standard library only."""

import datetime
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
RELEASE = os.path.join(TARGET, "release")
SERVER_BIN = os.path.join(RELEASE, "mcp-oauth")
HELLO_BIN = os.path.join(RELEASE, "examples", "bench_hello")
FLOW_BIN = os.path.join(RELEASE, "examples", "bench_flow")
LUA = os.path.join(ROOT, "benches", "load", "request.lua")
PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")

ADMIN_PASSWORD = "bench-admin-password"
CLIENT = ("mcp_test_client", "test_secret_key_2024")
ECHO_BODY = json.dumps({"message": "hello"})
RPC_BODY = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                       "params": {"name": "echo", "arguments": {"message": "hello"}}})
MCP_HEADERS = "Accept: application/json, text/event-stream|MCP-Protocol-Version: 2025-06-18"
FORM = "Content-Type: application/x-www-form-urlencoded"
JSON = "Content-Type: application/json"


def raise_fd_limit():
    """1,000 connections need more descriptors than the usual soft limit of 1,024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))


def cpus():
    """(server CPU, load-generator CPU): pinned apart on ≥ 2 CPUs unless BENCH_PIN=0."""
    count = os.cpu_count() or 1
    if count < 2 or os.environ.get("BENCH_PIN", "1") == "0" or not shutil.which("taskset"):
        return None, None
    return str(count - 1), ",".join(str(c) for c in range(count - 1))


def pinned(cpu, argv):
    return ["taskset", "-c", cpu, *argv] if cpu else list(argv)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def machine():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "date": datetime.date.today().isoformat()}


def load_average():
    return os.getloadavg()[0]


class Database:
    """A fresh database for one engine, removed by drop()."""

    def __init__(self, engine, name="mcp_oauth_bench"):
        self.engine = engine
        if engine == "sqlite":
            self.dir = tempfile.mkdtemp(prefix="mcp-oauth-bench-")
            self.path = os.path.join(self.dir, "bench.db")
            self.url = f"sqlite://{self.path}"
        else:
            self.name = name
            parts = urllib.parse.urlsplit(PG_ADMIN)
            self.url = urllib.parse.urlunsplit(parts._replace(path="/" + name))
            self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self.psql(f'CREATE DATABASE "{name}"')

    def psql(self, sql, database=None):
        """Runs SQL through psql's standard input (autocommit, stops at the first error)."""
        url = PG_ADMIN
        if database:
            url = urllib.parse.urlunsplit(urllib.parse.urlsplit(PG_ADMIN)._replace(path="/" + database))
        return subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qAt"], input=sql, check=True,
                              capture_output=True, text=True).stdout

    def drop(self):
        if self.engine == "sqlite":
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            self.psql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def server_env(database_url, port, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCP_OAUTH") and k != "RUST_LOG"}
    env.update({
        "MCP_OAUTH__SERVER__BIND": f"127.0.0.1:{port}",
        # One issuer for every instance on the database, whatever its port: tokens stay valid.
        "MCP_OAUTH__SERVER__PUBLIC_URL": "http://127.0.0.1:5000",
        "MCP_OAUTH__SERVER__LOG_FILTER": "warn",
        "MCP_OAUTH__SERVER__LOG_FORMAT": "json",
        "MCP_OAUTH__DATABASE__URL": database_url,
        "MCP_OAUTH__METRICS__BIND": "127.0.0.1:0",
        "MCP_OAUTH__RATE_LIMITS__ENABLED": "false",
        "MCP_OAUTH__BOOTSTRAP__ADMIN_PASSWORD": ADMIN_PASSWORD,
    })
    env.update({f"MCP_OAUTH__{k.upper()}": str(v) for k, v in extra.items()})
    return env


def migrate(database_url):
    env = server_env(database_url, free_port())
    subprocess.run([SERVER_BIN, "migrate"], env=env, check=True, capture_output=True)


class Process:
    """A server process on a loopback port: readiness, RSS, stop."""

    def __init__(self, argv, port, env=None, cpu=None, ready_path="/readyz", any_answer=False, timeout=30.0):
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.log = open(os.devnull, "w")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(pinned(cpu, argv), env=env, stdout=self.log, stderr=self.log)
        # Peers have no readiness route: for them any HTTP answer (a 401) means ready.
        method = "POST" if any_answer else "GET"
        self.probe = (f"{method} {ready_path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
                      "Connection: close\r\n\r\n").encode()
        self.expect = b"HTTP/1.1" if any_answer else b"HTTP/1.1 200"
        try:
            self.ready_ms = self.wait_ready(timeout)
        except RuntimeError:
            self.stop()
            raise

    def wait_ready(self, timeout):
        deadline = self.started + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.proc.args} exited with {self.proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(self.probe)
                    if s.recv(64).startswith(self.expect):
                        return (time.perf_counter() - self.started) * 1000
            except OSError:
                pass
            time.sleep(0.001)
        raise RuntimeError(f"{self.proc.args} not ready within {timeout} s")

    def status(self, field):
        """A /proc/<pid>/status field in MiB (VmRSS now, VmHWM the peak so far)."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_server(database_url, cpu, **settings):
    port = free_port()
    env = server_env(database_url, port, **settings)
    return Process([SERVER_BIN, "serve"], port, env=env, cpu=cpu)


def post_form(url, fields, auth=None):
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(url, data=data, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"POST {url}: {e.code} {e.read()[:300]!r}") from e


def client_credentials(base, scope="mcp:tools"):
    body = post_form(f"{base}/oauth/token", {"grant_type": "client_credentials", "client_id": CLIENT[0],
                                             "client_secret": CLIENT[1], "scope": scope})
    return body["access_token"]


def token_form(scope="mcp:tools"):
    return urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": CLIENT[0],
                                   "client_secret": CLIENT[1], "scope": scope})


def wrk(url, cpu, body=None, headers="", connections=64, seconds=10, threads=1, timeout="10s",
        tokens_file=None, template=None, delay_ms=0, watch=None):
    """One wrk run; returns its done() summary. `watch` (a Process) is sampled for peak RSS."""
    env = dict(os.environ, BENCH_METHOD="POST", BENCH_HEADERS=headers, BENCH_DELAY_MS=str(delay_ms))
    if body is not None:
        env["BENCH_BODY"] = body
    if tokens_file:
        env.update(BENCH_TOKENS_FILE=tokens_file, BENCH_BODY_TEMPLATE=template)
    threads = min(threads, connections)
    argv = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", timeout,
            "-s", LUA, url]
    load_before = load_average()
    peak = Sampler(watch)
    out = subprocess.run(pinned(cpu, argv), env=env, capture_output=True, text=True)
    peak.stop()
    line = [l for l in out.stdout.splitlines() if l.startswith("{")]
    if out.returncode != 0 or not line:
        raise RuntimeError(f"wrk failed: {out.stdout}\n{out.stderr}")
    result = json.loads(line[-1])
    result["load"] = round(max(load_before, load_average()), 2)
    if watch is not None:
        result["rss_mib"] = round(max(peak.peak, watch.status("VmHWM")), 1)
    return result


class Sampler:
    """Samples a process's VmHWM every 100 ms while a run lasts."""

    def __init__(self, process):
        self.process, self.peak, self.done = process, 0.0, threading.Event()
        if process is not None:
            self.thread = threading.Thread(target=self.run, daemon=True)
            self.thread.start()

    def run(self):
        while not self.done.wait(0.1):
            try:
                self.peak = max(self.peak, self.process.status("VmHWM"))
            except OSError:
                return

    def stop(self):
        self.done.set()


def median(values):
    return statistics.median(values) if values else 0.0
