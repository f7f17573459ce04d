// The care work list: active contracts whose open next step (Nästa steg) is promised by a chosen
// day, for a care unit or a fast vårdkontakt, from one search with _include; and the unit's
// follow-up measures from $evaluate-measure, drawn as bars with their values in text.
import {
  ACTIVITY_KIND, FAST_KONTAKT, bundleIndex, codeOf, connect, daysFromToday, el, fhir, humanName, inForce, showError, swedishDate,
  teamInForce, today,
} from '/sidor/fhir.js';

const SCOPE = 'openid fhirUser user/*.read';
const CLOSED = new Set(['completed', 'cancelled', 'stopped', 'entered-in-error']);
const MEASURES = [
  { id: 'pk-fast-vardkontakt-andel', title: 'Andel patienter med fast vårdkontakt' },
  { id: 'pk-nasta-steg-i-tid', title: 'Nästa steg som blev gjorda i tid (hållna löften)' },
];
const status = document.getElementById('status');
let choice;

main().catch((error) => showError(status, error));

async function main() {
  await connect(SCOPE);
  // Read after connect: a SMART launch comes back with code and state in the address instead.
  const params = new URLSearchParams(location.search);
  choice = { unit: params.get('enhet') || '', contact: params.get('kontakt') || '', days: Number(params.get('dagar') || 30) };
  await fillChoices();
  await Promise.all([
    showWorklist().catch((error) => showError(document.getElementById('lista'), error)),
    showMeasures().catch((error) => showError(document.getElementById('matt'), error)),
  ]);
}

async function fillChoices() {
  const [{ resource: units }, { resource: roles }] = await Promise.all([
    fhir('/Organization?_count=200&_sort=name'),
    fhir('/PractitionerRole?_count=200&_include=PractitionerRole:practitioner'),
  ]);
  const unitSelect = document.getElementById('enhet');
  for (const unit of bundleIndex(units).matches) {
    unitSelect.append(el('option', { value: 'Organization/' + unit.id }, unit.name));
  }
  const roleIndex = bundleIndex(roles);
  const contactSelect = document.getElementById('kontakt');
  const options = roleIndex.matches.filter((r) => r.resourceType === 'PractitionerRole').map((role) => ({
    value: 'PractitionerRole/' + role.id,
    label: [humanName(roleIndex.get(role.practitioner)) || role.practitioner?.display, role.code?.[0]?.text?.toLowerCase(), role.organization?.display]
      .filter(Boolean).join(', '),
  }));
  options.sort((a, b) => a.label.localeCompare(b.label, 'sv'));
  contactSelect.append(...options.map((o) => el('option', { value: o.value }, o.label)));
  unitSelect.value = choice.unit;
  contactSelect.value = choice.contact;
  document.getElementById('dagar').value = String(choice.days);
}

function until() {
  const day = new Date(today() + 'T12:00:00Z');
  day.setUTCDate(day.getUTCDate() + choice.days);
  return day.toISOString().slice(0, 10);
}

async function showWorklist() {
  const query = new URLSearchParams({ status: 'active', 'next-step-due': 'le' + until(), _sort: 'next-step-due', _count: '200' });
  query.append('_include', 'CarePlan:subject');
  query.append('_include', 'CarePlan:care-team');
  if (choice.unit) query.set('care-team.managing-organization', choice.unit);
  if (choice.contact) query.set('care-team.fast-vardkontakt', choice.contact);
  const { resource: bundle } = await fhir('/CarePlan?' + query);
  const index = bundleIndex(bundle);
  const rows = index.matches.filter((r) => r.resourceType === 'CarePlan').map((plan) => row(plan, index)).filter(Boolean);
  const late = rows.filter((r) => r.days < 0).length;
  status.replaceChildren(el('p', {}, `${rows.length} nästa steg lovade senast ${swedishDate(until())}, varav ${late} ${late === 1 ? 'försenat' : 'försenade'}.`));
  document.getElementById('lista').replaceChildren(rows.length ? sortableTable(rows) : el('p', {}, 'Inga nästa steg i urvalet.'));
}

/** One line per contract: its earliest open next step, who does it, and the contract's team. */
function row(plan, index) {
  const steps = (plan.activity || []).map((a) => a.detail)
    .filter((d) => codeOf(d?.code, ACTIVITY_KIND) === 'next-step' && !CLOSED.has(d.status) && d.scheduledPeriod?.end)
    .sort((a, b) => a.scheduledPeriod.end.localeCompare(b.scheduledPeriod.end));
  const step = steps[0];
  if (!step) return null;
  const patient = index.get(plan.subject);
  const team = index.get(plan.careTeam?.[0]);
  const contact = (teamInForce(team) ? team?.participant || [] : []).find((p) => ['1', '4'].includes(codeOf(p.role?.[0], FAST_KONTAKT)) && inForce(p.period));
  return {
    patientId: plan.subject.reference.replace(/^Patient\//, ''),
    patient: humanName(patient) || plan.subject.display || plan.subject.reference,
    step: step.description,
    due: step.scheduledPeriod.end.slice(0, 10),
    days: daysFromToday(step.scheduledPeriod.end),
    performer: (step.performer || []).map((p) => p.display).join(', '),
    contact: contact?.member?.display || '–',
    unit: team?.managingOrganization?.[0]?.display || '–',
  };
}

const COLUMNS = [
  { key: 'patient', title: 'Patient', sortable: true },
  { key: 'step', title: 'Nästa steg' },
  { key: 'due', title: 'Lovat senast', sortable: true },
  { key: 'contact', title: 'Fast vårdkontakt', sortable: true },
  { key: 'unit', title: 'Enhet', sortable: true },
];

function sortableTable(rows) {
  let sortKey = 'due';
  let ascending = true;
  const body = el('tbody', {});
  const headers = COLUMNS.map((column) => {
    if (!column.sortable) return el('th', { scope: 'col' }, column.title);
    const button = el('button', { type: 'button' }, column.title);
    const th = el('th', { scope: 'col', 'data-kolumn': column.key }, button);
    button.addEventListener('click', () => {
      ascending = sortKey === column.key ? !ascending : true;
      sortKey = column.key;
      draw();
    });
    return th;
  });
  const draw = () => {
    const sorted = [...rows].sort((a, b) => (ascending ? 1 : -1) * String(a[sortKey]).localeCompare(String(b[sortKey]), 'sv'));
    for (const th of headers) {
      if (th.dataset.kolumn) th.setAttribute('aria-sort', th.dataset.kolumn === sortKey ? (ascending ? 'ascending' : 'descending') : 'none');
    }
    body.replaceChildren(...sorted.map((r) => el('tr', { class: r.days < 0 ? 'forsenad' : '' },
      el('td', {}, el('a', { href: '/mitt-patientkontrakt/?patient=' + encodeURIComponent(r.patientId) }, r.patient)),
      el('td', {}, r.step, el('br'), el('span', { class: 'muted' }, r.performer)),
      el('td', {}, el('time', { datetime: r.due }, swedishDate(r.due)), el('br'), lateness(r.days)),
      el('td', {}, r.contact),
      el('td', {}, r.unit))));
  };
  draw();
  return el('div', { class: 'tabell' }, el('table', { id: 'arbetslista' },
    el('caption', { class: 'muted' }, 'Sortera genom att välja en kolumnrubrik. Patientens namn öppnar kontraktet.'),
    el('thead', {}, el('tr', {}, headers)), body));
}

function lateness(days) {
  if (days < 0) return el('strong', { class: 'passerat' }, `Försenat ${-days} ${-days === 1 ? 'dag' : 'dagar'}`);
  return el('span', { class: 'muted' }, days === 0 ? 'I dag' : `Om ${days} ${days === 1 ? 'dag' : 'dagar'}`);
}

async function showMeasures() {
  const year = today().slice(0, 4);
  const reports = await Promise.all(MEASURES.map((m) =>
    fhir(`/Measure/${m.id}/$evaluate-measure?periodStart=${year}-01-01&periodEnd=${year}-12-31`).then((r) => r.resource)));
  document.getElementById('matt').replaceChildren(
    el('p', { class: 'muted' }, `Perioden 1 januari–31 december ${year}, räknat av servern ur kontrakten.`),
    ...reports.map((report, i) => chart(MEASURES[i], report)));
}

/** A bar per stratum (the chosen unit, or every unit) and one for the region, each with its value in words. */
function chart(measure, report) {
  const group = report.group?.[0] || {};
  const strata = (group.stratifier?.[0]?.stratum || [])
    .filter((s) => !choice.unit || s.value?.text === choice.unit)
    .map((s) => ({ name: s.value?.coding?.[0]?.display || s.value?.text, ...counts(s) }))
    .sort((a, b) => a.name.localeCompare(b.name, 'sv'));
  const lines = [{ name: 'Hela regionen', ...counts(group) }, ...strata];
  return el('figure', { class: 'diagram' },
    el('figcaption', {}, el('h3', {}, measure.title)),
    el('div', { class: 'tabell' }, el('table', {},
      el('thead', {}, el('tr', {}, ['Enhet', 'Andel', 'Antal'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, lines.map((line) => el('tr', {},
        el('th', { scope: 'row' }, line.name),
        el('td', {}, line.score === null ? 'Inga att räkna' : el('span', {},
          el('span', { class: 'stapel', 'aria-hidden': 'true' }, el('span', { style: { width: `${Math.round(line.score * 100)}%` } })),
          `${Math.round(line.score * 100)} %`)),
        el('td', {}, `${line.numerator} av ${line.denominator}`)))))));
}

function counts(part) {
  const count = (code) => (part.population || []).find((p) => codeOf(p.code) === code)?.count ?? 0;
  const denominator = count('denominator');
  return {
    numerator: count('numerator'),
    denominator,
    score: denominator ? (part.measureScore?.value ?? count('numerator') / denominator) : null,
  };
}
