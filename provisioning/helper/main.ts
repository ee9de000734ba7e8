// The root helper: one connection per process (homedrive-helper.socket, Accept=yes), the socket on
// standard input and output. Reads one request line, answers one line, exits. Who may connect is
// the socket file's business: root:homedrive 0660, so only root and the daemon's group reach it
// (what an SO_PEERCRED uid check would decide, which Node cannot read). Each request is logged to
// standard error, that is the journal: the verb and the outcome, never arguments that could hold
// a secret.
import { handle, helperEnv, MAX_REQUEST_BYTES, type Answer } from './verbs.js';

function readLine(input: NodeJS.ReadableStream, max: number): Promise<string | null> {
  return new Promise((resolve) => {
    let got = '';
    const done = (v: string | null) => {
      input.removeAllListeners('data');
      input.removeAllListeners('end');
      input.removeAllListeners('error');
      input.on('error', () => {});
      resolve(v);
    };
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => {
      got += chunk;
      const nl = got.indexOf('\n');
      if (nl >= 0) done(got.slice(0, nl));
      else if (Buffer.byteLength(got) > max) done(null);
    });
    input.on('end', () => done(got.length ? got : ''));
    // The daemon went away mid-request (a reset): nobody to answer, so no request; logged by main().
    input.on('error', () => done(''));
  });
}

async function main(): Promise<void> {
  const timer = setTimeout(() => {
    process.stderr.write('hcd-helper: no request within 10 s\n');
    process.exit(1);
  }, 10_000);
  const line = await readLine(process.stdin, MAX_REQUEST_BYTES);
  clearTimeout(timer);
  let verb = '?';
  let answer: Answer;
  if (line === null) answer = { ok: false, error: { code: 'too_large', message: `A request is one line of at most ${MAX_REQUEST_BYTES} bytes.` } };
  else ({ verb, answer } = await handle(line, helperEnv()));
  process.stderr.write(`hcd-helper: verb=${verb} ${answer.ok ? 'ok' : `error=${answer.error.code}`}\n`);
  // A caller gone before the answer: nothing more to do (the line above is in the journal).
  process.stdout.on('error', () => process.exit(1));
  process.stdout.write(`${JSON.stringify(answer)}\n`, () => process.exit(0));
}

void main();
