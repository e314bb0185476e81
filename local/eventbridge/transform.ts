/**
 * What a rule target receives: the whole event, a constant `Input`, the part of the event an `InputPath`
 * selects, or an `InputTransformer` (InputPathsMap + InputTemplate), written from
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
 */

/** An input transformer as `AWS::Events::Rule` targets declare it. */
export interface InputTransformerModel {
  /** Variable name → JSON path into the event (`$.detail.status`). */
  readonly inputPathsMap?: Readonly<Record<string, string>>;
  /** Text (JSON or plain) with `<variable>` placeholders. */
  readonly inputTemplate: string;
}

/** Thrown for an InputPath, InputPathsMap or InputTemplate EventBridge would reject. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
}

type Segment =
  | { readonly kind: 'key'; readonly key: string }
  | { readonly kind: 'index'; readonly index: number }
  | {
      readonly kind: 'wildcard';
    };

/** A compiled JSON path of the subset EventBridge supports: dots, brackets, array indices, wildcards. */
export interface JsonPath {
  readonly text: string;
  /** The selected value; undefined when the path selects nothing. With a wildcard, an array of matches. */
  select(root: unknown): unknown;
}

const KEY = /^[A-Za-z0-9_\-/$@:]+/;

/** Compiles `$`, `$.detail`, `$.detail.items[0].id`, `$.detail['x-y']`, `$.detail.items[*].id`. */
export function compileJsonPath(text: string): JsonPath {
  if (!text.startsWith('$'))
    throw new InvalidInputError(`JSON path ${JSON.stringify(text)} must start with "$"`);
  const segments: Segment[] = [];
  let rest = text.slice(1);
  while (rest.length > 0) {
    let m: RegExpExecArray | null;
    if (rest.startsWith('.*')) {
      segments.push({ kind: 'wildcard' });
      rest = rest.slice(2);
    } else if (rest.startsWith('.') && (m = KEY.exec(rest.slice(1)))) {
      segments.push({ kind: 'key', key: m[0] });
      rest = rest.slice(1 + m[0].length);
    } else if ((m = /^\[(\d+)\]/.exec(rest))) {
      segments.push({ kind: 'index', index: Number(m[1]) });
      rest = rest.slice(m[0].length);
    } else if ((m = /^\[\*\]/.exec(rest))) {
      segments.push({ kind: 'wildcard' });
      rest = rest.slice(m[0].length);
    } else if ((m = /^\['([^']+)'\]/.exec(rest)) || (m = /^\["([^"]+)"\]/.exec(rest))) {
      segments.push({ kind: 'key', key: m[1] as string });
      rest = rest.slice(m[0].length);
    } else {
      throw new InvalidInputError(
        `JSON path ${JSON.stringify(text)} is not supported near ${JSON.stringify(rest)}`,
      );
    }
  }
  const hasWildcard = segments.some((s) => s.kind === 'wildcard');
  return {
    text,
    select(root: unknown): unknown {
      let nodes: unknown[] = [root];
      for (const seg of segments) {
        const next: unknown[] = [];
        for (const node of nodes) {
          if (seg.kind === 'key') {
            if (isObject(node) && Object.prototype.hasOwnProperty.call(node, seg.key))
              next.push(node[seg.key]);
          } else if (seg.kind === 'index') {
            if (Array.isArray(node) && seg.index < node.length) next.push(node[seg.index]);
          } else if (Array.isArray(node)) {
            next.push(...(node as unknown[]));
          } else if (isObject(node)) {
            next.push(...Object.values(node));
          }
        }
        nodes = next;
      }
      if (hasWildcard) return nodes;
      return nodes[0];
    },
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The values the predefined `aws.events.*` variables take for one delivery. */
export interface PredefinedVariables {
  readonly ruleArn: string;
  readonly ruleName: string;
  /** ISO-8601 time EventBridge received the event. */
  readonly ingestionTime: string;
}

const RESERVED_PREFIX = 'aws.events.';
const MAX_VARIABLES = 100;

/** A compiled input transformer: `render(event, vars)` returns the text the target receives. */
export interface CompiledTransformer {
  render(event: Readonly<Record<string, unknown>>, predefined: PredefinedVariables): string;
}

/** Validates and compiles an input transformer (throws `InvalidInputError`). */
export function compileInputTransformer(model: InputTransformerModel): CompiledTransformer {
  const entries = Object.entries(model.inputPathsMap ?? {});
  if (entries.length > MAX_VARIABLES) {
    throw new InvalidInputError(
      `InputPathsMap has ${entries.length} variables; the limit is ${MAX_VARIABLES}`,
    );
  }
  const paths = new Map<string, JsonPath>();
  for (const [name, path] of entries) {
    if (name.startsWith(RESERVED_PREFIX)) {
      throw new InvalidInputError(
        `InputPathsMap variable "${name}" uses the reserved prefix ${RESERVED_PREFIX}`,
      );
    }
    if (!/^[A-Za-z0-9_.-]+$/.test(name))
      throw new InvalidInputError(`InputPathsMap variable "${name}" is not valid`);
    paths.set(name, compileJsonPath(path));
  }
  if (typeof model.inputTemplate !== 'string' || model.inputTemplate.length === 0) {
    throw new InvalidInputError('InputTemplate must be a non-empty string');
  }
  const template = model.inputTemplate;
  // A JSON-object template gets JSON values outside quotes; a plain-text template gets raw text.
  const isJsonTemplate = template.trim().startsWith('{');

  return {
    render(event, predefined) {
      const lookup = (name: string): { found: boolean; value?: unknown; raw?: string } => {
        switch (name) {
          case 'aws.events.rule-arn':
            return { found: true, value: predefined.ruleArn };
          case 'aws.events.rule-name':
            return { found: true, value: predefined.ruleName };
          case 'aws.events.event.ingestion-time':
            return { found: true, value: predefined.ingestionTime };
          case 'aws.events.event': {
            // The original event without its detail, inserted unescaped.
            const { detail: _detail, ...rest } = event;
            return { found: true, raw: JSON.stringify(rest) };
          }
          case 'aws.events.event.json':
            return { found: true, raw: JSON.stringify(event) };
        }
        const path = paths.get(name);
        if (!path) return { found: false };
        return { found: true, value: path.select(event) };
      };

      let out = '';
      let inString = false;
      for (let i = 0; i < template.length; i++) {
        const c = template[i] as string;
        if (inString && c === '\\') {
          out += c + (template[i + 1] ?? '');
          i++;
          continue;
        }
        if (c === '"') {
          inString = !inString;
          out += c;
          continue;
        }
        if (c === '<') {
          const close = template.indexOf('>', i + 1);
          const name = close > i ? template.slice(i + 1, close) : '';
          const hit = name.length > 0 && /^[A-Za-z0-9_.-]+$/.test(name) ? lookup(name) : { found: false };
          if (hit.found) {
            out += substitute(hit, inString, isJsonTemplate);
            i = close;
            continue;
          }
        }
        out += c;
      }
      return out;
    },
  };
}

function substitute(
  hit: { value?: unknown; raw?: string },
  inString: boolean,
  isJsonTemplate: boolean,
): string {
  if (hit.raw !== undefined) return hit.raw;
  const v = hit.value;
  if (v === undefined) {
    // A path that selects nothing: an empty string inside quotes, JSON null in a JSON template.
    return inString || !isJsonTemplate ? '' : 'null';
  }
  if (inString) {
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    return JSON.stringify(text).slice(1, -1);
  }
  if (!isJsonTemplate && typeof v === 'string') return v;
  return JSON.stringify(v);
}
