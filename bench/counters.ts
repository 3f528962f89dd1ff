/**
 * Counts what a piece of code sends over the network, from Node's own diagnostics channels (no
 * proxy in the path, so nothing is slowed): HTTP requests made with node:http (the AWS SDK), fetch
 * requests (jose's JWKS fetch, OIDC discovery) and new TCP connections, each attributed to the local
 * service whose port it targets; and the requests each local service received (`<service>.served`),
 * which also counts what other processes sent.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest, Server } from 'node:http';
import type { Socket } from 'node:net';

export type Tally = Record<string, number>;

interface Services {
  [name: string]: string; // name -> base URL
}

const tally: Tally = {};
let portNames = new Map<string, string>();
let installed = false;

const bump = (key: string) => {
  tally[key] = (tally[key] ?? 0) + 1;
};

function serviceOf(hostPort: string | undefined): string {
  const port = hostPort?.split(':').pop() ?? '';
  return portNames.get(port) ?? 'other';
}

/** Starts counting; `services` names the local services by their URLs. */
export function countRequests(services: Services): void {
  portNames = new Map(Object.entries(services).map(([name, url]) => [new URL(url).port, name]));
  if (installed) return;
  installed = true;
  subscribe('http.client.request.start', (message) => {
    const request = (message as { request: ClientRequest }).request;
    bump(`${serviceOf(String(request.getHeader('host') ?? ''))}.requests`);
  });
  subscribe('undici:request:create', (message) => {
    const origin = (message as { request: { origin: string } }).request.origin;
    bump(`${serviceOf(new URL(origin).host)}.requests`);
  });
  // Server side: what the local services received, whichever process sent it (cold-start children).
  subscribe('http.server.request.start', (message) => {
    const address = (message as { server: Server }).server.address();
    bump(`${serviceOf(typeof address === 'object' && address ? `:${address.port}` : '')}.served`);
  });
  subscribe('net.client.socket', (message) => {
    const socket = (message as { socket: Socket }).socket;
    socket.once('connect', () => bump(`${serviceOf(`:${socket.remotePort}`)}.connections`));
  });
}

/** A copy of the counts so far. */
export const snapshot = (): Tally => ({ ...tally });

/** What was counted between two snapshots. */
export function difference(after: Tally, before: Tally): Tally {
  const out: Tally = {};
  for (const [key, value] of Object.entries(after)) {
    const delta = value - (before[key] ?? 0);
    if (delta !== 0) out[key] = delta;
  }
  return out;
}
