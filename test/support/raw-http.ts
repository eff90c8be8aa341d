import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Parses every HTTP/1.1 response in `data` (pipelined answers arrive one after another). */
function parseResponses(data: Buffer): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = data;
  while (rest.subarray(0, 8).toString('latin1') === 'HTTP/1.1') {
    const headerEnd = rest.indexOf('\r\n\r\n');
    if (headerEnd < 0) break;
    const [statusLine, ...headerLines] = rest.subarray(0, headerEnd).toString('latin1').split('\r\n');
    const headers = Object.fromEntries(
      headerLines.map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
      }),
    );
    const length = Number(headers['content-length'] ?? 0);
    const body = rest.subarray(headerEnd + 4, headerEnd + 4 + length);
    responses.push({ status: Number(statusLine.split(' ')[1]), headers, body: body.toString('utf8') });
    rest = rest.subarray(headerEnd + 4 + length);
  }
  return responses;
}

/**
 * Writes bytes no HTTP client library would send (a NUL in a header, an
 * unknown method, requests on one connection at chosen moments) and reads
 * what the server answers, until it closes the connection or `idleMs` pass
 * without more data. Each payload is written once its `after` has settled.
 */
export function rawExchange(
  baseUrl: string,
  payload: string | Buffer,
  idleMs = 500,
  later?: { after: Promise<unknown>; payload: string },
): Promise<RawResponse[]> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    let timer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(parseResponses(received));
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      clearTimeout(timer);
      timer = setTimeout(finish, idleMs);
    });
    socket.on('end', finish);
    socket.on('error', (error) => {
      if (received.length > 0) finish();
      else reject(error);
    });
    socket.write(payload);
    void later?.after.then(() => socket.write(later.payload));
  });
}
