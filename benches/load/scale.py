"""Scale check (not in CI): latency of client_credentials, introspection and revocation with
10k access-token rows (1k clients and users) and again with 1M rows (100k clients and users),
bulk-loaded with SQL. Target: 1M within 1.5× of 10k. Run through `benches/load/run.sh scale`."""

import argparse
import json
import os
import sqlite3
import time

import bench
import common as c

# A syntactically valid argon2id hash; bulk clients and users never log in.
HASH = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$1mS3GKsvR0Dn6rJKvsFqSfc8Xf7m7H0eYkqV0h8y2sM"

# {lo}..{hi} are row numbers; {now} unix seconds. One statement per table, per engine.
SQLITE = {
    "clients": "WITH RECURSIVE n(i) AS (SELECT {lo} UNION ALL SELECT i + 1 FROM n WHERE i < {hi}) "
               "INSERT INTO clients (id, secret_hash, name, redirect_uris, scopes, grant_types, "
               "token_endpoint_auth_method, origin, created_at, updated_at) "
               "SELECT printf('bulk-client-%07d', i), '{hash}', 'bulk ' || i, 'https://bulk.example/cb', "
               "'mcp:tools', 'client_credentials', 'client_secret_basic', 'bench', {now}, {now} FROM n",
    "users": "WITH RECURSIVE n(i) AS (SELECT {lo} UNION ALL SELECT i + 1 FROM n WHERE i < {hi}) "
             "INSERT INTO users (id, username, password_hash, created_at, updated_at) "
             "SELECT printf('bulk-user-%07d', i), printf('bulk-user-%07d', i), '{hash}', {now}, {now} FROM n",
    "access_tokens": "WITH RECURSIVE n(i) AS (SELECT {lo} UNION ALL SELECT i + 1 FROM n WHERE i < {hi}) "
                     "INSERT INTO access_tokens (jti, grant_id, client_id, subject, username, scope, audience, "
                     "issued_at, expires_at, revoked_at) "
                     "SELECT printf('bulk-jti-%08d', i), NULL, printf('bulk-client-%07d', 1 + i % {clients}), "
                     "printf('bulk-user-%07d', 1 + i % {clients}), NULL, 'mcp:tools', 'http://bulk/mcp', "
                     "{now} - 60, {now} + 3600, CASE WHEN i % 100 = 0 THEN {now} - 30 END FROM n",
}
POSTGRES = {
    "clients": "INSERT INTO clients (id, secret_hash, name, redirect_uris, scopes, grant_types, "
               "token_endpoint_auth_method, origin, created_at, updated_at) "
               "SELECT 'bulk-client-' || lpad(i::text, 7, '0'), '{hash}', 'bulk ' || i, "
               "'https://bulk.example/cb', 'mcp:tools', 'client_credentials', 'client_secret_basic', "
               "'bench', {now}, {now} FROM generate_series({lo}, {hi}) AS i",
    "users": "INSERT INTO users (id, username, password_hash, created_at, updated_at) "
             "SELECT 'bulk-user-' || lpad(i::text, 7, '0'), 'bulk-user-' || lpad(i::text, 7, '0'), "
             "'{hash}', {now}, {now} FROM generate_series({lo}, {hi}) AS i",
    "access_tokens": "INSERT INTO access_tokens (jti, grant_id, client_id, subject, username, scope, "
                     "audience, issued_at, expires_at, revoked_at) "
                     "SELECT 'bulk-jti-' || lpad(i::text, 8, '0'), NULL, "
                     "'bulk-client-' || lpad((1 + i % {clients})::text, 7, '0'), "
                     "'bulk-user-' || lpad((1 + i % {clients})::text, 7, '0'), NULL, 'mcp:tools', "
                     "'http://bulk/mcp', {now} - 60, {now} + 3600, "
                     "CASE WHEN i % 100 = 0 THEN {now} - 30 END FROM generate_series({lo}, {hi}) AS i",
}


def load_rows(db, counts, already):
    """Adds rows so each table holds `counts[table]` bulk rows (it holds `already[table]`)."""
    now = int(time.time())
    statements = []
    for table in ("clients", "users", "access_tokens"):
        lo, hi = already.get(table, 0) + 1, counts[table]
        if hi >= lo:
            sql = (SQLITE if db.engine == "sqlite" else POSTGRES)[table]
            statements.append(sql.format(lo=lo, hi=hi, now=now, hash=HASH, clients=counts["clients"]))
    started = time.perf_counter()
    if db.engine == "sqlite":
        with sqlite3.connect(db.path) as conn:
            for sql in statements:
                conn.execute(sql)
            conn.execute("ANALYZE")
    else:
        db.psql(";\n".join(statements) + ";\nANALYZE;", database=db.name)
    elapsed = time.perf_counter() - started
    settle(db)
    return elapsed


def settle(db):
    """Steady state before measuring: the bulk load's dead tuples vacuumed and its WAL
    checkpointed, so no run meets autovacuum or that checkpoint."""
    if db.engine == "sqlite":
        with sqlite3.connect(db.path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        db.psql("VACUUM (ANALYZE);\nCHECKPOINT;", database=db.name)


def measure(args, db, server_cpu, load_cpu):
    proc = c.start_server(db.url, server_cpu)
    try:
        run = lambda path, body, **kw: c.wrk(f"{proc.base}{path}", load_cpu, body, c.FORM,  # noqa: E731
                                             args.connections, args.seconds, 1, watch=proc, **kw)
        # Untimed warm-up: the first argon2 check of the client secret and the pool's growth
        # (a TLS handshake per new Postgres connection, ~90 ms) are start-up costs, not scale.
        c.wrk(f"{proc.base}/oauth/token", load_cpu, c.token_form(), c.FORM, args.connections, 2, 1)
        out = {"ready_ms": round(proc.ready_ms, 1), "d_warm": run("/oauth/token", c.token_form())}
        introspect = c.urllib.parse.urlencode({"token": c.client_credentials(proc.base),
                                               "client_id": c.CLIENT[0], "client_secret": c.CLIENT[1]})
        out["e"] = run("/oauth/introspect", introspect)
        out["revoke"] = bench.revoke(lambda path, body, headers, p, **kw: run(path, body, **kw), proc, args)
        return out
    finally:
        proc.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--tokens", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--revoke-tokens", type=int, default=2000)
    parser.add_argument("--out", default=os.path.join(c.TARGET, "bench", "scale.md"))
    args = parser.parse_args()
    c.raise_fd_limit()
    server_cpu, load_cpu = c.cpus()
    small = {"access_tokens": 10_000, "clients": 1_000, "users": 1_000}
    large = {"access_tokens": args.tokens, "clients": args.tokens // 10, "users": args.tokens // 10}
    results = {"machine": c.machine(), "load_start": c.load_average(), "engines": {}}
    for engine in args.engines.split(","):
        db = c.Database(engine)
        try:
            c.migrate(db.url)
            c.start_server(db.url, server_cpu).stop()  # seeds clients, keys and the admin user
            entry = {"load_small_s": round(load_rows(db, small, {}), 1)}
            entry["small"] = measure(args, db, server_cpu, load_cpu)
            entry["load_large_s"] = round(load_rows(db, large, small), 1)
            entry["large"] = measure(args, db, server_cpu, load_cpu)
            results["engines"][engine] = entry
            print(engine, json.dumps(entry), flush=True)
        finally:
            db.drop()
    results["load_end"] = c.load_average()
    text = markdown(results, small, large)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    with open(args.out.rsplit(".", 1)[0] + ".json", "w") as f:
        json.dump(results, f, indent=1)
    print(text)


def markdown(results, small, large):
    m = results["machine"]
    lines = [f"Machine: {m['nproc']} × {m['cpu']}; {m['date']}; load average {results['load_start']:.2f} "
             f"at start, {results['load_end']:.2f} at end. {small['access_tokens']:,} vs "
             f"{large['access_tokens']:,} access-token rows ({large['clients']:,} clients and users).", "",
             "| Engine | call | 10k req/s | 10k p50 / p99 ms | 1M req/s | 1M p50 / p99 ms | p99 1M ÷ 10k | |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for engine, e in results["engines"].items():
        for key, label in (("d_warm", "client_credentials"), ("e", "introspect"), ("revoke", "revoke")):
            s, l = e["small"][key], e["large"][key]
            ratio = l["p99_ms"] / s["p99_ms"]
            lines.append(f"| {engine} | {label} | {s['rps']:,.0f} | {s['p50_ms']:.2f} / {s['p99_ms']:.2f} | "
                         f"{l['rps']:,.0f} | {l['p50_ms']:.2f} / {l['p99_ms']:.2f} | {ratio:.2f}× | "
                         f"{'met' if ratio <= 1.5 else '**missed**'} |")
        lines.append(f"| {engine} | start to ready | | {e['small']['ready_ms']} ms | | "
                     f"{e['large']['ready_ms']} ms | | bulk load {e['load_large_s']} s |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
