/**
 * A local stand-in for a Slack incoming webhook: prints each message it receives, so that a person
 * trying hallpass with `npm start` sees the notifications. Tests use it to read what was sent, and
 * can make it fail the next N deliveries.
 */
import { createServer } from 'node:http';

export interface WebhookReceiver {
  url: string;
  messages: Array<{ text: string }>;
  failNext(count: number): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(options: {
  port: number;
  print?: (line: string) => void;
}): Promise<WebhookReceiver> {
  const messages: Array<{ text: string }> = [];
  let failures = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      if (failures > 0) {
        failures -= 1;
        res.writeHead(500).end('failing on purpose');
        return;
      }
      try {
        const message = JSON.parse(body) as { text: string };
        messages.push(message);
        options.print?.(message.text);
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      } catch {
        res.writeHead(400).end('invalid_payload');
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', resolve);
  });
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : options.port}/hooks/hallpass`,
    messages,
    failNext: (count) => {
      failures = count;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
