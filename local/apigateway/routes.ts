/** API Gateway REST resource matching: a tree of the template's resource paths. */
import type { RouteModel } from '../assembly/model';

/** The segments of a resource path that is a parameter (`{id}`) or a greedy parameter (`{proxy+}`). */
const PARAM = /^\{([A-Za-z0-9._-]+)\}$/;
const GREEDY = /^\{([A-Za-z0-9._-]+)\+\}$/;

interface ResourceNode {
  /** The resource path, e.g. `/orders/{id}`. */
  readonly path: string;
  readonly literals: Map<string, ResourceNode>;
  param?: { readonly name: string; readonly node: ResourceNode };
  greedy?: { readonly name: string; readonly node: ResourceNode };
  /** HTTP method (or `ANY`) → route. */
  readonly methods: Map<string, RouteModel>;
}

/** A resource that matched a request path: its routes by method and the decoded path parameters. */
export interface ResourceMatch {
  readonly resourcePath: string;
  readonly methods: ReadonlyMap<string, RouteModel>;
  /** Null when the resource has no parameters, as in the proxy event. */
  readonly pathParameters: Record<string, string> | null;
}

function newNode(path: string): ResourceNode {
  return { path, literals: new Map(), methods: new Map() };
}

/** Thrown for a route table that API Gateway itself would refuse to deploy. */
export class RouteTableError extends Error {
  override readonly name = 'RouteTableError';
}

/**
 * The routes of one REST API as a resource tree. Matching follows API Gateway: a literal segment beats a
 * `{param}`, which beats a greedy `{proxy+}`; a resource matches only if it defines at least one method.
 */
export class RouteTable {
  private readonly root = newNode('/');

  constructor(routes: readonly RouteModel[]) {
    for (const route of routes) this.add(route);
  }

  private add(route: RouteModel): void {
    const segments = splitResourcePath(route.path);
    let node = this.root;
    for (const [i, segment] of segments.entries()) {
      const childPath = `/${segments.slice(0, i + 1).join('/')}`;
      const greedy = GREEDY.exec(segment);
      const param = PARAM.exec(segment);
      if (greedy) {
        if (i !== segments.length - 1) {
          throw new RouteTableError(`${route.path}: a greedy path variable must be the last segment`);
        }
        node.greedy ??= { name: greedy[1]!, node: newNode(childPath) };
        if (node.greedy.name !== greedy[1]) {
          throw new RouteTableError(`${route.path}: conflicting path variables at ${childPath}`);
        }
        node = node.greedy.node;
      } else if (param) {
        node.param ??= { name: param[1]!, node: newNode(childPath) };
        if (node.param.name !== param[1]) {
          throw new RouteTableError(`${route.path}: conflicting path variables at ${childPath}`);
        }
        node = node.param.node;
      } else {
        let child = node.literals.get(segment);
        if (!child) {
          child = newNode(childPath);
          node.literals.set(segment, child);
        }
        node = child;
      }
    }
    node.methods.set(route.method.toUpperCase(), route);
  }

  /**
   * The resource for a request path (the part after the stage, already split into decoded segments), or
   * undefined when no resource with methods matches.
   */
  match(segments: readonly string[]): ResourceMatch | undefined {
    const params: Record<string, string> = {};
    const node = this.walk(this.root, segments, 0, params);
    if (!node) return undefined;
    return {
      resourcePath: node.path,
      methods: node.methods,
      pathParameters: Object.keys(params).length > 0 ? params : null,
    };
  }

  /** Every method of every resource, for listings and the fidelity test. */
  routes(): { resourcePath: string; method: string; route: RouteModel }[] {
    const out: { resourcePath: string; method: string; route: RouteModel }[] = [];
    const visit = (node: ResourceNode): void => {
      for (const [method, route] of node.methods) out.push({ resourcePath: node.path, method, route });
      for (const child of node.literals.values()) visit(child);
      if (node.param) visit(node.param.node);
      if (node.greedy) visit(node.greedy.node);
    };
    visit(this.root);
    return out;
  }

  private walk(
    node: ResourceNode,
    segments: readonly string[],
    i: number,
    params: Record<string, string>,
  ): ResourceNode | undefined {
    if (i === segments.length) return node.methods.size > 0 ? node : undefined;
    const segment = segments[i]!;
    const literal = node.literals.get(segment);
    if (literal) {
      const found = this.walk(literal, segments, i + 1, params);
      if (found) return found;
    }
    // A path variable never matches an empty segment (`/orders//cancel`).
    if (node.param && segment !== '') {
      const found = this.walk(node.param.node, segments, i + 1, params);
      if (found) {
        params[node.param.name] = segment;
        return found;
      }
    }
    if (node.greedy && node.greedy.node.methods.size > 0 && segments.slice(i).some((s) => s !== '')) {
      params[node.greedy.name] = segments.slice(i).join('/');
      return node.greedy.node;
    }
    return undefined;
  }
}

/** `/orders/{id}` → `['orders', '{id}']`; `/` → `[]`. */
export function splitResourcePath(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}
