// The Loyalty console: a small front end over the admin JSON API on this port. It holds no business rule:
// every check, every figure and every refusal comes from the API (docs/console.md).
'use strict';

const TOKEN_KEY = 'loyalty.console.token';
const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
const statusLine = document.getElementById('status');
let me = null;          // the signed-in caller (GET /v1/me)
let programs = [];      // the programs the caller may see
let stopBoard = null;   // stops the live board's polling when the page changes

// ---------- DOM ----------

/** Builds an element: h('a', { href: '#/x' }, 'text', child). Text is always set as text, never as HTML. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function svg(tag, attrs) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs || {})) el.setAttribute(key, String(value));
  return el;
}

function show(title, ...content) {
  main.replaceChildren(h('h1', {}, title), ...content);
  document.title = `${title} · Loyalty console`;
  main.focus({ preventScroll: true });
}

function say(text) {
  statusLine.textContent = text;
  if (text) setTimeout(() => { if (statusLine.textContent === text) statusLine.textContent = ''; }, 6000);
}

// ---------- the API ----------

class ApiError extends Error {
  constructor(status, message, violations, reason) {
    super(message);
    this.status = status;
    this.violations = violations;
    this.reason = reason;
  }
}

async function request(method, path, body) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return fetch(path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    cache: 'no-store',
  });
}

async function api(method, path, body) {
  const response = await request(method, path, body);
  const text = await response.text();
  if (response.ok) return text ? parseJson(text) : {};
  throw refusal(response, text);
}

/** A file the API answers (a CSV export) as a Blob: a plain link could not carry the bearer header. */
async function apiFile(path) {
  const response = await request('GET', path);
  if (response.ok) return response.blob();
  throw refusal(response, await response.text());
}

function refusal(response, text) {
  let status = {};
  try { status = JSON.parse(text); } catch { /* not JSON */ }
  const violations = [];
  let reason = null;
  for (const detail of status.details || []) {
    for (const v of detail.fieldViolations || []) violations.push({ field: v.field, description: v.description });
    if (detail.reason) reason = detail.reason;
  }
  if (response.status === 401) {
    return new ApiError(401, status.message || 'The token is unknown, revoked or missing: sign in again.', violations, reason);
  }
  if (response.status === 403) {
    return new ApiError(403, status.message || 'This token may not do that.', violations, reason);
  }
  return new ApiError(response.status, status.message || `The engine answered ${response.status} ${response.statusText}`, violations, reason);
}

/** Saves a Blob as a file through a temporary object URL. */
function saveFile(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/** One JSON document, or (a server-streaming call) several, as an array. */
function parseJson(text) {
  try { return JSON.parse(text); } catch { /* a stream of documents */ }
  const docs = [];
  let depth = 0, start = -1, inString = false, escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) { if (escaped) escaped = false; else if (c === '\\') escaped = true; else if (c === '"') inString = false; continue; }
    if (c === '"') inString = true;
    else if (c === '{') { if (depth++ === 0) start = i; }
    else if (c === '}') { if (--depth === 0) docs.push(JSON.parse(text.slice(start, i + 1))); }
  }
  return docs;
}

const enc = encodeURIComponent;

// ---------- values ----------

function get(obj, path) {
  return path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

function set(obj, path, value) {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = (o[k] ??= {});
  const last = keys[keys.length - 1];
  if (value === undefined) delete o[last]; else o[last] = value;
}

const snakeToCamel = s => s.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const fieldId = path => `f-${path.replace(/\./g, '-')}`;
const money = v => (v === undefined || v === null || v === '') ? '0' : String(v);
const when = ts => ts ? new Date(ts).toLocaleString() : '';
const stateName = s => (s || '').replace(/^[A-Z_]*STATE_/, '').toLowerCase();

function toLocalInput(ts) {
  if (!ts) return '';
  const d = new Date(ts);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

// ---------- forms ----------
// A field: { path, label, type: text|number|bool|select|list|intlist|datetime|json|rows, help, options, columns, required }

function fieldControl(spec, value, prefix) {
  const id = fieldId(prefix + spec.path);
  const describedBy = `${id}-help ${id}-error`;
  switch (spec.type) {
    case 'bool':
      return h('input', { type: 'checkbox', id, checked: !!value, 'aria-describedby': describedBy });
    case 'select':
      return h('select', { id, 'aria-describedby': describedBy },
        spec.options.map(([v, label]) => h('option', { value: v, selected: (value ?? spec.options[0][0]) === v }, label)));
    case 'checks':
      return h('div', { id, role: 'group', 'aria-labelledby': `${id}-label`, 'aria-describedby': describedBy, class: 'checks' },
        spec.options.map(([v, label]) => h('label', {}, h('input', { type: 'checkbox', value: v, checked: (value || []).includes(v) }), label)));
    case 'list':
      return h('input', { id, type: 'text', value: (value || []).join(', '), 'aria-describedby': describedBy });
    case 'intlist':
      return h('input', { id, type: 'text', inputmode: 'numeric', value: (value || []).join(', '), 'aria-describedby': describedBy });
    case 'datetime':
      return h('input', { id, type: 'datetime-local', value: toLocalInput(value), 'aria-describedby': describedBy });
    case 'json':
      return h('textarea', { id, spellcheck: 'false', 'aria-describedby': describedBy }, value === undefined ? '' : JSON.stringify(value, null, 2));
    case 'number':
      return h('input', { id, type: 'number', step: '1', value: value ?? '', required: spec.required, 'aria-describedby': describedBy });
    case 'date':
      return h('input', { id, type: 'date', value: value ?? '', required: spec.required, 'aria-describedby': describedBy });
    case 'percent':
      return h('input', { id, type: 'text', inputmode: 'decimal', value: value === undefined ? '' : bpsToPercent(value), 'aria-describedby': describedBy });
    case 'percentlist':
      return h('input', { id, type: 'text', inputmode: 'decimal', value: (value || []).map(bpsToPercent).join(', '), 'aria-describedby': describedBy });
    default:
      return h('input', { id, type: 'text', value: value ?? '', required: spec.required, readonly: spec.readonly, autocomplete: 'off', 'aria-describedby': describedBy });
  }
}

function fieldBlock(spec, value, prefix = '') {
  const id = fieldId(prefix + spec.path);
  if (spec.type === 'rows') return rowsBlock(spec, value || [], prefix);
  const control = fieldControl(spec, value, prefix);
  const label = spec.type === 'checks' ? h('span', { class: 'label', id: `${id}-label` }, spec.label) : h('label', { for: id }, spec.label);
  const help = h('p', { class: 'help', id: `${id}-help` }, spec.help || '');
  const error = h('p', { class: 'error', id: `${id}-error` });
  const block = spec.type === 'bool'
    ? h('div', { class: 'field check', 'data-path': spec.path }, control, label, help, error)
    : h('div', { class: `field${spec.type === 'json' ? ' wide' : ''}`, 'data-path': spec.path }, label, control, help, error);
  block.spec = spec;
  return block;
}

/** A repeated message as a table of inputs: rows can be added and removed. */
function rowsBlock(spec, rows, prefix) {
  const id = fieldId(prefix + spec.path);
  const body = h('tbody');
  const addRow = values => {
    const cells = spec.columns.map(col => {
      const label = `${spec.label} ${body.children.length + 1}: ${col.label}`;
      const v = values ? get(values, col.path) : undefined;
      const input = col.type === 'list'
        ? h('input', { type: 'text', value: (v || []).join(', '), 'aria-label': label, 'data-col': col.path })
        : col.type === 'select'
          ? h('select', { 'aria-label': label, 'data-col': col.path }, col.options.map(([o, text]) => h('option', { value: o, selected: v === o }, text)))
          : h('input', { type: col.type === 'number' ? 'number' : 'text', value: v ?? '', 'aria-label': label, 'data-col': col.path });
      return h('td', {}, input);
    });
    const row = h('tr', {}, cells, h('td', {}, h('button', { type: 'button', class: 'secondary', onclick: () => row.remove() }, 'Remove')));
    body.append(row);
  };
  rows.forEach(addRow);
  const block = h('div', { class: 'field rows', 'data-path': spec.path },
    h('span', { class: 'label', id: `${id}-label` }, h('strong', {}, spec.label)),
    spec.help ? h('p', { class: 'help' }, spec.help) : null,
    h('table', { 'aria-labelledby': `${id}-label` },
      h('thead', {}, h('tr', {}, spec.columns.map(c => h('th', { scope: 'col' }, c.label)), h('th', {}, h('span', { class: 'muted' }, '')))),
      body),
    h('button', { type: 'button', class: 'secondary', onclick: () => addRow(null) }, `Add ${spec.rowName || 'row'}`),
    h('p', { class: 'error', id: `${id}-error` }));
  block.spec = spec;
  return block;
}

/** Reads a form's fields over a copy of the original object, so fields the form does not show survive a save. */
function readFields(container, original) {
  const out = structuredClone(original || {});
  const problems = [];
  for (const block of container.querySelectorAll('[data-path]')) {
    const spec = block.spec;
    if (!spec || block.closest('[hidden]')) continue;
    if (spec.type === 'rows') {
      const rows = [];
      for (const tr of block.querySelectorAll('tbody tr')) {
        const row = {};
        for (const input of tr.querySelectorAll('[data-col]')) {
          const col = spec.columns.find(c => c.path === input.dataset.col);
          const raw = input.value.trim();
          if (raw === '') continue;
          set(row, col.path, col.type === 'list' ? splitList(raw) : col.type === 'number' ? parseValue(col, raw) : raw);
        }
        if (Object.keys(row).length) rows.push(row);
      }
      set(out, spec.path, rows);
      continue;
    }
    if (spec.type === 'checks') {
      set(out, spec.path, [...block.querySelectorAll('input[type=checkbox]:checked')].map(c => c.value));
      continue;
    }
    const input = block.querySelector('input, select, textarea');
    const raw = spec.type === 'bool' ? input.checked : input.value.trim();
    try {
      set(out, spec.path, parseValue(spec, raw));
    } catch (e) {
      problems.push({ field: spec.path, description: e.message });
    }
  }
  return { value: out, problems };
}

function percentToBps(raw) {
  if (!/^-?\d+([.,]\d{1,2})?$/.test(raw)) throw new Error(`"${raw}" is not a percentage (e.g. 2 or 2.5)`);
  return Math.round(Number(raw.replace(',', '.')) * 100);
}

function bpsToPercent(bps) {
  return (Number(bps || 0) / 100).toString();
}

function splitList(raw) {
  return raw.split(',').map(s => s.trim()).filter(Boolean);
}

function parseValue(spec, raw) {
  switch (spec.type) {
    case 'bool': return raw || undefined;
    case 'list': return raw ? splitList(raw) : [];
    case 'intlist': return raw ? splitList(raw).map(s => { if (!/^-?\d+$/.test(s)) throw new Error(`"${s}" is not a whole number`); return Number(s); }) : [];
    case 'datetime': return raw ? new Date(raw).toISOString() : undefined;
    case 'json':
      if (!raw) return undefined;
      try { return JSON.parse(raw); } catch (e) { throw new Error(`not valid JSON: ${e.message}`); }
    case 'number':
      if (raw === '') return undefined;
      if (!/^-?\d+$/.test(raw)) throw new Error('a whole number, please');
      // A JSON number (int32 fields take nothing else); an int64 beyond 2^53 as a string, which its fields accept.
      return Number.isSafeInteger(Number(raw)) ? Number(raw) : raw;
    case 'select': return raw || undefined;
    // A percentage typed as 2 or 2.5 is sent as basis points (200, 250): the API's unit.
    case 'percent': return raw === '' ? undefined : percentToBps(raw);
    case 'percentlist': return raw ? splitList(raw).map(percentToBps) : [];
    default: return raw === '' ? undefined : raw;
  }
}

/** Shows the API's refusal: the message on top, each field's description under its field. */
function showErrors(form, error) {
  for (const e of form.querySelectorAll('.error')) e.textContent = '';
  for (const b of form.querySelectorAll('.field.invalid')) b.classList.remove('invalid');
  form.querySelector('.alert')?.remove();
  if (!error) return;
  const violations = error.violations || [];
  const unplaced = [];
  for (const v of violations) {
    const path = v.field.split('.').map(p => snakeToCamel(p.replace(/\[\d+\]/g, ''))).join('.');
    let block = null;
    for (let p = path; p && !block; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
      block = form.querySelector(`[data-path="${CSS.escape(p)}"]`) || [...form.querySelectorAll('[data-path]')].find(b => b.dataset.path.endsWith(`.${p}`) || b.dataset.path === p);
    }
    if (block && !block.closest('[hidden]')) {
      block.classList.add('invalid');
      block.querySelector('.error').textContent = v.description;
    } else unplaced.push(v);
  }
  const alert = h('div', { class: 'alert', role: 'alert', tabindex: '-1' },
    h('strong', {}, error.status ? `Refused: ${error.message}` : error.message),
    unplaced.length ? h('ul', {}, unplaced.map(v => h('li', {}, `${v.field}: ${v.description}`))) : null);
  form.prepend(alert);
  alert.focus();
}

function errorBox(error) {
  return h('div', { class: 'alert', role: 'alert' }, error.message || String(error));
}

/** A form that calls submit(value) and shows what the API refused. */
/** Field ids are f-<prefix><path> (dots as dashes): give a form a prefix when another form on the page has the same fields. */
function apiForm(fields, original, submit, submitLabel, extra, prefix = '') {
  const form = h('form', { class: 'grid', novalidate: true });
  form.append(...fields.map(f => f.group ? groupBlock(f, original, prefix) : fieldBlock(f, get(original || {}, f.path), prefix)));
  const button = h('button', { type: 'submit' }, submitLabel);
  form.append(h('div', { class: 'actions' }, button, extra || null));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const { value, problems } = readFields(form, original);
    if (problems.length) { showErrors(form, { message: 'Please correct the fields below.', violations: problems }); return; }
    button.disabled = true;
    try {
      showErrors(form, null);
      await submit(value, form);
    } catch (e) {
      if (e.status === 401) return signOut(e.message);
      showErrors(form, e);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function groupBlock(group, original, prefix) {
  const fs = h('fieldset', { id: group.id || null, hidden: group.hidden || null },
    h('legend', {}, group.group),
    h('div', { class: 'inner' }, group.fields.map(f => fieldBlock(f, get(original || {}, f.path), prefix))));
  return fs;
}

// ---------- sign-in, navigation ----------

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  me = null;
  location.hash = '#/signin';
  route().then(() => message && showErrors(main.querySelector('form'), { message }));
}

function signInPage() {
  nav.replaceChildren();
  who.textContent = '';
  const form = apiForm([
    { path: 'token', label: 'Operator token', type: 'text', required: true, help: 'An operator or marketer token (IssueOperatorToken; the first one is in the engine\'s configuration, see the README).' },
  ], {}, async value => {
    sessionStorage.setItem(TOKEN_KEY, value.token || '');
    me = await api('GET', '/v1/me');
    location.hash = '#/programs';
  }, 'Sign in');
  form.querySelector('input').type = 'password';
  form.querySelector('input').autocomplete = 'current-password';
  show('Sign in', h('p', {}, 'The console works through the admin API of this engine; what you may see and change is what your token allows.'), form);
}

function isOperator() {
  return me && me.role === 'OPERATOR_ROLE_OPERATOR';
}

function renderNav(programId, current) {
  const links = [['#/programs', 'Programs', 'programs']];
  if (programId) {
    const p = enc(programId);
    links.push([`#/p/${p}/program`, 'Program', 'program'], [`#/p/${p}/campaigns`, 'Campaigns', 'campaigns'],
      [`#/p/${p}/series`, 'Coupon series', 'series'], [`#/p/${p}/members`, 'Members', 'members'], [`#/p/${p}/reports`, 'Reports', 'reports']);
    if (isOperator()) links.push([`#/p/${p}/stores`, 'Stores & terminals', 'stores']);
  }
  nav.replaceChildren(...links.map(([href, text, key]) => h('a', { href, 'aria-current': key === current ? 'page' : null }, text)));
  who.replaceChildren(
    `${me.name || me.credentialId} (${isOperator() ? 'operator' : 'marketer'}) `,
    h('button', { type: 'button', class: 'secondary', onclick: () => signOut() }, 'Sign out'));
}

// One page at a time: a route waits for the one before it, so quick hash changes end on the last page asked for.
let routing = Promise.resolve();
function route() {
  routing = routing.then(renderRoute, renderRoute);
  return routing;
}

async function renderRoute() {
  if (stopBoard) { stopBoard(); stopBoard = null; }
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (!sessionStorage.getItem(TOKEN_KEY) || parts[0] === 'signin' || parts[0] === '') {
    if (sessionStorage.getItem(TOKEN_KEY) && parts[0] === '') { location.hash = '#/programs'; return; }
    return signInPage();
  }
  try {
    me ??= await api('GET', '/v1/me');
    if (parts[0] === 'programs') return await programsPage();
    if (parts[0] === 'p' && parts[1]) {
      const [, programId, page, id, sub] = parts;
      renderNav(programId, page);
      switch (page) {
        case 'program': return await programPage(programId);
        case 'campaigns': return id ? (sub === 'board' ? await boardPage(programId, id) : await campaignPage(programId, id)) : await campaignsPage(programId);
        case 'series': return await seriesPage(programId, id);
        case 'stores': return await storesPage(programId);
        case 'members': return await membersPage(programId, id);
        case 'reports': return await reportsPage(programId);
        default: break;
      }
    }
    show('Not found', h('p', {}, 'There is no such page. '), h('a', { href: '#/programs' }, 'Programs'));
  } catch (e) {
    if (e.status === 401) return signOut(e.message);
    show('Something failed', errorBox(e));
  }
}

// ---------- programs ----------

async function programsPage() {
  renderNav(null, 'programs');
  programs = (await api('GET', '/v1/programs')).programs || [];
  const list = programs.length
    ? h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Program'), h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Currency'))),
        h('tbody', {}, programs.map(p => h('tr', {},
          h('td', {}, h('a', { href: `#/p/${enc(p.programId)}/campaigns` }, p.programId)),
          h('td', {}, p.name || ''), h('td', {}, p.currency || '')))))
    : h('p', { class: 'muted' }, 'No program yet.');
  const create = isOperator()
    ? [h('h2', {}, 'New program'), programForm(null)]
    : [];
  show('Programs', list, ...create);
}

const tierModels = [['TIER_MODEL_UNSPECIFIED', 'no tiers'], ['TIER_MODEL_PREVIOUS_MONTH', 'previous month'], ['TIER_MODEL_ROLLING_12_MONTHS', 'rolling 12 months'], ['TIER_MODEL_LIFETIME', 'lifetime']];

function programFields(existing) {
  return [
    { path: 'programId', label: 'Program id', readonly: !!existing, required: true, help: 'Letters, digits and ._:- (1..64).' },
    { path: 'name', label: 'Name' },
    { path: 'currency', label: 'Currency', help: 'ISO 4217, e.g. EUR.' },
    { path: 'timeZone', label: 'Time zone', help: 'IANA, e.g. Europe/Prague; empty = UTC.' },
    { group: 'Earning', fields: [
      { path: 'earnPoints', label: 'Points', type: 'number', help: 'Points earned for every "per amount".' },
      { path: 'earnPerAmount', label: 'Per amount (minor units)', type: 'number' },
      { path: 'expiryMonths', label: 'Expiry (months)', type: 'number', help: '0 = points never expire.' },
      { path: 'pendingDays', label: 'Pending days', type: 'number', help: 'Earned points become spendable after this many days.' },
      { path: 'earnRules', label: 'Earn rules (JSON)', type: 'json', help: 'categoryMultipliers, productMultipliers, productBonuses, enrollmentBonus, firstPurchaseBonus, birthdayMonthBonus, profileCompletedBonus.' },
    ] },
    { group: 'Burning and cashback', fields: [
      { path: 'pointValue', label: 'Point value (minor units)', type: 'number', help: '0 = points cannot pay.' },
      { path: 'maxBurnPercent', label: 'Max share paid in points (%)', type: 'number' },
      { path: 'cashbackPercent', label: 'Cashback (%)', type: 'number', help: 'Of what a sale paid in money, credited for the next sale.' },
      { path: 'creditExpiryDays', label: 'Credit expiry (days)', type: 'number', help: '0 = never.' },
      { path: 'maxDiscountPercent', label: 'Discount cap per basket (%)', type: 'number', help: '0 = no cap.' },
      { path: 'crossStoreReturns', label: 'Cross-store returns', type: 'bool', help: 'A till may void and return other stores\' sales (audited).' },
    ] },
    { group: 'Tiers', fields: [
      { path: 'tiers.model', label: 'Tier model', type: 'select', options: tierModels },
      { path: 'tiers.discountExcludesSaleItems', label: 'No tier discount on sale items', type: 'bool' },
      { path: 'tiers.levels', label: 'Levels', type: 'rows', rowName: 'level', columns: [
        { path: 'name', label: 'Name' }, { path: 'minSpend', label: 'Min spend', type: 'number' },
        { path: 'discountPercent', label: 'Discount %', type: 'number' }, { path: 'earnMultiplierPercent', label: 'Earn ×%', type: 'number' },
        { path: 'perks', label: 'Perks', type: 'list' }] },
    ] },
    { group: 'Rewards', fields: [
      { path: 'rewards', label: 'Rewards', type: 'rows', rowName: 'reward', columns: [
        { path: 'rewardId', label: 'Reward id' }, { path: 'sku', label: 'SKU' }, { path: 'points', label: 'Points', type: 'number' }] },
    ] },
    { group: 'Segments and automations', fields: [
      { path: 'segments', label: 'Segments (JSON)', type: 'json', help: 'A list of { segmentId, minPurchases, minLifetimeSpend, tiers, attributes, … } (docs/promotions.md).' },
      { path: 'automations', label: 'Automations (JSON)', type: 'json', help: 'A list of { kind, template, coupon, days, points } (docs/automations.md).' },
    ] },
  ];
}

function programForm(program) {
  return apiForm(programFields(program), program || { currency: 'EUR', earnPoints: '1', earnPerAmount: '100' }, async value => {
    if (value.tiers && (!value.tiers.model || value.tiers.model === 'TIER_MODEL_UNSPECIFIED') && !(value.tiers.levels || []).length) delete value.tiers;
    const saved = await api('PUT', `/v1/programs/${enc(value.programId || '')}`, value);
    say(`Program ${saved.programId} saved.`);
    location.hash = `#/p/${enc(saved.programId)}/program`;
    if (program) await route();
  }, program ? 'Save program' : 'Create program');
}

async function programPage(programId) {
  const program = await api('GET', `/v1/programs/${enc(programId)}`);
  show(`Program ${program.programId}`, programForm(program));
}

// ---------- campaigns ----------

const effects = [
  ['percentOff', 'Percent off the basket'], ['amountOff', 'Amount off the basket'], ['itemsPercentOff', 'Percent off each target line'],
  ['itemsAmountOff', 'Amount off each target unit'], ['buyGet', 'Buy N get M'], ['stampCard', 'Stamp card'], ['bundle', 'Bundle (cross-sell)'],
  ['volumeScale', 'Volume scale'], ['bonusPoints', 'Bonus points'], ['pointsMultiplierPercent', 'Points multiplier'], ['issueCoupon', 'Issue a coupon'],
];
const weekdays = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'].map(d => `WEEKDAY_${d}`);

function effectGroups() {
  const one = (key, label, help) => ({ group: label, id: `effect-${key}`, fields: [{ path: key, label, type: 'number', help }] });
  return [
    one('percentOff', 'Percent off', '1..100, rounded down.'),
    one('amountOff', 'Amount off (minor units)'),
    one('itemsPercentOff', 'Percent off each target line', 'Needs targets.'),
    one('itemsAmountOff', 'Amount off each target unit (minor units)', 'Needs targets.'),
    { group: 'Buy N get M', id: 'effect-buyGet', fields: [
      { path: 'buyGet.buy', label: 'Buy', type: 'number' }, { path: 'buyGet.get', label: 'Get', type: 'number' },
      { path: 'buyGet.getPercentOff', label: 'At percent off', type: 'number', help: '0 = free.' }] },
    { group: 'Stamp card', id: 'effect-stampCard', fields: [
      { path: 'stampCard.stamps', label: 'Stamps to collect', type: 'number' },
      { path: 'stampCard.rewardPercentOff', label: 'Reward percent off', type: 'number', help: '0 = free.' }] },
    { group: 'Bundle', id: 'effect-bundle', fields: [
      { path: 'bundle.buy.skus', label: 'Buy SKUs', type: 'list' }, { path: 'bundle.buy.categories', label: 'Buy categories', type: 'list' },
      { path: 'bundle.buyQuantity', label: 'Buy quantity', type: 'number' }, { path: 'bundle.getQuantity', label: 'Get quantity', type: 'number' },
      { path: 'bundle.getPercentOff', label: 'Get percent off', type: 'number' }] },
    { group: 'Volume scale', id: 'effect-volumeScale', fields: [
      { path: 'volumeScale.basis', label: 'Basis', type: 'select', options: [['SCALE_BASIS_QUANTITY', 'quantity'], ['SCALE_BASIS_AMOUNT', 'amount']] },
      { path: 'volumeScale.steps', label: 'Steps', type: 'rows', rowName: 'step', columns: [
        { path: 'threshold', label: 'Threshold', type: 'number' }, { path: 'percentOff', label: 'Percent off', type: 'number' }] }] },
    one('bonusPoints', 'Bonus points'),
    one('pointsMultiplierPercent', 'Points multiplier (%)', '101..1000; 200 = double points.'),
    { group: 'Coupon to issue', id: 'effect-issueCoupon', fields: [
      { path: 'issueCoupon', label: 'Coupon terms (JSON)', type: 'json', help: 'e.g. { "amountOff": "500", "minBasket": "2000" }' },
      { path: 'couponValidDays', label: 'Valid for (days)', type: 'number', help: '0 = 30.' }] },
  ];
}

function campaignFields(existing) {
  return [
    { path: 'campaignId', label: 'Campaign id', readonly: !!existing, required: true },
    { path: 'name', label: 'Name' },
    { path: '__effect', label: 'Effect', type: 'select', options: effects },
    { path: 'priority', label: 'Priority', type: 'number', help: 'Higher applies first.' },
    ...effectGroups().map(g => ({ ...g, hidden: true })),
    { group: 'Window and budget', fields: [
      { path: 'validFrom', label: 'Valid from', type: 'datetime' }, { path: 'validUntil', label: 'Valid until', type: 'datetime' },
      { path: 'maxRedemptions', label: 'Budget: redemptions', type: 'number', help: '0 = unlimited; enforced exactly.' },
      { path: 'maxDiscountMoney', label: 'Budget: discount money', type: 'number', help: '0 = unlimited.' },
      { path: 'maxPerMember', label: 'Per member', type: 'number' }, { path: 'maxPerStore', label: 'Per store', type: 'number' },
      { path: 'minBasket', label: 'Minimum basket', type: 'number' }, { path: 'maxDiscount', label: 'Max discount per basket', type: 'number' },
      { path: 'exclusive', label: 'Exclusive', type: 'bool', help: 'Applies only alone.' },
      { path: 'melting', label: 'Melting discount', type: 'rows', rowName: 'step', columns: [
        { path: 'hoursBeforeEnd', label: 'Hours before end', type: 'number' }, { path: 'percentOff', label: 'Percent off', type: 'number' }] }] },
    { group: 'Targets', fields: [
      { path: 'targets.skus', label: 'SKUs', type: 'list' }, { path: 'targets.categories', label: 'Categories', type: 'list' },
      { path: 'targets.excludedSkus', label: 'Excluded SKUs', type: 'list' }, { path: 'targets.excludedCategories', label: 'Excluded categories', type: 'list' },
      { path: 'targets.excludeOnSale', label: 'Exclude sale items', type: 'bool' }] },
    { group: 'Conditions', fields: [
      { path: 'conditions.date', label: 'Date', help: 'YYYY-MM-DD' },
      { path: 'conditions.daysOfWeek', label: 'Days of week', type: 'checks', options: weekdays.map(d => [d, d.slice(8, 11).toLowerCase()]) },
      { path: 'conditions.hoursFrom', label: 'Hours from', help: 'HH:MM' }, { path: 'conditions.hoursUntil', label: 'Hours until', help: 'HH:MM' },
      { path: 'conditions.daysOfMonth', label: 'Days of month', type: 'intlist' },
      { path: 'conditions.membersOnly', label: 'Members only', type: 'bool' }, { path: 'conditions.firstPurchase', label: 'First purchase', type: 'bool' },
      { path: 'conditions.tiers', label: 'Tiers', type: 'list' }, { path: 'conditions.attributes', label: 'Attributes', type: 'list' },
      { path: 'conditions.segments', label: 'Segments', type: 'list' },
      { path: 'conditions.birthdayWindowDays', label: 'Birthday window (days)', type: 'number' },
      { path: 'conditions.inactiveDays', label: 'Inactive for (days)', type: 'number' },
      { path: 'conditions.stores', label: 'Stores', type: 'list' }, { path: 'conditions.channels', label: 'Channels', type: 'list' },
      { path: 'conditions.paymentMethods', label: 'Payment methods', type: 'list' }] },
  ];
}

const campaignStatusText = c => stateName(c.state) || 'unknown';

function effectSummary(c) {
  const key = effects.find(([k]) => c[k] !== undefined);
  if (!key) return '';
  const v = c[key[0]];
  return typeof v === 'object' ? key[1] : `${key[1]}: ${v}`;
}

async function campaignsPage(programId) {
  const campaigns = (await api('GET', `/v1/programs/${enc(programId)}/campaigns`)).campaigns || [];
  const table = campaigns.length
    ? h('table', {},
        h('thead', {}, h('tr', {}, ['Campaign', 'Effect', 'Status', 'Window', 'Redemptions', ''].map(t => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, campaigns.map(c => h('tr', { 'data-campaign': c.campaignId },
          h('td', {}, h('a', { href: `#/p/${enc(programId)}/campaigns/${enc(c.campaignId)}` }, c.campaignId), h('div', { class: 'muted' }, c.name || '')),
          h('td', {}, effectSummary(c)),
          h('td', {}, h('span', { class: `badge ${campaignStatusText(c)}` }, campaignStatusText(c))),
          h('td', {}, `${when(c.validFrom) || '—'} → ${when(c.validUntil) || '—'}`),
          h('td', { class: 'num' }, c.statistics?.redemptions ?? '0'),
          h('td', {}, h('a', { href: `#/p/${enc(programId)}/campaigns/${enc(c.campaignId)}/board` }, 'Live board'))))))
    : h('p', { class: 'muted' }, 'No campaign yet.');
  show(`Campaigns of ${programId}`, table, h('h2', {}, 'New campaign'), campaignForm(programId, null));
}

function campaignForm(programId, campaign) {
  const original = campaign ? structuredClone(campaign) : { programId, priority: 0 };
  const current = effects.find(([k]) => original[k] !== undefined)?.[0] || 'percentOff';
  original.__effect = current;
  delete original.state; delete original.endedAt; delete original.statistics;
  const form = apiForm(campaignFields(campaign), original, async value => {
    const effect = value.__effect;
    delete value.__effect;
    for (const [k] of effects) if (k !== effect) delete value[k];
    value.programId = programId;
    const saved = await api('PUT', `/v1/programs/${enc(programId)}/campaigns/${enc(value.campaignId || '')}`, value);
    say(`Campaign ${saved.campaignId} saved.`);
    location.hash = `#/p/${enc(programId)}/campaigns/${enc(saved.campaignId)}`;
    if (campaign) await route();
  }, campaign ? 'Save campaign' : 'Create campaign');
  const select = form.querySelector(`#${fieldId('__effect')}`);
  const sync = () => {
    for (const [k] of effects) {
      const group = form.querySelector(`#effect-${k}`);
      if (group) group.hidden = k !== select.value;
    }
  };
  select.addEventListener('change', sync);
  sync();
  return form;
}

async function campaignPage(programId, campaignId) {
  const campaign = await api('GET', `/v1/programs/${enc(programId)}/campaigns/${enc(campaignId)}`);
  const end = h('button', { type: 'button', class: 'danger', onclick: async () => {
    if (!confirm(`End campaign ${campaignId}? It never applies again.`)) return;
    try { await api('POST', `/v1/programs/${enc(programId)}/campaigns/${enc(campaignId)}:end`); say(`Campaign ${campaignId} ended.`); await route(); }
    catch (e) { main.prepend(errorBox(e)); }
  } }, 'End campaign');
  const state = campaignStatusText(campaign);
  const result = h('div', { id: 'preview-result', 'aria-live': 'polite' });
  const preview = apiForm([
    { path: 'lines', label: 'Sample basket', type: 'rows', rowName: 'line', help: 'Prices in minor units (2500 = 25.00).', columns: [
      { path: 'sku', label: 'SKU' }, { path: 'category', label: 'Category' }, { path: 'quantity', label: 'Quantity', type: 'number' },
      { path: 'unitPrice', label: 'Unit price', type: 'number' }] },
    { path: 'memberId', label: 'As member (optional)', help: 'Tier, segments and per-member conditions of this member.' },
    { path: 'storeId', label: 'Store (optional)' }, { path: 'channel', label: 'Channel (optional)' }, { path: 'paymentMethod', label: 'Payment method (optional)' },
  ], { lines: [{ sku: 'sample', quantity: 1, unitPrice: '10000' }] }, async value => {
    const quote = await api('POST', `/v1/programs/${enc(programId)}/quotes:preview`, value);
    result.replaceChildren(previewResult(quote));
  }, 'Preview', null, 'preview.');
  show(`Campaign ${campaignId}`,
    h('p', {}, 'Status: ', h('span', { class: `badge ${state}` }, state), ' · ',
      h('a', { href: `#/p/${enc(programId)}/campaigns/${enc(campaignId)}/board` }, 'Live board'), ' · ',
      `${campaign.statistics?.redemptions ?? 0} redemptions, ${money(campaign.statistics?.discountGiven)} given`),
    campaignForm(programId, campaign),
    state === 'ended' ? null : h('div', { class: 'actions' }, end),
    h('h2', {}, 'Preview: price a sample basket as a till would'), preview, result);
}

/** A quote as the till would show it: every discount line with its source, the total, points and hints. */
function previewResult(q) {
  const sourceName = s => (s || '').replace('DISCOUNT_SOURCE_', '').toLowerCase();
  return h('div', {},
    h('table', { id: 'preview-lines' },
      h('thead', {}, h('tr', {}, ['Source', 'From', 'Basket line', 'Discount'].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, (q.discounts || []).map(d => h('tr', {}, h('td', {}, sourceName(d.source)), h('td', {}, d.sourceId || ''),
        h('td', {}, String((d.lineIndex || 0) + 1)), h('td', { class: 'num' }, money(d.amount)))))),
    h('table', {}, h('tbody', {}, [['Subtotal', q.subtotal], ['Discount', q.discount], ['Total', q.total], ['Points to earn', q.pointsToEarn]]
      .map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', { class: 'num', 'data-quote': k }, money(v)))))),
    (q.hints || []).length ? h('ul', {}, q.hints.map(hint => h('li', {}, hint.message || `${hint.sourceId}: ${money(hint.amountMissing)} more`))) : null);
}

// ---------- live flash-sale board ----------

async function boardPage(programId, campaignId) {
  const campaign = await api('GET', `/v1/programs/${enc(programId)}/campaigns/${enc(campaignId)}`);
  const tile = (label, key, word) => h('div', { class: 'tile' }, h('div', { class: 'label', id: `l-${key}` }, label), h('div', { class: word ? 'value word' : 'value', id: `v-${key}`, 'aria-labelledby': `l-${key}` }, '–'));
  const chart = svg('svg', { class: 'chart', viewBox: '0 0 600 200', preserveAspectRatio: 'none', role: 'img', 'aria-label': 'Grants per second over the last two minutes' });
  const updated = h('p', { class: 'muted', id: 'board-updated' }, 'waiting for the first reading…');
  show(`Live: ${campaign.name || campaignId}`,
    h('div', { class: 'board' }, tile('Remaining budget', 'remaining'), tile('Grants / s', 'grants'), tile('Refusals / s', 'refusals'),
      tile('Granted', 'granted'), tile('Pending holds', 'pending'), tile('Status', 'state', true)),
    h('h2', {}, 'Grants per second'), chart, updated);
  const history = [];
  let last = null;
  let stopped = false;
  stopBoard = () => { stopped = true; };
  const tick = async () => {
    if (stopped) return;
    try {
      const s = await api('GET', `/v1/programs/${enc(programId)}/campaigns/${enc(campaignId)}/status`);
      const now = performance.now();
      const granted = Number(s.redemptions || 0);
      const refused = Number(s.refusals || 0); // since the budget grain's activation (refusalsSince)
      if (last) {
        const seconds = Math.max(0.001, (now - last.at) / 1000);
        const grants = Math.max(0, (granted - last.granted) / seconds);
        const refusals = Math.max(0, (refused - last.refused) / seconds);
        document.getElementById('v-grants').textContent = Math.round(grants).toLocaleString();
        document.getElementById('v-refusals').textContent = Math.round(refusals).toLocaleString();
        history.push(grants);
        if (history.length > 120) history.shift();
        drawChart(chart, history);
      }
      last = { at: now, granted, refused };
      document.getElementById('v-remaining').textContent = remainingText(s);
      document.getElementById('v-granted').textContent = granted.toLocaleString();
      document.getElementById('v-pending').textContent = String(s.pendingHolds || 0);
      document.getElementById('v-state').textContent = s.exhausted ? 'exhausted' : 'granting';
      updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (e) {
      if (e.status === 401) { stopped = true; return signOut(e.message); }
      updated.textContent = `reading failed: ${e.message}`;
    }
    if (!stopped) setTimeout(tick, 1000);
  };
  tick();
}

function remainingText(s) {
  // A limit of 0 means none (and proto3 JSON leaves zeros out, so a missing remaining is 0 when there is a limit).
  if (Number(s.maxRedemptions || 0) > 0) return Number(s.redemptionsRemaining || 0).toLocaleString();
  if (Number(s.maxDiscountMoney || 0) > 0) return `${Number(s.discountRemaining || 0).toLocaleString()} (money)`;
  return 'no limit';
}

function drawChart(chart, values) {
  const max = Math.max(1, ...values);
  const step = 600 / 119;
  const points = values.map((v, i) => `${(i + 120 - values.length) * step},${192 - (v / max) * 170}`).join(' ');
  chart.replaceChildren(
    svg('line', { x1: 0, y1: 193, x2: 600, y2: 193, stroke: '#d0d7de' }),
    svg('polyline', { points, fill: 'none', stroke: '#0b5cad', 'stroke-width': 2.5, 'vector-effect': 'non-scaling-stroke' }));
  const [x, y] = points.split(' ').pop().split(',');
  chart.append(svg('circle', { cx: x, cy: y, r: 4 })); // the latest reading, visible from the first one on
  const label = svg('text', { x: 4, y: 14, 'font-size': 12, fill: '#57606a' });
  label.textContent = `max ${Math.round(max).toLocaleString()}/s`;
  chart.append(label);
}

// ---------- coupon series ----------

const recentSeriesKey = programId => `loyalty.console.series.${programId}`;

async function seriesPage(programId, seriesId) {
  if (seriesId) return seriesDetail(programId, seriesId);
  const recent = JSON.parse(localStorage.getItem(recentSeriesKey(programId)) || '[]');
  const open = h('form', { class: 'inline-form', onsubmit: e => { e.preventDefault(); const v = e.target.querySelector('input').value.trim(); if (v) location.hash = `#/p/${enc(programId)}/series/${enc(v)}`; } },
    h('div', { class: 'field' }, h('label', { for: 'open-series' }, 'Series id'), h('input', { id: 'open-series', type: 'text' })),
    h('button', { type: 'submit', class: 'secondary' }, 'Open'));
  const form = apiForm([
    { path: 'seriesId', label: 'Series id', required: true, help: 'The idempotency key: creating it again returns the same series.' },
    { path: 'count', label: 'Number of codes', type: 'number', help: '1..10,000,000' },
    { path: 'terms', label: 'Terms of every code (JSON)', type: 'json', help: 'e.g. { "amountOff": "500", "minBasket": "2000", "validUntil": "2027-01-31T23:00:00Z" }' },
  ], { terms: { amountOff: '500' } }, async value => {
    const created = await api('PUT', `/v1/programs/${enc(programId)}/coupon-series/${enc(value.seriesId || '')}`, { ...value, count: Number(value.count || 0) });
    localStorage.setItem(recentSeriesKey(programId), JSON.stringify([created.seriesId, ...recent.filter(s => s !== created.seriesId)].slice(0, 20)));
    say(`Series ${created.seriesId} created.`);
    location.hash = `#/p/${enc(programId)}/series/${enc(created.seriesId)}`;
  }, 'Create series');
  show(`Coupon series of ${programId}`,
    recent.length ? h('div', {}, h('h2', {}, 'Created in this browser'), h('ul', {}, recent.map(s => h('li', {}, h('a', { href: `#/p/${enc(programId)}/series/${enc(s)}` }, s))))) : null,
    h('h2', {}, 'Open a series'), open, h('h2', {}, 'New series'), form);
}

async function seriesDetail(programId, seriesId) {
  const progress = h('progress', { class: 'progress', max: 1, value: 0, 'aria-label': 'Codes generated' });
  const line = h('p', { id: 'series-progress' }, '');
  const download = h('button', { type: 'button', disabled: true, onclick: () => downloadSeries(programId, seriesId, download) }, 'Download CSV');
  show(`Coupon series ${seriesId}`, progress, line, h('div', { class: 'actions' }, download));
  let stopped = false;
  stopBoard = () => { stopped = true; };
  const tick = async () => {
    if (stopped) return;
    try {
      const s = await api('GET', `/v1/programs/${enc(programId)}/coupon-series/${enc(seriesId)}`);
      progress.max = s.count || 1;
      progress.value = s.generated || 0;
      const done = s.state === 'COUPON_SERIES_STATE_COMPLETE';
      line.textContent = `${Number(s.generated || 0).toLocaleString()} of ${Number(s.count || 0).toLocaleString()} codes generated${done ? ' — complete' : '…'}; ${Number(s.redeemed || 0).toLocaleString()} redeemed`;
      download.disabled = !done;
      if (!done) setTimeout(tick, 1000);
    } catch (e) {
      if (e.status === 401) return signOut(e.message);
      line.replaceChildren(errorBox(e));
    }
  };
  tick();
}

async function downloadSeries(programId, seriesId, button) {
  button.disabled = true;
  try {
    const pages = await api('GET', `/v1/programs/${enc(programId)}/coupon-series/${enc(seriesId)}/codes`);
    const list = Array.isArray(pages) ? pages : [pages];
    const quote = v => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
    const lines = ['code,redeemed,redeemed_at,member_id,transaction_id'];
    for (const page of list) {
      for (const c of (page.result || page).codes || []) {
        lines.push([c.code, c.redeemed ? 'true' : 'false', c.redeemedAt || '', c.memberId || '', c.transactionId || ''].map(v => quote(String(v))).join(','));
      }
    }
    saveFile(new Blob([lines.join('\n') + '\n'], { type: 'text/csv' }), `${programId}-${seriesId}.csv`);
    say(`${(lines.length - 1).toLocaleString()} codes exported.`);
  } catch (e) {
    if (e.status === 401) return signOut(e.message);
    main.prepend(errorBox(e));
  } finally {
    button.disabled = false;
  }
}

// ---------- stores and terminals ----------

async function storesPage(programId) {
  const p = enc(programId);
  const [stores, terminals] = await Promise.all([api('GET', `/v1/programs/${p}/stores`), api('GET', `/v1/programs/${p}/terminals`)]);
  const secret = h('div', { id: 'secret', 'aria-live': 'polite' });
  const storeForm = apiForm([{ path: 'storeId', label: 'Store id', required: true }, { path: 'name', label: 'Name' }], {}, async value => {
    await api('PUT', `/v1/programs/${p}/stores/${enc(value.storeId || '')}`, value);
    say(`Store ${value.storeId} registered.`);
    await route();
  }, 'Register store');
  const terminalForm = apiForm([
    { path: 'storeId', label: 'Store', type: 'select', options: (stores.stores || []).map(s => [s.storeId, `${s.storeId} ${s.name ? `(${s.name})` : ''}`]) },
    { path: 'terminalId', label: 'Terminal id', required: true }], {}, async value => {
    const issued = await api('POST', `/v1/programs/${p}/stores/${enc(value.storeId || '')}/terminals/${enc(value.terminalId || '')}`, {});
    await route();
    document.getElementById('secret').replaceChildren(
      h('h2', {}, `Secret of terminal ${issued.terminal.terminalId}`),
      h('p', {}, 'Shown once: configure the terminal with it now. Registering the terminal again issues a new secret and retires this one.'),
      h('p', { class: 'secret', id: 'terminal-secret' }, issued.token));
  }, 'Register terminal / issue a new secret', null, 'terminal.');
  const revoke = t => h('button', { type: 'button', class: 'danger', onclick: async () => {
    if (!confirm(`Revoke terminal ${t.terminalId}? It stops working within seconds.`)) return;
    try { await api('POST', `/v1/programs/${p}/stores/${enc(t.storeId)}/terminals/${enc(t.terminalId)}:revoke`); say(`Terminal ${t.terminalId} revoked.`); await route(); }
    catch (e) { main.prepend(errorBox(e)); }
  } }, 'Revoke');
  show(`Stores and terminals of ${programId}`, secret,
    h('h2', {}, 'Stores'),
    h('table', {}, h('thead', {}, h('tr', {}, ['Store', 'Name', 'Registered'].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, (stores.stores || []).map(s => h('tr', {}, h('td', {}, s.storeId), h('td', {}, s.name || ''), h('td', {}, when(s.registeredAt)))))),
    storeForm,
    h('h2', {}, 'Terminals'),
    h('table', {}, h('thead', {}, h('tr', {}, ['Terminal', 'Store', 'Registered', 'Status', ''].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, (terminals.terminals || []).map(t => h('tr', { 'data-terminal': t.terminalId },
        h('td', {}, t.terminalId), h('td', {}, t.storeId), h('td', {}, when(t.registeredAt)),
        h('td', {}, t.revokedAt ? `revoked ${when(t.revokedAt)}` : 'active'), h('td', {}, t.revokedAt ? '' : revoke(t)))))),
    (stores.stores || []).length ? terminalForm : h('p', { class: 'muted' }, 'Register a store first.'));
}

// ---------- members (customer service) ----------

async function membersPage(programId, memberId) {
  const p = enc(programId);
  const find = apiForm([
    { path: 'by', label: 'Find by', type: 'select', options: [['card', 'card number'], ['phone', 'phone number']] },
    { path: 'value', label: 'Card or phone', required: true }], {}, async value => {
    // In the body, never in the URL: a phone number is personal data (docs/security.md).
    const found = await api('POST', `/v1/programs/${p}/members:find`, { [value.by]: value.value || '' });
    location.hash = `#/p/${p}/members/${enc(found.memberId)}`;
  }, 'Find');
  if (!memberId) return show(`Members of ${programId}`, find);
  const [member, ledger] = await Promise.all([
    api('GET', `/v1/programs/${p}/members/${enc(memberId)}`),
    api('GET', `/v1/programs/${p}/members/${enc(memberId)}/ledger?pageSize=100`),
  ]);
  const balance = member.balance || {};
  const facts = [['Member', member.memberId], ['Name', member.name || '—'], ['Cards', (member.cardNumbers || []).join(', ') || '—'],
    ['Tier', member.tier?.name || '—'], ['Points available', balance.available ?? '0'], ['Points pending', balance.pending ?? '0'],
    ['Expiring this month', balance.expiringThisMonth ?? '0'], ['Store credit', balance.credit ?? '0'], ['Enrolled', when(member.enrolledAt)]];
  const adjust = apiForm([
    { path: 'asset', label: 'Asset', type: 'select', options: [['ADJUSTMENT_ASSET_POINTS', 'points'], ['ADJUSTMENT_ASSET_CREDIT', 'store credit (minor units)']] },
    { path: 'amount', label: 'Amount', type: 'number', required: true, help: 'Positive adds, negative takes (never below zero available).' },
    { path: 'reason', label: 'Reason code', required: true, help: 'e.g. goodwill, till-error, complaint.' },
    { path: 'note', label: 'Note', help: 'Free text for the ledger (optional, one line).' },
    { path: 'adjustmentId', label: 'Adjustment id', required: true, help: 'Sending the same id again applies it once; use the ticket id if there is one.' },
  ], { asset: 'ADJUSTMENT_ASSET_POINTS', reason: 'goodwill', adjustmentId: randomId('adj') }, async value => {
    const done = await api('POST', `/v1/programs/${p}/members/${enc(memberId)}:adjust`, value);
    await route();
    const what = `${Number(done.amount) > 0 ? '+' : ''}${done.amount} ${done.asset === 'ADJUSTMENT_ASSET_CREDIT' ? 'store credit' : 'points'} (${done.reason})`;
    // Above the program's approval threshold an adjustment is held until a second operator approves it.
    say(done.status === 'ADJUSTMENT_STATUS_PENDING' ? `Waiting for approval by a second operator: ${what}; nothing applied yet.`
      : done.status === 'ADJUSTMENT_STATUS_REJECTED' ? `Rejected by ${done.decidedBy}: ${what}; never applied.` : `Adjusted: ${what}.`);
  }, 'Adjust', null, 'adj.');
  show(`Member ${member.memberId}`,
    h('table', {}, h('tbody', {}, facts.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', { 'data-fact': k }, String(v ?? '')))))),
    h('h2', {}, 'Points by expiry'),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Earned in'), h('th', { scope: 'col' }, 'Expires'), h('th', { scope: 'col', class: 'num' }, 'Points'))),
      h('tbody', {}, (balance.buckets || []).map(b => h('tr', {}, h('td', {}, b.month || ''), h('td', {}, b.expiresAt ? when(b.expiresAt) : 'never'), h('td', { class: 'num' }, b.points))))),
    h('h2', {}, 'Ledger'),
    h('table', { id: 'ledger' }, h('thead', {}, h('tr', {}, ['#', 'Type', 'Points', 'Asset', 'Month', 'Transaction', 'Reason', 'Note', 'By', 'At'].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, (ledger.entries || []).map(e => h('tr', {}, h('td', {}, e.seq), h('td', {}, e.type), h('td', { class: 'num' }, e.points), h('td', {}, e.asset),
        h('td', {}, e.bucketMonth), h('td', {}, e.transactionId || ''), h('td', { 'data-ledger': 'reason' }, e.reason || ''), h('td', {}, e.note || ''),
        h('td', {}, e.actor || ''), h('td', {}, when(e.at)))))),
    h('h2', { id: 'adjust' }, 'Manual adjustment'), adjust,
    h('h2', {}, 'Find another member'), find);
}

/** A random id such as adj-3f9c0a1b2d4e (for idempotency keys the user may keep or replace). */
function randomId(prefix) {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return `${prefix}-${[...bytes].map(b => b.toString(16).padStart(2, '0')).join('')}`;
}

// ---------- reports and the discount planner ----------

const REPORTS = [
  ['liability', 'Points liability'],
  ['promotion-cost', 'Cost of promotions'],
  ['members-vs-guests', 'Members vs walk-ins'],
  ['member-activity', 'Member activity'],
];

const utcDay = d => d.toISOString().slice(0, 10);
const percent = bps => `${(Number(bps || 0) / 100).toFixed(2)} %`;
const count = v => Number(v || 0).toLocaleString();

async function reportsPage(programId) {
  const p = enc(programId);
  const now = new Date();
  const tomorrow = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
  const weekAgo = new Date(tomorrow.getTime() - 7 * 86400000);
  const results = h('div', { id: 'report-results' });
  const form = apiForm([
    { path: 'from', label: 'From (UTC day)', type: 'date', required: true, help: 'The first day of the period.' },
    { path: 'to', label: 'To (UTC day, exclusive)', type: 'date', required: true, help: 'The day after the last one; at most 366 days after from.' },
    { path: 'storeId', label: 'Store id', help: 'Only this store\'s sales; empty = every store (the liability is program-wide).' },
    { path: 'markupBps', label: 'Markup on cost (%)', type: 'percent', help: 'Optional: each promotion\'s break-even sales at this markup, e.g. 25.' },
  ], { from: utcDay(weekAgo), to: utcDay(tomorrow) }, async value => {
    const period = `from=${enc(value.from || '')}&to=${enc(value.to || '')}`;
    const sales = period + (value.storeId ? `&store_id=${enc(value.storeId)}` : '');
    const queries = {
      'liability': period,
      'promotion-cost': sales + (value.markupBps ? `&markup_bps=${enc(value.markupBps)}` : ''),
      'members-vs-guests': sales,
      'member-activity': sales,
    };
    results.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    let reports;
    try {
      reports = await Promise.all(REPORTS.map(([name]) => api('GET', `/v1/programs/${p}/reports/${name}?${queries[name]}`)));
    } catch (e) {
      results.replaceChildren();
      throw e;
    }
    const [liability, promotions, mvg, activity] = reports;
    const csv = name => h('button', { type: 'button', class: 'secondary', 'data-csv': name, onclick: e => downloadReport(programId, name, queries[name], `${programId}-${name}-${value.from}-${value.to}.csv`, e.target) },
      `Download ${name}.csv`);
    results.replaceChildren(
      section('liability', 'Points liability', csv('liability'), liabilityView(liability)),
      section('promotion-cost', 'Cost of promotions', csv('promotion-cost'), promotionView(promotions, !!value.markupBps)),
      section('members-vs-guests', 'Members vs walk-ins', csv('members-vs-guests'), membersVsGuestsView(mvg)),
      section('member-activity', 'Member activity', csv('member-activity'), activityView(activity)));
    say(`Reports for ${value.from} to ${value.to} (exclusive) loaded.`);
  }, 'Show reports', null, 'report.');
  const planner = plannerForm();
  show(`Reports of ${programId}`, form, results,
    h('h2', { id: 'planner' }, 'Discount planner'),
    h('p', { class: 'muted' }, 'What a client\'s sales must become for a bigger discount to keep the margin (money in minor units, percentages as 2 or 2.5).'),
    planner, h('div', { id: 'plan-result' }));
  form.requestSubmit();
}

function section(id, title, button, ...content) {
  return h('section', { id: `report-${id}`, 'aria-labelledby': `h-${id}` },
    h('div', { class: 'section-head' }, h('h2', { id: `h-${id}` }, title), button), ...content);
}

async function downloadReport(programId, name, query, fileName, button) {
  button.disabled = true;
  try {
    saveFile(await apiFile(`/v1/programs/${enc(programId)}/reports/${name}.csv?${query}`), fileName);
    say(`${fileName} downloaded.`);
  } catch (e) {
    if (e.status === 401) return signOut(e.message);
    button.closest('section').prepend(errorBox(e));
  } finally {
    button.disabled = false;
  }
}

/** A table: columns are [title, cell(row), numeric?]; rows get data-row = key(row). */
function grid(columns, rows, key, attrs) {
  return h('table', attrs || {},
    h('thead', {}, h('tr', {}, columns.map(([t, , num]) => h('th', { scope: 'col', class: num ? 'num' : null }, t)))),
    h('tbody', {}, rows.map(r => h('tr', { 'data-row': key ? key(r) : null }, columns.map(([, cell, num]) => h('td', { class: num ? 'num' : null }, cell(r)))))));
}

/** Horizontal bars drawn with SVG elements (the policy allows no inline style): [label, value] pairs. */
function barChart(title, bars) {
  const max = Math.max(1, ...bars.map(([, v]) => Math.abs(Number(v || 0))));
  const rowHeight = 26;
  const chart = svg('svg', { class: 'bars', viewBox: `0 0 600 ${Math.max(1, bars.length) * rowHeight + 4}`, role: 'img', 'aria-label': title });
  bars.forEach(([label, value], i) => {
    const y = i * rowHeight + 4;
    const width = Math.max(1, (Math.abs(Number(value || 0)) / max) * 320);
    const text = svg('text', { x: 0, y: y + 15, 'font-size': 12 });
    text.textContent = label.length > 28 ? `${label.slice(0, 27)}…` : label;
    const amount = svg('text', { x: 190 + width, y: y + 15, 'font-size': 12 });
    amount.textContent = money(value);
    chart.append(text, svg('rect', { x: 180, y, width, height: rowHeight - 8, rx: 2 }), amount);
  });
  if (!bars.length) {
    const none = svg('text', { x: 0, y: 16, 'font-size': 12 });
    none.textContent = 'nothing in this period';
    chart.append(none);
  }
  return chart;
}

function factsTable(rows, attr) {
  return h('table', { class: 'facts' }, h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', { class: 'num', [attr]: k }, String(v ?? ''))))));
}

function liabilityView(r) {
  const buckets = r.buckets || [];
  return h('div', {},
    factsTable([['Outstanding points', count(r.outstandingPoints)], [`Their value (${r.currency || 'minor units'})`, money(r.outstandingValue)],
      ['Outstanding store credit', money(r.outstandingCredit)], ['Point value', money(r.pointValue)], ['As of', when(r.asOf)]], 'data-liability'),
    h('h3', {}, 'Outstanding points by expiry month'),
    barChart('Outstanding points by expiry month', buckets.map(b => [b.expiryMonth || 'never', b.points])),
    grid([['Expires at the end of', b => b.expiryMonth || 'never'], ['Points', b => money(b.points), true], ['Value', b => money(b.value), true]], buckets),
    h('h3', {}, 'Movements per month'),
    grid([['Month', m => m.month], ['Issued', m => money(m.issued), true], ['Burned', m => money(m.burned), true],
      ['Expired', m => money(m.expired), true], ['of which not yet written', m => money(m.expiredUnrecorded), true],
      ['Adjusted', m => money(m.adjusted), true], ['Voided', m => money(m.voided), true], ['Refunded', m => money(m.refunded), true]], r.months || []));
}

function promotionView(r, withMarkup) {
  const rows = r.promotions || [];
  const columns = [['Source', x => x.source], ['Id', x => x.id], ['Redemptions', x => money(x.redemptions), true], ['Discount', x => money(x.discount), true],
    ['Subtotal', x => money(x.subtotal), true], ['Total', x => money(x.total), true]];
  if (withMarkup) {
    columns.push(['Discount of the receipts', x => percent(x.breakEven?.discountBps), true], ['Without it', x => percent(x.breakEven?.currentDiscountBps), true],
      ['Break-even sales', x => x.breakEven?.breakEvenSales === undefined ? 'never' : money(x.breakEven.breakEvenSales), true],
      ['Sold', x => money(x.breakEven?.sales), true],
      ['Uplift needed', x => x.breakEven?.upliftNeededBps === undefined ? '—' : percent(x.breakEven.upliftNeededBps), true]);
  }
  return h('div', {},
    h('p', {}, `${count(r.discountedReceipts)} receipts with a discount, ${money(r.discount)} ${r.currency || ''} of discount in all.`),
    barChart('Discount per promotion', rows.map(x => [`${x.source} ${x.id}`, x.discount])),
    grid(columns, rows, x => `${x.source}:${x.id}`, { id: 'promotion-table' }));
}

function membersVsGuestsView(r) {
  const m = r.members || {}, g = r.guests || {};
  const measures = [['Receipts', 'receipts', count], ['Sales total', 'salesTotal', money], ['Average check', 'averageCheck', money],
    ['Items per receipt', 'itemsPerReceipt', v => v || '0.00'], ['Discount', 'discount', money], ['Refunded', 'refunded', money]];
  return h('div', {},
    barChart('Sales total: members and walk-ins', [['members', m.salesTotal], ['walk-ins', g.salesTotal]]),
    h('table', { id: 'mvg-table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, ''), h('th', { scope: 'col', class: 'num' }, 'Members'), h('th', { scope: 'col', class: 'num' }, 'Walk-ins'))),
      h('tbody', {}, measures.map(([label, key, fmt]) => h('tr', {}, h('th', { scope: 'row' }, label),
        h('td', { class: 'num', 'data-mvg': `members-${key}` }, fmt(m[key])), h('td', { class: 'num', 'data-mvg': `guests-${key}` }, fmt(g[key])))))));
}

function activityView(r) {
  const tiers = r.tiers || [];
  return h('div', {},
    factsTable([['Active in the last 30 days', count(r.active30Days)], ['Active in the last 90 days', count(r.active90Days)],
      ['New members', count(r.newMembers)], ['Purchasing members', count(r.purchasingMembers)], ['Repeat members', count(r.repeatMembers)],
      ['Repeat purchase', `${r.repeatPurchasePercent || '0.00'} %`], ['Average days between visits', r.averageDaysBetweenVisits || '—']], 'data-activity'),
    h('h3', {}, 'Members by tier'),
    barChart('Members by tier of their latest sale', tiers.map(t => [t.tier || 'no tier', t.members])),
    grid([['Tier', t => t.tier || 'no tier'], ['Members', t => count(t.members), true]], tiers));
}

function plannerForm() {
  return apiForm([
    { path: 'currentSales', label: 'Current sales a month', type: 'number', required: true, help: 'After the current discount, minor units.' },
    { path: 'currentDiscountBps', label: 'Current discount (%)', type: 'percent' },
    { path: 'markupBps', label: 'Markup on cost (%)', type: 'percent', required: true, help: 'List price = cost × (1 + markup).' },
    { path: 'discountBps', label: 'Proposed discount (%)', type: 'percent' },
    { path: 'marginIncrease', label: 'Margin increase a month', type: 'number', help: 'Optional, minor units; empty = keep the margin.' },
    { path: 'scaleDiscountsBps', label: 'Scale discounts (%)', type: 'percentlist', help: 'Optional, e.g. 2, 3, 5: the sales needed at each.' },
  ], {}, async value => {
    const plan = await api('POST', '/v1/discount-plans', value);
    const facts = [['List price', money(plan.listPrice)], ['Cost', money(plan.cost)], ['Current margin', money(plan.currentMargin)],
      ['Required sales', money(plan.requiredSales)], ['Extra sales', money(plan.extraSales)], ['Growth needed', percent(plan.growthBps)]];
    document.getElementById('plan-result').replaceChildren(
      factsTable(facts, 'data-plan'),
      (plan.scale || []).length
        ? grid([['Discount', x => percent(x.discountBps), true], ['Required sales', x => money(x.requiredSales), true],
          ['Extra sales', x => money(x.extraSales), true], ['Growth needed', x => percent(x.growthBps), true]], plan.scale, null, { id: 'plan-scale' })
        : null);
    say(`Required sales: ${money(plan.requiredSales)}.`);
  }, 'Plan', null, 'plan.');
}

window.addEventListener('hashchange', route);
route();
