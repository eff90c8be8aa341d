import { randomBytes } from 'node:crypto';
import type { CreatedUserDto, UserDto } from '../../src/auth/users/dto/user.dto';
import type { AgentDto, AgentRunDto } from '../../src/platform/agents/dto/agent.dto';
import type { ApiToggleDto } from '../../src/platform/api-toggles/dto/api-toggle.dto';
import type { ProposalDto } from '../../src/platform/proposals/dto/proposal.dto';
import type { GrantDto } from '../../src/rbac/dto/grant.dto';
import { type HttpResult, request } from '../support/http';

export const API = '/api/v1';

/** The page every list endpoint answers with. */
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** A short unique suffix for names, independent of the clock. */
export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** Fails with the whole response when the status is not the one expected: the body says why. */
export function expectStatus(result: HttpResult, status: number): void {
  if (result.status !== status) {
    throw new Error(`expected HTTP ${status}, got ${result.status}: ${JSON.stringify(result.body)}`);
  }
}

async function created<T>(result: Promise<HttpResult<T>>, status = 201): Promise<T> {
  const response = await result;
  expectStatus(response, status);
  return response.body;
}

export function createAgent(baseUrl: string, token: string, body: Record<string, unknown> = {}): Promise<AgentDto> {
  return created(
    request<AgentDto>(baseUrl, `${API}/agents`, { method: 'POST', token, json: { name: unique('agent'), ...body } }),
  );
}

export function recordRun(
  baseUrl: string,
  token: string,
  agentId: string,
  body: Partial<{ startedAt: string; durationMs: number; findings: number; success: boolean; error: string }> = {},
): Promise<AgentRunDto> {
  return created(
    request<AgentRunDto>(baseUrl, `${API}/agents/${agentId}/runs`, {
      method: 'POST',
      token,
      json: { startedAt: '2030-01-01T00:00:00.000Z', durationMs: 1000, findings: 0, success: true, ...body },
    }),
  );
}

export function createProposal(baseUrl: string, token: string): Promise<ProposalDto> {
  return created(
    request<ProposalDto>(baseUrl, `${API}/proposals`, {
      method: 'POST',
      token,
      json: { title: unique('proposal'), description: 'why', diff: '--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n' },
    }),
  );
}

export function createToggle(
  baseUrl: string,
  token: string,
  body: Record<string, unknown> = {},
): Promise<ApiToggleDto> {
  return created(
    request<ApiToggleDto>(baseUrl, `${API}/api-toggles`, {
      method: 'POST',
      token,
      json: { name: unique('toggle'), ...body },
    }),
  );
}

export function createGrant(baseUrl: string, token: string, body: Record<string, unknown>): Promise<GrantDto> {
  return created(request<GrantDto>(baseUrl, `${API}/rbac/grants`, { method: 'POST', token, json: body }));
}

export function createUserViaApi(
  baseUrl: string,
  token: string,
  body: Record<string, unknown> = {},
): Promise<CreatedUserDto> {
  const username = unique('user');
  return created(
    request<CreatedUserDto>(baseUrl, `${API}/users`, {
      method: 'POST',
      token,
      json: { username, email: `${username}@example.test`, role: 'OPERATOR', ...body },
    }),
  );
}

export async function getUser(baseUrl: string, token: string, id: string): Promise<UserDto> {
  return created(request<UserDto>(baseUrl, `${API}/users/${id}`, { token }), 200);
}

/** Logs a test user in; only the credentials go in the body (the login DTO refuses other fields). */

/** No administrator-facing body may ever carry a secret of the account. */
export function expectNoSecrets(body: unknown): void {
  const text = JSON.stringify(body);
  expect(text).not.toMatch(/passwordHash|password_hash|totp|recovery/i);
}
