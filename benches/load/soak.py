"""Soak (not in CI): mixed load — REST and MCP echo, client_credentials, introspection and the
browser flow — for N minutes in back-to-back chunks, recording RSS and errors per chunk.
Pass: RSS at the end within ±10% of RSS after the first chunk, errors not growing.
Run through `benches/load/run.sh soak --minutes 10`."""

import argparse
import json
import os
import threading

import bench
import common as c


def chunk(args, proc, load_cpu, auth, introspect):
    seconds = args.chunk
    jobs = {
        "b": (f"{proc.base}/mcp/protected/call/echo", c.ECHO_BODY, f"{c.JSON}|{auth}", 16),
        "c": (f"{proc.base}/mcp", c.RPC_BODY, f"{c.JSON}|{auth}|{c.MCP_HEADERS}", 16),
        "d": (f"{proc.base}/oauth/token", c.token_form(), c.FORM, 8),
        "e": (f"{proc.base}/oauth/introspect", introspect, c.FORM, 8),
    }
    out, threads = {}, []
    for name, (url, body, headers, conns) in jobs.items():
        def work(name=name, url=url, body=body, headers=headers, conns=conns):
            out[name] = c.wrk(url, load_cpu, body, headers, conns, seconds, 1)
        threads.append(threading.Thread(target=work))
    flow_args = argparse.Namespace(flow_concurrency=2, seconds=seconds)
    threads.append(threading.Thread(target=lambda: out.update(f=bench.flows(flow_args, proc, load_cpu))))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", default="sqlite")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--chunk", type=int, default=30, help="seconds per chunk")
    parser.add_argument("--out", default=os.path.join(c.TARGET, "bench", "soak.md"))
    args = parser.parse_args()
    c.raise_fd_limit()
    server_cpu, load_cpu = c.cpus()
    db = c.Database(args.engine, name="mcp_oauth_soak")
    rows = []
    try:
        c.migrate(db.url)
        proc = c.start_server(db.url, server_cpu)
        try:
            auth = f"Authorization: Bearer {c.client_credentials(proc.base)}"
            introspect = c.urllib.parse.urlencode({"token": c.client_credentials(proc.base),
                                                   "client_id": c.CLIENT[0], "client_secret": c.CLIENT[1]})
            start_rss = proc.status("VmRSS")
            for i in range(max(1, int(args.minutes * 60 / args.chunk))):
                result = chunk(args, proc, load_cpu, auth, introspect)
                row = {"chunk": i + 1, "rss_mib": round(proc.status("VmRSS"), 1),
                       "hwm_mib": round(proc.status("VmHWM"), 1), "load": round(c.load_average(), 2),
                       **{k: {"rps": round(v["rps"]), "errors": v["errors"]} for k, v in result.items()}}
                rows.append(row)
                print(json.dumps(row), flush=True)
        finally:
            proc.stop()
    finally:
        db.drop()
    # The first chunk is warm-up: argon2's heap (logins in the flows) reaches its plateau in it.
    base = 1 if len(rows) >= 4 else 0
    first, last = rows[base]["rss_mib"], rows[-1]["rss_mib"]
    drift = (last - first) / first
    lines = [f"Soak on {args.engine}, {args.minutes} min in {args.chunk} s chunks; RSS idle {start_rss:.1f} MiB, "
             f"after chunk 1 {rows[0]['rss_mib']} MiB, after chunk {base + 1} {first} MiB, at the end {last} MiB "
             f"({drift:+.1%} from chunk {base + 1}: "
             f"{'flat within ±10%' if abs(drift) <= 0.10 else '**outside ±10%**'}).", "",
             "| chunk | RSS MiB | b req/s | c req/s | d req/s | e req/s | flows/s | errors | load |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        errors = sum(r[k]["errors"] for k in "bcdef")
        lines.append(f"| {r['chunk']} | {r['rss_mib']} | {r['b']['rps']} | {r['c']['rps']} | {r['d']['rps']} | "
                     f"{r['e']['rps']} | {r['f']['rps']} | {errors} | {r['load']} |")
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
