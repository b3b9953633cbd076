import { describe, it, expect } from "vitest";
import {
  clabeBankCode,
  clabeCheckDigit,
  clabePlazaCode,
  clabeProblems,
  curpCheckDigit,
  curpProblems,
  isRealDate,
  normalizeCurp,
  normalizeRfc,
  rfcProblems,
  type MexicoClientType,
} from "../../src/validators/mexico";

describe("isRealDate", () => {
  it.each([
    ["2024-02-29", true], // leap year
    ["2023-02-29", false], // not a leap year
    ["1900-02-29", false], // century, not divisible by 400
    ["2000-02-29", true], // divisible by 400
    ["2026-13-01", false],
    ["2026-00-10", false],
    ["2026-04-31", false],
    ["2026-04-30", true],
    ["2026-01-31", true],
    ["2026-01-32", false],
    ["2026-01-00", false],
    ["2026-12-31", true],
    ["1900-01-01", true],
    ["2024-2-29", false], // not zero-padded
    ["20240229", false],
    ["2024-02-29T00:00:00Z", false],
    [" 2024-02-29", false],
    ["", false],
  ])("%j → %s", (value, expected) => {
    expect(isRealDate(value)).toBe(expected);
  });
});

describe("normalizeRfc / normalizeCurp", () => {
  it.each([
    ["gode561231gr8", "GODE561231GR8"],
    ["ñaño800101ab1", "ÑAÑO800101AB1"],
    ["&ab800101xy1", "&AB800101XY1"],
    ["Gode561231Gr8", "GODE561231GR8"],
    ["GODE561231GR8", "GODE561231GR8"],
    ["n\u0303an\u0303o800101ab1", "ÑAÑO800101AB1"], // decomposed ñ (n + combining tilde) → one Ñ
  ])("normalizeRfc(%j) = %j", (input, expected) => {
    expect(normalizeRfc(input)).toBe(expected);
    expect(rfcProblems(normalizeRfc(input))).toEqual([]);
  });

  it.each([
    ["hegg560427mvzrrl04", "HEGG560427MVZRRL04"],
    ["Looa531113htcpbn07", "LOOA531113HTCPBN07"],
    ["gaxx000229mdfrrla3", "GAXX000229MDFRRLA3"],
  ])("normalizeCurp(%j) = %j", (input, expected) => {
    expect(normalizeCurp(input)).toBe(expected);
    expect(curpProblems(normalizeCurp(input))).toEqual([]);
  });

  it("does not turn non-Latin look-alikes into ASCII letters", () => {
    // "ı" (dotless i) and "ſ" (long s) upper-case to I and S with toUpperCase().
    const sneaky = "ıſAB800101XY1";
    expect(normalizeRfc(sneaky)).toBe(sneaky);
    expect(rfcProblems(normalizeRfc(sneaky))).not.toEqual([]);
  });
});

describe("rfcProblems — valid", () => {
  it.each<[string, MexicoClientType | undefined]>([
    ["GODE561231GR8", undefined],
    ["GODE561231GR8", "individual"],
    ["GODE561231GR8", "trust"],
    ["GODE561231GR9", "individual"], // check character not enforced (API.md §4.1)
    ["ÑAÑO800101AB1", "individual"],
    ["ÑAÑO800101AB1", undefined],
    ["&AB800101XY1", "company"],
    ["&AB800101XY1", "trust"],
    ["AÑ&800101AB1", "company"],
    ["ABC680524P76", "company"],
    ["ABC680524P76", undefined],
    ["XAXX000229AB1", "individual"], // 000229 is real as 2000-02-29
    ["XAXX960229AB1", "individual"], // 1996-02-29
    ["MAR991231AAA", "company"],
    ["MARG991231000", "individual"],
  ])("%s (%s)", (rfc, clientType) => {
    expect(rfcProblems(rfc, clientType)).toEqual([]);
  });
});

describe("rfcProblems — invalid with a specific message", () => {
  it.each<[string, MexicoClientType | undefined, string[]]>([
    ["GODE561231GR8", "company", ["an RFC for a company has 12 characters, this one has 13"]],
    ["ÑAÑO800101AB1", "company", ["an RFC for a company has 12 characters, this one has 13"]],
    ["ABC680524P76", "individual", ["an RFC for an individual has 13 characters, this one has 12"]],
    ["&AB800101XY1", "individual", ["an RFC for an individual has 13 characters, this one has 12"]],
    ["GODE991332GR8", undefined, ["RFC check: the date 991332 is not a real date"]],
    ["GODE010229GR8", undefined, ["RFC check: the date 010229 is not a real date"]], // 1901 nor 2001
    ["GODE970229GR8", "individual", ["RFC check: the date 970229 is not a real date"]],
    ["GODE990431GR8", "individual", ["RFC check: the date 990431 is not a real date"]],
    ["GODE990001GR8", "trust", ["RFC check: the date 990001 is not a real date"]],
    ["ABC990100P76", "company", ["RFC check: the date 990100 is not a real date"]],
    [
      "GODE991332GR8",
      "company",
      [
        "an RFC for a company has 12 characters, this one has 13",
        "RFC check: the date 991332 is not a real date",
      ],
    ],
    ["GODE561231GR8X", undefined, ["an RFC has 12 or 13 characters, this one has 14"]],
    ["GODE561231GR8X", "trust", ["an RFC for a trust has 12 or 13 characters, this one has 14"]],
    ["GOD56123GR8", undefined, ["an RFC has 12 or 13 characters, this one has 11"]],
    ["", undefined, ["an RFC has 12 or 13 characters, this one has 0"]],
    ["", "individual", ["an RFC for an individual has 13 characters, this one has 0"]],
  ])("%s (%s)", (rfc, clientType, expected) => {
    expect(rfcProblems(rfc, clientType)).toEqual(expected);
  });

  it.each([
    "gode561231gr8", // not upper-cased: the caller must normalize first
    "G0DE561231GR8", // digit among the letters
    "GODE56123AGR8", // letter among the date digits
    "GODE561231GR-", // punctuation in the homoclave
    "GODE561231GRÑ", // Ñ only allowed in the name part
    "GO-E561231GR8",
    "GODEE561231G8", // 5 letters
    "GO561231GR8AB", // 2 letters
  ])("%s does not match the RFC pattern", (rfc) => {
    const problems = rfcProblems(rfc);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^RFC .* does not have the form/);
  });
});

/**
 * Public CURPs (published examples, e.g. HEGG560427MVZRRL04 from the RENAPO/Wikipedia description
 * of the CURP, BEML920313HMCLNS09 from Wikipedia's worked example, LOOA531113HTCPBN07 widely
 * published); the test asserts that the check digit each one carries is the computed one.
 */
const PUBLISHED_CURPS: [string, number][] = [
  ["HEGG560427MVZRRL04", 4],
  ["BEML920313HMCLNS09", 9],
  ["LOOA531113HTCPBN07", 7],
  ["BEML920313HCMLNS09", 9],
  ["OEVL921024MDFLRR07", 7],
  ["EOTN981127HNESLC06", 6],
  ["BOXW010820HNERXNA1", 1], // born 2001: differentiator is a letter
];

describe("curpCheckDigit", () => {
  it.each(PUBLISHED_CURPS)("published %s has check digit %i", (curp, digit) => {
    expect(curpCheckDigit(curp.slice(0, 17))).toBe(digit);
    expect(Number(curp.slice(17))).toBe(digit);
    expect(curpProblems(curp)).toEqual([]);
  });

  it("gives Ñ its own value between N and O", () => {
    expect(curpCheckDigit("NAXX000229MDFRRLA")).toBe(7);
    expect(curpCheckDigit("ÑAXX000229MDFRRLA")).toBe(9); // value 24 instead of 23, weight 18
    expect(curpCheckDigit("OAXX000229MDFRRLA")).toBe(1); // value 25
  });

  it.each(["HEGG560427MVZRRL", "HEGG560427MVZRRL04", ""])("throws on %j (not 17 characters)", (s) => {
    expect(() => curpCheckDigit(s)).toThrow(RangeError);
  });

  it("throws on a character outside the alphabet", () => {
    expect(() => curpCheckDigit("HEGG560427MVZRR-0")).toThrow(RangeError);
    expect(() => curpCheckDigit("hegg560427mvzrrl0")).toThrow(RangeError);
  });
});

describe("curpProblems — valid", () => {
  it.each([
    "HEGG560427MVZRRL04",
    "BEML920313HMCLNS09",
    "GAXX000229MDFRRLA3", // 2000-02-29 (letter → 20YY)
    "GAXX040229HNERRLA7", // 2004-02-29
    "GAXX960229HNERRL05", // 1996-02-29
    "GAXX990101XNERRL03", // sex X
  ])("%s", (curp) => {
    expect(curpProblems(curp)).toEqual([]);
  });
});

describe("curpProblems — invalid", () => {
  it.each([
    ["HEGG560427MVZRRL0", 17],
    ["HEGG560427MVZRRL044", 19],
    ["", 0],
  ])("%j has the wrong length", (curp, length) => {
    expect(curpProblems(curp)).toEqual([`a CURP has 18 characters, this one has ${length}`]);
  });

  it.each([
    "hegg560427mvzrrl04", // not upper-cased: the caller must normalize first
    "HBGG560427MVZRRL04", // 2nd character must be a vowel or X
    "1EGG560427MVZRRL04", // 1st character must be a letter
    "HEG1560427MVZRRL04", // 3rd/4th must be letters
    "HEGG56042XMVZRRL04", // date must be digits
    "HEGG560427QVZRRL04", // sex must be H, M or X
    "HEGG560427M1ZRRL04", // state must be letters
    "HEGG560427MVZARL04", // consonant block holds a vowel
    "HEGG560427MVZRRÑ04", // Ñ not allowed in the consonant block
    "ÑEGG560427MVZRRL04", // Ñ not allowed at all in a CURP (it is written X)
    "HEGG560427MVZRR-04", // punctuation in the consonant block
    "HEGG560427MVZRRL-4", // differentiator must be a letter or digit
    "HEGG560427MVZRRL0A", // check character must be a digit
  ])("%s does not match the CURP pattern", (curp) => {
    const problems = curpProblems(curp);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^CURP .* does not have the form/);
  });

  // Every value below has a correct check digit, so only the date is reported.
  it.each([
    ["GAXX000229MDFRRL03", "000229", 1900, "a digit: born before 2000"], // 1900 is not a leap year
    ["GAXX010229MDFRRLA0", "010229", 2001, "a letter: born in 2000 or later"],
    ["GAXX970229HNERRL02", "970229", 1997, "a digit: born before 2000"],
    ["GAXX991332HNERRL06", "991332", 1999, "a digit: born before 2000"],
    ["GAXX990431HNERRL06", "990431", 1999, "a digit: born before 2000"],
    ["GAXX990001HNERRL00", "990001", 1999, "a digit: born before 2000"],
    ["GAXX990100HNERRL08", "990100", 1999, "a digit: born before 2000"],
  ])("%s has a date that is not real", (curp, yymmdd, year, why) => {
    const differentiator = curp.charAt(16);
    expect(curpProblems(curp)).toEqual([
      `CURP check: the date ${yymmdd} is not a real date (read as ${year}, since character 17 '${differentiator}' is ${why})`,
    ]);
  });

  it.each([0, 1, 2, 3, 5, 6, 7, 8, 9])("HEGG560427MVZRRL0%i has a wrong check digit", (d) => {
    expect(curpProblems(`HEGG560427MVZRRL0${d}`)).toEqual([
      `CURP check digit is ${d} but the computed one is 4`,
    ]);
  });

  it("reports a bad date and a wrong check digit together", () => {
    expect(curpProblems("GAXX970229HNERRL09")).toEqual([
      "CURP check: the date 970229 is not a real date (read as 1997, since character 17 '0' is a digit: born before 2000)",
      "CURP check digit is 9 but the computed one is 2",
    ]);
  });
});

const VALID_CLABES = [
  "002010077777777771", // published Banamex example
  "032180000118359719", // published example (Wikipedia)
  "646180110400000007",
  "014027000005555558",
  "012180001234567899",
  "123456789012345673",
  "000000000000000000",
  "999999999999999995",
];

describe("clabeCheckDigit / clabeProblems — valid", () => {
  it.each(VALID_CLABES)("%s", (clabe) => {
    expect(clabeCheckDigit(clabe.slice(0, 17))).toBe(Number(clabe.slice(17)));
    expect(clabeProblems(clabe)).toEqual([]);
  });

  it("worked example: 002010077777777771", () => {
    // weights 3,7,1…: products mod 10 = 0,0,2,0,7,0,0,9,7,1,9,7,1,9,7,1,9 → sum 69 → (10 − 9) mod 10 = 1
    expect(clabeCheckDigit("00201007777777777")).toBe(1);
  });

  it.each(["0020100777777777", "002010077777777771", "0020100777777777A", ""])(
    "clabeCheckDigit throws on %j",
    (s) => {
      expect(() => clabeCheckDigit(s)).toThrow(RangeError);
    },
  );
});

describe("clabeProblems — invalid", () => {
  it.each([0, 2, 3, 4, 5, 6, 7, 8, 9])("00201007777777777%i has a wrong check digit", (d) => {
    expect(clabeProblems(`00201007777777777${d}`)).toEqual([
      `CLABE check digit is ${d} but the computed one is 1`,
    ]);
  });

  it.each([0, 1, 2, 3, 4, 5, 6, 8, 9])("64618011040000000%i has a wrong check digit", (d) => {
    expect(clabeProblems(`64618011040000000${d}`)).toEqual([
      `CLABE check digit is ${d} but the computed one is 7`,
    ]);
  });

  it.each([
    "00201007777777777A",
    "002 010 07777777777",
    "002-010-077777777771",
    " 002010077777777771",
    "00201007777777777１", // full-width digit
    "-02010077777777771",
    "2.010077777777771e2",
  ])("%j has non-digits", (clabe) => {
    expect(clabeProblems(clabe)).toEqual([`a CLABE is made of digits only, this one is '${clabe}'`]);
  });

  it.each([
    ["00201007777777777", 17],
    ["0020100777777777710", 19],
    ["", 0],
    ["1", 1],
  ])("%j has the wrong length", (clabe, length) => {
    expect(clabeProblems(clabe)).toEqual([`a CLABE has 18 digits, this one has ${length}`]);
  });
});

describe("clabeBankCode / clabePlazaCode", () => {
  it.each([
    ["002010077777777771", "002", "010"],
    ["032180000118359719", "032", "180"],
    ["646180110400000007", "646", "180"],
    ["014027000005555558", "014", "027"],
  ])("%s → bank %s, plaza %s", (clabe, bank, plaza) => {
    expect(clabeBankCode(clabe)).toBe(bank);
    expect(clabePlazaCode(clabe)).toBe(plaza);
  });
});
