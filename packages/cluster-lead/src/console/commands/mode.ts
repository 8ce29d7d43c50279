/** `mesh mode`: the degradation mode (computed, and any operator override); `--set MODE` or `--clear`. */
import { z } from 'zod';
import { expectOk } from '../api.js';
import { printJson, type Command } from '../context.js';
import { ConsoleError, EXIT } from '../exit-codes.js';
import { check } from '../options.js';

const Mode = z.enum(['FULL', 'DEGRADED_LIGHT', 'DEGRADED_MODERATE', 'DEGRADED_SEVERE', 'EMERGENCY'], {
  error: 'must be FULL, DEGRADED_LIGHT, DEGRADED_MODERATE, DEGRADED_SEVERE or EMERGENCY',
});

interface ModeBody {
  mode: string;
  computed: string;
  override: string | null;
}

export const modeCommand: Command = {
  name: 'mode',
  summary: 'the degradation mode; --set MODE overrides it, --clear removes the override',
  usage: 'mode [--set MODE | --clear]',
  flags: { set: { type: 'string' }, clear: { type: 'boolean' } },
  async run(ctx) {
    const v = ctx.args.values;
    if (v.set !== undefined && v.clear === true) throw new ConsoleError('USAGE', '--clear: give --set or --clear, not both');
    const write = v.set !== undefined || v.clear === true;
    const override = typeof v.set === 'string' ? check(Mode, v.set.toUpperCase(), 'set') : null;
    const res = write ? await ctx.client.request('PUT', '/v1/mode', { body: { override }, idempotencyKey: ctx.idempotencyKey() }) : await ctx.client.get('/v1/mode');
    const mode = expectOk<ModeBody>(res, 'mode');
    if (ctx.options.json) printJson(ctx, mode);
    else {
      const shown = mode.mode === 'FULL' ? ctx.style.ok(mode.mode) : ctx.style.warn(mode.mode);
      ctx.io.out(`mode ${shown} (computed ${mode.computed}${mode.override === null ? ', no override' : `, overridden to ${mode.override}`})\n`);
    }
    return mode.mode === 'FULL' ? EXIT.OK : EXIT.DEGRADED;
  },
};
