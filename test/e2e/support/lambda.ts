/** Direct Lambda invocations in a local region, through its Lambda Invoke API (as an operator would). */
import { readAssembly } from '../../../local/assembly';
import type { TestRuntime } from './runtime';

/** The function of `region` whose handler is `index.<exportName>` (e.g. `setFailureInjection`). */
export function functionNamed(region: string, exportName: string): string {
  const assembly = readAssembly(process.env.MERIDIAN_E2E_ASSEMBLY!);
  const fn = assembly.regions
    .find((r) => r.region === region)
    ?.functions.find((f) => f.handler === `index.${exportName}`);
  if (!fn) throw new Error(`no function with handler index.${exportName} in ${region}`);
  return fn.functionName ?? fn.logicalId;
}

/** Invokes a function synchronously and returns its payload; a function error throws. */
export async function invokeFunction(
  rt: TestRuntime,
  region: string,
  exportName: string,
  payload: unknown,
): Promise<unknown> {
  const port = rt.runtime.endpoints[region]!.ports.lambda;
  const name = functionNamed(region, exportName);
  const response = await fetch(`http://127.0.0.1:${port}/2015-03-31/functions/${name}/invocations`, {
    method: 'POST',
    body: JSON.stringify(payload),
  });
  const text = await response.text();
  if (response.status !== 200 || response.headers.get('x-amz-function-error')) {
    throw new Error(`invoke ${name} in ${region}: HTTP ${response.status} ${text}`);
  }
  return text ? (JSON.parse(text) as unknown) : null;
}
