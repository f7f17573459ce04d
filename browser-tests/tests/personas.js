// The three example personas (examples/) as the pages should show them.
export const PERSONAS = [
  {
    id: 'esther-andersson',
    name: 'Esther Andersson',
    personnummer: '194205142484',
    nextStep: { text: 'Läkemedelsgenomgång hos Johan Berg', date: '2026-12-11', shown: '11 december 2026' },
    contacts: ['Fast vårdkontakt', 'Maria Lind', 'Fast läkarkontakt i primärvård', 'Johan Berg'],
    otherPlan: 'SIP – Esther Andersson',
    unit: 'Vårdcentralen Nybro',
  },
  {
    id: 'goran-karlsson',
    name: 'Göran Karlsson',
    personnummer: '195109031376',
    nextStep: { text: 'Återbesök hos Erik Holm', date: '2026-11-16', shown: '16 november 2026' },
    contacts: ['Fast vårdkontakt', 'Erik Holm', 'Fast läkarkontakt i primärvård', 'Anders Ek'],
    otherPlan: null,
    unit: 'Ortopedkliniken, Oskarshamns sjukhus',
  },
  {
    id: 'sara-lindqvist',
    name: 'Sara Lindqvist',
    personnummer: '199002272384',
    nextStep: { text: 'Läkarbesök hos Karin Nyberg', date: '2026-12-15', shown: '15 december 2026' },
    contacts: ['Jonas Ahlgren', 'Fast läkarkontakt i primärvård', 'Ali Rahimi'],
    otherPlan: null,
    unit: 'Psykiatriska öppenvårdsmottagningen Gävle',
  },
];

/** Today in Stockholm, as the pages count it. */
export function today() {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm' }).format(new Date());
}
