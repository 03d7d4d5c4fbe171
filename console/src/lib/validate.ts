/** The server's checks (shared/src/domain/*.rs, shared/src/handlers/input.rs) that the console can
 * run before the round trip, answering the server's own raw messages (lib/messages.ts turns both
 * into the same sentences). The limits are the server's constants. */
import type { FieldError } from './api';

export const TITLE_MAX = 200;
export const DESCRIPTION_MAX = 5_000;
export const CUSTOMER_NAME_MAX = 200;
export const REASON_MAX = 1_000;
export const CUSTOM_SKILL_MAX = 100;
export const PROBLEM_STATEMENT_MIN = 100;
export const PROBLEM_STATEMENT_MAX = 10_000;
export const PROBLEM_STATEMENT_MAX_BYTES = 30_000;
export const TIMELINE_MAX_DAYS = 3_650;
export const SPECIFIC_DAYS_MAX = 366;
export const MAX_AMOUNT = 1_000_000_000_000;

/** ISO 4217 codes the server accepts (shared/src/domain/money.rs, CURRENCIES). */
export const CURRENCIES: string[] = 'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWG'.split(' ');
const THREE_DECIMALS = new Set('BHD IQD JOD KWD LYD OMR TND'.split(' '));
const NO_DECIMALS = new Set('BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF'.split(' '));

/** Digits after the decimal point of a currency, or null when the server does not know it. */
export function minorUnits(currency: string): number | null {
  if (!CURRENCIES.includes(currency)) return null;
  return NO_DECIMALS.has(currency) ? 0 : THREE_DECIMALS.has(currency) ? 3 : 2;
}

/** Collected problems of one form, keyed by the API's field names. */
export class Problems {
  readonly list: FieldError[] = [];
  add(field: string, message: string) {
    this.list.push({ field, message });
  }
}

/** Characters as the server counts them (Unicode scalar values, after trimming). */
export function length(text: string): number {
  return [...text.trim()].length;
}

// Control characters other than newline, tab and carriage return (multi-line texts keep those).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_SINGLE_LINE = /[\u0000-\u001f\u007f-\u009f]/;

/** validation.rs `parse_text`: required, not blank, at most `max` characters, no control characters. */
export function checkText(p: Problems, field: string, raw: string, max: number, multiline = false) {
  const text = raw.trim();
  if (!text) return p.add(field, 'must not be blank');
  const n = length(text);
  if (n > max) return p.add(field, `must be at most ${max} characters (got ${n})`);
  if ((multiline ? CONTROL : CONTROL_SINGLE_LINE).test(text)) p.add(field, 'must not contain control characters');
}

/** money.rs `Money::parse`: a known currency, a plain non-negative decimal within the currency's
 * minor units and at most MAX_AMOUNT. */
export function checkMoney(p: Problems, prefix: string, amount: string, currency: string) {
  const units = currency ? minorUnits(currency) : null;
  if (!currency) p.add(`${prefix}.currency`, 'is required');
  else if (units === null) p.add(`${prefix}.currency`, 'must be an ISO 4217 currency code such as EUR or USD');
  if (!amount) return p.add(`${prefix}.amount`, 'is required');
  if (!/^\d+(\.\d+)?$/.test(amount)) return p.add(`${prefix}.amount`, 'must be a non-negative decimal string such as "125000.00"');
  const [whole, fraction = ''] = amount.split('.');
  if (Number(whole) > MAX_AMOUNT || (Number(whole) === MAX_AMOUNT && /[1-9]/.test(fraction))) {
    return p.add(`${prefix}.amount`, `must be at most ${MAX_AMOUNT}`);
  }
  if (units !== null && fraction.length > units) p.add(`${prefix}.amount`, `must have at most ${units} decimal places`);
}

/** dates.rs `parse_date`: YYYY-MM-DD, a real calendar date, 1900-01-01 to 9998-12-31. */
export function parseDate(text: string): { day: number } | { error: string } {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return { error: 'must be a date as YYYY-MM-DD' };
  const [y, m, d] = text.split('-').map(Number);
  const at = Date.UTC(y, m - 1, d);
  const back = new Date(at);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== m - 1 || back.getUTCDate() !== d) {
    return { error: 'must be a real calendar date as YYYY-MM-DD' };
  }
  if (y < 1900 || y > 9998) return { error: 'must be a date from 1900-01-01 to 9998-12-31' };
  return { day: Math.round(at / 86_400_000) };
}

export interface TimelineFields {
  startDate: string;
  endMode: 'end_date' | 'duration_days';
  endDate: string;
  durationDays: string;
  specificDays: string[];
}

/** opportunity.rs `Timeline::parse`, with the field names prefixed `timeline.`. */
export function checkTimeline(p: Problems, t: TimelineFields) {
  let start: number | null = null;
  if (!t.startDate) p.add('timeline.start_date', 'is required');
  else {
    const parsed = parseDate(t.startDate);
    if ('error' in parsed) p.add('timeline.start_date', parsed.error);
    else start = parsed.day;
  }
  let last: number | null = null;
  if (t.endMode === 'end_date') {
    if (!t.endDate) p.add('timeline.end_date', 'give either end_date or duration_days');
    else {
      const parsed = parseDate(t.endDate);
      if ('error' in parsed) p.add('timeline.end_date', parsed.error);
      else if (start !== null) {
        if (parsed.day < start) p.add('timeline.end_date', 'must not be before start_date');
        else if (parsed.day - start + 1 > TIMELINE_MAX_DAYS) p.add('timeline.end_date', `the timeline must be at most ${TIMELINE_MAX_DAYS} days`);
        else last = parsed.day;
      }
    }
  } else if (!t.durationDays.trim()) p.add('timeline.end_date', 'give either end_date or duration_days');
  else if (!/^\d+$/.test(t.durationDays.trim())) p.add('timeline.duration_days', 'must be a whole number within range');
  else {
    const days = Number(t.durationDays.trim());
    if (days < 1 || days > TIMELINE_MAX_DAYS) p.add('timeline.duration_days', `must be between 1 and ${TIMELINE_MAX_DAYS}`);
    else if (start !== null) last = start + days - 1;
  }
  if (t.specificDays.length > SPECIFIC_DAYS_MAX) p.add('timeline.specific_days', `must list at most ${SPECIFIC_DAYS_MAX} days`);
  const seen = new Set<number>();
  t.specificDays.forEach((text, i) => {
    const field = `timeline.specific_days[${i}]`;
    const parsed = parseDate(text);
    if ('error' in parsed) return p.add(field, parsed.error);
    if (seen.has(parsed.day)) p.add(field, 'is listed twice');
    else if (start !== null && last !== null && (parsed.day < start || parsed.day > last)) p.add(field, 'must fall within the timeline');
    seen.add(parsed.day);
  });
}

/** opportunity.rs `ProblemStatement::parse`. */
export function checkProblemStatement(p: Problems, field: string, markdown: string) {
  const text = markdown.trim();
  const n = length(text);
  if (n < PROBLEM_STATEMENT_MIN) return p.add(field, `must be at least ${PROBLEM_STATEMENT_MIN} characters (got ${n})`);
  if (n > PROBLEM_STATEMENT_MAX || new TextEncoder().encode(text).length > PROBLEM_STATEMENT_MAX_BYTES) {
    return p.add(field, `must be at most ${PROBLEM_STATEMENT_MAX} characters and ${PROBLEM_STATEMENT_MAX_BYTES} bytes`);
  }
  if (CONTROL.test(text)) p.add(field, 'must not contain control characters');
}
