// "Mitt patientkontrakt": the patient's contract from one call to the portal view
// (GET /fhir/Patient/{id}/$patientkontrakt), the agreement confirmed by JSON Patch with If-Match
// (with what care changed since the patient agreed, from the version they agreed to in _history),
// and who has read the record from the access log (GET /fhir/AuditEvent).
import {
  ACTIVITY_KIND, EXT_AGREEMENT, EXT_AGREEMENT_PENDING, FAST_KONTAKT, PK, FhirError,
  accessControlOn, bundleIndex, codeOf, connect, daysFromToday, el, extension, fhir, fhirBlob, humanName, inForce, teamInForce,
  showError, swedishDate, tokenPatient,
} from '/sidor/fhir.js';

const SCOPE = 'openid fhirUser launch/patient patient/*.rs patient/CarePlan.u';
const PERSONNUMMER = 'http://electronichealth.se/identifier/personnummer';
const status = document.getElementById('status');
const root = document.getElementById('kontrakt');

const STATUS_TEXT = {
  'not-started': 'Inte påbörjat', scheduled: 'Planerat', 'in-progress': 'Pågår', 'on-hold': 'Pausat',
  completed: 'Klart', cancelled: 'Inställt', stopped: 'Avbrutet', unknown: 'Okänt',
};
const CLOSED = new Set(['completed', 'cancelled', 'stopped', 'entered-in-error']);
const DAYS = { mon: 'måndag', tue: 'tisdag', wed: 'onsdag', thu: 'torsdag', fri: 'fredag', sat: 'lördag', sun: 'söndag' };

main().catch((error) => showError(status, error));

async function main() {
  await connect(SCOPE);
  const path = portalViewPath(new URLSearchParams(location.search));
  if (!path) {
    status.replaceChildren(el('p', {}, 'Ange vems patientkontrakt du vill se.'));
    document.getElementById('valj-patient').hidden = false;
    return;
  }
  const { resource: bundle } = await fhir(path);
  const index = bundleIndex(bundle);
  const contracts = index.matches.filter((r) => r.resourceType === 'CarePlan');
  if (contracts.length === 0) {
    status.replaceChildren(el('p', {}, 'Du har inget aktivt patientkontrakt just nu. Fråga din vårdcentral eller mottagning om du vill göra ett.'));
    return;
  }
  const patient = index.get(contracts[0].subject);
  document.title = 'Mitt patientkontrakt – ' + humanName(patient);
  root.replaceChildren(
    el('p', { class: 'muted' }, 'För ', el('strong', {}, humanName(patient)), ', personnummer ', personnummer(patient)),
    ...contracts.map((contract) => contractView(contract, index, patient)),
    await accessLogSection(patient),
  );
  status.replaceChildren();
}

/** The patient from the token; without one from ?patient= (an id or Patient/id) or ?personnummer=. */
function portalViewPath(params) {
  const patient = tokenPatient() || params.get('patient');
  if (patient) {
    return '/Patient/' + encodeURIComponent(patient.replace(/^Patient\//, '')) + '/$patientkontrakt';
  }
  const number = params.get('personnummer');
  return number ? '/Patient/$patientkontrakt?identifier=' + encodeURIComponent(PERSONNUMMER + '|' + number.replace(/\D/g, '')) : null;
}

function personnummer(patient) {
  const value = (patient?.identifier || []).find((i) => i.system === PERSONNUMMER)?.value || '';
  return value.length === 12 ? value.slice(0, 8) + '-' + value.slice(8) : value;
}

function contractView(contract, index, patient) {
  const activities = (kind) => (contract.activity || []).map((a) => a.detail).filter((d) => codeOf(d?.code, ACTIVITY_KIND) === kind);
  const goals = (contract.goal || []).map((g) => index.get(g)).filter(Boolean);
  const goal = (category) => goals.find((g) => codeOf(g.category?.[0]) === category);
  return el('article', { 'aria-label': contract.title },
    pendingNotice(contract),
    printButtons(contract),
    nextStepSection(activities('next-step')),
    section('viktigt', 'Det här är viktigt för mig', textOrNone(goal('vad-ar-viktigt')?.description?.text)),
    section('mal', 'Vårt gemensamma mål', sharedGoal(goal('gemensamt-mal'))),
    section('jag-gor', 'Det här gör jag', activityList(activities('patient-responsibility'), false)),
    section('varden-gor', 'Det här gör vården', activityList(activities('care-responsibility'), true)),
    section('forsamring', 'Om jag blir sämre', activityList(activities('escalation'), true)),
    section('kontakter', 'Mina fasta kontakter', contacts(index.get(contract.careTeam?.[0]), index)),
    section('uppfoljning', 'När vi följer upp', followUps(activities('follow-up'))),
    section('andra-planer', 'Mina andra planer', otherPlans(contract, index)),
    agreementSection(contract, patient),
  );
}

/** The contract as a PDF (CarePlan/{id}/$document with Accept: application/pdf), in normal or large type. */
function printButtons(contract) {
  const result = el('div', { role: 'status', 'aria-live': 'polite' });
  const button = (id, text, large) => {
    const pdf = el('button', { type: 'button', id }, text);
    pdf.addEventListener('click', async () => {
      pdf.disabled = true;
      result.replaceChildren(el('p', {}, 'Skapar PDF …'));
      try {
        const blob = await fhirBlob('/CarePlan/' + encodeURIComponent(contract.id) + '/$document'
          + (large ? '?large-type=true' : ''), 'application/pdf');
        const name = 'patientkontrakt-version-' + contract.meta.versionId + (large ? '-stor-text' : '') + '.pdf';
        const link = el('a', { href: URL.createObjectURL(blob), download: name, id: id + '-pdf' }, 'Öppna PDF:en (' + name + ')');
        result.replaceChildren(el('p', {}, link));
        link.click();
      } catch (error) {
        showError(result, error);
      } finally {
        pdf.disabled = false;
      }
    });
    return pdf;
  };
  return el('div', { class: 'utskrift' },
    button('skriv-ut', 'Skriv ut (PDF)', false), ' ',
    button('skriv-ut-stor', 'Skriv ut med stor text (PDF)', true),
    result);
}

function section(id, heading, ...content) {
  return el('section', { 'aria-labelledby': id + '-rubrik', id }, el('h2', { id: id + '-rubrik' }, heading), ...content);
}

function textOrNone(text) {
  return el('p', {}, text || 'Inget skrivet ännu.');
}

function performers(detail) {
  return (detail.performer || []).map((p) => p.display || p.reference).join(', ');
}

function dateElement(date) {
  return el('time', { datetime: date.slice(0, 10) }, swedishDate(date));
}

function nextStepSection(steps) {
  const sorted = [...steps].sort((a, b) =>
    Number(CLOSED.has(a.status)) - Number(CLOSED.has(b.status)) || (a.scheduledPeriod?.end || '').localeCompare(b.scheduledPeriod?.end || ''));
  const items = sorted.map((step) => {
    const promised = step.scheduledPeriod?.end;
    const open = !CLOSED.has(step.status);
    const days = promised ? daysFromToday(promised) : null;
    let when = null;
    if (promised) {
      when = [dateElement(promised)];
      if (open && days < 0) when.push(' ', el('strong', { class: 'passerat' }, `Datumet har passerat (${-days} ${-days === 1 ? 'dag' : 'dagar'} sedan)`));
      else if (open) when.push(' ', el('span', { class: 'muted' }, days === 0 ? '(i dag)' : `(om ${days} ${days === 1 ? 'dag' : 'dagar'})`));
    }
    return el('li', { class: 'nasta-steg' + (open ? '' : ' klar') },
      el('p', {}, el('strong', {}, step.description)),
      el('dl', { class: 'uppgifter' },
        el('dt', {}, 'Vem gör det'), el('dd', {}, performers(step)),
        when && el('dt', {}, 'Senast'), when && el('dd', {}, ...when),
        el('dt', {}, 'Läge'), el('dd', { class: open ? '' : 'klart' }, STATUS_TEXT[step.status] || step.status)));
  });
  const content = items.length ? el('ul', { class: 'punkter' }, items) : textOrNone();
  const view = section('nasta-steg', 'Mitt nästa steg', content);
  view.classList.add('framhavd');
  return view;
}

function sharedGoal(goal) {
  if (!goal) return textOrNone();
  const ambition = (goal.extension || []).find((e) => e.url === PK + 'StructureDefinition/pk-ambition-level')?.valueCoding;
  const due = goal.target?.[0]?.dueDate;
  return el('div', {},
    el('p', {}, goal.description?.text),
    el('dl', { class: 'uppgifter' },
      ambition && el('dt', {}, 'Ambitionsnivå'), ambition && el('dd', {}, ambition.display || ambition.code),
      due && el('dt', {}, 'Vi vill nå målet senast'), due && el('dd', {}, dateElement(due))));
}

function activityList(details, showWho) {
  if (details.length === 0) return textOrNone();
  return el('ul', { class: 'punkter' }, details.map((d) => el('li', {},
    d.description,
    showWho && performers(d) ? el('span', { class: 'muted' }, ' – ' + performers(d)) : null,
    d.status === 'completed' ? el('span', { class: 'klart' }, ' (klart)') : null)));
}

function contacts(team, index) {
  if (!team) return textOrNone();
  const fixed = (teamInForce(team) ? team.participant || [] : []).filter((p) => codeOf(p.role?.[0], FAST_KONTAKT) && inForce(p.period));
  const people = el('ul', { class: 'punkter' }, fixed.map((participant) => {
    const role = index.get(participant.member);
    const person = role?.resourceType === 'PractitionerRole' ? index.get(role.practitioner) : role;
    const name = humanName(person) || role?.practitioner?.display || participant.member.display;
    const phone = (role?.telecom || []).find((t) => t.system === 'phone')?.value;
    return el('li', {},
      el('strong', {}, participant.role[0].coding.find((c) => c.system === FAST_KONTAKT).display), ': ', name,
      role?.code?.[0]?.text ? ', ' + role.code[0].text.toLowerCase() : '',
      role?.organization?.display ? ', ' + role.organization.display : '',
      phone ? el('span', {}, ', telefon ', el('a', { href: 'tel:' + phone.replace(/[^\d+]/g, '') }, phone)) : null);
  }));
  const ways = (team.telecom || []).map((point) => {
    const channel = extension(point, PK + 'StructureDefinition/pk-contact-channel')?.valueCoding;
    const hours = (point.extension || []).filter((e) => e.url === PK + 'StructureDefinition/pk-contact-hours').map(contactHours);
    const value = point.system === 'phone' ? el('a', { href: 'tel:' + point.value.replace(/[^\d+]/g, '') }, point.value)
      : point.system === 'url' ? el('a', { href: point.value }, point.value) : point.value;
    return el('li', {}, el('strong', {}, channel?.display || point.system), ': ', value, hours.length ? ' – ' + hours.join('; ') : '');
  });
  return el('div', {}, people, ways.length ? el('h3', {}, 'Så når du oss') : null, ways.length ? el('ul', { class: 'punkter' }, ways) : null);
}

function contactHours(hours) {
  const part = (name) => (hours.extension || []).filter((e) => e.url === name);
  const days = part('daysOfWeek').map((e) => e.valueCode);
  const start = part('availableStartTime')[0]?.valueTime?.slice(0, 5);
  const end = part('availableEndTime')[0]?.valueTime?.slice(0, 5);
  const dayText = days.join() === 'mon,tue,wed,thu,fri' ? 'vardagar' : days.map((d) => DAYS[d]).join(', ');
  const when = [dayText, start && end ? `${start}–${end}` : ''].filter(Boolean).join(' ');
  return [when, part('description')[0]?.valueString].filter(Boolean).join(', ');
}

function followUps(details) {
  if (details.length === 0) return textOrNone();
  return el('ul', { class: 'punkter' }, details.map((d) => {
    const period = d.scheduledPeriod;
    const when = period?.end
      ? [period.start ? 'Mellan ' : 'Senast ', period.start ? dateElement(period.start) : null, period.start ? ' och ' : null, dateElement(period.end)]
      : [d.scheduledTiming?.code?.text || d.scheduledString || 'Tid bestäms senare'];
    return el('li', {}, el('p', {}, d.description), el('p', {}, el('strong', {}, ...when), el('span', { class: 'muted' }, ' – ' + performers(d))));
  }));
}

function otherPlans(contract, index) {
  const plans = [...(contract.supportingInfo || []), ...(contract.basedOn || [])];
  if (plans.length === 0) return el('p', {}, 'Inga andra planer är kopplade till ditt kontrakt.');
  return el('ul', { class: 'punkter' }, plans.map((reference) => {
    const plan = index.get(reference);
    const kind = plan?.category?.[0]?.coding?.[0]?.display;
    return el('li', {},
      el('strong', {}, plan?.title || reference.display || reference.reference),
      kind ? ` (${kind})` : '',
      plan?.author?.display ? ', ansvarig: ' + plan.author.display : '',
      plan?.period?.end ? el('span', {}, ', gäller till ', dateElement(plan.period.end)) : '');
  }));
}

const METHOD_TEXT = { digital: 'digitalt', paper: 'på papper', oral: 'muntligt' };
const KIND_TEXT = {
  'patient-responsibility': 'Det här gör jag', 'care-responsibility': 'Det här gör vården',
  escalation: 'Om jag blir sämre', 'next-step': 'Mitt nästa steg',
};

/** Whether the contract waits for the patient's agreement (kept by the server: never agreed, or promises changed since). */
function pending(contract) {
  const flag = extension(contract, EXT_AGREEMENT_PENDING);
  return flag ? flag.valueBoolean === true : !extension(contract, EXT_AGREEMENT);
}

function agreedVersion(contract) {
  return extension(contract, EXT_AGREEMENT)?.extension?.find((e) => e.url === 'version')?.valueId;
}

/** At the top: a contract changed since the patient agreed says so, and points to what changed. */
function pendingNotice(contract) {
  if (!pending(contract) || !extension(contract, EXT_AGREEMENT)) return null;
  return el('p', { class: 'andrat', id: 'vantar-pa-godkannande', role: 'note' },
    el('strong', {}, 'Vården har ändrat ditt kontrakt sedan du godkände det. '),
    el('a', { href: '#overenskommelse' }, 'Se vad som har ändrats och godkänn igen'), '.');
}

/** The promises of a version: open responsibilities, what to do if worse, next steps, with who and by when. */
function promises(contract) {
  return (contract.activity || []).map((a) => a.detail).filter((d) => d && KIND_TEXT[codeOf(d.code, ACTIVITY_KIND)])
    .map((d) => ({
      kind: codeOf(d.code, ACTIVITY_KIND),
      text: d.description || '',
      who: performers(d),
      by: d.scheduledPeriod?.end?.slice(0, 10) || '',
      status: d.status,
    }));
}

/** What changed in the promises between the version agreed to and this one: new or changed, and no longer there. */
function changesSince(agreed, current) {
  const key = (p) => [p.kind, p.text, p.who, p.by].join('|');
  const open = (list) => list.filter((p) => !CLOSED.has(p.status));
  const before = new Set(promises(agreed).map(key));
  const now = promises(current);
  const nowKeys = new Set(now.map(key));
  return {
    added: open(now).filter((p) => !before.has(key(p))),
    removed: open(promises(agreed)).filter((p) => !nowKeys.has(key(p)) || now.some((q) => key(q) === key(p) && CLOSED.has(q.status) && q.status !== 'completed')),
    contacts: JSON.stringify(agreed.careTeam?.map((t) => t.reference)) !== JSON.stringify(current.careTeam?.map((t) => t.reference)),
  };
}

function promiseItem(p) {
  return el('li', {}, el('strong', {}, KIND_TEXT[p.kind] + ': '), p.text,
    p.who ? el('span', { class: 'muted' }, ' – ' + p.who) : null,
    p.by ? el('span', {}, ', senast ', dateElement(p.by)) : null);
}

async function whatChanged(contract) {
  const version = agreedVersion(contract);
  if (!version) return el('p', {}, 'Vården har ändrat kontraktet sedan du godkände det.');
  try {
    const { resource: agreed } = await fhir('/CarePlan/' + encodeURIComponent(contract.id) + '/_history/' + encodeURIComponent(version));
    const changes = changesSince(agreed, contract);
    const parts = [el('p', {}, el('strong', {}, `Det här har ändrats sedan du godkände version ${version}:`))];
    if (changes.added.length) parts.push(el('h3', {}, 'Nytt eller ändrat'), el('ul', { class: 'punkter', id: 'nytt' }, changes.added.map(promiseItem)));
    if (changes.removed.length) parts.push(el('h3', {}, 'Gäller inte längre'), el('ul', { class: 'punkter', id: 'borttaget' }, changes.removed.map(promiseItem)));
    if (changes.contacts || (!changes.added.length && !changes.removed.length)) {
      parts.push(el('p', { id: 'kontakter-andrade' }, 'Dina fasta kontakter eller hur du når vården har ändrats. Se ”Mina fasta kontakter” ovan.'));
    }
    return el('div', { class: 'andringar' }, ...parts);
  } catch (error) {
    const region = el('div', {});
    showError(region, error);
    return region;
  }
}

function agreementSection(initial, patient) {
  let contract = initial;
  const said = el('div', {});
  const changes = el('div', { id: 'andringar' });
  const result = el('div', { role: 'status', 'aria-live': 'polite' });
  const version = el('span', { id: 'kontraktsversion' });
  const button = el('button', { type: 'button', id: 'godkann' }, 'Jag godkänner mitt patientkontrakt');
  const ask = el('p', {}, 'Har du läst kontraktet och håller med om det? Då kan du godkänna det här.');
  const show = async () => {
    const agreement = extension(contract, EXT_AGREEMENT);
    const part = (name) => agreement?.extension?.find((e) => e.url === name);
    const method = part('method')?.valueCoding?.code;
    const waiting = pending(contract);
    said.replaceChildren(agreement
      ? el('p', {}, 'Du godkände kontraktet ', dateElement(part('date').valueDateTime), ' ', METHOD_TEXT[method] || method,
        agreedVersion(contract) ? ` (version ${agreedVersion(contract)})` : '', '.')
      : el('p', {}, 'Du har inte godkänt kontraktet ännu.'));
    version.textContent = contract.meta.versionId;
    button.textContent = agreement && waiting ? 'Jag godkänner det ändrade kontraktet' : 'Jag godkänner mitt patientkontrakt';
    ask.textContent = agreement && !waiting
      ? 'Du kan bekräfta kontraktet igen, till exempel efter att ni har följt upp det tillsammans.'
      : 'Har du läst kontraktet och håller med om det? Då kan du godkänna det här.';
    changes.replaceChildren(agreement && waiting ? await whatChanged(contract) : '');
  };
  button.addEventListener('click', async () => {
    button.disabled = true;
    result.replaceChildren(el('p', {}, 'Sparar …'));
    try {
      contract = await confirmAgreement(contract, patient);
      await show();
      document.getElementById('vantar-pa-godkannande')?.remove();
      result.replaceChildren(el('p', { class: 'klart' }, 'Tack! Ditt godkännande är sparat. Kontraktet har nu version ' + contract.meta.versionId + '.'));
    } catch (error) {
      showError(result, error.status === 412
        ? new FhirError(412, 'Vården har ändrat kontraktet sedan du öppnade sidan. Ladda om sidan, läs igenom det och godkänn igen.')
        : error);
    } finally {
      button.disabled = false;
    }
  });
  show().catch((error) => showError(result, error));
  return section('overenskommelse', 'Så kom vi överens', said, changes,
    el('p', { class: 'muted' }, 'Kontraktets version: ', version),
    ask, button, result);
}

/** Writes the agreement (today, digitally, by the patient) with If-Match on the version shown. */
async function confirmAgreement(contract, patient) {
  const value = {
    url: EXT_AGREEMENT,
    extension: [
      { url: 'date', valueDateTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
      { url: 'method', valueCoding: { system: PK + 'CodeSystem/pk-agreement-method', code: 'digital', display: 'Digitalt' } },
      { url: 'agreedBy', valueReference: { reference: 'Patient/' + patient.id, display: humanName(patient) } },
    ],
  };
  const at = (contract.extension || []).findIndex((e) => e.url === EXT_AGREEMENT);
  const patch = at >= 0
    ? [{ op: 'test', path: `/extension/${at}/url`, value: EXT_AGREEMENT }, { op: 'replace', path: `/extension/${at}`, value }]
    : [{ op: 'add', path: contract.extension ? '/extension/-' : '/extension', value: contract.extension ? value : [value] }];
  const { resource } = await fhir('/CarePlan/' + contract.id, {
    method: 'PATCH',
    body: patch,
    contentType: 'application/json-patch+json',
    headers: { 'If-Match': `W/"${contract.meta.versionId}"` },
  });
  return resource;
}

const INTERACTION_TEXT = {
  read: 'läste', vread: 'läste en tidigare version', 'search-type': 'sökte', 'search-system': 'sökte', history: 'läste historiken',
  create: 'skapade', update: 'ändrade', patch: 'ändrade', delete: 'tog bort', operation: 'öppnade översikten',
};
const timeFormat = new Intl.DateTimeFormat('sv-SE', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Stockholm' });

async function accessLogSection(patient) {
  if (!accessControlOn()) {
    return section('vem-har-last', 'Vem har läst mitt kontrakt',
      el('p', {}, 'Här visas vem som har öppnat dina uppgifter. Servern sparar den loggen när inloggning och behörighetskontroll är påslagna. Den här servern körs utan inloggning, för test, och har därför ingen logg att visa.'));
  }
  try {
    const { resource: bundle } = await fhir('/AuditEvent?patient=Patient/' + encodeURIComponent(patient.id) + '&_sort=-date&_count=50');
    const events = bundleIndex(bundle).matches;
    if (events.length === 0) {
      return section('vem-har-last', 'Vem har läst mitt kontrakt', el('p', {}, 'Ingen har öppnat dina uppgifter ännu.'));
    }
    const names = new Map();
    const rows = await Promise.all(events.map(async (event) => {
      const who = event.agent?.find((a) => a.requestor) || event.agent?.[0];
      const app = event.agent?.find((a) => !a.requestor);
      return el('tr', {},
        el('td', {}, timeFormat.format(new Date(event.recorded))),
        el('td', {}, await actorName(who, patient, names)),
        el('td', {}, INTERACTION_TEXT[codeOf(event.subtype?.[0] ? { coding: event.subtype } : null)] || event.action,
          declared(event).map((text) => el('div', { class: 'muted' }, text))),
        el('td', {}, app?.name || ''));
    }));
    return section('vem-har-last', 'Vem har läst mitt kontrakt',
      el('div', { class: 'tabell' }, el('table', {},
        el('caption', { class: 'muted' }, 'De senaste 50 gångerna någon öppnade eller ändrade dina uppgifter'),
        el('thead', {}, el('tr', {}, ['När', 'Vem', 'Vad', 'Med vilket system'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, rows))));
  } catch (error) {
    const problem = el('div', {});
    showError(problem, error);
    return section('vem-har-last', 'Vem har läst mitt kontrakt', problem);
  }
}

/**
 * What the reader declared under Patientdatalagen, with their reason: emergency access
 * (nödåtkomst) or a care relationship they vouched for themselves.
 */
function declared(event) {
  return (event.purposeOfEvent || []).flatMap((purpose) => {
    const code = (purpose.coding || []).find((c) => c.system === PK + 'CodeSystem/pk-pdl-declaration')?.code;
    const kind = { nodatkomst: 'Nödåtkomst', vardrelation: 'Intygad vårdrelation' }[code];
    return kind ? [kind + (purpose.text ? ': ' + purpose.text : '')] : [];
  });
}

/**
 * Who acted, in words: the patient themselves, a practitioner by name (read once each; the access
 * log names them by fhirUser), or the token's subject when nothing better is known.
 */
async function actorName(agent, patient, names) {
  const user = agent?.who?.reference || agent?.who?.display || '';
  const [type, id] = user.split('/').slice(-2);
  if (type === 'Patient') {
    return id === patient.id ? 'Du själv' : 'En annan patient';
  }
  if (type === 'Practitioner' || type === 'PractitionerRole') {
    if (!names.has(user)) {
      names.set(user, fhir(`/${type}/${id}`).then(({ resource }) => humanName(resource) || resource.practitioner?.display, () => null));
    }
    const name = await names.get(user);
    return name ? name + ' (vårdpersonal)' : 'Vårdpersonal';
  }
  // Other patients and care systems are named in words by the server, never by who they are.
  return agent?.who?.display || agent?.altId || 'Okänd';
}
