/**
 * An unauthenticated GET for discovery services (LivePerson's domain lookup), parsed as JSON. Its
 * status means what it means for every other call (`errorForStatus`), in the lookup's own name.
 */
import type { SourceDeclaration } from '../../core/source';
import type { FetchRuntime } from '../runtime';
import { VendorHttp } from './client';
import { parseJson } from './json';
import { errorForStatus } from './status';

export async function lookupJson(rt: FetchRuntime, source: SourceDeclaration, connection: string, url: string, timeoutMs: number): Promise<unknown> {
  const spec = { method: 'GET' as const, path: url };
  const target = VendorHttp.url('', spec);
  const answer = await rt.http.send(connection, target, spec, {}, { timeoutMs });
  // The lookup is not the API: its bodies are not in the vendor's error format, and it asks for no pauses of its own.
  const failure = errorForStatus({ title: `${source.title}'s lookup at ${target.host}`, errorMessage: () => undefined }, answer, target.host, 1);
  if (failure) throw failure;
  return parseJson(answer.text, `${target.host} lookup`);
}
