/**
 * Loading ASL files and adapting them, once, to aws-local-stepfunctions v3.
 *
 * The product's ASL is never changed on disk. After the CDK-like `${Name}` substitution the definition
 * is validated as written (asl-validator, like the library's constructor does) and then rewritten:
 *
 * - every Task state gets a local override (keyed by state name); `TimeoutSeconds`, `TimeoutSecondsPath`,
 *   `HeartbeatSeconds` and `HeartbeatSecondsPath` are removed and enforced by the override, and the library's
 *   own task timer (60 s by default) is pushed out with `TimeoutSeconds: 2147483` (largest value that does not
 *   overflow a Node timer);
 * - `TimeoutSecondsPath` / `HeartbeatSecondsPath` are evaluated by hidden Parameters keys
 *   (`__localTimeoutSeconds.$`, `__localHeartbeatSeconds.$`); a Task without Parameters gets
 *   `{"__localInput.$": "$", ...}` and the override unwraps it;
 * - `"x.$": "$$.Task.Token"` becomes the literal placeholder {@link TOKEN_PLACEHOLDER} (also inside
 *   intrinsic functions) which the override replaces with a fresh random token;
 * - `$$.Execution…` becomes `$$.LocalExecution…` because the library overwrites `$$.Execution.Input` and
 *   `$$.Execution.StartTime` inside Parallel branches / Map iterations with the branch input / branch start;
 * - `"x.$": "$$.State.Name"` becomes the literal state name;
 * - `ResultPath: "$"` (state and Catch) is dropped: the library would store the result under a key named "$";
 * - Choice rules `IsPresent/IsNull/IsNumeric/IsString/IsBoolean/IsTimestamp: false` become
 *   `Not: {…: true}` (the library never matches the `false` forms);
 * - a Pass `Result` that is falsy (false, 0, "", null) — ignored by the library — becomes a literal Parameters;
 * - Retry `IntervalSeconds` (default 1) and `MaxDelaySeconds` are multiplied by `retryIntervalScale`;
 * - a top-level `TimeoutSeconds` above 2147483 is dropped (it would overflow the library's timer).
 */
import { readFileSync } from 'node:fs';
import { StateMachine } from 'aws-local-stepfunctions';

export const TOKEN_PLACEHOLDER = '__LOCAL_SFN_TASK_TOKEN_9c1f4e27__';
export const HIDDEN_INPUT_KEY = '__localInput';
export const HIDDEN_TIMEOUT_KEY = '__localTimeoutSeconds';
export const HIDDEN_HEARTBEAT_KEY = '__localHeartbeatSeconds';
/** Largest TimeoutSeconds whose millisecond value still fits a Node timer (2^31-1 ms). */
export const MAX_TIMER_SECONDS = 2147483;

export type TaskKind = 'lambda-invoke' | 'lambda-function' | 'start-execution';
export type TaskMode = 'request' | 'sync' | 'sync2' | 'token';

export interface TaskConfig {
  stateName: string;
  /** Resource as written (after substitution). */
  resource: string;
  /** For history events: 'lambda' or 'states'. */
  resourceType: string;
  /** For history events: 'invoke', 'invoke.waitForTaskToken', 'startExecution.sync:2', … */
  resourceName: string;
  kind: TaskKind;
  mode: TaskMode;
  /** For plain `arn:aws:lambda:…:function:NAME` resources. */
  functionName?: string;
  timeoutSeconds?: number;
  timeoutFromInput: boolean;
  heartbeatSeconds?: number;
  heartbeatFromInput: boolean;
  /** Parameters were generated as `{ "__localInput.$": "$", … }`. */
  wrappedInput: boolean;
  usesToken: boolean;
}

export interface LoadedDefinition {
  name: string;
  file: string;
  /** Substituted definition exactly as written (returned by DescribeStateMachine). */
  definitionString: string;
  /** Rewritten definition for aws-local-stepfunctions. */
  definition: Record<string, unknown>;
  /** Task overrides by state name (Task state names are unique across the whole machine, branches included). */
  tasks: Map<string, TaskConfig>;
}

export interface RewriteOptions {
  retryIntervalScale?: number;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Replace `${Name}` placeholders like CDK definitionSubstitutions; throws naming every unresolved one. */
export function substitute(text: string, substitutions: Record<string, string>, source = 'definition'): string {
  const unresolved = new Set<string>();
  const out = text.replace(/\$\{([^}]*)\}/g, (whole, key: string) => {
    if (Object.prototype.hasOwnProperty.call(substitutions, key)) return substitutions[key];
    unresolved.add(whole);
    return whole;
  });
  if (unresolved.size > 0) {
    throw new Error(`Unresolved substitution(s) in ${source}: ${[...unresolved].join(', ')}`);
  }
  return out;
}

/** Read, substitute, validate and rewrite one ASL file. */
export function loadDefinitionFile(
  name: string,
  file: string,
  substitutions: Record<string, string>,
  options: RewriteOptions = {},
): LoadedDefinition {
  const raw = readFileSync(file, 'utf8');
  return loadDefinitionText(name, raw, substitutions, options, file);
}

export function loadDefinitionText(
  name: string,
  text: string,
  substitutions: Record<string, string>,
  options: RewriteOptions = {},
  file = `<${name}>`,
): LoadedDefinition {
  const definitionString = substitute(text, substitutions, file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(definitionString);
  } catch (e) {
    throw new Error(`${file}: not valid JSON after substitution: ${(e as Error).message}`);
  }
  if (!isObj(parsed)) throw new Error(`${file}: the definition must be a JSON object`);
  try {
    // Validates with asl-validator (checkArn, checkPaths) exactly like the library does by default.
    new StateMachine(parsed as never);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  const { definition, tasks } = rewriteDefinition(parsed, options, file);
  return { name, file, definitionString, definition, tasks };
}

/** Rewrite a parsed (valid) definition for the library. Pure; the input is not modified. */
export function rewriteDefinition(
  def: Obj,
  options: RewriteOptions = {},
  file = 'definition',
): { definition: Obj; tasks: Map<string, TaskConfig> } {
  const ctx: Ctx = { file, scale: options.retryIntervalScale ?? 1, tasks: new Map(), names: new Set() };
  if (!(ctx.scale >= 0) || !Number.isFinite(ctx.scale)) throw new Error('retryIntervalScale must be a finite number >= 0');
  if (def.QueryLanguage !== undefined && def.QueryLanguage !== 'JSONPath') {
    throw new Error(`${file}: QueryLanguage ${String(def.QueryLanguage)} is not supported locally (JSONPath only)`);
  }
  const out: Obj = { ...def, States: rewriteStates(def.States as Obj, ctx) };
  if (typeof out.TimeoutSeconds === 'number' && out.TimeoutSeconds > MAX_TIMER_SECONDS) delete out.TimeoutSeconds;
  return { definition: out, tasks: ctx.tasks };
}

interface Ctx {
  file: string;
  scale: number;
  tasks: Map<string, TaskConfig>;
  names: Set<string>;
}

function rewriteStates(states: Obj, ctx: Ctx): Obj {
  const out: Obj = {};
  for (const [name, state] of Object.entries(states)) {
    if (ctx.names.has(name)) {
      throw new Error(`${ctx.file}: state name "${name}" is used more than once (local overrides are keyed by state name)`);
    }
    ctx.names.add(name);
    out[name] = rewriteState(name, state as Obj, ctx);
  }
  return out;
}

function rewriteState(name: string, state: Obj, ctx: Ctx): Obj {
  const s: Obj = { ...state };
  const where = `${ctx.file}: state "${name}"`;
  if (s.QueryLanguage !== undefined && s.QueryLanguage !== 'JSONPath') {
    throw new Error(`${where}: QueryLanguage ${String(s.QueryLanguage)} is not supported locally`);
  }
  for (const key of ['InputPath', 'OutputPath'] as const) {
    if (typeof s[key] === 'string') s[key] = rewritePath(s[key] as string, where);
  }
  if (s.ResultPath === '$') delete s.ResultPath;
  if (isObj(s.ResultSelector)) s.ResultSelector = rewriteTemplate(s.ResultSelector, name, where, null);
  if (Array.isArray(s.Retry)) s.Retry = s.Retry.map((r) => scaleRetrier(r as Obj, ctx.scale));
  if (Array.isArray(s.Catch)) {
    s.Catch = s.Catch.map((c) => {
      const catcher: Obj = { ...(c as Obj) };
      if (catcher.ResultPath === '$') delete catcher.ResultPath;
      return catcher;
    });
  }

  switch (s.Type) {
    case 'Task':
      return rewriteTask(name, s, ctx, where);
    case 'Pass':
      if (isObj(s.Parameters)) s.Parameters = rewriteTemplate(s.Parameters, name, where, null);
      if ('Result' in s && !s.Result) {
        // the library ignores a falsy Result (false, 0, "", null) and passes the input on; a non-object
        // "Parameters" template is returned as it is, so move the value there
        s.Parameters = s.Result;
        delete s.Result;
      }
      return s;
    case 'Parallel':
      if (isObj(s.Parameters)) s.Parameters = rewriteTemplate(s.Parameters, name, where, null);
      s.Branches = (s.Branches as Obj[]).map((b) => ({ ...b, States: rewriteStates(b.States as Obj, ctx) }));
      return s;
    case 'Map': {
      for (const key of ['Parameters', 'ItemSelector'] as const) {
        if (isObj(s[key])) s[key] = rewriteTemplate(s[key] as Obj, name, where, null);
      }
      for (const key of ['ItemsPath', 'MaxConcurrencyPath'] as const) {
        if (typeof s[key] === 'string') s[key] = rewritePath(s[key] as string, where);
      }
      for (const key of ['ItemProcessor', 'Iterator'] as const) {
        const sub = s[key];
        if (isObj(sub)) {
          if (isObj(sub.ProcessorConfig) && sub.ProcessorConfig.Mode === 'DISTRIBUTED') {
            throw new Error(`${where}: distributed Map is not supported locally`);
          }
          s[key] = { ...sub, States: rewriteStates(sub.States as Obj, ctx) };
        }
      }
      return s;
    }
    case 'Choice':
      s.Choices = (s.Choices as Obj[]).map((rule) => rewriteChoiceRule(rule, where));
      return s;
    case 'Wait':
      for (const key of ['SecondsPath', 'TimestampPath'] as const) {
        if (typeof s[key] === 'string') s[key] = rewritePath(s[key] as string, where);
      }
      return s;
    case 'Fail':
      for (const key of ['ErrorPath', 'CausePath'] as const) {
        if (typeof s[key] === 'string') s[key] = rewritePath(s[key] as string, where);
      }
      return s;
    default:
      return s;
  }
}

const SERVICE_RESOURCE =
  /^arn:[^:]+:states:[^:]*:[^:]*:(lambda:invoke|states:startExecution)(\.waitForTaskToken|\.sync:2|\.sync)?$/;
const LAMBDA_FUNCTION_RESOURCE = /^arn:[^:]+:lambda:[^:]+:[^:]+:function:([^:]+)(:[^:]+)?$/;

function rewriteTask(name: string, s: Obj, ctx: Ctx, where: string): Obj {
  const resource = String(s.Resource);
  let cfg: TaskConfig;
  const base = {
    stateName: name,
    resource,
    timeoutFromInput: typeof s.TimeoutSecondsPath === 'string',
    heartbeatFromInput: typeof s.HeartbeatSecondsPath === 'string',
    timeoutSeconds: typeof s.TimeoutSeconds === 'number' ? s.TimeoutSeconds : undefined,
    heartbeatSeconds: typeof s.HeartbeatSeconds === 'number' ? s.HeartbeatSeconds : undefined,
    wrappedInput: false,
    usesToken: false,
  };
  const svc = SERVICE_RESOURCE.exec(resource);
  const fn = LAMBDA_FUNCTION_RESOURCE.exec(resource);
  if (svc) {
    const [service, action] = svc[1].split(':');
    const suffix = svc[2] ?? '';
    const mode: TaskMode =
      suffix === '.waitForTaskToken' ? 'token' : suffix === '.sync:2' ? 'sync2' : suffix === '.sync' ? 'sync' : 'request';
    if (service === 'lambda' && (mode === 'sync' || mode === 'sync2')) {
      throw new Error(`${where}: unsupported Task resource "${resource}"`);
    }
    cfg = {
      ...base,
      kind: service === 'lambda' ? 'lambda-invoke' : 'start-execution',
      mode,
      resourceType: service,
      resourceName: action + suffix,
    };
  } else if (fn) {
    cfg = { ...base, kind: 'lambda-function', mode: 'request', resourceType: 'lambda', resourceName: 'invoke', functionName: fn[1] };
  } else {
    throw new Error(
      `${where}: unsupported Task resource "${resource}" (supported locally: arn:aws:states:::lambda:invoke[.waitForTaskToken], ` +
        'arn:aws:states:::states:startExecution[.sync|.sync:2|.waitForTaskToken], arn:aws:lambda:…:function:NAME)',
    );
  }
  if (ctx.tasks.has(name)) throw new Error(`${where}: duplicate Task state name`);

  const tokenFlag = { used: false };
  if (isObj(s.Parameters)) {
    s.Parameters = rewriteTemplate(s.Parameters, name, where, cfg.mode === 'token' ? tokenFlag : null);
  }
  cfg.usesToken = tokenFlag.used;
  if (cfg.mode === 'token' && !cfg.usesToken) {
    throw new Error(`${where}: a .waitForTaskToken Task must pass $$.Task.Token in its Parameters`);
  }
  if (typeof s.Credentials !== 'undefined') delete s.Credentials;

  const hidden: Obj = {};
  if (cfg.timeoutFromInput) hidden[`${HIDDEN_TIMEOUT_KEY}.$`] = rewritePath(s.TimeoutSecondsPath as string, where);
  if (cfg.heartbeatFromInput) hidden[`${HIDDEN_HEARTBEAT_KEY}.$`] = rewritePath(s.HeartbeatSecondsPath as string, where);
  if (Object.keys(hidden).length > 0) {
    if (isObj(s.Parameters)) {
      s.Parameters = { ...s.Parameters, ...hidden };
    } else {
      s.Parameters = { [`${HIDDEN_INPUT_KEY}.$`]: '$', ...hidden };
      cfg.wrappedInput = true;
    }
  }
  delete s.TimeoutSecondsPath;
  delete s.HeartbeatSeconds;
  delete s.HeartbeatSecondsPath;
  s.TimeoutSeconds = MAX_TIMER_SECONDS;
  ctx.tasks.set(name, cfg);
  return s;
}

function scaleRetrier(r: Obj, scale: number): Obj {
  if (scale === 1) return { ...r };
  const out: Obj = { ...r, IntervalSeconds: (typeof r.IntervalSeconds === 'number' ? r.IntervalSeconds : 1) * scale };
  if (typeof r.MaxDelaySeconds === 'number') out.MaxDelaySeconds = r.MaxDelaySeconds * scale;
  return out;
}

const TYPE_TESTS = ['IsPresent', 'IsNull', 'IsNumeric', 'IsString', 'IsBoolean', 'IsTimestamp'];

function rewriteChoiceRule(rule: Obj, where: string): Obj {
  let r: Obj = { ...rule };
  if (Array.isArray(r.And)) r.And = r.And.map((x) => rewriteChoiceRule(x as Obj, where));
  if (Array.isArray(r.Or)) r.Or = r.Or.map((x) => rewriteChoiceRule(x as Obj, where));
  if (isObj(r.Not)) r.Not = rewriteChoiceRule(r.Not, where);
  for (const [k, v] of Object.entries(r)) {
    if (typeof v === 'string' && (k === 'Variable' || k.endsWith('Path'))) r[k] = rewritePath(v, where);
  }
  for (const test of TYPE_TESTS) {
    if (r[test] === false) {
      const { Next, Comment, ...inner } = r;
      inner[test] = true;
      r = { Not: inner };
      if (Next !== undefined) r.Next = Next;
      if (Comment !== undefined) r.Comment = Comment;
      break;
    }
  }
  return r;
}

const EXECUTION_RE = /\$\$\.Execution(?![A-Za-z0-9_])/g;
const TOKEN_RE = /\$\$\.Task\.Token(?![A-Za-z0-9_])/g;
const STATE_NAME_RE = /\$\$\.State\.Name(?![A-Za-z0-9_])/g;
const UNSUPPORTED_CONTEXT_RE = /\$\$\.(State|Task)(?![A-Za-z0-9_])(\.[A-Za-z]+)?/;

/** Rewrite a reference path or an intrinsic function expression. */
function rewritePath(expr: string, where: string): string {
  const bad = UNSUPPORTED_CONTEXT_RE.exec(expr);
  if (bad) throw new Error(`${where}: context path ${bad[0]} is not supported locally here ("${expr}")`);
  return expr.replace(EXECUTION_RE, () => '$$.LocalExecution');
}

/**
 * Rewrite a payload template (Parameters, ResultSelector, ItemSelector). `tokenFlag` is non-null only
 * where `$$.Task.Token` is allowed (Parameters of .waitForTaskToken Tasks).
 */
function rewriteTemplate(tpl: Obj, stateName: string, where: string, tokenFlag: { used: boolean } | null): Obj {
  const out: Obj = {};
  for (const [key, value] of Object.entries(tpl)) {
    if (key.endsWith('.$') && typeof value === 'string') {
      const bare = key.slice(0, -2);
      if (value === '$$.Task.Token' && tokenFlag) {
        tokenFlag.used = true;
        out[bare] = TOKEN_PLACEHOLDER;
        continue;
      }
      if (value === '$$.State.Name') {
        out[bare] = stateName;
        continue;
      }
      let expr = value;
      if (!expr.startsWith('$')) {
        // intrinsic function: context values become quoted literals
        if (tokenFlag && expr.includes('$$.Task.Token')) {
          tokenFlag.used = true;
          expr = expr.replace(TOKEN_RE, () => `'${TOKEN_PLACEHOLDER}'`);
        }
        if (expr.includes('$$.State.Name')) {
          if (/['\\{}]/.test(stateName)) throw new Error(`${where}: $$.State.Name inside an intrinsic needs a plain state name`);
          expr = expr.replace(STATE_NAME_RE, () => `'${stateName}'`);
        }
      }
      out[key] = rewritePath(expr, where);
    } else if (isObj(value)) {
      out[key] = rewriteTemplate(value, stateName, where, tokenFlag);
    } else if (Array.isArray(value)) {
      out[key] = value.map((v) => (isObj(v) ? rewriteTemplate(v, stateName, where, tokenFlag) : v));
    } else {
      out[key] = value;
    }
  }
  return out;
}
