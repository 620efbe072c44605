// Shared by the browser tests: build nodelist, run `nodelist demo` (a
// simulated fleet and the service in one process) on a free port, wait for
// a finished round, and launch Debian's Chromium through playwright-core.
//
// Env:
//   NODELIST_BIN             use this binary instead of building ./cmd/nodelist
//   NODELIST_CHROMIUM        browser executable (default /usr/bin/chromium)
//   NODELIST_SCREENSHOT_DIR  where screenshots go (default os.tmpdir())
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { before, after } from 'node:test';

export const BUILD_TIMEOUT_MS = 8 * 60_000;
export const READY_TIMEOUT_MS = 60_000;
const POLL_MS = 200;

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');

export async function buildBinary(tmpDir) {
  if (process.env.NODELIST_BIN) return process.env.NODELIST_BIN;
  const bin = path.join(tmpDir, 'nodelist');
  try {
    await promisify(execFile)('go', ['build', '-o', bin, './cmd/nodelist'], {
      cwd: repoRoot,
      timeout: BUILD_TIMEOUT_MS,
      maxBuffer: 16 << 20,
    });
  } catch (err) {
    throw new Error(`go build ./cmd/nodelist failed: ${err.message}\n${err.stderr ?? ''}`);
  }
  return bin;
}

// startDemo runs the demo and keeps the tail of its output for failure
// messages. The demo listens on a port the kernel picks when it binds (a
// port chosen beforehand could be taken meanwhile by one of the simulated
// nodes of another test file's demo); waitReady reads it from the
// demo's "serving" log line into base.
export function startDemo(bin, nodes, extraArgs = []) {
  const proc = spawn(bin, ['demo', '--listen', '127.0.0.1:0', '--nodes', String(nodes), ...extraArgs], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk) => {
    tail = (tail + chunk.toString()).slice(-16_000);
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => resolve({ code, signal }));
    proc.on('error', (err) => resolve({ code: null, signal: null, err }));
  });
  let all = ''; // the output up to the serving line, where base is read
  const s = { proc, exited, nodes, base: '', output: () => tail };
  proc.stderr.on('data', (chunk) => {
    if (s.base) return;
    all += chunk.toString();
    const m = all.match(/msg=serving url=(http:\/\/127\.0\.0\.1:\d+)/);
    if (m) s.base = m[1];
  });
  process.on('exit', () => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  });
  return s;
}

export async function stopDemo(s) {
  if (!s || s.proc.exitCode !== null || s.proc.signalCode !== null) return;
  s.proc.kill('SIGTERM');
  const timer = setTimeout(() => s.proc.kill('SIGKILL'), 10_000);
  await s.exited;
  clearTimeout(timer);
}

export async function getJSON(url) {
  const resp = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  assert.equal(resp.status, 200, `GET ${url}: status ${resp.status}`);
  return resp.json();
}

// waitReady polls crns.json until every node is listed and a round finished.
export async function waitReady(s) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer yet';
  let exit = null;
  s.exited.then((e) => {
    exit = e;
  });
  while (Date.now() < deadline) {
    if (exit) {
      throw new Error(`demo exited early (${JSON.stringify(exit)}); output:\n${s.output()}`);
    }
    try {
      if (!s.base) throw new Error('not serving yet');
      const doc = await getJSON(`${s.base}/crns.json`);
      if (Array.isArray(doc.crns) && doc.crns.length === s.nodes && doc.last_refresh !== null) return doc;
      last = `crns=${doc.crns?.length} last_refresh=${doc.last_refresh}`;
    } catch (err) {
      last = err.message;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new Error(`demo not ready within ${READY_TIMEOUT_MS} ms (last: ${last}); output:\n${s.output()}`);
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.NODELIST_CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 60_000,
  });
}

// watchErrors collects a page's console errors, uncaught errors and dialogs.
export function watchErrors(page, into) {
  page.on('console', (msg) => {
    if (msg.type() === 'error') into.push(`console: ${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => into.push(`pageerror: ${err.message}`));
  page.on('dialog', (dialog) => {
    into.push(`dialog: ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
}

export function screenshotPath(name) {
  const dir = process.env.NODELIST_SCREENSHOT_DIR || os.tmpdir();
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}

// useDemo registers the hooks of a test file that drives one demo with one
// page: before its tests, build the binary, start `nodelist demo` with
// opts.nodes nodes (and opts.args), wait for its first round, open a
// 1400×900 page whose errors go to opts.errors, and hand the three to
// ready; after them, close and remove everything.
export function useDemo(opts, ready) {
  const s = { server: null, browser: null, page: null, tmpDir: null };
  before(
    async () => {
      s.tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), opts.prefix));
      const bin = await buildBinary(s.tmpDir);
      s.server = startDemo(bin, opts.nodes, opts.args || []);
      await waitReady(s.server);
      s.browser = await launchBrowser();
      s.page = await s.browser.newPage({ viewport: { width: 1400, height: 900 } });
      s.page.setDefaultTimeout(opts.uiTimeout);
      watchErrors(s.page, opts.errors);
      ready(s);
    },
    { timeout: BUILD_TIMEOUT_MS + READY_TIMEOUT_MS + 120_000 },
  );
  after(
    async () => {
      if (s.browser) await s.browser.close().catch(() => {});
      await stopDemo(s.server);
      if (s.tmpDir) fs.rmSync(s.tmpDir, { recursive: true, force: true });
    },
    { timeout: 30_000 },
  );
}
