// Turns a drop (files and whole folders, through DataTransfer items) into files with their relative paths.
export interface PickedFile {
  file: File;
  /** Path relative to the drop target: folder names, then the file name. */
  rel: string[];
}

export async function collectDrop(dt: DataTransfer): Promise<PickedFile[]> {
  const entries = Array.from(dt.items ?? [])
    .filter((i) => i.kind === 'file')
    .map((i) => i.webkitGetAsEntry?.())
    .filter((e): e is FileSystemEntry => !!e);
  if (entries.length === 0) return Array.from(dt.files).map((file) => ({ file, rel: [file.name] }));
  const out: PickedFile[] = [];
  for (const e of entries) await walk(e, [], out);
  return out;
}

async function walk(entry: FileSystemEntry, parents: string[], out: PickedFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej));
    out.push({ file, rel: [...parents, entry.name] });
    return;
  }
  if (!entry.isDirectory) return;
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  // readEntries returns the folder in batches (100 in Chromium): call until it returns none.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
    if (batch.length === 0) break;
    for (const child of batch) await walk(child, [...parents, entry.name], out);
  }
}
