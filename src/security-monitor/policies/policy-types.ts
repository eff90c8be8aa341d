import type { Signal } from '../detection/signal';

export const POLICY_TYPES = [
  'failed-login-burst',
  'password-spraying',
  'credential-stuffing',
  'refused-api-key-burst',
  'permission-denial-burst',
  'new-ip-login',
  'scanning',
] as const;
export type PolicyType = (typeof POLICY_TYPES)[number];

export const RESPONSES = ['block-ip', 'lock-account', 'revoke-sessions', 'revoke-api-key', 'alert'] as const;
export type PolicyResponse = (typeof RESPONSES)[number];

/** What a rule of each type watches and counts, and which responses make sense for its subject. */
export interface RuleSpec {
  signal: Signal['kind'];
  /** What a window is kept per: the client ip, the user id, or the username typed. */
  subject: 'ip' | 'user' | 'username';
  /** Signals in the window, or distinct attributes among them (usernames per ip, ips per username). */
  counts: 'hits' | 'distinct' | 'first-seen';
  responses: readonly PolicyResponse[];
  description: string;
}

export const RULES: Readonly<Record<PolicyType, RuleSpec>> = {
  'failed-login-burst': {
    signal: 'login-failed',
    subject: 'ip',
    counts: 'hits',
    responses: ['block-ip', 'alert'],
    description: 'failed logins from one ip',
  },
  'password-spraying': {
    signal: 'login-failed',
    subject: 'ip',
    counts: 'distinct',
    responses: ['block-ip', 'alert'],
    description: 'distinct usernames tried from one ip',
  },
  'credential-stuffing': {
    signal: 'login-failed',
    subject: 'username',
    counts: 'distinct',
    responses: ['lock-account', 'revoke-sessions', 'alert'],
    description: 'distinct ips trying one username',
  },
  'refused-api-key-burst': {
    signal: 'api-key-refused',
    subject: 'ip',
    counts: 'hits',
    responses: ['block-ip', 'revoke-api-key', 'alert'],
    description: 'refused API keys from one ip',
  },
  'permission-denial-burst': {
    signal: 'access-denied',
    subject: 'user',
    counts: 'hits',
    responses: ['block-ip', 'lock-account', 'revoke-sessions', 'revoke-api-key', 'alert'],
    description: 'permission denials for one user',
  },
  'new-ip-login': {
    signal: 'login-succeeded',
    subject: 'user',
    counts: 'first-seen',
    responses: ['revoke-sessions', 'alert'],
    description: 'a login from an ip never seen for that user',
  },
  scanning: {
    signal: 'http-error',
    subject: 'ip',
    counts: 'hits',
    responses: ['block-ip', 'alert'],
    description: 'error responses (e.g. 401, 404) to one ip',
  },
};
