/** What the HTTP layer is given: the service behind the API and the settings of the server. */
import type { Logger } from 'pino';
import type { PreviewService } from '../service-types.js';

export interface HttpDeps {
  service: PreviewService;
  metrics: { contentType: string; render(): Promise<string> };
  logger: Logger;
  /** When set, every `/v1/*` request needs `Authorization: Bearer <apiToken>`. */
  apiToken?: string;
  /** Largest accepted request body; larger ones get 413. */
  maxBodyBytes: number;
  /** True once shutdown has begun: /readyz answers 503 and no new job is accepted. */
  isShuttingDown(): boolean;
}
