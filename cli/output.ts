/** Exit codes and errors shared by the commands. */
import { Client, Connection } from '@temporalio/client';
import { connectionOptions, temporalSettingsFromEnv, type TemporalSettings } from '../workers/temporal-connection';

export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export async function temporalClient(): Promise<{ client: Client; settings: TemporalSettings; close: () => Promise<void> }> {
  const settings = temporalSettingsFromEnv();
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...connectionOptions(settings), connectTimeout: '15s' });
  } catch (err) {
    throw new CliError(`cannot reach Temporal at ${settings.address} (set TEMPORAL_ADDRESS): ${(err as Error).message}`, EXIT.unreachable);
  }
  return { client: new Client({ connection, namespace: settings.namespace }), settings, close: () => connection.close() };
}

/** Runs `work` with a connected client and always closes the connection, whatever `work` does. */
export async function withTemporal<T>(work: (t: { client: Client; settings: TemporalSettings }) => Promise<T>): Promise<T> {
  const { client, settings, close } = await temporalClient();
  try {
    return await work({ client, settings });
  } finally {
    await close();
  }
}

export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}
