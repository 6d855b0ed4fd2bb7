"""Turns the load benchmark's results into the markdown tables the README shows."""

ROWS = [
    ("a", "(a) bare axum hello (ceiling)"),
    ("b", "(b) `POST /mcp/protected/call/echo`, JWT"),
    ("c", "(c) `POST /mcp` `tools/call` echo, JWT"),
    ("d_warm", "(d) client_credentials, secret cache warm"),
    ("d_cold", "(d) client_credentials, cache TTL 0 (argon2 every call)"),
    ("e", "(e) `/oauth/introspect`"),
    ("revoke", "`/oauth/revoke` (distinct tokens)"),
    ("f", "(f) authorize → login → consent → token, flows/s"),
    ("g_probe_calm", "(b) paced probe, calm"),
    ("g_probe_loaded", "(g) (b) paced probe while (d) runs"),
    ("g_closed_loaded", "(g) (b) closed loop while (d) runs"),
    ("rss_1000", "(b) at 1,000 connections"),
]


def fmt(value, digits=1):
    return "–" if value is None else f"{value:,.{digits}f}"


def engine_table(name, data):
    a_rps = data["a"]["rps"]
    lines = [f"**{name}**", "",
             "| Scenario | req/s | vs (a) | p50 ms | p99 ms | peak RSS MiB | errors | load |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for key, label in ROWS:
        row = data.get(key)
        if row is None:
            continue
        connections = {"f": "", "g_probe_calm": " (4 conn., 5 ms pause)",
                       "g_probe_loaded": " (4 conn., 5 ms pause)", "rss_1000": ""}.get(key, "")
        ratio = f"{row['rps'] / a_rps:.0%}" if key not in ("g_probe_calm", "g_probe_loaded") else "–"
        lines.append(f"| {label}{connections} | {fmt(row['rps'], 0)} | {ratio} | {fmt(row['p50_ms'], 2)} | "
                     f"{fmt(row['p99_ms'], 2)} | {fmt(row.get('rss_mib'))} | {row.get('errors', 0)} | "
                     f"{fmt(row.get('load'), 2)} |")
    rounds = data["notes"].get("rounds_rps")
    if rounds:
        lines += ["", "Rounds of (a), (b), (c), alternating, each on a fresh process; the median round "
                      "is shown. req/s per round: " + "; ".join(
                          f"({k}) " + ", ".join(fmt(r, 0) for r in v) for k, v in rounds.items()) + "."]
    startup = data["notes"]["startup_ms"]
    lines += ["", f"Start to ready (spawn → first 200 on `/readyz`, migrations applied), "
                  f"{len(startup['all'])} runs: median **{startup['median']} ms** "
                  f"(all: {', '.join(str(t) for t in startup['all'])})."]
    plain = data["notes"].get("startup_ms_sslmode_disable")
    if plain:
        lines.append(f"With `?sslmode=disable` in the database URL (no TLS attempt per connection): "
                     f"median **{plain['median']} ms** (all: {', '.join(str(t) for t in plain['all'])}).")
    return "\n".join(lines)


def verdict(ok):
    return "met" if ok else "**missed**"


def targets(name, d):
    a, b, cc, e = d["a"]["rps"], d["b"]["rps"], d["c"]["rps"], d["e"]["rps"]
    warm = d["d_warm"]["rps"]
    probe = d["g_probe_loaded"]["p99_ms"] / d["g_probe_calm"]["p99_ms"]
    closed = d["g_closed_loaded"]["p99_ms"] / d["b"]["p99_ms"]
    rss = d["rss_1000"]["rss_mib"]
    start = d["notes"]["startup_ms"]["median"]
    rows = [
        ("(b) ≥ 60% of (a) req/s", f"{b / a:.0%}", b / a >= 0.6),
        ("(c) ≥ 40% of (a) req/s", f"{cc / a:.0%}", cc / a >= 0.4),
        ("(d) warm ≥ 50% of (e) req/s", f"{warm / e:.0%}", warm / e >= 0.5),
        ("(g) p99 ≤ 2× calm (b) p99, paced probe", f"{probe:.1f}×", probe <= 2),
        ("(g) p99 ≤ 2× calm (b) p99, closed loop", f"{closed:.1f}×", closed <= 2),
        ("peak RSS ≤ 64 MiB at 1,000 connections", f"{rss:.1f} MiB", rss <= 64),
        ("start to ready ≤ 150 ms (median)", f"{start} ms", start <= 150),
    ]
    lines = [f"| Target ({name}) | measured | |", "| --- | ---: | --- |"]
    lines += [f"| {t} | {m} | {verdict(ok)} |" for t, m, ok in rows]
    return "\n".join(lines)


def peers_table(peers):
    ours = peers.get("ours")
    if not ours:
        return ""
    lines = ["| Call | mcp-oauth req/s (p99 ms) | Python SDK req/s (p99 ms) | ours ÷ Python | "
             "TypeScript SDK req/s (p99 ms) | ours ÷ TypeScript |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for key, label in (("b", "(b)-style REST echo"), ("c", "(c) MCP `tools/call` echo")):
        cells = [label, f"{fmt(ours[key]['rps'], 0)} ({fmt(ours[key]['p99_ms'], 2)})"]
        for peer in ("python", "typescript"):
            found = peers.get(peer, {})
            if key not in found:
                cells += [found.get("error", "not run"), "–"]
                continue
            cells += [f"{fmt(found[key]['rps'], 0)} ({fmt(found[key]['p99_ms'], 2)})",
                      f"{ours[key]['rps'] / found[key]['rps']:.1f}×"]
        lines.append("| " + " | ".join(cells) + " |")
    labels = [f"{p}: {peers[p]['label']}" for p in ("python", "typescript") if "label" in peers.get(p, {})]
    if labels:
        lines += ["", "Peers: " + "; ".join(labels) + "."]
    return "\n".join(lines)


def markdown(results):
    m = results["machine"]
    server_cpu, load_cpu = results["pinning"]
    pin = (f"server pinned to CPU {server_cpu}, load generator to CPU {load_cpu}" if server_cpu
           else "no CPU pinning")
    parts = [f"Machine: {m['nproc']} × {m['cpu']}, Linux {m['kernel']}; {m['date']}; {pin}; "
             f"load average {results['load_start']:.2f} at start, {results['load_end']:.2f} at end; "
             f"{results['args']['seconds']} s per run, {results['args']['connections']} connections "
             f"unless noted."]
    for name, data in results["engines"].items():
        parts += [engine_table(name, data), targets(name, data)]
    if results.get("peers"):
        parts.append(peers_table(results["peers"]))
    return "\n\n".join(parts) + "\n"
