import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The salt of the address hashes (identity links, erased addresses), as the Secrets Manager
 * secret holds it in AWS: kept under the data dir so `privacy erase` and later runs agree;
 * a fresh one per process without a data dir.
 */
export function localPrivacySalt(dataDir?: string): string {
  if (!dataDir) return randomBytes(32).toString('hex');
  const file = join(dataDir, 'privacy-salt');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}
