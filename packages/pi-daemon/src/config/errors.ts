/**
 * Configuration errors. The daemon exits with EX_CONFIG on any of them, and the unit file
 * lists that status in RestartPreventExitStatus, so systemd does not restart-loop on a bad
 * file: a restart cannot fix it, only the operator can.
 */

/** sysexits.h EX_CONFIG: "configuration error". */
export const EX_CONFIG = 78;

export type ConfigErrorCode =
  /** The file does not exist. */
  | 'CONFIG_NOT_FOUND'
  /** The file exists but cannot be read (permissions, a directory, too large). */
  | 'CONFIG_UNREADABLE'
  /** The file is not JSON, or not a JSON object. */
  | 'CONFIG_NOT_JSON'
  /** One or more fields fail the schema (from the file or from an environment variable). */
  | 'CONFIG_INVALID';

/** One problem, attributed to the file or to the environment variable it came from. */
export interface ConfigIssue {
  /** The file path, or `env MESH_...`. */
  source: string;
  /** Dotted field path (`nats.servers.0`); empty for the document as a whole. */
  path: string;
  message: string;
}

export function formatIssue(issue: ConfigIssue): string {
  const field = issue.path === '' ? '' : `${issue.path}: `;
  return `config ${issue.source}: ${field}${issue.message}`;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code: ConfigErrorCode;
  readonly issues: readonly ConfigIssue[];
  /** The status the process should exit with. */
  readonly exitCode = EX_CONFIG;

  constructor(code: ConfigErrorCode, issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    // One line per problem: the operator sees every mistake at once, not one per restart.
    super(issues.map(formatIssue).join('\n'), options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.issues = issues;
  }
}
