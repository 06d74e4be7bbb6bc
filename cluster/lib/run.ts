// smoke's kubectl runner, kept until smoke calls lib/process.ts's runSync itself.
import { runSync, type Captured } from '../../lib/process.ts';

/** Above smoke's longest kubectl --timeout (120 s), so kubectl's own message is the one reported. */
const SMOKE_COMMAND_TIMEOUT_MS = 300_000;

export function capture(cmd: string, args: string[], input?: string): Captured {
  return runSync(cmd, args, { input, timeoutMs: SMOKE_COMMAND_TIMEOUT_MS });
}
