/**
 * AWS FIS, locally: the experiment templates of the synthesized regional stacks, and experiments started
 * from them. The one fault action emulated is `aws:dynamodb:global-table-pause-replication` (plus
 * `aws:fis:wait`): it holds the replication links of the targeted replicas' region with every peer for the
 * action's duration, divided by the time scale, or until the experiment is stopped.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ExperimentTemplateModel } from '../assembly';
import { GLOBAL_TABLE_RESOURCE_TYPE, REPLICATION_PAUSE_ACTION } from '../../services/shared/fault-injection';

/** Holds and releases a region's replication with every peer; `holder` names who holds it (an experiment). */
export interface ReplicationControl {
  pause(region: string, holder: string): void;
  resume(region: string, holder: string): void;
}

/** A FIS error: HTTP status and the error type the SDK maps to an exception class. */
export class FisError extends Error {
  constructor(
    readonly status: number,
    readonly code:
      | 'ValidationException'
      | 'SerializationException'
      | 'ResourceNotFoundException'
      | 'ConflictException'
      | 'MissingAuthenticationTokenException'
      | 'UnknownOperationException',
    message: string,
  ) {
    super(message);
    this.name = 'FisError';
  }
}

/** The terminal states of an experiment. */
const TERMINAL = new Set(['completed', 'stopped', 'failed', 'cancelled']);

type ActionStatus =
  'pending' | 'initiating' | 'running' | 'completed' | 'cancelled' | 'stopping' | 'stopped' | 'failed';
type ExperimentStatus =
  'pending' | 'initiating' | 'running' | 'completed' | 'stopping' | 'stopped' | 'failed';

interface Template extends ExperimentTemplateModel {
  readonly id: string;
  readonly arn: string;
  readonly region: string;
  readonly creationTime: number;
}

interface ActionRun {
  readonly name: string;
  readonly spec: ExperimentTemplateModel['actions'][string];
  status: ActionStatus;
  reason: string;
  startTime?: number;
  endTime?: number;
  timer?: NodeJS.Timeout;
}

interface Experiment {
  readonly id: string;
  readonly arn: string;
  readonly region: string;
  readonly clientToken: string;
  readonly template: Template;
  readonly tags: Readonly<Record<string, string>>;
  readonly creationTime: number;
  startTime?: number;
  endTime?: number;
  status: ExperimentStatus;
  reason: string;
  readonly actions: ActionRun[];
}

/** What {@link Experiments} needs. */
export interface ExperimentsOptions {
  /** Each region's experiment templates, from the assembly. */
  readonly templates: Readonly<Record<string, readonly ExperimentTemplateModel[]>>;
  /** Each region's table names (its replicas). */
  readonly tables: Readonly<Record<string, readonly string[]>>;
  readonly accountId: string;
  /** Action durations are divided by it. @default 1 */
  readonly timeScale?: number;
  readonly control: ReplicationControl;
  readonly log?: (line: string) => void;
}

/** Parses an ISO 8601 duration of hours, minutes and seconds (`PT30M`, `PT1H30M`, `PT90S`) into ms. */
export function parseIsoDuration(text: string): number | undefined {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(text);
  if (!m || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) return undefined;
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

const MIN_PAUSE_MS = 60_000;
const MAX_PAUSE_MS = 12 * 3600_000;

/** Parses `arn:<partition>:dynamodb:<region>:<account>:table/<name>`. */
function tableOfArn(arn: string): { region: string; name: string } | undefined {
  const m = /^arn:[a-z-]+:dynamodb:([a-z0-9-]+):\d{12}:table\/([A-Za-z0-9_.-]{3,255})$/.exec(arn);
  return m ? { region: m[1]!, name: m[2]! } : undefined;
}

const epochSeconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

/** ListExperimentTemplates' view of a template (GetExperimentTemplate adds the definition). */
function templateSummary(t: Template): Record<string, unknown> {
  return {
    id: t.id,
    arn: t.arn,
    description: t.description,
    creationTime: epochSeconds(t.creationTime),
    lastUpdateTime: epochSeconds(t.creationTime),
    tags: t.tags,
  };
}

/** Templates, experiments and their actions, for every region of the local runtime. */
export class Experiments {
  private readonly templatesByRegion = new Map<string, Template[]>();
  private readonly experiments = new Map<string, Experiment>();
  private readonly timeScale: number;

  constructor(private readonly options: ExperimentsOptions) {
    this.timeScale = options.timeScale ?? 1;
    const now = Date.now();
    for (const [region, models] of Object.entries(options.templates)) {
      this.templatesByRegion.set(
        region,
        models.map((model) => {
          // Stable across restarts: the same template keeps its id, as a deployed one does.
          const digest = createHash('sha256').update(`${region}/${model.logicalId}`).digest('hex');
          const id = `EXT${digest.slice(0, 14)}`;
          return {
            ...model,
            id,
            region,
            arn: this.arn(region, 'experiment-template', id),
            creationTime: now,
          };
        }),
      );
    }
  }

  /** Whether the runtime runs this region. */
  hasRegion(region: string): boolean {
    return this.templatesByRegion.has(region);
  }

  listTemplates(region: string): Record<string, unknown>[] {
    return (this.templatesByRegion.get(region) ?? []).map(templateSummary);
  }

  getTemplate(region: string, id: string): Record<string, unknown> {
    const t = this.template(region, id);
    return {
      ...templateSummary(t),
      roleArn: t.roleArn,
      targets: t.targets,
      actions: t.actions,
      stopConditions: t.stopConditions,
    };
  }

  /** StartExperiment: idempotent per client token. */
  start(
    region: string,
    input: { clientToken: string; experimentTemplateId: string; tags?: Record<string, string> },
  ): Record<string, unknown> {
    const template = this.template(region, input.experimentTemplateId);
    const previous = [...this.experiments.values()].find(
      (e) => e.region === region && e.clientToken === input.clientToken,
    );
    if (previous) {
      if (previous.template.id !== template.id) {
        throw new FisError(
          409,
          'ConflictException',
          'The client token was used with another experiment template.',
        );
      }
      return this.describe(previous);
    }
    const id = `EXP${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x').slice(0, 14)}`;
    const experiment: Experiment = {
      id,
      arn: this.arn(region, 'experiment', id),
      region,
      clientToken: input.clientToken,
      template,
      tags: input.tags ?? {},
      creationTime: Date.now(),
      status: 'initiating',
      reason: 'Experiment is initiating.',
      actions: Object.entries(template.actions).map(([name, spec]) => ({
        name,
        spec,
        status: 'pending',
        reason: 'Initial state',
      })),
    };
    this.experiments.set(id, experiment);
    const problem = this.check(experiment);
    if (problem) {
      this.finish(experiment, 'failed', problem);
    } else {
      experiment.status = 'running';
      experiment.reason = 'Experiment is running.';
      experiment.startTime = Date.now();
      this.options.log?.(`experiment ${id} (${template.id}) running in ${region}`);
      this.advance(experiment);
    }
    return this.describe(experiment);
  }

  get(region: string, id: string): Record<string, unknown> {
    return this.describe(this.experiment(region, id));
  }

  list(region: string, templateId?: string): Record<string, unknown>[] {
    return [...this.experiments.values()]
      .filter((e) => e.region === region && (templateId === undefined || e.template.id === templateId))
      .map((e) => {
        const { id, arn, experimentTemplateId, state, creationTime, tags } = this.describe(e);
        return { id, arn, experimentTemplateId, state, creationTime, tags };
      });
  }

  /** StopExperiment: lifts what running actions hold; an experiment that already ended is returned as it is. */
  stop(region: string, id: string): Record<string, unknown> {
    const experiment = this.experiment(region, id);
    if (!TERMINAL.has(experiment.status)) this.finish(experiment, 'stopped', 'Experiment stopped.');
    return this.describe(experiment);
  }

  /** Stops every experiment still running (the runtime is stopping). */
  close(): void {
    for (const e of this.experiments.values()) {
      if (!TERMINAL.has(e.status)) this.finish(e, 'stopped', 'The local runtime stopped.');
    }
  }

  private arn(region: string, kind: string, id: string): string {
    return `arn:aws:fis:${region}:${this.options.accountId}:${kind}/${id}`;
  }

  private template(region: string, id: string): Template {
    const template = this.templatesByRegion.get(region)?.find((t) => t.id === id);
    if (!template)
      throw new FisError(404, 'ResourceNotFoundException', `Experiment template not found: ${id}`);
    return template;
  }

  private experiment(region: string, id: string): Experiment {
    const experiment = this.experiments.get(id);
    if (!experiment || experiment.region !== region) {
      throw new FisError(404, 'ResourceNotFoundException', `Experiment not found: ${id}`);
    }
    return experiment;
  }

  /** Why the experiment cannot run here, checked before anything is touched; undefined when it can. */
  private check(experiment: Experiment): string | undefined {
    const { template, region } = experiment;
    for (const action of experiment.actions) {
      const { actionId, parameters, targets } = action.spec;
      for (const after of action.spec.startAfter ?? []) {
        if (!(after in template.actions))
          return `Action ${action.name} starts after unknown action ${after}.`;
      }
      const duration = parameters.duration === undefined ? undefined : parseIsoDuration(parameters.duration);
      if (actionId === 'aws:fis:wait') {
        if (duration === undefined) return `Action ${action.name}: duration must be an ISO 8601 duration.`;
        continue;
      }
      if (actionId !== REPLICATION_PAUSE_ACTION) {
        return `Action ${action.name}: ${actionId} is not emulated by the local runtime (only ${REPLICATION_PAUSE_ACTION} and aws:fis:wait).`;
      }
      if (duration === undefined || duration < MIN_PAUSE_MS || duration > MAX_PAUSE_MS) {
        return `Action ${action.name}: duration must be from PT1M to PT12H; got ${parameters.duration ?? 'none'}.`;
      }
      const target = template.targets[targets.Tables ?? ''];
      if (!target || target.resourceType !== GLOBAL_TABLE_RESOURCE_TYPE) {
        return `Action ${action.name}: the Tables target must be of type ${GLOBAL_TABLE_RESOURCE_TYPE}.`;
      }
      if (target.resourceArns.length === 0)
        return `Action ${action.name}: the target resolved to no resources.`;
      for (const arn of target.resourceArns) {
        const table = tableOfArn(arn);
        if (!table) return `Target ${arn} is not a DynamoDB table ARN.`;
        if (table.region !== region) return `Target ${arn} is not in the experiment's region ${region}.`;
        if (!this.options.tables[region]?.includes(table.name)) {
          return `Target ${arn}: no such table with a replica in ${region}.`;
        }
      }
    }
    return undefined;
  }

  /** Starts every pending action whose predecessors completed; completes the experiment when all did. */
  private advance(experiment: Experiment): void {
    if (TERMINAL.has(experiment.status)) return;
    const done = (name: string) => experiment.actions.find((a) => a.name === name)?.status === 'completed';
    for (const action of experiment.actions) {
      if (action.status !== 'pending' || !(action.spec.startAfter ?? []).every(done)) continue;
      const ms = parseIsoDuration(action.spec.parameters.duration!)! / this.timeScale;
      action.status = 'running';
      action.reason = 'Action is running.';
      action.startTime = Date.now();
      if (action.spec.actionId === REPLICATION_PAUSE_ACTION) {
        this.options.control.pause(experiment.region, experiment.id);
      }
      action.timer = setTimeout(() => {
        this.end(experiment, action, 'completed', 'Action was completed.');
        this.advance(experiment);
      }, ms);
      action.timer.unref();
    }
    if (experiment.actions.every((a) => a.status === 'completed')) {
      this.finish(experiment, 'completed', 'Experiment completed.');
    }
  }

  private end(experiment: Experiment, action: ActionRun, status: ActionStatus, reason: string): void {
    clearTimeout(action.timer);
    action.timer = undefined;
    // A running pause holds the region's replication; a pending one never took hold.
    if (action.status === 'running' && action.spec.actionId === REPLICATION_PAUSE_ACTION) {
      this.options.control.resume(experiment.region, experiment.id);
    }
    action.status = status;
    action.reason = reason;
    action.endTime = Date.now();
  }

  private finish(experiment: Experiment, status: ExperimentStatus, reason: string): void {
    for (const action of experiment.actions) {
      if (action.status === 'running') this.end(experiment, action, 'stopped', 'Action was stopped.');
      else if (action.status === 'pending')
        this.end(experiment, action, 'cancelled', 'Action was cancelled.');
    }
    experiment.status = status;
    experiment.reason = reason;
    experiment.endTime = Date.now();
    this.options.log?.(`experiment ${experiment.id} ${status}: ${reason}`);
  }

  private describe(e: Experiment): Record<string, unknown> & { state: unknown } {
    return {
      id: e.id,
      arn: e.arn,
      experimentTemplateId: e.template.id,
      roleArn: e.template.roleArn,
      state: { status: e.status, reason: e.reason },
      targets: e.template.targets,
      actions: Object.fromEntries(
        e.actions.map((a) => [
          a.name,
          {
            actionId: a.spec.actionId,
            ...(a.spec.description !== undefined && { description: a.spec.description }),
            parameters: a.spec.parameters,
            targets: a.spec.targets,
            ...(a.spec.startAfter && { startAfter: a.spec.startAfter }),
            state: { status: a.status, reason: a.reason },
            startTime: epochSeconds(a.startTime),
            endTime: epochSeconds(a.endTime),
          },
        ]),
      ),
      stopConditions: e.template.stopConditions,
      creationTime: epochSeconds(e.creationTime),
      startTime: epochSeconds(e.startTime),
      endTime: epochSeconds(e.endTime),
      tags: e.tags,
    };
  }
}
