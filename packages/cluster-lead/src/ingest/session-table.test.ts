import { describe, expect, it } from 'vitest';
import { SessionTable } from './session-table.js';

const keys = () => ({ agentToLead: new Uint8Array(32).fill(1), leadToAgent: new Uint8Array(32).fill(2) });

describe('SessionTable', () => {
  it('keeps the session in use when a newer HELLO opens another, until the newer one is used', () => {
    const table = new SessionTable();
    const a = table.open('pi-1', keys(), 1_000);
    expect(table.agentsInSession).toBe(0);
    table.used(a);
    expect(table.agentsInSession).toBe(1);
    const b = table.open('pi-1', keys(), 1_000);
    expect(table.agentsInSession).toBe(1);
    expect(table.get(a.id, 0)).toBe(a);
    // A third HELLO (a replay, say) replaces only the unused one.
    const c = table.open('pi-1', keys(), 1_000);
    expect(table.get(b.id, 0)).toBeUndefined();
    expect(table.get(a.id, 0)).toBe(a);
    table.used(c);
    expect(table.get(a.id, 0)).toBeUndefined();
    expect(table.get(c.id, 0)).toBe(c);
    expect(table.size).toBe(1);
  });

  it('forgets a session at its expiry, and zeroes its keys', () => {
    const table = new SessionTable();
    const a = table.open('pi-1', keys(), 1_000);
    expect(table.get(a.id, 999)).toBe(a);
    expect(table.get(a.id, 1_000)).toBeUndefined();
    expect(a.agentToLead.every((b) => b === 0)).toBe(true);
    table.open('pi-2', keys(), 500);
    table.open('pi-3', keys(), 5_000);
    expect(table.sweep(600)).toBe(1);
    expect(table.size).toBe(1);
  });

  it('drops every session of the agents it is told to, and no other', () => {
    const table = new SessionTable();
    const a = table.open('pi-1', keys(), 1_000);
    table.used(a);
    table.open('pi-1', keys(), 1_000);
    const other = table.open('pi-2', keys(), 1_000);
    expect(table.dropAgentsWhere((id) => id === 'pi-1')).toEqual(['pi-1']);
    expect(table.agentsInSession).toBe(0);
    expect(table.size).toBe(1);
    expect(table.get(other.id, 0)).toBe(other);
    expect(table.dropped).toBe(2);
  });

  it('copies the keys it is given and zeroes the originals', () => {
    const table = new SessionTable();
    const given = keys();
    const s = table.open('pi-1', given, 1_000);
    expect(s.agentToLead.every((b) => b === 1)).toBe(true);
    expect(s.leadToAgent.every((b) => b === 2)).toBe(true);
    expect(given.agentToLead.every((b) => b === 0)).toBe(true);
  });
});
