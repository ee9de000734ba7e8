// The signed bundle by hand: check a .hcdb as the Pi will, sign a release tar.xz outside `make bundle`, or print
// the public half of a signing key. Exit codes: 0 ok, 1 the bundle is refused (its code and why), 64 bad usage.
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { BundleError, checkPayloadEntries, keyFingerprint, publicKeyPemFromPrivate, verifyBundle, writeBundle } from './bundle-file.js';

const USAGE = `usage:
  bundle-cli verify --key PUBLIC.pem FILE.hcdb
  bundle-cli sign --key PRIVATE.pem --payload FILE.tar.xz --out FILE.hcdb --version VERSION [--node-version V]
  bundle-cli public-key --key PRIVATE.pem`;

async function verifyCommand(keyFile: string, file: string): Promise<number> {
  const publicKeyPem = await readFile(keyFile, 'utf8');
  try {
    const { manifest, payloadOffset } = await verifyBundle(file, publicKeyPem);
    const { entries, bytes } = await checkPayloadEntries(file, payloadOffset);
    console.log(JSON.stringify({ ok: true, manifest, entries, bytes, key: `sha256:${keyFingerprint(publicKeyPem)}` }, null, 2));
    return 0;
  } catch (error) {
    if (!(error instanceof BundleError)) throw error;
    console.error(`refused (${error.code}): ${error.message}`);
    return 1;
  }
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        key: { type: 'string' },
        payload: { type: 'string' },
        out: { type: 'string' },
        version: { type: 'string' },
        'node-version': { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 64;
  }
  const { values: args, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (!args.key) {
    console.error(`--key is required\n${USAGE}`);
    return 64;
  }
  if (command === 'verify' && rest.length === 1) return verifyCommand(args.key, rest[0]!);
  if (command === 'public-key' && rest.length === 0) {
    process.stdout.write(publicKeyPemFromPrivate(await readFile(args.key, 'utf8')));
    return 0;
  }
  if (command === 'sign' && rest.length === 0 && args.payload && args.out && args.version) {
    const manifest = await writeBundle({
      payloadFile: args.payload,
      outFile: args.out,
      version: args.version,
      privateKeyPem: await readFile(args.key, 'utf8'),
      ...(args['node-version'] ? { nodeVersion: args['node-version'] } : {}),
    });
    console.log(JSON.stringify(manifest, null, 2));
    return 0;
  }
  console.error(USAGE);
  return 64;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
