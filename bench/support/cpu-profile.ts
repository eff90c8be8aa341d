/**
 * Summaries of V8 CPU profiles (`node --cpu-prof`): self and total time by module and by function,
 * optionally only over the samples taken in a window of time. The profile's clock is the machine's
 * monotonic clock in microseconds, the one `process.hrtime` reads in any process on the machine, so
 * a benchmark can mark the window in its own process.
 */
import { basename } from 'node:path';

export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

export interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface TimeWindow {
  fromUs: number;
  toUs: number;
}

export interface Entry {
  name: string;
  /** For a function: its module. */
  module?: string;
  selfUs: number;
  totalUs: number;
}

export interface ProfileSummary {
  /** Time covered by the samples taken in the window, idle included. */
  sampledUs: number;
  idleUs: number;
  /** sampledUs - idleUs: what the percentages are of. */
  busyUs: number;
  samples: number;
  byModule: Entry[];
  byFunction: Entry[];
}

/** The monotonic clock in the profile's unit (µs). */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

const SPECIAL = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);

/**
 * The module a frame belongs to: a node_modules package (scoped packages whole), `src/<folder>` for the
 * app's own compiled code, `node:<area>` for Node's internals; a frame without a script (a V8 builtin or
 * native function) is counted in its caller's module, `callerModule`.
 */
export function moduleOf(frame: CallFrame, appRoot: string, callerModule: string): string {
  const { url, functionName } = frame;
  if (url === '') return SPECIAL.has(functionName) ? functionName : callerModule;
  const path = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  if (path.startsWith('node:')) {
    const parts = path.slice('node:'.length).split('/');
    return `node:${parts[0] === 'internal' && parts.length > 2 ? `internal/${parts[1]}` : parts.join('/')}`;
  }
  const packageAt = path.lastIndexOf('/node_modules/');
  if (packageAt !== -1) {
    const parts = path.slice(packageAt + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (path.startsWith(appRoot)) {
    const parts = path.slice(appRoot.length).replace(/^\/+/, '').split('/');
    // dist/src/<folder>/file.js, dist-bench/src/..., or a top-level file such as dist/src/main.js.
    const from = parts.findIndex((part) => part === 'src' || part === 'migrations');
    if (from !== -1) return parts.length > from + 2 ? `${parts[from]}/${parts[from + 1]}` : parts[from];
    return parts.join('/');
  }
  return basename(path);
}

function location(frame: CallFrame, appRoot: string): string {
  if (frame.url === '') return 'native';
  let path = frame.url.startsWith('file://') ? decodeURIComponent(frame.url.slice('file://'.length)) : frame.url;
  const packageAt = path.lastIndexOf('/node_modules/');
  if (packageAt !== -1) path = path.slice(packageAt + '/node_modules/'.length);
  else if (path.startsWith(appRoot)) path = path.slice(appRoot.length).replace(/^\/+/, '');
  return `${path}:${frame.lineNumber + 1}`;
}

interface NodeInfo {
  module: string;
  functionKey: string;
  /** Distinct modules and functions from this node to the root, for total (inclusive) time. */
  modulesOnStack: string[];
  functionsOnStack: string[];
}

function describeNodes(
  profile: CpuProfile,
  appRoot: string,
  functionModules: Map<string, string>,
): Map<number, NodeInfo> {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const info = new Map<number, NodeInfo>();
  const describe = (id: number): NodeInfo => {
    const known = info.get(id);
    if (known) return known;
    // Walk up iteratively to the first described ancestor, then describe downwards (stacks can be deep).
    const chain: number[] = [];
    let cursor: number | undefined = id;
    while (cursor !== undefined && !info.has(cursor)) {
      chain.push(cursor);
      cursor = parent.get(cursor);
    }
    let above = cursor === undefined ? undefined : info.get(cursor);
    for (let i = chain.length - 1; i >= 0; i--) {
      const frame = byId.get(chain[i])!.callFrame;
      const module = moduleOf(frame, appRoot, above?.module ?? '(native)');
      const functionKey = SPECIAL.has(frame.functionName)
        ? frame.functionName
        : `${frame.functionName || '(anonymous)'} ${location(frame, appRoot)}`;
      const modulesOnStack = above?.modulesOnStack ?? [];
      const functionsOnStack = above?.functionsOnStack ?? [];
      const described: NodeInfo = {
        module,
        functionKey,
        modulesOnStack: modulesOnStack.includes(module) ? modulesOnStack : [...modulesOnStack, module],
        functionsOnStack: functionsOnStack.includes(functionKey)
          ? functionsOnStack
          : [...functionsOnStack, functionKey],
      };
      info.set(chain[i], described);
      if (!functionModules.has(functionKey)) functionModules.set(functionKey, module);
      above = described;
    }
    return info.get(id)!;
  };
  for (const node of profile.nodes) describe(node.id);
  return info;
}

function add(table: Map<string, Entry>, name: string, selfUs: number, totalUs: number): void {
  const entry = table.get(name) ?? { name, selfUs: 0, totalUs: 0 };
  entry.selfUs += selfUs;
  entry.totalUs += totalUs;
  table.set(name, entry);
}

/**
 * Self and total time by module and by function over the samples of `profiles` taken in `window`
 * (all of them without one). A sample's weight is the time until the next sample.
 */
export function summarize(profiles: CpuProfile[], appRoot: string, window?: TimeWindow): ProfileSummary {
  const modules = new Map<string, Entry>();
  const functions = new Map<string, Entry>();
  let sampledUs = 0;
  let idleUs = 0;
  let samples = 0;
  const functionModules = new Map<string, string>();
  for (const profile of profiles) {
    const info = describeNodes(profile, appRoot, functionModules);
    let at = profile.startTime;
    const times = profile.timeDeltas.map((delta) => (at += delta));
    for (let i = 0; i < profile.samples.length; i++) {
      const time = times[i];
      if (window && (time < window.fromUs || time >= window.toUs)) continue;
      const weight = Math.max(0, (i + 1 < times.length ? times[i + 1] : profile.endTime) - time);
      const node = info.get(profile.samples[i])!;
      samples++;
      sampledUs += weight;
      if (node.module === '(idle)') {
        idleUs += weight;
        continue;
      }
      add(modules, node.module, weight, 0);
      add(functions, node.functionKey, weight, 0);
      for (const module of node.modulesOnStack) add(modules, module, 0, weight);
      for (const name of node.functionsOnStack) add(functions, name, 0, weight);
    }
  }
  for (const entry of functions.values()) entry.module = functionModules.get(entry.name);
  const bySelf = (a: Entry, b: Entry) => b.selfUs - a.selfUs || b.totalUs - a.totalUs;
  modules.delete('(root)');
  functions.delete('(root)');
  return {
    sampledUs,
    idleUs,
    busyUs: sampledUs - idleUs,
    samples,
    byModule: [...modules.values()].sort(bySelf),
    byFunction: [...functions.values()].sort(bySelf),
  };
}
