/**
 * Colour rules: colour only when the stream is a TTY, NO_COLOR is unset (https://no-color.org: any
 * non-empty value disables it), and --no-color was not given. FORCE_COLOR (non-empty, not "0")
 * turns it on even without a TTY, unless --no-color or NO_COLOR says otherwise.
 */
export interface ColorDecisionInput {
  /** False when --no-color was given. */
  colorFlag: boolean;
  isTTY: boolean | undefined;
  env: NodeJS.ProcessEnv;
}

export function shouldUseColor({ colorFlag, isTTY, env }: ColorDecisionInput): boolean {
  if (!colorFlag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  if (env.TERM === 'dumb') return false;
  return isTTY === true;
}

export interface Colors {
  enabled: boolean;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  magenta(s: string): string;
  blue(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
const identity = (s: string) => s;

export function createColors(enabled: boolean): Colors {
  if (!enabled) {
    return {
      enabled,
      red: identity,
      green: identity,
      yellow: identity,
      cyan: identity,
      magenta: identity,
      blue: identity,
      bold: identity,
      dim: identity,
    };
  }
  return {
    enabled,
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    blue: wrap(34, 39),
    magenta: wrap(35, 39),
    cyan: wrap(36, 39),
    bold: wrap(1, 22),
    dim: wrap(2, 22),
  };
}

const ANSI = /\u001b\[[0-9;]*m/g;

/** The text without ANSI colour codes. */
export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

/** The printed width of a string (ANSI codes do not count). */
export function visibleWidth(s: string): number {
  return stripAnsi(s).length;
}
