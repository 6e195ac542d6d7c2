/**
 * A real Temporal server for a test file: the one `npm test` started (TEMPORAL_ADDRESS), or, when
 * the file runs alone (`npx tsx --test test/integration/x.test.ts`), a headless dev server of its
 * own that `close()` stops.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { type DevServer, startDevServer } from '../../dev/dev-server';

export interface TestTemporal {
  address: string;
  namespace: string;
  connection: Connection;
  client: Client;
  /** Closes the connection; stops the server if this helper started it. */
  close(): Promise<void>;
}

export async function testTemporal(): Promise<TestTemporal> {
  const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
  let server: DevServer | undefined;
  let address = process.env.TEMPORAL_ADDRESS;
  if (!address) {
    server = await startDevServer({ headless: true, namespace });
    address = server.address;
  }
  const connection = Connection.lazy({ address });
  try {
    await connection.ensureConnected();
  } catch (err) {
    await connection.close().catch(() => undefined);
    await server?.stop();
    throw err;
  }
  const client = new Client({ connection, namespace });
  let closed: Promise<void> | undefined;
  return {
    address,
    namespace,
    connection,
    client,
    close: () => {
      closed ??= (async () => {
        await connection.close().catch(() => undefined);
        await server?.stop();
      })();
      return closed;
    },
  };
}

/** A task queue no other test uses: `<prefix>-<random>`. */
export function uniqueTaskQueue(prefix = 'test'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
