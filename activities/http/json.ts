import { CcsyncError } from '../../core/errors';

/** A vendor's body as JSON; a body that is not JSON is a `MalformedResponse` naming who sent it (`what`). */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const preview = text.length > 80 ? `${text.slice(0, 80)}...` : text;
    throw new CcsyncError(
      'ResponseCutShort',
      `${what} sent a body that is not valid JSON (${text.length} bytes, starting ${JSON.stringify(preview.slice(0, 40))})`,
    );
  }
}
