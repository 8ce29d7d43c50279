/**
 * bench:crypto — Ed25519 sign and verify per implementation, and the full receive path
 * (verify + UTF-8 decode + JSON parse + schema validation + signer check) for a typical
 * heartbeat, compared with the raw native verify rate measured in the same run.
 *
 * Target (issue 2): the full path reaches at least 80% of the raw native verify rate.
 */
import { stdout } from 'node:process';
import {
  encodeMessage,
  nobleEd25519,
  verifyAndParse,
  webCryptoEd25519,
  type Ed25519,
  type KeyResolver,
  type PublicKeyBytes,
} from '@mesh30k/shared';
import { createNodeEd25519 } from '@mesh30k/shared/node';
import { sampleMessage } from '@mesh30k/shared/testing';
import { formatTable, writeReport } from './lib/report.js';
import { measureRate, type RateResult } from './lib/measure.js';

const FULL_PATH_TARGET = 0.8;

async function main(): Promise<void> {
  const native = createNodeEd25519();
  const implementations: Ed25519[] = [native, webCryptoEd25519, nobleEd25519];

  const keys = await native.generateKeyPair();
  const heartbeat = sampleMessage('HEARTBEAT', { sender: 'agent-1' });
  const frame = await encodeMessage(heartbeat, await native.signer(keys.privateKey), 'agent-1');
  const signature = Uint8Array.from(Buffer.from(frame.signature, 'base64url'));
  const keyMap = new Map<string, PublicKeyBytes>([['agent-1', keys.publicKey]]);
  const resolveKey: KeyResolver = (id) => {
    const key = keyMap.get(id);
    return key ? { ok: true, value: key } : { ok: false, error: { code: 'UNKNOWN_SIGNER', message: id } };
  };

  // Baseline: the raw native verify, synchronous, key already imported.
  const rawNative = await measureRate(() => native.verifySync(keys.publicKey, frame.body, signature));

  const rows: Record<string, { sign: RateResult; verify: RateResult; fullPath: RateResult }> = {};
  for (const impl of implementations) {
    const signer = await impl.signer(keys.privateKey);
    const sign = await measureRate(() => signer.sign(frame.body), impl.name === 'noble' ? { rounds: 3 } : {});
    const verify = await measureRate(() => impl.verify(keys.publicKey, frame.body, signature), impl.name === 'noble' ? { rounds: 3 } : {});
    const fullPath = await measureRate(async () => {
      const result = await verifyAndParse(frame, { ed25519: impl, resolveKey });
      if (!result.ok) throw new Error(`benchmark frame refused: ${result.error.message}`);
    }, impl.name === 'noble' ? { rounds: 3 } : {});
    rows[impl.name] = { sign, verify, fullPath };
  }

  const nodeFull = rows.node!.fullPath.opsPerSec;
  const ratio = nodeFull / rawNative.opsPerSec;
  const table = formatTable(
    ['implementation', 'sign/s', 'verify/s', 'full path/s', 'full / raw native'],
    [
      ['raw native (sync)', '', rawNative.opsPerSec, '', '1.00'],
      ...Object.entries(rows).map(([name, r]) => [name, r.sign.opsPerSec, r.verify.opsPerSec, r.fullPath.opsPerSec, (r.fullPath.opsPerSec / rawNative.opsPerSec).toFixed(2)]),
    ],
  );
  const verdict = ratio >= FULL_PATH_TARGET ? 'met' : 'MISSED';
  const file = writeReport('crypto', {
    heartbeatBytes: frame.body.byteLength,
    rawNativeVerify: rawNative,
    implementations: rows,
    fullPathOverRawNative: ratio,
    target: { fullPathOverRawNative: FULL_PATH_TARGET, met: ratio >= FULL_PATH_TARGET },
  });
  stdout.write(`\nbench:crypto — heartbeat of ${frame.body.byteLength} bytes, median of rounds after warm-up\n\n${table}\n\n`);
  stdout.write(`full path (node) / raw native verify = ${ratio.toFixed(2)} (target >= ${FULL_PATH_TARGET}: ${verdict})\n`);
  stdout.write(`results: ${file}\n`);
}

await main();
