"""The gateway's cost: `tools/call` of the built-in echo (the baseline) against the same call
forwarded to server-everything's echo over stdio and over Streamable HTTP, in alternating rounds
on one server process (its upstreams pinned to the server's CPU too). Writes a markdown report.
Run through benches/load/run.sh gateway; needs `npm ci` in tests/upstreams."""

import argparse
import json
import os
import tempfile
import time
import urllib.request

import common as c

EVERYTHING = os.path.join(c.ROOT, "tests", "upstreams", "node_modules", "@modelcontextprotocol",
                          "server-everything", "dist", "index.js")


def call_body(tool):
    return json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                       "params": {"name": tool, "arguments": {"message": "hello"}}})


def config(http_port, concurrency):
    return f"""
[[mcp.upstreams]]
name = "stdio"
transport = "stdio"
command = "node"
args = [{json.dumps(EVERYTHING)}, "stdio"]
allow = ["echo"]
max_concurrent = {concurrency}

[[mcp.upstreams]]
name = "http"
transport = "http"
url = "http://127.0.0.1:{http_port}/mcp"
allow = ["echo"]
max_concurrent = {concurrency}
"""


def wait_upstreams(base, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=2) as response:
                ready = json.loads(response.read())
                if ready.get("status") == "ready":
                    return ready
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError("the upstreams did not come up")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(c.TARGET, "bench", "gateway.md"))
    args = parser.parse_args()
    if not os.path.exists(EVERYTHING):
        raise SystemExit("run `npm ci` in tests/upstreams first")
    c.raise_fd_limit()
    server_cpu, load_cpu = c.cpus()
    db = c.Database("sqlite")
    http_port = c.free_port()
    upstream = c.Process(["node", EVERYTHING, "streamableHttp"], http_port, cpu=server_cpu,
                         env=dict(os.environ, PORT=str(http_port)), ready_path="/mcp", any_answer=True)
    settings = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
    settings.write(config(http_port, args.connections))
    settings.close()
    server = None
    try:
        c.migrate(db.url)
        port = c.free_port()
        server = c.Process([c.SERVER_BIN, "--config", settings.name, "serve"], port,
                           env=c.server_env(db.url, port), cpu=server_cpu)
        wait_upstreams(server.base)
        auth = f"Authorization: Bearer {c.client_credentials(server.base)}"
        headers = f"{c.JSON}|{auth}|{c.MCP_HEADERS}"
        rows = {"built-in echo": [], "stdio__echo": [], "http__echo": []}
        for _ in range(args.repeat):
            for name, tool in (("built-in echo", "echo"), ("stdio__echo", "stdio__echo"),
                               ("http__echo", "http__echo")):
                rows[name].append(c.wrk(f"{server.base}/mcp", load_cpu, call_body(tool), headers,
                                        args.connections, args.seconds, watch=server))
        write(args, rows)
    finally:
        if server:
            server.stop()
        upstream.stop()
        db.drop()
        os.unlink(settings.name)


def write(args, rows):
    def middle(runs):
        return sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]

    base = middle(rows["built-in echo"])["rps"]
    m = c.machine()
    lines = [f"# Gateway benchmark ({m['date']})", "",
             f"{m['nproc']} CPUs ({m['cpu']}), kernel {m['kernel']}; server and upstreams pinned "
             "to one CPU, wrk to the others.", "",
             f"`POST /mcp` `tools/call`, stateless, {args.connections} connections, {args.seconds} s "
             f"per run, {args.repeat} alternating rounds, the median round shown.", "",
             "| call | req/s | vs built-in | p50 ms | p99 ms | errors | load | all rounds req/s |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for name, runs in rows.items():
        r = middle(runs)
        every = ", ".join(str(round(run["rps"])) for run in runs)
        lines.append(f"| {name} | {r['rps']:.0f} | {r['rps'] / base:.2f} | {r['p50_ms']:.2f} | "
                     f"{r['p99_ms']:.2f} | {r['errors']} | {r['load']} | {every} |")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(rows, f, indent=1)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
