/**
 * ISO 3166-1 alpha-2: the officially assigned codes (249). The request schemas accept a code in any
 * case and store it upper-cased (API.md §4.1); the OpenAPI document enumerates exactly what they
 * accept (`COUNTRY_CODE_SPELLINGS`) and, for answers, the upper-case codes (`COUNTRY_CODES`).
 * Pure, no dependencies.
 */
export const COUNTRY_CODES = (
  "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
  "CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
  "GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO " +
  "JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR " +
  "MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO " +
  "RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV " +
  "TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"
).split(" ");

const CODES = new Set(COUNTRY_CODES);

/** An assigned ISO 3166-1 alpha-2 code, in any case ("mx", "Mx" and "MX" are all Mexico). */
export function isCountryCode(value: string): boolean {
  return value.length === 2 && CODES.has(value.toUpperCase());
}

/**
 * Every spelling isCountryCode accepts, for the document's `enum`: the upper-case codes first, then
 * lower case, then the two mixed cases (4 × 249). A generated client's type is then exactly the
 * service's rule.
 */
export function countryCodeSpellings(): string[] {
  const lower = (c: string) => c.toLowerCase();
  return [
    ...COUNTRY_CODES,
    ...COUNTRY_CODES.map(lower),
    ...COUNTRY_CODES.map((c) => c[0] + lower(c[1]!)),
    ...COUNTRY_CODES.map((c) => lower(c[0]!) + c[1]),
  ];
}
