// `docker login` (POST /auth): the daemon checks the credentials against
// the registry's /v2/ with the authorization it asks for (Basic, or a token
// fetched with them), as moby's loginV2 does. A refresh token the token
// server hands back becomes docker's IdentityToken.
import { ApiError } from '../util/errors.ts';
import type { AuthConfig } from './auth.ts';
import { RegistryClient } from './client.ts';
import { endpointFor, registryDomainOf } from './endpoint.ts';
import { RegistryError } from './errors.ts';
import { discard } from './transport.ts';

export async function login(creds: AuthConfig): Promise<{ Status: string; IdentityToken: string }> {
  const client = new RegistryClient(endpointFor(registryDomainOf(creds.serveraddress ?? '')), creds);
  client.auth.offline = true;
  const url = client.url('/v2/');
  let res;
  try {
    res = await client.request('GET', url, { scopes: [] });
  } catch (err) {
    if (err instanceof RegistryError) throw new ApiError(err.code === 'UNAUTHORIZED' || err.status === 401 ? 401 : 500, err.message);
    throw err;
  }
  discard(res);
  if (res.status !== 200) throw new ApiError(401, `login attempt to ${url.href} failed with status: ${res.status} ${res.statusText}`);
  return { Status: 'Login Succeeded', IdentityToken: client.auth.refreshToken ?? '' };
}
