// A small, strict XML reader for WebDAV request bodies (propfind, propertyupdate, lockinfo) and the
// helpers that write the answers. By hand rather than a dependency: these bodies are a few hundred
// bytes of elements, attributes, text and namespaces; no DOCTYPE, so no entity expansion to defend.
export interface XmlElement {
  /** Namespace URI ('' for none). */
  ns: string;
  local: string;
  attrs: { ns: string; local: string; value: string }[];
  children: (XmlElement | string)[];
  /** The namespace declarations in scope at this element (prefix → URI; '' is the default). */
  scope: ReadonlyMap<string, string>;
}

export class XmlError extends Error {}

const NAME = /^[A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*(?::[A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*)?$/;
const XML_NS = 'http://www.w3.org/XML/1998/namespace';

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);?/g, (m, e: string) => {
    if (!m.endsWith(';')) throw new XmlError('bad entity reference');
    if (e.startsWith('#')) {
      const code = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      if (
        !(code === 9 || code === 10 || code === 13 || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0x10ffff)) ||
        code === 0xfffe ||
        code === 0xffff
      ) {
        throw new XmlError('bad character reference');
      }
      return String.fromCodePoint(code);
    }
    const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
    if (!(e in named)) throw new XmlError(`unknown entity &${e};`);
    return named[e]!;
  });
}

/** Parses a whole document; throws XmlError on anything not well-formed or namespace-invalid. */
export function parseXml(text: string): XmlElement {
  let i = 0;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  const skipMisc = () => {
    for (;;) {
      while (i < text.length && /\s/.test(text[i]!)) i++;
      if (text.startsWith('<?', i)) {
        const end = text.indexOf('?>', i);
        if (end < 0) throw new XmlError('unterminated processing instruction');
        i = end + 2;
      } else if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i);
        if (end < 0) throw new XmlError('unterminated comment');
        i = end + 3;
      } else if (text.startsWith('<!', i)) {
        throw new XmlError('DOCTYPE and declarations are not accepted');
      } else return;
    }
  };
  const resolve = (prefix: string, scope: Map<string, string>, isAttr: boolean): string => {
    if (prefix === 'xml') return XML_NS;
    if (prefix === '' && isAttr) return '';
    const uri = scope.get(prefix);
    if (uri === undefined) {
      if (prefix === '') return '';
      throw new XmlError(`undeclared namespace prefix "${prefix}"`);
    }
    return uri;
  };
  const parseElement = (parentScope: Map<string, string>, depth: number): XmlElement => {
    if (depth > 64) throw new XmlError('too deeply nested');
    if (text[i] !== '<') throw new XmlError('expected an element');
    i++;
    const nameEnd = text.slice(i).search(/[\s/>]/);
    if (nameEnd < 0) throw new XmlError('unterminated tag');
    const qname = text.slice(i, i + nameEnd);
    if (!NAME.test(qname)) throw new XmlError(`bad element name "${qname}"`);
    i += nameEnd;
    const raw: [string, string][] = [];
    let selfClosing = false;
    for (;;) {
      while (i < text.length && /\s/.test(text[i]!)) i++;
      if (text.startsWith('/>', i)) {
        i += 2;
        selfClosing = true;
        break;
      }
      if (text[i] === '>') {
        i++;
        break;
      }
      const m = /^([^\s=/>]+)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(text.slice(i, i + 65536));
      if (!m) throw new XmlError('bad attribute');
      if (!NAME.test(m[1]!)) throw new XmlError(`bad attribute name "${m[1]}"`);
      if (raw.some(([n]) => n === m[1])) throw new XmlError('duplicate attribute');
      raw.push([m[1]!, decodeEntities(m[3] ?? m[4] ?? '')]);
      i += m[0].length;
      if (i >= text.length) throw new XmlError('unterminated tag');
    }
    const scope = new Map(parentScope);
    for (const [n, v] of raw) {
      if (n === 'xmlns') scope.set('', v);
      else if (n.startsWith('xmlns:')) {
        // Namespaces in XML 1.0: a prefix may not be undeclared (bound to the empty string).
        if (v === '') throw new XmlError(`empty namespace for prefix "${n.slice(6)}"`);
        scope.set(n.slice(6), v);
      }
    }
    const [prefix, local] = qname.includes(':') ? qname.split(':') : ['', qname];
    const el: XmlElement = {
      ns: resolve(prefix!, scope, false),
      local: local!,
      attrs: raw
        .filter(([n]) => n !== 'xmlns' && !n.startsWith('xmlns:'))
        .map(([n, value]) => {
          const [p, l] = n.includes(':') ? n.split(':') : ['', n];
          return { ns: resolve(p!, scope, true), local: l!, value };
        }),
      children: [],
      scope,
    };
    if (selfClosing) return el;
    for (;;) {
      if (i >= text.length) throw new XmlError(`unclosed element <${qname}>`);
      if (text.startsWith('</', i)) {
        const end = text.indexOf('>', i);
        if (end < 0 || text.slice(i + 2, end).trim() !== qname) throw new XmlError(`mismatched closing tag for <${qname}>`);
        i = end + 1;
        return el;
      }
      if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i);
        if (end < 0) throw new XmlError('unterminated comment');
        i = end + 3;
      } else if (text.startsWith('<![CDATA[', i)) {
        const end = text.indexOf(']]>', i);
        if (end < 0) throw new XmlError('unterminated CDATA');
        el.children.push(text.slice(i + 9, end));
        i = end + 3;
      } else if (text.startsWith('<?', i)) {
        const end = text.indexOf('?>', i);
        if (end < 0) throw new XmlError('unterminated processing instruction');
        i = end + 2;
      } else if (text[i] === '<') {
        el.children.push(parseElement(scope, depth + 1));
      } else {
        const next = text.indexOf('<', i);
        const chunk = text.slice(i, next < 0 ? text.length : next);
        if (chunk.includes(']]>')) throw new XmlError('"]]>" in text');
        el.children.push(decodeEntities(chunk));
        i = next < 0 ? text.length : next;
      }
    }
  };
  skipMisc();
  if (text[i] !== '<') throw new XmlError('no root element');
  const root = parseElement(new Map(), 0);
  skipMisc();
  if (i !== text.length) throw new XmlError('content after the root element');
  return root;
}

export const DAV = 'DAV:';

export const elements = (el: XmlElement): XmlElement[] => el.children.filter((c): c is XmlElement => typeof c !== 'string');
export const child = (el: XmlElement, ns: string, local: string) => elements(el).find((c) => c.ns === ns && c.local === local);
export const textOf = (el: XmlElement): string => el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch]!);
}

/**
 * An element's content written back as XML with every namespace declared where it is used, so that it
 * stands alone (a dead property's value, a lock's owner): each element gets its namespace as default.
 */
export function serializeChildren(el: XmlElement): string {
  // No namespace is taken as inherited at the top: where the value lands, the default may be another.
  return el.children.map((c) => (typeof c === 'string' ? escapeXml(c) : serializeElement(c, '\u0000'))).join('');
}

function serializeElement(el: XmlElement, parentDefault: string): string {
  let out = `<${el.local}`;
  if (el.ns !== parentDefault) out += ` xmlns="${escapeXml(el.ns)}"`;
  el.attrs.forEach((a, n) => {
    if (a.ns === '') out += ` ${a.local}="${escapeXml(a.value)}"`;
    else if (a.ns === XML_NS) out += ` xml:${a.local}="${escapeXml(a.value)}"`;
    else out += ` xmlns:a${n}="${escapeXml(a.ns)}" a${n}:${a.local}="${escapeXml(a.value)}"`;
  });
  if (el.children.length === 0) return out + '/>';
  return `${out}>${el.children.map((c) => (typeof c === 'string' ? escapeXml(c) : serializeElement(c, el.ns))).join('')}</${el.local}>`;
}
