/**
 * Where the toolchain keeps what it fetches: .tools/ in the checkout (git-ignored), or
 * $MOBIUS_TOOLS_DIR (for one cache shared by several checkouts).
 */
import { join } from 'node:path';
import { REPO_ROOT } from '../support/cli.js';

export const TOOLS_DIR = process.env.MOBIUS_TOOLS_DIR?.trim() || join(REPO_ROOT, '.tools');
