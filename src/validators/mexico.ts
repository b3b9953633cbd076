/**
 * Mexican identifier checks (RFC, CURP, CLABE) — API.md §4.1 and §4.4.
 *
 * Pure functions with no dependencies so they can be reused by the request schemas, by the sync
 * merge step (rules apply to the merged client) and by tests, without pulling in zod or the worker.
 * The *Problems functions return human-readable messages (empty = valid) rather than a boolean so
 * the caller can put them verbatim into a 400 problem object next to the offending pointer.
 */

/** Client types as in API.md §4.1; the RFC length depends on it. */
export type MexicoClientType = "individual" | "company" | "trust";

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function isRealYmd(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/**
 * True for a `YYYY-MM-DD` string naming a day that exists in the (proleptic Gregorian) calendar.
 * `Date.parse` is not used because it silently rolls 2023-02-29 over to March 1st.
 */
export function isRealDate(yyyy_mm_dd: string): boolean {
  const m = DATE_RE.exec(yyyy_mm_dd);
  if (!m) return false;
  return isRealYmd(Number(m[1]), Number(m[2]), Number(m[3]));
}

/**
 * Upper-cases only a–z and ñ (after NFC, so a decomposed "n + ◌̃" becomes Ñ). A general
 * `toUpperCase()` would also turn look-alikes such as "ı" (dotless i) or "ſ" (long s) into ASCII
 * I / S and make a non-Latin value pass; mapping just the letters the identifiers use avoids that.
 */
function upperIdentifier(s: string): string {
  return s.normalize("NFC").replace(/[a-zñ]/g, (c) => c.toUpperCase());
}

/** The RFC is stored upper-cased (API.md §4.1); checks run on this form. */
export function normalizeRfc(s: string): string {
  return upperIdentifier(s);
}

/** The CURP is stored upper-cased (API.md §4.1); checks run on this form. */
export function normalizeCurp(s: string): string {
  return upperIdentifier(s);
}

/** YYMMDD is real in at least one of 19YY / 20YY — the RFC itself does not say which century. */
function isRealYymmddAnyCentury(yymmdd: string): boolean {
  const yy = Number(yymmdd.slice(0, 2));
  const mm = Number(yymmdd.slice(2, 4));
  const dd = Number(yymmdd.slice(4, 6));
  return isRealYmd(1900 + yy, mm, dd) || isRealYmd(2000 + yy, mm, dd);
}

const RFC_RE = /^([A-ZÑ&]{3,4})(\d{6})([A-Z0-9]{3})$/;

const RFC_LENGTH: Record<MexicoClientType, readonly number[]> = {
  individual: [13],
  company: [12],
  trust: [12, 13],
};

const ARTICLE: Record<MexicoClientType, string> = {
  individual: "an individual",
  company: "a company",
  trust: "a trust",
};

/**
 * Problems with an already upper-cased RFC (see {@link normalizeRfc}). The check character is
 * deliberately not verified: real, SAT-issued RFCs exist whose check character does not verify.
 * The length rule is only applied when `clientType` is given, so the same function serves callers
 * that do not know the type yet.
 */
export function rfcProblems(rfc: string, clientType?: MexicoClientType): string[] {
  const problems: string[] = [];
  const length = [...rfc].length; // code points, so "Ñ" counts as one character
  const lengthOk = length === 12 || length === 13;

  if (clientType !== undefined) {
    const allowed = RFC_LENGTH[clientType];
    if (!allowed.includes(length)) {
      problems.push(
        `an RFC for ${ARTICLE[clientType]} has ${allowed.join(" or ")} characters, this one has ${length}`,
      );
    }
  } else if (!lengthOk) {
    problems.push(`an RFC has 12 or 13 characters, this one has ${length}`);
  }

  const m = RFC_RE.exec(rfc);
  if (!m) {
    // A wrong length already explains the mismatch; only describe the shape when the length is fine.
    if (lengthOk) {
      problems.push(
        `RFC ${rfc} does not have the form 3–4 letters (A–Z, Ñ, &), 6 digits (YYMMDD) and 3 letters or digits`,
      );
    }
    return problems;
  }

  const yymmdd = m[2] ?? "";
  if (!isRealYymmddAnyCentury(yymmdd)) {
    problems.push(`RFC check: the date ${yymmdd} is not a real date`);
  }
  return problems;
}

/** Character values for the CURP check digit: index in this alphabet (Ñ sits between N and O). */
const CURP_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ";

/**
 * RENAPO check digit of a CURP from its first 17 characters: weights 18…2, digit =
 * (10 − sum mod 10) mod 10. Throws on input that is not 17 characters of the alphabet, because a
 * digit computed from such input would be meaningless — callers validate the pattern first.
 */
export function curpCheckDigit(first17: string): number {
  const chars = [...first17];
  if (chars.length !== 17) {
    throw new RangeError(`curpCheckDigit needs 17 characters, got ${chars.length}`);
  }
  let sum = 0;
  chars.forEach((c, i) => {
    const value = CURP_ALPHABET.indexOf(c);
    if (value < 0) throw new RangeError(`curpCheckDigit: '${c}' is not a CURP character`);
    sum += value * (18 - i);
  });
  return (10 - (sum % 10)) % 10;
}

const CURP_RE = /^[A-Z][AEIOUX][A-Z]{2}\d{6}[HMX][A-Z]{2}[B-DF-HJ-NP-TV-Z]{3}[A-Z\d]\d$/;

/**
 * Problems with an already upper-cased CURP (see {@link normalizeCurp}). Unlike the RFC, the CURP
 * tells the century: its 17th character is a digit for people born before 2000 and a letter from
 * 2000 on, so the date is checked in that century only (000229 is real with a letter, not with a
 * digit). The check digit is enforced, as API.md §4.1 requires.
 */
export function curpProblems(curp: string): string[] {
  const length = [...curp].length;
  if (length !== 18) {
    return [`a CURP has 18 characters, this one has ${length}`];
  }
  if (!CURP_RE.test(curp)) {
    return [
      `CURP ${curp} does not have the form 4 letters (the 2nd a vowel or X), 6 digits (YYMMDD), ` +
        `H/M/X, a 2-letter state, 3 consonants, a letter or digit and a check digit`,
    ];
  }

  const problems: string[] = [];
  const yymmdd = curp.slice(4, 10);
  const differentiator = curp.charAt(16);
  const century = /\d/.test(differentiator) ? 1900 : 2000;
  const year = century + Number(yymmdd.slice(0, 2));
  if (!isRealYmd(year, Number(yymmdd.slice(2, 4)), Number(yymmdd.slice(4, 6)))) {
    problems.push(
      `CURP check: the date ${yymmdd} is not a real date (read as ${year}, since character 17 ` +
        `'${differentiator}' is ${century === 1900 ? "a digit: born before 2000" : "a letter: born in 2000 or later"})`,
    );
  }

  const given = Number(curp.charAt(17));
  const computed = curpCheckDigit(curp.slice(0, 17));
  if (given !== computed) {
    problems.push(`CURP check digit is ${given} but the computed one is ${computed}`);
  }
  return problems;
}

const CLABE_WEIGHTS = [3, 7, 1] as const;

/**
 * Check digit of a CLABE from its first 17 digits: weights 3,7,1 repeated, each product mod 10,
 * digit = (10 − sum mod 10) mod 10. Throws on anything but 17 ASCII digits, for the same reason as
 * {@link curpCheckDigit}.
 */
export function clabeCheckDigit(first17: string): number {
  if (!/^\d{17}$/.test(first17)) {
    throw new RangeError(`clabeCheckDigit needs 17 digits, got '${first17}'`);
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    sum += (Number(first17.charAt(i)) * (CLABE_WEIGHTS[i % 3] ?? 0)) % 10;
  }
  return (10 - (sum % 10)) % 10;
}

/** Problems with a CLABE (empty = valid): 18 digits whose check digit verifies (API.md §4.4). */
export function clabeProblems(clabe: string): string[] {
  if (/\D/.test(clabe)) {
    return [`a CLABE is made of digits only, this one is '${clabe}'`];
  }
  if (clabe.length !== 18) {
    return [`a CLABE has 18 digits, this one has ${clabe.length}`];
  }
  const given = Number(clabe.charAt(17));
  const computed = clabeCheckDigit(clabe.slice(0, 17));
  if (given !== computed) {
    return [`CLABE check digit is ${given} but the computed one is ${computed}`];
  }
  return [];
}

/**
 * Bank code (digits 1–3) of a CLABE; used to fill or cross-check `codigoBanco`. Assumes the CLABE
 * has been validated.
 */
export function clabeBankCode(clabe: string): string {
  return clabe.slice(0, 3);
}

/**
 * Plaza (city) code (digits 4–6) of a CLABE; used to fill or cross-check `codigoPlaza`. Assumes
 * the CLABE has been validated.
 */
export function clabePlazaCode(clabe: string): string {
  return clabe.slice(3, 6);
}
