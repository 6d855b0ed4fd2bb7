"""Soak (not in CI): mixed load — REST and MCP echo, client_credentials, introspection and the
browser flow — for N minutes in back-to-back chunks, recording RSS and errors per chunk.
Pass: RSS flat within ±10% (the median of the last third of chunks against the first third
after warm-up, and the peak VmHWM from the end of warm-up to the end), errors not growing.
Run through `benches/load/run.sh soak --minutes 10`."""

import argparse
import json
import os
import statistics
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
    lines = report(args.engine, args.minutes, args.chunk, start_rss, rows)
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(text)


def report(engine, minutes, chunk, start_rss, rows):
    """The verdict and the table. One sample of RSS moves by a whole argon2 working block (19 MiB)
    depending on whether a login is hashing at that instant, so drift is judged on medians of
    thirds of the run and on the peak, and the raw first-to-last samples are shown beside them."""
    # The first chunk is warm-up: argon2's heap (logins in the flows) reaches its plateau in it.
    base = 1 if len(rows) >= 4 else 0
    steady = rows[base:]
    third = max(1, len(steady) // 3)
    early = statistics.median(r["rss_mib"] for r in steady[:third])
    late = statistics.median(r["rss_mib"] for r in steady[-third:])
    peak_from, peak_to = steady[0]["hwm_mib"], rows[-1]["hwm_mib"]
    drift, peak_drift = (late - early) / early, (peak_to - peak_from) / peak_from
    flat = abs(drift) <= 0.10 and abs(peak_drift) <= 0.10
    lines = [f"Soak on {engine}, {minutes} min in {chunk} s chunks; RSS idle {start_rss:.1f} MiB. "
             f"Median RSS of chunks {base + 1}–{base + third} {early:.1f} MiB, of the last {third} "
             f"{late:.1f} MiB ({drift:+.1%}); peak (VmHWM) {peak_from} MiB after chunk {base + 1}, "
             f"{peak_to} MiB at the end ({peak_drift:+.1%}): "
             f"{'flat within ±10%' if flat else '**outside ±10%**'}. Single samples: "
             f"{steady[0]['rss_mib']} MiB after chunk {base + 1}, {rows[-1]['rss_mib']} MiB at the end.", "",
             "| chunk | RSS MiB | peak MiB | b req/s | c req/s | d req/s | e req/s | flows/s | errors | load |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        errors = sum(r[k]["errors"] for k in "bcdef")
        lines.append(f"| {r['chunk']} | {r['rss_mib']} | {r['hwm_mib']} | {r['b']['rps']} | {r['c']['rps']} | "
                     f"{r['d']['rps']} | {r['e']['rps']} | {r['f']['rps']} | {errors} | {r['load']} |")
    return lines


if __name__ == "__main__":
    main()
