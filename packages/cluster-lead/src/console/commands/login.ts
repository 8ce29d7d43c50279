/**
 * `mesh login`: a ready sign-in link for the lead's dashboard. The token is made from the
 * operator's key exactly as `mesh-lead api-token` makes it, and rides in the URL fragment
 * (#token=...), which the browser never sends to a server; the sign-in page removes it from the
 * address bar. Nothing is sent to the lead: this command works offline.
 */
import { parseApiToken } from '@mesh30k/shared';
import { createApiToken } from '../../cli/operator-keys.js';
import { LeadError } from '../../lib/errors.js';
import { printJson, type Command } from '../context.js';
import { ConsoleError, EXIT } from '../exit-codes.js';

/** A dashboard session lasts as long as its token, at most 12 h (src/web); a day's shift by default. */
const DEFAULT_TTL = '8h';

export const loginCommand: Command = {
  name: 'login',
  summary: 'print a dashboard sign-in link (and the token) for this operator',
  usage: 'login [--ttl 15m|8h|12h] [--role operator|read]',
  flags: { ttl: { type: 'string' }, role: { type: 'string' } },
  async run(ctx) {
    const { credentials } = ctx.options;
    const ttl = typeof ctx.args.values.ttl === 'string' ? ctx.args.values.ttl : DEFAULT_TTL;
    const role = typeof ctx.args.values.role === 'string' ? ctx.args.values.role : undefined;
    let token: string;
    if (credentials.kind === 'key') {
      try {
        token = await createApiToken({ keyPath: credentials.keyFile, id: credentials.operatorId, role, ttl, now: ctx.io.now() });
      } catch (error) {
        if (error instanceof LeadError) throw new ConsoleError(error.code === 'USAGE' ? 'USAGE' : 'AUTH', error.message, { cause: error });
        throw error;
      }
    } else if (credentials.kind === 'token') {
      // A token given to the console is passed on as it is: no key here to make another.
      if (ctx.args.values.ttl !== undefined || role !== undefined) throw new ConsoleError('USAGE', '--ttl and --role need a key (--operator with --key); a --token is used as it is');
      token = credentials.token;
    } else {
      throw new ConsoleError('AUTH', 'mesh login needs the operator key (--operator ID --key FILE, MESH_OPERATOR_ID and MESH_OPERATOR_KEY, or a context)');
    }
    const claims = parseApiToken(token);
    const base = ctx.options.leadUrl.replace(/\/+$/, '');
    const answer = {
      url: `${base}/ui/`,
      sign_in_url: `${base}/ui/login#token=${token}`,
      token,
      operator_id: claims.ok ? claims.value.claims.sub : null,
      role: claims.ok ? claims.value.claims.role : null,
      expires_at: claims.ok ? new Date(claims.value.claims.exp).toISOString() : null,
    };
    if (ctx.options.json) {
      printJson(ctx, answer);
      return EXIT.OK;
    }
    ctx.io.out(
      [
        `Dashboard: ${answer.url}`,
        `Sign in as ${answer.operator_id ?? '?'} (${answer.role ?? '?'}) until ${answer.expires_at ?? '?'}; open this link (it carries the token, keep it to yourself):`,
        `  ${answer.sign_in_url}`,
        `Or paste the token on the sign-in page:`,
        `  ${token}`,
        '',
      ].join('\n'),
    );
    return EXIT.OK;
  },
};
