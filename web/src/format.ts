// What kind of preview a file name gets.
export type Kind = 'image' | 'video' | 'audio' | 'pdf' | 'text' | 'other';

const KINDS: [Kind, string[]][] = [
  ['image', ['jpg', 'jpeg', 'png', 'gif', 'webp', 'avif', 'bmp', 'svg', 'ico']],
  ['video', ['mp4', 'm4v', 'webm', 'mov', 'ogv', 'mkv']],
  ['audio', ['mp3', 'm4a', 'aac', 'ogg', 'oga', 'opus', 'wav', 'flac']],
  ['pdf', ['pdf']],
  [
    'text',
    [
      'txt',
      'md',
      'csv',
      'tsv',
      'json',
      'log',
      'xml',
      'yml',
      'yaml',
      'ini',
      'conf',
      'cfg',
      'toml',
      'ts',
      'js',
      'mjs',
      'py',
      'sh',
      'c',
      'h',
      'cpp',
      'java',
      'go',
      'rs',
      'css',
      'html',
      'htm',
      'srt',
      'vtt',
      'gpx',
      'kml',
      'geojson',
    ],
  ],
];

export function kindOf(name: string): Kind {
  const dot = name.lastIndexOf('.');
  const ext = dot < 0 ? '' : name.slice(dot + 1).toLowerCase();
  for (const [k, exts] of KINDS) if (exts.includes(ext)) return k;
  return 'other';
}
