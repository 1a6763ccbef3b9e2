// Dates as people on campus read them: "Thu 26 Nov, 10:00" (and the year only when it is
// not this year), in the campus time zone. The one place every page formats a date; api.js
// re-exports these as formatDateTime / formatDate.
//
// The campus zone is the booking service's rule (BOOKING_TIMEZONE, GET /api/booking/campus);
// nav.js asks for it once per browser session (loadCampusZone) before a page draws. Until
// then, or when the booking service cannot say, dates are shown in the browser's own zone.

const LOCALE = 'en-GB';   // day before month, 24-hour clock: "Thu 26 Nov, 10:00"
const ZONE_KEY = 'campus-zone';
function stored() {
  try { return sessionStorage.getItem(ZONE_KEY) || undefined; } catch (e) { return undefined; }   // storage may be off
}
let zone = stored();

function validZone(name) {
  try {
    new Intl.DateTimeFormat(LOCALE, {timeZone: name});
    return true;
  } catch (e) {
    return false;
  }
}
if (zone && !validZone(zone)) zone = undefined;

/** Learn the campus zone from `ask()` (a promise of GET /api/booking/campus) unless known. */
export async function loadCampusZone(ask, waitMs = 2000) {
  if (zone) return zone;
  const timeout = new Promise((done) => setTimeout(() => done(null), waitMs));
  try {
    const campus = await Promise.race([ask(), timeout]);
    if (campus && typeof campus.timezone === 'string' && validZone(campus.timezone)) {
      zone = campus.timezone;
      try { sessionStorage.setItem(ZONE_KEY, zone); } catch (e) { /* asked again on the next page */ }
    }
  } catch (e) { /* the booking service is down: the browser's zone will do */ }
  return zone;
}

function sameYear(date) {
  const year = (d) => new Intl.DateTimeFormat(LOCALE, {year: 'numeric', timeZone: zone}).format(d);
  return year(date) === year(new Date());
}

/** An instant (ISO-8601 with a zone, e.g. "2026-11-26T10:00:00Z") as "Thu 26 Nov, 10:00". */
export function formatWhen(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(LOCALE, {weekday: 'short', day: 'numeric', month: 'short',
    year: sameYear(d) ? undefined : 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    timeZone: zone}).format(d);
}

/** A calendar date ("2026-11-26", already a campus date) as "Thu 26 Nov". */
export function formatDay(isoDate) {
  if (!isoDate) return '';
  const d = new Date(`${String(isoDate).slice(0, 10)}T12:00:00Z`);
  if (Number.isNaN(d.getTime())) return String(isoDate);
  const thisYear = String(isoDate).slice(0, 4) === new Intl.DateTimeFormat('en-CA', {year: 'numeric', timeZone: zone}).format(new Date());
  return new Intl.DateTimeFormat(LOCALE, {weekday: 'short', day: 'numeric', month: 'short',
    year: thisYear ? undefined : 'numeric', timeZone: 'UTC'}).format(d);
}

/** A clock time of an instant, "10:00", in the campus zone. */
export function formatTime(iso) {
  const d = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(LOCALE, {hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: zone}).format(d);
}
