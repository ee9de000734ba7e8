// Which steps a run takes: `--only ID` matched exactly against the steps' ids (NN-name), in their declared order.
// Shared by provisioning/apply.ts and image/build.ts, so both command lines select steps by the same rule.

export class UnknownStepError extends Error {
  constructor(
    readonly unknown: string[],
    known: readonly string[],
  ) {
    super(`unknown step(s): ${unknown.join(', ')}; known: ${known.join(', ')}`);
    this.name = 'UnknownStepError';
  }
}

/** The index of the step whose id is exactly `id` (the full NN-name, as the file name); throws for any other. */
export function stepIndex<T extends { id: string }>(steps: readonly T[], id: string): number {
  const i = steps.findIndex((s) => s.id === id);
  if (i < 0)
    throw new UnknownStepError(
      [id],
      steps.map((s) => s.id),
    );
  return i;
}

/**
 * The steps named by `only` in the declared order (never in the order given), or all of them when `only`
 * is empty. Every unknown id is reported at once, before anything runs.
 */
export function selectSteps<T extends { id: string }>(steps: readonly T[], only: readonly string[] = []): T[] {
  const wanted = new Set(only);
  const unknown = [...wanted].filter((id) => !steps.some((s) => s.id === id));
  if (unknown.length > 0)
    throw new UnknownStepError(
      unknown,
      steps.map((s) => s.id),
    );
  return wanted.size > 0 ? steps.filter((s) => wanted.has(s.id)) : [...steps];
}
