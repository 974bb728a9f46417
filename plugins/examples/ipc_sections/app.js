// IPC sections: which of the eight sections of the International Patent
// Classification (A Human necessities … H Electricity) the documents of a
// search fall in, as ranked bars.
//
// The `ipc_main_groups` facet (G01N33, C02F1, …) is summed by the group's
// first letter, its section. A document classified in several groups
// counts once per group, so the counts are of group–document pairs; a
// footnote says so. Labels that are not IPC symbols are left out and
// counted in a warning. The numbers are computed here; the picture is
// drawn by the patchart SDK, like every built-in chart: ranked bars
// (`drawRankedBars`) by default, or a donut of the sections' shares
// (`drawDonut`) with `{"shape": "donut"}`.
//
//     patchart plugin build plugins/examples/ipc_sections
//     patchart render --input export.xlsx --algorithm ipc_sections \
//         --plugin plugins/examples/ipc_sections/ipc_sections.wasm --out out/

import { drawDonut, drawRankedBars, formatCount } from 'patchart:sdk/draw@0.1.0';

const KEY = 'ipc_sections';
const VERSION = '0.1.0';
const FACET = 'ipc_main_groups';

const PARAMS_SCHEMA = JSON.stringify({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: `${KEY} parameters`,
  type: 'object',
  additionalProperties: false,
  properties: {
    shape: {
      description: 'bars: ranked bars of the sections; donut: their shares as a donut.',
      enum: ['bars', 'donut'],
      default: 'bars',
    },
  },
});

// The section titles of the IPC (WIPO), in English and Spanish.
const SECTIONS = {
  A: { en: 'Human necessities', es: 'Necesidades corrientes de la vida' },
  B: { en: 'Performing operations; transporting', es: 'Técnicas industriales diversas; transportes' },
  C: { en: 'Chemistry; metallurgy', es: 'Química; metalurgia' },
  D: { en: 'Textiles; paper', es: 'Textiles; papel' },
  E: { en: 'Fixed constructions', es: 'Construcciones fijas' },
  F: {
    en: 'Mechanical engineering; lighting; heating; weapons; blasting',
    es: 'Mecánica; iluminación; calefacción; armamento; voladura',
  },
  G: { en: 'Physics', es: 'Física' },
  H: { en: 'Electricity', es: 'Electricidad' },
};

const TEXTS = {
  en: {
    title: 'Patent documents by IPC section',
    subtitle: (pairs, groups, sections) =>
      `${pairs} group–document pairs in ${groups} IPC main groups, ${sections} sections`,
    value: 'Group–document pairs',
    category: 'IPC section',
    counting:
      'A document classified in several main groups counts once for each, so the counts are of group–document pairs, not documents',
    skipped: (n, pairs) => `Left out, not IPC symbols: ${n} of the ipc_main_groups labels (${pairs} pairs)`,
    hole: (sections) => `pairs in ${sections} sections`,
  },
  es: {
    title: 'Documentos de patente por sección de la CIP',
    subtitle: (pairs, groups, sections) =>
      `${pairs} pares grupo–documento en ${groups} grupos principales de la CIP, ${sections} secciones`,
    value: 'Pares grupo–documento',
    category: 'Sección de la CIP',
    counting:
      'Un documento clasificado en varios grupos principales cuenta una vez por cada uno, así que se cuentan pares grupo–documento, no documentos',
    skipped: (n, pairs) => `Omitidas por no ser símbolos de la CIP: ${n} de las etiquetas de ipc_main_groups (${pairs} pares)`,
    hole: (sections) => `pares en ${sections} secciones`,
  },
};

export function info() {
  return {
    key: KEY,
    version: VERSION,
    name: 'IPC sections',
    description: 'Ranked bars (or a donut) of the eight IPC sections (A–H), summed from the IPC main groups.',
    paramsSchema: PARAMS_SCHEMA,
    requiredFacets: [FACET],
  };
}

// Sums the facet by section: counts per letter (BigInt, as the contract's
// u64 arrives), how many groups were summed, and what was left out.
export function sections(entries) {
  const counts = new Map();
  let groups = 0;
  let skipped = 0;
  let skippedPairs = 0n;
  for (const e of entries) {
    const letter = e.label.trim().charAt(0).toUpperCase();
    if (!(letter in SECTIONS) || !/^[A-H]\d{2}[A-Z]/.test(e.label.trim().toUpperCase())) {
      skipped += 1;
      skippedPairs += e.count;
      continue;
    }
    groups += 1;
    counts.set(letter, (counts.get(letter) ?? 0n) + e.count);
  }
  return { counts, groups, skipped, skippedPairs };
}

export function render(data, params, style) {
  const facet = data.facets.find((f) => f.name === FACET);
  if (!facet || facet.entries.length === 0) {
    throw { tag: 'missing-data', val: `facet \`${FACET}\` is not in the dataset or is empty` };
  }
  const locale = style.locale in TEXTS ? style.locale : 'en';
  const t = TEXTS[locale];
  const { counts, groups, skipped, skippedPairs } = sections(facet.entries);
  const pairs = [...counts.values()].reduce((a, b) => a + b, 0n);
  if (pairs === 0n) {
    throw { tag: 'missing-data', val: `facet \`${FACET}\` has no IPC main group with documents` };
  }
  const items = [...counts.entries()]
    .filter(([, n]) => n > 0n)
    .map(([letter, n]) => ({ label: `${letter} – ${SECTIONS[letter][locale]}`, count: n }));
  const notes = [t.counting];
  const warnings = [];
  if (skipped > 0) {
    warnings.push(t.skipped(formatCount(BigInt(skipped), locale), formatCount(skippedPairs, locale)));
  }
  const shape = JSON.parse(params || '{}').shape ?? 'bars';
  const sectionCount = formatCount(BigInt(items.length), locale);
  const subtitle = t.subtitle(formatCount(pairs, locale), formatCount(BigInt(groups), locale), sectionCount);
  const totals = [
    { name: 'groups', value: groups },
    { name: 'sections', value: items.length },
    { name: 'skipped_labels', value: skipped },
    ...Object.keys(SECTIONS).map((s) => ({ name: `section_${s}`, value: Number(counts.get(s) ?? 0n) })),
  ];
  let drawn;
  try {
    // Both specs take the same items; a donut of eight sections keeps
    // every one (`minShare: 0`), so it never needs an Others slice.
    drawn =
      shape === 'donut'
        ? drawDonut(
            {
              algorithm: KEY,
              title: t.title,
              subtitle,
              seriesName: t.value,
              items,
              topN: 8,
              minShare: 0,
              holeCaption: t.hole(sectionCount),
              notes,
              totals,
            },
            style,
          )
        : drawRankedBars(
            {
              algorithm: KEY,
              title: t.title,
              subtitle,
              valueTitle: t.value,
              categoryTitle: t.category,
              items,
              topN: 8,
              maxLabelLines: 2,
              notes,
              totals,
            },
            style,
          );
  } catch (e) {
    throw { tag: 'failed', val: String(e.payload ?? e) };
  }
  return { svg: drawn.svg, chartData: drawn.chartData, warnings: [...warnings, ...drawn.warnings] };
}
