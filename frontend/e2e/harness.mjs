// Starts the real product for end-to-end tests: a fresh PostgreSQL database, migrations,
// demo data, the built frontend, daphne and a Celery worker (a new booking's notification and
// emails are sent by the worker, as in production). Everything it starts, it stops.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync, mkdirSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const FRONTEND = path.resolve(here, "..");
export const ROOT = path.resolve(FRONTEND, "..");
export const RESULTS = path.join(FRONTEND, "test-results");
const PY = path.join(ROOT, ".venv", "bin", "python");
const DAPHNE = path.join(ROOT, ".venv", "bin", "daphne");
const CELERY = path.join(ROOT, ".venv", "bin", "celery");

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const DEMO_PASSWORD = "demo-pass-2026";

function run(cmd, args, env, label) {
  const res = spawnSync(cmd, args, { cwd: ROOT, env, encoding: "utf8" });
  if (res.status !== 0) {
    throw new Error(`${label} failed (exit ${res.status}):\n${res.stdout}\n${res.stderr}`);
  }
  return res.stdout;
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

async function freePort(from, to) {
  for (let port = from; port <= to; port++) {
    if (await portIsFree(port)) return port;
  }
  throw new Error(`no free port in ${from}-${to}`);
}

/** Recreates the database named in `url` (dropping open connections first). */
function recreateDatabase(url, env) {
  const name = new URL(url).pathname.replace(/^\//, "");
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`refusing odd database name ${name}`);
  const script = `
import psycopg, sys
url = sys.argv[1]
admin = url.rsplit("/", 1)[0] + "/postgres"
with psycopg.connect(admin, autocommit=True) as conn:
    conn.execute('DROP DATABASE IF EXISTS "${name}" WITH (FORCE)')
    conn.execute('CREATE DATABASE "${name}"')
`;
  run(PY, ["-c", script, url], env, "recreate database");
}

export async function startServer() {
  const databaseUrl = process.env.E2E_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/consult_e2e";
  const port = process.env.E2E_PORT ? Number(process.env.E2E_PORT) : await freePort(8810, 8899);
  const varDir = mkdtempSync(path.join(tmpdir(), "consult-e2e-"));
  const env = {
    ...process.env,
    DJANGO_SETTINGS_MODULE: "project.settings.dev",
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.E2E_REDIS_URL || "redis://127.0.0.1:6379/8",
    CHANNEL_LAYER_PREFIX: "e2e",
    ALLOWED_HOSTS: "127.0.0.1,localhost",
    CSRF_TRUSTED_ORIGINS: `http://127.0.0.1:${port}`,
    CONSULT_VAR_DIR: varDir,
    MEDIA_ROOT: path.join(varDir, "media"),
    // Chat sends in a burst must not hit the per-user flood limit during the scenario.
    CHAT_SEND_RATE: "1000/min",
    PYTHONUNBUFFERED: "1",
  };

  if (process.env.E2E_SKIP_BUILD !== "1") {
    const build = spawnSync("npx", ["vite", "build", "--logLevel", "error"], { cwd: FRONTEND, encoding: "utf8" });
    if (build.status !== 0) throw new Error(`frontend build failed:\n${build.stdout}\n${build.stderr}`);
  }
  if (!existsSync(path.join(FRONTEND, "dist", "index.html"))) throw new Error("frontend/dist is missing; run npm run build");

  recreateDatabase(databaseUrl, env);
  run(PY, ["manage.py", "migrate", "--noinput", "-v", "0"], env, "migrate");
  run(PY, ["manage.py", "load_demo_data"], env, "load_demo_data");

  mkdirSync(RESULTS, { recursive: true });
  // A leftover server on the port would answer the health check in daphne's place.
  if (!(await portIsFree(port))) throw new Error(`port ${port} is already in use (E2E_PORT)`);
  const logs = [];
  const proc = spawn(DAPHNE, ["-b", "127.0.0.1", "-p", String(port), "project.asgi:application"], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.stdout.on("data", (b) => logs.push(b.toString()));
  proc.stderr.on("data", (b) => logs.push(b.toString()));
  // --purge: tasks an earlier run left in this Redis DB's queue belong to another database.
  const worker = spawn(
    CELERY,
    ["-A", "project", "worker", "-l", "info", "--concurrency", "1", "--purge", "-n", `e2e${port}@%h`],
    { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  const workerLogs = [];
  worker.stdout.on("data", (b) => workerLogs.push(b.toString()));
  worker.stderr.on("data", (b) => workerLogs.push(b.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;

  const server = {
    baseUrl,
    port,
    env,
    logs,
    async stop() {
      await Promise.all([stopProcess(proc), stopProcess(worker)]);
      rmSync(varDir, { recursive: true, force: true });
    },
    /** Runs Python in the server's environment (e.g. to shape data for a scenario). */
    shell(code) {
      return run(PY, ["manage.py", "shell", "-c", code], env, "manage.py shell");
    },
  };

  try {
    await waitForHealth(baseUrl, port, proc, logs);
    await waitForWorker(worker, workerLogs);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

async function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  await new Promise((resolve) => {
    const t = setTimeout(() => {
      child.kill("SIGKILL");
      resolve();
    }, 5000);
    child.once("exit", () => {
      clearTimeout(t);
      resolve();
    });
  });
}

async function waitForWorker(worker, workerLogs, timeoutMs = 60_000) {
  // Celery logs "<name> ready." once it consumes; a booking made before would wait for it.
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (worker.exitCode !== null) throw new Error(`celery worker exited:\n${workerLogs.join("")}`);
    if (workerLogs.join("").includes(" ready.")) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`celery worker not ready in ${timeoutMs} ms:\n${workerLogs.join("")}`);
}

async function waitForHealth(baseUrl, port, proc, logs, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  // Healthy only once our own daphne says it bound the port: another process that took the
  // port in the meantime must not pass for the server under test.
  const bound = `Listening on TCP address 127.0.0.1:${port}`;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`daphne exited early (${proc.exitCode}):\n${logs.join("")}`);
    if (!logs.join("").includes(bound)) {
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    try {
      const res = await fetch(`${baseUrl}/healthz`);
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`server did not become healthy:\n${logs.join("")}`);
}

// Playwright adds --headless itself and gives every launch a fresh temporary profile
// (--user-data-dir), removed on close.
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

export async function launchBrowser() {
  const { chromium } = await import("playwright-core");
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}; install it with: apt-get install -y chromium`);
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  return {
    browser,
    async close() {
      await browser.close().catch(() => undefined);
    },
  };
}

/** A browser context whose console errors and failed page errors are collected. */
export const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true };

export async function newWatchedPage(browser, baseUrl, { timezoneId = "UTC", name = "page", device = {} } = {}) {
  const context = await browser.newContext({ baseURL: baseUrl, timezoneId, viewport: { width: 1280, height: 860 }, ...device });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`[${name}] console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`[${name}] page error: ${err.message}`));
  return { context, page, problems };
}
