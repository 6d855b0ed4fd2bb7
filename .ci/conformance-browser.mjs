// The person in the conformance suite's authorization-code-grant scenario: opens the
// authorization URL in headless Chromium, logs in, approves the consent page if it is shown,
// and waits until the browser has been sent to the suite's loopback callback.
//
//   WEBDRIVER=http://127.0.0.1:9515 LOGIN_USER=admin LOGIN_PASSWORD=… \
//     node .ci/conformance-browser.mjs AUTHORIZATION_URL CALLBACK_PREFIX
//
// Dependency-free: the W3C WebDriver HTTP API over fetch, against a chromedriver the caller
// started. Prints page paths only, never query strings (they carry the code and state).
// Exits 0 once the callback is reached, 1 otherwise (with the page it stopped on).
const [authUrl, callbackPrefix] = process.argv.slice(2);
const driver = process.env.WEBDRIVER;
const user = process.env.LOGIN_USER;
const password = process.env.LOGIN_PASSWORD;
if (!authUrl || !callbackPrefix || !driver || !user || !password) {
  console.error("usage: WEBDRIVER=… LOGIN_USER=… LOGIN_PASSWORD=… conformance-browser.mjs AUTH_URL CALLBACK_PREFIX");
  process.exit(2);
}
const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const where = (u) => { try { const x = new URL(u); return x.origin + x.pathname; } catch { return String(u); } };

async function wd(method, path, body) {
  const res = await fetch(driver + path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30000),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${method} ${path}: ${json.value?.error || res.status}: ${json.value?.message?.split("\n")[0] || ""}`);
  return json.value;
}

let session;
async function find(css) {
  const found = await wd("POST", `/session/${session}/elements`, { using: "css selector", value: css });
  return found.length ? found[0][ELEMENT] : null;
}
async function waitFor(what, cond, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}
const currentUrl = () => wd("GET", `/session/${session}/url`);

let rc = 1;
try {
  session = (await wd("POST", "/session", {
    capabilities: {
      alwaysMatch: {
        browserName: "chrome",
        "goog:chromeOptions": {
          binary: process.env.CHROMIUM || "/usr/bin/chromium",
          args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        },
      },
    },
  })).sessionId;
  await wd("POST", `/session/${session}/timeouts`, { pageLoad: 20000, implicit: 0 });
  await wd("POST", `/session/${session}/url`, { url: authUrl });

  // An error page (e.g. an unregistered redirect URI) ends the run with its message.
  const refused = async () => {
    const err = await find(".error");
    if (err) throw new Error(`the server refused: ${await wd("GET", `/session/${session}/element/${err}/text`)}`);
  };
  const username = await waitFor("the login form (#username)", async () => (await refused()) || find("#username"));
  await wd("POST", `/session/${session}/element/${username}/value`, { text: user });
  await wd("POST", `/session/${session}/element/${await find("#password")}/value`, { text: password });
  await wd("POST", `/session/${session}/element/${await find("button[type=submit]")}/click`, {});
  console.log("browser: logged in");

  // After the login the server shows its consent page, or (already approved) redirects at once.
  const next = await waitFor("the consent page or the callback", async () => {
    if ((await currentUrl()).startsWith(callbackPrefix)) return "callback";
    if (await find("button[value=approve]")) return "consent";
    await refused();
    return null;
  });
  if (next === "consent") {
    await wd("POST", `/session/${session}/element/${await find("button[value=approve]")}/click`, {});
    console.log("browser: approved the consent page");
  } else console.log("browser: no consent page (already approved)");
  await waitFor("the callback", async () => (await currentUrl()).startsWith(callbackPrefix));
  console.log(`browser: reached ${where(await currentUrl())}`);
  rc = 0;
} catch (e) {
  console.error(`browser: ${e.message}`);
  if (session) {
    try {
      const url = await currentUrl();
      const text = await wd("POST", `/session/${session}/execute/sync`, { script: "return document.body ? document.body.innerText : ''", args: [] });
      console.error(`browser: stopped on ${where(url)}: ${String(text).replace(/\s+/g, " ").slice(0, 300)}`);
    } catch {}
  }
} finally {
  if (session) await wd("DELETE", `/session/${session}`).catch(() => {});
}
process.exit(rc);
