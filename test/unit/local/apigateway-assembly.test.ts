import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthLocal, type LocalAssembly } from '../../../local/assembly';
import { apiGatewayServer } from '../../../local/apigateway';

/** `/orders/{id}` → `/orders/sample-id`; `{proxy+}` → two segments. */
function samplePath(resourcePath: string): string {
  return resourcePath
    .split('/')
    .map((s) => (/^\{.+\+\}$/.test(s) ? 'a/b' : /^\{.+\}$/.test(s) ? `sample-${s.slice(1, -1)}` : s))
    .join('/');
}

describe('local API Gateway serving the synthesized assembly', () => {
  let outdir: string;
  let assembly: LocalAssembly;

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'apigw-asm-'));
    assembly = synthLocal({ outdir, bundling: false });
  }, 120_000);

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('serves every route of every region, invoking the function and alias the template names', async () => {
    expect(assembly.regions.length).toBeGreaterThanOrEqual(2);
    for (const region of assembly.regions) {
      const api = region.api;
      if (!api) throw new Error(`region ${region.region} has no API`);
      expect(api.routes.length).toBeGreaterThan(0);
      const received: { fn: string; alias?: string; resource: string; method: string }[] = [];
      const server = await apiGatewayServer({
        api,
        region: region.region,
        accountId: region.accountId,
        invoke: async (fn, alias, event) => {
          received.push({ fn, alias, resource: event.resource, method: event.httpMethod });
          return { payload: { statusCode: 200, body: JSON.stringify({ ok: true }) } };
        },
      });
      try {
        for (const route of api.routes) {
          const method = route.method === 'ANY' ? 'POST' : route.method;
          const res = await fetch(`${server.baseUrl}${samplePath(route.path)}`, {
            method,
            ...(method === 'GET' || method === 'HEAD' ? {} : { body: '{}' }),
            headers: { 'content-type': 'application/json' },
          });
          expect([region.region, route.method, route.path, res.status]).toEqual([
            region.region,
            route.method,
            route.path,
            200,
          ]);
          expect(received.pop()).toEqual({
            fn: route.functionLogicalId,
            alias: route.aliasLogicalId,
            resource: route.path,
            method,
          });
          // Every function the API names is a function of the region.
          expect(region.functions.map((f) => f.logicalId)).toContain(route.functionLogicalId);
        }
        // A path no route defines is the template's MISSING_AUTHENTICATION_TOKEN gateway response.
        const unknown = await fetch(`${server.baseUrl}/no-such-route`);
        const override = api.gatewayResponses.find((r) => r.responseType === 'MISSING_AUTHENTICATION_TOKEN');
        expect(unknown.status).toBe(Number(override?.statusCode ?? 403));
      } finally {
        await server.close();
      }
    }
  });
});
