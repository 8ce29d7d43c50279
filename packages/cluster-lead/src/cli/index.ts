import Database from 'better-sqlite3';
import { formatIssue, loadConfig, ConfigError, ENV_PREFIX, unknownLeadEnv, type LeadConfig } from '../config/index.js';
import { EXIT, LeadError, exitCodeFor } from '../lib/errors.js';
import { runLead } from '../run-lead.js';
import { databasePath, recoverDatabase } from '../store/index.js';
import { parseCommandLine } from './args.js';
import { readRequestText, signEnrollment, writeEnrollment } from './enroll.js';
import { helpText } from './help.js';
import { initLead } from './init.js';
import { natsUserCommand } from './nats-user.js';
import { createApiToken, createOperatorKey } from './operator-keys.js';
import { leadVersion } from './version.js';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  now: () => number;
}

const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  now: () => Date.now(),
};

/**
 * The mesh-lead command line. Returns the exit status; operator mistakes print one clean
 * line (config problems one line per field, naming where the value came from), bugs a stack.
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  try {
    // nats-user has sub-actions with positional ids: it parses its own arguments.
    if (argv[0] === 'nats-user') {
      io.out(await natsUserCommand(argv.slice(1)));
      return EXIT.OK;
    }
    const args = parseCommandLine(argv);
    switch (args.command) {
      case 'help':
        io.out(helpText());
        return EXIT.OK;
      case 'version':
        io.out(`mesh-lead ${leadVersion()}\n`);
        return EXIT.OK;
      case 'run':
        return await runLead(await configFrom(args.values, io), {}, { unknownEnv: unknownLeadEnv(io.env) });
      case 'recover-db':
        return recoverDb(await configFrom(args.values, io), io);
      case 'init': {
        if (args.target === undefined) throw new LeadError('USAGE', 'init needs a directory: mesh-lead init <dir>');
        const result = await initLead({
          dir: args.target,
          force: args.values.force === true,
          now: io.now(),
          leadId: stringFlag(args.values['lead-id']),
          clusterId: stringFlag(args.values.cluster),
          operatorId: stringFlag(args.values.operator),
          http: stringFlag(args.values.http),
          nats: stringFlag(args.values.nats),
          dataDir: stringFlag(args.values['data-dir']),
          leafPort: stringFlag(args.values['leaf-port']),
          tlsCert: stringFlag(args.values['tls-cert']),
          tlsKey: stringFlag(args.values['tls-key']),
          tlsCa: stringFlag(args.values['tls-ca']),
          apiCert: stringFlag(args.values['api-cert']),
          apiKey: stringFlag(args.values['api-key']),
          apiNames: stringFlag(args.values['api-names'])?.split(',').map((name) => name.trim()).filter((name) => name !== ''),
          plainHttp: args.values['plain-http'] === true,
          rootKeyOut: stringFlag(args.values['root-key-out']),
        });
        io.out(result.text);
        return EXIT.OK;
      }
      case 'enroll': {
        const rootKeyPath = required(args.values['root-key'], 'root-key');
        const requestPath = required(args.values.request, 'request');
        const signed = await signEnrollment({
          rootKeyPath,
          requestText: await readRequestText(requestPath),
          now: io.now(),
          expiresDays: stringFlag(args.values['expires-days']),
          agentClass: stringFlag(args.values.class),
          capabilities: stringFlag(args.values.capabilities),
          cluster: stringFlag(args.values.cluster),
          sector: stringFlag(args.values.sector),
          role: stringFlag(args.values.role),
        });
        const out = stringFlag(args.values.out);
        if (out === undefined) io.out(`${JSON.stringify(signed, null, 2)}\n`);
        else await writeEnrollment(out, signed);
        return EXIT.OK;
      }
      case 'operator-key':
        io.out(await createOperatorKey({ out: required(args.values.out, 'out'), id: stringFlag(args.values.id), role: stringFlag(args.values.role) }));
        return EXIT.OK;
      case 'api-token':
        io.out(
          `${await createApiToken({ keyPath: required(args.values.key, 'key'), id: required(args.values.id, 'id'), role: stringFlag(args.values.role), ttl: required(args.values.ttl, 'ttl'), now: io.now() })}\n`,
        );
        return EXIT.OK;
    }
  } catch (error) {
    return report(error, io);
  }
}

async function configFrom(values: Record<string, string | boolean | undefined>, io: CliIo): Promise<LeadConfig> {
  const file = stringFlag(values.config) ?? io.env[`${ENV_PREFIX}CONFIG`];
  return loadConfig({ ...(file === undefined ? {} : { file }), env: io.env });
}

/** Moves a damaged database aside (a healthy one is left alone); the next start begins empty. */
function recoverDb(config: LeadConfig, io: CliIo): number {
  const path = databasePath(config.data_dir);
  const outcome = recoverDatabase(path, (file) => new Database(file, { fileMustExist: true }), io.now());
  if (outcome.movedTo === null) {
    io.out(`database ${path} passed its check; nothing moved\n`);
    return EXIT.OK;
  }
  io.out(
    `database ${path} was damaged (${outcome.problem}); moved to ${outcome.movedTo}. ` +
      `The next start begins with an empty registry: agents re-register with their next heartbeat; ` +
      `enrollments made through the API (not in trust.enrollments) must be made again. ` +
      `Rows may be salvaged with: sqlite3 ${outcome.movedTo} .recover\n`,
  );
  return EXIT.OK;
}

function report(error: unknown, io: CliIo): number {
  if (error instanceof ConfigError) {
    for (const issue of error.issues) io.err(`mesh-lead: ${formatIssue(issue)}\n`);
  } else if (error instanceof LeadError) {
    io.err(`mesh-lead: ${error.message}\n`);
  } else {
    io.err(`mesh-lead: unexpected failure\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  return exitCodeFor(error);
}

function stringFlag(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function required(value: string | boolean | undefined, name: string): string {
  const text = stringFlag(value);
  if (text === undefined) throw new LeadError('USAGE', `--${name} is required`);
  return text;
}
