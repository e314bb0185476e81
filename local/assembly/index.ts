export type * from './model';
export { listStacks, readAssembly, type ReadAssemblyOptions, type StackArtifact } from './read';
export {
  IntrinsicError,
  defaultGetAtt,
  defaultRef,
  endpointNaming,
  physicalName,
  resolve,
  resolveString,
  type DynamicReference,
  type LocalNaming,
  type ResolveContext,
  type ResourceInfo,
  type TemplateParameter,
  type TemplateResource,
} from './resolve';
export { synthLocal, type SynthLocalOptions } from './synth';
