/**
 * The HTML report in a real headless Chromium (the chromium on PATH, which npm test provides, through playwright-core):
 * it loads with no console error, no page error and no network request besides the file itself,
 * the three SVG charts render with a non-zero size and carry a title and description, the print
 * layout has a white background and produces a PDF, and a screenshot is written for review
 * (REPORT_SCREENSHOT_DIR keeps it; otherwise it goes to a temporary directory that is removed).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { renderHtml } from '../../src/deploy/commands/report/html.js';
import { runReport } from '../../src/deploy/commands/report/run.js';
import type { StatusResult } from '../../src/deploy/health/status-types.js';
import type { KubeClients } from '../../src/deploy/kube/client.js';
import { Ledger, MemoryLedgerDriver } from '../../src/deploy/ledger/index.js';
import { generateLedger } from '../support/ledger-fixtures.js';
import { requireTool } from '../support/tools.js';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A cluster status like the status action returns for two healthy pods. */
function fakeStatus(): StatusResult {
  const pod = (name: string, restarts: number, oom: boolean) => ({
    name,
    phase: 'Running',
    status: 'Running',
    ready: '1/1',
    restarts,
    images: [],
    health: {
      state: 'healthy',
      ready: true,
      readyContainers: 1,
      totalContainers: 1,
      restarts,
      ...(oom ? { lastTermination: { container: 'worker', reason: 'OOMKilled', exitCode: 137 } } : {}),
    },
  });
  const figure = (usage: number, limit: number) => ({ usage, limit, pctOfLimit: (usage / limit) * 100 });
  return {
    kind: 'StatusResult',
    namespace: 'production',
    generatedAt: '2026-03-15T00:00:00.000Z',
    healthy: true,
    pods: [pod('preview-worker-a', 2, true), pod('preview-worker-b', 0, false)],
    resources: {
      available: true,
      pods: [
        {
          pod: 'preview-worker-a',
          cpu: figure(0.4, 1),
          memory: figure(700 * 2 ** 20, 1024 * 2 ** 20),
          containers: [],
        },
        {
          pod: 'preview-worker-b',
          cpu: figure(0.2, 1),
          memory: figure(400 * 2 ** 20, 1024 * 2 ** 20),
          containers: [],
        },
      ],
    },
    queue: { available: true, completed: 940, failed: 12, byState: {}, workers: 2, podsAsked: 2, errors: [] },
    notes: [],
  } as unknown as StatusResult;
}

describe('HTML report in headless Chromium', () => {
  let browser: Browser;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mobius-report-html-'));
    browser = await chromium.launch({ executablePath: requireTool('chromium'), args: ARGS, headless: true });
  });
  after(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('loads cleanly, renders the charts, prints, and looks right', async () => {
    const fixture = generateLedger({ seed: 11, days: 75, deploysPerDay: 2.5 });
    const driver = new MemoryLedgerDriver();
    for (const r of [...fixture.records, ...fixture.incidents]) await driver.create(r);
    const report = await runReport(
      {
        ledger: new Ledger(driver),
        kube: async () => ({}) as KubeClients,
        runStatus: async () => fakeStatus(),
      },
      { period: 'month', now: fixture.end, namespace: 'production', environment: 'production' },
    );
    assert.equal(report.infrastructure?.source, 'cluster');
    assert.equal(report.infrastructure?.oomKills.value, 1);
    const html = renderHtml(report);
    const file = join(dir, 'report.html');
    await writeFile(file, html);
    const url = pathToFileURL(file).href;

    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const consoleErrors: string[] = [];
    const requests: string[] = [];
    const failed: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.on('request', (r) => requests.push(r.url()));
    page.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText}`));
    await page.goto(url, { waitUntil: 'load' });

    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(failed, []);
    assert.deepEqual(requests, [url], 'the file loads nothing else');

    const charts = await page.$$eval('svg.chart', (els) =>
      els.map((e) => {
        const box = e.getBoundingClientRect();
        return {
          width: box.width,
          height: box.height,
          title: e.querySelector('title')?.textContent ?? '',
          desc: e.querySelector('desc')?.textContent ?? '',
          labelledBy: e.getAttribute('aria-labelledby') ?? '',
          shapes: e.querySelectorAll('rect, circle, path, polyline').length,
        };
      }),
    );
    assert.equal(charts.length, 3);
    for (const c of charts) {
      assert.ok(c.width > 100 && c.height > 100, `chart ${c.title} has a size (${c.width}x${c.height})`);
      assert.ok(c.title.length > 0 && c.desc.length > 0);
      assert.match(c.labelledBy, /-t .*-d$/);
      assert.ok(c.shapes > 3, `chart ${c.title} draws something`);
    }
    assert.match(charts[0]?.title ?? '', /Deploys per day/);
    // Table fallbacks for screen readers exist for the charts.
    assert.ok((await page.locator('table.sr-only').count()) >= 2);
    const heading = await page.locator('h1').textContent();
    assert.match(heading ?? '', /Deployment report: month ending 2026-03-15/);
    assert.match((await page.locator('body').textContent()) ?? '', /Source: current cluster state/);

    const shotDir = process.env.REPORT_SCREENSHOT_DIR ?? dir;
    const shot = await page.screenshot({ path: join(shotDir, 'report-screen.png'), fullPage: true });
    assert.ok(shot.length > 20_000, 'screenshot has content');

    await page.emulateMedia({ media: 'print' });
    const printBg = await page.evaluate(() => {
      // Runs in the page (no DOM types in this project's tsconfig).
      const g = globalThis as unknown as {
        getComputedStyle(e: unknown): { backgroundColor: string };
        document: { body: unknown };
      };
      return g.getComputedStyle(g.document.body).backgroundColor;
    });
    assert.equal(printBg, 'rgb(255, 255, 255)');
    const pdf = await page.pdf({ format: 'A4', printBackground: false });
    assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
    await page.close();
    assert.ok((await readFile(file, 'utf8')).length < 1_000_000);
  });
});
