// Judges one run of the MCP conformance suite against a committed baseline; used by
// .ci/conformance.sh (server scenarios) and .ci/conformance-auth.sh (authorization server).
//
//   node .ci/conformance-gate.mjs --results DIR --prefix server --baseline FILE --key server \
//        --expect "a b c" [--not-scored "d e"] --label "MCP conformance 2025-11-25" --what "server scenarios"
//
// Why our own judge when the suite has --expected-failures: with --requirements the suite
// compares only the *scored* scenarios with the baseline (not-scored ones are neither gated nor
// reported stale), it lets skipped checks and skipped scenarios pass, it ignores an entry naming
// a check that did not run, and `conformance authorization` takes no baseline at all. The rules
// here are the suite's, made strict and applied to every scenario that ran:
//   - a scenario PASSes when it has a SUCCESS check (besides the wire-schema check every scenario
//     gets) and no FAILURE, WARNING or SKIPPED check; it FAILs on a FAILURE or WARNING (the
//     suite's baseline rule counts a WARNING as a failure); else it is PART (succeeded, but some
//     checks were skipped) or SKIP (nothing succeeded);
//   - every failing or skipped check must be listed, whole (`scenario`) or per check
//     (`scenario:check-id`);
//   - a listed entry that no longer fails is stale (whole: the scenario PASSes; per check: the
//     check succeeds or did not run), and so is an entry naming a scenario that did not run;
//   - a timeout (check `scenario-timeout`) fails even when the scenario is listed whole (only a
//     per-check entry `scenario:scenario-timeout` excuses it), and a scenario without a result
//     (the suite crashed in it, or never got to it) always fails.
// Exit 0 when the run matches the baseline, 1 when it does not, 2 on bad input.
import fs from "node:fs";
import path from "node:path";

function fatal(msg) {
  console.error(`conformance-gate: error: ${msg}`);
  process.exit(2);
}

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i];
  if (!k.startsWith("--") || i + 1 >= process.argv.length) fatal(`bad argument ${k}`);
  args[k.slice(2)] = process.argv[i + 1];
}
for (const k of ["results", "prefix", "baseline", "key", "expect", "label", "what"])
  if (args[k] === undefined) fatal(`--${k} is required`);
const words = (s) => (s || "").split(/\s+/).filter(Boolean);
const expected = words(args.expect);
const notScored = new Set(words(args["not-scored"]));
if (expected.length === 0) fatal("--expect lists no scenarios");

// The baseline is the suite's expected-failures format: top-level keys, each a list of
// `scenario` or `scenario:check-id` strings, with comments. Only that subset is accepted here;
// anything else is an error rather than silently read differently from the suite.
function readBaseline(file, key) {
  const lists = {};
  let current = null;
  const lines = fs.readFileSync(file, "utf8").split("\n");
  lines.forEach((raw, n) => {
    const line = raw.replace(/(^|\s)#.*$/, "").trimEnd();
    if (line.trim() === "") return;
    let m;
    if ((m = /^([A-Za-z][\w-]*):\s*(\[\s*\])?$/.exec(line))) {
      current = m[1];
      if (lists[current]) fatal(`${file}:${n + 1}: key ${current} appears twice`);
      lists[current] = [];
    } else if ((m = /^\s+-\s+(\S+)$/.exec(line)) && current) {
      const entry = m[1].replace(/^(["'])(.*)\1$/, "$2");
      if (!/^[\w./-]+(:[\w./-]+)?$/.test(entry)) fatal(`${file}:${n + 1}: bad entry ${entry}`);
      if (lists[current].includes(entry)) fatal(`${file}:${n + 1}: ${entry} listed twice`);
      lists[current].push(entry);
    } else fatal(`${file}:${n + 1}: not understood: ${raw}`);
  });
  if (!(key in lists)) fatal(`${file} has no '${key}:' list`);
  const whole = new Set(), perCheck = new Map();
  for (const e of lists[key]) {
    const [scenario, check] = e.split(":");
    if (check === undefined) whole.add(scenario);
    else perCheck.set(scenario, (perCheck.get(scenario) || new Set()).add(check));
  }
  for (const s of perCheck.keys())
    if (whole.has(s)) fatal(`${file}: ${s} is listed whole and per check`);
  return { whole, perCheck, count: lists[key].length };
}
const baseline = readBaseline(args.baseline, args.key);
const baselineName = path.relative(process.cwd(), path.resolve(args.baseline)) || args.baseline;

// Result folders are named <prefix>-<scenario>-<ISO time with : and . as ->.
const stamp = /-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/;
const checksOf = new Map();
if (fs.existsSync(args.results))
  for (const d of fs.readdirSync(args.results).sort()) {
    if (!d.startsWith(`${args.prefix}-`) || !stamp.test(d)) continue;
    const name = d.slice(args.prefix.length + 1).replace(stamp, "");
    const file = path.join(args.results, d, "checks.json");
    if (fs.existsSync(file)) checksOf.set(name, JSON.parse(fs.readFileSync(file, "utf8")));
  }

const CRASH_IDS = new Set(["scenario-timeout"]);
const bad = (c) => c.status === "FAILURE" || c.status === "WARNING";
const problems = [];
let passed = 0, failed = 0, skipped = 0, scoredTotal = 0, scoredPassed = 0;
const seen = new Set();
for (const name of expected) {
  seen.add(name);
  const checks = checksOf.get(name);
  const whole = baseline.whole.has(name);
  const listed = baseline.perCheck.get(name) || new Set();
  let verdict, notes = [];
  if (!checks) {
    verdict = "FAIL";
    notes.push("no result: the scenario crashed or never ran");
    problems.push(`${name}: no result (the scenario crashed or never ran)`);
  } else {
    // One verdict per check id, the worst wins (ranked as the suite ranks them).
    const rank = { FAILURE: 3, WARNING: 2, SUCCESS: 1 };
    const byId = new Map();
    for (const c of checks) {
      if (c.status === "INFO") continue;
      const prev = byId.get(c.id);
      if (!prev || (rank[c.status] || 0) >= (rank[prev.status] || 0)) byId.set(c.id, c);
    }
    const all = [...byId.values()];
    const failing = all.filter(bad);
    const real = all.filter((c) => c.id !== "wire-schema-valid");
    const skippedChecks = real.filter((c) => c.status === "SKIPPED");
    const crash = failing.filter((c) => CRASH_IDS.has(c.id) || c.description === "Failed to run scenario");
    const succeeded = real.some((c) => c.status === "SUCCESS");
    if (failing.length) verdict = "FAIL";
    else if (succeeded && !skippedChecks.length) verdict = "PASS";
    else verdict = succeeded ? "PART" : "SKIP";   // PART: passes, but some checks were skipped
    const why = (c) => `${c.id}: ${c.status}: ${(c.errorMessage || c.details?.message || c.details?.note || "").split("\n")[0]}`;
    for (const c of [...failing, ...skippedChecks]) notes.push(why(c));

    for (const c of crash)
      if (!listed.has(c.id)) problems.push(`${name}: ${c.id} (timeout or crash; a whole-scenario entry does not excuse it)`);
    if (whole) {
      if (verdict === "PASS") problems.push(`${name}: passes now - stale baseline entry, remove it`);
    } else {
      const unexpected = [...failing, ...skippedChecks].filter((c) => !listed.has(c.id) && !crash.includes(c));
      if (unexpected.length)
        problems.push(`${name}: ${unexpected.map((c) => `${c.id} ${c.status === "SKIPPED" ? "skipped" : "fails"}`).join(", ")} - not in the baseline${verdict === "PART" ? " (a skipped check is not a pass)" : ""}`);
      for (const id of listed)
        if (!byId.has(id) || byId.get(id).status === "SUCCESS") problems.push(`${name}:${id}: does not fail now - stale baseline entry, remove it`);
      if (verdict === "SKIP" && !real.length) problems.push(`${name}: skipped without any check, not in the baseline (a skip is not a pass)`);
    }
  }
  if (verdict === "PASS") passed++;
  else if (verdict === "FAIL") failed++;
  else skipped++;
  if (!notScored.has(name)) { scoredTotal++; if (verdict === "PASS") scoredPassed++; }
  const mark = whole || listed.size ? " [baseline]" : "";
  console.log(`  ${verdict} ${name}${notScored.has(name) ? " (not scored)" : ""}${mark}`);
  for (const n of notes) console.log(`       ${n}`);
}
for (const name of checksOf.keys())
  if (!seen.has(name)) problems.push(`${name}: ran but is not in the expected scenario list`);
for (const name of [...baseline.whole, ...baseline.perCheck.keys()])
  if (!seen.has(name)) problems.push(`${name}: in the baseline but did not run - stale entry`);

const total = expected.length;
const extra = notScored.size ? `; scored: ${scoredPassed} of ${scoredTotal}` : "";
console.log(`${args.label}: ${passed} of ${total} ${args.what} passed (${failed} failed, ${skipped} skipped${extra}; baseline lists ${baseline.count})`);
if (problems.length) {
  console.log(`${args.label}: the run does not match ${baselineName}:`);
  for (const p of problems) console.log(`  ✗ ${p}`);
  process.exit(1);
}
console.log(`${args.label}: every failure and skip is in ${baselineName}`);
