/** One parsed XML element: its local name (prefix dropped), attributes, child elements and text. */
export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** The concatenated character data directly inside this element (entities and CDATA decoded). */
  readonly text: string;
}

/** Malformed XML; the message says what and where. */
export class XmlSyntaxError extends Error {
  constructor(message: string, offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = 'XmlSyntaxError';
  }
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_.:]*/y;
const SPACE = /[ \t\r\n]*/y;
const MAX_DEPTH = 32;

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
};

function decodeEntities(raw: string, offset: number): string {
  return raw.replace(/&([^;&\s]*);?/g, (match: string, body: string, at: number) => {
    if (!match.endsWith(';')) throw new XmlSyntaxError('unterminated entity reference', offset + at);
    if (body.startsWith('#')) {
      const hex = body[1] === 'x' || body[1] === 'X';
      const digits = body.slice(hex ? 2 : 1);
      const code = digits.length > 0 ? Number.parseInt(digits, hex ? 16 : 10) : NaN;
      const valid = hex ? /^[0-9a-fA-F]+$/.test(digits) : /^[0-9]+$/.test(digits);
      if (!valid || !Number.isInteger(code) || code < 1 || code > 0x10ffff) {
        throw new XmlSyntaxError(`invalid character reference &${body};`, offset + at);
      }
      return String.fromCodePoint(code);
    }
    const named = NAMED_ENTITIES[body];
    if (named === undefined) throw new XmlSyntaxError(`unknown entity &${body};`, offset + at);
    return named;
  });
}

function localName(qualified: string): string {
  const colon = qualified.indexOf(':');
  return colon >= 0 ? qualified.slice(colon + 1) : qualified;
}

interface Building {
  qname: string;
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/**
 * Parses a small XML document into elements. Enough for the flat request documents of REST-XML APIs:
 * elements, attributes, the five predefined entities, character references, CDATA, comments and
 * processing instructions. DOCTYPE declarations are refused outright, so no entity can be defined
 * (no expansion attacks); nesting beyond 32 levels is refused too.
 */
export function parseXml(input: string): XmlElement {
  let pos = 0;
  const stack: Building[] = [];
  let root: XmlElement | undefined;

  const skipSpace = (): void => {
    SPACE.lastIndex = pos;
    SPACE.exec(input);
    pos = SPACE.lastIndex;
  };
  const readName = (what: string): string => {
    NAME.lastIndex = pos;
    const m = NAME.exec(input);
    if (!m) throw new XmlSyntaxError(`expected ${what}`, pos);
    pos = NAME.lastIndex;
    return m[0];
  };
  const skipPast = (terminator: string, what: string): string => {
    const end = input.indexOf(terminator, pos);
    if (end < 0) throw new XmlSyntaxError(`unterminated ${what}`, pos);
    const body = input.slice(pos, end);
    pos = end + terminator.length;
    return body;
  };

  if (input.charCodeAt(0) === 0xfeff) pos = 1;
  while (pos < input.length) {
    const lt = input.indexOf('<', pos);
    const textEnd = lt < 0 ? input.length : lt;
    if (textEnd > pos) {
      const raw = input.slice(pos, textEnd);
      const top = stack[stack.length - 1];
      if (top) top.text += decodeEntities(raw, pos);
      else if (raw.trim() !== '') throw new XmlSyntaxError('text outside the root element', pos);
      pos = textEnd;
      continue;
    }
    if (input.startsWith('<!--', pos)) {
      pos += 4;
      skipPast('-->', 'comment');
    } else if (input.startsWith('<![CDATA[', pos)) {
      const top = stack[stack.length - 1];
      if (!top) throw new XmlSyntaxError('CDATA outside the root element', pos);
      pos += 9;
      top.text += skipPast(']]>', 'CDATA section');
    } else if (input.startsWith('<!', pos)) {
      throw new XmlSyntaxError('DOCTYPE and other declarations are not accepted', pos);
    } else if (input.startsWith('<?', pos)) {
      pos += 2;
      skipPast('?>', 'processing instruction');
    } else if (input.startsWith('</', pos)) {
      pos += 2;
      const qname = readName('a closing tag name');
      skipSpace();
      if (input[pos] !== '>') throw new XmlSyntaxError(`expected '>' after </${qname}`, pos);
      pos += 1;
      const open = stack.pop();
      if (!open) throw new XmlSyntaxError(`unexpected closing tag </${qname}>`, pos);
      if (open.qname !== qname) {
        throw new XmlSyntaxError(`closing tag </${qname}> does not match <${open.qname}>`, pos);
      }
      const done: XmlElement = {
        name: open.name,
        attributes: open.attributes,
        children: open.children,
        text: open.text,
      };
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(done);
      else root = done;
    } else {
      if (root) throw new XmlSyntaxError('content after the root element', pos);
      pos += 1;
      const qname = readName('an element name');
      const attributes: Record<string, string> = {};
      for (;;) {
        skipSpace();
        if (input.startsWith('/>', pos) || input[pos] === '>') break;
        const attr = readName('an attribute name');
        skipSpace();
        if (input[pos] !== '=') throw new XmlSyntaxError(`expected '=' after attribute ${attr}`, pos);
        pos += 1;
        skipSpace();
        const quote = input[pos];
        if (quote !== '"' && quote !== "'")
          throw new XmlSyntaxError(`expected a quoted value for ${attr}`, pos);
        pos += 1;
        const start = pos;
        const value = skipPast(quote, `attribute ${attr}`);
        if (value.includes('<')) throw new XmlSyntaxError(`'<' in the value of attribute ${attr}`, start);
        if (Object.hasOwn(attributes, attr)) throw new XmlSyntaxError(`duplicate attribute ${attr}`, start);
        attributes[attr] = decodeEntities(value, start);
      }
      const selfClosing = input[pos] === '/';
      pos += selfClosing ? 2 : 1;
      if (stack.length >= MAX_DEPTH) throw new XmlSyntaxError('elements nested too deeply', pos);
      const element: Building = { qname, name: localName(qname), attributes, children: [], text: '' };
      if (selfClosing) {
        const done: XmlElement = { name: element.name, attributes, children: [], text: '' };
        const parent = stack[stack.length - 1];
        if (parent) parent.children.push(done);
        else root = done;
      } else {
        stack.push(element);
      }
    }
  }
  const unclosed = stack[stack.length - 1];
  if (unclosed) throw new XmlSyntaxError(`element <${unclosed.qname}> is not closed`, pos);
  if (!root) throw new XmlSyntaxError('no root element', pos);
  return root;
}

/** Escapes text for an XML element or a double-quoted attribute. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) =>
    c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : c === '"' ? '&quot;' : '&apos;',
  );
}

/** A value to serialize: text, a number or boolean (as text), nested elements, or absent (omitted). */
export type XmlValue = string | number | boolean | XmlNode[] | undefined;
/** One element to serialize. */
export interface XmlNode {
  readonly name: string;
  readonly value: XmlValue;
}

/** Shorthand for an {@link XmlNode}. */
export const node = (name: string, value: XmlValue): XmlNode => ({ name, value });

function serialize(n: XmlNode): string {
  if (n.value === undefined) return '';
  const inner = Array.isArray(n.value) ? n.value.map(serialize).join('') : escapeXml(String(n.value));
  return `<${n.name}>${inner}</${n.name}>`;
}

/** A whole document: declaration and a root element carrying the namespace. */
export function xmlDocument(root: string, namespace: string, children: XmlNode[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${escapeXml(namespace)}">${children
    .map(serialize)
    .join('')}</${root}>`;
}
