// fleet.js reads crns.json into what the dashboard shows: one model per
// CRN and the fleet's totals. It touches no DOM, so every count the page
// shows is computed here, in one place.
//
// Every string in crns.json comes from a node operator or the registry and
// is hostile; this file only reads them, and the pages write them with
// textContent.
import { toDate } from './when.js';

export function str(v) {
  if (typeof v === 'string') return v;
  return v === null || v === undefined ? '' : String(v);
}

function num(v) {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function obj(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {};
}

// probeState reads one probe's error and time: "None" with a time is ok,
// "None" without one was never probed, anything else is failing. A config
// that came with fields of the wrong type is "partial": the node answered
// (the service counts it up), but the error names the bad fields.
export function probeState(err, at) {
  if (typeof err === 'string' && err !== 'None') {
    return err.startsWith('invalid_data:') && typeof at === 'string' ? 'partial' : 'failing';
  }
  return typeof at === 'string' ? 'ok' : 'never';
}

// errorClass is the class of a "class: message" error, "" for "None".
export function errorClass(err) {
  if (typeof err !== 'string' || err === 'None' || err === '') return '';
  const i = err.indexOf(':');
  return i > 0 ? err.slice(0, i) : 'other';
}

// parseVersion reads a leading X.Y.Z (as the service does: 1.3.0-41-g730
// is 1.3.0; a leading v is allowed); null when there is none.
export function parseVersion(v) {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(str(v));
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

export function compareVersions(a, b) {
  for (let i = 0; i < 3; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return 0;
}

// GPUs are grouped by model, or device name when the model is missing.
function gpuName(g) {
  const o = obj(g);
  return str(o.model) || str(o.device_name) || 'unknown';
}

function countGPUs(list, into, field) {
  for (const g of Array.isArray(list) ? list : []) {
    const name = gpuName(g);
    const e = into.get(name) || { model: name, total: 0, free: 0 };
    e[field]++;
    into.set(name, e);
  }
}

// reference is what "behind" compares versions with: the settings'
// last_crn_version when the service publishes one, otherwise the newest
// version seen. versions are {key, text}; null when none is known.
export function reference(versions, lastCrnVersion) {
  const published = parseVersion(lastCrnVersion);
  if (published) return { key: published, text: str(lastCrnVersion), kind: 'last_crn_version' };
  let newest = null;
  for (const v of versions) {
    if (v.key && (!newest || compareVersions(v.key, newest.key) > 0)) newest = { key: v.key, text: v.text, kind: 'newest seen' };
  }
  return newest;
}

// nodeModel is one CRN as the table and the node page read it. uptime is
// the CRN's entry of uptime.json, or undefined; ref is reference()'s
// answer, or null.
export function nodeModel(crn, uptime, ref) {
  const usage = obj(crn.system_usage);
  const cpu = obj(usage.cpu);
  const mem = obj(usage.mem);
  const disk = obj(usage.disk);
  const v6 = obj(crn.ipv6_check);
  const gpus = new Map();
  countGPUs(crn.compatible_gpus, gpus, 'total');
  countGPUs(crn.compatible_available_gpus, gpus, 'free');
  const gpuList = [...gpus.values()].sort((a, b) => b.total - a.total || a.model.localeCompare(b.model));
  const config = probeState(crn.debug_config_from_crn_error, crn.debug_config_from_crn_at);
  const usageState = probeState(crn.usage_from_crn_error, crn.debug_usage_from_crn_at);
  const kB = (v) => (num(v) === null ? null : v * 1000);
  const bad = (st) => st === 'failing' || st === 'partial';
  const err = bad(config) ? crn.debug_config_from_crn_error : bad(usageState) ? crn.usage_from_crn_error : '';
  const last = typeof crn.debug_config_from_crn_at === 'string' ? new Date(crn.debug_config_from_crn_at) : null;
  const hw = hardware(crn.capability);
  const versionKey = parseVersion(crn.version);
  const up = uptime ? obj(uptime) : {};
  return {
    hash: str(crn.hash),
    name: str(crn.name),
    address: str(crn.address),
    score: num(crn.score),
    version: crn.version === null || crn.version === undefined ? '' : str(crn.version),
    versionKey: versionKey,
    behind: Boolean(ref && versionKey && compareVersions(versionKey, ref.key) < 0),
    owner: str(crn.owner),
    cpus: num(cpu.count),
    load: num(obj(cpu.load_average).load5),
    ramFree: kB(mem.available_kB),
    ramTotal: kB(mem.total_kB),
    diskFree: kB(disk.available_kB),
    diskTotal: kB(disk.total_kB),
    gpus: gpuList,
    gpuTotal: gpuList.reduce((n, g) => n + g.total, 0),
    gpuFree: gpuList.reduce((n, g) => n + g.free, 0),
    ipv6Host: v6.host === true,
    ipv6VM: v6.vm === true,
    confidential: crn.confidential_support === true ? true : crn.confidential_support === false ? false : null,
    inactive: crn.inactive_since !== null && crn.inactive_since !== undefined,
    lastSeen: last && !Number.isNaN(last.getTime()) ? last : null,
    config: config,
    usage: usageState,
    responsive: config === 'ok' || config === 'partial',
    failing: bad(config) || bad(usageState),
    errClass: errorClass(err),
    errText: str(err),
    up24: num(up['24h']),
    up7: num(up['7d']),
    // The config probe's state as the history store last saw it change,
    // and when: null when the service keeps no history of the node.
    stateUp: typeof up.up === 'boolean' ? up.up : null,
    since: toDate(up.since),
    // The config names another node's hash (aleph-vm 1.11+ node_hash):
    // the address serves another node's config.
    claimedHash: typeof crn.node_hash === 'string' ? crn.node_hash : '',
    identityMismatch: typeof crn.node_hash === 'string' && crn.node_hash !== crn.hash,
    hw: hw,
    cpuModel: hw ? hw.cpuModel : '',
    memType: hw ? hw.memType : '',
    crn: crn,
  };
}

// hardware reads a CRN's capability (its /about/capability, null when
// unknown): the CPU model, frequency (Hz) and count, the memory size
// (bytes when its units say so), type and clock (Hz); '' or null where
// the node does not say. null without a capability.
export function hardware(capability) {
  if (capability === null || typeof capability !== 'object' || Array.isArray(capability)) return null;
  const cpu = obj(capability.cpu);
  const mem = obj(capability.memory);
  const units = str(mem.units);
  return {
    cpuModel: str(cpu.model).trim(),
    cpuFreq: num(cpu.frequency),
    cpuCount: num(cpu.count),
    arch: str(cpu.architecture),
    vendor: str(cpu.vendor),
    memSize: num(mem.size),
    memUnits: units,
    memType: str(mem.type).trim(),
    memClock: num(mem.clock),
  };
}

// summarize counts the fleet. lastCrnVersion, when the service publishes
// one, is what "behind" compares with; otherwise the newest version seen.
export function summarize(models, lastCrnVersion) {
  const s = {
    listed: models.length,
    responsive: 0,
    failing: 0,
    inactive: 0,
    ipv6Both: 0,
    ipv6Host: 0,
    versions: [],
    reference: null,
    referenceKind: '',
    behind: 0,
    gpus: [],
    cpuModels: [], // [{value, count}], most frequent first
    memTypes: [],
  };
  const cpuModels = new Map();
  const memTypes = new Map();
  const versions = new Map();
  const gpus = new Map();
  for (const m of models) {
    if (m.responsive) s.responsive++;
    if (m.failing) s.failing++;
    if (m.inactive) s.inactive++;
    if (m.ipv6Host && m.ipv6VM) s.ipv6Both++;
    if (m.ipv6Host) s.ipv6Host++;
    const v = m.version || 'unknown';
    const e = versions.get(v) || { version: v, key: m.versionKey, count: 0 };
    e.count++;
    versions.set(v, e);
    if (m.cpuModel) cpuModels.set(m.cpuModel, (cpuModels.get(m.cpuModel) || 0) + 1);
    if (m.memType) memTypes.set(m.memType, (memTypes.get(m.memType) || 0) + 1);
    for (const g of m.gpus) {
      const t = gpus.get(g.model) || { model: g.model, total: 0, free: 0, nodes: 0 };
      t.total += g.total;
      t.free += g.free;
      t.nodes++;
      gpus.set(g.model, t);
    }
  }
  s.reference = reference(models.map((m) => ({ key: m.versionKey, text: m.version })), lastCrnVersion);
  s.referenceKind = s.reference ? s.reference.kind : '';
  s.versions = [...versions.values()].sort((a, b) => {
    if (a.key && b.key) return compareVersions(b.key, a.key) || a.version.localeCompare(b.version);
    return a.key ? -1 : b.key ? 1 : a.version.localeCompare(b.version);
  });
  for (const e of s.versions) {
    e.behind = Boolean(s.reference && e.key && compareVersions(e.key, s.reference.key) < 0);
    if (e.behind) s.behind += e.count;
  }
  s.gpus = [...gpus.values()].sort((a, b) => b.total - a.total || a.model.localeCompare(b.model));
  const byCount = (m) => [...m].map(([value, count]) => ({ value, count }))
    .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
  s.cpuModels = byCount(cpuModels);
  s.memTypes = byCount(memTypes);
  return s;
}

// hertz writes a frequency given in Hz: 4035000000 is "4.04 GHz".
export function hertz(n) {
  if (n === null) return '';
  if (n >= 1e9) return (n / 1e9).toFixed(2) + ' GHz';
  if (n >= 1e6) return Math.round(n / 1e6) + ' MHz';
  return n + ' Hz';
}

// binaryBytes writes a memory size in GiB, as DIMMs are counted.
export function binaryBytes(n) {
  if (n === null) return '';
  const gib = n / 2 ** 30;
  return (gib >= 100 || Number.isInteger(gib) ? Math.round(gib) : gib.toFixed(1)) + ' GiB';
}

// Formats. Byte sizes are decimal (the nodes report kB).
export function bytes(n) {
  if (n === null) return '';
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return (n >= 100 || i === 0 ? Math.round(n) : n.toFixed(1)) + ' ' + units[i];
}

export function percent(r) {
  if (r === null || r === undefined) return '';
  const p = r * 100;
  return (p >= 99.95 && p < 100 ? '99.9' : p === 100 ? '100' : p.toFixed(1)) + '%';
}
