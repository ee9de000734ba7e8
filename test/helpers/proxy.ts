// A loopback TCP proxy that cuts its connections once, after a number of bytes went upstream:
// a Wi-Fi drop in the middle of an upload, for the resumable-upload tests.
import net from 'node:net';

/** A loopback TCP proxy that kills its connections once, after `cutAfter` bytes went upstream. */
export async function cuttingProxy(targetPort: number, cutAfter: number) {
  let upstreamBytes = 0;
  let cut = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (d: Buffer) => {
      upstreamBytes += d.length;
      if (!cut && upstreamBytes > cutAfter) {
        cut = true;
        client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(d);
    });
    upstream.on('data', (d) => client.write(d));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    get upstreamBytes() {
      return upstreamBytes;
    },
    get cut() {
      return cut;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
