/**
 * Report printers: `renderReport(report, 'md' | 'html' | 'json')`. JSON is the report object as is
 * (stable shape: run.ts DeploymentReport, schema `mobius-deploy/report@1`).
 */

import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import type { DeploymentReport } from './run.js';

export const REPORT_FORMATS = ['md', 'html', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function renderJson(report: DeploymentReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

export function renderReport(report: DeploymentReport, format: ReportFormat): string {
  if (format === 'html') return renderHtml(report);
  if (format === 'json') return renderJson(report);
  return renderMarkdown(report);
}
