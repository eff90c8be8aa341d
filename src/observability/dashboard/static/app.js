// Sentinel dashboard: logs in through the API, then redraws from the metrics and log endpoints.
// Plain browser JavaScript and Chart.js; the token lives in sessionStorage (this tab only).
'use strict';

const REFRESH_SECONDS = 10;
const TOKEN_KEY = 'sentinel.token';
const charts = {};
let timer;

const $ = (id) => document.getElementById(id);

async function api(path, options = {}) {
  const headers = { 'content-type': 'application/json' };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`/api/v1${path}`, { ...options, headers });
  const body = response.status === 204 ? null : await response.json();
  if (response.status === 401) showLogin('Your session ended; log in again.');
  if (!response.ok) throw new Error(body?.message ?? `${path} answered ${response.status}`);
  return body;
}

function showLogin(message = '') {
  clearInterval(timer);
  sessionStorage.removeItem(TOKEN_KEY);
  $('board').hidden = true;
  $('logout').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
}

async function login(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const credentials = { username: form.get('username'), password: form.get('password') };
  if (form.get('totpCode')) credentials.totpCode = form.get('totpCode');
  try {
    const session = await api('/auth/login', { method: 'POST', body: JSON.stringify(credentials) });
    sessionStorage.setItem(TOKEN_KEY, session.accessToken);
    if (session.user.mustChangePassword) {
      showLogin('This account must change its password first (POST /api/v1/auth/password).');
      return;
    }
    showBoard();
  } catch (error) {
    $('login-error').textContent = error.message;
  }
}

function showBoard() {
  $('login').hidden = true;
  $('board').hidden = false;
  $('logout').hidden = false;
  $('refresh-seconds').textContent = String(REFRESH_SECONDS);
  void refresh();
  timer = setInterval(refresh, REFRESH_SECONDS * 1000);
}

async function refresh() {
  const now = new Date();
  const hourAgo = new Date(now.getTime() - 3_600_000).toISOString();
  const weekAgo = new Date(now.getTime() - 7 * 86_400_000).toISOString();
  try {
    const [series, agents, summary, logs] = await Promise.all([
      api(`/metrics/timeseries?from=${hourAgo}&to=${now.toISOString()}&bucketSeconds=60`),
      api('/metrics/agents'),
      api(`/metrics/summary?from=${weekAgo}&to=${now.toISOString()}`),
      api('/logs?level=warning&limit=20'),
    ]);
    drawSeries(series.buckets);
    drawCost(summary.apiCostPerDay);
    drawAgents(agents);
    drawLogs(logs.items);
    await drawBackups().catch((error) => {
      $('backup-age').textContent = `Backups: ${error.message}`;
    });
    $('status').textContent = `Updated ${now.toLocaleTimeString()}`;
  } catch (error) {
    $('status').textContent = `Refresh failed: ${error.message}`;
  }
  await refreshSecurity();
}

// The security panel needs security:read; without it the panel stays hidden and the rest still draws.
async function refreshSecurity() {
  try {
    const [stats, blocks, alerts] = await Promise.all([
      api('/security/statistics?days=30'),
      api('/security/blocks?limit=20'),
      api('/security/alerts?limit=5'),
    ]);
    $('open-events').textContent = stats.openBySeverity.map((row) => `${row.key} ${row.count}`).join(', ') || 'none';
    $('blocks').tBodies[0].replaceChildren(
      ...blocks.items.map((block) => {
        const tr = document.createElement('tr');
        tr.append(
          cell(block.network),
          cell(block.reason),
          cell(String(block.offence)),
          cell(timeLeft(block.secondsLeft)),
        );
        return tr;
      }),
    );
    $('alerts').replaceChildren(
      ...alerts.items.map((alert) => {
        const li = document.createElement('li');
        const deliveries = alert.deliveries.map((delivery) => `${delivery.channel}: ${delivery.status}`).join(', ');
        li.textContent = `${alert.createdAt} [${alert.severity}] ${alert.title} (${deliveries || 'no channel'})`;
        return li;
      }),
    );
    $('security').hidden = false;
  } catch {
    $('security').hidden = true;
  }
}

function timeLeft(seconds) {
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${seconds} s`;
}

function lineChart(id, labels, datasets) {
  if (!charts[id]) {
    charts[id] = new Chart($(id), {
      type: 'line',
      data: { labels, datasets },
      options: {
        animation: false,
        scales: { y: { beginAtZero: true } },
        plugins: { legend: { display: datasets.length > 1 } },
      },
    });
    return;
  }
  charts[id].data.labels = labels;
  charts[id].data.datasets.forEach((dataset, index) => (dataset.data = datasets[index].data));
  charts[id].update();
}

function drawSeries(buckets) {
  const labels = buckets.map((bucket) =>
    new Date(bucket.start).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
  );
  lineChart('rate-chart', labels, [
    { label: 'requests/min', data: buckets.map((bucket) => bucket.requests), borderColor: '#2f6fdf' },
  ]);
  lineChart('latency-chart', labels, [
    { label: 'p50', data: buckets.map((bucket) => bucket.p50Ms), borderColor: '#2f9d57' },
    { label: 'p95', data: buckets.map((bucket) => bucket.p95Ms), borderColor: '#d08a00' },
    { label: 'p99', data: buckets.map((bucket) => bucket.p99Ms), borderColor: '#b3261e' },
  ]);
  lineChart('error-chart', labels, [
    {
      label: 'errors %',
      data: buckets.map((bucket) => (bucket.requests ? (100 * bucket.errors) / bucket.requests : 0)),
      borderColor: '#b3261e',
    },
  ]);
}

function drawCost(costPerDay) {
  const days = [...new Set(costPerDay.map((row) => row.day))].sort();
  const apis = [...new Set(costPerDay.map((row) => row.api))].sort();
  const datasets = apis.map((name) => ({
    label: name,
    data: days.map((day) => costPerDay.find((row) => row.day === day && row.api === name)?.cost ?? 0),
  }));
  if (charts['cost-chart']) charts['cost-chart'].destroy();
  charts['cost-chart'] = new Chart($('cost-chart'), {
    type: 'bar',
    data: { labels: days, datasets },
    options: { animation: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
  });
}

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

function drawAgents(agents) {
  const rows = [...agents].sort((a, b) => (b.efficiencyScore ?? -1) - (a.efficiencyScore ?? -1));
  $('agents').tBodies[0].replaceChildren(
    ...rows.map((agent) => {
      const tr = document.createElement('tr');
      tr.append(
        cell(agent.agentName ?? agent.agentId),
        cell(agent.efficiencyScore === null ? '–' : agent.efficiencyScore.toFixed(3)),
        cell(agent.successRate === null ? '–' : `${(100 * agent.successRate).toFixed(1)}%`),
        cell(String(agent.runs)),
        cell(agent.avgDurationMs === null ? '–' : agent.avgDurationMs.toFixed(0)),
        cell(agent.p95DurationMs === null ? '–' : agent.p95DurationMs.toFixed(0)),
        cell(String(agent.totalFindings)),
      );
      return tr;
    }),
  );
}

function drawLogs(entries) {
  $('logs').replaceChildren(
    ...entries.map((entry) => {
      const li = document.createElement('li');
      li.className = `level-${entry.level}`;
      li.textContent = `${entry.createdAt} ${entry.level.toUpperCase()} [${entry.module ?? '-'}] ${entry.message}`;
      return li;
    }),
  );
}

// Needs backups:manage; without it the panel says so and the rest of the board still draws.
async function drawBackups() {
  const [backups, restores] = await Promise.all([api('/backups?limit=5'), api('/restores?limit=1')]);
  const verified = backups.items.find((backup) => backup.verification?.ok);
  $('backup-age').textContent = verified
    ? `Newest verified backup: ${hoursAgo(verified.verifiedAt)} h ago (${verified.id})`
    : 'No verified backup among the latest.';
  const running = restores.items.find((restore) => restore.status === 'running');
  $('restore-progress').textContent = running
    ? `Restore running: ${running.progress.rowsDone} of ${running.progress.rowsTotal} rows, ` +
      `${running.progress.tablesDone}/${running.progress.tablesTotal} tables, ~${running.progress.etaSeconds ?? '?'} s left`
    : '';
  $('backups').tBodies[0].replaceChildren(
    ...backups.items.map((backup) => {
      const tr = document.createElement('tr');
      const verification = backup.verification ? (backup.verification.ok ? 'ok' : 'FAILED') : '–';
      tr.append(
        cell(backup.startedAt),
        cell(backup.type),
        cell(backup.status),
        cell(backup.sizeBytes === null ? '–' : `${(backup.sizeBytes / 1_048_576).toFixed(1)} MiB`),
        cell(verification),
      );
      return tr;
    }),
  );
}

function hoursAgo(iso) {
  return ((Date.now() - new Date(iso).getTime()) / 3_600_000).toFixed(1);
}

$('login').addEventListener('submit', login);
$('logout').addEventListener('click', () => {
  void api('/auth/logout', { method: 'POST' }).finally(() => showLogin());
});
if (sessionStorage.getItem(TOKEN_KEY)) showBoard();
else showLogin();
