/**
 * The `act` verb on real outputs. The payload names an output and what to do (set, pulse,
 * toggle) or asks the node to identify itself. Checked first: the payload, that the output
 * exists (else CONFLICT, CAPABILITY_MISMATCH) and that the agent holds `act:<output>` (same).
 * In `hold` mode the switch happens at T (the engine calls atRelease when T arrives); in the
 * other modes now. A hardware error answers TRANSIT with the reason: never READY for a
 * switch that did not happen.
 */
import { ActPayload, TRANSIT_REFUSAL, verbPayloadIssues, verbPayloadRefusal } from '@mesh30k/shared';
import type { HandlerOutcome, VerbHandler } from '../coordination/handlers.js';
import { actCapability } from './config.js';
import type { OutputDriver } from './sensor-hub.js';

/** The payload schema is shared with the lead, which refuses a bad one before sending (protocol/verb-payloads). */
export { ActPayload };

const mismatch = (detail: string, expected: string, received: string): HandlerOutcome => ({
  state: 'conflict',
  conflict: { type: 'CAPABILITY_MISMATCH', expected_value: expected, received_value: received, detail },
});

function hardware(error: unknown): HandlerOutcome {
  return { state: 'transit', code: 'HARDWARE_ERROR', message: (error instanceof Error ? error.message : String(error)).slice(0, 400) };
}

export function actHandler(outputs: OutputDriver, capabilities: readonly string[]): VerbHandler {
  return async (ctx): Promise<HandlerOutcome> => {
    const issues = verbPayloadIssues('act', ctx.coordinate.payload);
    if (issues.length > 0) return { state: 'transit', code: TRANSIT_REFUSAL.PAYLOAD_INVALID, message: verbPayloadRefusal('act', issues) };
    const payload = ActPayload.parse(ctx.coordinate.payload);
    if (payload.action === 'identify') {
      try {
        const started = await outputs.identify(payload.duration_ms);
        return { state: 'ready', result: { identify: { led: started.led, output: started.output, duration_ms: started.durationMs } } };
      } catch (error) {
        return hardware(error);
      }
    }
    const { output } = payload;
    if (!outputs.has(output)) return mismatch(`no output "${output}" on ${ctx.agentId}`, 'a configured gpio.output', output);
    if (!capabilities.includes(actCapability(output))) return mismatch(`${ctx.agentId} does not hold ${actCapability(output)}`, actCapability(output), 'not held');
    const perform = async (): Promise<void> => {
      if (payload.action === 'set') await outputs.set(output, payload.value);
      else if (payload.action === 'toggle') await outputs.toggle(output);
      else await outputs.pulse(output, payload.duration_ms, payload.value);
    };
    const result = (): unknown => ({ output, action: payload.action, state: outputs.state(output) });
    if (ctx.coordinate.release_mode === 'hold') return { state: 'ready', atRelease: perform, result: { output, action: payload.action } };
    try {
      await perform();
    } catch (error) {
      return hardware(error);
    }
    return { state: 'ready', result: result() };
  };
}
