// /api/handins: hand-in folders. Everyone logged in lists those they belong to, hands files in (PUT, the raw
// body) and withdraws their own; administrators create, edit, close and delete them, see the roster and
// download one file or all of them as a zip with a folder per person. The rights are in services/handins.ts.
import { Readable } from 'node:stream';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { HandinItem, HandinList, HandinRoster, Submission } from '../api-types.js';
import { badRequest } from '../errors.js';
import { rawPath, readJson, truthy, type AppEnv } from '../http.js';
import { MAX_INSTRUCTIONS_CHARS, MAX_TITLE_CHARS, type HandinInput } from '../services/handins.js';
import { decodeUrlPath } from '../storage/paths.js';
import type { Deps } from '../deps.js';
import { requireAuth } from './auth.js';
import { serveFile, zipEntriesResponse } from './files.js';

const NO_STORE = { 'Cache-Control': 'no-store' };

const fields = {
  title: z.string().max(MAX_TITLE_CHARS * 4),
  instructions: z.string().max(MAX_INSTRUCTIONS_CHARS),
  deadline: z.iso.datetime({ offset: true }).nullable(),
  groupId: z.number().int().min(1).nullable(),
  closed: z.boolean(),
};
const createBody = z.object({
  ...fields,
  instructions: fields.instructions.optional(),
  deadline: fields.deadline.optional(),
  groupId: fields.groupId.optional(),
  closed: fields.closed.optional(),
});
const patchBody = z.object(fields).partial();

function input(data: z.infer<typeof patchBody>): HandinInput {
  const { deadline, ...rest } = data;
  return { ...rest, ...(deadline !== undefined ? { deadline: deadline === null ? null : Date.parse(deadline) } : {}) };
}

function invalid(err: z.ZodError): never {
  const first = err.issues[0];
  const where = first && first.path.length ? ` (at ${first.path.join('.')})` : '';
  throw badRequest(
    'invalid_handin',
    `${first?.message ?? 'Invalid body'}${where}. Send {"title", "instructions"?, "deadline"?: ISO date or null, "groupId"?: id or null, "closed"?}.`,
  );
}

const idOf = (raw: string | undefined, what = 'A hand-in'): number => {
  if (!raw || !/^\d{1,15}$/.test(raw)) throw badRequest('bad_request', `${what} is named by its id (a whole number).`);
  return Number(raw);
};

export function handinRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  const { handins } = deps;
  app.use('*', requireAuth(deps));

  app.get('/', (c) => c.json(handins.list(c.var.caller.actor) satisfies HandinList, 200, NO_STORE));

  app.post('/', async (c) => {
    const parsed = createBody.safeParse(await readJson(c));
    if (!parsed.success) invalid(parsed.error);
    return c.json(handins.create(c.var.caller, input(parsed.data)) satisfies HandinItem, 201, NO_STORE);
  });

  app.get('/:id', (c) => c.json(handins.get(c.var.caller.actor, idOf(c.req.param('id'))) satisfies HandinItem, 200, NO_STORE));

  app.patch('/:id', async (c) => {
    const id = idOf(c.req.param('id'));
    const parsed = patchBody.safeParse(await readJson(c));
    if (!parsed.success) invalid(parsed.error);
    return c.json(handins.update(c.var.caller, id, input(parsed.data)) satisfies HandinItem, 200, NO_STORE);
  });

  app.delete('/:id', async (c) => {
    const id = idOf(c.req.param('id'));
    const { files } = await handins.delete(c.var.caller, id);
    return c.json({ id, deleted: true, files }, 200, NO_STORE);
  });

  app.get('/:id/roster', (c) => c.json(handins.roster(c.var.caller.actor, idOf(c.req.param('id'))) satisfies HandinRoster, 200, NO_STORE));

  app.get('/:id/zip', (c) => {
    const { title, entries } = handins.zipEntries(c.var.caller.actor, idOf(c.req.param('id')));
    // The title as the zip's name, made fit for a file name on any system.
    const base = title.replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_').slice(0, 100) || 'hand-in';
    return zipEntriesResponse(c, entries, base, deps.log.child({ user: c.var.caller.actor.username }));
  });

  /** The file name after /api/handins/{id}/files/, from the raw path: one validated name, never a path. */
  const fileName = (c: Context<AppEnv>): string => {
    const m = /^\/api\/handins\/[^/]+\/files\/(.+)$/.exec(rawPath(c));
    const names = m ? decodeUrlPath(m[1]!) : [];
    if (names.length !== 1) throw badRequest('invalid_path', 'Hand in one file: PUT /api/handins/{id}/files/{name}.');
    return names[0]!;
  };

  app.put('/:id/files/*', async (c) => {
    const id = idOf(c.req.param('id'));
    const name = fileName(c);
    const len = c.req.header('content-length');
    if (len !== undefined && !/^\d+$/.test(len)) throw badRequest('bad_request', 'Invalid Content-Length.');
    const incoming = c.env?.incoming;
    const body = incoming ?? (c.req.raw.body ? Readable.fromWeb(c.req.raw.body as import('node:stream/web').ReadableStream) : Readable.from([]));
    const sub = await handins.submit(c.var.caller, id, name, body, {
      contentLength: len === undefined ? undefined : Number(len),
      overwrite: truthy(c.req.query('overwrite')),
      rename: truthy(c.req.query('rename')),
    });
    return c.json(sub satisfies Submission, 201, NO_STORE);
  });

  const download = async (c: Context<AppEnv>) => {
    const f = await handins.file(c.var.caller.actor, idOf(c.req.param('id')), idOf(c.req.param('sid'), 'A submission'));
    return serveFile(c, f.abs, f.stat, f.name);
  };
  app.get('/:id/submissions/:sid', download);
  app.on('HEAD', '/:id/submissions/:sid', download);

  app.delete('/:id/submissions/:sid', async (c) => {
    const sub = await handins.withdraw(c.var.caller, idOf(c.req.param('id')), idOf(c.req.param('sid'), 'A submission'));
    return c.json(sub satisfies Submission, 200, NO_STORE);
  });
  return app;
}
