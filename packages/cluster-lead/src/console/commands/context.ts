/** `mesh context add|use|list|rm`: named leads and the credentials for each (src/console/contexts.ts). */
import { printJson, type Command } from '../context.js';
import { absoluteKeyPath, checkContext, checkName, contextsPath, readContexts, writeContexts } from '../contexts.js';
import { ConsoleError, EXIT } from '../exit-codes.js';

export const contextCommand: Command = {
  name: 'context',
  summary: 'save, select and list leads with their credentials (add, use, list, rm)',
  usage: 'context add NAME --lead URL [--operator ID --key FILE | --token TOKEN] [--ca FILE | --fingerprint SHA256] [--description TEXT] [--use]\n       mesh context use NAME | list | rm NAME',
  flags: { description: { type: 'string' }, use: { type: 'boolean' } },
  local: true,
  run(ctx) {
    const [verb, name, extra] = ctx.args.positionals;
    if (extra !== undefined) throw new ConsoleError('USAGE', `context: unexpected argument "${extra}"`);
    const env = ctx.io.env;
    const file = readContexts(env);
    const v = ctx.args.values;
    switch (verb) {
      case 'add': {
        const id = checkName(name);
        const str = (key: string) => (typeof v[key] === 'string' ? (v[key]) : undefined);
        if (str('lead') === undefined) throw new ConsoleError('USAGE', '--lead: required (the lead\'s API, e.g. https://127.0.0.1:8470)');
        if ((str('key') === undefined) !== (str('operator') === undefined)) throw new ConsoleError('USAGE', '--key and --operator go together');
        const context = checkContext({
          lead: str('lead'),
          ...(str('operator') === undefined ? {} : { operator: str('operator') }),
          ...(str('key') === undefined ? {} : { key: absoluteKeyPath(str('key')!) }),
          ...(str('token') === undefined ? {} : { token: str('token') }),
          ...(str('ca') === undefined ? {} : { ca: absoluteKeyPath(str('ca')!) }),
          ...(str('fingerprint') === undefined ? {} : { fingerprint: str('fingerprint') }),
          ...(str('description') === undefined ? {} : { description: str('description') }),
        });
        const replaced = file.contexts[id] !== undefined;
        file.contexts[id] = context;
        if (v.use === true || file.current === undefined) file.current = id;
        const path = writeContexts(env, file);
        ctx.io.out(`${replaced ? 'replaced' : 'added'} context ${id} (${context.lead}) in ${path}${file.current === id ? '; it is the current one' : `; select it with: mesh context use ${id}`}\n`);
        return Promise.resolve(EXIT.OK);
      }
      case 'use': {
        const id = checkName(name);
        if (file.contexts[id] === undefined) throw new ConsoleError('USAGE', `context "${id}" does not exist; mesh context list shows them`);
        file.current = id;
        writeContexts(env, file);
        ctx.io.out(`current context: ${id} (${file.contexts[id].lead})\n`);
        return Promise.resolve(EXIT.OK);
      }
      case 'rm': {
        const id = checkName(name);
        if (file.contexts[id] === undefined) throw new ConsoleError('USAGE', `context "${id}" does not exist; mesh context list shows them`);
        delete file.contexts[id];
        if (file.current === id) delete file.current;
        writeContexts(env, file);
        ctx.io.out(`removed context ${id}\n`);
        return Promise.resolve(EXIT.OK);
      }
      case 'list':
      case undefined: {
        if (ctx.options.json) {
          printJson(ctx, { path: contextsPath(env) ?? null, ...file });
          return Promise.resolve(EXIT.OK);
        }
        const names = Object.keys(file.contexts).sort();
        if (names.length === 0) {
          ctx.io.out(`no contexts in ${contextsPath(env) ?? '$HOME/.config/mesh'}; add one with: mesh context add NAME --lead URL --operator ID --key FILE\n`);
          return Promise.resolve(EXIT.OK);
        }
        for (const id of names) {
          const c = file.contexts[id]!;
          const auth = c.token !== undefined ? 'token' : c.key !== undefined ? `operator ${c.operator ?? '?'} key ${c.key}` : 'no credentials';
          ctx.io.out(`${id === file.current ? '*' : ' '} ${id}  ${c.lead}  ${auth}${c.description === undefined ? '' : `  (${c.description})`}\n`);
        }
        return Promise.resolve(EXIT.OK);
      }
      default:
        throw new ConsoleError('USAGE', `context: say add, use, list or rm (got "${verb}")`);
    }
  },
};
