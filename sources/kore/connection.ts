/**
 * A Kore.ai connection: the non-secret settings (where the account lives) and the credentials
 * (a pasted JWT, or the app's client id and secret to mint one).
 */
import { z } from 'zod';

export const koreSettings = z.strictObject({
  /** Environment URL, e.g. https://platform.kore.ai (the demo points it at the simulator). */
  baseUrl: z.url({ error: 'must be a URL such as https://platform.kore.ai' }),
  accountId: z.string({ error: 'is required: your Kore.ai account id' }).min(1),
  orgId: z.string({ error: 'is required: the organization id (o-...)' }).min(1),
  /** The stream (app) id, sent as the `iId` header on every call. */
  iId: z.string({ error: 'is required: the stream/app id (st-...) sent as the iId header' }).min(1),
  /** Kore.ai allows 60 requests per minute per account; lower it if other tools share the account. */
  rateLimitPerMinute: z.number().int().min(1).max(60).default(60),
  /**
   * An hourly quota on top, if the account has one (a vendor community answer mentions 1,800 an hour
   * for admin APIs; whether the analytics APIs share it is unverified). Unset: no hourly window.
   */
  rateLimitPerHour: z.number().int().min(1).max(3600).optional(),
  /** Records per page (agents per page for agent status), capped by each stream's maximum (call details 100, agent status 50). */
  pageSize: z.number().int().min(1).max(1000).optional(),
});
export type KoreSettings = z.infer<typeof koreSettings>;

export const koreCredentials = z
  .strictObject({
    /** A ready JWT. It expires: prefer clientId + clientSecret, from which we mint our own. */
    token: z.string().min(1).optional(),
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
  })
  .refine((c) => Boolean(c.token) !== Boolean(c.clientId && c.clientSecret), {
    message: 'give either "token", or both "clientId" and "clientSecret" (to mint the JWT)',
  });
export type KoreCredentials = z.infer<typeof koreCredentials>;
