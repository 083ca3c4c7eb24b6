import type { UserInfo } from '../authn/user-info.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** Per-request facts every registry operation needs. */
export interface RequestContext {
  user: UserInfo;
  namespace: string;
  dryRun: boolean;
  fieldValidation: FieldValidation;
  fieldManager?: string;
  /** Warning headers to send back (`299 - "message"`). */
  warnings: string[];
  now: Date;
}
