"""The MCP Python and TypeScript SDKs serving the same echo calls, installed at run time into a
temporary directory (nothing vendored), measured next to our (b) and (c) on the same CPUs."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import common as c

PEERS = os.path.join(c.ROOT, "benches", "load", "peers")
TOKEN = "bench-peer-token"


def install(workdir):
    """Returns {peer: argv prefix or an error string}."""
    found = {}
    venv = os.path.join(workdir, "venv")
    try:
        subprocess.run([sys.executable, "-m", "venv", venv], check=True, capture_output=True)
        pip = os.path.join(venv, "bin", "pip")
        subprocess.run([pip, "install", "-q", "mcp", "uvicorn"], check=True, capture_output=True, timeout=600)
        version = subprocess.run([pip, "show", "mcp"], capture_output=True, text=True).stdout.split("\n")[1]
        shutil.copy(os.path.join(PEERS, "python_server.py"), workdir)
        found["python"] = ([os.path.join(venv, "bin", "python"), os.path.join(workdir, "python_server.py")],
                           f"mcp {version.split(': ')[-1]} (uvicorn, 1 process)")
    except (subprocess.SubprocessError, OSError) as e:
        found["python"] = f"not installed: {e}"
    try:
        subprocess.run(["npm", "init", "-y"], cwd=workdir, check=True, capture_output=True)
        subprocess.run(["npm", "install", "--silent", "@modelcontextprotocol/sdk", "express", "zod"],
                       cwd=workdir, check=True, capture_output=True, timeout=600)
        with open(os.path.join(workdir, "node_modules", "@modelcontextprotocol", "sdk", "package.json")) as f:
            version = json.load(f)["version"]
        # ESM resolves packages next to the importing file, so the server sits in workdir.
        shutil.copy(os.path.join(PEERS, "ts_server.mjs"), workdir)
        node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
        found["typescript"] = (["node", os.path.join(workdir, "ts_server.mjs")],
                               f"@modelcontextprotocol/sdk {version} (express, node {node}, 1 process)")
    except (subprocess.SubprocessError, OSError) as e:
        found["typescript"] = f"not installed: {e}"
    return found


def calls(proc, token, rest_path, load_cpu, args, threads):
    auth = f"Authorization: Bearer {token}"
    rest = c.wrk(f"{proc.base}{rest_path}", load_cpu, c.ECHO_BODY, f"{c.JSON}|{auth}",
                 args.connections, args.seconds, threads, watch=proc)
    rpc = c.wrk(f"{proc.base}/mcp", load_cpu, c.RPC_BODY, f"{c.JSON}|{auth}|{c.MCP_HEADERS}",
                args.connections, args.seconds, threads, watch=proc)
    return {"b": rest, "c": rpc}


def measure(args, server_cpu, load_cpu, threads):
    out = {}
    db = c.Database("sqlite")
    try:
        c.migrate(db.url)
        proc = c.start_server(db.url, server_cpu)
        try:
            out["ours"] = calls(proc, c.client_credentials(proc.base), "/mcp/protected/call/echo",
                                load_cpu, args, threads)
            out["ours"]["label"] = "mcp-oauth (ES256 JWT verified per request)"
        finally:
            proc.stop()
    finally:
        db.drop()
    workdir = tempfile.mkdtemp(prefix="mcp-oauth-peers-")
    try:
        for name, found in install(workdir).items():
            if isinstance(found, str):
                out[name] = {"error": found}
                continue
            argv, label = found
            port = c.free_port()
            try:
                proc = c.Process([*argv, str(port), TOKEN], port, cpu=server_cpu, ready_path="/call/echo",
                                 any_answer=True, timeout=60)
                try:
                    out[name] = calls(proc, TOKEN, "/call/echo", load_cpu, args, threads)
                    out[name]["label"] = label
                finally:
                    proc.stop()
            except RuntimeError as e:
                out[name] = {"error": str(e)}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return out
