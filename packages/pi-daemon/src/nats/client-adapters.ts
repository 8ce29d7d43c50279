import { DebugEvents, ErrorCode, Events, headers as natsHeaders } from 'nats';
import type { Msg, MsgHdrs, NatsError, Status } from 'nats';
import type { BusMessage, OutgoingHeaders } from './bus.js';
import { BusError } from './errors.js';
import type { ConnectionEvent } from './events.js';

/** Translations between the nats client's types and the Bus's. */

/** A client message as a BusMessage; `respond` refuses while the link is down (no buffering). */
export function wrapMessage(msg: Msg, arrivedAt: number, connected: () => boolean): BusMessage {
  const hdrs = msg.headers;
  return {
    subject: msg.subject,
    data: msg.data,
    arrivedAt,
    headers: { get: (name) => headerValue(hdrs, name) },
    respond: (data, headers) => {
      if (!connected()) return false;
      return msg.respond(data, headers === undefined ? undefined : { headers: toHdrs(headers) });
    },
  };
}

function headerValue(hdrs: MsgHdrs | undefined, name: string): string | undefined {
  if (hdrs === undefined || !hdrs.has(name)) return undefined;
  return hdrs.get(name);
}

export function toHdrs(headers: OutgoingHeaders): MsgHdrs {
  const hdrs = natsHeaders();
  for (const [name, value] of Object.entries(headers)) hdrs.set(name, value);
  return hdrs;
}

export function toBusError(error: unknown, subject: string): BusError {
  const code = (error as Partial<NatsError> | undefined)?.code;
  switch (code) {
    case ErrorCode.Timeout:
      return new BusError('TIMEOUT', `no reply on ${subject} in time`, { cause: error });
    case ErrorCode.NoResponders:
      return new BusError('NO_RESPONDERS', `nobody serves ${subject}`, { cause: error });
    case ErrorCode.ConnectionClosed:
    case ErrorCode.ConnectionDraining:
      return new BusError('CLOSED', `connection closed during a request on ${subject}`, { cause: error });
    case ErrorCode.Disconnect:
      return new BusError('NOT_CONNECTED', `disconnected during a request on ${subject}`, { cause: error });
    case undefined:
    default:
      return new BusError('FAILED', `request on ${subject} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** The client's status report as a ConnectionEvent; undefined for reports nobody acts on. */
export function eventFromStatus(status: Status): ConnectionEvent | undefined {
  const server = typeof status.data === 'string' ? status.data : '';
  switch (status.type) {
    case Events.Disconnect:
      return { type: 'disconnected', server };
    case Events.Reconnect:
      return { type: 'reconnected', server };
    case Events.LDM:
      return { type: 'lame-duck' };
    case Events.Error:
      return { type: 'error', error: typeof status.data === 'string' ? status.data : JSON.stringify(status.data) };
    case DebugEvents.Reconnecting:
      return { type: 'reconnecting', server };
    case DebugEvents.StaleConnection:
      return { type: 'stale' };
    case Events.Update:
    case DebugEvents.PingTimer:
    case DebugEvents.ClientInitiatedReconnect:
      return undefined;
  }
}
